"""Small-cell suppression for published tables, with secondary suppression that is checked.

Rule (``docs/statistics.md``):

1. **Primary**: every count from 1 to ``k - 1`` is shown as ``"<k"`` and its percentage is
   hidden. Zeros are shown (``zeros="show"``, the default: an empty cell tells nothing about a
   person) unless ``zeros="suppress"``, which treats them as small counts too.
2. **Secondary**: every published line (row or column whose total is shown) that holds exactly
   one suppressed cell gets a second one: the smallest unsuppressed cell of at least ``k`` in
   that line, preferring a cell whose crossing line already has a suppressed cell. Secondary
   cells are shown as ``"x"``.
3. **Audit**: the attacker knows every published cell and total, that a ``"<k"`` cell lies in
   ``[1, k-1]`` (``[0, k-1]`` when zeros are suppressed) and that an ``"x"`` cell is at least
   ``k``. For each suppressed cell the smallest and largest value consistent with all of that
   are found by linear programming (:func:`scipy.optimize.linprog`). The constraint matrix of
   row and column sums is totally unimodular, so these bounds are integers: the cell is
   protected exactly when ``max > min`` (at least two values are possible). While a cell is
   exposed, the cheapest further step that protects it is taken: suppress the smallest cell of
   its row or column that does, else hide its row or column total, else suppress the smallest
   candidate and look again.

Step 2 alone is not enough: when the second cell of a line is itself pinned down by its column
(e.g. a column whose other cells are published), the pair can be solved; step 3 catches every
such case.

In R: ``sdcTable::protectTable`` (HITAS / SIMPLEHEURISTIC) does the same job for tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from giftreview.errors import ArgumentError

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "SECONDARY_SYMBOL",
    "Suppressed",
    "suppress",
    "wide_counts",
    "suppress_tidy",
    "apply_suppression",
    "DEFAULT_COLLAPSE_SHARE",
    "OTHER_CATEGORY",
    "suppressed_share",
    "span_label",
    "scale_groupings",
    "choice_groupings",
    "Collapsed",
    "collapse",
]

PRIMARY = "primary"
SECONDARY = "secondary"
SECONDARY_SYMBOL = "x"


@dataclass(frozen=True)
class Suppressed:
    """A suppressed table.

    ``display``: the table as text (counts, ``"<k"`` or ``"x"``) with a ``Total`` row and column
    (``"x"`` where a total is hidden); ``status``: same shape as the input, ``""``,
    ``"primary"`` or ``"secondary"``; ``n_primary`` / ``n_secondary``: numbers of suppressed
    cells; ``hidden_totals``: labels of lines whose total is hidden; ``k``: the threshold.
    """

    display: pd.DataFrame
    status: pd.DataFrame
    n_primary: int
    n_secondary: int
    hidden_totals: list
    k: int

    @property
    def mask(self) -> pd.DataFrame:
        """True where a cell is suppressed (primary or secondary)."""
        return self.status != ""


def suppress(
    table: pd.DataFrame, *, k: int = 5, margins: str = "both", zeros: str = "show"
) -> Suppressed:
    """Suppress small cells of a contingency table of counts so none can be recovered.

    Parameters
    ----------
    table
        Counts: rows are groups, columns are answers (non-negative integers; not modified).
    k
        Threshold: counts from 1 to ``k - 1`` are suppressed. ``k=0`` turns suppression off.
    margins
        Which totals are published: ``"both"`` (row and column totals, and the grand total),
        ``"rows"``, ``"columns"`` or ``"none"``.
    zeros
        ``"show"`` (zeros are published as 0) or ``"suppress"`` (zeros count as small cells).
        With ``k=2`` zeros must be suppressed, otherwise ``"<2"`` could only mean 1.

    Returns
    -------
    Suppressed

    Examples
    --------
    >>> t = pd.DataFrame([[3, 10, 12], [8, 9, 15]], index=["a", "b"], columns=["x", "y", "z"])
    >>> s = suppress(t, k=5)
    >>> s.n_primary, s.n_secondary
    (1, 3)
    >>> s.display
            x   y   z Total
    a      <5   x  12    25
    b       x   x  15    32
    Total  11  19  27    57

    Why three more cells: the 3 (below k = 5) is the only hidden cell of row ``a`` and of column
    ``x``, whose totals are published, so one more cell of each is hidden (10 and 8); column
    ``y`` then has one hidden cell, so 9 goes too. Solving the published totals for the 3 (call
    it t): a,y = 13 - t, b,x = 11 - t and b,y = 6 + t, each at least 5, leave t anywhere in
    1..4: the cell cannot be recovered.
    """
    plan = _Plan.start(_counts(table), k, margins, zeros)
    if plan.k > 0:
        plan.secondary()
        plan.audit()
    hidden = [table.index[i] for i in np.flatnonzero(~plan.rows_pub)] if plan.rows_shown else []
    hidden += [table.columns[j] for j in np.flatnonzero(~plan.cols_pub)] if plan.cols_shown else []
    return Suppressed(
        display=_display(table, plan, margins),
        status=pd.DataFrame(plan.status, index=table.index, columns=table.columns),
        n_primary=int((plan.status == PRIMARY).sum()),
        n_secondary=int((plan.status == SECONDARY).sum()),
        hidden_totals=hidden,
        k=int(k),
    )


def _counts(table: pd.DataFrame) -> np.ndarray:
    if not isinstance(table, pd.DataFrame):
        raise ArgumentError("`table` must be a pandas DataFrame of counts (groups x answers)")
    try:
        arr = table.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError("`table` must hold counts (numbers); found text") from None
    if np.isnan(arr).any() or (arr < 0).any() or (arr != np.round(arr)).any():
        raise ArgumentError("`table` must hold whole non-negative counts, without NA")
    return arr.astype(np.int64)


@dataclass
class _Plan:
    """The suppression being built: cell status and which totals are still published."""

    counts: np.ndarray
    status: np.ndarray
    k: int
    low: int  # smallest value a "<k" cell can have (1 when zeros are shown)
    rows_pub: np.ndarray
    cols_pub: np.ndarray
    grand: bool
    rows_shown: bool
    cols_shown: bool

    @classmethod
    def start(cls, counts: np.ndarray, k: int, margins: str, zeros: str) -> _Plan:
        if not isinstance(k, int | np.integer) or k < 0:
            raise ArgumentError(
                f"`k` must be a whole number >= 0 (0 turns suppression off); got {k!r}"
            )
        if margins not in ("both", "rows", "columns", "none"):
            raise ArgumentError(
                f"`margins` must be 'both', 'rows', 'columns' or 'none'; got {margins!r}"
            )
        if zeros not in ("show", "suppress"):
            raise ArgumentError(f"`zeros` must be 'show' or 'suppress'; got {zeros!r}")
        if k == 2 and zeros == "show":
            raise ArgumentError(
                "with k=2 and zeros shown, '<2' can only mean 1; pass zeros='suppress' or k >= 3"
            )
        low = 1 if zeros == "show" else 0
        status = np.full(counts.shape, "", dtype=object)
        status[(counts < k) & (counts >= low)] = PRIMARY
        rows, cols = margins in ("both", "rows"), margins in ("both", "columns")
        return cls(
            counts, status, int(k), low,
            np.full(counts.shape[0], rows), np.full(counts.shape[1], cols),
            margins == "both", rows, cols,
        )  # fmt: skip

    # ---- step 2: every published line with a suppressed cell gets a second one ----------
    def lines(self, grand: bool = True) -> list[list[tuple[int, int]]]:
        """Published lines as lists of (i, j) cells (and the grand total, when shown)."""
        r, c = self.counts.shape
        out = [[(i, j) for j in range(c)] for i in range(r) if self.rows_pub[i]]
        out += [[(i, j) for i in range(r)] for j in range(c) if self.cols_pub[j]]
        if grand and self.grand:
            out.append([(i, j) for i in range(r) for j in range(c)])
        return out

    def candidates(self, cells) -> list[tuple[int, int]]:
        """Unsuppressed cells of at least ``k`` among ``cells``, best secondary first."""
        free = [c for c in cells if self.status[c] == "" and self.counts[c] >= self.k]

        def crossing_has(c) -> bool:
            return (self.status[c[0], :] != "").any() or (self.status[:, c[1]] != "").any()

        return sorted(free, key=lambda c: (not crossing_has(c), self.counts[c], c))

    def secondary(self) -> None:
        changed = True
        while changed:
            changed = False
            for line in self.lines(grand=False):
                if sum(self.status[c] != "" for c in line) == 1:
                    best = self.candidates(line)
                    if best:
                        self.status[best[0]] = SECONDARY
                        changed = True

    # ---- step 3: the audit ------------------------------------------------------------
    def ranges(self, only=None) -> dict[tuple, tuple[float, float]]:
        """Smallest and largest value of each suppressed cell an attacker can deduce (by LP)."""
        cells = [tuple(c) for c in np.argwhere(self.status != "")]
        index = {c: n for n, c in enumerate(cells)}
        a_eq, b_eq = [], []
        for line in self.lines():
            hidden = [c for c in line if c in index]
            if hidden:
                a_eq.append(np.isin(np.arange(len(cells)), [index[c] for c in hidden]))
                b_eq.append(sum(self.counts[c] for c in hidden))
        bounds = [
            (self.low, self.k - 1) if self.status[c] == PRIMARY else (self.k, None) for c in cells
        ]
        out = {}
        for c in cells if only is None else [only]:
            obj = np.zeros(len(cells))
            obj[index[c]] = 1
            ends = []
            for sign in (1, -1):
                res = linprog(
                    sign * obj,
                    A_eq=np.array(a_eq, dtype=float) if a_eq else None,
                    b_eq=np.array(b_eq, dtype=float) if b_eq else None,
                    bounds=bounds,
                    method="highs",
                )
                # only the maximum can be unbounded (an 'x' cell with no total left)
                ends.append(sign * res.fun if res.status == 0 else np.inf)
            out[c] = (round(ends[0], 6), round(ends[1], 6))
        return out

    def protected(self, cell) -> bool:
        lo, hi = self.ranges(only=cell)[cell]
        return hi > lo

    def audit(self) -> None:
        """Suppress more (or hide totals) until every suppressed cell has two or more values."""
        while True:
            exposed = [c for c, (lo, hi) in self.ranges().items() if hi <= lo]
            if not any(self.protect(c) for c in exposed):
                return  # protected, or nothing left (only k=1 with zeros suppressed: '<1' is 0)

    def protect(self, cell) -> bool:
        """Take the cheapest step that protects ``cell`` (or, failing that, one step).

        Returns False when nothing is left to suppress or hide.
        """
        i, j = cell
        lines = []
        if self.rows_pub[i]:
            lines += [(i, jj) for jj in range(self.counts.shape[1])]
        if self.cols_pub[j]:
            lines += [(ii, j) for ii in range(self.counts.shape[0])]
        cands = sorted(set(self.candidates(lines)), key=lambda c: (self.counts[c], c))
        for c in cands:
            self.status[c] = SECONDARY
            if self.protected(cell):
                return True
            self.status[c] = ""
        for pub, at in ((self.rows_pub, i), (self.cols_pub, j)):
            if pub[at]:
                pub[at] = False
                if self.protected(cell):
                    return True
                pub[at] = True
        if cands:
            self.status[cands[0]] = SECONDARY
            return True
        for pub, at in ((self.rows_pub, i), (self.cols_pub, j)):
            if pub[at]:
                pub[at] = False
                return True
        changed, self.grand = self.grand, False
        return changed


def _display(table: pd.DataFrame, plan: _Plan, margins: str) -> pd.DataFrame:
    counts, status = plan.counts, plan.status
    text = np.where(
        status == PRIMARY,
        f"<{plan.k}",
        np.where(status == SECONDARY, SECONDARY_SYMBOL, counts.astype(str)),
    )
    out = pd.DataFrame(text, index=table.index, columns=table.columns)
    if plan.rows_shown:
        out["Total"] = np.where(plan.rows_pub, counts.sum(axis=1).astype(str), SECONDARY_SYMBOL)
    if plan.cols_shown:
        tot = np.where(plan.cols_pub, counts.sum(axis=0).astype(str), SECONDARY_SYMBOL).tolist()
        if plan.rows_shown:
            tot.append(str(int(counts.sum())) if plan.grand else SECONDARY_SYMBOL)
        out.loc["Total"] = tot
    return out


def wide_counts(
    table: pd.DataFrame, *, row: str = "group", column: str = "level", count: str = "n"
) -> pd.DataFrame:
    """A tidy table of counts pivoted to ``row`` x ``column`` (order kept, absent cells 0).

    Examples
    --------
    >>> tidy = pd.DataFrame({"group": ["a", "a", "b", "b"], "level": ["yes", "no", "yes", "no"],
    ...                      "n": [3, 10, 8, 9]})
    >>> wide_counts(tidy)
    level  yes  no
    group
    a        3  10
    b        8   9
    """
    return table.pivot_table(
        index=row, columns=column, values=count, aggfunc="sum", sort=False, observed=False
    ).fillna(0)


def suppress_tidy(
    table: pd.DataFrame,
    *,
    row: str = "group",
    column: str = "level",
    count: str = "n",
    k: int = 5,
    hide: tuple[str, ...] = ("pct", "ci_low", "ci_high"),
) -> tuple[pd.DataFrame, Suppressed]:
    """Suppress a tidy breakdown table (e.g. :attr:`giftreview.analysis.stats.Breakdown.table`).

    Returns a copy with ``n_display`` (text), ``suppressed`` (``""``, ``"primary"``,
    ``"secondary"``) and the ``hide`` columns set to NA where a cell is suppressed or its
    group's total is hidden (a share and its count give the total away), plus the
    :class:`Suppressed` result of the pivoted counts (row and column totals published).

    Examples
    --------
    >>> tidy = pd.DataFrame({"group": ["a", "a", "b", "b"], "level": ["yes", "no", "yes", "no"],
    ...                      "n": [3, 10, 8, 9]})
    >>> shown, res = suppress_tidy(tidy, k=5)
    >>> shown[["group", "level", "suppressed", "n_display"]]
      group level suppressed n_display
    0     a   yes    primary        <5
    1     a    no  secondary         x
    2     b   yes  secondary         x
    3     b    no  secondary         x
    """
    for c in (row, column, count):
        if c not in table.columns:
            raise ArgumentError(f"`{c}` is not a column of `table`; columns: {list(table.columns)}")
    res = suppress(wide_counts(table, row=row, column=column, count=count), k=k)
    return apply_suppression(table, res, row=row, column=column, hide=hide), res


def apply_suppression(
    table: pd.DataFrame,
    res: Suppressed,
    *,
    row: str = "group",
    column: str = "level",
    hide: tuple[str, ...] = ("pct", "ci_low", "ci_high"),
) -> pd.DataFrame:
    """A tidy table marked with a finished suppression ``res`` (see :func:`suppress_tidy`).

    Used when the suppression was extended after :func:`suppress_tidy` (e.g. by
    :func:`collapse`, whose :attr:`Collapsed.full` hides more cells of the full table).
    """
    out = table.copy()
    keys = list(zip(out[row], out[column], strict=True))
    out["suppressed"] = [res.status.loc[r, c] for r, c in keys]
    out["n_display"] = [res.display.loc[r, c] for r, c in keys]
    # a share of a group whose total is hidden would give the total away (count / share)
    hidden_rows = {
        r for r in res.display.index[:-1] if res.display.at[r, "Total"] == SECONDARY_SYMBOL
    }
    shown = (out["suppressed"] == "") & ~out[row].isin(hidden_rows)
    for c in hide:
        if c in out.columns:
            out[c] = out[c].where(shown)
    return out


# ---- collapsed views published beside the full table ------------------------------------------
#: collapse a breakdown when suppression hides more than this share of its cells
DEFAULT_COLLAPSE_SHARE = 0.30
#: name of the category holding every option outside the top k
OTHER_CATEGORY = "all other answers"


def suppressed_share(res: Suppressed) -> float:
    """Share of a table's cells that suppression hides (primary and secondary), 0 to 1.

    Zero for an empty table. In words: "suppression hides 51% of the cells".
    """
    cells = res.status.size
    return float(res.mask.to_numpy().sum() / cells) if cells else 0.0


def span_label(labels: list[str]) -> str:
    """A category of consecutive levels in words: ``"A"``, ``"A or B"``, ``"A to C"``."""
    labels = [str(v) for v in labels]
    if len(labels) <= 2:
        return " or ".join(labels)
    return f"{labels[0]} to {labels[-1]}"


def scale_groupings(levels: list[str], neutral: str | None = None) -> list[dict[str, str]]:
    """Ways to collapse an ordered scale, most detailed first (level -> category label).

    1. Bottom / neutral / top: the levels below the neutral level, the neutral level, those
       above it; an even scale (``neutral=None``) splits into bottom and top halves.
    2. Top / rest (odd scales only): the levels above the neutral level against all others.

    A scale of two levels has nothing to collapse (empty list).

    Examples
    --------
    >>> scale_groupings(["No", "Maybe", "Yes"], "Maybe")  # 3 levels: top against the rest
    [{'No': 'No or Maybe', 'Maybe': 'No or Maybe', 'Yes': 'Yes'}]
    >>> scale_groupings(["1", "2", "3", "4"])[0]
    {'1': '1 or 2', '2': '1 or 2', '3': '3 or 4', '4': '3 or 4'}
    """
    levels = [str(v) for v in levels]
    if neutral is not None and str(neutral) not in levels:
        raise ArgumentError(f"`neutral` {neutral!r} is not one of `levels` {levels}")
    if len(levels) <= 2:
        return []
    if neutral is None:
        half = len(levels) // 2
        parts = [levels[:half], levels[half:]]
        return [{lv: span_label(p) for p in parts for lv in p}]
    mid = levels.index(str(neutral))
    below, above = levels[:mid], levels[mid + 1 :]
    three = [p for p in (below, [levels[mid]], above) if p]
    out = [{lv: span_label(p) for p in three for lv in p}]
    if below and above:
        rest = below + [levels[mid]]
        out.append({lv: span_label(p) for p in (rest, above) for lv in p})
    # a scale whose 3-way grouping changes nothing (3 levels) is still offered: the top/rest
    # grouping follows it
    return [g for g in out if len(set(g.values())) < len(levels)] or out[-1:]


def choice_groupings(totals: pd.Series, *, other: str = OTHER_CATEGORY) -> list[dict[str, str]]:
    """Top-k options plus ``other``, for k from (options - 1) down to 1 (most detailed first).

    ``totals``: count of each option over all groups (index = option labels, in the
    instrument's order); ties keep that order. An option already named ``other`` keeps its
    name inside the ``other`` category.
    """
    labels = [str(v) for v in totals.index]
    order = sorted(range(len(labels)), key=lambda i: (-float(totals.iloc[i]), i))
    out = []
    for k in range(len(labels) - 1, 0, -1):
        top = {labels[i] for i in order[:k]}
        out.append({lv: lv if lv in top else other for lv in labels})
    return out


#: bounds of the joint audit's search: steps taken, cells tried per table and step (every total
#: is tried), and full-table cells tried with the full table's own follow-up; a view needing
#: more is not published
MAX_STEPS = 30
MAX_MOVES = 16
MAX_FOLLOWED = 4
#: name of the row holding every group outside the largest ones in a collapsed view
OTHER_GROUPS = "all other groups"


def group_mergings(sizes: pd.Series, *, other: str = OTHER_GROUPS) -> list[dict[str, str]]:
    """Keep the m largest groups and merge the rest into ``other``, m from all groups down to 1.

    ``sizes``: respondents per group (index = group labels, in the instrument's order); ties
    keep that order. The first mapping keeps every group; a merge of a single group is skipped
    (it would only rename it).
    """
    labels = [str(v) for v in sizes.index]
    order = sorted(range(len(labels)), key=lambda i: (-float(sizes.iloc[i]), i))
    out = [{g: g for g in labels}]
    for m in range(len(labels) - 2, 0, -1):
        keep = {labels[i] for i in order[:m]}
        out.append({g: g if g in keep else other for g in labels})
    return out


@dataclass(frozen=True)
class Collapsed:
    """A collapsed view of a breakdown, safe to publish beside the full table.

    ``mapping``: full answer -> category; ``groups``: full group -> row of the view;
    ``counts``: view rows x categories; ``suppressed``: its suppression (audited jointly with
    the full table); ``full``: the full table's suppression to publish beside it (the input's,
    with the further cells the joint audit hid); ``share``: share of its cells hidden; ``full_share``: share of the full
    table's cells hidden; ``threshold``: the share above which a table is collapsed.
    """

    mapping: dict[str, str]
    groups: dict[str, str]
    counts: pd.DataFrame
    suppressed: Suppressed
    full: Suppressed
    share: float
    full_share: float
    threshold: float

    @property
    def merged(self) -> dict[str, list[str]]:
        """Category -> the answers merged into it (categories of two or more answers only)."""
        return _merged(self.mapping)

    @property
    def merged_groups(self) -> dict[str, list[str]]:
        """View row -> the groups merged into it (rows of two or more groups only)."""
        return _merged(self.groups)

    def describe(self) -> str:
        """What was collapsed and why, in plain words (for a caption)."""
        parts = [f"{c} = {', '.join(v)}" for c, v in self.merged.items()]
        parts += [f"{c} = {', '.join(v)}" for c, v in self.merged_groups.items()]
        return (
            f"Small-cell suppression hides {self.full_share:.0%} of the cells of the full table "
            f"(more than {self.threshold:.0%}), so answers are also shown grouped "
            f"({'; '.join(parts)}); this view hides {self.share:.0%} of its cells."
        )


def _merged(mapping: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item, into in mapping.items():
        out.setdefault(into, []).append(item)
    return {c: v for c, v in out.items() if len(v) > 1}


def collapse(
    table: pd.DataFrame,
    full: Suppressed,
    groupings: list[dict[str, str]],
    *,
    k: int = 5,
    zeros: str = "show",
    threshold: float = DEFAULT_COLLAPSE_SHARE,
    merge_groups: bool = True,
    max_tries: int = 2,
) -> Collapsed | None:
    """A collapsed view of ``table`` that is safe to publish with it; None when not needed.

    Parameters
    ----------
    table
        Counts, groups x answers (as given to :func:`suppress`); not modified.
    full
        ``suppress(table, k=k, zeros=zeros)``: the full table as it is published.
    groupings
        Candidate mappings answer -> category, most detailed first
        (:func:`scale_groupings`, :func:`choice_groupings`).
    k, zeros
        As for :func:`suppress`.
    threshold
        Collapse only when ``suppressed_share(full) > threshold``.
    merge_groups
        Also try keeping only the largest groups (:func:`group_mergings`) when answer groupings
        alone still hide more than ``threshold`` (small groups hide every split of their answers).
    max_tries
        Candidates audited at most (in order of the share their own suppression hides).

    Returns
    -------
    Collapsed or None
        Among candidates whose own suppression hides at most ``threshold`` of their cells, the
        one keeping most groups (then the most detailed grouping) whose audited view still
        does; else the audited view hiding the least. None when the
        full table hides at most ``threshold``, or no candidate can be protected.

    Notes
    -----
    A view cell is a sum of full cells, so the two tables together tell an attacker more than
    either alone (a "<5" full cell is its collapsed cell less the published neighbours). Each
    candidate is suppressed on its own (primary, secondary) and then audited **jointly** with
    the full table: for every hidden cell of either table, the smallest and largest true value
    consistent with both displays is found by integer programming
    (:func:`scipy.optimize.milp`; merged rows and columns together need not give a totally
    unimodular system, so the linear relaxation is not enough). While a cell can be pinned
    down, cells and then totals of the view are hidden. In R, ``sdcTable::protectLinkedTables``
    protects linked tables.
    """
    _counts(table)  # checks the counts
    if not 0 <= float(threshold) < 1:
        raise ArgumentError(
            f"`threshold` must be a share from 0 to 1 (e.g. 0.3); got {threshold!r}"
        )
    threshold, full_share = float(threshold), suppressed_share(full)
    if full.k <= 0 or full_share <= threshold:
        return None
    for mapping in groupings:
        _check_mapping(mapping, [str(c) for c in table.columns], "answers", "column")
    same = {str(g): str(g) for g in table.index}
    cands = []
    for c in groupings:
        for r in [same, *([_clean_rows(table, c, k, zeros)] if merge_groups else [])]:
            if r is None or any(r == x for _, _, _, x, y in cands if y == c):
                continue
            view = _merge(table, r, c)
            quick = suppressed_share(suppress(view, k=k, zeros=zeros))
            # within the threshold, most rows (groups kept) first; above it, least hidden first
            order = quick if quick > threshold else -len(view)
            cands.append((quick > threshold, order, len(cands), r, c))
    best = None
    for *_, r, c in sorted(cands, key=lambda t: t[:3])[:max_tries]:
        view = _merge(table, r, c)
        both = _Joint(table, full, view, r, c, zeros).run()
        if both is None:
            continue
        got = Collapsed(
            c, r, view, both[1], both[0], suppressed_share(both[1]), full_share, threshold
        )
        if got.share <= threshold:
            return got
        if best is None or got.share < best.share:
            best = got
    return best


def _clean_rows(table: pd.DataFrame, cols: dict[str, str], k: int, zeros: str):
    """Groups whose collapsed answers hold no small count kept; the others merged into one row.

    None when fewer than two groups would be merged (nothing to gain).
    """
    view = _merge(table, {str(g): str(g) for g in table.index}, cols).to_numpy()
    low = 1 if zeros == "show" else 0
    small = ((view >= low) & (view < k)).any(axis=1)
    if small.sum() < 2 or small.all():
        return None  # nothing gained by renaming one group, nothing left to compare if all merge
    return {
        str(g): OTHER_GROUPS if bad else str(g) for g, bad in zip(table.index, small, strict=True)
    }


def _check_mapping(mapping: dict[str, str], items: list[str], what: str, axis: str) -> None:
    missing = [v for v in items if v not in mapping]
    if missing:
        raise ArgumentError(
            f"the grouping {mapping} does not place the {what} {missing}; map every {axis} "
            "of `table` to a category"
        )


def _merge(table: pd.DataFrame, rows: dict[str, str], cols: dict[str, str]) -> pd.DataFrame:
    """Counts summed into view rows x view columns (order of first appearance)."""
    arr = _counts(table)
    r_keys = [rows[str(g)] for g in table.index]
    c_keys = [cols[str(c)] for c in table.columns]
    r_lab, c_lab = list(dict.fromkeys(r_keys)), list(dict.fromkeys(c_keys))
    out = np.zeros((len(r_lab), len(c_lab)), dtype=np.int64)
    for i, rk in enumerate(r_keys):
        for j, ck in enumerate(c_keys):
            out[r_lab.index(rk), c_lab.index(ck)] += arr[i, j]
    return pd.DataFrame(out, index=pd.Index(r_lab), columns=pd.Index(c_lab))


@dataclass(frozen=True)
class _Layout:
    """How a display's rows and columns are made of the full table's rows and columns."""

    rows: list[list[int]]
    cols: list[list[int]]
    shape: tuple[int, int]

    @classmethod
    def of(cls, full_index, full_columns, view: pd.DataFrame, rows, cols) -> _Layout:
        r = [[i for i, g in enumerate(full_index) if rows[str(g)] == a] for a in view.index]
        c = [[j for j, x in enumerate(full_columns) if cols[str(x)] == b] for b in view.columns]
        return cls(r, c, (len(full_index), len(full_columns)))

    def cells(self, rows, cols) -> frozenset:
        return frozenset(i * self.shape[1] + j for i in rows for j in cols)

    def published(self, plan: _Plan) -> list:
        """What an attacker learns from ``plan``'s display: (full-cell indices, min, max).

        A published count is exact, ``"<k"`` is ``[low, k-1]``, ``"x"`` is ``>= k``; a
        published total is exact, a hidden one tells nothing (read from the plan's arrays,
        exactly as :func:`_display` prints them).
        """
        nr, nc = len(self.rows), len(self.cols)
        every_row, every_col = range(self.shape[0]), range(self.shape[1])
        out = []
        for a in range(nr):
            for b in range(nc):
                cells, st = self.cells(self.rows[a], self.cols[b]), plan.status[a, b]
                if st == PRIMARY:
                    out.append((cells, plan.low, plan.k - 1))
                elif st == SECONDARY:
                    out.append((cells, plan.k, np.inf))
                else:
                    out.append((cells, int(plan.counts[a, b]), int(plan.counts[a, b])))
        if plan.rows_shown:
            for a in np.flatnonzero(plan.rows_pub):
                total = int(plan.counts[a].sum())
                out.append((self.cells(self.rows[a], every_col), total, total))
        if plan.cols_shown:
            for b in np.flatnonzero(plan.cols_pub):
                total = int(plan.counts[:, b].sum())
                out.append((self.cells(every_row, self.cols[b]), total, total))
            if plan.rows_shown and plan.grand:
                total = int(plan.counts.sum())
                out.append((self.cells(every_row, every_col), total, total))
        return out

    def hidden(self, plan: _Plan) -> list[frozenset]:
        """The full-cell sets of ``plan``'s suppressed cells."""
        return [self.cells(self.rows[a], self.cols[b]) for a, b in np.argwhere(plan.status != "")]

    def near(self, target: frozenset) -> tuple[set[int], set[int]]:
        """Rows and columns of this display that hold a cell of ``target``."""
        width = self.shape[1]
        rows = {a for a, m in enumerate(self.rows) if any(t // width in m for t in target)}
        cols = {b for b, m in enumerate(self.cols) if any(t % width in m for t in target)}
        return rows, cols


def _ranges_free(cons: list, targets: list[frozenset], n: int, exact: bool) -> list[bool]:
    """For each target set of cells: can its sum take two or more values given ``cons``?

    ``exact=False`` solves the linear relaxation (fast; its range contains the integer one, so
    "one value" there is final); ``exact=True`` solves integer programs
    (:func:`scipy.optimize.milp`).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    a = np.zeros((len(cons), n))
    for row, (cells, _, _) in enumerate(cons):
        a[row, list(cells)] = 1
    lo = np.array([c[1] for c in cons], dtype=float)
    hi = np.array([c[2] for c in cons], dtype=float)
    eq = lo == hi
    out = []
    for target in targets:
        obj = np.zeros(n)
        obj[list(target)] = 1
        ends = []
        for sign in (1, -1):
            if exact:
                res = milp(
                    sign * obj,
                    constraints=LinearConstraint(a, lo, hi),
                    integrality=np.ones(n),
                    bounds=Bounds(0, np.inf),
                )
            else:
                ub = ~eq
                fin = np.isfinite(hi) & ub
                res = linprog(
                    sign * obj,
                    A_ub=np.vstack([-a[ub], a[fin]]) if ub.any() else None,
                    b_ub=np.concatenate([-lo[ub], hi[fin]]) if ub.any() else None,
                    A_eq=a[eq] if eq.any() else None,
                    b_eq=lo[eq] if eq.any() else None,
                    bounds=[(0, None)] * n,
                    method="highs",
                )
            ends.append(sign * res.fun if res.status == 0 else np.inf)
        out.append(round(ends[1], 6) > round(ends[0], 6))
    return out


def _plan_of(res: Suppressed, counts: np.ndarray, zeros: str) -> _Plan:
    """A :class:`_Plan` holding a finished suppression (to extend it)."""
    plan = _Plan.start(counts, res.k, "both", zeros)
    plan.status = res.status.to_numpy(dtype=object).copy()
    nr, nc = counts.shape
    plan.rows_pub = np.array([str(res.display.iat[i, nc]) != SECONDARY_SYMBOL for i in range(nr)])
    plan.cols_pub = np.array([str(res.display.iat[nr, j]) != SECONDARY_SYMBOL for j in range(nc)])
    plan.grand = str(res.display.iat[nr, nc]) != SECONDARY_SYMBOL
    return plan


def _result(table: pd.DataFrame, plan: _Plan) -> Suppressed:
    return Suppressed(
        display=_display(table, plan, "both"),
        status=pd.DataFrame(plan.status, index=table.index, columns=table.columns),
        n_primary=int((plan.status == PRIMARY).sum()),
        n_secondary=int((plan.status == SECONDARY).sum()),
        hidden_totals=[table.index[i] for i in np.flatnonzero(~plan.rows_pub)]
        + [table.columns[j] for j in np.flatnonzero(~plan.cols_pub)],
        k=int(plan.k),
    )


class _Joint:
    """The full table and one view, suppressed together (both plans may grow)."""

    def __init__(self, table, full: Suppressed, view: pd.DataFrame, rows, cols, zeros: str):
        idx, col = list(table.index), list(table.columns)
        same_r, same_c = {str(g): str(g) for g in idx}, {str(c): str(c) for c in col}
        self.tables = (table, view)
        self.layouts = (
            _Layout.of(idx, col, table, same_r, same_c),
            _Layout.of(idx, col, view, rows, cols),
        )
        self.plans = (
            _plan_of(full, _counts(table), zeros),
            _Plan.start(_counts(view), full.k, "rows", zeros),
        )
        self.plans[1].secondary()
        _inherit_hidden_totals(self.plans[1], full, self.layouts[1])
        self.n = len(idx) * len(col)
        self.exact = False
        self.free: set[frozenset] = set()

    def state(self):
        cons, targets = [], []
        for lay, plan in zip(self.layouts, self.plans, strict=True):
            cons += lay.published(plan)
            targets += lay.hidden(plan)
        return cons, list(dict.fromkeys(targets))

    def exposed(self) -> list[frozenset]:
        """Hidden cells (or sums) an attacker can pin down.

        Hiding more only widens what an attacker can deduce (a count becomes a range, a total
        disappears), so a cell once found free stays free and is not checked again.
        """
        cons, targets = self.state()
        todo = [t for t in targets if t not in self.free]
        found = _ranges_free(cons, todo, self.n, self.exact)
        self.free |= {t for t, ok in zip(todo, found, strict=True) if ok}
        return [t for t, ok in zip(todo, found, strict=True) if not ok]

    def protected(self, target) -> bool:
        cons, _ = self.state()
        return _ranges_free(cons, [target], self.n, self.exact)[0]

    def moves(self, target: frozenset) -> list[tuple]:
        """Every further step, cheapest first: full cells, view cells, full totals, view totals.

        Cells are taken from the target's lines only, smaller counts first; totals from any
        line, the target's first. A hidden total costs most: it withholds every share of its
        line.
        """
        cells, totals = [], []
        for plan, lay in zip(self.plans, self.layouts, strict=True):
            near_r, near_c = lay.near(target)
            near = [
                (a, b)
                for a in range(len(lay.rows))
                for b in range(len(lay.cols))
                if a in near_r or b in near_c
            ]
            found = sorted(plan.candidates(near), key=lambda c, p=plan: (p.counts[c], c))
            found = found[:MAX_MOVES]
            cells += [(plan.status, c, SECONDARY) for c in found]
            lines = [(plan.rows_pub, i, i not in near_r) for i in np.flatnonzero(plan.rows_pub)]
            lines += [(plan.cols_pub, j, j not in near_c) for j in np.flatnonzero(plan.cols_pub)]
            totals += [(pub, at, False) for pub, at, _ in sorted(lines, key=lambda t: t[2])]
        return cells + totals

    def protect(self, target: frozenset) -> bool:
        """Take the cheapest step that protects ``target``, else the cheapest step.

        Tried in order: one more hidden cell of the full table; one more hidden full cell
        followed by the full table's own secondary suppression and audit (a cell hidden alone
        in its column needs a partner there); a view cell; a total.
        """
        moves = self.moves(target)
        full_cells = [m for m in moves if m[0] is self.plans[0].status][:MAX_FOLLOWED]
        for arr, at, value in moves[: len(full_cells)]:
            if self.attempt(target, arr, at, value, follow=False):
                return True
        for arr, at, value in full_cells:
            if self.attempt(target, arr, at, value, follow=True):
                return True
        for arr, at, value in moves[len(full_cells) :]:
            if self.attempt(target, arr, at, value, follow=False):
                return True
        if moves:
            arr, at, value = moves[0]
            arr[at] = value
            return True
        for plan in self.plans:
            if plan.grand:
                plan.grand = False
                return True
        return False

    def attempt(self, target, arr, at, value, *, follow: bool) -> bool:
        """Make one change (and, with ``follow``, re-protect the full table alone); keep it
        when ``target`` is then protected, else undo it."""
        full = self.plans[0]
        saved = (full.status.copy(), full.rows_pub.copy(), full.cols_pub.copy(), full.grand)
        before = arr[at]
        arr[at] = value
        if follow:
            full.secondary()
            full.audit()
        if self.protected(target):
            return True
        arr[at] = before
        # restored in place: the moves hold references to these very arrays
        full.status[...], full.rows_pub[...], full.cols_pub[...] = saved[:3]
        full.grand = saved[3]
        return False

    def run(self) -> tuple[Suppressed, Suppressed] | None:
        """Protect every hidden cell of both tables (linear relaxation first, then exact)."""
        steps = 0
        for exact in (False, True):
            self.exact, self.free = exact, set()
            while left := self.exposed():
                steps += 1
                if steps > MAX_STEPS or not self.protect(left[0]):
                    return None  # no view rather than an unbounded search
        return tuple(_result(t, p) for t, p in zip(self.tables, self.plans, strict=True))


def _inherit_hidden_totals(plan: _Plan, full: Suppressed, lay: _Layout) -> None:
    """A view line made of one full line whose total is hidden hides its total too."""
    nr, nc = lay.shape
    row_hidden = [str(full.display.iat[i, nc]) == SECONDARY_SYMBOL for i in range(nr)]
    col_hidden = [str(full.display.iat[nr, j]) == SECONDARY_SYMBOL for j in range(nc)]
    for a, members in enumerate(lay.rows):
        if len(members) == 1 and row_hidden[members[0]]:
            plan.rows_pub[a] = False
    for b, members in enumerate(lay.cols):
        if len(members) == 1 and col_hidden[members[0]]:
            plan.cols_pub[b] = False
    if str(full.display.iat[nr, nc]) == SECONDARY_SYMBOL:
        plan.grand = False
