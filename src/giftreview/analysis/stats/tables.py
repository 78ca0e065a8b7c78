"""Contingency tables and their tests of independence (chi-square, Fisher, Monte-Carlo)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as ss
from scipy.special import gammaln

from giftreview.analysis.common import TEST_COLUMNS, MissingPolicy, category_codes, valid_rows
from giftreview.analysis.common import test_frame as _test_frame
from giftreview.analysis.stats.intervals import share_table

__all__ = [
    "DEFAULT_RESAMPLES",
    "MC_BATCH",
    "DEFAULT_ALPHA",
    "FISHER_2X2",
    "DEFAULT_SEED",
    "contingency",
    "crosstab",
    "cochran_rule",
    "cramers_v",
    "table_test",
    "fisher_monte_carlo",
    "independence_test",
]

#: cap on the Monte-Carlo tables of the adaptive exact test of tables larger than 2x2
DEFAULT_RESAMPLES = 1_000_000
#: Monte-Carlo tables drawn per batch before the stopping rule is checked
MC_BATCH = 10_000
#: the report's significance level (the adaptive Monte-Carlo test stops once clear of it)
DEFAULT_ALPHA = 0.05
#: how the 2x2 exact test's statistic is labelled (R fisher.test's estimate)
FISHER_2X2 = "statistic: conditional MLE odds ratio (R fisher.test estimate)"
#: default seed of the Monte-Carlo exact tests (reported in every test row)
DEFAULT_SEED = 20100301


# ---- contingency tables --------------------------------------------------------------------
def contingency(
    data: pd.DataFrame, outcome: str, by: str, *, missing: MissingPolicy = "exclude"
) -> pd.DataFrame:
    """Counts of ``by`` (rows) x ``outcome`` (columns), keeping declared empty levels.

    Fast for large data: counts integer category codes with :func:`numpy.bincount`.
    In R: ``table(by, outcome)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "sector": ["NGO"] * 5 + ["UN"] * 5,
    ...     "rating": pd.Categorical(
    ...         ["Low", "High", "High", "Medium", "High", "Low", "Low", "Medium", "Low", "High"],
    ...         categories=["Low", "Medium", "High"], ordered=True),
    ...     "staff": [0, 1, 3, 2, 5, 0, 0, 1, 1, 4],
    ... })
    >>> contingency(df, "rating", "sector")
    rating  Low  Medium  High
    sector
    NGO       1       1     3
    UN        3       1     1
    """
    valid_rows(data, [outcome, by], missing)  # checks names and the missing rule
    ocodes, olabels = category_codes(data[outcome])
    gcodes, glabels = category_codes(data[by])
    ok = (ocodes >= 0) & (gcodes >= 0)
    flat = gcodes[ok].astype(np.int64) * len(olabels) + ocodes[ok]
    counts = np.bincount(flat, minlength=len(glabels) * len(olabels))
    return pd.DataFrame(
        counts.reshape(len(glabels), len(olabels)),
        index=pd.Index(glabels, name=by),
        columns=pd.Index(olabels, name=outcome),
    )


def crosstab(
    data: pd.DataFrame,
    outcome: str,
    by: str,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Tidy group x level table: ``group, level, n, base, pct, ci_low, ci_high, method``.

    ``pct`` is the row percentage (share of the group's valid answers) with its interval.
    In R: ``prop.table(table(by, outcome), 1)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "sector": ["NGO"] * 5 + ["UN"] * 5,
    ...     "rating": pd.Categorical(
    ...         ["Low", "High", "High", "Medium", "High", "Low", "Low", "Medium", "Low", "High"],
    ...         categories=["Low", "Medium", "High"], ordered=True),
    ...     "staff": [0, 1, 3, 2, 5, 0, 0, 1, 1, 4],
    ... })
    >>> crosstab(df, "rating", "sector").round(1).head(3)
      group   level  n  base   pct  ci_low  ci_high  method
    0   NGO     Low  1     5  20.0     3.6     62.4  wilson
    1   NGO  Medium  1     5  20.0     3.6     62.4  wilson
    2   NGO    High  3     5  60.0    23.1     88.2  wilson
    """
    table = contingency(data, outcome, by, missing=missing)
    parts = []
    for group, row in table.iterrows():
        part = share_table(list(table.columns), row.to_numpy(), int(row.sum()), confidence, method)
        part.insert(0, "group", group)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def cochran_rule(expected: np.ndarray) -> tuple[bool, str]:
    """Cochran's rule for the chi-square approximation, with the reason as text.

    Holds when no expected count is below 1 and at most 20% are below 5 (Cochran 1954).

    Examples
    --------
    >>> cochran_rule([[2.5, 2.5], [5.0, 5.0]])[0]  # half the expected counts are below 5
    False
    """
    e = np.asarray(expected, dtype=float)
    below1 = int((e < 1).sum())
    below5 = float((e < 5).mean()) if e.size else 1.0
    ok = below1 == 0 and below5 <= 0.2
    text = (
        f"{below1} expected count(s) below 1 and {100 * below5:.0f}% below 5 "
        f"({'meets' if ok else 'fails'} Cochran's rule: none below 1, at most 20% below 5)"
    )
    return ok, text


