"""Small-cell suppression for published tables, with secondary suppression that is checked.

Rule (``docs/statistics.md``):

1. **Primary**: every count below ``k`` (zeros included) is shown as ``"<k"`` and its percentage
   is hidden.
2. **Secondary**: every published line (row or column whose total is shown) that holds exactly
   one suppressed cell gets a second one: the smallest unsuppressed cell of that line, preferring
   a cell whose crossing line already has a suppressed cell. Secondary cells are shown as
   ``"x"``.
3. **Audit**: the attacker knows every published cell and total, that a ``"<k"`` cell lies in
   ``[0, k-1]`` and that an ``"x"`` cell is at least ``k``. For each suppressed cell the smallest
   and largest value consistent with all of that are found by linear programming
   (:func:`scipy.optimize.linprog`). The constraint matrix of row and column sums is totally
   unimodular, so these bounds are integers: the cell is protected exactly when
   ``max > min`` (at least two values are possible). While a cell is not protected, another cell
   of its row or column is suppressed; when no cell is left to suppress, the total of that line
   is hidden instead.

Step 2 alone is not enough: e.g. when the second cell of a line is itself pinned down by its
column, the pair can be solved; step 3 catches every such case.

In R: ``sdcTable::protectTable`` (HITAS/SIMPLEHEURISTIC) does the same job for tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from giftreview.errors import ArgumentError

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


def suppress(table: pd.DataFrame, *, k: int = 5, margins: str = "both") -> Suppressed:
    """Suppress small cells of a contingency table of counts so none can be recovered.

    Parameters
    ----------
    table
        Counts: rows are groups, columns are answers (non-negative integers; not modified).
    k
        Threshold: counts below ``k`` are suppressed. ``k=0`` turns suppression off.
    margins
        Which totals are published: ``"both"`` (row and column totals), ``"rows"``,
        ``"columns"`` or ``"none"``.

    Returns
    -------
    Suppressed

    Examples
    --------
    >>> t = pd.DataFrame([[3, 10, 12], [8, 9, 15]], index=["a", "b"], columns=["x", "y", "z"])
    >>> s = suppress(t, k=5)
    >>> s.n_primary, s.n_secondary
    (1, 3)
    """
    counts = _counts(table)
    if not isinstance(k, int | np.integer) or k < 0:
        raise ArgumentError(f"`k` must be a whole number >= 0 (0 turns suppression off); got {k!r}")
    if margins not in ("both", "rows", "columns", "none"):
        raise ArgumentError(
            f"`margins` must be 'both', 'rows', 'columns' or 'none'; got {margins!r}"
        )
    status = np.full(counts.shape, "", dtype=object)
    status[counts < k] = PRIMARY
    rows_pub = np.full(counts.shape[0], margins in ("both", "rows"))
    cols_pub = np.full(counts.shape[1], margins in ("both", "columns"))
    grand = margins != "none"
    if k > 0:
        _secondary(counts, status, rows_pub, cols_pub)
        grand = _audit(counts, status, rows_pub, cols_pub, k, grand)
    hidden = (
        [table.index[i] for i in np.flatnonzero(~rows_pub)] if margins in ("both", "rows") else []
    )
    hidden += (
        [table.columns[j] for j in np.flatnonzero(~cols_pub)]
        if margins in ("both", "columns")
        else []
    )
    return Suppressed(
        display=_display(table, counts, status, (rows_pub, cols_pub, grand), k, margins),
        status=pd.DataFrame(status, index=table.index, columns=table.columns),
        n_primary=int((status == PRIMARY).sum()),
        n_secondary=int((status == SECONDARY).sum()),
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


def _lines(shape, rows_pub, cols_pub):
    """Published lines as lists of (i, j) cells."""
    r, c = shape
    out = [[(i, j) for j in range(c)] for i in range(r) if rows_pub[i]]
    out += [[(i, j) for i in range(r)] for j in range(c) if cols_pub[j]]
    return out


def _secondary(counts, status, rows_pub, cols_pub) -> None:
    """Give every published line with exactly one suppressed cell a second one."""
    changed = True
    while changed:
        changed = False
        for line in _lines(counts.shape, rows_pub, cols_pub):
            if sum(status[c] != "" for c in line) == 1:
                if _suppress_one(counts, status, line):
                    changed = True


def _suppress_one(counts, status, cells) -> bool:
    """Suppress the best unsuppressed cell among ``cells`` (False when none is left)."""
    free = [c for c in cells if status[c] == ""]
    if not free:
        return False

    def crossing_has(c) -> bool:
        i, j = c
        return (status[i, :] != "").any() or (status[:, j] != "").any()

    best = min(free, key=lambda c: (not crossing_has(c), counts[c]))
    status[best] = SECONDARY
    return True


def cell_ranges(
    counts, status, rows_pub, cols_pub, k: int, margins_grand: bool = True
) -> dict[tuple, tuple[float, float]]:
    """Smallest and largest value of each suppressed cell an attacker can deduce (by LP).

    Constraints: the published line totals, the grand total (when ``margins_grand``), ``[0, k-1]`` for primary cells and ``>= k`` for secondary cells.
    """
    cells = [tuple(c) for c in np.argwhere(status != "")]
    if not cells:
        return {}
    index = {c: n for n, c in enumerate(cells)}
    a_eq, b_eq = [], []
    lines = _lines(counts.shape, rows_pub, cols_pub)
    if margins_grand:
        lines.append([tuple(c) for c in np.argwhere(np.ones(counts.shape, dtype=bool))])
    for line in lines:
        hidden = [c for c in line if c in index]
        if hidden:
            row = np.zeros(len(cells))
            row[[index[c] for c in hidden]] = 1
            a_eq.append(row)
            b_eq.append(sum(counts[c] for c in hidden))
    bounds = [(0, k - 1) if status[c] == PRIMARY else (k, None) for c in cells]
    out = {}
    for c, n in index.items():
        obj = np.zeros(len(cells))
        obj[n] = 1
        ends = []
        for sign in (1, -1):
            res = linprog(
                sign * obj,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=np.array(b_eq) if b_eq else None,
                bounds=bounds,
                method="highs",
            )
            ends.append(sign * res.fun if res.status == 0 else np.inf * sign)
        out[c] = (round(ends[0], 6), round(ends[1], 6))
    return out


def _audit(counts, status, rows_pub, cols_pub, k: int, grand: bool) -> bool:
    """Suppress more (or hide totals) until every suppressed cell has at least two values.

    Returns whether the grand total can still be published.
    """
    while True:
        ranges = cell_ranges(counts, status, rows_pub, cols_pub, k, grand)
        exposed = [c for c, (lo, hi) in ranges.items() if hi <= lo]
        if not exposed:
            return grand
        if not any(_protect(counts, status, rows_pub, cols_pub, c) for c in exposed):
            if not grand:  # pragma: no cover - without constraints the bounds give two values
                return grand
            grand = False


def _protect(counts, status, rows_pub, cols_pub, cell) -> bool:
    """One step towards protecting ``cell``: suppress a cell of its lines, else hide a total."""
    i, j = cell
    row = [(i, jj) for jj in range(counts.shape[1])]
    col = [(ii, j) for ii in range(counts.shape[0])]
    if rows_pub[i] and _suppress_one(counts, status, row):
        return True
    if cols_pub[j] and _suppress_one(counts, status, col):
        return True
    for pub, at in ((rows_pub, i), (cols_pub, j)):
        if pub[at]:
            pub[at] = False
            return True
    return False


def _display(table, counts, status, published, k, margins) -> pd.DataFrame:
    rows_pub, cols_pub, grand = published
    text = np.where(
        status == PRIMARY,
        f"<{k}",
        np.where(status == SECONDARY, SECONDARY_SYMBOL, counts.astype(str)),
    )
    out = pd.DataFrame(text, index=table.index, columns=table.columns)
    if margins in ("both", "rows"):
        out["Total"] = np.where(rows_pub, counts.sum(axis=1).astype(str), SECONDARY_SYMBOL)
    if margins in ("both", "columns"):
        tot = np.where(cols_pub, counts.sum(axis=0).astype(str), SECONDARY_SYMBOL).tolist()
        if "Total" in out.columns:
            tot.append(str(int(counts.sum())) if grand else SECONDARY_SYMBOL)
        out.loc["Total"] = tot
    return out


def suppress_tidy(
    table: pd.DataFrame,
    *,
    row: str = "group",
    column: str = "level",
    count: str = "n",
    k: int = 5,
    hide: tuple[str, ...] = ("pct", "ci_low", "ci_high"),
) -> tuple[pd.DataFrame, Suppressed]:
    """Suppress a tidy breakdown table (e.g. :attr:`giftreview.stats.Breakdown.table`).

    Returns a copy with ``n_display`` (text), ``suppressed`` (``""``, ``"primary"``,
    ``"secondary"``) and the ``hide`` columns set to NA where a cell is suppressed, plus the
    :class:`Suppressed` result of the pivoted counts (row and column totals published).
    """
    for c in (row, column, count):
        if c not in table.columns:
            raise ArgumentError(f"`{c}` is not a column of `table`; columns: {list(table.columns)}")
    wide = table.pivot_table(
        index=row, columns=column, values=count, aggfunc="sum", sort=False, observed=False
    ).fillna(0)
    res = suppress(wide, k=k)
    out = table.copy()
    keys = list(zip(out[row], out[column], strict=True))
    out["suppressed"] = [res.status.loc[r, c] for r, c in keys]
    out["n_display"] = [res.display.loc[r, c] for r, c in keys]
    for c in hide:
        if c in out.columns:
            out[c] = out[c].where(out["suppressed"] == "")
    return out, res
