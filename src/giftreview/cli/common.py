"""What every ``giftreview`` command shares: the typer apps, the console and the common options.

The commands themselves live in one module per group (:mod:`giftreview.cli.data_commands`,
:mod:`giftreview.cli.stats_commands`, :mod:`giftreview.cli.report_commands`), which register on
:data:`app` and :data:`coding_app` when :mod:`giftreview.cli.app` imports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from giftreview.paths import processed_dir

__all__ = [
    "app",
    "coding_app",
    "console",
    "InstrumentOpt",
    "SheetOpt",
    "WaveArg",
    "QidArg",
    "SheetsArg",
    "CodingInstrumentOpt",
    "wave_folder",
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


InstrumentOpt = Annotated[
    Path | None,
    typer.Option(
        "--instrument", help="Instrument YAML (default instruments/ungift_partner_survey.yaml)."
    ),
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or 0-based index.")]


def wave_folder(wave: str) -> Path:
    """A wave's cleaned folder from a label (``data/processed/<wave>``, the label checked as a
    name) or from a folder path given as such (read as given)."""
    if Path(wave).is_dir() or "/" in wave or "\\" in wave:
        return Path(wave)
    return processed_dir(wave)


WaveArg = Annotated[str, typer.Argument(help="Wave label (data/processed/<wave>) or its folder.")]
QidArg = Annotated[str, typer.Argument(help="Open question id, e.g. B2.")]
SheetsArg = Annotated[list[Path], typer.Argument(help="Edited coding sheets, one per coder.")]
CodingInstrumentOpt = Annotated[
    Path | None, typer.Option("--instrument", help="Instrument YAML (default: the bundled one).")
]