def cramers_v(table, *, bias_correction: bool = True) -> float:
    """Cramer's V of a contingency table, by default with Bergsma's (2013) bias correction.

    Notes
    -----
    With :math:`\\varphi^2 = X^2/n` (Pearson's statistic without continuity correction),
    :math:`\\tilde\\varphi^2 = \\max(0, \\varphi^2 - (k-1)(r-1)/(n-1))`,
    :math:`\\tilde r = r - (r-1)^2/(n-1)` and :math:`\\tilde k = k - (k-1)^2/(n-1)`:

    .. math:: \\tilde V = \\sqrt{\\tilde\\varphi^2 / \\min(\\tilde k - 1, \\tilde r - 1)}

    Hand-written because :func:`scipy.stats.contingency.association` has no bias correction
    (it gives the uncorrected V, used when ``bias_correction=False``). In R:
    ``rcompanion::cramerV(table, bias.correct = TRUE)``.

    Examples
    --------
    >>> round(cramers_v([[10, 2], [3, 9]]), 4)
    0.5593
    >>> round(cramers_v([[10, 2], [3, 9]], bias_correction=False), 4)
    0.5854

    Uncorrected by hand: X^2 = 24 (10*9 - 2*3)^2 / (12*12*13*11) = 8.224, V = sqrt(8.224/24).
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    r, k = t.shape
    n = t.sum()
    if r < 2 or k < 2 or n < 2:
        return float("nan")
    if not bias_correction:
        return float(
            ss.contingency.association(t.astype(np.int64), method="cramer", correction=False)
        )
    chi2 = ss.chi2_contingency(t, correction=False).statistic
    phi2 = max(0.0, chi2 / n - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    denom = min(kc - 1, rc - 1)
    return float(np.sqrt(phi2 / denom)) if denom > 0 else float("nan")


def table_test(
    table,
    *,
    seed: int = DEFAULT_SEED,
    n_resamples: int = DEFAULT_RESAMPLES,
    exact: bool = False,
    alpha: float = DEFAULT_ALPHA,
) -> dict[str, object]:
    """Test of independence of a contingency table, chosen by its expected counts.

    Empty rows and columns are dropped first. Then: Pearson's chi-square (Yates-corrected for
    2x2, as R's ``chisq.test``) when Cochran's rule holds; otherwise Fisher's exact test for a
    2x2 table (R ``fisher.test``; the ``statistic`` is R's estimate, the conditional maximum
    likelihood odds ratio, from :func:`scipy.stats.contingency.odds_ratio`) or, for larger
    tables, the Fisher-Freeman-Halton exact test with an adaptive seeded Monte-Carlo p-value
    (:func:`fisher_monte_carlo`: at most ``n_resamples`` tables, fewer once the p-value is
    clearly on one side of ``alpha``). Effect size: bias-corrected Cramer's V
    (:func:`cramers_v`).

    With ``exact=True`` the chi-square branch is skipped and the exact test is used whatever the
    expected counts (the rule for multiple-choice options, where groups are often small).

    Returns a dict with the test columns (see ``TEST_COLUMNS``) except ``outcome`` and ``by``.

    Examples
    --------
    >>> res = table_test([[10, 2], [3, 9]])
    >>> res["test"], round(res["statistic"], 3), round(res["p_value"], 4)
    ("Pearson chi-square with Yates' continuity correction", 6.042, 0.014)

    By hand: 24 (|10*9 - 2*3| - 24/2)^2 / (12*12*13*11) = 6.042; in R
    ``chisq.test(matrix(c(10, 3, 2, 9), 2))`` gives X-squared = 6.042, p-value = 0.01397.
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    n = int(t.sum())
    row = dict.fromkeys(TEST_COLUMNS[2:], np.nan) | {"n": n, "effect_measure": "Cramer's V (bc)"}
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        return row | {
            "test": "none",
            "reason": "fewer than two groups or two answers with data: nothing to compare",
        }
    expected = ss.contingency.expected_freq(t)
    ok, why = cochran_rule(expected)
    row["effect_size"] = cramers_v(t)
    if exact:
        why = "exact test requested for every option of a multiple-choice question"
    elif ok:
        res = ss.chi2_contingency(t, correction=True)
        yates = " with Yates' continuity correction" if t.shape == (2, 2) else ""
        return row | {
            "test": "Pearson chi-square" + yates,
            "reason": why,
            "statistic": float(res.statistic),
            "df": float(res.dof),
            "p_value": float(res.pvalue),
        }
    if t.shape == (2, 2):
        res = ss.fisher_exact(t)
        odds = ss.contingency.odds_ratio(t, kind="conditional").statistic
        return row | {
            "test": "Fisher exact",
            "reason": f"{why}; 2x2 table; {FISHER_2X2}",
            "statistic": float(odds),
            "p_value": float(res.pvalue),
        }
    mc = fisher_monte_carlo(t, seed=seed, max_resamples=n_resamples, alpha=alpha)
    return row | {
        "test": "Fisher-Freeman-Halton exact (Monte-Carlo)",
        "reason": why + f"; {t.shape[0]}x{t.shape[1]} table, p from {mc['n_resamples']:,} random "
        f"tables (Monte-Carlo SE {mc['mc_se']:.2g})",
        "statistic": float(np.exp(mc["log_prob"])),
        "p_value": mc["p_value"],
        "n_resamples": mc["n_resamples"],
        "mc_se": mc["mc_se"],
        "seed": int(seed),
    }


