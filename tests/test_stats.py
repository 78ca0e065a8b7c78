"""Tests of giftreview.analysis.stats: known answers from R's help pages and hand calculations, properties.

Where an expected value comes from is written beside it. No R was run here: R values are the
outputs printed in R's own help pages / vignettes (cited), hand calculations are written out.

R help-page values quoted in this module were rerun with R 4.2.2 (Debian r-base-core) on
2026-11-30 and printed the same figures: chisq.test 30.0701491 / 2.953589183e-07, prop.test
12.6004113 / 0.005585476662, fisher.test TeaTasting 0.4857142857, Job 0.782684939, kruskal.test
0.7714285714 / 0.6799647736, binom.test 0.7076682641 0.7654065582, prop.test(8, 20, correct =
FALSE) 0.2188065324 0.6134184992.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.analysis import stats
from giftreview.analysis.score import simulate_clean
from giftreview.errors import ArgumentError, DataValidationError


def expand(table: list[list[int]], rows: list[str], cols: list[str]) -> pd.DataFrame:
    """One respondent per count: columns ``g`` (row label) and ``y`` (column label)."""
    g, y = [], []
    for r, counts in zip(rows, table, strict=True):
        for c, n in zip(cols, counts, strict=True):
            g += [r] * n
            y += [c] * n
    return pd.DataFrame(
        {"g": pd.Categorical(g, categories=rows), "y": pd.Categorical(y, categories=cols)}
    )


# ---- intervals -------------------------------------------------------------------------------
def test_wilson_interval_matches_hand_calculation():
    # Hand calculation, x = 8 of n = 20, 95%: p = 0.4, z = 1.959964, z^2 = 3.841459
    # centre = (p + z^2/2n) / (1 + z^2/n) = 0.4960365 / 1.1920729 = 0.4161125
    # half   = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 1.959964 * 0.1200038 / 1.1920729
    #        = 0.1973060  ->  [0.2188065, 0.6134185]
    # (This is the interval R's prop.test(8, 20, correct = FALSE) computes; R was not run here.
    # An earlier comment quoted "R prints 0.2188102 0.6134194", which the formula does not give.)
    z = 1.959963984540054
    p, n = 0.4, 20
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = stats.proportion_interval(8, 20)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    assert round(float(low), 7) == 0.2188065 and round(float(high), 7) == 0.6134185


def test_clopper_pearson_matches_binom_test_mendel_peas():
    # R help page of binom.test (Conover 1971, p. 97f): binom.test(c(682, 243), p = 3/4)
    # prints "95 percent confidence interval: 0.7076683 0.7654066". Checked here with the beta
    # quantiles that define the interval: scipy.stats.beta.ppf(.025, 682, 244) = 0.70766826,
    # beta.ppf(.975, 683, 243) = 0.76540656.
    low, high = stats.proportion_interval(682, 925, method="clopper-pearson")
    assert float(low) == pytest.approx(0.7076683, abs=5e-8)
    assert float(high) == pytest.approx(0.7654066, abs=5e-8)


def test_interval_rejects_unknown_method_and_level():
    with pytest.raises(ArgumentError, match="`method` 'wald-ish' is not an interval method"):
        stats.proportion_interval(1, 2, method="wald-ish")
    with pytest.raises(ArgumentError, match="`confidence` must be a confidence level"):
        stats.proportion_interval(1, 2, confidence=95)


def test_mean_t_interval_matches_hand_calculation():
    # x = 1..20: mean 10.5, s = sqrt(35), t(19, 0.975) = 2.093024 -> 10.5 -/+ 2.093024*sqrt(35/20)
    # = 10.5 -/+ 2.768811 -> [7.731189, 13.268811]
    d = pd.DataFrame({"x": np.arange(1, 21, dtype=float)})
    row = stats.mean_interval(d, "x").iloc[0]
    half = 2.093024054408263 * math.sqrt(35 / 20)
    assert row["estimate"] == 10.5
    assert row["ci_low"] == pytest.approx(10.5 - half, abs=1e-9)
    assert row["ci_high"] == pytest.approx(10.5 + half, abs=1e-9)


def test_median_interval_is_the_order_statistic_interval():
    # Conover (1999), Table A3 / the binomial: for n = 20 at 95% the interval is
    # [x(6), x(15)]: P(6 <= B <= 14) = 0.9586 for B ~ Bin(20, 1/2) (>= 0.95; [x(7), x(14)]
    # covers only 0.8847). Both checked with scipy.stats.binom(20, 0.5).cdf: 0.958611, 0.884682.
    d = pd.DataFrame({"x": np.arange(1, 21, dtype=float) * 10})
    row = stats.median_interval(d, "x").iloc[0]
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == (105.0, 60.0, 150.0)
    assert row["method"] == "exact binomial order statistics"


def test_ordered_categorical_scores_levels_one_to_k():
    d = pd.DataFrame(
        {"r": pd.Categorical(["a", "c", "c", None], categories=list("abc"), ordered=True)}
    )
    row = stats.mean_interval(d, "r").iloc[0]
    assert row["estimate"] == pytest.approx((1 + 3 + 3) / 3) and row["n"] == 3


def test_missing_raise_names_column_and_rows():
    d = pd.DataFrame({"x": [1.0, None, 3.0]})
    with pytest.raises(DataValidationError, match=r"column 'x' has 1 missing values \(rows \[1\]"):
        stats.mean_interval(d, "x", missing="raise")
    with pytest.raises(ArgumentError, match="`missing` must be 'exclude'"):
        stats.mean_interval(d, "x", missing="drop")


def test_unknown_column_is_named():
    with pytest.raises(ArgumentError, match="Could not interpret value `B7` for `column`"):
        stats.distribution(pd.DataFrame({"B1": [1]}), "B7")


# ---- distributions: properties ---------------------------------------------------------------
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=7).filter(lambda c: sum(c) > 0),
    method=st.sampled_from(["wilson", "clopper-pearson", "agresti-coull", "jeffreys", "normal"]),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_distribution_sums_to_100_and_intervals_hold_estimate(counts, method, confidence):
    labels = [f"l{i}" for i in range(len(counts))]
    values = [lab for lab, n in zip(labels, counts, strict=True) for _ in range(n)]
    d = pd.DataFrame({"y": pd.Categorical(values + [None], categories=labels)})
    t = stats.distribution(d, "y", confidence=confidence, method=method)
    assert t["pct"].sum() == pytest.approx(100.0)
    assert (t["base"] == sum(counts)).all() and t["n"].tolist() == counts
    assert (t["ci_low"] >= 0).all() and (t["ci_high"] <= 100).all()
    assert (t["ci_low"] <= t["pct"] + 1e-9).all() and (t["pct"] <= t["ci_high"] + 1e-9).all()


@given(seed=st.integers(0, 10_000))
def test_tests_do_not_depend_on_row_order(seed):
    d = expand([[3, 1, 2], [1, 4, 0], [2, 2, 5]], ["a", "b", "c"], ["x", "y", "z"])
    shuffled = d.sample(frac=1, random_state=seed)
    for f in (stats.independence_test, stats.kruskal_test):
        a, b = f(d, "y", "g"), f(shuffled, "y", "g")
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(stats.crosstab(d, "y", "g"), stats.crosstab(shuffled, "y", "g"))


def test_input_is_not_modified():
    d = expand([[3, 1], [1, 4]], ["a", "b"], ["x", "y"])
    before = d.copy()
    stats.independence_test(d, "y", "g")
    stats.kruskal_test(d, "y", "g")
    stats.crosstab(d, "y", "g")
    pd.testing.assert_frame_equal(d, before)


# ---- group tests: known answers ---------------------------------------------------------------
def test_chisquare_matches_r_chisq_test_example():
    # R help page of chisq.test (Agresti 2007, p. 39):
    # M <- as.table(rbind(c(762, 327, 468), c(484, 239, 477))); chisq.test(M)
    # prints "X-squared = 30.07, df = 2, p-value = 2.954e-07" (the quoted figures were
    # confirmed with scipy.stats.chi2_contingency(M, correction=False): 30.070149, 2.95359e-07;
    # scipy is what stats.py calls, so this checks the quotation, not the module)
    d = expand(
        [[762, 327, 468], [484, 239, 477]], ["F", "M"], ["Democrat", "Independent", "Republican"]
    )
    row = stats.independence_test(d, "y", "g").iloc[0]
    assert row["test"] == "Pearson chi-square"
    assert "meets Cochran's rule" in row["reason"]
    assert round(row["statistic"], 2) == 30.07 and row["df"] == 2
    assert row["p_value"] == pytest.approx(2.954e-07, rel=1e-3)
    # By hand: E_ij = row_i * col_j / n (rows 1557, 1200; columns 1246, 566, 945; n = 2757),
    # X^2 = sum (O - E)^2 / E; with df = 2 the chi-square upper tail is exactly exp(-X^2 / 2).
    m = np.array([[762, 327, 468], [484, 239, 477]])
    e = np.outer(m.sum(1), m.sum(0)) / m.sum()
    x2 = float(((m - e) ** 2 / e).sum())
    assert row["statistic"] == pytest.approx(x2, rel=1e-12)
    assert row["p_value"] == pytest.approx(math.exp(-x2 / 2), rel=1e-9)


def test_chisquare_matches_r_prop_test_smokers():
    # R help page of prop.test: smokers <- c(83, 90, 129, 70); patients <- c(86, 93, 136, 82)
    # prop.test(smokers, patients) prints "X-squared = 12.6, df = 3, p-value = 0.005585"
    # (quotation confirmed with scipy.stats.chi2_contingency on the 4 x 2 table: 12.600411,
    # 0.0055855; the same scipy call stats.py makes, so not an independent check of the module)
    smokers, patients = [83, 90, 129, 70], [86, 93, 136, 82]
    table = [[s, p - s] for s, p in zip(smokers, patients, strict=True)]
    row = stats.table_test(np.array(table))
    assert row["test"] == "Pearson chi-square"
    assert round(row["statistic"], 1) == 12.6 and row["df"] == 3
    assert row["p_value"] == pytest.approx(0.005585, abs=5e-7)


def test_fisher_matches_r_tea_tasting():
    # R help page of fisher.test (Agresti 1990, p. 59f): TeaTasting <- matrix(c(3, 1, 1, 3), 2)
    # fisher.test(TeaTasting) prints "p-value = 0.4857"; alternative = "greater" gives 0.2429.
    row = stats.table_test(np.array([[3, 1], [1, 3]]))
    assert row["test"] == "Fisher exact"
    assert "fails Cochran's rule" in row["reason"]
    assert round(row["p_value"], 4) == 0.4857
    # issue 13, defect 4: the statistic is R's estimate, the conditional MLE odds ratio, and the
    # row says so. R 4.2.2 here: fisher.test(TeaTasting)$estimate -> 6.40830886700579 (the sample
    # odds ratio would be 9); fisher.test(matrix(c(10, 4, 8, 6), 2)): estimate 1.83290836195324,
    # p 0.694584286803966 (n = 28; sample odds ratio 1.875).
    # R finds the root with uniroot's default tolerance (eps^0.25), so its estimate is good to
    # ~2e-6 only. The root itself by hand: the psi where the noncentral hypergeometric mean
    # sum_x x C(m,x) C(n,k-x) psi^x / sum_x C(m,x) C(n,k-x) psi^x equals the observed a
    # (tea: a = 3, m = n = k = 4; second table: a = 10, m = 14, n = 14, k = 18), solved with
    # brentq to 1e-15: 6.408319658199677 and 1.8328794618487547.
    assert row["statistic"] == pytest.approx(6.408319658199677, rel=1e-9)
    assert row["statistic"] == pytest.approx(6.40830886700579, rel=1e-5)  # R, within uniroot tol
    assert "conditional MLE odds ratio" in row["reason"]
    row = stats.table_test(np.array([[10, 8], [4, 6]]), exact=True)
    assert row["statistic"] == pytest.approx(1.8328794618487547, rel=1e-9)
    assert row["statistic"] == pytest.approx(1.83290836195324, rel=1e-4)  # R, within uniroot tol
    assert row["p_value"] == pytest.approx(0.694584286803966, rel=1e-6)


def test_monte_carlo_exact_matches_r_job_satisfaction():
    # R help page of fisher.test (Agresti 2002, p. 57): Job <- matrix(c(1,2,1,0, 3,3,6,1,
    # 10,10,14,9, 6,7,12,11), 4, 4); fisher.test(Job) prints "p-value = 0.7827" (exact network
    # algorithm). Our p is a seeded adaptive Monte-Carlo estimate of the same exact test; p is far
    # from alpha = 0.05, so the first batch of 10,000 tables settles it: SE sqrt(.78 * .22 / 1e4)
    # = 0.0041; allow 4 SE. R 4.2.2 run here: fisher.test(Job)$p.value = 0.782684939.
    job = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]])
    row = stats.table_test(job, seed=1)
    assert row["test"] == "Fisher-Freeman-Halton exact (Monte-Carlo)"
    assert row["n_resamples"] == stats.MC_BATCH and row["seed"] == 1
    assert row["mc_se"] == pytest.approx(np.sqrt(row["p_value"] * (1 - row["p_value"]) / 1e4))
    assert row["p_value"] == pytest.approx(0.782684939, abs=4 * 0.0041)
    again = stats.table_test(job, seed=1)
    assert again["p_value"] == row["p_value"]  # seeded: reproducible


def test_adaptive_monte_carlo_draws_until_clear_of_alpha():
    # Issue 13, defect 3: a fixed 10,000 draws put a sparse table's p on the wrong side of 0.05.
    # This 2 x 4 table has exact p just above 0.05. R 4.2.2 here:
    #   fisher.test(matrix(c(0,4, 5,2, 2,4, 4,1), 2))$p.value  ->  0.0524529649916638
    # With 10,000 tables the 99% Monte-Carlo interval (+-2.576 SE, SE ~ 0.0022) still holds 0.05,
    # so more batches are drawn until it does not (about 60,000 tables expected).
    t = np.array([[0, 5, 2, 4], [4, 2, 4, 1]])
    row = stats.table_test(t, seed=7)
    assert row["n_resamples"] > stats.MC_BATCH and row["n_resamples"] % stats.MC_BATCH == 0
    assert abs(row["p_value"] - 0.05) > 2.576 * row["mc_se"]  # the stopping rule held
    assert row["p_value"] == pytest.approx(0.0524529649916638, abs=4 * row["mc_se"])
    assert f"{row['n_resamples']:,} random tables" in row["reason"]
    # the cap stops a table whose p is exactly at alpha from drawing forever
    capped = stats.fisher_monte_carlo(t, seed=7, max_resamples=20_000, alpha=0.0524529649916638)
    assert capped["n_resamples"] == 20_000


def test_monte_carlo_p_is_r_definition():
    # R fisher.test(simulate.p.value = TRUE): PVAL = (1 + sum(tmp <= STATISTIC / almost.1)) / (B + 1)
    # with STATISTIC = -sum(lfactorial(x)). A 2 x 2 table has exactly computable tables: with
    # margins (2, 2) x (2, 2) the random tables are [[0,2],[2,0]], [[1,1],[1,1]], [[2,0],[0,2]]
    # with probabilities 1/6, 4/6, 1/6; the observed [[1,1],[1,1]] is the most likely, so every
    # table is at most as likely: p = (1 + B) / (B + 1) = 1 exactly.
    res = stats.fisher_monte_carlo(np.array([[1, 1], [1, 1]]), seed=3, max_resamples=10_000)
    assert res["p_value"] == 1.0 and res["n_resamples"] == 10_000
    # observed [[2,0],[0,2]] (probability 1/6): tables as or less likely are the two extremes,
    # P = 1/3, so p ~ (1 + B/3) / (B + 1); the SE of 10,000 draws is 0.0047, allow 4 SE
    res = stats.fisher_monte_carlo(np.array([[2, 0], [0, 2]]), seed=3, max_resamples=10_000)
    assert res["p_value"] == pytest.approx(1 / 3, abs=4 * 0.0047)


def test_monte_carlo_exact_handles_large_samples():
    # A rare answer among 1,000,000 respondents: Cochran fails, so the exact test runs; scipy
    # 1.17's fisher_exact(method=MonteCarloMethod) raises here (batch mis-shaped), ours must not.
    t = np.array([[1, 0, 2, 0, 1, 0, 0], [142000, 143000, 141000, 142500, 143100, 142900, 142800]])
    row = stats.table_test(t, seed=1, n_resamples=2000)
    assert row["n_resamples"] == 2000  # p ~ 0.15: not clear of 0.05 until ~2,000 tables; capped
    assert row["test"] == "Fisher-Freeman-Halton exact (Monte-Carlo)"
    # Exact p by hand: with the margins fixed, the first row (total 4) is multivariate
    # hypergeometric, P(x) = prod_j C(c_j, x_j) / C(N, 4) over the column totals c_j; p is the
    # sum of P over the 210 possible first rows with P(x) <= P(observed), in exact fractions:
    # 0.149831. The Monte-Carlo SE with 2000 tables is sqrt(.15 * .85 / 2000) = 0.008; allow 4 SE.
    from fractions import Fraction
    from itertools import product
    from math import comb

    cols, total = t.sum(axis=0).tolist(), int(t.sum())

    def prob(x: tuple[int, ...]) -> Fraction:
        return Fraction(math.prod(map(comb, cols, x)), comb(total, 4))

    rows = [x for x in product(range(5), repeat=7) if sum(x) == 4]
    observed = prob((1, 0, 2, 0, 1, 0, 0))
    exact_p = float(sum(p for p in map(prob, rows) if p <= observed))
    assert len(rows) == 210 and round(exact_p, 6) == 0.149831
    assert row["p_value"] == pytest.approx(exact_p, abs=0.032)


def test_kruskal_matches_r_hollander_wolfe_example():
    # R help page of kruskal.test (Hollander & Wolfe 1973, p. 116): mucociliary efficiency
    # x <- c(2.9, 3.0, 2.5, 2.6, 3.2); y <- c(3.8, 2.7, 4.0, 2.4); z <- c(2.8, 3.4, 3.7, 2.2, 2.0)
    # kruskal.test(list(x, y, z)) prints "Kruskal-Wallis chi-squared = 0.77143, df = 2,
    # p-value = 0.68" (quotation confirmed with scipy.stats.kruskal, which stats.py also calls:
    # H = 0.771429, p = 0.679965)
    x = [2.9, 3.0, 2.5, 2.6, 3.2, 3.8, 2.7, 4.0, 2.4, 2.8, 3.4, 3.7, 2.2, 2.0]
    g = ["normal"] * 5 + ["copd"] * 4 + ["asbestosis"] * 5
    d = pd.DataFrame({"x": x, "g": g})
    row = stats.kruskal_test(d, "x", "g").iloc[0]
    assert round(row["statistic"], 5) == 0.77143 and row["df"] == 2
    assert round(row["p_value"], 2) == 0.68
    # By hand (no ties): ranks 1..14 give rank sums normal 36, copd 36, asbestosis 33;
    # H = 12 / (N (N + 1)) * sum(R_i^2 / n_i) - 3 (N + 1)
    #   = 12 / 210 * (36^2/5 + 36^2/4 + 33^2/5) - 45 = 801 * 12 / 210 - 45 = 0.771429;
    # with df = 2 the chi-square upper tail is exp(-H / 2) = 0.679965.
    h = 12 / 210 * (36**2 / 5 + 36**2 / 4 + 33**2 / 5) - 45
    assert row["statistic"] == pytest.approx(h, rel=1e-9)
    assert row["p_value"] == pytest.approx(math.exp(-h / 2), rel=1e-9)
    # epsilon-squared = H / (n - 1) = 0.771429 / 13 (hand)
    assert row["effect_size"] == pytest.approx(0.7714286 / 13, rel=1e-6)


def test_cramers_v_bias_correction_by_hand():
    # Bergsma (2013) on the chisq.test example above: X^2 = 30.0701 (uncorrected), n = 2757,
    # r = 2, k = 3: phi2 = 30.0701/2757 = 0.0109068; phi2~ = 0.0109068 - 2/2756 = 0.0101811;
    # r~ = 2 - 1/2756 = 1.9996372; k~ = 3 - 4/2756 = 2.9985486; V~ = sqrt(0.0101811/0.9996372)
    # = 0.1009200. Uncorrected V = sqrt(0.0109068/1) = 0.1044356.
    m = np.array([[762, 327, 468], [484, 239, 477]])
    assert stats.cramers_v(m) == pytest.approx(0.1009200, abs=1e-6)
    assert stats.cramers_v(m, bias_correction=False) == pytest.approx(0.1044356, abs=1e-6)


def test_cochran_rule_thresholds():
    assert stats.cochran_rule(np.array([[5, 5], [5, 5]]))[0]
    assert not stats.cochran_rule(np.array([[0.9, 10], [10, 10]]))[0]
    # 1 of 5 cells (20%) below 5 is allowed, 2 of 5 (40%) is not
    assert stats.cochran_rule(np.array([4, 6, 6, 6, 6]))[0]
    assert not stats.cochran_rule(np.array([4, 4, 6, 6, 6]))[0]


def test_table_with_one_group_reports_no_test():
    row = stats.table_test(np.array([[3, 4], [0, 0]]))
    assert row["test"] == "none" and np.isnan(row["p_value"])


def test_dunn_holm_is_holm_of_the_raw_pairs():
    x = [2.9, 3.0, 2.5, 2.6, 3.2, 3.8, 2.7, 4.0, 2.4, 2.8, 3.4, 3.7, 2.2, 2.0]
    g = ["a"] * 5 + ["b"] * 4 + ["c"] * 5
    pairs = stats.dunn_test(pd.DataFrame({"x": x, "g": g}), "x", "g")
    assert list(pairs[["group_1", "group_2"]].itertuples(index=False, name=None)) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]
    # Dunn (1964) by hand: mean ranks a = 36/5 = 7.2, b = 36/4 = 9.0, c = 33/5 = 6.6; N = 14, no
    # ties, so var = N(N+1)/12 = 17.5 and z_ij = (Rbar_i - Rbar_j) / sqrt(17.5 (1/n_i + 1/n_j)),
    # p = 2 (1 - Phi(|z|)): z_ab = -1.8/2.806243, z_ac = 0.6/2.645751, z_bc = 2.4/2.806243
    from scipy.stats import norm

    z = [
        -1.8 / math.sqrt(17.5 * (1 / 5 + 1 / 4)),
        0.6 / math.sqrt(17.5 * 0.4),
        2.4 / math.sqrt(7.875),
    ]
    assert pairs["p_value"].tolist() == pytest.approx([2 * norm.sf(abs(v)) for v in z], rel=1e-9)
    assert round(pairs["p_value"].iloc[0], 4) == 0.5212
    # Holm by hand on the raw p-values: sort, multiply by (m - rank + 1), running maximum, cap 1
    raw = pairs["p_value"].to_numpy()
    order = np.argsort(raw)
    holm = np.minimum(1, np.maximum.accumulate(raw[order] * (3 - np.arange(3))))
    expected = np.empty(3)
    expected[order] = holm
    assert pairs["p_adjusted"].to_numpy() == pytest.approx(expected)
    # issue 13, defect 5: z with its sign (group_1 minus group_2 mean ranks) and r = z/sqrt(n1+n2)
    assert pairs["z"].tolist() == pytest.approx(z, rel=1e-12)
    assert pairs["z"].iloc[0] < 0  # a (7.2) ranks below b (9.0)
    assert pairs["effect_size"].tolist() == pytest.approx(
        [z[0] / 3, z[1] / math.sqrt(10), z[2] / 3], rel=1e-12
    )


def test_dunn_z_with_ties_by_hand_and_p_agree_with_scikit_posthocs():
    # x = 1 1 2 | 2 3 3 | 3 4 (groups a, b, c); ranks: 1 1 2 2 -> 1.5 1.5 3.5 3.5; 3 3 3 -> 6;
    # 4 -> 8. Mean ranks a = (1.5+1.5+3.5)/3 = 6.5/3, b = (3.5+6+6)/3 = 15.5/3, c = (6+8)/2 = 7.
    # N = 8, ties t = 2, 2, 3, 1: sum(t^3 - t) = 6 + 6 + 24 = 36;
    # var0 = 8*9/12 - 36/(12*7) = 6 - 3/7 = 39/7.
    x = [1, 1, 2, 2, 3, 3, 3, 4]
    g = ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    pairs = stats.dunn_test(pd.DataFrame({"x": x, "g": g}), "x", "g")
    var0 = 39 / 7
    z_ab = (6.5 / 3 - 15.5 / 3) / math.sqrt(var0 * (2 / 3))
    z_ac = (6.5 / 3 - 7) / math.sqrt(var0 * (1 / 3 + 1 / 2))
    z_bc = (15.5 / 3 - 7) / math.sqrt(var0 * (1 / 3 + 1 / 2))
    assert pairs["z"].tolist() == pytest.approx([z_ab, z_ac, z_bc], rel=1e-12)
    from scipy.stats import norm

    assert pairs["p_value"].tolist() == pytest.approx(
        [2 * norm.sf(abs(v)) for v in (z_ab, z_ac, z_bc)], rel=1e-9
    )
    # an independent implementation: scikit-posthocs' Dunn matrix, raw and Holm-adjusted
    import scikit_posthocs as sp

    frame = pd.DataFrame({"x": x, "g": g})
    for col, adjust in (("p_value", None), ("p_adjusted", "holm")):
        matrix = sp.posthoc_dunn(frame, val_col="x", group_col="g", p_adjust=adjust)
        theirs = [matrix.loc["a", "b"], matrix.loc["a", "c"], matrix.loc["b", "c"]]
        assert pairs[col].tolist() == pytest.approx(theirs, rel=1e-12)


def test_adjust_pvalues_benjamini_hochberg_by_hand():
    # p = (0.01, 0.04, 0.03, 0.005), m = 4. Sorted: 0.005, 0.01, 0.03, 0.04 -> m p / rank =
    # 0.02, 0.02, 0.04, 0.04 -> running minimum from the top keeps them. (R: p.adjust(p, "BH"))
    tests = pd.DataFrame({"p_value": [0.01, 0.04, 0.03, 0.005, np.nan]})
    out = stats.adjust_pvalues(tests)
    assert out["p_adjusted"].tolist()[:4] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert np.isnan(out["p_adjusted"].iloc[4]) and out["family_size"].iloc[0] == 4
    assert out["p_value"].tolist()[:4] == [0.01, 0.04, 0.03, 0.005]  # raw kept
    assert "p_adjusted" not in tests.columns  # input untouched
    with pytest.raises(ArgumentError, match="not a multipletests method"):
        stats.adjust_pvalues(tests, method="magic")


# ---- instrument-driven breakdowns -------------------------------------------------------------
@pytest.fixture(scope="module")
def clean(instrument):
    return simulate_clean(instrument, 400, seed=7)


def test_breakdown_rating_gives_kruskal_and_dunn(instrument, clean):
    b = stats.breakdown_question(clean, instrument, "B1")
    assert b.by == "A1" and b.tests["test"].tolist() == ["Kruskal-Wallis"]
    assert set(stats.TEST_COLUMNS) <= set(b.tests.columns)
    assert len(b.posthoc) == 21  # 7 sectors -> 21 pairs
    sums = b.table.groupby("group", observed=True)["pct"].sum()
    assert np.allclose(sums, 100)


def test_breakdown_multi_gives_one_test_per_option(instrument, clean):
    b = stats.breakdown_question(clean, instrument, "B6")
    options = instrument.question("B6").options
    assert len(b.tests) == len(options)
    assert b.tests["outcome"].tolist() == [f"B6__{o.code}" for o in options]
    assert (b.tests["test"] != "").all() and b.tests["reason"].str.len().gt(10).all()


def test_breakdown_count_tabulates_bins_and_tests_numbers(instrument, clean):
    b = stats.breakdown_question(clean, instrument, "A3")
    assert set(b.table["level"]) == {bn.label for bn in instrument.question("A3").bins}
    assert b.tests["outcome"].iloc[0] == "A3" and b.tests["test"].iloc[0] == "Kruskal-Wallis"


def test_breakdown_single_by_another_column(instrument, clean):
    d = clean.assign(region=pd.Categorical(np.where(np.arange(len(clean)) % 2, "north", "south")))
    b = stats.breakdown_question(d, instrument, "A1", by="region")
    assert b.tests["by"].iloc[0] == "region"
    with pytest.raises(ArgumentError, match="`by` is 'A1', the question itself"):
        stats.breakdown_question(clean, instrument, "A1")
    with pytest.raises(ArgumentError, match="Could not interpret value `sectr` for `by`"):
        stats.breakdown_question(clean, instrument, "B1", by="sectr")


def test_multi_choice_options_always_get_an_exact_test():
    # Issue 3: "each multiple-choice option: Fisher's exact test across groups", even when the
    # expected counts would allow chi-square. Expected p by hand: the two-sided Fisher p is the sum
    # of hypergeometric probabilities P(a) = C(17, a) C(20, 18 - a) / C(37, 18) over all a whose
    # probability is at most that of the observed a = 12 (rows 17 and 20, first column 18).
    from math import comb

    from giftreview.analysis.stats import table_test

    table = [[12, 5], [6, 14]]
    probs = {a: comb(17, a) * comb(20, 18 - a) / comb(37, 18) for a in range(0, 18)}
    p_hand = sum(p for p in probs.values() if p <= probs[12] * (1 + 1e-7))
    chi = table_test(table)
    exact = table_test(table, exact=True)
    assert chi["test"].startswith("Pearson chi-square")
    assert exact["test"] == "Fisher exact"
    assert "exact test requested" in exact["reason"]
    assert exact["p_value"] == pytest.approx(p_hand, rel=1e-9)
