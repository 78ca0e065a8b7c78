"""Tests of giftreview.analysis.score: each question type scored on small clean-shaped tables.

The tables are built by hand from the instrument, shaped as docs/data-contract.md says, so the
expected counts can be read off the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from giftreview.analysis.score import score_question, simulate_clean
from giftreview.errors import ArgumentError, InstrumentError

IMPORTANCE = [
    "Not at all important",
    "Slightly important",
    "Moderately important",
    "Important",
    "Very important",
]


@pytest.fixture
def b1_frame() -> pd.DataFrame:
    # 8 rows: 6 answers (levels 1, 3, 4, 4, 5, 5), one "Don't know", one blank
    answers = [IMPORTANCE[i] for i in (0, 2, 3, 3, 4, 4)] + [None, None]
    return pd.DataFrame(
        {
            "B1": pd.Categorical(answers, categories=IMPORTANCE, ordered=True),
            "B1__missing": pd.array([None] * 6 + ["Don't know", None], dtype="string"),
        }
    )


def stat(summary: pd.DataFrame, name: str) -> pd.Series:
    return summary.set_index("statistic").loc[name]


def test_rating_distribution_summary_and_top_box(instrument, b1_frame):
    s = score_question(b1_frame, instrument, "B1")
    assert s.table["level"].tolist() == IMPORTANCE
    assert s.table["n"].tolist() == [1, 0, 1, 2, 2]
    assert (s.table["base"] == 6).all()
    assert s.table["pct"].tolist() == pytest.approx([100 / 6, 0, 100 / 6, 200 / 6, 200 / 6])
    assert stat(s.summary, "answered")["n"] == 6
    assert stat(s.summary, "missing: Don't know")["n"] == 1
    assert stat(s.summary, "missing: N/A")["n"] == 0
    assert stat(s.summary, "blank")["n"] == 1
    # mean of level numbers (1 + 3 + 4 + 4 + 5 + 5) / 6 = 22/6; median (4 + 4) / 2 = 4
    assert stat(s.summary, "mean")["estimate"] == pytest.approx(22 / 6)
    assert stat(s.summary, "median")["estimate"] == 4
    # top box = Important + Very important (instrument top_box [4, 5]) = 4 of 6
    top = stat(s.summary, "top_box")
    assert top["estimate"] == pytest.approx(400 / 6)
    assert top["n"] == 6 and top["selected"] == 4  # n is the base, as in the mean's row
    assert pd.isna(stat(s.summary, "mean")["selected"])
    # Wilson 95% by hand, z = 1.959964, z^2 = 3.841459:
    # limits = (2x + z^2 -/+ z sqrt(z^2 + 4x(n - x)/n)) / (2(n + z^2));
    # x = 4, n = 6: (11.841459 -/+ 1.959964 * sqrt(3.841459 + 32/6 = 9.174792)) / 19.682918
    #             = (11.841459 -/+ 5.936715) / 19.682918 -> 29.9993 %, 90.3229 %
    # x = 0 (Slightly important): lower 0, upper z^2 / (n + z^2) = 3.841459 / 9.841459 = 39.0334 %
    assert (round(top["ci_low"], 4), round(top["ci_high"], 4)) == (29.9993, 90.3229)
    slightly = s.table.set_index("level").loc["Slightly important"]
    assert slightly["ci_low"] == pytest.approx(0, abs=1e-9)
    assert round(slightly["ci_high"], 4) == 39.0334
    assert s.base_statement == "base = 6 respondents who answered B1"


def test_method_and_level_change_the_interval(instrument, b1_frame):
    wilson = score_question(b1_frame, instrument, "B1").table
    exact = score_question(b1_frame, instrument, "B1", method="clopper-pearson").table
    wide = score_question(b1_frame, instrument, "B1", confidence=0.99).table
    assert (exact["ci_high"] - exact["ci_low"]).iloc[0] > (
        wilson["ci_high"] - wilson["ci_low"]
    ).iloc[0]
    assert (wide["ci_high"] - wide["ci_low"]).iloc[0] > (wilson["ci_high"] - wilson["ci_low"]).iloc[
        0
    ]
    with pytest.raises(ArgumentError, match="`method` 'wald2' is not an interval method"):
        score_question(b1_frame, instrument, "B1", method="wald2")


def test_count_bins_median_and_quartiles(instrument):
    values = [0, 1, 2, 2, 4, 7, 15, None]
    bins = ["None", "1-2", "1-2", "1-2", "3-5", "6-10", "More than 10", None]
    d = pd.DataFrame(
        {
            "A3": pd.array(values, dtype="Float64"),
            "A3__bin": pd.Categorical(
                bins, categories=["None", "1-2", "3-5", "6-10", "More than 10"], ordered=True
            ),
            "A3__missing": pd.array([None] * 7 + ["N/A"], dtype="string"),
        }
    )
    s = score_question(d, instrument, "A3")
    assert s.table["n"].tolist() == [1, 3, 1, 1, 1]
    # quantile type 7 of (0, 1, 2, 2, 4, 7, 15): q1 = 1.5, median 2, q3 = 5.5
    assert stat(s.summary, "q1")["estimate"] == 1.5
    assert stat(s.summary, "median")["estimate"] == 2
    assert stat(s.summary, "q3")["estimate"] == 5.5
    assert stat(s.summary, "missing: N/A")["n"] == 1


def test_multi_base_is_respondents_who_answered(instrument):
    q = instrument.question("B6")
    n = 5
    d = pd.DataFrame({f"B6__{o.code}": pd.array([False] * n, dtype="boolean") for o in q.options})
    d.loc[[0, 1, 2], "B6__victims"] = True
    d.loc[[1], "B6__data"] = True
    d.loc[[1], "B6__other"] = True
    d.loc[4, [c for c in d.columns]] = pd.NA  # respondent 4 did not answer B6
    d["B6__other_text"] = pd.array([None, "Organ trafficking", None, None, None], dtype="string")
    d["B6__missing"] = pd.array([None] * 5, dtype="string")
    s = score_question(d, instrument, "B6")
    t = s.table.set_index("level")
    assert s.base_statement == "base = 4 respondents who answered B6"
    assert t.loc["Victim protection and assistance", "n"] == 3
    assert t.loc["Victim protection and assistance", "pct"] == pytest.approx(75)
    assert t.loc["Data collection and research", "n"] == 1
    assert t.loc["Other (specify)", "n"] == 1
    assert s.other_text.tolist() == ["Organ trafficking"]
    assert stat(s.summary, "blank")["n"] == 1


def test_single_choice_distribution_in_instrument_order(instrument):
    d = simulate_clean(instrument, 200, seed=11)
    s = score_question(d, instrument, "A1")
    assert s.table["level"].tolist() == [o.label for o in instrument.question("A1").options]
    assert s.table["pct"].sum() == pytest.approx(100)
    assert "mean" not in s.summary["statistic"].tolist()


def test_scores_do_not_depend_on_row_order(instrument):
    d = simulate_clean(instrument, 150, seed=5)
    shuffled = d.sample(frac=1, random_state=1)
    for qid in ("A1", "A2", "A3", "B1", "B6"):
        a, b = score_question(d, instrument, qid), score_question(shuffled, instrument, qid)
        pd.testing.assert_frame_equal(a.table, b.table)
        pd.testing.assert_frame_equal(a.summary, b.summary)


def test_open_and_unknown_questions_are_refused(instrument, b1_frame):
    with pytest.raises(ArgumentError, match="question B2 is 'open'"):
        score_question(b1_frame, instrument, "B2")
    with pytest.raises(InstrumentError, match="unknown question 'B10'"):
        score_question(b1_frame, instrument, "B10")


def test_simulated_data_follow_the_contract(instrument):
    d = simulate_clean(instrument, 50, seed=2)
    assert isinstance(d["B1"].dtype, pd.CategoricalDtype) and d["B1"].cat.ordered
    assert str(d["A3"].dtype) == "Float64" and d["B6__victims"].dtype == "boolean"
    assert np.isin(
        d["A1"].cat.categories, [o.label for o in instrument.question("A1").options]
    ).all()
