"""Generic survey statistics: intervals, distributions and group tests, each a tidy DataFrame.

Two layers live here:

* **Generic functions** take a DataFrame plus column names, never modify their input, take the
  missing-data rule as an explicit ``missing`` argument and return a tidy DataFrame with stable
  column names: :func:`proportion_interval`, :func:`distribution`, :func:`mean_interval`,
  :func:`median_interval`, :func:`quartiles`, :func:`top_box`, :func:`crosstab`,
  :func:`independence_test`, :func:`kruskal_test`, :func:`dunn_test`, :func:`adjust_pvalues`.
* **Instrument-driven** :func:`breakdown_question` (what the report notebooks call) picks the
  right test for a question's type.

Every test row says which test was used and why (columns ``test`` and ``reason``), so the
appendix can print the choice. The rules are documented in ``docs/statistics.md``.

``missing`` is one of ``"exclude"`` (drop rows where a named column is NA: listwise deletion,
R's ``na.rm = TRUE`` / ``na.omit``) or ``"raise"`` (raise :class:`DataValidationError` naming the
column and the first rows with NA, R's ``na.fail``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats as ss
from scipy.special import gammaln
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from giftreview.analysis import design as dz
from giftreview.analysis.common import (
    TEST_COLUMNS,
    MissingPolicy,
    check_level,
    valid_rows,
)
from giftreview.analysis.common import (
    test_frame as _test_frame,
)
from giftreview.data.instrument import BIN_SUFFIX, Instrument, bin_column, option_column
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "MissingPolicy",
    "MAX_GROUPS",
    "grouping_column",
    "INTERVAL_METHODS",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_ALPHA",
    "MC_BATCH",
    "FISHER_2X2",
    "TEST_COLUMNS",
    "check_level",
    "interval_method",
    "valid_rows",
    "proportion_interval",
    "distribution",
    "share_table",
    "top_box",
    "mean_interval",
    "median_interval",
    "quartiles",
    "stat_row",
    "contingency",
    "crosstab",
    "cochran_rule",
    "cramers_v",
    "table_test",
    "fisher_monte_carlo",
    "independence_test",
    "kruskal_test",
    "dunn_test",
    "adjust_pvalues",
    "option_selected",
    "Breakdown",
    "breakdown_question",
]

#: accepted interval names -> statsmodels ``proportion_confint`` method
INTERVAL_METHODS: dict[str, str] = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "exact": "beta",
    "beta": "beta",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "normal": "normal",
}
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


# ---- checks --------------------------------------------------------------------------------
def interval_method(method: str) -> str:
    """The statsmodels name of interval ``method`` (raises naming the accepted names).

    Examples
    --------
    >>> interval_method("Clopper_Pearson")  # statsmodels calls it "beta"
    'beta'
    """
    key = str(method).lower().replace("_", "-")
    if key not in INTERVAL_METHODS:
        raise ArgumentError(
            f"`method` {method!r} is not an interval method; use one of "
            f"{', '.join(sorted(set(INTERVAL_METHODS) - {'beta', 'exact'}))}"
        )
    return INTERVAL_METHODS[key]


def _categories(series: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (-1 = NA) and the category labels, keeping declared but unused levels."""
    cat = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
    return np.asarray(cat.cat.codes), list(cat.cat.categories)


