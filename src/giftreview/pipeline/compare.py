"""Render the wave comparison: `giftreview compare WAVE_A WAVE_B` runs notebooks/compare.py.

The sections are in :mod:`giftreview.report.comparison`; this module executes the notebook with
the report pipeline (parameters checked against the notebook, a private kernel, papermill,
the offline nbconvert template and the system Chromium for the PDF). The notebook's parameters
name files relative to the project root, so the outputs hold no absolute path of the machine.
"""

from __future__ import annotations

import json
from pathlib import Path

from giftreview import paths
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError
from giftreview.pipeline.execute import check_parameters, execute_notebook, private_kernel
from giftreview.pipeline.html import notebook_to_html
from giftreview.pipeline.pdf import Chromium
from giftreview.pipeline.plan import NotebookJob, notebooks_dir
from giftreview.report.comparison import NOTEBOOK, change_summary, open_comparison, resolve_raw
from giftreview.report.index import CHANGES_FILE, refresh_wave_index
from giftreview.text.safety import neutralise_frame

__all__ = ["render_comparison"]


def render_comparison(
    wave_a: str,
    wave_b: str,
    *,
    instrument_a: str = "",
    instrument_b: str = "",
    out: Path | None = None,
    formats: tuple[str, ...] = ("html", "pdf"),
    confidence: float = 0.95,
    k: int = 5,
    sources: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Execute notebooks/compare.py and write its HTML (and PDF) into ``out``.

    ``out`` defaults to ``reports/compare_A_vs_B/``. Parameters are checked against the notebook,
    which runs in the pipeline's private kernel; HTML by the offline nbconvert template, PDF by
    the system Chromium. ``sources`` says where each parameter came from (``cli``, ``default``;
    ``given`` for a parameter it does not name), for the provenance block.
    Returns the written files by kind (``ipynb``, ``html``, ``pdf``).
    """
    bad = sorted(set(formats) - {"html", "pdf"})
    if bad or not formats:
        raise ArgumentError(f"`--formats` {','.join(formats)!r}: use html, pdf or html,pdf")
    raw_a, raw_b = resolve_raw(wave_a), resolve_raw(wave_b)
    if out is None:  # the wave labels come from file names: checked as names, then the folder
        label = paths.check_wave_name(f"compare_{raw_a.stem}_vs_{raw_b.stem}", "WAVE_A/WAVE_B")
        out = paths.inside(paths.REPORTS / label, paths.REPORTS)
    out = Path(out)
    params = dict(wave_a=_portable(raw_a), wave_b=_portable(raw_b),
                  instrument_a=_portable(_abs(instrument_a)),
                  instrument_b=_portable(_abs(instrument_b)), confidence=float(confidence),
                  k=int(k))  # fmt: skip
    given = {key: (sources or {}).get(key, "given") for key in params}
    params["sources"] = json.dumps(given, sort_keys=True)
    source = notebooks_dir() / f"{NOTEBOOK}.py"
    check_parameters(source, params)
    inst = load_instrument(_abs(instrument_b) or _abs(instrument_a) or None)
    name = f"Wave comparison: {raw_a.stem} and {raw_b.stem}"
    job = NotebookJob(NOTEBOOK, source, name, params)
    written = {"ipynb": out / "notebooks" / f"{NOTEBOOK}.ipynb"}
    with private_kernel() as kernel:
        nb = execute_notebook(job, written["ipynb"], kernel, paths.PROJ_ROOT)
    written["html"] = out / f"{NOTEBOOK}.html"
    written["html"].write_text(notebook_to_html(nb, name), encoding="utf-8")
    if "pdf" in formats:
        written["pdf"] = out / f"{NOTEBOOK}.pdf"
        with Chromium() as browser:
            browser.print_pdf(written["html"], written["pdf"], inst.survey.running_header or name)
    if "html" not in formats:
        written.pop("html").unlink()
    written["changes"] = _write_changes(params, out)
    refresh_wave_index(paths.report_dir(raw_b.stem))  # the later wave lists its changes
    return written


def _write_changes(params: dict, out: Path) -> Path:
    """``changes.csv``: each question's largest published change (for the wave index page).

    The comparison is computed again here (its cleaned waves are reused): the notebook's
    objects live in its kernel, not in this process.
    """
    cmp = open_comparison(**{k: v for k, v in params.items()})
    target = out / CHANGES_FILE
    neutralise_frame(change_summary(cmp)).to_csv(target, index=False)
    return target


def _abs(p: str) -> str:
    return str(paths.from_root(p).resolve()) if p else ""


def _portable(p: Path | str) -> str:
    """A notebook parameter naming a file: relative to the project root when inside it."""
    return paths.portable_path(p, readable=True) if p else ""
