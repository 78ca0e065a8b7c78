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
def share_bars(table: pd.DataFrame, *, title: str, n: int, intervals: bool = False) -> Figure:
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
        ax.set_xlabel(f"% of respondents who answered (n = {n})")
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
        ``None`` the bars are centred between the two middle levels.
    title, n
        Question wording and base for the caption.

    Notes
    -----
    Left of zero are the levels below the neutral point (negative x), right those above; the
    x axis is shared by every group so their bars can be compared directly. Rows with level
    :data:`SUPPRESSED` (the summed share of a group's suppressed cells) are drawn hatched at
    the right end of their bar, so no suppressed cell's share can be read off the chart.
    """
    _check(table, ["group", "level", "pct"])
    levels = list(levels)
    extra = [SUPPRESSED] if (table["level"].astype(str) == SUPPRESSED).any() else []
    unknown = sorted(set(table["level"].astype(str)) - set(levels) - set(extra))
    if unknown:
        raise ArgumentError(f"`table` has levels {unknown} that are not in `levels` {levels}")
    if neutral is not None and neutral not in levels:
        raise ArgumentError(f"`neutral` {neutral!r} is not one of `levels` {levels}")
    wide = _wide_rows(table, levels + extra)
    groups = list(wide.index)
    mid = levels.index(neutral) if neutral is not None else None
    below = levels[:mid] if mid is not None else levels[: len(levels) // 2]
    above = levels[mid + 1 :] if mid is not None else levels[len(levels) // 2 :]
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
        ax.set_xlabel(f"% of valid answers, centred on the neutral level (n = {n})")
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


def _symmetric_percent_axis(ax: Axes, reach: float) -> None:
    """x axis from -lim to lim (lim: ``reach`` rounded up to tens), labelled in absolute %."""
    lim = min(100.0, np.ceil((reach + 5) / 10) * 10)
    ax.set_xlim(-lim, lim)
    step = 25 if lim > 60 else (20 if lim > 40 else 10)
    ticks = np.arange(-lim, lim + 1, step)
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
