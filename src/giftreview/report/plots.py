"""Report figures: seaborn/matplotlib, colour-blind-safe, deterministic PNG with alt text.

Every function takes a tidy table as :mod:`giftreview.analysis.stats` returns it (columns ``level, n, base,
pct, ci_low, ci_high``; breakdowns add ``group``), the question wording as ``title`` and the base
``n`` for the caption, and returns a :class:`matplotlib.figure.Figure`. :func:`figure` turns
a figure into a view model (PNG bytes, alt text, caption) that the ``figure`` macro of
``report/macros.html.j2`` renders as one self-contained image with its caption.

The PNG bytes do not depend on the date or the machine's locale: matplotlib's ``Software``
metadata is dropped, the font is the bundled DejaVu Sans and the size and dpi are fixed, so two
runs give the same bytes.

Palettes: categorical figures use the Okabe-Ito colours (seaborn's ``colorblind`` palette);
diverging rating charts use ColorBrewer ``BrBG`` (colour-blind safe), neutral in grey.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from giftreview.errors import ArgumentError, check_column
from giftreview.report.views import Figure as FigureView

__all__ = [
    "STYLE",
    "DPI",
    "WIDTH",
    "OVERALL",
    "NEUTRAL_GREY",
    "SUPPRESSED",
    "palette",
    "diverging_palette",
    "wrap",
    "share_bars",
    "diverging_bars",
    "battery_bars",
    "score_histogram",
    "symmetric_ticks",
    "png_bytes",
    "figure",
    "describe_shares",
]

#: the figure style of every chart (fixed font so output is identical on every machine)
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "giftreview",
    "path.simplify": True,
}
DPI = 110
WIDTH = 7.2  # inches: the text width of an A4 page with the report's margins
OVERALL = "All respondents"
NEUTRAL_GREY = "#bdbdbd"
#: level of a chart row holding the share of a group's suppressed cells, drawn hatched at the end
SUPPRESSED = "suppressed (small cells)"


def palette(n: int) -> list:
    """``n`` colour-blind-safe categorical colours (Okabe-Ito, via seaborn)."""
    return sns.color_palette("colorblind", n_colors=max(n, 1))


def diverging_palette(n_low: int, n_high: int) -> tuple[list, list]:
    """Colours of the levels below and above the neutral point (ColorBrewer BrBG)."""
    side = max(n_low, n_high, 1)
    colours = sns.color_palette("BrBG", n_colors=2 * side + 1)
    low = colours[:side][side - n_low :]
    high = colours[side + 1 :][:n_high]
    return list(low), list(high)


def wrap(text: str, width: int = 80) -> str:
    """Wrap a question's wording for a chart title."""
    return "\n".join(textwrap.wrap(str(text), width=width)) or str(text)


def _check(table: pd.DataFrame, columns: Sequence[str], argument: str = "table") -> None:
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError(f"`{argument}` must be a pandas DataFrame, got {type(table).__name__}")
    for col in columns:
        check_column(table, col, argument)


def _figure(height: float) -> tuple[Figure, Axes]:
    # A bare Figure (no pyplot): no global figure manager, safe in threads and in a kernel.
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    return fig, fig.add_subplot()


