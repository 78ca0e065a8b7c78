"""The ``giftreview`` command line.

Every expected failure is a :class:`~giftreview.errors.GiftreviewError`; :func:`main` prints its
message (no traceback) and exits with the error's code. Exit codes:

====  ==========================================================================
0     success
1     the data have problems (``validate`` found errors / ``clean`` quarantined rows is *not* 1)
2     wrong arguments or a value the library cannot use
3     instrument, codebook or alias file is malformed
4     the raw file cannot be read (missing, empty, binary, unknown encoding)
5     the data break a rule cleaning cannot repair (e.g. a required column is missing)
6     rendering a report failed (a notebook cell, nbconvert or the PDF printer)
70    an unexpected internal error (a bug: please report it with the message)
====  ==========================================================================

Commands are defined here as thin wrappers; the work is done by the library modules. Each
command imports the library modules it needs inside its function (each such line says
"deferred: start-up"): importing pandas, scipy and papermill for every command would make
``giftreview --help`` take seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from giftreview import paths
from giftreview.errors import ArgumentError, GiftreviewError
from giftreview.paths import is_under_raw, processed_dir

__all__ = [
    "app",
    "coding_app",
    "console",
    "InstrumentOpt",
    "SheetOpt",
    "validate_command",
    "clean_command",
    "init_command",
    "compare_command",
    "tutorial_command",
    "run_command",
    "WaveArg",
    "QidArg",
    "SheetsArg",
    "CodingInstrumentOpt",
    "coding_export_command",
    "coding_import_command",
    "coding_reliability_command",
    "breakdown_command",
    "main",
]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn raw survey responses into a reproducible report with statistical appendices.",
)
coding_app = typer.Typer(
    no_args_is_help=True, help="Code open answers by hand and check reliability."
)
app.add_typer(coding_app, name="coding")

# soft_wrap: messages are not broken at the terminal width, so paths in them stay copyable.
console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _root() -> None:
    """giftreview: validate, clean, analyse and render a recurring survey."""


# ---- issue 2: validate, clean (owner: data contract) -------------------------------------------
InstrumentOpt = Annotated[
    Path | None,
    typer.Option(
        "--instrument", help="Instrument YAML (default instruments/ungift_partner_survey.yaml)."
    ),
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or 0-based index.")]


@app.command("validate")
def validate_command(
    raw: Annotated[Path, typer.Argument(help="Raw export: CSV, XLSX or SPSS .sav.")],
    instrument: InstrumentOpt = None,
    sheet: SheetOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the full report as CSV here.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Problems shown in the terminal.")] = 40,
) -> None:
    """Report every problem of a raw export at once (nothing is cleaned or written).

    Exit codes: 0 no errors (warnings allowed); 1 errors found; 3 bad instrument; 4 unreadable
    file; 5 a required column is missing.
    """
    from rich.console import Console as _Console

    from giftreview.data.validate import (  # deferred: start-up
        rule_counts_table,
        validate_file,
        validation_lines,
    )
    from giftreview.text.safety import write_table  # deferred: start-up

    if out is not None and is_under_raw(out):
        raise ArgumentError(f"`--out` {out} lies under data/raw, which is never written")
    report = validate_file(raw, instrument, sheet=sheet)
    stdout = _Console()
    for line in validation_lines(report, limit):
        stdout.print(line, highlight=False, markup=False)
    stdout.print(rule_counts_table(report))
    if out is not None:
        write_table(report, out)
        stdout.print(f"report written to {out}", highlight=False)
    errors = int((report["severity"] == "error").sum())
    stdout.print(
        f"{raw.name}: {errors} error(s), {len(report) - errors} warning(s)",
        highlight=False,
        soft_wrap=True,
    )
    if errors:
        raise typer.Exit(1)


@app.command("clean")
def clean_command(
    raw: Annotated[Path, typer.Argument(help="Raw export: CSV, XLSX or SPSS .sav.")],
    instrument: InstrumentOpt = None,
    wave: Annotated[
        str | None, typer.Option("--wave", help="Wave label (default: the file's stem).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default data/processed/<wave>).")
    ] = None,
    sheet: SheetOpt = None,
) -> None:
    """Validate and clean a raw export into data/processed/<wave>/ with audit and quarantine.

    Exit codes: 0 cleaned (quarantined rows do not change this); 2 bad argument; 3 bad
    instrument; 4 unreadable file; 5 a required column is missing.
    """
    from rich.console import Console as _Console

    from giftreview.data.clean import (  # deferred: start-up
        accounting_line,
        clean_wave,
        summary_table,
    )

    result = clean_wave(raw, instrument, wave=wave, out_dir=out, sheet=sheet)
    stdout = _Console()
    stdout.print(summary_table(result))
    stdout.print(f"{Path(raw).name}: {accounting_line(result)}", highlight=False, soft_wrap=True)
    stdout.print(f"outputs written to {result.out_dir}", highlight=False)
    counts = result.counts
    if counts["raw_rows"] and counts["quarantined_rows"] > counts["raw_rows"] / 2:
        console.print(
            f"warning: {counts['quarantined_rows']} of {counts['raw_rows']} rows are quarantined "
            "(see quarantine.csv for the reasons): the instrument probably does not fit this "
            "export - check raw.respondent_id and the header rows (docs/new-survey.md)",
            highlight=False,
        )


# ---- end of issue 2 block -----------------------------------------------------------------------


# ---- issue 6: init, compare, tutorial (owner: wave comparison / new survey / teaching) ----------
@app.command("init")
def init_command(
    raw: Annotated[Path, typer.Argument(help="Raw export (CSV, XLSX, SPSS) of the new survey.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the draft (default instruments/<stem>.yaml)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    form: Annotated[
        Path | None,
        typer.Option(
            "--form",
            help="The questionnaire: XLSForm (KoBoToolbox/ODK) or LimeSurvey survey structure.",
        ),
    ] = None,
) -> None:
    """Draft an instrument file from a raw export; every guess is marked '# REVIEW'.

    Qualtrics, SurveyMonkey, KoBoToolbox, LimeSurvey and SPSS exports are recognised; their
    wording, header rows, choices and value labels fill the draft.
    """
    from giftreview.data.draft import write_draft  # deferred: start-up
    from giftreview.data.instrument import load_instrument  # deferred: start-up

    path = write_draft(raw, out, force=force, form=form)
    inst = load_instrument(path)
    console.print(
        f"draft instrument written to {path} ({len(inst.questions)} questions); "
        "check every line marked '# REVIEW'",
        highlight=False,
    )


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
    confidence: Annotated[float, typer.Option("--confidence", help="Interval level.")] = 0.95,
    k: Annotated[int, typer.Option("--k", help="Suppress counts below k (0 = off).")] = 5,
) -> None:
    """Compare two waves: changes with intervals, independent and paired tests, as HTML/PDF."""
    from giftreview.pipeline.compare import render_comparison  # deferred: start-up

    written = render_comparison(
        wave_a,
        wave_b,
        instrument_a=str(instrument_a or ""),
        instrument_b=str(instrument_b or ""),
        out=out,
        formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
        confidence=confidence,
        k=k,
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


# ---- end of issue 6 block -----------------------------------------------------------------------


# ---- issue 5: run (owner: notebooks and rendered reports) --------------------------------------
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


# ---- end of issue 5 block -----------------------------------------------------------------------


# ---- issue 4: coding export / import / reliability (owner: open answers) ----------------------
def _wave_folder(wave: str) -> Path:
    """A wave's cleaned folder from a label (``data/processed/<wave>``, the label checked as a
    name) or from a folder path given as such (read as given)."""
    if Path(wave).is_dir() or "/" in wave or "\\" in wave:
        return Path(wave)
    return processed_dir(wave)


def _coding_inputs(wave: str, qid: str, instrument: Path | None):
    """Clean table, instrument and codebook of ``qid`` for a wave label or folder."""
    from giftreview.data.instrument import load_instrument  # deferred: start-up
    from giftreview.data.io import load_clean  # deferred: start-up
    from giftreview.text.codebook import codebook_for  # deferred: start-up

    folder = _wave_folder(wave)
    inst = load_instrument(instrument)
    return folder, load_clean(folder), inst, codebook_for(inst, qid)


def _print_frame(frame, title: str) -> None:
    from rich.console import Console as _Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for c in frame.columns:
        table.add_column(str(c))
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)
                        for v in row))  # fmt: skip
    _Console().print(table)


def _reliability_display(table):
    """Reliability table for the terminal: estimates with their intervals in brackets."""
    import pandas as pd

    def ci(est, low, high) -> str:
        return "n/a" if pd.isna(est) else f"{est:.2f} [{low:.2f}, {high:.2f}]"

    return pd.DataFrame(
        {
            "theme": table["theme"],
            "answers": table["n_units"],
            "agreement": [f"{100 * a:.0f}%" for a in table["agreement"]],
            "kappa [95% CI]": [ci(*r) for r in table[["kappa", "kappa_low", "kappa_high"]].values],
            "alpha [95% CI]": [ci(*r) for r in table[["alpha", "alpha_low", "alpha_high"]].values],
        }
    )


WaveArg = Annotated[str, typer.Argument(help="Wave label (data/processed/<wave>) or its folder.")]
QidArg = Annotated[str, typer.Argument(help="Open question id, e.g. B2.")]
SheetsArg = Annotated[list[Path], typer.Argument(help="Edited coding sheets, one per coder.")]
CodingInstrumentOpt = Annotated[
    Path | None, typer.Option("--instrument", help="Instrument YAML (default: the bundled one).")
]


@coding_app.command("export")
def coding_export_command(
    wave: WaveArg,
    qid: QidArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Sheet path, .xlsx or .csv (default data/processed/<wave>/coding/"
            "<QID>_coding_sheet.xlsx).",
        ),
    ] = None,
    coder: Annotated[str, typer.Option("--coder", help="Coder name written in the sheet.")] = "",
    prefill: Annotated[
        bool, typer.Option("--prefill/--blank", help="Pre-fill the auto codes (default) or not.")
    ] = True,
    instrument: CodingInstrumentOpt = None,
) -> None:
    """Write a coding sheet: one row per answer, one 0/1 column per theme."""
    from giftreview.text.coding import code_question  # deferred: start-up
    from giftreview.text.sheets import export_sheet  # deferred: start-up

    folder, data, inst, codebook = _coding_inputs(wave, qid, instrument)
    coded = code_question(data, inst, qid, codebook=codebook)
    if out is None:  # the question id goes into the file name: keep it inside the wave folder
        out = paths.inside(folder / "coding" / f"{qid}_coding_sheet.xlsx", folder)
    path = out
    export_sheet(coded, data, path, prefill=prefill, coder=coder)
    print(f"{len(coded.answered)} answers, {len(codebook.themes)} themes "
          f"({len(coded.uncoded)} answers without an auto code) -> {path}")  # fmt: skip


@coding_app.command("import")
def coding_import_command(
    wave: WaveArg,
    qid: QidArg,
    sheets: SheetsArg,
    rule: Annotated[
        str, typer.Option("--rule", help="Combine coders: majority, any or all.")
    ] = "majority",
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Leave rows with errors out instead of stopping.")
    ] = False,
    instrument: CodingInstrumentOpt = None,
) -> None:
    """Read edited sheets, report their problems and count themes with human codes first.

    Writes data/processed/<wave>/coding/<QID>_codes.csv (the final codes with their source).
    """
    from giftreview.text.coding import code_question  # deferred: start-up
    from giftreview.text.frequencies import theme_frequencies  # deferred: start-up
    from giftreview.text.safety import write_table  # deferred: start-up
    from giftreview.text.sheets import import_sheets  # deferred: start-up

    folder, data, inst, codebook = _coding_inputs(wave, qid, instrument)
    human = import_sheets(sheets, codebook, data, strict=not lenient)
    for r in human.problems.itertuples(index=False):
        where = f"{r.file} row {r.row}" if r.row else r.file
        print(f"{r.severity}: {where}: {r.problem}")
    coded = code_question(data, inst, qid, human=human, codebook=codebook, rule=rule)
    freq = theme_frequencies(coded, data, k=0)
    cols = ["theme", "n", "base", "pct", "n_auto", "n_human", "source"]
    _print_frame(freq[cols], f"{qid}: respondents per theme (coders: {', '.join(human.coders)})")
    path = write_table(coded.codes, folder / "coding" / f"{qid}_codes.csv", folder=folder)
    print(f"codes written to {path}")


@coding_app.command("reliability")
def coding_reliability_command(
    wave: WaveArg,
    qid: QidArg,
    sheets: SheetsArg,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 20100301,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV.")] = None,
    instrument: CodingInstrumentOpt = None,
) -> None:
    """Agreement between coders per theme and overall: %, Cohen's kappa, Krippendorff's alpha."""
    from giftreview.analysis.reliability import reliability  # deferred: start-up
    from giftreview.text.sheets import import_sheets  # deferred: start-up

    _, data, _, codebook = _coding_inputs(wave, qid, instrument)
    human = import_sheets(sheets, codebook, data)
    table = reliability(human.codes, themes=codebook.ids, n_boot=n_boot, seed=seed)
    title = f"{qid}: agreement of {', '.join(human.coders)} (95% bootstrap, seed {seed})"
    _print_frame(_reliability_display(table), title)
    if out is not None:
        from giftreview.text.safety import write_table  # deferred: start-up

        write_table(table, out)
        print(f"table written to {out}")


# ---- end of issue 4 block -----------------------------------------------------------------------


# ---- issue 3: breakdown (owner: statistics core) -----------------------------------------------
@app.command("breakdown")
def breakdown_command(
    wave: Annotated[str, typer.Argument(help="wave label (data/processed/<wave>) or its folder")],
    qid: Annotated[str, typer.Argument(help="closed question to break down, e.g. B1")],
    by: Annotated[str | None, typer.Option(help="grouping column (default: group_by)")] = None,
    k: Annotated[int, typer.Option(help="suppress counts below k (0 = off)")] = 5,
    confidence: Annotated[float, typer.Option(help="two-sided interval level")] = 0.95,
    instrument: Annotated[Path | None, typer.Option(help="instrument YAML file")] = None,
    weights: Annotated[
        bool,
        typer.Option(
            "--weights",
            help="design-based test (the instrument's design: block, or its contacted totals)",
        ),
    ] = False,
) -> None:
    """Print QID by group as it may be published (small cells suppressed) and its test."""
    from rich.console import Console as _Console
    from rich.table import Table

    from giftreview.analysis import disclosure, stats  # deferred: start-up
    from giftreview.analysis.design import weighted_data  # deferred: start-up
    from giftreview.data.instrument import load_instrument  # deferred: start-up
    from giftreview.data.io import load_clean  # deferred: start-up

    folder = _wave_folder(wave)
    inst = load_instrument(instrument)
    data, design = weighted_data(load_clean(folder), inst, weights=weights, by=by)
    b = stats.breakdown_question(data, inst, qid, by=by, confidence=confidence, design=design)
    wide = disclosure.wide_counts(b.table)
    shown = disclosure.suppress(wide, k=k) if k else None
    display = shown.display if shown else wide.astype(int).astype(str)
    out = Table(title=f"{qid} by {b.by} (n; '<{k}' and 'x' suppressed)", title_justify="left")
    for c in ["", *map(str, display.columns)]:
        out.add_column(c)
    for label, row in display.iterrows():
        out.add_row(str(label), *map(str, row))
    _Console().print(out)
    for t in b.tests.itertuples(index=False):
        _Console().print(
            f"{t.outcome}: {t.test}, statistic {t.statistic:.3f}, p = {t.p_value:.4g}, "
            f"{t.effect_measure} = {t.effect_size:.3f}, n = {t.n} ({t.reason})",
            highlight=False,
        )
    if shown:
        console.print(f"suppressed: {shown.n_primary} primary, {shown.n_secondary} secondary")


# ---- end of issue 3 block -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``giftreview`` console script."""
    try:
        code = app(args=argv, prog_name="giftreview", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) is returned, not raised, here
            sys.exit(code)
    except GiftreviewError as exc:
        # escaped: a message quoting a path or an answer such as "[/tmp/x]" is text, not markup
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:  # raised by commands to set an exit code
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(130)
    except OSError as exc:  # a path the system refuses (permissions, a full disk, a folder)
        where = exc.filename if exc.filename is not None else "a file"
        console.print(
            f"[bold red]error:[/] {escape(str(where))}: {escape(exc.strerror or str(exc))}; check "
            "the path, its permissions and the free space, or choose another --out",
            highlight=False,
            markup=True,
        )
        sys.exit(2)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in giftreview; please report it with the command you ran.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":  # pragma: no cover
    main()
