"""Render a wave: clean, execute the notebooks with papermill, export HTML and print PDF.

``giftreview run`` calls :func:`run_report`. The steps, each shown with its time:

1. **clean**: :func:`giftreview.data.clean.clean_wave` into ``data/processed/<wave>/`` (skipped when
   its cache key, :mod:`giftreview.pipeline.cache`, is unchanged since the last run);
2. **tests**: the report-wide family of group tests with Benjamini-Hochberg adjusted p-values,
   computed once (:func:`giftreview.report.wave.build_test_family`) and stored beside the clean data so
   every part shows the same raw and adjusted p (also cached);
3. **notebooks**: the plan of :mod:`giftreview.pipeline.plan` (``overview``, one ``part`` per
   report section, ``methods``), executed two at a time in warm kernels
   (:mod:`giftreview.pipeline.execute`); the overview starts as soon as the clean data exist;
4. **html**: nbconvert with the offline ``giftreview`` template (:mod:`giftreview.pipeline.html`);
5. **pdf**: the system Chromium through playwright (:mod:`giftreview.pipeline.pdf`), each page with
   the instrument's running header and "page N of M";
6. **appendix**: every part joined into ``appendix.pdf`` with a title page and a table of contents
   (:mod:`giftreview.pipeline.appendix`), when PDF is wanted and every notebook succeeded.

Outputs go to ``reports/<wave>/``: ``index.html``, ``<name>.html``, ``<name>.pdf``,
``appendix.pdf``, ``notebooks/<name>.ipynb`` and ``manifest.json``. Every notebook has a cache key; a rerun with
unchanged keys does nothing and says so, one changed part reruns alone, ``force`` reruns all.
With ``SOURCE_DATE_EPOCH`` set, two runs give byte-identical HTML, PDF and notebooks, whatever
the output folder: no output holds an absolute path of the machine.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from giftreview import __version__, paths
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import load_instrument
from giftreview.errors import ReportError
from giftreview.pipeline import cache
from giftreview.pipeline.appendix import APPENDIX_PDF, write_appendix
from giftreview.pipeline.execute import Workers, check_parameters, order, private_kernel
from giftreview.pipeline.pdf import PdfPrinter, find_chromium
from giftreview.pipeline.plan import (
    OVERVIEW,
    NotebookJob,
    RunSettings,
    check_settings,
    plan,
    recorded_parameters,
)
from giftreview.pipeline.progress import Steps
from giftreview.pipeline.provenance import git_commit, run_date
from giftreview.report import wave as report
from giftreview.report.index import changes_for, index_html

__all__ = [
    "RunResult",
    "FAMILY_STEP",
    "provenance",
    "write_manifest",
    "run_report",
]

#: the step recorded in data/processed/<wave>/cache.json once the family is written
FAMILY_STEP = "test family (Benjamini-Hochberg over every section)"


@dataclass
class RunResult:
    """What :func:`run_report` did; ``failures`` holds the message of each failed notebook."""

    out_dir: Path
    jobs: list[NotebookJob]
    cached: bool
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
    return path


# ---- the run ------------------------------------------------------------------------------------
def _outputs_present(out: Path, job: NotebookJob, formats: tuple[str, ...]) -> bool:
    wanted = {"ipynb", *formats}
    return wanted <= set(job.outputs) and all((out / rel).exists() for rel in job.outputs.values())


def _mark_cached(jobs: list[NotebookJob], previous: dict, settings: RunSettings) -> None:
    before = {j.get("name"): j for j in previous.get("notebooks", [])}
    for job in jobs:
        old = before.get(job.name)
        if settings.force or not old or old.get("key") != job.key:
            continue
        job.outputs = {
            k: v for k, v in old.get("outputs", {}).items() if k in ("ipynb", *settings.formats)
        }
        if _outputs_present(settings.out_dir, job, settings.formats):
            job.status = "cached"
        else:
            job.outputs = {}


def _prepare_data(settings: RunSettings, instrument, inputs, processed: Path, steps: Steps):
    """Clean the wave unless current; return what builds the test family (None when current).

    The family is built by the caller while the first notebook (the overview, which shows no
    test) already runs; its key is recorded once it is written.
    """
    ckey = cache.clean_key(inputs, settings.wave_label)
    fkey = cache.cache_key(
        inputs,
        {
            "step": FAMILY_STEP,
            "wave": settings.wave_label,
            "group_by": settings.group_by,
            "confidence": settings.confidence,
            "weights": bool(settings.weights),
        },
    )
    clean_current = not settings.force and cache.is_current(processed, cache.CLEAN_STEP, ckey)
    if clean_current and cache.is_current(processed, FAMILY_STEP, fkey):
        if report.is_prepared(processed):
            h = steps.start("clean + test family")
            steps.done(h, "clean + test family", "unchanged, skipped")
            return None
    if not (clean_current and report.is_prepared(processed, family=False)):
        processed.mkdir(parents=True, exist_ok=True)
        cache.forget(processed, cache.CLEAN_STEP, FAMILY_STEP)
        h = steps.start(cache.CLEAN_STEP)
        clean_wave(settings.raw, instrument, wave=settings.wave_label, out_dir=processed)
        steps.done(h, cache.CLEAN_STEP)
        cache.record(processed, cache.CLEAN_STEP, ckey)
    cache.forget(processed, FAMILY_STEP)
    for name in (*report.family_files(False), *report.family_files(True)):
        (processed / name).unlink(missing_ok=True)  # never let a notebook read an old family

    def build() -> None:
        h = steps.start(FAMILY_STEP)
        report.build_test_family(
            processed,
            instrument,
            group_by=settings.group_by or None,
            confidence=settings.confidence,
            weights=bool(settings.weights),
        )
        steps.done(h, FAMILY_STEP)
        cache.record(processed, FAMILY_STEP, fkey)

    return build


def _start_workers(
    jobs: list[NotebookJob], settings: RunSettings, instrument, steps: Steps, previous: dict
) -> tuple[Workers, PdfPrinter | None]:
    """Start the PDF printer and the workers for every non-cached job (overview first, then
    longest first)."""
    todo = order([j for j in jobs if j.status != "cached"], previous)
    todo.sort(key=lambda j: j.name != OVERVIEW)  # stable: overview first, then longest first
    printer = None
    if "pdf" in settings.formats and todo:
        header = instrument.survey.running_header or instrument.survey.title
        printer = PdfPrinter(settings.out_dir, header, steps)
    workers = Workers(
        todo, settings.out_dir, steps, settings.jobs, printer, cell_timeout=settings.cell_timeout
    )
    return workers, printer


def provenance(settings: RunSettings, inputs: dict[str, Any]) -> dict[str, Any]:
    """The provenance block written to the index and the manifest."""
    return {
        "raw file": Path(settings.raw).name,
        "raw sha256": inputs["raw"],
        "instrument": Path(settings.instrument).name,
        "instrument sha256": inputs["instrument"],
        "giftreview version": __version__,
        "git commit": git_commit(),
        "run date": run_date().isoformat(),
        **{
            f"{key} (from {source})": str(getattr(settings, key))
            for key, source in settings.sources.items()
        },
    }


def _render_all(jobs, settings, instrument, inputs, processed, steps, previous) -> list[str]:
    """Start the warm workers; check parameters, clean and build the family meanwhile; wait.

    An unknown parameter raises :class:`ArgumentError` before any notebook runs (the workers,
    still starting their kernels, are told to stop)."""
    with private_kernel():
        workers, printer = _start_workers(jobs, settings, instrument, steps, previous)
        prepared = False
        try:
            for source, params in {
                j.source: j.parameters for j in jobs if j.status != "cached"
            }.items():
                check_parameters(source, params)
            build_family = _prepare_data(settings, instrument, inputs, processed, steps)
            workers.data_done()
            if build_family is not None:
                build_family()
            prepared = True
        finally:
            workers.family_done(None if prepared else "parameters, cleaning or the family failed")
            failures = workers.join()
            if printer is not None:
                failures += printer.finish()
    return failures


def _write_index_and_manifest(out: Path, settings, instrument, inputs, jobs, appendix="") -> None:
    prov = provenance(settings, inputs)
    title = instrument.survey.title
    html = index_html(title, settings.wave_label, jobs, prov, changes_for(out), appendix)
    (out / "index.html").write_text(html, "utf-8")
    manifest = {
        "wave": settings.wave_label,
        "title": title,
        "provenance": prov,
        "inputs": inputs,
        "formats": list(settings.formats),
        "appendix": appendix,
        "notebooks": [
            {k: v for k, v in asdict(j).items() if k not in ("source", "seconds")}
            | {"source": f"notebooks/{j.source.name}", "seconds": round(j.seconds, 2)}
            | {"parameters": recorded_parameters(j.parameters)}
            for j in jobs
        ],
    }
    write_manifest(out, manifest)


def run_report(settings: RunSettings, progress=None) -> RunResult:
    """Clean a raw wave and render every notebook of its report (see the module docstring).

    Parameters
    ----------
    settings
        Inputs, output folder, formats, notebook parameters and the cell timeout.
    progress
        A :class:`rich.progress.Progress` to show each step with its time, or None.

    Returns
    -------
    RunResult
        The jobs with their status (``cached``/``done``/``failed``), outputs and times.

    Raises
    ------
    ReportError
        When PDF is wanted and Chromium is missing (before any work), or after the run when one
        or more notebooks failed (the message names each notebook, cell and partial notebook).
    """
    t0 = time.perf_counter()
    check_settings(settings)
    # absolute paths: nothing below depends on the process's working folder
    settings = replace(
        settings,
        raw=Path(settings.raw).resolve(),
        instrument=Path(settings.instrument).resolve(),
        out=settings.out_dir.resolve(),
    )
    if "pdf" in settings.formats:
        find_chromium()
    steps = Steps(progress)
    instrument = load_instrument(settings.instrument)
    out = settings.out_dir
    out.mkdir(parents=True, exist_ok=True)
    processed = paths.processed_dir(settings.wave_label)
    inputs = cache.input_hashes(settings.raw, instrument)
    jobs = plan(settings, instrument, processed)
    for job in jobs:
        # keyed on the parameters as recorded: the manifest must not depend on the folder
        job.key = cache.cache_key(inputs, recorded_parameters(job.parameters), job.source)
    previous = cache.load_json(out / "manifest.json")
    _mark_cached(jobs, previous, settings)
    wants_appendix = "pdf" in settings.formats
    if all(j.status == "cached" for j in jobs) and not (
        wants_appendix and not (out / APPENDIX_PDF).exists()
    ):
        h = steps.start("report")
        steps.done(h, "report", "inputs unchanged: nothing to do (use --force to rerun)")
        return RunResult(out, jobs, True, time.perf_counter() - t0)
    if all(j.status == "cached" for j in jobs):
        failures = []  # only the appendix is missing
    else:
        failures = _render_all(jobs, settings, instrument, inputs, processed, steps, previous)
    appendix = ""
    if wants_appendix and not failures:
        appendix = write_appendix(out, jobs, instrument, settings.raw, settings.wave_label, steps)
    _write_index_and_manifest(out, settings, instrument, inputs, jobs, appendix)
    result = RunResult(out, jobs, False, time.perf_counter() - t0, failures)
    if failures:
        raise ReportError(
            f"{len(failures)} notebook(s) failed; the other parts' outputs are kept in {out}:\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
    return result
