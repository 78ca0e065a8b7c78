"""Small-cell suppression of one table, with secondary suppression that is checked.

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
    "primary_status",
    "wide_counts",
    "suppress_tidy",
    "apply_suppression",
    "suppressed_share",
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
        if margins not in ("both", "rows", "columns", "none"):
            raise ArgumentError(
                f"`margins` must be 'both', 'rows', 'columns' or 'none'; got {margins!r}"
            )
        status = primary_status(counts, k=k, zeros=zeros)
        low = 1 if zeros == "show" else 0
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
        if not (self.grand or self.rows_pub.any() or self.cols_pub.any()):
            # no total published: nothing to subtract from, so no hidden cell can be narrowed
            # down, and a linear program per hidden cell would only confirm it
            return
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


def primary_status(counts: np.ndarray, *, k: int = 5, zeros: str = "show") -> np.ndarray:
    """Step 1 of the rule alone: ``"primary"`` where a count lies from 1 (0 when
    ``zeros="suppress"``) to ``k - 1``, ``""`` elsewhere, for counts of any shape.

    This is all of :func:`suppress` when no total is published (``margins="none"``): nothing
    can be recovered by subtraction, so no secondary cell is needed. A long tidy table of counts
    (one row per group and name) is marked with it directly, without pivoting it into a wide one.

    Parameters
    ----------
    counts
        Whole non-negative counts (any shape; not modified).
    k, zeros
        As in :func:`suppress` (``k=0`` turns suppression off).

    Returns
    -------
    numpy.ndarray
        Object array of the shape of ``counts``. In R: ``ifelse(n >= 1 & n < k, "primary", "")``.

    Examples
    --------
    >>> primary_status(np.array([0, 1, 4, 5, 12]), k=5).tolist()
    ['', 'primary', 'primary', '', '']
    """
    if not isinstance(k, int | np.integer) or k < 0:
        raise ArgumentError(f"`k` must be a whole number >= 0 (0 turns suppression off); got {k!r}")
    if zeros not in ("show", "suppress"):
        raise ArgumentError(f"`zeros` must be 'show' or 'suppress'; got {zeros!r}")
    if k == 2 and zeros == "show":
        raise ArgumentError(
            "with k=2 and zeros shown, '<2' can only mean 1; pass zeros='suppress' or k >= 3"
        )
    counts = np.asarray(counts)
    low = 1 if zeros == "show" else 0
    status = np.full(counts.shape, "", dtype=object)
    status[(counts < k) & (counts >= low)] = PRIMARY
    return status


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
    # each tidy row's cell by position (the display table is the status table plus totals)
    at = (_positions(res.status.index, out[row]), _positions(res.status.columns, out[column]))
    out["suppressed"] = res.status.to_numpy()[at]
    out["n_display"] = res.display.to_numpy()[at]
    # a share of a group whose total is hidden would give the total away (count / share)
    hidden_rows = {
        r for r in res.display.index[:-1] if res.display.at[r, "Total"] == SECONDARY_SYMBOL
    }
    shown = (out["suppressed"] == "") & ~out[row].isin(hidden_rows)
    for c in hide:
        if c in out.columns:
            out[c] = out[c].where(shown)
    return out


def _positions(labels: pd.Index, values: pd.Series) -> np.ndarray:
    """Positions of ``values`` in ``labels``; a value not there raises KeyError, as ``.loc``."""
    at = labels.get_indexer(values)
    if (at < 0).any():
        raise KeyError(values[at < 0].iloc[0])
    return at


def suppressed_share(res: Suppressed) -> float:
    """Share of a table's cells that suppression hides (primary and secondary), 0 to 1.

    Zero for an empty table. In words: "suppression hides 51% of the cells".
    """
    cells = res.status.size
    return float(res.mask.to_numpy().sum() / cells) if cells else 0.0