# ---- intervals -----------------------------------------------------------------------------
def proportion_interval(
    count, nobs, *, confidence: float = 0.95, method: str = "wilson"
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of a binomial proportion ``count / nobs``.

    Parameters
    ----------
    count, nobs
        Successes and trials (scalars or arrays of the same shape).
    confidence
        Two-sided confidence level.
    method
        ``"wilson"`` (default), ``"clopper-pearson"`` (exact), ``"agresti-coull"``,
        ``"jeffreys"`` or ``"normal"`` (Wald).

    Returns
    -------
    (low, high)
        Arrays of shares in [0, 1]; NaN where ``nobs == 0``.

    Notes
    -----
    Wilson score interval, with :math:`\\hat p = x/n` and :math:`z = \\Phi^{-1}(1-\\alpha/2)`:

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Computed by :func:`statsmodels.stats.proportion.proportion_confint`; the Jeffreys interval
    uses Brown, Cai & DasGupta's (2001) boundary rule (lower 0 at x = 0, upper 1 at x = n), so
    every interval contains its estimate. In R: ``prop.test(x, n, correct = FALSE)$conf.int`` (Wilson) or ``binom.test(x, n)$conf.int``
    (Clopper-Pearson).

    Examples
    --------
    3 of 10 (by hand from the formula: centre 0.3555, half-width 0.2477; in R
    ``prop.test(3, 10, correct = FALSE)$conf.int`` is 0.1077913 0.6032219):

    >>> low, high = proportion_interval(3, 10)
    >>> print(f"{float(low):.4f} {float(high):.4f}")
    0.1078 0.6032
    """
    confidence = check_level(confidence)
    sm = interval_method(method)
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    low, high = proportion_confint(count, safe, alpha=1 - confidence, method=sm)
    if sm == "jeffreys":  # Brown, Cai & DasGupta (2001): the interval reaches 0 at x=0, 1 at x=n
        low = np.where(count == 0, 0.0, low)
        high = np.where(count == nobs, 1.0, high)
    low = np.where(nobs > 0, np.clip(low, 0.0, 1.0), np.nan)
    high = np.where(nobs > 0, np.clip(high, 0.0, 1.0), np.nan)
    return low, high


def distribution(
    data: pd.DataFrame,
    column: str,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Distribution of a categorical column: n, % of valid answers and an interval per level.

    Parameters
    ----------
    data, column
        The table and the (categorical) column; declared but unused categories get ``n = 0``.
    confidence, method
        Interval confidence level and method (see :func:`proportion_interval`).
    missing
        ``"exclude"`` (NA is not part of the base) or ``"raise"``.

    Returns
    -------
    pandas.DataFrame
        One row per level, columns ``level, n, base, pct, ci_low, ci_high, method``; ``pct`` and
        the interval are percentages of ``base`` (the answers that are not NA).

    Notes
    -----
    :math:`pct_j = 100\\, n_j / \\sum_k n_k`. In R:
    ``prop.table(table(x))`` and ``prop.test(n_j, base, correct = FALSE)$conf.int``.

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
    >>> distribution(df, "rating").round(1)
        level  n  base   pct  ci_low  ci_high  method
    0     Low  4    10  40.0    16.8     68.7  wilson
    1  Medium  2    10  20.0     5.7     51.0  wilson
    2    High  4    10  40.0    16.8     68.7  wilson
    """
    valid_rows(data, [column], missing)  # checks the name and the missing rule
    codes, labels = _categories(data[column])  # NA has code -1 and is left out of the base
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    return share_table(labels, counts, int(counts.sum()), confidence, method)


def share_table(labels: list, counts: np.ndarray, base, confidence: float, method: str):
    """Tidy share table from counts: ``level, n, base, pct, ci_low, ci_high, method``.

    ``base`` is a scalar or one base per count (e.g. per group); percentages of ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> share_table(["yes", "no"], np.array([3, 7]), 10, 0.95, "wilson").round(1)
      level  n  base   pct  ci_low  ci_high  method
    0   yes  3    10  30.0    10.8     60.3  wilson
    1    no  7    10  70.0    39.7     89.2  wilson
    """
    base_arr = np.broadcast_to(np.asarray(base, dtype=float), counts.shape)
    low, high = proportion_interval(counts, base_arr, confidence=confidence, method=method)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(base_arr > 0, 100.0 * counts / np.where(base_arr > 0, base_arr, 1), np.nan)
    return pd.DataFrame(
        {
            "level": labels,
            "n": counts.astype("int64"),
            "base": base_arr.astype("int64"),
            "pct": pct,
            "ci_low": 100.0 * low,
            "ci_high": 100.0 * high,
            "method": method,
        }
    )


def top_box(
    data: pd.DataFrame,
    column: str,
    top_levels: list,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Share of valid answers in the top levels of a scale (e.g. the top two boxes).

    Returns one row ``statistic="top_box", estimate, ci_low, ci_high, n, base, method`` with the
    share and its interval in percent. In R: ``prop.test(sum(x %in% top), sum(!is.na(x)))``.

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
    >>> top_box(df, "rating", ["High"]).round(1)
      statistic  estimate  ci_low  ci_high  n  base  method
    0   top_box      40.0    16.8     68.7  4    10  wilson
    """
    sub = valid_rows(data, [column], missing)[column]
    hits = int(sub.isin(top_levels).sum())
    base = len(sub)
    low, high = proportion_interval(hits, base, confidence=confidence, method=method)
    est = 100.0 * hits / base if base else np.nan
    row = stat_row("top_box", est, 100.0 * float(low), 100.0 * float(high), hits, method)
    row.insert(row.columns.get_loc("method"), "base", base)
    return row


def _numeric(data: pd.DataFrame, column: str, missing: MissingPolicy) -> np.ndarray:
    """Values of ``column`` as floats (ordered categoricals give their 1-based level number)."""
    sub = valid_rows(data, [column], missing)[column]
    if isinstance(sub.dtype, pd.CategoricalDtype):
        return sub.cat.codes.to_numpy(dtype=float) + 1.0
    try:
        return sub.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"column {column!r} is not numeric (dtype {sub.dtype}); means and medians need "
            "numbers or an ordered categorical"
        ) from None


def mean_interval(
    data: pd.DataFrame, column: str, *, confidence: float = 0.95, missing: MissingPolicy = "exclude"
) -> pd.DataFrame:
    """Mean with its Student t interval.

    Notes
    -----
    :math:`\\bar x \\pm t_{n-1,1-\\alpha/2}\\, s/\\sqrt n`, computed by
    :meth:`statsmodels.stats.weightstats.DescrStatsW.tconfint_mean`. Ordered categoricals are
    scored 1..k. In R: ``t.test(x, conf.level = level)$conf.int``.

    Returns one row ``statistic="mean", estimate, ci_low, ci_high, n, method="t"``.

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
    >>> mean_interval(df, "staff").round(3)
      statistic  estimate  ci_low  ci_high   n method
    0      mean       1.7   0.436    2.964  10      t

    By hand: s = sqrt(28.1 / 9) = 1.767, t(9, 0.975) = 2.262, 1.7 -+ 2.262 * 1.767 / sqrt(10).
    """
    confidence = check_level(confidence)
    x = _numeric(data, column, missing)
    est, low, high = np.nan, np.nan, np.nan
    if len(x) >= 1:
        est = float(x.mean())
    if len(x) >= 2:
        if np.ptp(x) == 0:
            low = high = est
        else:
            low, high = DescrStatsW(x).tconfint_mean(alpha=1 - confidence)
    return stat_row("mean", est, low, high, len(x), "t")


def median_interval(
    data: pd.DataFrame, column: str, *, confidence: float = 0.95, missing: MissingPolicy = "exclude"
) -> pd.DataFrame:
    """Median with the distribution-free (exact binomial order-statistic) interval.

    Notes
    -----
    The interval is :math:`[x_{(r)}, x_{(s)}]` with the order statistics chosen so that
    :math:`P(r \\le B < s) \\ge` ``confidence`` for :math:`B \\sim \\mathrm{Bin}(n, 1/2)`
    (Conover 1999, sec. 3.2), computed by :func:`scipy.stats.quantile_test` and its
    ``confidence_interval``. The median itself is R's ``median(x)``. In R:
    ``DescTools::MedianCI(x, method = "exact")``. With ``n < 2`` or too few observations for the
    level, the missing bound is NaN.

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
    >>> median_interval(df, "staff")[["statistic", "estimate", "ci_low", "ci_high", "n"]]
      statistic  estimate  ci_low  ci_high   n
    0    median       1.0     0.0      4.0  10
    """
    confidence = check_level(confidence)
    x = _numeric(data, column, missing)
    if len(x) == 0:
        return stat_row("median", np.nan, np.nan, np.nan, 0, "exact binomial order statistics")
    ci = ss.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(confidence)
    low, high = (float(v) if np.isfinite(v) else np.nan for v in (ci.low, ci.high))
    return stat_row(
        "median", float(np.median(x)), low, high, len(x), "exact binomial order statistics"
    )


def quartiles(
    data: pd.DataFrame, column: str, *, missing: MissingPolicy = "exclude"
) -> pd.DataFrame:
    """First quartile, median and third quartile (R's default ``quantile(x, type = 7)``).

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
    >>> quartiles(df, "staff")[["statistic", "estimate", "n"]]
      statistic  estimate   n
    0        q1      0.25  10
    1    median      1.00  10
    2        q3      2.75  10

    Sorted 0 0 0 1 1 1 2 3 4 5: q1 = x[3] + 0.25 (x[4] - x[3]) = 0.25 (type 7, 1-based).
    """
    x = _numeric(data, column, missing)
    q = np.quantile(x, [0.25, 0.5, 0.75]) if len(x) else [np.nan] * 3
    return pd.concat(
        [
            stat_row(name, float(v), np.nan, np.nan, len(x), "quantile type 7")
            for name, v in zip(("q1", "median", "q3"), q, strict=True)
        ],
        ignore_index=True,
    )


def stat_row(name: str, est, low, high, n: int, method: str) -> pd.DataFrame:
    """One summary row: ``statistic, estimate, ci_low, ci_high, n, method``.

    Examples
    --------
    >>> stat_row("mean", 2.0, 1.0, 3.0, 10, "t")
      statistic  estimate  ci_low  ci_high   n method
    0      mean       2.0     1.0      3.0  10      t
    """
    return pd.DataFrame(
        {
            "statistic": [name],
            "estimate": [est],
            "ci_low": [low],
            "ci_high": [high],
            "n": [n],
            "method": [method],
        }
    )


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
    ocodes, olabels = _categories(data[outcome])
    gcodes, glabels = _categories(data[by])
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


# ---- rank tests ----------------------------------------------------------------------------
def _groups(data: pd.DataFrame, outcome: str, by: str, missing: MissingPolicy):
    sub = valid_rows(data, [outcome, by], missing)
    x = _numeric(sub, outcome, "exclude")
    gcodes, glabels = _categories(sub[by])
    return x, gcodes, glabels


def kruskal_test(
    data: pd.DataFrame, outcome: str, by: str, *, missing: MissingPolicy = "exclude"
) -> pd.DataFrame:
    """Kruskal-Wallis rank-sum test of an ordinal or numeric ``outcome`` across ``by``.

    Notes
    -----
    :math:`H` is the tie-corrected Kruskal-Wallis statistic (:func:`scipy.stats.kruskal`),
    referred to :math:`\\chi^2_{g-1}`. Effect size epsilon-squared (Tomczak & Tomczak 2014):

    .. math:: \\varepsilon^2_R = \\frac{H}{(n^2-1)/(n+1)} = \\frac{H}{n-1}

    Ordered categoricals are ranked by level. In R: ``kruskal.test(outcome ~ by)`` and
    ``rcompanion::epsilonSquared``.

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
    >>> res = kruskal_test(df, "rating", "sector")
    >>> res[["test", "statistic", "df", "p_value", "effect_size"]].round(4)
                 test  statistic   df  p_value  effect_size
    0  Kruskal-Wallis        1.8  1.0   0.1797          0.2
    """
    x, g, labels = _groups(data, outcome, by, missing)
    samples = [x[g == i] for i in range(len(labels))]
    samples = [s for s in samples if len(s)]
    n = int(sum(len(s) for s in samples))
    base = {"outcome": outcome, "by": by, "n": n, "effect_measure": "epsilon-squared"}
    if len(samples) < 2 or len(np.unique(x)) < 2:
        return _test_frame(
            [
                base
                | {
                    "test": "none",
                    "reason": "fewer than two groups with answers, or all answers equal",
                }
            ]
        )
    res = ss.kruskal(*samples)
    return _test_frame(
        [
            base
            | {
                "test": "Kruskal-Wallis",
                "reason": "ordinal outcome: rank test of equal distributions across groups",
                "statistic": float(res.statistic),
                "df": float(len(samples) - 1),
                "p_value": float(res.pvalue),
                "effect_size": float(res.statistic) / (n - 1),
            }
        ]
    )


def dunn_test(
    data: pd.DataFrame,
    outcome: str,
    by: str,
    *,
    p_adjust: str = "holm",
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Dunn's pairwise rank tests after Kruskal-Wallis, with signed z and an effect size.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_1, group_2, z, p_value`` (unadjusted), ``p_adjusted``,
        ``adjust_method``, ``effect_size``, ``effect_measure``. ``z > 0`` means ``group_1``
        ranks higher.

    Notes
    -----
    With mean ranks :math:`\\bar R_i` over all *N* answers (ties averaged) and tie counts
    :math:`t`:
    :math:`z_{ij} = (\\bar R_i - \\bar R_j) / \\sqrt{(\\frac{N(N+1)}{12} -
    \\frac{\\sum (t^3 - t)}{12(N-1)})(\\frac1{n_i} + \\frac1{n_j})}` (Dunn 1964), two-sided
    :math:`p = 2\\,\\bar\\Phi(|z|)`; effect size :math:`r = z / \\sqrt{n_i + n_j}` (Rosenthal
    1991). The p-values come from :func:`scikit_posthocs.posthoc_dunn`, which returns p only,
    so z and r are computed here (tests check that the two agree). In R:
    ``dunn.test::dunn.test(x, g, method = "holm")`` (its Z is :math:`z_{ij}`) or
    ``FSA::dunnTest``.

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
    >>> cols = ["group_1", "group_2", "z", "p_value", "effect_size"]
    >>> dunn_test(df, "staff", "sector")[cols].round(4)
      group_1 group_2       z  p_value  effect_size
    0     NGO      UN  0.9637   0.3352       0.3047
    """
    x, g, labels = _groups(data, outcome, by, missing)
    present = [i for i in range(len(labels)) if (g == i).any()]
    cols = ["group_1", "group_2", "z", "p_value", "p_adjusted", "adjust_method"]
    cols += ["effect_size", "effect_measure"]
    if len(present) < 2:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({"x": x, "g": g})
    raw = sp.posthoc_dunn(frame, val_col="x", group_col="g", p_adjust=None)
    adj = sp.posthoc_dunn(frame, val_col="x", group_col="g", p_adjust=p_adjust)
    ranks = ss.rankdata(x)
    n_all = len(x)
    _, ties = np.unique(x, return_counts=True)
    var0 = n_all * (n_all + 1) / 12 - (ties**3 - ties).sum() / (12 * (n_all - 1))
    size = np.bincount(g, minlength=len(labels))
    mean_rank = np.bincount(g, weights=ranks, minlength=len(labels)) / np.maximum(size, 1)
    rows = []
    for a_pos, a in enumerate(present):
        for b in present[a_pos + 1 :]:
            z = (mean_rank[a] - mean_rank[b]) / np.sqrt(var0 * (1 / size[a] + 1 / size[b]))
            rows.append(
                [
                    labels[a], labels[b], float(z), float(raw.loc[a, b]), float(adj.loc[a, b]),
                    p_adjust, float(z / np.sqrt(size[a] + size[b])), "r = z / sqrt(n1 + n2)",
                ]
            )  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


# ---- multiplicity --------------------------------------------------------------------------
def adjust_pvalues(
    tests: pd.DataFrame, method: str = "fdr_bh", *, p_col: str = "p_value"
) -> pd.DataFrame:
    """Adjust a family of tests for multiplicity; raw and adjusted p both kept.

    Parameters
    ----------
    tests
        Tidy test rows (e.g. the concatenated ``.tests`` of every breakdown in a report).
    method
        A :func:`statsmodels.stats.multitest.multipletests` method; ``"fdr_bh"``
        (Benjamini-Hochberg) by default, ``"holm"``, ``"bonferroni"``...

    Returns
    -------
    pandas.DataFrame
        A copy with ``p_adjusted``, ``adjust_method`` and ``family_size``; rows without a p-value
        are not part of the family and keep NA.

    Notes
    -----
    BH: with ordered :math:`p_{(1)} \\le \\dots \\le p_{(m)}`,
    :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m\\, p_{(j)}/j)`. In R: ``p.adjust(p, "BH")``.

    Examples
    --------
    >>> import pandas as pd
    >>> tests = pd.DataFrame({"test": ["a", "b", "c"], "p_value": [0.01, 0.04, 0.03]})
    >>> adjust_pvalues(tests)[["test", "p_value", "p_adjusted"]]
      test  p_value  p_adjusted
    0    a     0.01        0.03
    1    b     0.04        0.04
    2    c     0.03        0.04

    By hand: sorted 0.01, 0.03, 0.04 give 3 * 0.01 / 1 = 0.03, 3 * 0.03 / 2 = 0.045 and
    3 * 0.04 / 3 = 0.04, then the running minimum from the largest: 0.03, 0.04, 0.04.
    """
    check_column(tests, p_col, "p_col")
    out = tests.copy()
    p = out[p_col].to_numpy(dtype=float)
    ok = np.isfinite(p)
    adjusted = np.full(len(p), np.nan)
    if ok.any():
        try:
            adjusted[ok] = multipletests(p[ok], method=method)[1]
        except ValueError:
            raise ArgumentError(
                f"`method` {method!r} is not a multipletests method; use e.g. 'fdr_bh', "
                "'holm' or 'bonferroni'"
            ) from None
    out["p_adjusted"] = adjusted
    out["adjust_method"] = method
    out["family_size"] = int(ok.sum())
    return out


# ---- instrument-driven breakdowns ----------------------------------------------------------
def option_selected(data: pd.DataFrame, column: str) -> np.ndarray:
    """Boolean array: did each respondent choose the option held in ``column``.

    Option columns are nullable booleans (NA = not chosen here; the base is decided
    separately). A text column (e.g. data from an older cleaner) counts a non-blank text as
    chosen.

    Examples
    --------
    >>> import pandas as pd
    >>> option_selected(pd.DataFrame({"c": pd.array([True, None, False], dtype="boolean")}), "c")
    array([ True, False, False])
    """
    col = data[column]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        return (
            (col.notna() & (col.astype("string").str.strip() != ""))
            .fillna(False)
            .to_numpy(dtype=bool)
        )
    return col.fillna(0).to_numpy(dtype=float) > 0


@dataclass(frozen=True)
class Breakdown:
    """A question broken down by a grouping column.

    ``table``: tidy ``group, level, n, base, pct, ci_low, ci_high`` (row percentages);
    ``tests``: tidy test rows (one per outcome; a multiple-choice question gives one per
    option); ``posthoc``: Dunn/Holm pairs (ratings and counts; empty otherwise).
    """

    qid: str
    by: str
    table: pd.DataFrame
    tests: pd.DataFrame
    posthoc: pd.DataFrame = field(default_factory=pd.DataFrame)


#: most groups a breakdown compares (more cannot be read, tested or published sensibly)
MAX_GROUPS = 12


def grouping_column(data: pd.DataFrame, instrument: Instrument, by: str | None) -> str:
    """The clean column a breakdown groups by: a count question's bins, else ``by`` itself.

    A count question (by id or raw column name) is grouped by its reporting bins
    (``<id>__bin``). More than :data:`MAX_GROUPS` groups is refused with the way to bin them.
    """
    if by is None:
        raise ArgumentError("`by` is None and the instrument has no group_by; pass by='<column>'")
    counts = {q.id: q for q in instrument.questions_of_type("count")}
    counts |= {q.raw_column: q for q in counts.values()}
    if by in counts:
        by = bin_column(counts[by].id)
    check_column(data, by, "by")
    n = int(data[by].nunique(dropna=True))
    if n > MAX_GROUPS:
        raise ArgumentError(
            f"`by` is {by!r}, which has {n} groups; a breakdown compares at most {MAX_GROUPS}. "
            "Group by a question with fewer options, or make the column a count question with "
            f"reporting bins in the instrument and group by its bins (by='<id>{BIN_SUFFIX}', which "
            "`by='<id>'` also selects)"
        )
    return by


def breakdown_question(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    method: str = "wilson",
    seed: int = DEFAULT_SEED,
    n_resamples: int = DEFAULT_RESAMPLES,
    design=None,
) -> Breakdown:
    """Break question ``qid`` down by ``by`` (default: the instrument's ``group_by``).

    The question type decides the test: single choice -> :func:`independence_test`; rating ->
    :func:`kruskal_test` plus :func:`dunn_test` (Holm); count -> the bins are tabulated and the
    numbers tested with Kruskal-Wallis/Dunn; multiple choice -> one :func:`table_test` per option
    (chosen / not chosen, among respondents who answered the question). Missing codes and
    blanks are excluded from every base.

    With a survey ``design`` (:class:`giftreview.analysis.design.Design` built on ``data``)
    everything is design-based: the table's percentages, SEs, deffs and logit intervals
    (R ``svyby(..., svymean)`` / ``svyciprop``); single choice and each multiple-choice option ->
    the Rao-Scott F test (R ``svychisq``); ratings and counts -> the design-based
    Kruskal-Wallis rank test (R ``svyranktest``), with pairwise design-based Wilcoxon rank tests
    (Holm-adjusted) as the post-hoc comparisons.

    Examples
    --------
    On synthetic data shaped by the bundled instrument (seeded):

    >>> from giftreview.analysis.score import simulate_clean
    >>> from giftreview.data.instrument import load_instrument
    >>> inst = load_instrument()
    >>> rating = inst.questions_of_type("rating")[0].id
    >>> b = breakdown_question(simulate_clean(inst, n=200, seed=1), inst, rating)
    >>> b.tests["test"].tolist(), b.by == inst.group_by
    (['Kruskal-Wallis'], True)
    """
    q = instrument.question(qid)
    by = grouping_column(data, instrument, by or instrument.group_by)
    if by in (qid, bin_column(qid)):
        raise ArgumentError(f"`by` is {by!r}, the question itself; group by another column")
    if design is not None:
        return _breakdown_design(data, instrument, qid, by, design, confidence)
    if q.type == "multi":
        interval = {"confidence": confidence, "method": method}
        exact = {"seed": seed, "n_resamples": n_resamples}
        return _breakdown_multi(data, instrument, qid, by, interval, exact)
    if q.type not in ("single", "rating", "count"):
        raise ArgumentError(
            f"question {qid} is '{q.type}'; breakdowns are for single, rating, count and multi"
        )
    shown = bin_column(qid) if q.type == "count" else qid
    table = crosstab(data, shown, by, confidence=confidence, method=method)
    if q.type == "single":
        tests = independence_test(data, qid, by, seed=seed, n_resamples=n_resamples)
        return Breakdown(qid, by, table, tests)
    tests = kruskal_test(data, qid, by)
    posthoc = dunn_test(data, qid, by) if tests["test"].iloc[0] != "none" else pd.DataFrame()
    return Breakdown(qid, by, table, tests, posthoc)


def _breakdown_multi(data, instrument, qid, by, interval: dict, exact: dict) -> Breakdown:
    q = instrument.question(qid)
    cols = [option_column(qid, o.code) for o in q.options]
    for c in cols:
        check_column(data, c, "option column")
    gcodes, glabels = _categories(data[by])
    answered = data[cols].notna().any(axis=1).to_numpy() & (gcodes >= 0)
    base = np.bincount(gcodes[answered], minlength=len(glabels))
    parts, rows = [], []
    for opt, col in zip(q.options, cols, strict=True):
        chosen = option_selected(data, col) & answered
        n = np.bincount(gcodes[chosen], minlength=len(glabels))
        part = share_table(glabels, n, base, **interval).rename(columns={"level": "group"})
        part.insert(1, "level", opt.label)
        parts.append(part)
        res = table_test(np.column_stack([n, base - n]), exact=True, **exact)
        rows.append(res | {"outcome": col, "by": by})
    table = pd.concat(parts, ignore_index=True)
    return Breakdown(qid, by, table, _test_frame(rows))


def _breakdown_design(data, instrument, qid, by, design, confidence) -> Breakdown:
    """:func:`breakdown_question` with a survey design (see there)."""
    q = instrument.question(qid)
    if q.type == "multi":
        cols = [option_column(qid, o.code) for o in q.options]
        for c in cols:
            check_column(data, c, "option column")
        answered = data[cols].notna().any(axis=1).to_numpy()
        parts, tests = [], []
        for opt, col in zip(q.options, cols, strict=True):
            chosen = option_selected(data, col)
            codes = np.where(answered, np.where(chosen, 0, 1), -1)
            flag = pd.Categorical.from_codes(codes, ["chosen", "not chosen"])
            frame = pd.DataFrame({by: data[by], "_opt": flag}, index=data.index)
            dist = dz.svy_distribution(frame, design, "_opt", by=by, confidence=confidence)
            part = dist[dist["level"] == "chosen"].assign(level=opt.label)
            parts.append(part)
            test = dz.svy_chisq(frame, design, "_opt", by)
            tests.append(test.assign(outcome=col))
        table = pd.concat(parts, ignore_index=True)
        return Breakdown(qid, by, table, pd.concat(tests, ignore_index=True))
    if q.type not in ("single", "rating", "count"):
        raise ArgumentError(
            f"question {qid} is '{q.type}'; breakdowns are for single, rating, count and multi"
        )
    shown = bin_column(qid) if q.type == "count" else qid
    table = dz.svy_distribution(data, design, shown, by=by, confidence=confidence)
    if q.type == "single":
        return Breakdown(qid, by, table, dz.svy_chisq(data, design, qid, by))
    tests, posthoc = dz.rank_family(data, design, qid, by)
    if tests["test"].iloc[0] == "none":
        posthoc = pd.DataFrame()
    return Breakdown(qid, by, table, tests, posthoc)
