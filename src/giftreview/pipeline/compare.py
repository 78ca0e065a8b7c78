"""Render the wave comparison: `giftreview compare WAVE_A WAVE_B` runs notebooks/compare.py.

The sections are in :mod:`giftreview.report.comparison`; this module executes the notebook with
the report pipeline of :mod:`giftreview.pipeline.run` (parameters checked against the notebook,
a private kernel, papermill, the offline nbconvert template and headless Chromium for the PDF).
"""

from __future__ import annotations

from pathlib import Path

from giftreview import paths
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError
from giftreview.pipeline import run as pipeline
from giftreview.report.comparison import NOTEBOOK, resolve_raw

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
) -> dict[str, Path]:
    """Execute notebooks/compare.py and write its HTML (and PDF) into ``out``.

    ``out`` defaults to ``reports/compare_A_vs_B/``. Uses the report pipeline of
    :mod:`giftreview.pipeline.run`: parameters checked against the notebook, a private kernel,
    papermill, the offline nbconvert template and headless Chromium for the PDF.
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
    params = dict(wave_a=str(raw_a), wave_b=str(raw_b), instrument_a=str(_abs(instrument_a)),
                  instrument_b=str(_abs(instrument_b)), confidence=float(confidence),
                  k=int(k))  # fmt: skip
    source = pipeline.notebooks_dir() / f"{NOTEBOOK}.py"
    pipeline.check_parameters(source, params)
    inst = load_instrument(_abs(instrument_b) or _abs(instrument_a) or None)
    name = f"Wave comparison: {raw_a.stem} and {raw_b.stem}"
    job = pipeline.NotebookJob(NOTEBOOK, source, name, params)
    written = {"ipynb": out / "notebooks" / f"{NOTEBOOK}.ipynb"}
    with pipeline.private_kernel() as kernel:
        nb = pipeline.execute_notebook(job, written["ipynb"], kernel, paths.PROJ_ROOT)
    written["html"] = out / f"{NOTEBOOK}.html"
    written["html"].write_text(pipeline.notebook_to_html(nb, name), encoding="utf-8")
    if "pdf" in formats:
        written["pdf"] = out / f"{NOTEBOOK}.pdf"
        with pipeline.Chromium() as browser:
            browser.print_pdf(written["html"], written["pdf"], inst.survey.running_header or name)
    if "html" not in formats:
        written.pop("html").unlink()
    return written


def _abs(p: str) -> str:
    return str(paths.from_root(p).resolve()) if p else ""
