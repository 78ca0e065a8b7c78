"""Tests of giftreview.report.crosstab: wide crosstabs of suppressed breakdowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from giftreview.analysis import disclosure
from giftreview.analysis.disclosure import apply_suppression, suppress, suppress_tidy
from giftreview.analysis.stats import share_table
from giftreview.report import crosstab
from giftreview.report.crosstab import (
    TOTAL_ROW,
    WITHHELD,
    breakdown_views,
    collapsed_crosstab,
    long_counts,
    wide_crosstab,
)


def tidy(rows: dict[str, list[int]], levels: list[str]) -> pd.DataFrame:
    """A breakdown's tidy table (row percentages, Wilson 95% intervals) from counts."""
    parts = []
    for group, counts in rows.items():
        part = share_table(levels, np.array(counts), sum(counts), 0.95, "wilson")
        part.insert(0, "group", group)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def three_groups() -> pd.DataFrame:
    return tidy({"a": [10, 20, 30], "b": [2, 15, 25], "c": [12, 18, 6]}, ["x", "y", "z"])


def test_one_row_per_group_with_n_and_row_percentages(three_groups):
    shown, res = suppress_tidy(three_groups, k=5)
    ct = wide_crosstab(shown, res)
    p = ct.percentages
    assert list(p.columns) == ["n", "x", "y", "z"]
    assert list(p.index) == ["a", "b", "c", TOTAL_ROW]
    assert p["n"].tolist() == ["60", "42", "36", "138"]  # 10+20+30, 2+15+25, 12+18+6, all
    # b.x = 2 is below 5; the cells hidden with it (so that no total gives it away) are "x"
    assert p.at["b", "x"] == "<5"
    assert ct.status.at["b", "x"] == "primary"
    body = p.drop(index=TOTAL_ROW, columns="n")
    secondary = ct.status.drop(index=TOTAL_ROW) == "secondary"
    assert ((body == "x") == secondary).all().all()
    # published cells: row percentages by hand, 30/60 = 50.0 %, 12/36 = 33.3 %
    assert p.at["a", "z"] == "50.0" and p.at["c", "x"] == "33.3"
    # all groups: column totals over 138 (24/138 = 17.4 %, 53/138 = 38.4 %, 61/138 = 44.2 %)
    assert p.loc[TOTAL_ROW, ["x", "y", "z"]].tolist() == ["17.4", "38.4", "44.2"]
    assert ct.n_suppressed == res.n_primary + res.n_secondary


def test_intervals_table_holds_wilson_intervals_and_the_same_marks(three_groups):
    shown, res = suppress_tidy(three_groups, k=5)
    ct = wide_crosstab(shown, res)
    # Wilson 95 % for 30 of 60 by hand: z = 1.959964, centre 0.5,
    # half-width z * sqrt(0.25/60 + z^2/(4*60^2)) / (1 + z^2/60) = 0.122647 -> 37.7 to 62.3
    assert ct.intervals.at["a", "z"] == "37.7 to 62.3"
    assert ct.intervals.at["b", "x"] == "<5"
    assert list(ct.intervals.index) == ["a", "b", "c"]


def test_long_form_holds_published_counts_only(three_groups):
    shown, res = suppress_tidy(three_groups, k=5)
    long = long_counts(res)
    assert list(long.columns) == ["group", "answer", "n"]
    assert len(long) == 4 * 4  # 3 groups + Total, 3 answers + Total
    b_x = long[(long["group"] == "b") & (long["answer"] == "x")]["n"].item()
    assert b_x == "<5"
    assert "2" not in long[long["group"] == "b"]["n"].tolist()  # the hidden count itself
    assert long_counts(res).equals(wide_crosstab(shown, res).long)


def test_group_with_hidden_total_shows_no_share():
    # group a holds a single small count among zeros: its total must be hidden (it would be
    # the count), and a share next to a published count would give the total away.
    t = tidy({"a": [3, 0], "b": [0, 0]}, ["x", "y"])
    shown, res = suppress_tidy(t, k=5)
    ct = wide_crosstab(shown, res)
    assert ct.percentages.at["a", "n"] == "x"
    assert ct.percentages.at["a", "x"] == "<5"
    assert ct.percentages.at["a", "y"] == "0.0"  # a zero is 0 % of any base: nothing to hide
    assert ct.percentages.at[TOTAL_ROW, "y"] == "0.0"


