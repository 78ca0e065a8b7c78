"""Wide crosstabs: a breakdown as a reviewer reads it, one row per group.

A breakdown (:attr:`giftreview.analysis.stats.Breakdown.table`) is tidy: one row per group x
answer. After small-cell suppression (:func:`giftreview.analysis.disclosure.suppress_tidy`) it
becomes three things to publish:

* :attr:`Crosstab.percentages`: groups x answers, the group's base in ``n``, row percentages in
  the cells, suppressed cells marked in place (``"<5"`` below the threshold, ``"x"`` hidden with
  them), a last row for all groups together;
* :attr:`Crosstab.intervals`: the same grid with each share's interval (compact, second table);
* :attr:`Crosstab.long`: the long form, counts after suppression only, for the appendix CSV.

A share is printed only where its count is published and so is its group's base: a share and a
count together give the base away, so a group whose total is hidden shows
:data:`WITHHELD` in every cell. Nothing here publishes a number the suppressed display
(:attr:`giftreview.analysis.disclosure.Suppressed.display`) does not already imply.

:func:`collapsed_crosstab` does the same for a collapsed view
(:func:`giftreview.analysis.disclosure.collapse`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from giftreview.analysis.disclosure import (
    DEFAULT_COLLAPSE_SHARE,
    PRIMARY,
    SECONDARY,
    SECONDARY_SYMBOL,
    Collapsed,
    Suppressed,
    apply_suppression,
    choice_groupings,
    collapse,
    scale_groupings,
    suppress,
    wide_counts,
)
from giftreview.analysis.stats import share_table
from giftreview.errors import ArgumentError
from giftreview.report.display import fmt_interval
from giftreview.report.viewcache import load_views, store_views, view_key

__all__ = [
    "WITHHELD",
    "TOTAL_ROW",
    "Crosstab",
    "BreakdownViews",
    "breakdown_views",
    "wide_crosstab",
    "collapsed_crosstab",
    "long_counts",
]

#: cell text of a share left out because its group's total is hidden
WITHHELD = "–"
#: label of the last row (every group together)
TOTAL_ROW = "All groups"


@dataclass(frozen=True)
class Crosstab:
    """A breakdown ready to print (every cell is text).

    ``percentages``: index = groups then :data:`TOTAL_ROW`; columns ``n`` then the answers.
    ``intervals``: index = groups; columns = answers; ``"low to high"`` (percent) or the mark.
    ``status``: same shape as ``percentages`` without ``n``: ``""``, ``"primary"``,
    ``"secondary"`` or ``"withheld"`` (for a CSS class per cell). ``long``: columns ``group,
    answer, n`` (counts after suppression, totals included). ``k``: the threshold.
    """

    percentages: pd.DataFrame
    intervals: pd.DataFrame
    status: pd.DataFrame
    long: pd.DataFrame
    k: int

    @property
    def n_suppressed(self) -> int:
        """Cells hidden by suppression (primary and secondary), total row excluded."""
        body = self.status.drop(index=TOTAL_ROW, errors="ignore")
        return int(body.isin([PRIMARY, SECONDARY]).to_numpy().sum())

    def legend(self) -> str:
        """One sentence explaining the marks in the cells."""
        parts = [
            f"“<{self.k}”: fewer than {self.k} respondents",
            f"“{SECONDARY_SYMBOL}”: hidden so that no small count can be worked out from the totals",
        ]
        if (self.status == "withheld").to_numpy().any():
            parts.append(f"“{WITHHELD}”: share withheld because its group's total is hidden")
        return "; ".join(parts) + "."


def _pct(v: float) -> str:
    return f"{v:.1f}"


def wide_crosstab(
    shown: pd.DataFrame,
    res: Suppressed,
    *,
    row: str = "group",
    column: str = "level",
    base: str | None = None,
) -> Crosstab:
    """The wide crosstab of a suppressed tidy breakdown.

    Parameters
    ----------
    shown, res
        What :func:`giftreview.analysis.disclosure.suppress_tidy` returns: the tidy table (with
        ``n``, ``pct``, ``ci_low``, ``ci_high``, ``suppressed``) and its :class:`Suppressed`.
    row, column
        The group and answer columns of ``shown``.
    base
        Column of ``shown`` holding each group's base, for tables whose base is not the row
        total (multiple choice: respondents who answered; answers do not add up). ``None``: the
        base is the published row total.

    Returns
    -------
    Crosstab
    """
    for c in (row, column, "n", "pct", "ci_low", "ci_high", "suppressed"):
        if c not in shown.columns:
            raise ArgumentError(f"`{c}` is not a column of `shown`; columns: {list(shown.columns)}")
    groups = list(res.status.index)
    answers = list(res.status.columns)
    keyed = shown.assign(_g=shown[row].astype(str), _a=shown[column].astype(str)).set_index(
        ["_g", "_a"]
    )
    disp = res.display
    pct = pd.DataFrame("", index=groups, columns=answers, dtype=object)
    ci = pd.DataFrame("", index=groups, columns=answers, dtype=object)
    status = pd.DataFrame("", index=groups, columns=answers, dtype=object)
    n_col = []
    for g in groups:
        total_hidden = base is None and str(disp.at[g, "Total"]) == SECONDARY_SYMBOL
        if base is None:
            n_col.append(str(disp.at[g, "Total"]))
        else:
            n_col.append(str(int(keyed.loc[str(g), base].iloc[0])))
        for a in answers:
            st = str(res.status.at[g, a])
            if st:
                pct.at[g, a] = ci.at[g, a] = str(disp.at[g, a])
                status.at[g, a] = st
            elif total_hidden and str(disp.at[g, a]) != "0":  # 0 % of any base is 0 %
                pct.at[g, a] = ci.at[g, a] = WITHHELD
                status.at[g, a] = "withheld"
            elif total_hidden:
                pct.at[g, a], ci.at[g, a] = _pct(0.0), ""
            else:
                cell = keyed.loc[(str(g), str(a))]
                pct.at[g, a] = "" if pd.isna(cell["pct"]) else _pct(float(cell["pct"]))
                ci.at[g, a] = fmt_interval(cell["ci_low"], cell["ci_high"])
    pct.insert(0, "n", n_col)
    total, total_status = _total_row(res, answers, None if base is None else _bases(keyed, base))
    pct.loc[TOTAL_ROW] = total
    status.loc[TOTAL_ROW] = total_status
    return Crosstab(pct, ci, status, long_counts(res), res.k)


def _bases(keyed: pd.DataFrame, base: str) -> int:
    return int(keyed[base].groupby(level=0, sort=False).first().sum())


def _total_row(res: Suppressed, answers: list, base: int | None) -> tuple[list, list]:
    """The all-groups row: its base and each answer's share of it (when published)."""
    disp = res.display
    if "Total" not in disp.index:
        return [""] * (len(answers) + 1), ["withheld"] * len(answers)
    grand = str(disp.at["Total", "Total"]) if "Total" in disp.columns else SECONDARY_SYMBOL
    denom = base if base is not None else (int(grand) if grand.isdigit() else None)
    cells, status = [grand if base is None else str(base)], []
    for a in answers:
        text = str(disp.at["Total", a])
        if text == "0" or (text.isdigit() and denom):
            cells.append(_pct(100.0 * int(text) / denom) if denom else _pct(0.0))
            status.append("")
        elif text.isdigit():
            cells.append(WITHHELD)
            status.append("withheld")
        else:
            cells.append(text)
            status.append(SECONDARY)
    return cells, status


