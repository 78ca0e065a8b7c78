"""Commands that render reports: ``giftreview compare``, ``tutorial`` and ``run``.

Thin wrappers around :mod:`giftreview.pipeline`; each refreshes ``reports/index.html``, the page
linking every report. The pipeline is imported inside each command ("deferred: start-up"): it
loads papermill and the browser driver.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from giftreview import paths
from giftreview.cli.common import app, console

__all__ = ["compare_command", "tutorial_command", "run_command"]


@app.command("compare")
def compare_command(
    wave_a: Annotated[str, typer.Argument(help="Earlier wave: raw file or label in data/raw.")],
    wave_b: Annotated[str, typer.Argument(help="Later wave: raw file or label in data/raw.")],
    instrument_a: Annotated[
        Path | None, typer.Option("--instrument-a", help="Instrument of wave A.")
    ] = None,
    instrument_b: Annotated[
        Path | None, typer.Option("--instrument-b", help="Instrument of wave B (default A's).")
    ] = None,
    formats: Annotated[str, typer.Option("--formats", help="html, pdf or html,pdf.")] = "html,pdf",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/compare_A_vs_B).")
    ] = None,
    confidence: Annotated[
        float | None, typer.Option("--confidence", help="Interval level (default 0.95).")
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="Suppress counts below k (0 = off; default 5).")
    ] = None,
) -> None:
    """Compare two waves: changes with intervals, independent and paired tests, as HTML/PDF."""
    from giftreview.pipeline.compare import render_comparison  # deferred: start-up

    given = {"instrument_a": instrument_a, "instrument_b": instrument_b}
    given |= {"confidence": confidence, "k": k}
    sources = {"wave_a": "cli", "wave_b": "cli"}
    sources |= {key: "default" if value is None else "cli" for key, value in given.items()}
    written = render_comparison(
        wave_a,
        wave_b,
        instrument_a=str(instrument_a or ""),
        instrument_b=str(instrument_b or ""),
        out=out,
        formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
        confidence=0.95 if confidence is None else confidence,
        k=5 if k is None else k,
        sources=sources,
    )
    for kind, path in written.items():
        console.print(f"{kind}: {path}", highlight=False)
    _update_reports_index(Path(next(iter(written.values()))).parent)


def _update_reports_index(out_dir: Path) -> None:
    """Refresh reports/index.html, the page linking every report, when out_dir is under it."""
    from giftreview.report.index import write_reports_index  # deferred: start-up

    index = write_reports_index(out_dir)
    if index is not None:
        console.print(f"all reports: {escape(str(index))}", highlight=False)


@app.command("tutorial")
def tutorial_command(
    version: Annotated[
        str, typer.Option("--version", help="student (no solutions), teacher or both.")
    ] = "both",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/tutorial).")
    ] = None,
) -> None:
    """Render the tutorial notebook to HTML: student and/or teacher version."""
    from giftreview.pipeline.tutorial import render_tutorial  # deferred: start-up

    written = render_tutorial(version, out=out)
    for kind, path in written.items():
        console.print(f"{kind}: {path}", highlight=False)
    _update_reports_index(Path(next(iter(written.values()))).parent)


@app.command("run")
def run_command(
    raw: Annotated[
        Path | None,
        typer.Argument(help="Raw export (default: the first bundled wave in data/raw/)."),
    ] = None,
    instrument: Annotated[
        Path | None, typer.Option("--instrument", help="Instrument YAML.")
    ] = None,
    wave: Annotated[
        str | None, typer.Option("--wave", help="Wave label (default: file stem).")
    ] = None,
    formats: Annotated[
        str, typer.Option("--formats", help="Comma-separated: html, pdf (PDF needs Chromium).")
    ] = "html,pdf",
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default reports/<wave>).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rerun every step, ignoring the cache.")
    ] = False,
    jobs: Annotated[int, typer.Option("--jobs", help="Notebooks executed at the same time.")] = 2,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="Question to break down by (default: the instrument's)."),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="Suppress counts below k (0 = off; default 5).")
    ] = None,
    confidence: Annotated[
        float | None, typer.Option("--confidence", help="Interval level (default 0.95).")
    ] = None,
    weights: Annotated[
        bool | None,
        typer.Option(
            "--weights/--no-weights",
            help="Weighted report, every figure design-based: the instrument's design: block, "
            "or post-stratified to its contacted totals (default off; a design: block turns it on).",
        ),
    ] = None,
    cell_timeout: Annotated[
        float, typer.Option("--cell-timeout", help="Seconds one notebook cell may run.")
    ] = 600.0,
    names_shown: Annotated[
        int | None,
        typer.Option(
            "--names-shown",
            help="Names each group of a list question shows on the page; every name is in its "
            "CSV file (default 30).",
        ),
    ] = None,
) -> None:
    """Clean a raw wave and render its report (HTML, PDF, executed notebooks, index.html).

    Unset options take the project's defaults from giftreview.toml or [tool.giftreview] in
    pyproject.toml, then the instrument's group_by, then the built-in defaults.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from giftreview.cli.settings import resolve_settings  # deferred: start-up
    from giftreview.data.instrument import load_instrument  # deferred: start-up
    from giftreview.pipeline.plan import RunSettings, default_raw  # deferred: start-up
    from giftreview.pipeline.run import run_report  # deferred: start-up

    instrument = instrument or paths.DEFAULT_INSTRUMENT
    given = {"group_by": group_by, "k": k, "confidence": confidence, "weights": weights}
    given["names_shown"] = names_shown
    resolved = resolve_settings(given, load_instrument(instrument))
    settings = RunSettings(
        raw=raw or default_raw(),
        instrument=instrument,
        wave=wave,
        out=out,
        formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
        force=force,
        jobs=jobs,
        cell_timeout=cell_timeout,
        **resolved.values,
        sources=resolved.sources,
    )
    console.print(
        "settings: " + "; ".join(f"{key} {v}" for key, v in resolved.described().items()),
        highlight=False,
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        result = run_report(settings, progress=progress)
    _update_reports_index(Path(result.out_dir))
    if result.cached:
        console.print(
            f"up to date: inputs unchanged, nothing rerun ({result.seconds:.2f} s); "
            f"reports in {escape(str(result.out_dir))}/ (use --force to rerun)"
        )
        return
    reran = [j.name for j in result.jobs if j.status == "done"]
    kept = [j.name for j in result.jobs if j.status == "cached"]
    console.print(
        f"reports written to {escape(str(result.out_dir))}/index.html in {result.seconds:.1f} s; "
        f"rendered: {', '.join(reran) or 'none'}"
        + (f"; unchanged, kept: {', '.join(kept)}" if kept else "")
    )
