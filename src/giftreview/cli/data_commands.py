"""Commands on raw exports: ``giftreview validate``, ``clean`` and ``init``.

Thin wrappers: the work is done by :mod:`giftreview.data`. Each command imports the library
modules it needs inside its function (each such line says "deferred: start-up"), so that
``giftreview --help`` does not load pandas.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer

from giftreview.cli.common import InstrumentOpt, SheetOpt, app, console
from giftreview.errors import ArgumentError
from giftreview.paths import is_under_raw

__all__ = ["validate_command", "clean_command", "init_command"]


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

    from giftreview.data import ahead  # deferred: start-up

    ahead.start(raw)  # the file's accounting pass, while pandas is imported
    from giftreview.data.validate import (  # deferred: start-up
        rule_counts_table,
        validate_file,
        validation_lines,
    )
    from giftreview.text.safety import write_table  # deferred: start-up

    gc.freeze()  # the libraries just imported are never garbage: collections skip their objects

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

    from giftreview.data import ahead  # deferred: start-up

    ahead.start(raw)  # the file's hash and accounting pass, while pandas is imported
    from giftreview.data.clean import (  # deferred: start-up
        accounting_line,
        clean_wave,
        summary_table,
    )

    gc.freeze()  # the libraries just imported are never garbage: collections skip their objects

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
