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
        app(args=argv, prog_name="giftreview", standalone_mode=False)
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
