"""Rank tests across groups (Kruskal-Wallis, Dunn) and multiplicity adjustment."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats as ss

from giftreview.analysis.common import MissingPolicy, adjust_p, category_codes, valid_rows
from giftreview.analysis.common import test_frame as _test_frame
from giftreview.analysis.stats.intervals import _numeric
from giftreview.errors import check_column

__all__ = ["kruskal_test", "dunn_test", "adjust_pvalues"]


# ---- rank tests ----------------------------------------------------------------------------
def _groups(data: pd.DataFrame, outcome: str, by: str, missing: MissingPolicy):
    sub = valid_rows(data, [outcome, by], missing)
    x = _numeric(sub, outcome, "exclude")
    gcodes, glabels = category_codes(sub[by])
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
    1991); the pairs are adjusted together by :func:`giftreview.analysis.common.adjust_p`.
    Computed here rather than by :func:`scikit_posthocs.posthoc_dunn` (the same p; the tests
    compare the two): it returns p only, so z and r had to be computed here anyway, and importing
    it imports matplotlib.pyplot (2 s of every report's test family, ``python -X importtime``). In R:
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
    ranks = ss.rankdata(x)
    n_all = len(x)
    _, ties = np.unique(x, return_counts=True)
    var0 = n_all * (n_all + 1) / 12 - (ties**3 - ties).sum() / (12 * (n_all - 1))
    size = np.bincount(g, minlength=len(labels))
    mean_rank = np.bincount(g, weights=ranks, minlength=len(labels)) / np.maximum(size, 1)
    a, b = (np.array(side) for side in zip(*itertools.combinations(present, 2), strict=True))
    z = (mean_rank[a] - mean_rank[b]) / np.sqrt(var0 * (1 / size[a] + 1 / size[b]))
    p = 2 * ss.norm.sf(np.abs(z))
    return pd.DataFrame(
        {
            "group_1": [labels[i] for i in a],
            "group_2": [labels[i] for i in b],
            "z": z,
            "p_value": p,
            "p_adjusted": adjust_p(p, p_adjust),
            "adjust_method": p_adjust,
            "effect_size": z / np.sqrt(size[a] + size[b]),
            "effect_measure": "r = z / sqrt(n1 + n2)",
        },
        columns=cols,
    )


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
        adjusted[ok] = adjust_p(p[ok], method)
    out["p_adjusted"] = adjusted
    out["adjust_method"] = method
    out["family_size"] = int(ok.sum())
    return out
