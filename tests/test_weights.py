"""Tests of giftreview.analysis.weights: post-stratification weights and Taylor-linearised shares.

Expected values: a hand calculation written out step by step (the formulas R survey applies:
svydesign(ids = ~1) -> postStratify -> svymean / svyciprop(logit): residuals from post-stratum
means in svyrecvar, n/(n-1) with-replacement variance, t with degf = n - 1 on the logit scale),
and R survey 4.1-1 output (R 4.2.2, Debian packages r-base-core and r-cran-survey) pasted with
the R code that printed it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.analysis.score import score_question, simulate_clean
from giftreview.analysis.weights import (
    linearised_variance,
    population_from_instrument,
    poststratify,
    weighted_share,
)
from giftreview.errors import ArgumentError, DataValidationError

# Tiny dataset: stratum A has 3 respondents (y = 1, 0, 1), stratum B has 2 (y = 0, 1);
# population N_A = 30, N_B = 10.
TINY = pd.DataFrame({"s": ["A", "A", "A", "B", "B"], "y": [True, False, True, False, True]})
TOTALS = {"A": 30, "B": 10}


def test_poststratify_weights_by_hand():
    # w = N_h / n_h: A 30/3 = 10, B 10/2 = 5; they add up to N = 40
    w = poststratify(TINY, "s", TOTALS)
    assert w.tolist() == [10, 10, 10, 5, 5] and w.sum() == 40
    assert w.name == "weight" and w.index.equals(TINY.index)


def test_poststratified_share_se_and_interval_by_hand():
    # p = (10 + 10 + 5) / 40 = 0.625
    # linearised x_i = w_i (y_i - p) / 40:  A: .09375, -.15625, .09375   B: -.078125, .046875
    # residuals from post-stratum means (e_i = w_i (y_i - ybar_h) / 40, ybar_A = 2/3, ybar_B = 1/2):
    #   A: 10(1/3)/40 = .0833333, 10(-2/3)/40 = -.1666667, .0833333   B: -.0625, .0625
    # V = n/(n-1) * sum(e^2) = 5/4 * (2 * .0069444 + .0277778 + 2 * .00390625) = 0.0618490
    e = [10 * (1 / 3) / 40, 10 * (-2 / 3) / 40, 10 * (1 / 3) / 40, -0.0625, 0.0625]
    v = 5 / 4 * sum(x * x for x in e)
    se = math.sqrt(v)  # 0.2486946
    # logit interval, t(4, .975) = 2.776445: logit(.625) = 0.5108256; se_logit = se / (p (1-p))
    t = 2.7764451051977987
    half = t * se / (0.625 * 0.375)
    low = 1 / (1 + math.exp(-(math.log(0.625 / 0.375) - half)))
    high = 1 / (1 + math.exp(-(math.log(0.625 / 0.375) + half)))
    w = poststratify(TINY, "s", TOTALS)
    row = weighted_share(TINY, "y", w, strata="s").iloc[0]
    assert row["share"] == pytest.approx(0.625, abs=1e-12)
    assert row["se"] == pytest.approx(se, abs=1e-10)
    assert round(row["se"], 6) == 0.248695
    assert row["ci_low"] == pytest.approx(low, abs=1e-10)
    assert row["ci_high"] == pytest.approx(high, abs=1e-10)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.0805, 0.9694)
    assert row["df"] == 4 and row["n"] == 5
    # R survey 4.1-1 on the same data:
    #   d <- data.frame(s = c("A","A","A","B","B"), y = c(1,0,1,0,1))
    #   ps <- postStratify(svydesign(ids = ~1, weights = ~1, data = d), ~s,
    #                      data.frame(s = c("A","B"), Freq = c(30, 10)))
    #   SE(svymean(~y, ps))                                  # 0.248694508
    #   attr(svyciprop(~y, ps, method = "logit"), "ci")      # 0.08052384587 0.96943630761
    assert row["se"] == pytest.approx(0.248694508, abs=1e-9)
    assert row["ci_low"] == pytest.approx(0.08052384587, abs=1e-10)
    assert row["ci_high"] == pytest.approx(0.96943630761, abs=1e-10)


def test_fixed_weights_variance_by_hand():
    # Without post-strata (svydesign(ids = ~1, weights = ~w) alone) x is not residualised:
    # sum(x) = 0, sum(x^2) = 2(.09375^2) + .15625^2 + .078125^2 + .046875^2 = 0.05029297
    # V = 5/4 * 0.05029297 = 0.06286621
    w = poststratify(TINY, "s", TOTALS)
    row = weighted_share(TINY, "y", w).iloc[0]
    assert row["se"] ** 2 == pytest.approx(1.25 * 0.05029296875, abs=1e-12)
    # R survey 4.1-1: SE(svymean(~y, svydesign(ids = ~1, weights = ~w,
    #   data = transform(d, w = c(10, 10, 10, 5, 5)))))^2  ->  0.06286621094
    assert row["se"] ** 2 == pytest.approx(0.06286621094, abs=1e-11)


def test_bundled_wave_top_box_share_matches_r_survey(instrument):
    # B1 top-two-box share in the bundled 2010 wave, post-stratified by sector to the instrument's
    # `contacted` totals; respondents without a sector left out (as the report does), blanks and
    # missing codes of B1 outside the base (a domain). R survey 4.1-1 on the same 119 rows
    # (written with columns s = sector label, y = 1/0/NA; pop = contacted per sector label):
    #   ps <- postStratify(svydesign(ids = ~1, data = d), ~s, pop)
    #   coef(svymean(~y, ps, na.rm = TRUE))   # 0.640452427697
    #   SE(svymean(~y, ps, na.rm = TRUE))     # 0.047281924496
    #   attr(svyciprop(~y, ps, method = "logit", na.rm = TRUE), "ci")
    #                                         # 0.542576520330 0.727888740224
    from giftreview.data.clean import clean_wave
    from giftreview.paths import DATA_RAW

    clean = clean_wave(DATA_RAW / "ungift_2010.csv", instrument, write=False).clean
    d = clean[clean["A1"].notna()].reset_index(drop=True)
    top = d["B1"].isin(["Important", "Very important"]).astype("boolean")
    data = pd.DataFrame({"s": d["A1"].astype(str), "y": top.where(d["B1"].notna())})
    assert len(data) == 119 and int(data["y"].notna().sum()) == 112
    w = poststratify(data, "s", population_from_instrument(instrument))
    row = weighted_share(data, "y", w, strata="s").iloc[0]
    assert row["share"] == pytest.approx(0.640452427697, abs=1e-9)
    assert row["se"] == pytest.approx(0.047281924496, abs=1e-9)
    assert row["ci_low"] == pytest.approx(0.542576520330, abs=1e-9)
    assert row["ci_high"] == pytest.approx(0.727888740224, abs=1e-9)


def test_linearised_variance_removes_stratum_means():
    # A variable constant within post-strata has no post-stratified variance.
    x = np.array([1.0, 1.0, 2.0, 2.0])
    w = np.array([1.0, 1.0, 2.0, 2.0])
    assert linearised_variance(x, w, np.array(["a", "a", "b", "b"])) == pytest.approx(0)
    assert linearised_variance(x, w) > 0


def test_missing_answers_are_a_domain():
    d = TINY.assign(y=pd.array([True, False, True, None, True], dtype="boolean"))
    w = poststratify(d, "s", TOTALS)
    row = weighted_share(d, "y", w, strata="s").iloc[0]
    # base: 10 + 10 + 10 + 5 = 35 of weight, 10 + 10 + 5 = 25 chosen. df stays that of the
    # whole design (5 - 1), as svyciprop(df = degf(design)) on the full post-stratified design.
    assert row["share"] == pytest.approx(25 / 35) and row["n"] == 4 and row["df"] == 4
    # Variance by hand: p = 5/7; x_i = w_i (y_i - p)/35 in the base, 0 for row 3.
    # A: x/w = (2/7, -5/7, 2/7)/35 -> m_A = -1/735; e = x - 10 m_A = 2/21, -4/21, 2/21
    # B: x/w = (0, (2/7)/35) -> m_B = 1/245; e = 0 - 5/245 = -1/49, 2/49 - 1/49 = 1/49
    # (svyrecvar residualises every row of the design, the one outside the base too)
    # V = 5/4 * (2 (2/21)^2 + (4/21)^2 + 2 (1/49)^2) = 5/4 * (24/441 + 2/2401) = 0.0690685
    v = 5 / 4 * (24 / 441 + 2 / 2401)
    assert row["se"] == pytest.approx(math.sqrt(v), abs=1e-12)


def test_poststratify_errors_name_the_problem():
    with pytest.raises(ArgumentError, match=r"no total for strata \['B'\]"):
        poststratify(TINY, "s", {"A": 30})
    with pytest.raises(DataValidationError, match=r"post-strata \['C'\] have no respondents"):
        poststratify(TINY, "s", {"A": 30, "B": 10, "C": 5})
    with pytest.raises(DataValidationError, match="column 's' is missing for 1 respondents"):
        poststratify(TINY.assign(s=["A", None, "A", "B", "B"]), "s", TOTALS)
    with pytest.raises(ArgumentError, match="`weights` must be a pandas Series"):
        weighted_share(TINY, "y", pd.Series([1.0, 1.0]))


def test_weighted_score_uses_instrument_totals(instrument):
    d = simulate_clean(instrument, 300, seed=3)
    w = poststratify(d, "A1", population_from_instrument(instrument))
    assert w.sum() == pytest.approx(sum(instrument.contacted.values()))
    s = score_question(d, instrument, "B1", weights=w)
    assert s.table["pct"].sum() == pytest.approx(100)
    assert (s.table["ci_low"] <= s.table["pct"]).all() and (
        s.table["pct"] <= s.table["ci_high"]
    ).all()
    assert s.table["method"].iloc[0] == "design-based logit interval"
    m = score_question(d, instrument, "B6", weights=w)
    assert (m.table["ci_low"] <= m.table["pct"] + 1e-9).all()


def test_weighted_page_weights_every_summary_row(instrument):
    # Issue 13, defect 6: mean, median and top box were unweighted on a weighted page. By hand:
    # with post-stratification weights w, the weighted mean of the level numbers 1..k is
    # sum(w x) / sum(w) over the respondents who answered; the weighted top box is
    # sum(w [x in top]) / sum(w); the weighted median is the smallest level whose cumulative
    # weight share reaches 1/2 (R svyquantile, qrule = "math").
    d = simulate_clean(instrument, 400, seed=5)
    w = poststratify(d, "A1", population_from_instrument(instrument))
    s = score_question(d, instrument, "B1", weights=w).summary.set_index("statistic")
    plain = score_question(d, instrument, "B1").summary.set_index("statistic")
    ok = d["B1"].notna().to_numpy()
    x = d["B1"].cat.codes.to_numpy()[ok] + 1.0
    wv = w.to_numpy()[ok]
    assert s.loc["mean", "estimate"] == pytest.approx((wv * x).sum() / wv.sum(), rel=1e-12)
    assert s.loc["mean", "estimate"] != pytest.approx(plain.loc["mean", "estimate"], rel=1e-6)
    scale = instrument.scale_of("B1")
    top_codes = {str(c) for c in scale.top_box}
    top_numbers = [i + 1.0 for i, lv in enumerate(scale.levels) if str(lv.code) in top_codes]
    top = np.isin(x, top_numbers)
    assert s.loc["top_box", "estimate"] == pytest.approx(100 * (wv * top).sum() / wv.sum())
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(wv[order]) / wv.sum()
    assert s.loc["median", "estimate"] == x[order][np.searchsorted(cum, 0.5)]
    for stat in ("mean", "median", "top_box"):
        assert s.loc[stat, "method"].startswith("design-based")
        assert s.loc[stat, "ci_low"] <= s.loc[stat, "estimate"] <= s.loc[stat, "ci_high"]


@given(
    cells=st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from([True, False, None])),
        min_size=4,
        max_size=40,
    ),
    seed=st.integers(0, 1000),
)
def test_weighted_interval_holds_estimate_and_ignores_row_order(cells, seed):
    d = pd.DataFrame(cells, columns=["s", "y"]).astype({"y": "boolean"})
    totals = {h: 10.0 * (i + 1) for i, h in enumerate(sorted(set(d["s"])))}
    w = poststratify(d, "s", totals)
    row = weighted_share(d, "y", w, strata="s").iloc[0]
    if row["n"] == 0:
        return
    assert 0 <= row["ci_low"] <= row["share"] <= row["ci_high"] <= 1
    shuffled = d.sample(frac=1, random_state=seed)
    again = weighted_share(shuffled, "y", w.loc[shuffled.index], strata="s").iloc[0]
    assert again["share"] == pytest.approx(row["share"], abs=1e-12)
    assert again["se"] == pytest.approx(row["se"], abs=1e-12)
