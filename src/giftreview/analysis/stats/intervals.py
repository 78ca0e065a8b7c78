"""Shares, means, medians and quartiles with their intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as ss
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from giftreview.analysis.common import (
    MissingPolicy,
    category_codes,
    check_level,
    numeric_values,
    valid_rows,
)
from giftreview.errors import ArgumentError

__all__ = [
    "INTERVAL_METHODS",
    "interval_method",
    "proportion_interval",
    "distribution",
    "share_table",
    "top_box",
    "mean_interval",
    "median_interval",
    "quartiles",
    "stat_row",
]

INTERVAL_METHODS: dict[str, str] = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "exact": "beta",
    "beta": "beta",
    "agresti-coull": "agresti_coull",
    "jeffreys": "jeffreys",
    "normal": "normal",
}


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
    codes, labels = category_codes(data[column])  # NA has code -1 and is left out of the base
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

    Returns one row ``statistic="top_box", estimate, ci_low, ci_high, n, selected, method``
    with the share and its interval in percent; ``n`` is the base (valid answers), as in every
    other summary row, and ``selected`` the answers in the top levels. In R:
    ``prop.test(sum(x %in% top), sum(!is.na(x)))``.

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
      statistic  estimate  ci_low  ci_high   n  selected  method
    0   top_box      40.0    16.8     68.7  10         4  wilson
    """
    sub = valid_rows(data, [column], missing)[column]
    hits = int(sub.isin(top_levels).sum())
    base = len(sub)
    low, high = proportion_interval(hits, base, confidence=confidence, method=method)
    est = 100.0 * hits / base if base else np.nan
    row = stat_row("top_box", est, 100.0 * float(low), 100.0 * float(high), base, method)
    row.insert(row.columns.get_loc("method"), "selected", hits)
    return row


def _numeric(data: pd.DataFrame, column: str, missing: MissingPolicy) -> np.ndarray:
    """Values of ``column`` as floats (ordered categoricals give their 1-based level number)."""
    sub = valid_rows(data, [column], missing)[column]
    return numeric_values(sub, column, "means and medians")


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