def fisher_monte_carlo(
    table,
    *,
    seed: int,
    max_resamples: int = DEFAULT_RESAMPLES,
    alpha: float = DEFAULT_ALPHA,
    batch: int = MC_BATCH,
) -> dict[str, float]:
    """Fisher-Freeman-Halton exact test of an r x c table, adaptive seeded Monte-Carlo p-value.

    Parameters
    ----------
    table
        Counts (r x c).
    seed
        Seed of the random tables (the same seed gives the same p).
    max_resamples
        Cap on the number of random tables (default :data:`DEFAULT_RESAMPLES`, 10^6).
    alpha
        The report's significance level: tables are drawn in batches of ``batch`` until the
        99% Monte-Carlo interval :math:`\\hat p \\pm 2.576\\, SE_{MC}` excludes ``alpha``, or the
        cap is reached.

    Returns
    -------
    dict
        ``p_value``, ``n_resamples`` (tables drawn), ``mc_se``
        (:math:`\\sqrt{\\hat p(1-\\hat p)/B}`) and ``log_prob`` (log probability of the observed
        table under independence given the margins).

    Notes
    -----
    R's definition (``fisher.test(simulate.p.value = TRUE, B)``): random tables with the observed
    margins (:func:`scipy.stats.random_table`, Patefield's algorithm as R's ``r2dtable``), and
    :math:`p = (1 + \\#\\{b: P(T_b) \\le P(T_0)\\}) / (B + 1)`, the comparison made on
    :math:`-\\sum \\log x_{ij}!` with R's relative tolerance :math:`1 + 64\\epsilon`. The
    adaptive stopping rule is this project's (R draws a fixed B). No maintained Python
    implementation of the exact network algorithm (R's FEXACT) exists, hence Monte-Carlo.

    Examples
    --------
    >>> res = fisher_monte_carlo([[5, 1, 0], [1, 4, 3]], seed=1)
    >>> res["n_resamples"], round(res["p_value"], 4), round(res["mc_se"], 4)
    (10000, 0.0343, 0.0018)
    """
    t = np.asarray(table, dtype=np.int64)
    rng = np.random.default_rng(seed)
    dist = ss.random_table(t.sum(axis=1), t.sum(axis=0), seed=rng)
    observed = -float(gammaln(t + 1).sum())
    cutoff = observed / (1 + 64 * np.finfo(float).eps)  # R: STATISTIC / almost.1
    drawn = hits = 0
    z = ss.norm.isf(0.005)
    while drawn < max_resamples:
        size = min(batch, max_resamples - drawn)
        sims = -gammaln(dist.rvs(size=size) + 1).sum(axis=(1, 2))
        hits += int((sims <= cutoff).sum())
        drawn += size
        p = (1 + hits) / (drawn + 1)
        se = float(np.sqrt(p * (1 - p) / drawn))
        if abs(p - alpha) > z * se:
            break
    log_prob = float(dist.logpmf(t))
    return {"p_value": p, "n_resamples": drawn, "mc_se": se, "log_prob": log_prob}


def independence_test(
    data: pd.DataFrame,
    outcome: str,
    by: str,
    *,
    seed: int = DEFAULT_SEED,
    n_resamples: int = DEFAULT_RESAMPLES,
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Test whether a categorical ``outcome`` differs between the groups of ``by``.

    The test is chosen by :func:`table_test` (chi-square / Fisher / Monte-Carlo exact); one row
    with columns ``TEST_COLUMNS``. In R: ``chisq.test(table(by, outcome))`` or
    ``fisher.test(table(by, outcome))``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "sector": ["NGO"] * 5 + ["UN"] * 5,
    ...     "rating": pd.Categorical(
    ...         ["Low", "High", "High", "Medium", "High", "Low", "Low", "Medium", "Low", "High"],
    ...         categories=["Low", "Medium", "High"], ordered=True),
    ...     "staff": [0, 1, 3, 2, 5, 0, 0, 1, 1, 4],
    ... })
    >>> independence_test(df, "rating", "sector", n_resamples=999)[["test", "p_value", "n"]]
                                            test  p_value   n
    0  Fisher-Freeman-Halton exact (Monte-Carlo)    0.726  10
    """
    table = contingency(data, outcome, by, missing=missing)
    res = table_test(table.to_numpy(), seed=seed, n_resamples=n_resamples)
    return _test_frame([res | {"outcome": outcome, "by": by}])