# ---- charts -----------------------------------------------------------------------------------
def share_bars(
    table: pd.DataFrame,
    *,
    title: str,
    n: int,
    intervals: bool = False,
    unit: str = "respondents",
) -> Figure:
    """Horizontal bars of the share of each level (single choice, count bins, multi choice).

    Parameters
    ----------
    table
        One row per level: ``level`` and ``pct`` (0-100); with ``intervals=True`` also
        ``ci_low``/``ci_high`` (0-100), drawn as error bars.
    title
        The question wording.
    n
        The base (respondents who answered), printed in the axis label.
    unit
        What the base counts, in the plural (the instrument's ``unit``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(table, ["level", "pct", *(["ci_low", "ci_high"] if intervals else [])])
    labels = [wrap(v, 38) for v in table["level"].astype(str)]
    pct = table["pct"].to_numpy(dtype=float)
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure(0.9 + 0.38 * len(labels))
        y = np.arange(len(labels))
        ax.barh(y, np.nan_to_num(pct), color=palette(1)[0], height=0.65)
        if intervals:
            lo = pct - table["ci_low"].to_numpy(dtype=float)
            hi = table["ci_high"].to_numpy(dtype=float) - pct
            ax.errorbar(
                pct,
                y,
                xerr=[np.nan_to_num(lo), np.nan_to_num(hi)],
                fmt="none",
                ecolor="#333333",
                capsize=3,
                lw=1,
            )
        right = np.nanmax(table["ci_high"]) if intervals else np.nanmax(pct) if len(pct) else 0
        ends = table["ci_high"].to_numpy(dtype=float) if intervals else pct
        for yi, p, end in zip(y, pct, ends, strict=True):
            if np.isfinite(p):
                x = (end if np.isfinite(end) else p) + 1
                ax.text(x, yi, f"{p:.0f}%", va="center", ha="left", fontsize=8)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, min(100, (right if np.isfinite(right) else 0) + 12) or 10)
        ax.set_xlabel(f"% of {unit} who answered (n = {n})")
        ax.set_title(wrap(title), loc="left")
        fig.tight_layout()
    return fig


def diverging_bars(
    table: pd.DataFrame,
    *,
    levels: Sequence[str],
    neutral: str | None,
    title: str,
    n: int,
    overall_label: str = OVERALL,
) -> Figure:
    """Diverging stacked bars of a rating scale, overall and by group, on ONE shared axis.

    Parameters
    ----------
    table
        Tidy ``group, level, pct`` (row percentages of each group, 0-100); the overall row has
        ``group == "All respondents"`` (:data:`OVERALL`) and is drawn first.
    levels
        Scale level labels from lowest to highest.
    neutral
        Label of the middle level: its share is split half left, half right of zero, so the
        bars are centred on the neutral point (the R ``likert`` package's convention). With
        ``None`` (an even scale) the bars are split at the midpoint, between the two middle
        levels, and the axis label says so.
    title, n
        Question wording and base for the caption.
    overall_label
        How the overall row is labelled (e.g. "All people", from the instrument's ``unit``).

    Notes
    -----
    Left of zero are the levels below the neutral point (negative x), right those above; the
    x axis is shared by every group so their bars can be compared directly. It is symmetric
    about 0 with a tick at 0. Rows with level :data:`SUPPRESSED` (the summed share of a group's
    suppressed cells) are drawn hatched at the right end of their bar, so no suppressed cell's
    share can be read off the chart.
    """
    _check(table, ["group", "level", "pct"])
    levels = _checked_levels(table, levels, neutral)
    extra = [SUPPRESSED] if (table["level"].astype(str) == SUPPRESSED).any() else []
    wide = _wide_rows(table, levels + extra).rename(index={OVERALL: overall_label})
    return _diverging_chart(
        wide, levels, neutral, title, f"{_centre_words(levels, neutral)} (n = {n})"
    )


def battery_bars(
    table: pd.DataFrame,
    *,
    levels: Sequence[str],
    neutral: str | None,
    title: str,
) -> Figure:
    """A battery: every item a diverging bar on one shared axis, sorted by agreement.

    This is the plot R's likert package draws for a grid of items sharing one scale
    (``plot(likert(items))``): the item with the largest share above the neutral point (or
    above the midpoint of an even scale) on top.

    Parameters
    ----------
    table
        Tidy ``item, level, pct`` (each item's distribution over its valid answers, 0-100) and
        ``n`` (the item's base, the same on every row of the item).
    levels, neutral
        As :func:`diverging_bars`.
    title
        The battery's stem.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(table, ["item", "level", "pct", "n"])
    levels = _checked_levels(table, levels, neutral)
    bases = table.groupby("item", sort=False)["n"].first()
    labelled = table.assign(group=[f"{i} (n = {bases[i]})" for i in table["item"]])
    wide = _wide_rows(labelled, levels)
    _, above = _halves(levels, neutral)
    wide = wide.loc[wide[above].sum(axis=1).sort_values(ascending=False, kind="stable").index]
    return _diverging_chart(wide, levels, neutral, title, _centre_words(levels, neutral))


def score_histogram(
    scores: pd.Series, *, low: float, high: float, title: str, xlabel: str
) -> Figure:
    """Distribution of a multi-item scale's scores: a histogram on the scale's range.

    Parameters
    ----------
    scores
        One score per respondent (NaN left out).
    low, high
        The range the score can take (e.g. 1 and 6 for the mean of six-point items).
    title, xlabel
        The scale's name and what the score is (with its n).
    """
    x = pd.to_numeric(scores, errors="coerce").dropna().to_numpy(dtype=float)
    if high <= low:
        raise ArgumentError(f"`high` {high!r} must exceed `low` {low!r}")
    edges = np.linspace(low, high, 21)
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure(2.6)
        counts, _ = np.histogram(x, bins=edges)
        pct = 100 * counts / max(len(x), 1)
        ax.bar(edges[:-1], pct, width=np.diff(edges), align="edge", color=palette(1)[0],
               edgecolor="white")  # fmt: skip
        ax.set_xlim(low, high)
        ax.set_ylabel("% of scores")
        ax.set_xlabel(xlabel)
        ax.set_title(wrap(title), loc="left")
        fig.tight_layout()
    return fig


def _checked_levels(table: pd.DataFrame, levels: Sequence[str], neutral: str | None) -> list:
    levels = list(levels)
    unknown = sorted(set(table["level"].astype(str)) - set(levels) - {SUPPRESSED})
    if unknown:
        raise ArgumentError(f"`table` has levels {unknown} that are not in `levels` {levels}")
    if neutral is not None and neutral not in levels:
        raise ArgumentError(f"`neutral` {neutral!r} is not one of `levels` {levels}")
    return levels


def _halves(levels: list[str], neutral: str | None) -> tuple[list[str], list[str]]:
    """Levels below and above the neutral level (or the midpoint of an even scale)."""
    if neutral is not None:
        mid = levels.index(neutral)
        return levels[:mid], levels[mid + 1 :]
    return levels[: len(levels) // 2], levels[len(levels) // 2 :]


def _centre_words(levels: list[str], neutral: str | None) -> str:
    if neutral is not None:
        return "% of valid answers, centred on the neutral level"
    below, above = _halves(levels, neutral)
    return f"% of valid answers, split at the midpoint between {below[-1]!r} and {above[0]!r}"


def _diverging_chart(
    wide: pd.DataFrame, levels: list[str], neutral: str | None, title: str, xlabel: str
) -> Figure:
    """Draw rows x levels percentages as diverging stacked bars (see :func:`diverging_bars`)."""
    extra = [c for c in wide.columns if c == SUPPRESSED]
    groups = list(wide.index)
    below, above = _halves(levels, neutral)
    c_low, c_high = diverging_palette(len(below), len(above))
    half = wide[neutral] / 2 if neutral is not None else pd.Series(0.0, index=wide.index)
    with matplotlib.rc_context(STYLE):
        fig, ax = _figure(1.3 + 0.42 * len(groups))
        y = np.arange(len(groups))
        start = -(half + wide[below].sum(axis=1))
        segments = [(lv, c) for lv, c in zip(below, c_low, strict=True)]
        if neutral is not None:
            segments.append((neutral, NEUTRAL_GREY))
        segments += [(lv, c) for lv, c in zip(above, c_high, strict=True)]
        for lv, colour in segments:
            ax.barh(y, wide[lv], left=start, color=colour, height=0.65, label=lv)
            start = start + wide[lv]
        for lv in extra:
            ax.barh(
                y,
                wide[lv],
                left=start,
                color="white",
                edgecolor=NEUTRAL_GREY,
                hatch="////",
                height=0.65,
                label=lv,
            )
        left = half + wide[below].sum(axis=1)
        right = half + wide[above].sum(axis=1) + wide[extra].sum(axis=1)
        _symmetric_percent_axis(ax, float(max(left.max(), right.max(), 10.0)))
        ax.set_yticks(y, [wrap(g, 34) for g in groups])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(wrap(title), loc="left")
        ax.legend(fontsize=7.5, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return fig


def _wide_rows(table: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Groups x levels percentages, the overall row first."""
    wide = (
        table.assign(level=table["level"].astype(str), group=table["group"].astype(str))
        .pivot_table(index="group", columns="level", values="pct", aggfunc="sum", sort=False)
        .reindex(columns=levels)
        .fillna(0.0)
    )
    groups = [OVERALL] if OVERALL in wide.index else []
    return wide.reindex(groups + [g for g in wide.index if g != OVERALL])


def symmetric_ticks(reach: float) -> np.ndarray:
    """Ticks of a diverging percent axis: symmetric about 0, with a tick at 0.

    The step is 10, 20 or 25 points depending on ``reach`` (the longest bar from 0); the axis
    runs to the first multiple of the step at least 5 points beyond it (at most 100).
    """
    step = 25 if reach > 55 else (20 if reach > 35 else 10)
    lim = min(100.0, np.ceil((reach + 5) / step) * step)
    right = np.arange(0, lim + step / 2, step)
    return np.concatenate([-right[:0:-1], right])


def _symmetric_percent_axis(ax: Axes, reach: float) -> None:
    """x axis from -lim to lim, ticks symmetric with one at 0, labelled in absolute %."""
    ticks = symmetric_ticks(reach)
    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_xticks(ticks, [f"{abs(t):.0f}%" for t in ticks])
    ax.axvline(0, color="#333333", lw=0.8)


# ---- output -----------------------------------------------------------------------------------
def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes without date or software metadata (byte-reproducible)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def figure(fig: Figure, *, alt: str, caption: str) -> FigureView:
    """The chart as a :class:`~giftreview.report.views.Figure` view model: PNG bytes, alt text
    and caption (plain text; the ``figure`` macro renders and escapes them)."""
    if not str(alt).strip():
        raise ArgumentError("`alt` is empty; describe the chart for readers who cannot see it")
    return FigureView(png_bytes(fig), str(alt), str(caption))


def describe_shares(table: pd.DataFrame, limit: int = 12) -> str:
    """Alt-text sentence listing each level's share, e.g. ``"Governments 30%, UN 20%"``."""
    parts = [
        f"{lv} {p:.0f}%"
        for lv, p in zip(table["level"].astype(str), table["pct"], strict=True)
        if pd.notna(p)
    ]
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return ", ".join(parts[:limit]) + more
