"""Tests of giftreview.analysis.disclosure: primary/secondary suppression and that nothing is recoverable.

The recovery check in the property test is written independently of the module: an integer
program (scipy.optimize.milp) finds the smallest and largest value of each suppressed cell that
agrees with everything the display publishes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from giftreview.analysis.disclosure import suppress, suppress_tidy
from giftreview.errors import ArgumentError


def frame(rows: list[list[int]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        index=[f"g{i}" for i in range(len(rows))],
        columns=[f"a{j}" for j in range(len(rows[0]))],
    )


def attacker_range(
    display: pd.DataFrame, k: int, cell: tuple[int, int], low: int = 1
) -> tuple[int, int]:
    """Min and max integer value of ``cell`` given only what ``display`` shows.

    Shown: cells ("<k" means low..k-1 where low is 1 when zeros are shown, "x" means >= k, a
    number is that number), and the totals in the "Total" row/column (a total shown as "x"
    gives nothing).
    """
    body = display.drop(index="Total", columns="Total", errors="ignore")
    r, c = body.shape
    lo, hi = np.zeros(r * c), np.zeros(r * c)
    for i in range(r):
        for j in range(c):
            v = body.iat[i, j]
            n = i * c + j
            if v == f"<{k}":
                lo[n], hi[n] = low, k - 1
            elif v == "x":
                lo[n], hi[n] = k, 10**6  # "at least k"; a large cap keeps the program bounded
            else:
                lo[n] = hi[n] = int(v)
    rows_a, rows_b = [], []
    if "Total" in display.columns:
        for i in range(r):
            if display["Total"].iat[i] != "x":
                a = np.zeros(r * c)
                a[i * c : (i + 1) * c] = 1
                rows_a.append(a)
                rows_b.append(int(display["Total"].iat[i]))
    if "Total" in display.index:
        for j in range(c):
            if display.loc["Total"].iat[j] != "x":
                a = np.zeros(r * c)
                a[j::c] = 1
                rows_a.append(a)
                rows_b.append(int(display.loc["Total"].iat[j]))
        grand = display.loc["Total"].iat[-1] if "Total" in display.columns else "x"
        if grand != "x":
            rows_a.append(np.ones(r * c))
            rows_b.append(int(grand))
    cons = [LinearConstraint(np.array(rows_a), rows_b, rows_b)] if rows_a else []
    obj = np.zeros(r * c)
    obj[cell[0] * c + cell[1]] = 1
    ends = []
    for sign in (1, -1):
        res = milp(sign * obj, constraints=cons, integrality=np.ones(r * c), bounds=Bounds(lo, hi))
        assert res.status == 0, "the published table must be consistent with the true one"
        ends.append(round(sign * res.fun))
    return ends[0], ends[1]


def test_primary_and_secondary_in_a_small_table():
    t = frame([[3, 10, 12], [8, 9, 15]])
    s = suppress(t, k=5)
    assert s.display.loc["g0", "a0"] == "<5"
    assert s.n_primary == 1 and s.n_secondary >= 1
    # every published row and column holds 0 or at least 2 suppressed cells
    m = s.mask.to_numpy()
    assert set(m.sum(axis=0)) <= {0, 2, 3} and set(m.sum(axis=1)) <= {0, 2, 3}
    assert s.display.loc["Total", "Total"] == "57"  # 3 + 10 + 12 + 8 + 9 + 15
    assert t.equals(frame([[3, 10, 12], [8, 9, 15]]))  # input untouched


def test_single_suppressible_cell_in_a_row_with_published_total():
    # Row g0 has one small cell; with its total shown it would be total - the others, so a
    # second cell of the row must go, and that cell's column then needs a second one too.
    t = frame([[2, 30, 40], [20, 25, 35], [22, 28, 33]])
    s = suppress(t, k=5)
    assert s.status.loc["g0"].ne("").sum() >= 2
    for i, j in np.argwhere(s.mask.to_numpy()):
        lo, hi = attacker_range(s.display, 5, (i, j))
        assert hi > lo


def test_lone_small_cell_among_zeros_hides_the_totals():
    # Zeros are shown, so 3 is the only unknown: its row total, column total and the grand total
    # would each give it away, and no other cell can be suppressed in its place.
    t = frame([[3, 0], [0, 0]])
    s = suppress(t, k=5)
    assert s.n_primary == 1 and s.n_secondary == 0
    assert s.display.loc["g0", "Total"] == "x" and s.display.loc["Total", "a0"] == "x"
    assert s.display.loc["Total", "Total"] == "x"
    assert attacker_range(s.display, 5, (0, 0)) == (1, 4)


def test_zero_column_total_does_not_force_suppression_everywhere():
    # A level nobody chose (a column of zeros, total 0) stays published as zeros.
    t = frame([[0, 2, 30, 40], [0, 25, 3, 35], [0, 22, 28, 33]])
    s = suppress(t, k=5)
    assert (s.display["a0"].iloc[:3] == "0").all()
    assert s.hidden_totals == []
    for i, j in np.argwhere(s.mask.to_numpy()):
        lo, hi = attacker_range(s.display, 5, (i, j))
        assert hi > lo


def test_suppressed_zeros_when_asked():
    t = frame([[0, 12], [9, 11]])
    s = suppress(t, k=3, zeros="suppress")
    assert s.display.loc["g0", "a0"] == "<3"
    for i, j in np.argwhere(s.mask.to_numpy()):
        lo, hi = attacker_range(s.display, 3, (i, j), low=0)
        assert hi > lo
    with pytest.raises(ArgumentError, match="with k=2 and zeros shown, '<2' can only mean 1"):
        suppress(t, k=2)


def test_k_zero_turns_suppression_off():
    t = frame([[1, 2], [3, 0]])
    s = suppress(t, k=0)
    assert s.n_primary == 0 and s.n_secondary == 0
    assert s.display.loc["g0", "a0"] == "1"


def test_bad_arguments_are_named():
    with pytest.raises(ArgumentError, match="`k` must be a whole number >= 0"):
        suppress(frame([[1]]), k=-1)
    with pytest.raises(ArgumentError, match="`margins` must be 'both'"):
        suppress(frame([[1]]), margins="diagonal")
    with pytest.raises(ArgumentError, match="whole non-negative counts"):
        suppress(frame([[1.5]]))


def test_suppress_tidy_hides_percentages():
    tidy = pd.DataFrame(
        {
            "group": ["a", "a", "b", "b"],
            "level": ["x", "y", "x", "y"],
            "n": [2, 20, 30, 40],
            "pct": [9.1, 90.9, 42.9, 57.1],
        }
    )
    out, res = suppress_tidy(tidy, k=5)
    assert out.loc[0, "n_display"] == "<5" and np.isnan(out.loc[0, "pct"])
    assert out["suppressed"].ne("").sum() == res.n_primary + res.n_secondary == 4
    assert tidy.loc[0, "pct"] == 9.1


@given(
    table=st.integers(2, 4).flatmap(
        lambda r: st.lists(
            st.lists(st.integers(0, 25), min_size=r, max_size=r), min_size=1, max_size=4
        )
    ),
    k=st.sampled_from([3, 5]),
    margins=st.sampled_from(["both", "rows", "columns"]),
    zeros=st.sampled_from(["show", "suppress"]),
)
def test_no_suppressed_cell_can_be_recovered(table, k, margins, zeros):
    t = frame(table)
    s = suppress(t, k=k, margins=margins, zeros=zeros)
    low = 1 if zeros == "show" else 0
    body = s.display.drop(index="Total", columns="Total", errors="ignore")
    small = (t.to_numpy() < k) & (t.to_numpy() >= low)
    assert (body.to_numpy() == f"<{k}").sum() == small.sum()
    for i, j in np.argwhere(s.mask.to_numpy()):
        lo, hi = attacker_range(s.display, k, (i, j), low=low)
        assert lo <= t.iat[i, j] <= hi
        assert hi > lo, f"cell {(i, j)} of {table} can be recovered: {s.display}"
