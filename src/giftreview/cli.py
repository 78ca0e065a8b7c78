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

Commands are defined here as thin wrappers; the work is done by the library modules.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from giftreview.errors import GiftreviewError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Turn raw survey responses into a reproducible report with statistical appendices.",
)
coding_app = typer.Typer(no_args_is_help=True, help="Code open answers by hand and check reliability.")
app.add_typer(coding_app, name="coding")

console = Console(stderr=True)


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

    from giftreview.errors import ArgumentError
    from giftreview.paths import is_under_raw
    from giftreview.safety import neutralise_frame
    from giftreview.validate import rule_counts_table, validate_file, validation_lines

    if out is not None and is_under_raw(out):
        raise ArgumentError(f"`--out` {out} lies under data/raw, which is never written")
    report = validate_file(raw, instrument, sheet=sheet)
    stdout = _Console()
    for line in validation_lines(report, limit):
        stdout.print(line, highlight=False, markup=False)
    stdout.print(rule_counts_table(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        neutralise_frame(report).to_csv(out, index=False, lineterminator="\n")
        stdout.print(f"report written to {out}", highlight=False)
    errors = int((report["severity"] == "error").sum())
    stdout.print(f"{errors} error(s), {len(report) - errors} warning(s)", highlight=False)
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

    from giftreview.clean import accounting_line, clean_wave, summary_table

    result = clean_wave(raw, instrument, wave=wave, out_dir=out, sheet=sheet)
    stdout = _Console()
    stdout.print(summary_table(result))
    stdout.print(accounting_line(result), highlight=False)
    stdout.print(f"outputs written to {result.out_dir}", highlight=False)


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
) -> None:
    """Draft an instrument file from a raw export; every guess is marked '# REVIEW'."""
    from giftreview.draft import write_draft
    from giftreview.instrument import load_instrument

    path = write_draft(raw, out, force=force)
    inst = load_instrument(path)
    console.print(
        f"draft instrument written to {path} ({len(inst.questions)} questions); "
        "check every line marked '# REVIEW'",
        highlight=False,
    )


# ---- end of issue 6 block -----------------------------------------------------------------------



def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``giftreview`` console script."""
    try:
        code = app(args=argv, prog_name="giftreview", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) is returned, not raised, here
            sys.exit(code)
    except GiftreviewError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:  # raised by commands to set an exit code
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(130)
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
