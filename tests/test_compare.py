"""Tests of giftreview.analysis.compare: known answers from independent references, properties, comparability.

Every expected value says where it comes from: R's printed
output as published (help pages, package examples) or hand calculations written out.

R help-page values quoted in this module were rerun with R 4.2.2 (Debian r-base-core) on
2026-11-30: chisq.test 30.0701491, fisher.test TeaTasting 0.4857142857,
mcnemar.test(Performance) 16.81779661 / 4.114562281e-05, wilcox.test(x, y, paired = TRUE) V =
40, p = 0.0390625.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.analysis.compare import (
    comparable_questions,
    compare_waves,
    institution_change,
    theme_change,
)
from giftreview.analysis.independent import (
    independent_change_test,
    newcombe_difference,
    share_change,
)
from giftreview.analysis.paired import matched_pairs, paired_change_test, paired_table_test
from giftreview.data.instrument import parse_instrument
from giftreview.errors import ArgumentError


def _stack(a, b, name="x", ids_a=None, ids_b=None) -> pd.DataFrame:
    ids_a = ids_a if ids_a is not None else [f"a{i}" for i in range(len(a))]
    ids_b = ids_b if ids_b is not None else [f"b{i}" for i in range(len(b))]
    return pd.DataFrame(
        {
            "respondent_id": list(ids_a) + list(ids_b),
            "wave": ["A"] * len(a) + ["B"] * len(b),
            name: list(a) + list(b),
        }
    )


# ---- Newcombe interval ---------------------------------------------------------------------------
def test_newcombe_example_d_matches_published_limits():
    # Newcombe (1998) Stat Med 17:873, example (d): 5/56 vs 0/29, method 10 limits -0.0381, 0.1926;
    # the same values are asserted in R package ratesci's tests (tests/testthat/test3.R,
    # moverci(x1 = 5, x2 = 0, n1 = 56, n2 = 29, type = "wilson")).
    diff, low, high = newcombe_difference(x_a=0, n_a=29, x_b=5, n_b=56)
    assert round(diff, 4) == round(5 / 56, 4)
    assert (round(low, 4), round(high, 4)) == (-0.0381, 0.1926)


def test_newcombe_example_a():
    # Newcombe (1998) example (a): 56/70 vs 48/80, difference 0.2000; Table II lists method 10
    # (score, no continuity correction) as 0.0524 to 0.3339. That printed table could not be
    # retrieved here, so the expected limits are the hand calculation below (method 10 as
    # defined in the paper and in R Epi::ci.pd(method = "Nc")), which gives the same 4 decimals.
    # Wilson limits for x/n, z = 1.959964: (2x + z^2 -/+ z sqrt(z^2 + 4x(n - x)/n)) / (2(n + z^2))
    #   56/70: p1 = 0.8, l1 = 0.691834, u1 = 0.876953;  48/80: p2 = 0.6, l2 = 0.490455, u2 = 0.700382
    # lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2) = 0.2 - sqrt(0.108166^2 + 0.100382^2) = 0.052431
    # upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2) = 0.2 + sqrt(0.076953^2 + 0.109545^2) = 0.333873
    z = 1.959963984540054

    def wilson(x: int, n: int) -> tuple[float, float]:
        root, den = z * np.sqrt(z * z + 4 * x * (n - x) / n), 2 * (n + z * z)
        return (2 * x + z * z - root) / den, (2 * x + z * z + root) / den

    (l1, u1), (l2, u2) = wilson(56, 70), wilson(48, 80)
    lower = 0.2 - np.hypot(0.8 - l1, u2 - 0.6)
    upper = 0.2 + np.hypot(u1 - 0.8, 0.6 - l2)
    diff, low, high = newcombe_difference(x_a=48, n_a=80, x_b=56, n_b=70)
    assert diff == pytest.approx(0.2, abs=1e-12)
    assert (low, high) == pytest.approx((lower, upper), abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_empty_base_is_nan():
    assert all(np.isnan(v) for v in newcombe_difference(0, 0, 3, 10))


# ---- independent tests ---------------------------------------------------------------------------
def test_chi_square_matches_r_chisq_test_help_example():
    # R ?chisq.test: M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477)))  (Agresti 2007,
    # party identification by gender); chisq.test(M) -> X-squared = 30.07, df = 2, p = 2.954e-07
    # (quotation confirmed with scipy.stats.chi2_contingency(M, correction=False): 30.070149,
    # 2.95359e-07; scipy is what the module calls, so this checks the quotation only).
    # Here the two rows are the two "waves".
    a = ["D"] * 762 + ["I"] * 327 + ["R"] * 468
    b = ["D"] * 484 + ["I"] * 239 + ["R"] * 477
    out = independent_change_test(_stack(a, b), "x", kind="categorical").iloc[0]
    assert out.test == "Pearson chi-square"
    assert round(out.statistic, 2) == 30.07
    assert out.df == 2
    assert out.p_value == pytest.approx(2.954e-07, rel=1e-3)
    assert (out.n_a, out.n_b) == (1557, 1200)


def test_small_2x2_uses_fisher_matching_r_tea_tasting():
    # R ?fisher.test, TeaTasting <- matrix(c(3, 1, 1, 3), nrow = 2): p-value = 0.4857
    a = ["milk"] * 3 + ["tea"] * 1
    b = ["milk"] * 1 + ["tea"] * 3
    out = independent_change_test(_stack(a, b), "x", kind="categorical").iloc[0]
    assert out.test == "Fisher exact"
    assert round(out.p_value, 4) == 0.4857
    assert "Cochran" in out.reason


def test_small_larger_table_uses_seeded_monte_carlo():
    a = ["p"] * 3 + ["q"] * 1 + ["r"] * 2
    b = ["p"] * 1 + ["q"] * 4 + ["r"] * 0
    first = independent_change_test(_stack(a, b), "x", kind="categorical").iloc[0]
    again = independent_change_test(_stack(a, b), "x", kind="categorical").iloc[0]
    assert first.test == "Fisher-Freeman-Halton exact (Monte-Carlo)"
    assert "10,000 random tables" in first.reason  # p ~ 0.11: clear of 0.05 after one batch
    assert first.p_value == again.p_value
    # Exact p by hand: enumerate every 2 x 3 table with the observed margins (rows 6 and 5,
    # columns p 4, q 5, r 2); each has probability prod(row!) prod(col!) / (n! prod(cell!)), and
    # p is the sum over tables no more probable than the observed one (3 1 2 / 1 4 0). The
    # Monte-Carlo estimate from 10,000 tables has SE <= sqrt(.25 / 1e4) = 0.005; allow 4 SE.
    from math import factorial, prod

    def prob(top: tuple[int, int, int]) -> float:
        cells = [*top, *(c - t for c, t in zip((4, 5, 2), top, strict=True))]
        num = prod(map(factorial, (6, 5, 4, 5, 2)))
        return num / (factorial(11) * prod(map(factorial, cells)))

    # first-row cells (i, j, 6 - i - j) with 0 <= i <= 4, 0 <= j <= 5, 0 <= 6 - i - j <= 2
    tables = [(i, j, 6 - i - j) for i in range(5) for j in range(6) if 0 <= 6 - i - j <= 2]
    assert sum(prob(t) for t in tables) == pytest.approx(1.0)
    observed = prob((3, 1, 2))
    exact_p = sum(prob(t) for t in tables if prob(t) <= observed * (1 + 1e-7))
    assert exact_p == pytest.approx(26 / 231)  # = 0.112554
    assert first.p_value == pytest.approx(exact_p, abs=0.02)


def test_mann_whitney_matches_r_wilcox_test_with_ties():
    # endmemo.com/r/wilcoxon.php prints R's output (page not retrieved here):
    # x <- c(1,5,9,24,56,21,3,7,21,4); y <- c(12,15,5,9,9,14,56,22,3,7,32,5); wilcox.test(x, y)
    # -> W = 51.5, p-value = 0.5966 (continuity correction, ties). R's W is U of the first
    # sample, which here is wave B (the statistic is U_B). The same figures by hand below.
    x = [1, 5, 9, 24, 56, 21, 3, 7, 21, 4]
    y = [12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5]
    # U = number of (x, y) pairs with x > y, ties counting 1/2 -> 51.5
    u = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
    # normal approximation: mean n1 n2 / 2 = 60; variance with the tie correction
    # n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))) over tied groups of size t, N = 22
    # (5 and 9 three times, 3, 7, 21 and 56 twice: sum = 2 * 24 + 4 * 6 = 72)
    ties = sum(t**3 - t for t in Counter(x + y).values())
    var = 10 * 12 / 12 * (23 - ties / (22 * 21))
    z = (abs(u - 60) - 0.5) / math.sqrt(var)  # continuity correction
    p_hand = math.erfc(z / math.sqrt(2))  # two-sided 2 * (1 - Phi(z))
    assert (u, ties) == (51.5, 72) and round(p_hand, 4) == 0.5966
    out = independent_change_test(_stack(y, x), "x", kind="ordinal").iloc[0]
    assert out.test == "Mann-Whitney U"
    assert out.statistic == 51.5
    assert out.p_value == pytest.approx(p_hand, rel=1e-9)
    assert out.effect_size == pytest.approx(51.5 / (10 * 12))


def test_mann_whitney_is_exact_below_50_without_ties_as_r():
    # Issue 13, defect 2. R 4.2.2 here (no ties; 12 and 10 values):
    #   x <- c(1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30,2.01,2.72,0.95)
    #   y <- c(0.878,0.647,0.598,2.05,1.06,1.29,3.14,1.291,1.71,0.77)
    #   wilcox.test(y, x)                 -> W = 37, p-value = 0.140237471506821  (exact)
    #   wilcox.test(y, x, exact = FALSE)  -> W = 37, p-value = 0.13791345941251   (normal)
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01, 2.72, 0.95]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 3.14, 1.291, 1.71, 0.77]
    out = independent_change_test(_stack(x, y), "x", kind="ordinal").iloc[0]
    assert out.statistic == 37
    assert out.p_value == pytest.approx(0.140237471506821, rel=1e-9)
    assert "exact (R's rule" in out.reason
    # one tie (1.291 -> 1.29) and R falls back to the normal approximation, as here
    tied = independent_change_test(_stack(x, [*y[:7], 1.29, *y[8:]]), "x", kind="ordinal")
    assert "normal approximation" in tied.iloc[0].reason


def test_wilcoxon_is_exact_below_50_without_ties_or_zeros_as_r():
    # R 4.2.2 here: a2 <- c(1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30, 2.2,1.1,0.4,5.1,3.3)
    #   b2 <- c(0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29, 2.25,1.7,0.9,4.0,3.95)
    #   wilcox.test(b2, a2, paired = TRUE) -> V = 36, p-value = 0.3258056640625 (= 5338 / 2^14)
    a = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.2, 1.1, 0.4, 5.1, 3.3]
    b = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 2.25, 1.7, 0.9, 4.0, 3.95]
    ids = [f"p{i}" for i in range(14)]
    out = paired_change_test(_stack(a, b, ids_a=ids, ids_b=ids), "x", kind="ordinal").iloc[0]
    assert out.statistic == 36
    assert out.p_value == pytest.approx(5338 / 2**14, rel=1e-12)
    assert "exact (R's rule" in out.reason


def test_stuart_maxwell_tail_does_not_underflow():
    # Issue 13, defect 1: statsmodels computes 1 - chi2.cdf, which is 0 here. R 4.2.2 here,
    # Stuart-Maxwell by hand with the first four margins (d = row - column sums, S = the
    # covariance: diagonal r_i + c_i - 2 n_ii, off-diagonal -(n_ij + n_ji)):
    #   t <- matrix(c(20,30,10,5,2, 2,25,30,8,3, 1,3,30,28,6, 0,1,4,25,30, 1,0,1,2,20), 5,
    #               byrow = TRUE); x = t(d) %*% solve(S) %*% d -> 88.9367223494154
    #   pchisq(x, 4, lower.tail = FALSE) -> 2.21485563316056e-18
    # (and pchisq(83.70, 4, lower.tail = FALSE) = 2.86237650600453e-17, the case)
    table = np.array(
        [
            [20, 30, 10, 5, 2],
            [2, 25, 30, 8, 3],
            [1, 3, 30, 28, 6],
            [0, 1, 4, 25, 30],
            [1, 0, 1, 2, 20],
        ]
    )
    out = paired_table_test(table)
    assert out["statistic"] == pytest.approx(88.9367223494154, rel=1e-9)
    assert out["p_value"] == pytest.approx(2.21485563316056e-18, rel=1e-6)


def test_no_tail_in_the_package_is_one_minus_cdf():
    # Standards: tail probabilities use survival functions. A grep of the sources for the pattern.
    import re
    from pathlib import Path

    import giftreview

    root = Path(giftreview.__file__).parent
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in root.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"1(\.0)?\s*-\s*[\w.]*\.cdf\(", line)
    ]
    assert offenders == []


def test_mann_whitney_on_ordered_categories_uses_level_order():
    levels = ["Low", "Mid", "High"]
    a = pd.Categorical(["Low", "Low", "Mid", "High"], categories=levels, ordered=True)
    b = pd.Categorical(["High", "High", "Mid", "High"], categories=levels, ordered=True)
    data = _stack(list(a), list(b))
    data["x"] = pd.Categorical(data["x"], categories=levels, ordered=True)
    out = independent_change_test(data, "x", kind="ordinal").iloc[0]
    # hand count of (b, a) pairs: each of the 3 "High" in B beats Low, Low, Mid and ties High
    # (3.5 each = 10.5); the "Mid" in B beats Low, Low and ties Mid (2.5): U_B = 13 of 16.
    assert out.statistic == 13


# ---- paired tests --------------------------------------------------------------------------------
def test_mcnemar_presidential_approval():
    # R ?mcnemar.test: Agresti (1990) p. 350, Performance <- matrix(c(794, 86, 150, 570), nrow = 2)
    # discordant cells 150 and 86. Hand: (|150 - 86| - 1)^2 / (150 + 86) = 63^2 / 236 = 16.818;
    # R prints "McNemar's chi-squared = 16.818, df = 1, p-value = 4.115e-05" for a table with the
    # same discordant counts (selva86.github.io, McNemars-Test-in-R; page not retrieved here).
    # By hand, the chi-square(1) upper tail is erfc(sqrt(x / 2)): at 3969/236 it is 4.1146e-05.
    out = paired_table_test(np.array([[794, 150], [86, 570]]))
    assert out["test"] == "McNemar chi-square (corrected)"
    assert out["statistic"] == pytest.approx(63**2 / 236, rel=1e-12)
    assert round(out["statistic"], 3) == 16.818
    assert out["p_value"] == pytest.approx(math.erfc(math.sqrt(63**2 / 236 / 2)), rel=1e-9)
    assert out["p_value"] == pytest.approx(4.115e-05, rel=1e-3)


def test_mcnemar_few_discordant_pairs_is_exact():
    # 1 vs 6 discordant pairs: exact two-sided binomial p = 2 * P(X <= 1 | n = 7, 1/2)
    # = 2 * (1 + 7) / 128 = 0.125 (hand calculation)
    out = paired_table_test(np.array([[10, 1], [6, 12]]))
    assert out["test"] == "McNemar exact (binomial)"
    assert out["p_value"] == pytest.approx(0.125)


def test_stuart_maxwell_matches_published_r_output():
    # R package nonpar, ?stuart.maxwell example, printed output on rdrr.io:
    # stuart.maxwell(matrix(c(12, 30, 13, 7, 70, 34, 3, 20, 32), 3, 3))
    # -> Test Statistic = 23.5709322524609, Degrees of Freedom = 2, p-value 7.61442467334117e-06
    # (quotation confirmed with statsmodels SquareTable(table).homogeneity(), which compare.py
    # itself calls, so this checks the quotation, not the module: 23.570932252460924,
    # 7.614424673341169e-06)
    table = np.array([[12, 7, 3], [30, 70, 20], [13, 34, 32]])
    out = paired_table_test(table)
    assert out["test"] == "Stuart-Maxwell"
    assert out["statistic"] == pytest.approx(23.5709322524609, rel=1e-9)
    assert out["df"] == 2
    assert out["p_value"] == pytest.approx(7.61442467334117e-06, rel=1e-6)


def test_stuart_maxwell_from_paired_data_frame():
    table = np.array([[12, 7, 3], [30, 70, 20], [13, 34, 32]])
    levels = ["l1", "l2", "l3"]
    a, b = [], []
    for i, j in np.ndindex(3, 3):
        a += [levels[i]] * table[i, j]
        b += [levels[j]] * table[i, j]
    ids = [f"o{k}" for k in range(len(a))]
    data = _stack(a, b, ids_a=ids, ids_b=ids)
    data["x"] = pd.Categorical(data["x"], categories=levels)
    out = paired_change_test(data, "x", kind="categorical").iloc[0]
    assert out.n_pairs == table.sum()
    assert out.statistic == pytest.approx(23.5709322524609, rel=1e-9)


def test_wilcoxon_signed_rank_depression_data():
    # R ?wilcox.test, Hollander & Wolfe (1973) p. 29 depression data;
    # wilcox.test(x, y, paired = TRUE, alternative = "greater") -> V = 40, p-value = 0.01953.
    # Hand: 9 non-zero distinct differences, 8 positive; V = 45 - 5 = 40. Exact null: subsets of
    # {1..9} with rank sum <= 5 are 10 of 512, so one-sided p = 10/512 and two-sided 20/512.
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    ids = [f"p{i}" for i in range(9)]
    data = _stack(y, x, ids_a=ids, ids_b=ids)  # wave A = y (second measure), B = x
    out = paired_change_test(data, "x", kind="ordinal").iloc[0]
    assert out.test == "Wilcoxon signed-rank"
    assert out.statistic == 40
    assert out.p_value == pytest.approx(20 / 512)
    assert out.n_pairs == 9


def test_paired_uses_only_complete_pairs_and_reports_n():
    data = _stack(
        [1, 2, 3, None, 5],
        [2, 3, 4, 4, None, 9],
        ids_a=["o1", "o2", "o3", "o4", "o5"],
        ids_b=["o1", "o2", "o3", "o4", "o5", "o9"],
    )
    pairs = matched_pairs(data, "x")
    assert list(pairs.id) == ["o1", "o2", "o3"]
    assert paired_change_test(data, "x", kind="ordinal").iloc[0].n_pairs == 3


def test_paired_rejects_duplicate_ids_within_a_wave():
    data = _stack([1, 2], [1, 2], ids_a=["o1", "o1"], ids_b=["o1", "o2"])
    with pytest.raises(ArgumentError, match="`respondent_id` repeats within wave 'A'"):
        paired_change_test(data, "x", kind="ordinal")


def test_no_change_gives_no_test_with_reason():
    data = _stack([1, 2, 3], [1, 2, 3], ids_a=["a", "b", "c"], ids_b=["a", "b", "c"])
    out = paired_change_test(data, "x", kind="ordinal").iloc[0]
    assert out.test == "none" and "changed" in out.reason and np.isnan(out.p_value)


# ---- argument errors -----------------------------------------------------------------------------
def test_unknown_column_is_named():
    with pytest.raises(ArgumentError, match="Could not interpret value `y` for `column`"):
        share_change(_stack([1], [2]), "y")


def test_unknown_wave_is_named():
    with pytest.raises(ArgumentError, match="`C` for `waves`.*waves present: A, B"):
        share_change(_stack([1], [2]), "x", waves=("A", "C"))


def test_bad_kind_and_confidence():
    with pytest.raises(ArgumentError, match="`kind` must be"):
        independent_change_test(_stack([1], [2]), "x", kind="nominal")
    with pytest.raises(ArgumentError, match="`confidence` must lie between 0 and 1"):
        share_change(_stack([1], [2]), "x", confidence=95)


# ---- properties ----------------------------------------------------------------------------------
answers = st.lists(st.sampled_from(["p", "q", "r", None]), min_size=1, max_size=40)


@given(a=answers, b=answers, seed=st.integers(0, 1000))
def test_share_change_properties(a, b, seed):
    data = _stack(a, b)
    data["x"] = pd.Categorical(data["x"], categories=["p", "q", "r"])
    before = data.copy()
    out = share_change(data, "x")
    pd.testing.assert_frame_equal(data, before)  # input untouched
    for w in ("a", "b"):
        if out[f"base_{w}"].iloc[0] > 0:
            assert out[f"share_{w}"].sum() == pytest.approx(1.0)
    ok = out.dropna(subset=["difference"])
    assert ((ok.ci_low <= ok.difference + 1e-12) & (ok.difference <= ok.ci_high + 1e-12)).all()
    assert ((ok.ci_low >= -1) & (ok.ci_high <= 1)).all()
    shuffled = data.sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(share_change(shuffled, "x"), out)


@given(table=st.lists(st.integers(0, 30), min_size=9, max_size=9))
def test_paired_test_symmetric_in_waves(table):
    t = np.array(table).reshape(3, 3)
    one, other = paired_table_test(t), paired_table_test(t.T)
    assert one["test"] == other["test"]
    if "p_value" in one and not np.isnan(one["p_value"]):
        assert one["p_value"] == pytest.approx(other["p_value"], rel=1e-9, abs=1e-12)


# ---- themes and institutions ---------------------------------------------------------------------
def test_theme_change_one_row_per_theme():
    coded = pd.DataFrame(
        {
            "wave": ["A"] * 4 + ["B"] * 5,
            "coordination": [True, True, False, False, True, True, True, True, False],
            "awareness": [False] * 4 + [True] + [False] * 4,
        }
    )
    out = theme_change(coded, ["coordination", "awareness"])
    assert list(out.theme) == ["coordination", "awareness"]
    row = out.iloc[0]
    assert (row.n_a, row.base_a, row.n_b, row.base_b) == (2, 4, 4, 5)
    assert row.difference == pytest.approx(4 / 5 - 2 / 4)
    assert row.test == "Fisher exact"  # expected counts below 5: Cochran fails
    # Fisher p by hand: 2 of 4 (A) vs 4 of 5 (B), 6 mentions of 9. With a = mentions in A,
    # P(a) = C(4, a) C(5, 6 - a) / C(9, 6): a = 1..4 -> 4, 30, 40, 10 (/ 84); observed a = 2,
    # two-sided p = (4 + 30 + 10) / 84. Awareness, 0 of 4 vs 1 of 5: P(0) = 5/9 is the
    # likelier of the two tables, so p = 1.
    assert row.p_value == pytest.approx(44 / 84, rel=1e-9)
    assert out.iloc[1].p_value == pytest.approx(1.0)


def test_institution_change_status():
    mentions = pd.DataFrame(
        {
            "respondent_id": ["o1", "o1", "o2", "o3", "o3", "o4"],
            "wave": ["A", "A", "A", "B", "B", "B"],
            "institution": ["UNODC", "IOM", "UNODC", "UNODC", "ILO", "ILO"],
        }
    )
    out = institution_change(mentions).set_index("institution")
    assert out.loc["ILO"].tolist() == [0, 2, "newly named"]
    assert out.loc["IOM"].tolist() == [1, 0, "no longer named"]
    assert out.loc["UNODC"].tolist() == [2, 1, "named in both"]


# ---- comparability -------------------------------------------------------------------------------
def _mini(questions: list[dict], scale_levels: int = 4):
    data = {
        "survey": {"id": "mini", "title": "Mini"},
        "scales": {
            "agree": {"levels": [{"code": i, "label": f"L{i}"} for i in range(1, scale_levels + 1)]}
        },
        "parts": [{"id": "P", "title": "Part"}],
        "questions": questions,
    }
    return parse_instrument(data)


SECTOR = {
    "id": "S1",
    "part": "P",
    "text": "Sector",
    "type": "single",
    "options": [{"code": "gov", "label": "Government"}, {"code": "ngo", "label": "NGO"}],
}
RATE = {"id": "R1", "part": "P", "text": "Rate us", "type": "rating", "scale": "agree"}


def test_comparable_questions_covers_every_change():
    a = _mini([SECTOR, RATE, {**RATE, "id": "R2", "text": "Dropped later"}])
    renamed = {
        **SECTOR,
        "options": [SECTOR["options"][0], {"code": "ngo", "label": "Civil society"}],
    }
    b = _mini(
        [
            renamed,
            {**RATE, "id": "R1b", "comparable_with": "R1"},
            {**RATE, "id": "R9", "text": "New question"},
        ]
    )
    out = comparable_questions(a, b).set_index("question")
    assert out.loc["S1", "comparable"] and "'NGO' -> 'Civil society'" in out.loc["S1", "reason"]
    assert out.loc["R1b", "comparable"] and out.loc["R1b", "question_a"] == "R1"
    assert not out.loc["R9", "comparable"] and "new in wave B" in out.loc["R9", "reason"]
    assert not out.loc["R2", "comparable"] and out.loc["R2", "reason"] == "not asked in wave B"
    assert len(out) == 4  # nothing dropped


def test_comparable_questions_option_added_or_scale_changed():
    a = _mini([SECTOR, RATE])
    added = {**SECTOR, "options": [*SECTOR["options"], {"code": "un", "label": "UN"}]}
    b = _mini([added, RATE], scale_levels=5)
    out = comparable_questions(a, b).set_index("question")
    assert not out.loc["S1", "comparable"]
    assert out.loc["S1", "reason"] == "options differ: added ['un'], removed none"
    assert not out.loc["R1", "comparable"] and "scale levels differ" in out.loc["R1", "reason"]


def test_comparable_questions_type_change():
    a = _mini([SECTOR, RATE])
    b = _mini([SECTOR, {**RATE, "type": "single", "scale": None, "options": SECTOR["options"]}])
    out = comparable_questions(a, b).set_index("question")
    assert out.loc["R1", "reason"] == "type changed from rating to single"


# ---- whole comparison ----------------------------------------------------------------------------
def _clean(inst, wave, rng, ids, relabel=None):
    n = len(ids)
    sector = rng.choice(["Government", "NGO"], size=n)
    if relabel:
        sector = [relabel.get(s, s) for s in sector]
    labels = [lv.label for lv in inst.scales["agree"].levels]
    rate = rng.choice(labels, size=n)
    return pd.DataFrame(
        {
            "respondent_id": pd.array(ids, dtype="string"),
            "wave": wave,
            "S1": pd.Categorical(sector, categories=[o.label for o in inst.question("S1").options]),
            "R1": pd.Categorical(rate, categories=labels, ordered=True),
        }
    )


def test_compare_waves_end_to_end_with_renamed_label(rng):
    a_inst = _mini([SECTOR, RATE])
    renamed = {
        **SECTOR,
        "options": [SECTOR["options"][0], {"code": "ngo", "label": "Civil society"}],
    }
    b_inst = _mini([renamed, RATE])
    a = _clean(a_inst, "w1", rng, [f"o{i}" for i in range(40)])
    b = _clean(b_inst, "w2", rng, [f"o{i}" for i in range(20, 70)], {"NGO": "Civil society"})
    res = compare_waves(a, b, a_inst, b_inst)
    assert res.waves == ("w1", "w2")
    assert res.n_matched == 20
    s1 = res.changes[res.changes.question == "S1"]
    assert list(s1.level) == ["Government", "Civil society"]
    assert s1.n_a.sum() == 40 and s1.n_b.sum() == 50  # old label mapped onto the new one
    designs = res.tests.groupby("question").design.apply(list)
    assert designs["S1"] == ["independent waves", "paired (answered both waves)"]
    paired = res.tests[res.tests.design.str.startswith("paired")]
    assert (paired.n_pairs == 20).all()
    assert (res.tests.p_adjusted.dropna() >= res.tests.p_value.dropna()).all()
    assert res.tests.loc[res.tests.question == "R1", "test"].tolist()[0] == "Mann-Whitney U"


# ---- the comparison report ------------------------------------------------------------------------
def test_question_without_number_is_headed_by_its_wording(rng):
    # The mini instrument's questions have no number: the heading is the wording alone (the
    # comparison once printed ") Sector").
    from pathlib import Path

    from giftreview.report.comparison import Comparison, closed_questions

    inst = _mini([SECTOR, RATE])
    a = _clean(inst, "w1", rng, [f"o{i}" for i in range(30)])
    b = _clean(inst, "w2", rng, [f"o{i}" for i in range(10, 40)])
    cmp = Comparison(compare_waves(a, b, inst, inst), inst, inst, (Path("a"), Path("b")), 5, 0.95)
    html = str(closed_questions(cmp))
    assert "<h3>Sector</h3>" in html and "<h3>Rate us</h3>" in html
    assert ") Sector" not in html and ") Rate us" not in html


def test_suppress_changes_hides_small_counts_and_what_they_reveal():
    from giftreview.report.comparison import suppress_changes

    changes = pd.DataFrame(
        {
            "level": ["p", "q", "r"],
            "n_a": [2, 20, 30],
            "base_a": [52, 52, 52],
            "share_a": [2 / 52, 20 / 52, 30 / 52],
            "n_b": [10, 20, 25],
            "base_b": [55, 55, 55],
            "share_b": [10 / 55, 20 / 55, 25 / 55],
            "difference": [0.1, 0.0, -0.1],
            "ci_low": [0.0, -0.1, -0.2],
            "ci_high": [0.2, 0.1, 0.0],
        }
    )
    out = suppress_changes(changes, 5, binary=False)
    assert out.loc[0, "n_a"] == "<5" and np.isnan(out.loc[0, "share_a"])
    assert np.isnan(out.loc[0, "difference"])
    # with the wave total published, a second cell of wave A must go too
    assert (out["n_a"] == "x").sum() == 1
    assert out.loc[2, "n_b"] == 25  # wave B untouched
    assert changes.loc[0, "n_a"] == 2  # input untouched


def test_resolve_raw_names_known_waves():
    from giftreview.report.comparison import resolve_raw

    assert resolve_raw("ungift_2012").name == "ungift_2012.csv"
    with pytest.raises(ArgumentError, match="wave 'nope'.*ungift_2010, ungift_2012"):
        resolve_raw("nope")


@pytest.mark.slow
@pytest.mark.needs("chromium", "pdftotext")
def test_compare_command_renders_bundled_waves_to_html_and_pdf(tmp_path):
    """`giftreview compare` on the two bundled waves, all output under tmp_path."""
    import os
    import subprocess
    import sys

    from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT

    env = {**os.environ, "GIFTREVIEW_ROOT": str(tmp_path), "SOURCE_DATE_EPOCH": "1700000000"}
    out = tmp_path / "cmp"
    cmd = [
        sys.executable, "-m", "giftreview.cli.app", "compare",
        str(DATA_RAW / "ungift_2010.csv"), str(DATA_RAW / "ungift_2012.csv"),
        "--instrument-a", str(DEFAULT_INSTRUMENT), "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "wave ungift_2010 compared with wave ungift_2012" in page
    for expected in ("Wilcoxon signed-rank", "McNemar", "Mann-Whitney U", "Newcombe", "pairs"):
        assert expected in page, expected
    assert "Open answers: how often each theme was mentioned" in page
    assert "named in both" in page  # institutions of B8/B9 compared
    assert not re.search(r"(src|href)=[\"']?https?://", page)  # offline: nothing fetched
    # provenance: each parameter with its source (--instrument-a given, --k not)
    assert '<tr><th scope="row">k</th><td>5</td><td>built-in default</td></tr>' in page
    assert re.search(r'<th scope="row">instrument_a</th><td>[^<]*</td><td>command line</td>', page)
    pdf = out / "compare.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Which questions can be compared" in text and "Tests of change" in text


def test_option_column_holding_text_is_listed_not_dropped(rng):
    # A hand-made (or older) clean table with text in an option column: the comparison says so
    # instead of failing or dropping the option.
    multi = {
        "id": "M1",
        "part": "P",
        "text": "Topics",
        "type": "multi",
        "other_column": "m1_other",
        "options": [{"code": "a", "label": "A"}, {"code": "other", "label": "Other (specify)"}],
    }
    inst = _mini([multi])
    frames = []
    for wave, ids in (("w1", ["o1", "o2", "o3"]), ("w2", ["o2", "o3", "o4"])):
        frames.append(
            pd.DataFrame(
                {
                    "respondent_id": pd.array(ids, dtype="string"),
                    "wave": wave,
                    "M1__a": pd.array([True, False, True], dtype="boolean"),
                    "M1__other": pd.array(["x", None, None], dtype="string"),
                }
            )
        )
    res = compare_waves(frames[0], frames[1], inst)
    row = res.tests[res.tests.level == "Other (specify)"].iloc[0]
    assert (row.design, row.test) == ("not compared", "none")
    assert "M1__other holds text" in row.reason
    assert list(res.changes.level) == ["A"]


@given(
    in_a=st.sets(st.sampled_from(["Q1", "Q2", "Q3", "Q4"]), min_size=1),
    in_b=st.sets(st.sampled_from(["Q1", "Q2", "Q3", "Q4"]), min_size=1),
)
def test_comparability_never_drops_a_question(in_a, in_b):
    def inst(ids):
        return _mini([{**RATE, "id": q, "column": q.lower()} for q in sorted(ids)])

    out = comparable_questions(inst(in_a), inst(in_b))
    assert set(out["question"]) == in_a | in_b
    assert len(out) == len(in_a | in_b)
    assert set(out.loc[out["comparable"], "question"]) == in_a & in_b


def test_bundled_waves_open_and_list_questions():
    from giftreview.data.clean import clean_wave
    from giftreview.data.instrument import load_instrument
    from giftreview.paths import DATA_RAW

    inst = load_instrument()
    a = clean_wave(DATA_RAW / "ungift_2010.csv", inst, write=False).clean
    b = clean_wave(DATA_RAW / "ungift_2012.csv", inst, write=False).clean
    res = compare_waves(a, b, inst)
    assert res.n_matched == len(set(a.respondent_id) & set(b.respondent_id)) > 0
    assert set(res.themes["question"]) == {"B2", "B3", "B4", "B5", "B7"}
    b2 = res.themes[res.themes.question == "B2"]
    answered_a = int((a["B2"].fillna("").str.strip() != "").sum())
    assert (b2.base_a == answered_a).all()
    assert set(res.institutions["question"]) == {"B8", "B9"}
    assert set(res.institutions["status"]) <= {"newly named", "no longer named", "named in both"}
    # every institution named in a wave is counted in that wave
    b9 = res.institutions[res.institutions.question == "B9"]
    assert ((b9.n_a > 0) | (b9.n_b > 0)).all()


def _design_waves():
    """The two small clustered waves of the test below (mini instrument, designs on psu, w)."""
    from giftreview.analysis.design import svydesign

    inst = _mini([SECTOR, RATE])
    labels = [lv.label for lv in inst.scales["agree"].levels]

    def wave(name, ids, sector, rate, psu, w):
        return pd.DataFrame(
            {
                "respondent_id": pd.array(ids, dtype="string"),
                "wave": name,
                "S1": pd.Categorical(
                    [{"G": "Government", "N": "NGO"}[s] for s in sector.split()],
                    categories=["Government", "NGO"],
                ),
                "R1": pd.Categorical([labels[r - 1] for r in rate], labels, ordered=True),
                "psu": psu,
                "w": w,
            }
        )

    a = wave("A", [f"o{i}" for i in range(12)], "G N G G N G N N G G N G",
             [1, 2, 3, 4, 2, 3, 1, 4, 4, 3, 2, 1], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
             [2, 2, 3, 3, 1, 1, 2, 2, 4, 4, 1, 1])  # fmt: skip
    b = wave("B", [f"o{i}" for i in range(6, 16)], "N N G N G N N G N N",
             [2, 3, 4, 4, 3, 2, 4, 4, 3, 1], [1, 1, 1, 2, 2, 2, 3, 3, 4, 4],
             [1, 1, 1, 2, 2, 2, 3, 3, 1, 1])  # fmt: skip
    designs = tuple(svydesign(x, clusters="psu", weights="w") for x in (a, b))
    return inst, a, b, designs


def test_compare_waves_with_designs_matches_r_on_the_stacked_design():
    # Two small clustered waves (A: 6 PSUs of 2, B: 4 PSUs), 6 organisations in both. R:
    #   a <- data.frame(wave = "A", S1 = strsplit("G N G G N G N N G G N G", " ")[[1]],
    #                   R1 = c(1,2,3,4,2,3,1,4,4,3,2,1),
    #                   psu = paste0("A", c(1,1,2,2,3,3,4,4,5,5,6,6)), w = c(2,2,3,3,1,1,2,2,4,4,1,1))
    #   b <- data.frame(wave = "B", S1 = strsplit("N N G N G N N G N N", " ")[[1]],
    #                   R1 = c(2,3,4,4,3,2,4,4,3,1),
    #                   psu = paste0("B", c(1,1,1,2,2,2,3,3,4,4)), w = c(1,1,1,2,2,2,3,3,1,1))
    #   both <- rbind(a, b); both$gov <- as.numeric(both$S1 == "G")
    #   d <- svydesign(id = ~psu, strata = ~wave, weights = ~w, data = both)
    #   m <- svyglm(gov ~ wave, d); coef, SE, confint of waveB:
    #     -0.339366515837104 0.194846689397539 -0.800105722929091 0.121372691254884
    #   svyby(~gov, ~wave, d, svymean): A 0.692307692307692, B 0.352941176470588
    #   svychisq(~S1 + wave, d): F 2.56614816000567, ndf 1, ddf 8, p 0.147840910807984
    #   svyranktest(R1 ~ wave, d): t 0.76185441118184, df 7, estimate 0.1056420779403,
    #     p 0.471031199554718
    from giftreview.analysis.design import WALD_DIFFERENCE

    inst, a, b, designs = _design_waves()
    res = compare_waves(a, b, inst, inst, designs=designs)
    gov = res.changes.set_index(["question", "level"]).loc[("S1", "Government")]
    assert (gov.share_a, gov.share_b) == (
        pytest.approx(0.692307692307692, rel=1e-9),
        pytest.approx(0.352941176470588, rel=1e-9),
    )
    assert (gov.difference, gov.se) == (
        pytest.approx(-0.339366515837104, rel=1e-9),
        pytest.approx(0.194846689397539, rel=1e-9),
    )
    assert (gov.ci_low, gov.ci_high) == (
        pytest.approx(-0.800105722929091, rel=1e-9),
        pytest.approx(0.121372691254884, rel=1e-9),
    )
    assert (gov.n_a, gov.base_a, gov.n_b, gov.base_b) == (7, 12, 3, 10)  # unweighted counts
    assert gov.interval_method == WALD_DIFFERENCE
    tests = res.tests.set_index(["question", "design"])
    s1 = tests.loc[("S1", "independent waves")]
    assert s1.test.startswith("Rao-Scott F")
    assert (s1.statistic, s1.df) == (pytest.approx(2.56614816000567, rel=1e-9), 1)
    assert s1.p_value == pytest.approx(0.147840910807984, rel=1e-9)
    r1 = tests.loc[("R1", "independent waves")]
    assert r1.test.startswith("design-based Wilcoxon rank test")
    assert (r1.statistic, r1.df) == (pytest.approx(0.76185441118184, rel=1e-9), 7)
    assert r1.p_value == pytest.approx(0.471031199554718, rel=1e-9)
    assert r1.effect_size == pytest.approx(0.5 + 0.1056420779403, rel=1e-9)  # P(B > A) + ties/2
    paired = res.tests[res.tests.design.str.startswith("paired")]
    assert (paired.n_pairs == 6).all() and paired.reason.str.contains("unweighted").all()
    assert res.design and any("independent" in line for line in res.design)
    with pytest.raises(ArgumentError, match="the design of clean_b was not built on clean_b"):
        compare_waves(a, b, inst, inst, designs=(designs[0], designs[0]))


def test_design_based_comparison_says_so_in_tables_and_methods():
    from pathlib import Path

    from giftreview.report.comparison import Comparison, closed_questions, methods

    inst, a, b, designs = _design_waves()
    res = compare_waves(a, b, inst, inst, designs=designs)
    cmp = Comparison(res, inst, inst, (Path("a"), Path("b")), 3, 0.95)
    html = str(closed_questions(cmp))
    assert "Weighted (design-based) percentages of those answering" in html
    assert "95% interval (design-based Wald)" in html and "Rao-Scott F" in html
    text = str(methods(cmp))
    assert "hybrid score" not in text and "design-based Wald interval" in text
    assert "svychisq" in text and "svyranktest" in text and "tests stay unweighted" in text
    plain = Comparison(compare_waves(a, b, inst, inst), inst, inst, (Path("a"), Path("b")), 3, 0.95)
    assert "hybrid score" in str(methods(plain))
    assert "design-based" not in str(closed_questions(plain))


def test_open_comparison_refuses_a_design_on_one_side_only(tmp_path):
    import shutil

    import yaml

    from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT
    from giftreview.report.comparison import open_comparison

    spec = yaml.safe_load(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))
    spec["design"] = {"weights": "weight"}
    shutil.copytree(DEFAULT_INSTRUMENT.parent / "codebooks", tmp_path / "codebooks")
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        ArgumentError,
        match=r"only one wave's instrument declares a design: block \(instrument A does not\)",
    ):
        open_comparison(
            wave_a=str(DATA_RAW / "ungift_2010.csv"), wave_b=str(DATA_RAW / "ungift_2012.csv"),
            instrument_a=str(DEFAULT_INSTRUMENT), instrument_b=str(tmp_path / "w.yaml"),
        )  # fmt: skip
