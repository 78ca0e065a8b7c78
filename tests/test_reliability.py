"""Tests of giftreview.analysis.reliability against published worked examples and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from giftreview.analysis.reliability import (
    _kappa_arr,
    cohen_kappa,
    krippendorff_alpha,
    percent_agreement,
    reliability,
    wide_codes,
)
from giftreview.errors import ArgumentError

NA = np.nan


def _pairs_from_table(table: list[list[int]]) -> pd.DataFrame:
    """Unit-level codes (coder a = row category, coder b = column category) of a square table."""
    rows = [(i, j) for i, r in enumerate(table) for j, n in enumerate(r) for _ in range(n)]
    return pd.DataFrame(rows, columns=["a", "b"])


def test_krippendorff_2011_reliability_data_example():
    # Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", section C ("nominal
    # data, any number of observers, missing data"): 4 observers x 12 units, values 1-5, '.' =
    # missing. The paper reports nominal alpha = 0.743. Checked here: the docstring of
    # krippendorff.alpha (krippendorff 0.9.0, the library giftreview wraps) holds the same 4 x 12
    # data, coded as strings, and prints round(alpha(..., "nominal"), 3) -> 0.743.
    data = pd.DataFrame(
        {
            "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
            "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
            "C": [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
            "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
        }
    )
    assert round(krippendorff_alpha(data, ["A", "B", "C", "D"]), 3) == 0.743


def test_cohen_kappa_textbook_example_xeromammograms():
    # Two radiologists rating 85 xeromammograms in 4 categories (Boyd et al. 1982; Altman 1991,
    # Practical Statistics for Medical Research, pp. 403-405; the rate.dta data of the Stata Base
    # Reference Manual, [R] kappa). The cells below were checked against the unit-level data in
    # R package lagree (emilelatour/lagree, data-raw/make-data-for-examples.R, "From Altman ...
    # p. 403"): 21 12 0 0 / 4 17 1 0 / 3 9 15 2 / 0 0 0 1 (85 in all). Stata's printed output
    # (agreement 63.53%, expected 30.82%, kappa 0.4728) could not be retrieved here; the
    # expected value is the hand calculation below, which reproduces those rounded figures.
    table = [[21, 12, 0, 0], [4, 17, 1, 0], [3, 9, 15, 2], [0, 0, 0, 1]]
    # By hand: p_o = (21+17+15+1)/85 = 54/85 = 0.635294; row totals 33, 22, 29, 1; column totals
    # 28, 38, 16, 3; p_e = (33*28 + 22*38 + 29*16 + 1*3)/85^2 = (924 + 836 + 464 + 3)/7225
    # = 2227/7225 = 0.308235; kappa = (p_o - p_e)/(1 - p_e) = 0.327059/0.691765 = 0.472789.
    p_o, p_e = 54 / 85, 2227 / 7225
    by_hand = (p_o - p_e) / (1 - p_e)
    kappa = cohen_kappa(_pairs_from_table(table), "a", "b")
    assert kappa == pytest.approx(by_hand, abs=1e-12)
    assert round(kappa, 4) == 0.4728


def test_cohen_kappa_two_by_two_example():
    # https://www.easycalculation.com/statistics/learn-cohens-kappa-index.php: 20 patients, two
    # doctors, yes/yes 12, yes/no 2, no/yes 4, no/no 2 -> Pr(a) 0.7, Pr(e) 0.62, kappa 0.21.
    # By hand: Pr(a) = (12 + 2)/20 = 0.7; doctor 1 says yes 14/20, doctor 2 says yes 16/20, so
    # Pr(e) = 0.7 * 0.8 + 0.3 * 0.2 = 0.62; kappa = (0.7 - 0.62)/(1 - 0.62) = 0.08/0.38.
    kappa = cohen_kappa(_pairs_from_table([[12, 2], [4, 2]]), "a", "b")
    assert kappa == pytest.approx(0.08 / 0.38, abs=1e-12)
    assert round(kappa, 2) == 0.21


def test_percent_agreement_by_hand():
    data = pd.DataFrame({"a": [1, 0, 1, 1, NA], "b": [1, 0, 0, 1, 1], "c": [1, 1, 0, 1, 0]})
    # two coders, units 1-4 (unit 5 dropped): agree on 3 of 4
    assert percent_agreement(data, ["a", "b"]) == pytest.approx(0.75)
    # three coders, units 1-4: agreeing pairs 3, 1, 1, 3 of 3 each -> 8/12
    assert percent_agreement(data, ["a", "b", "c"]) == pytest.approx(8 / 12)
    with pytest.raises(ArgumentError, match="1 unit\\(s\\) lack a code from some coder"):
        percent_agreement(data, ["a", "b"], missing="raise")


def test_undefined_statistics_are_nan_not_errors():
    same = pd.DataFrame({"a": [0, 0, 0], "b": [0, 0, 0]})
    assert np.isnan(cohen_kappa(same, "a", "b"))
    assert np.isnan(krippendorff_alpha(same, ["a", "b"]))
    assert percent_agreement(same, ["a", "b"]) == 1.0


def test_arguments_are_checked():
    data = pd.DataFrame({"a": [0, 1], "b": [1, 1]})
    with pytest.raises(ArgumentError, match="at least two coder columns"):
        krippendorff_alpha(data, ["a"])
    with pytest.raises(ArgumentError, match="Could not interpret value `z` for `coders`"):
        percent_agreement(data, ["a", "z"])
    with pytest.raises(ArgumentError, match="`missing` must be 'exclude' or 'raise'"):
        cohen_kappa(data, "a", "b", missing="drop")


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=2, max_size=60))
def test_bootstrap_kappa_formula_matches_statsmodels(pairs):
    m = np.array(pairs, dtype=float)
    cats = np.unique(m)
    table = np.array([[((m[:, 0] == i) & (m[:, 1] == j)).sum() for j in cats] for i in cats])
    p = table / table.sum()
    if np.isclose((p.sum(0) * p.sum(1)).sum(), 1.0):
        assert np.isnan(_kappa_arr(m))
    else:
        assert _kappa_arr(m) == pytest.approx(sm_kappa(table, return_results=False))


def _codes(rng: np.random.Generator, n: int = 60, flip: float = 0.1) -> pd.DataFrame:
    rows = []
    for r in range(n):
        for t in ("x", "y"):
            v = int(rng.random() < 0.3)
            rows.append((f"r{r}", "ann", t, v))
            rows.append((f"r{r}", "bob", t, v if rng.random() > flip else 1 - v))
    return pd.DataFrame(rows, columns=["respondent_id", "coder", "theme", "value"])


def test_reliability_table_per_theme_and_overall(rng):
    codes = _codes(rng)
    table = reliability(codes, n_boot=100, seed=1)
    assert list(table["theme"]) == ["x", "y", "(overall)"]
    assert (table["n_units"] == 60).all() and (table["n_coders"] == 2).all()
    wide = wide_codes(codes, "x")
    assert table.loc[0, "alpha"] == pytest.approx(krippendorff_alpha(wide, ["ann", "bob"]))
    assert table.loc[0, "kappa"] == pytest.approx(cohen_kappa(wide, "ann", "bob"))
    for stat in ("kappa", "alpha"):
        assert (table[f"{stat}_low"] <= table[stat]).all()
        assert (table[stat] <= table[f"{stat}_high"]).all()
    pooled = wide_codes(codes)
    assert table.loc[2, "agreement"] == pytest.approx(percent_agreement(pooled, ["ann", "bob"]))


def test_reliability_bootstrap_is_seeded(rng):
    codes = _codes(rng)
    a = reliability(codes, n_boot=50, seed=7)
    b = reliability(codes, n_boot=50, seed=7)
    c = reliability(codes, n_boot=50, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["alpha_low"], c["alpha_low"])


def test_reliability_three_coders_with_gaps(rng):
    codes = _codes(rng, n=30)
    ann = codes[codes["coder"] == "ann"]
    extra = ann[ann["respondent_id"].isin([f"r{i}" for i in range(0, 30, 2)])].assign(coder="cy")
    table = reliability(pd.concat([codes, extra]), n_boot=0)
    assert (table["n_coders"] == 3).all()
    assert table["kappa"].isna().all()  # kappa is for two coders; alpha covers three
    assert table["alpha"].notna().all()


def test_reliability_needs_two_coders(rng):
    codes = _codes(rng)
    with pytest.raises(ArgumentError, match="needs at least two coders"):
        reliability(codes[codes["coder"] == "ann"])


def test_coder_decisions_is_one_row_per_answer_and_theme():
    # Two answers x two themes = 4 decisions; only ("r1", "t2") was applied.
    from giftreview.analysis.reliability import coder_decisions

    pairs = pd.DataFrame({"respondent_id": ["r1"], "theme": ["t2"]})
    out = coder_decisions(pairs, "ann", ["r1", "r2"], ["t1", "t2"])
    assert out.values.tolist() == [
        ["r1", "ann", "t1", 0],
        ["r1", "ann", "t2", 1],
        ["r2", "ann", "t1", 0],
        ["r2", "ann", "t2", 0],
    ]