def long_counts(res: Suppressed, *, group: str = "group", answer: str = "answer") -> pd.DataFrame:
    """The suppressed display in long form (``group, answer, n``), totals included, as text.

    This is what the appendix CSV holds: exactly the published counts ("<k", "x" or a count),
    never a percentage or an interval.
    """
    disp = res.display
    out = disp.rename_axis(index=group, columns=answer).stack(future_stack=True)
    return out.rename("n").reset_index().astype(str)


def collapsed_crosstab(
    view: Collapsed,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
    base: pd.Series | None = None,
) -> Crosstab:
    """The wide crosstab of a collapsed view (shares and intervals from its counts).

    ``base``: each full group's base when it is not the row total (multiple choice), summed
    over merged groups. The view publishes row totals only (no all-groups row: the full table
    has it).
    """
    counts = view.counts
    bases = None
    if base is not None:
        bases = {}
        for g, b in base.items():
            bases[view.groups[str(g)]] = bases.get(view.groups[str(g)], 0) + int(b)
    parts = []
    for g, r in counts.iterrows():
        n = int(r.sum()) if bases is None else bases[str(g)]
        part = share_table(list(counts.columns), r.to_numpy(), n, confidence, method)
        part.insert(0, "group", str(g))
        parts.append(part)
    tidy = pd.concat(parts, ignore_index=True)
    status = view.suppressed.status
    tidy["suppressed"] = [
        status.at[g, a] for g, a in zip(tidy["group"], tidy["level"].astype(str), strict=True)
    ]
    out = wide_crosstab(tidy, view.suppressed, base=None if bases is None else "base")
    keep = [i for i in out.percentages.index if i != TOTAL_ROW]
    return Crosstab(
        out.percentages.loc[keep],
        out.intervals,
        out.status.loc[keep],
        out.long,
        out.k,
    )


