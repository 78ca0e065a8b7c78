"""Commands on cleaned waves: ``giftreview coding export|import|reliability`` and ``breakdown``.

Thin wrappers: the work is done by :mod:`giftreview.text.coding`,
:mod:`giftreview.analysis.reliability`, :mod:`giftreview.analysis.stats` and
:mod:`giftreview.analysis.disclosure`, imported inside each command ("deferred: start-up").
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from giftreview import paths
from giftreview.cli.common import (
    CodingInstrumentOpt,
    QidArg,
    SheetsArg,
    WaveArg,
    app,
    coding_app,
    console,
    wave_folder,
)

__all__ = [
    "coding_export_command",
    "coding_import_command",
    "coding_reliability_command",
    "breakdown_command",
]


def _coding_inputs(wave: str, qid: str, instrument: Path | None):
    """Clean table, instrument and codebook of ``qid`` for a wave label or folder."""
    from giftreview.data.instrument import load_instrument  # deferred: start-up
    from giftreview.data.io import load_clean  # deferred: start-up
    from giftreview.text.codebook import codebook_for  # deferred: start-up

    folder = wave_folder(wave)
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

    folder = wave_folder(wave)
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
