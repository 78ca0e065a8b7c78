"""The joint audit of a full table and a collapsed view published beside it.

A view cell is a sum of full cells, so the two displays together tell an attacker more than
either alone. For every hidden cell (or sum of cells) of either table, the smallest and largest
value consistent with both displays is found: first by linear programming
(:func:`scipy.optimize.linprog`, fast; a relaxation whose range contains the integer one), then
by integer programming (:func:`scipy.optimize.milp`; merged rows and columns need not give a
totally unimodular system). While a hidden cell has one possible value, the cheapest further
step is taken (hide one more cell of either table, else a total); a search longer than
``MAX_STEPS`` gives up and the view is not published.

In R: ``sdcTable::protectLinkedTables``; the attack is ``lpSolve::lp(..., all.int = TRUE)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from giftreview.analysis.disclosure.suppression import (
    PRIMARY,
    SECONDARY,
    SECONDARY_SYMBOL,
    Suppressed,
    _counts,
    _display,
    _Plan,
)

__all__ = ["MAX_STEPS", "MAX_MOVES", "MAX_FOLLOWED", "joint_audit"]

#: bounds of the joint audit's search: steps taken, cells tried per table and step (every total
#: is tried), and full-table cells tried with the full table's own follow-up; a view needing
#: more is not published
MAX_STEPS = 30
MAX_MOVES = 16
MAX_FOLLOWED = 4


def joint_audit(
    table: pd.DataFrame,
    full: Suppressed,
    view: pd.DataFrame,
    rows: dict[str, str],
    cols: dict[str, str],
    zeros: str,
) -> tuple[Suppressed, Suppressed] | None:
    """Suppress ``table`` and its collapsed ``view`` together so no hidden count is recoverable.

    Parameters
    ----------
    table
        Counts, groups x answers; ``full`` is its suppression (:func:`suppress`), extended here.
    view
        Counts of the view: ``table`` summed by ``rows`` (group -> view row) and ``cols``
        (answer -> category); its row totals are published, its column totals are not.
    zeros
        As for :func:`suppress`.

    Returns
    -------
    (full, view) suppressions, or None when the search needs more than ``MAX_STEPS`` steps.
    """
    return _Joint(table, full, view, rows, cols, zeros).run()


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