@dataclass(frozen=True)
class BreakdownViews:
    """Everything a by-group page publishes for one question, audited together.

    ``shown``/``suppressed``: the tidy breakdown marked with the full table's suppression and
    that suppression (including cells hidden for the collapsed view's sake); ``full``: its
    :class:`Crosstab`; ``collapsed``: the :class:`~giftreview.analysis.disclosure.Collapsed`
    view (None when the full table hides at most ``threshold`` of its cells, or no safe view
    exists) and ``collapsed_table`` its :class:`Crosstab`.
    """

    shown: pd.DataFrame
    suppressed: Suppressed
    full: Crosstab
    collapsed: Collapsed | None = None
    collapsed_table: Crosstab | None = None


def _suppress_and_collapse(wide, qtype, k, levels, neutral, threshold):
    """The full table's suppression and its collapsed view (None when not needed)."""
    res = suppress(wide, k=k)
    answers = [str(c) for c in wide.columns]
    if qtype == "rating":
        groupings = scale_groupings(levels or answers, neutral)
    elif qtype == "count":
        groupings = scale_groupings(answers)
    elif qtype == "single":
        groupings = choice_groupings(wide.sum(axis=0))
    else:
        groupings = []  # multiple choice: answers do not add up; not collapsed
    view = collapse(wide, res, groupings, k=k, threshold=threshold) if groupings and k else None
    return (view.full if view is not None else res), view


def breakdown_views(
    table: pd.DataFrame,
    qtype: str,
    *,
    k: int = 5,
    levels: list[str] | None = None,
    neutral: str | None = None,
    threshold: float = DEFAULT_COLLAPSE_SHARE,
    confidence: float = 0.95,
    cache_dir: Path | None = None,
) -> BreakdownViews:
    """Suppress a question's tidy breakdown, collapse it when needed, and build its crosstabs.

    Parameters
    ----------
    table
        :attr:`giftreview.analysis.stats.Breakdown.table` of one question (``group, level, n,
        base, pct, ci_low, ci_high``).
    qtype
        The question's type: ``rating`` (collapsed to bottom/neutral/top, then top/rest),
        ``count`` (bins collapsed to lower and upper halves), ``single`` (top-k answers plus
        "all other answers"), ``multi`` (not collapsed: a respondent may choose several
        options, so options do not add up into an "other" category).
    k, threshold
        Small-cell threshold and the hidden share above which a collapsed view is added.
    levels, neutral
        A rating scale's labels (lowest first) and its neutral label (None for an even scale).
    confidence
        Level of the collapsed view's intervals.
    cache_dir
        Where the suppression and collapsed view are kept under their cache key
        (:mod:`giftreview.report.viewcache`; the joint audit takes seconds); None: not kept.
    """
    if qtype not in ("rating", "count", "single", "multi"):
        raise ArgumentError(
            f"`qtype` {qtype!r}: breakdowns are of 'rating', 'count', 'single' or 'multi' questions"
        )
    wide = wide_counts(table)
    params = {"qtype": qtype, "k": k, "levels": levels, "neutral": neutral, "threshold": threshold}
    key = view_key(wide, params) if cache_dir is not None else ""
    found = load_views(cache_dir, key, wide) if cache_dir is not None else None
    if found is None:
        found = _suppress_and_collapse(wide, qtype, k, levels, neutral, threshold)
        if cache_dir is not None:
            store_views(cache_dir, key, *found)
    full, view = found
    shown = apply_suppression(table, full)
    multi = qtype == "multi"
    base = "base" if multi else None
    out = BreakdownViews(shown, full, wide_crosstab(shown, full, base=base))
    if view is None:
        return out
    group_base = table.groupby("group", sort=False, observed=True)["base"].first()
    ct = collapsed_crosstab(view, confidence=confidence, base=group_base if multi else None)
    return BreakdownViews(shown, full, out.full, view, ct)
