"""What ``giftreview run`` is asked to do and which notebooks that makes.

:class:`RunSettings` holds the command's options; :func:`plan` turns them into one
:class:`NotebookJob` per notebook: ``overview``, one run of the generic ``part`` notebook per
``instrument.report_sections()`` entry, and ``methods``. The parameters each notebook receives
(:func:`base_parameters`) hold paths relative to the project root (never an absolute path of the
machine, so reports rendered on two machines or into two folders are the same bytes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from giftreview import paths
from giftreview.data.instrument import Instrument
from giftreview.errors import ArgumentError, InputFileError, ReportError
from giftreview.text.listcap import DEFAULT_NAMES_SHOWN

__all__ = [
    "OVERVIEW",
    "PART",
    "METHODS",
    "FORMATS",
    "CELL_TIMEOUT",
    "RunSettings",
    "NotebookJob",
    "default_raw",
    "notebooks_dir",
    "base_parameters",
    "recorded_parameters",
    "SETTINGS",
    "RUN_SOURCE",
    "parameter_sources",
    "plan",
    "check_settings",
]

#: notebooks rendered before and after the per-section parts
OVERVIEW, PART, METHODS = "overview", "part", "methods"
FORMATS = ("html", "pdf")
#: seconds one notebook cell may run before the run stops it (``--cell-timeout``)
CELL_TIMEOUT = 600.0


@dataclass(frozen=True)
class RunSettings:
    """What ``giftreview run`` was asked to do (every field is a notebook parameter or a switch).

    ``cell_timeout`` is the longest a single notebook cell may run, in seconds (papermill's
    ``execution_timeout``); a cell that runs longer stops the notebook with a
    :class:`~giftreview.errors.ReportError` naming the notebook and the cell. ``sources`` says
    where each notebook parameter came from (``cli``, ``config file ...``, ``instrument``,
    ``default``; :func:`giftreview.cli.settings.resolve_settings`), for the provenance block.
    """

    raw: Path
    instrument: Path = paths.DEFAULT_INSTRUMENT
    wave: str | None = None
    out: Path | None = None
    formats: tuple[str, ...] = FORMATS
    force: bool = False
    group_by: str = ""
    confidence: float = 0.95
    k: int = 5
    weights: bool = False
    names_shown: int = DEFAULT_NAMES_SHOWN
    jobs: int = 2
    notebooks_dir: Path | None = None
    cell_timeout: float = CELL_TIMEOUT
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def wave_label(self) -> str:
        return self.wave or Path(self.raw).stem

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out is not None else paths.report_dir(self.wave_label)


@dataclass
class NotebookJob:
    """One notebook to execute: its output name, source file and parameters."""

    name: str
    source: Path
    title: str
    parameters: dict[str, Any]
    key: str = ""
    status: str = "pending"  # pending | cached | done | failed
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""


def default_raw() -> Path:
    """The first bundled wave (``data/raw/*``, sorted by name): what ``giftreview run`` renders."""
    found = sorted(
        p for ext in ("csv", "xlsx", "sav") for p in paths.DATA_RAW.glob(f"*.{ext}") if p.is_file()
    )
    if not found:
        raise ArgumentError(f"no raw file given and none in {paths.DATA_RAW}; pass RAW")
    return found[0]


def notebooks_dir(explicit: Path | None = None) -> Path:
    """Folder of the notebook sources: ``explicit``, ``paths.NOTEBOOKS`` or the source tree's."""
    for candidate in (explicit, paths.NOTEBOOKS, paths.PACKAGE_DIR.parents[1] / "notebooks"):
        if candidate is not None and (Path(candidate) / f"{PART}.py").exists():
            return Path(candidate)
    raise ReportError(
        f"notebook sources not found (looked for {PART}.py in {explicit or paths.NOTEBOOKS}); "
        "run from a clone of the giftreview repository or set GIFTREVIEW_ROOT to it"
    )


def base_parameters(settings: RunSettings, processed: Path) -> dict[str, Any]:
    """Parameters every notebook declares (``sources``: :func:`parameter_sources` as JSON).

    Paths are relative to the project root (the notebooks read them with
    :func:`giftreview.paths.from_root`). A raw file, instrument or output folder outside the
    root keeps its absolute path, which the notebook needs to read or write there (the
    appendix CSVs go into the output folder); the executed notebook and the page record the
    output folder by its name alone (:func:`giftreview.pipeline.execute.normalise_notebook`,
    :func:`giftreview.report.wave.open_wave`), so no machine path reaches an output.
    """
    return {
        "raw": paths.portable_path(settings.raw, readable=True),
        "instrument": paths.portable_path(settings.instrument, readable=True),
        "wave": settings.wave_label,
        "processed": paths.portable_path(processed, readable=True),
        "group_by": settings.group_by,
        "confidence": float(settings.confidence),
        "k": int(settings.k),
        "weights": bool(settings.weights),
        "names_shown": int(settings.names_shown),
        "output": paths.portable_path(settings.out_dir, readable=True),
        "sources": json.dumps(parameter_sources(settings), sort_keys=True),
    }


def recorded_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` as outputs record them: the output folder by its portable form.

    The kernel gets the output folder's absolute path when it lies outside the project (it writes
    the appendix CSVs there); the manifest, the cache key and the saved notebook show its name.
    """
    if not parameters.get("output"):
        return dict(parameters)
    return {**parameters, "output": paths.portable_path(parameters["output"])}


#: the notebook parameters whose source the settings record (giftreview.cli.settings.DEFAULTS)
SETTINGS = ("group_by", "confidence", "k", "weights", "names_shown")
#: the source of the parameters a run sets itself (from the raw file name, ``--wave``, ``--out``)
RUN_SOURCE = "run"


def parameter_sources(settings: RunSettings) -> dict[str, str]:
    """Where each notebook parameter came from, for the provenance block of every page.

    The settings take the source :func:`giftreview.cli.settings.resolve_settings` recorded
    (``cli``, ``config file giftreview.toml``, ``instrument``, ``default``), or ``given`` when
    the :class:`RunSettings` were built in Python without sources; ``wave``, ``processed`` and
    ``output`` are set by the run (``run``). ``raw`` and ``instrument`` are listed with their
    sha256 instead.
    """
    recorded = {key: settings.sources.get(key, "given") for key in SETTINGS}
    return {"wave": RUN_SOURCE, "processed": RUN_SOURCE, "output": RUN_SOURCE, **recorded}


def plan(settings: RunSettings, instrument: Instrument, processed: Path) -> list[NotebookJob]:
    """The notebooks to run: overview, one ``part`` per report section, methods."""
    src = notebooks_dir(settings.notebooks_dir)
    base = base_parameters(settings, processed)
    jobs = [NotebookJob(OVERVIEW, src / f"{OVERVIEW}.py", instrument.survey.title, dict(base))]
    for section in instrument.report_sections():
        params = {**base, "section": section.id}
        jobs.append(NotebookJob(section.id, src / f"{PART}.py", section.title, params))
    jobs.append(NotebookJob(METHODS, src / f"{METHODS}.py", "Methods and provenance", dict(base)))
    return jobs


def check_settings(settings: RunSettings) -> None:
    """Raise :class:`ArgumentError` (or :class:`InputFileError`) naming a bad setting."""
    bad = [f for f in settings.formats if f not in FORMATS]
    if bad or not settings.formats:
        raise ArgumentError(
            f"--formats {','.join(settings.formats)!r}: unknown format(s) {bad}; "
            f"choose from {','.join(FORMATS)}"
        )
    if not Path(settings.raw).exists():
        raise InputFileError("raw file not found; give the path of an export", path=settings.raw)
    if paths.is_under_raw(settings.out_dir):
        raise ArgumentError(f"--out {settings.out_dir}: data/raw is read-only; choose reports/...")
    if not 0 < settings.confidence < 1:
        raise ArgumentError(f"confidence {settings.confidence}: give a level between 0 and 1")
    if settings.k < 0 or settings.jobs < 1:
        raise ArgumentError(f"k={settings.k}, jobs={settings.jobs}: k >= 0 and jobs >= 1")
    if settings.names_shown < 1:
        raise ArgumentError(
            f"names_shown={settings.names_shown}: give the names each group of a list question "
            "shows, 1 or more"
        )
    if not settings.cell_timeout > 0:
        raise ArgumentError(
            f"--cell-timeout {settings.cell_timeout}: give the seconds a cell may run, e.g. 600"
        )