def test_published_count_beside_a_hidden_total_gets_no_share():
    # A display as the audit may leave it: group a's total hidden, its count 6 published.
    # 6 with a share of 6/9 = 66.7 % would give the total 9 away, so the share is withheld.
    from giftreview.analysis.disclosure import Suppressed

    display = pd.DataFrame(
        [["<5", "6", "x"], ["10", "12", "22"], ["x", "18", "x"]],
        index=["a", "b", "Total"],
        columns=["x", "y", "Total"],
    )
    status = pd.DataFrame([["primary", ""], ["", ""]], index=["a", "b"], columns=["x", "y"])
    res = Suppressed(display, status, 1, 0, ["a"], 5)
    t = tidy({"a": [3, 6], "b": [10, 12]}, ["x", "y"])
    ct = wide_crosstab(apply_suppression(t, res), res)
    assert ct.percentages.at["a", "y"] == WITHHELD
    assert ct.status.at["a", "y"] == "withheld"
    assert ct.percentages.at["b", "y"] == "54.5"  # 12 / 22
    assert "share withheld" in ct.legend()


def test_multiple_choice_base_is_respondents_not_the_row_sum():
    # multi: each option is chosen or not; 40 respondents of group a answered, options are
    # chosen 10 and 30 times (the row sum 40 is a coincidence of nothing)
    t = tidy({"a": [10, 30], "b": [12, 8]}, ["o1", "o2"])
    t["base"] = np.where(t["group"] == "a", 50, 20)
    t["pct"] = 100 * t["n"] / t["base"]
    shown, res = suppress_tidy(t, k=5)
    ct = wide_crosstab(shown, res, base="base")
    assert ct.percentages["n"].tolist() == ["50", "20", "70"]
    assert ct.percentages.at["a", "o1"] == "20.0"  # 10 / 50
    assert ct.percentages.at[TOTAL_ROW, "o2"] == "54.3"  # (30 + 8) / 70


def test_collapsed_crosstab_of_the_a2_example():
    levels = ["Not at all", "Slightly", "Moderately", "Important", "Very"]
    t = pd.DataFrame(
        [[0, 2, 5, 24, 15], [0, 0, 0, 4, 13], [0, 0, 2, 9, 6], [0, 0, 3, 6, 9],
         [0, 1, 1, 4, 1], [0, 0, 4, 3, 4], [0, 0, 0, 2, 0]],
        index=["Gov", "UN", "Intl", "NGO", "Private", "Academia", "Other"],
        columns=levels,
    )  # fmt: skip
    view = disclosure.collapse(
        t, suppress(t, k=5), disclosure.scale_groupings(levels, "Moderately")
    )
    ct = collapsed_crosstab(view)
    assert TOTAL_ROW not in ct.percentages.index
    assert ct.percentages.loc["Gov"].tolist() == ["46", "15.2", "84.8"]  # 7/46, 39/46
    assert ct.percentages.loc["all other groups"].tolist() == ["55", "20.0", "80.0"]  # 11/55


def test_suppression_and_collapsed_view_are_read_back_from_the_cache(tmp_path, monkeypatch):
    # the A2 example above as a tidy breakdown: suppression hides more than 30%, so a view
    # is audited; the second call must publish the same tables without auditing again
    levels = ["Not at all", "Slightly", "Moderately", "Important", "Very"]
    rows = {"Gov": [0, 2, 5, 24, 15], "UN": [0, 0, 0, 4, 13], "Intl": [0, 0, 2, 9, 6],
            "NGO": [0, 0, 3, 6, 9], "Private": [0, 1, 1, 4, 1], "Academia": [0, 0, 4, 3, 4],
            "Other": [0, 0, 0, 2, 0]}  # fmt: skip
    t = tidy(rows, levels)
    t["base"] = t.groupby("group")["n"].transform("sum")
    kw = {"k": 5, "levels": levels, "neutral": "Moderately", "cache_dir": tmp_path}
    first = breakdown_views(t, "rating", **kw)
    assert first.collapsed is not None and len(list(tmp_path.glob("*.json"))) == 1

    def no_audit(*args, **kwargs):
        raise AssertionError("audited again although the result is cached")

    monkeypatch.setattr(crosstab, "collapse", no_audit)
    monkeypatch.setattr(crosstab, "suppress", no_audit)
    again = breakdown_views(t, "rating", **kw)
    pd.testing.assert_frame_equal(again.shown, first.shown)
    pd.testing.assert_frame_equal(again.full.percentages, first.full.percentages)
    pd.testing.assert_frame_equal(again.full.intervals, first.full.intervals)
    pd.testing.assert_frame_equal(
        again.collapsed_table.percentages, first.collapsed_table.percentages
    )
    assert again.collapsed.describe() == first.collapsed.describe()
    assert again.suppressed.hidden_totals == first.suppressed.hidden_totals
    # another k is another key: computed, not read
    with pytest.raises(AssertionError, match="audited again"):
        breakdown_views(t, "rating", **{**kw, "k": 3})
