"""Tests of giftreview.analysis.disclosure: primary/secondary suppression and that nothing is recoverable.

The recovery check in the property test is written independently of the module: an integer
program (scipy.optimize.milp) finds the smallest and largest value of each suppressed cell that
agrees with everything the display publishes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from giftreview.analysis import disclosure
from giftreview.analysis.disclosure import (
    SECONDARY_SYMBOL,
    apply_suppression,
    primary_status,
    suppress,
    suppress_tidy,
)
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


# ---- collapsed views and the joint attacker ---------------------------------------------------
def joint_range(
    full: pd.DataFrame,
    view: pd.DataFrame,
    rows: dict[str, str],
    cols: dict[str, str],
    k: int,
    target: list[tuple[int, int]],
    low: int = 1,
) -> tuple[int, int]:
    """Min and max integer value of the sum of full-table ``target`` cells given BOTH displays.

    The attacker knows the full display (as in attacker_range), the collapsed view's display and
    how its rows and columns are made of the full table's (the caption says so). Unknowns are
    the full table's cells; a view cell is the sum of the full cells of its group rows and its
    answer columns. Written independently of the module: one integer program per bound.
    """
    body = full.drop(index="Total", columns="Total", errors="ignore")
    r, c = body.shape
    n = r * c
    idx = lambda i, j: i * c + j  # noqa: E731
    lo, hi = np.zeros(n), np.full(n, 10.0**6)
    for i in range(r):
        for j in range(c):
            v = body.iat[i, j]
            if v == f"<{k}":
                lo[idx(i, j)], hi[idx(i, j)] = low, k - 1
            elif v == "x":
                lo[idx(i, j)] = k
            else:
                lo[idx(i, j)] = hi[idx(i, j)] = int(v)
    a_rows, a_lo, a_hi = [], [], []

    def add(cells, text, body_cell):
        a = np.zeros(n)
        a[cells] = 1
        if str(text).isdigit():
            a_rows.append(a), a_lo.append(int(text)), a_hi.append(int(text))
        elif body_cell and text == f"<{k}":
            a_rows.append(a), a_lo.append(low), a_hi.append(k - 1)
        elif body_cell and text == "x":
            a_rows.append(a), a_lo.append(k), a_hi.append(10.0**7)

    for i in range(r):
        add([idx(i, j) for j in range(c)], full["Total"].iat[i], False)
    for j in range(c):
        add([idx(i, j) for i in range(r)], full.loc["Total"].iat[j], False)
    add(list(range(n)), full.loc["Total", "Total"], False)
    groups, answers = [str(g) for g in body.index], [str(a) for a in body.columns]
    vbody = view.drop(index="Total", columns="Total", errors="ignore")
    for a_label in vbody.index:
        grp = [i for i, g in enumerate(groups) if rows[g] == a_label]
        for b_label in vbody.columns:
            ans = [j for j, x in enumerate(answers) if cols[x] == b_label]
            add([idx(i, j) for i in grp for j in ans], vbody.at[a_label, b_label], True)
        if "Total" in view.columns:
            add([idx(i, j) for i in grp for j in range(c)], view.at[a_label, "Total"], False)
    obj = np.zeros(n)
    obj[[idx(i, j) for i, j in target]] = 1
    cons = [LinearConstraint(np.array(a_rows), a_lo, a_hi)] if a_rows else []
    ends = []
    for sign in (1, -1):
        res = milp(sign * obj, constraints=cons, integrality=np.ones(n), bounds=Bounds(lo, hi))
        assert res.status == 0, "the published tables must be consistent with the true one"
        ends.append(round(sign * res.fun))
    return ends[0], ends[1]


def assert_nothing_recoverable(t: pd.DataFrame, view, k: int, low: int = 1) -> None:
    """Every hidden cell of the full table and of the view keeps two or more possible values."""
    full, shown = view.full.display, view.suppressed.display
    for i, j in np.argwhere(view.full.mask.to_numpy()):
        lo, hi = joint_range(full, shown, view.groups, view.mapping, k, [(i, j)], low)
        assert lo <= t.iat[i, j] <= hi
        assert hi > lo, f"full cell {(i, j)} recovered from\n{full}\n{shown}"
    groups, answers = [str(g) for g in t.index], [str(a) for a in t.columns]
    for a, b in np.argwhere(view.suppressed.mask.to_numpy()):
        a_label, b_label = view.counts.index[a], view.counts.columns[b]
        cells = [
            (i, j)
            for i, g in enumerate(groups)
            if view.groups[g] == a_label
            for j, x in enumerate(answers)
            if view.mapping[x] == b_label
        ]
        lo, hi = joint_range(full, shown, view.groups, view.mapping, k, cells, low)
        assert hi > lo, f"view cell {(a_label, b_label)} recovered from\n{full}\n{shown}"


IMPORTANCE = ["Not at all", "Slightly", "Moderately", "Important", "Very"]


def test_scale_groupings_bottom_neutral_top_then_top_against_rest():
    three, two = disclosure.scale_groupings(IMPORTANCE, "Moderately")
    assert three == {
        "Not at all": "Not at all or Slightly",
        "Slightly": "Not at all or Slightly",
        "Moderately": "Moderately",
        "Important": "Important or Very",
        "Very": "Important or Very",
    }
    assert set(two.values()) == {"Not at all to Moderately", "Important or Very"}
    # an even scale splits into halves; no neutral level
    (halves,) = disclosure.scale_groupings(["1", "2", "3", "4"])
    assert halves == {"1": "1 or 2", "2": "1 or 2", "3": "3 or 4", "4": "3 or 4"}
    with pytest.raises(ArgumentError, match="`neutral` 'Maybe' is not one of `levels`"):
        disclosure.scale_groupings(IMPORTANCE, "Maybe")


def test_choice_groupings_keep_the_most_chosen_options():
    totals = pd.Series([5, 30, 12, 30], index=["a", "b", "c", "d"])
    first, second, third = disclosure.choice_groupings(totals)
    # by total: b (30), d (30, after b in the instrument's order), c (12), a (5)
    assert first == {"a": "all other answers", "b": "b", "c": "c", "d": "d"}
    assert second == {"a": "all other answers", "b": "b", "c": "all other answers", "d": "d"}
    assert set(third.values()) == {"b", "all other answers"}


def test_no_collapse_when_few_cells_are_hidden():
    t = frame([[20, 30, 40], [25, 35, 45]])
    full = suppress(t, k=5)
    assert disclosure.suppressed_share(full) == 0
    assert (
        disclosure.collapse(t, full, disclosure.scale_groupings(["a0", "a1", "a2"], "a1")) is None
    )


def test_collapsed_view_of_a_mostly_suppressed_rating_table():
    # The bundled 2010 wave's A2 by sector (counts from `giftreview breakdown ungift_2010 A2`):
    # suppression hides 18 of 35 cells (51%), so a collapsed view is published beside it.
    t = pd.DataFrame(
        [
            [0, 2, 5, 24, 15],
            [0, 0, 0, 4, 13],
            [0, 0, 2, 9, 6],
            [0, 0, 3, 6, 9],
            [0, 1, 1, 4, 1],
            [0, 0, 4, 3, 4],
            [0, 0, 0, 2, 0],
        ],
        index=["Gov", "UN", "Intl", "NGO", "Private", "Academia", "Other"],
        columns=IMPORTANCE,
    )
    full = suppress(t, k=5)
    assert round(disclosure.suppressed_share(full), 2) == 0.51  # 18 / 35
    view = disclosure.collapse(t, full, disclosure.scale_groupings(IMPORTANCE, "Moderately"))
    assert view is not None and view.share <= 0.30
    # Gov and UN have no small count once answers are split top 2 / rest; the other groups
    # (2 + 3 + 2 + 4 + 0 = 11 below the top two, 44 in them) are merged.
    assert view.counts.loc["Gov"].tolist() == [7, 39]
    assert view.counts.loc["UN"].tolist() == [0, 17]
    assert view.counts.loc["all other groups"].tolist() == [11, 44]
    assert "all other groups = Intl, NGO, Private, Academia, Other" in view.describe()
    assert "hides 51% of the cells" in view.describe()
    assert_nothing_recoverable(t, view, 5)
    assert t.iat[0, 3] == 24  # input untouched


@settings(max_examples=6)  # each example runs several joint audits (integer programs)
@given(
    table=st.integers(2, 3).flatmap(
        lambda r: st.lists(
            st.lists(st.integers(0, 14), min_size=5, max_size=5), min_size=r, max_size=r
        )
    ),
    k=st.sampled_from([3, 5]),
)
def test_no_hidden_count_recoverable_from_full_and_collapsed_views(table, k):
    t = pd.DataFrame(table, index=[f"g{i}" for i in range(len(table))], columns=IMPORTANCE)
    full = suppress(t, k=k)
    view = disclosure.collapse(
        t, full, disclosure.scale_groupings(IMPORTANCE, "Moderately"), k=k, threshold=0.0
    )
    if view is None:  # nothing hidden, or no collapsed view could be protected
        return
    assert_nothing_recoverable(t, view, k)


def test_suppress_tidy_withholds_shares_of_a_group_whose_total_is_hidden():
    # 3 is the only unknown of group a; its total is hidden (see the test above), so its
    # share 100 % would give the count away: every share of group a is withheld.
    tidy = pd.DataFrame(
        {
            "group": ["a", "a", "b", "b"],
            "level": ["x", "y", "x", "y"],
            "n": [3, 0, 0, 0],
            "pct": [100.0, 0.0, np.nan, np.nan],
        }
    )
    out, res = suppress_tidy(tidy, k=5)
    assert res.display.loc["a", "Total"] == "x"
    assert out.loc[out["group"] == "a", "pct"].isna().all()


def test_without_published_totals_only_the_small_cells_are_hidden():
    """margins="none" publishes no total, so no hidden cell can be recovered by subtraction:
    exactly the cells with 1 <= n < k are hidden (hand-checked: 3, 1 and 4 are below k=5; the
    zero is shown, zeros="show"), and no secondary suppression is added."""
    table = pd.DataFrame([[3, 12, 0], [1, 4, 9]], index=["a", "b"], columns=["x", "y", "z"])
    res = suppress(table, k=5, margins="none")
    hidden = sorted((r, c) for r in table.index for c in table.columns if res.status.loc[r, c])
    assert hidden == [("a", "x"), ("b", "x"), ("b", "y")]
    assert (res.n_primary, res.n_secondary) == (3, 0)


def old_apply_suppression(table, res, *, row="group", column="level",
                          hide=("pct", "ci_low", "ci_high")):  # fmt: skip
    """``apply_suppression`` of main at ec48d9c (the oracle): each cell looked up by ``.loc``."""
    out = table.copy()
    keys = list(zip(out[row], out[column], strict=True))
    out["suppressed"] = [res.status.loc[r, c] for r, c in keys]
    out["n_display"] = [res.display.loc[r, c] for r, c in keys]
    hidden_rows = {
        r for r in res.display.index[:-1] if res.display.at[r, "Total"] == SECONDARY_SYMBOL
    }
    shown = (out["suppressed"] == "") & ~out[row].isin(hidden_rows)
    for c in hide:
        if c in out.columns:
            out[c] = out[c].where(shown)
    return out


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.lists(st.integers(0, 25), min_size=3, max_size=3), min_size=1, max_size=4),
    k=st.sampled_from([0, 3, 5]),
    categorical=st.booleans(),
    shuffle=st.randoms(use_true_random=False),
)
def test_apply_suppression_equals_the_per_cell_lookup(counts, k, categorical, shuffle):
    # a tidy breakdown of up to 4 groups x 3 levels in any row order, suppressed as the report
    # does (row and column totals published, so secondary cells and hidden totals occur); the
    # whole-column lookup must mark it exactly as the old per-cell .loc lookup did
    rows = [
        (f"g{i}", lvl, n)
        for i, line in enumerate(counts)
        for lvl, n in zip("xyz", line, strict=True)
    ]
    shuffle.shuffle(rows)
    tidy = pd.DataFrame(rows, columns=["group", "level", "n"]).assign(pct=50.0)
    if categorical:
        tidy["level"] = pd.Categorical(tidy["level"], categories=["z", "y", "x"])
    shown, res = suppress_tidy(tidy, k=k)
    pd.testing.assert_frame_equal(shown, old_apply_suppression(tidy, res))
    with pytest.raises(KeyError):
        apply_suppression(tidy.assign(group="nowhere"), res)


def test_primary_status_is_suppress_without_published_totals():
    # by hand: with k = 5 and zeros shown, 1..4 are primary, 0 and 5+ are not; with zeros
    # suppressed 0 is primary too; with no total published, suppress() adds nothing to it
    t = pd.DataFrame([[0, 1, 4], [5, 12, 3]], index=["a", "b"], columns=["x", "y", "z"])
    assert primary_status(t.to_numpy(), k=5).tolist() == [
        ["", "primary", "primary"],
        ["", "", "primary"],
    ]
    assert primary_status(t.to_numpy(), k=5, zeros="suppress")[0, 0] == "primary"
    assert (suppress(t, k=5, margins="none").status.to_numpy() == primary_status(t, k=5)).all()
    with pytest.raises(ArgumentError, match="with k=2 and zeros shown"):
        primary_status(t.to_numpy(), k=2)
