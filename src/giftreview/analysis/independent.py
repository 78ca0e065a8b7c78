"""Change between two independent waves: every respondent of wave A against every one of wave B.

The difference in shares of each answer with a Newcombe hybrid score interval
(:func:`share_change`), and a test of change (:func:`independent_change_test`: Pearson chi-square
or an exact test for categories, Mann-Whitney for ratings and counts, with R's rule for exact rank
tests). The paired tests are in :mod:`giftreview.analysis.paired`; the comparison of whole waves,
question by question, in :mod:`giftreview.analysis.compare`.

All functions take a *stacked* DataFrame (the two clean tables one under the other; the clean
tables carry a ``wave`` column) plus column names, return a tidy DataFrame and never modify their
input. The private helpers here (wave labels, answers, the test row) are shared with the paired
tests and the comparison builder.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep

from giftreview.analysis.design import svy_change_test
from giftreview.analysis.stats import table_test
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "Missing",
    "Kind",
    "INTERVAL_METHOD",
    "INDEPENDENT",
    "MISSING_LEVEL",
    "EXACT_RULE",
    "newcombe_difference",
    "share_change",
    "categorical_test",
    "independent_change_test",
    "r_exact_rule",
    "PAIRED_UNWEIGHTED",
    "design_change_test",
]

Missing = Literal["exclude", "as_level"]
Kind = Literal["categorical", "ordinal"]

#: how the interval for a difference in shares is computed (printed in the methods appendix)
INTERVAL_METHOD = "Newcombe hybrid score (Wilson) interval, method 10 of Newcombe (1998)"
#: the design column value of an independent-waves test
INDEPENDENT = "independent waves"
MISSING_LEVEL = "(missing)"

_CHANGE_COLUMNS = [
    "level",
    "n_a",
    "base_a",
    "share_a",
    "n_b",
    "base_b",
    "share_b",
    "difference",
    "ci_low",
    "ci_high",
    "interval_method",
]
_TEST_COLUMNS = [
    "design",
    "test",
    "statistic",
    "df",
    "p_value",
    "n_a",
    "n_b",
    "n_pairs",
    "effect_size",
    "effect_measure",
    "reason",
]


# ---- helpers ------------------------------------------------------------------------------------
def _wave_labels(data: pd.DataFrame, wave_column: str, waves: tuple[str, str] | None) -> tuple:
    check_column(data, wave_column, "wave_column")
    present = sorted(pd.unique(data[wave_column].dropna()), key=str)
    if waves is None:
        if len(present) != 2:
            raise ArgumentError(
                f"`{wave_column}` holds {len(present)} waves ({', '.join(map(str, present))}); "
                "pass waves=(A, B) to say which two to compare"
            )
        return present[0], present[1]
    if len(waves) != 2 or waves[0] == waves[1]:
        raise ArgumentError(f"`waves` must name two different waves, got {waves!r}")
    for w in waves:
        if w not in present:
            raise ArgumentError(
                f"Could not interpret value `{w}` for `waves`: not a value of `{wave_column}`; "
                f"waves present: {', '.join(map(str, present))}"
            )
    return waves[0], waves[1]


def _check_conf(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ArgumentError(f"`confidence` must lie between 0 and 1 (e.g. 0.95), got {confidence}")


def _answers(series: pd.Series, missing: Missing) -> pd.Series:
    """The answers of one column, with NA dropped or kept as its own level."""
    if missing == "exclude":
        return series.dropna()
    if missing == "as_level":
        s = series.astype("object")
        return s.where(s.notna(), MISSING_LEVEL)
    raise ArgumentError(f"`missing` must be 'exclude' or 'as_level', got {missing!r}")


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(pd.unique(series.dropna()), key=str)


def newcombe_difference(
    x_a: int, n_a: int, x_b: int, n_b: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference ``x_b/n_b - x_a/n_a`` with its Newcombe hybrid score interval.

    Parameters
    ----------
    x_a, n_a, x_b, n_b
        Counts and bases of the two independent samples (wave A and wave B).
    confidence
        Two-sided level of the interval.

    Returns
    -------
    tuple
        ``(difference, ci_low, ci_high)``; NaN when a base is zero.

    Notes
    -----
    With Wilson limits :math:`(l_A, u_A)` and :math:`(l_B, u_B)` of each share, and
    :math:`d = p_B - p_A`,

    .. math:: L = d - \\sqrt{(p_B - l_B)^2 + (u_A - p_A)^2},\\quad
              U = d + \\sqrt{(u_B - p_B)^2 + (p_A - l_A)^2}

    (Newcombe 1998, method 10), computed by
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``.
    In R: ``DescTools::BinomDiffCI(x_b, n_b, x_a, n_a, method = "score")``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890.
    """
    if n_a == 0 or n_b == 0:
        return (np.nan, np.nan, np.nan)
    low, high = confint_proportions_2indep(
        x_b, n_b, x_a, n_a, method="newcomb", compare="diff", alpha=1 - confidence
    )
    return (x_b / n_b - x_a / n_a, float(low), float(high))


# ---- independent waves --------------------------------------------------------------------------
def share_change(
    data: pd.DataFrame,
    column: str,
    wave_column: str = "wave",
    *,
    waves: tuple[str, str] | None = None,
    confidence: float = 0.95,
    missing: Missing = "exclude",
) -> pd.DataFrame:
    """Share of each answer in wave A and wave B and the difference, with an interval.

    Parameters
    ----------
    data
        The stacked clean tables of both waves.
    column
        The answer column (categorical, or boolean for a multiple-choice option / a theme).
    wave_column
        Column holding the wave label.
    waves
        ``(A, B)``: the two waves, A first; default the two waves present, sorted by label
        (``ungift_2010`` before ``ungift_2012``), so the result does not depend on row order.
    confidence
        Two-sided level of the intervals.
    missing
        ``"exclude"`` (missing answers are not in the base, as in the reports) or ``"as_level"``
        (counted as a level ``"(missing)"``).

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level, n_a, base_a, share_a, n_b, base_b, share_b, difference
        (share_b - share_a), ci_low, ci_high, interval_method``. Shares are fractions (0-1).

    Notes
    -----
    Each difference has its own interval (:func:`newcombe_difference`); the intervals are not
    simultaneous. In R: ``prop.test(c(x_b, x_a), c(n_b, n_a))`` gives a Wald-type interval instead;
    ``DescTools::BinomDiffCI(..., method = "score")`` gives this one.
    """
    _check_conf(confidence)
    check_column(data, column, "column")
    wa, wb = _wave_labels(data, wave_column, waves)
    a = _answers(data.loc[data[wave_column] == wa, column], missing)
    b = _answers(data.loc[data[wave_column] == wb, column], missing)
    levels = _levels(data[column])
    if pd.api.types.is_bool_dtype(data[column]):
        levels = [True]
    elif missing == "as_level" and (len(a) + len(b)) and MISSING_LEVEL not in levels:
        levels = [*levels, MISSING_LEVEL]
    rows = []
    for lv in levels:
        x_a, x_b = int((a == lv).sum()), int((b == lv).sum())
        diff, low, high = newcombe_difference(x_a, len(a), x_b, len(b), confidence)
        rows.append(
            (lv, x_a, len(a), x_a / len(a) if len(a) else np.nan, x_b, len(b))
            + (x_b / len(b) if len(b) else np.nan, diff, low, high, INTERVAL_METHOD)
        )
    return pd.DataFrame(rows, columns=_CHANGE_COLUMNS)


def _test_row(**values) -> pd.DataFrame:
    row = {c: values.get(c, np.nan) for c in _TEST_COLUMNS}
    return pd.DataFrame([row], columns=_TEST_COLUMNS)


def categorical_test(table: np.ndarray) -> dict[str, object]:
    """Test of change for a levels x waves table, chosen by :func:`giftreview.analysis.stats.table_test`.

    Pearson chi-square (Yates for 2x2, as R's ``chisq.test``) when Cochran's rule holds,
    otherwise Fisher's exact test (2x2) or the seeded Monte-Carlo Fisher-Freeman-Halton test;
    bias-corrected Cramer's V as the effect size.
    """
    res = table_test(table)
    keys = ("test", "statistic", "df", "p_value", "effect_size", "effect_measure", "reason")
    return {k: res[k] for k in keys if k in res}


def independent_change_test(
    data: pd.DataFrame,
    column: str,
    wave_column: str = "wave",
    *,
    kind: Kind,
    waves: tuple[str, str] | None = None,
    missing: Missing = "exclude",
) -> pd.DataFrame:
    """Test whether the answers to ``column`` changed between two independent waves.

    Parameters
    ----------
    data, column, wave_column, waves, missing
        As in :func:`share_change`.
    kind
        ``"categorical"`` (no order: chi-square or exact, see :func:`categorical_test`) or
        ``"ordinal"`` (ratings, counts: two-sided Mann-Whitney U test on the level order or the
        number).

    Returns
    -------
    pandas.DataFrame
        One row: ``design, test, statistic, df, p_value, n_a, n_b, n_pairs, effect_size,
        effect_measure, reason``.

    Notes
    -----
    Mann-Whitney: :math:`U_B = R_B - n_B(n_B+1)/2` with :math:`R_B` the rank sum of wave B;
    normal approximation with tie and continuity correction when there are ties
    (``scipy.stats.mannwhitneyu``), and the exact distribution when both samples have fewer than
    50 values and there are no ties, as R's ``wilcox.test`` (:func:`r_exact_rule`; scipy's own
    ``method="auto"`` is exact only up to 8 values). The effect size is :math:`U_B / (n_A n_B)`, the probability
    that a wave-B answer is higher than a wave-A answer plus half the probability of a tie.
    In R: ``wilcox.test(b, a)`` (its ``W`` is :math:`U_B`); ``chisq.test``/``fisher.test``.

    Respondents who answered both waves appear in both samples, so the samples are not fully
    independent. With a positive correlation between a respondent's two answers this makes
    the independent test conservative; the paired tests (:func:`paired_change_test`) use the
    overlap directly.
    """
    check_column(data, column, "column")
    wa, wb = _wave_labels(data, wave_column, waves)
    a = _answers(data.loc[data[wave_column] == wa, column], missing)
    b = _answers(data.loc[data[wave_column] == wb, column], missing)
    base = {"design": INDEPENDENT, "n_a": len(a), "n_b": len(b)}
    if kind == "categorical":
        levels = [True, False] if pd.api.types.is_bool_dtype(data[column]) else None
        levels = levels or list(pd.unique(pd.concat([a, b]).astype("object")))
        table = np.array([[(a == lv).sum(), (b == lv).sum()] for lv in levels])
        return _test_row(**base, **categorical_test(table))
    if kind != "ordinal":
        raise ArgumentError(f"`kind` must be 'categorical' or 'ordinal', got {kind!r}")
    if missing != "exclude":
        raise ArgumentError(
            "an ordinal test needs missing='exclude' (a missing answer has no rank)"
        )
    xa, xb = _ranks(a), _ranks(b)
    if len(xa) == 0 or len(xb) == 0:
        return _test_row(**base, test="none", reason="a wave has no answers")
    exact = r_exact_rule(np.concatenate([xa, xb]), max(len(xa), len(xb)))
    res = sps.mannwhitneyu(
        xb, xa, alternative="two-sided", use_continuity=True,
        method="exact" if exact else "asymptotic",
    )  # fmt: skip
    how = "exact" if exact else "normal approximation with continuity correction"
    return _test_row(
        **base,
        test="Mann-Whitney U",
        statistic=float(res.statistic),
        p_value=float(res.pvalue),
        effect_size=float(res.statistic) / (len(xa) * len(xb)),
        effect_measure="P(B > A) + P(B = A)/2",
        reason=f"ordered answers in two independent samples; {how} ({EXACT_RULE})",
    )


#: R's rule for exact rank tests, as documented in the reports
EXACT_RULE = "R's rule: exact when each sample has fewer than 50 values and there are no ties"


def r_exact_rule(values: np.ndarray, largest_sample: int, *, zeros: bool = False) -> bool:
    """R's default choice of an exact rank test (``wilcox.test(exact = NULL)``).

    Exact when the largest sample (Mann-Whitney) or the number of non-zero differences
    (Wilcoxon signed-rank) is below 50 and there are no ties (and, signed-rank, no zero
    differences); otherwise the normal approximation with continuity correction. scipy's
    ``method="auto"`` differs (exact up to 8 values), hence the explicit choice.
    """
    values = np.asarray(values, dtype=float)
    return bool(largest_sample < 50 and len(np.unique(values)) == len(values) and not zeros)


def _ranks(series: pd.Series) -> np.ndarray:
    """Numbers to rank: category positions for (ordered) categoricals, else the values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(dtype=float)
    return pd.to_numeric(series, errors="raise").to_numpy(dtype=float)


# ---- design-based (both waves declare a survey design) ------------------------------------------
#: what the paired rows of a design-based comparison say about weights
PAIRED_UNWEIGHTED = (
    "unweighted: a design-based paired test needs longitudinal (panel) weights, which the "
    "waves' cross-sectional designs do not give"
)


def design_change_test(
    data: pd.DataFrame,
    design,
    column: str,
    wave_column: str = "wave",
    *,
    kind: Kind,
    waves: tuple[str, str],
) -> pd.DataFrame:
    """:func:`independent_change_test` with the waves' survey designs (a stacked design).

    ``design`` is :func:`giftreview.analysis.design.stack_designs` of the two waves' designs,
    aligned with the stacked ``data``. Categorical: the Rao-Scott F test of waves x answers;
    ordinal: the design-based Wilcoxon rank test, effect size P(B > A) + P(B = A)/2 weighted
    (:func:`giftreview.analysis.design.svy_change_test`). In R: ``svychisq(~answer + wave,
    dboth)`` or ``svyranktest(answer ~ wave, dboth)`` on the ``rbind``-ed design.
    """
    check_column(data, column, "column")
    answered = data[column].notna()
    n_a = int((answered & (data[wave_column] == waves[0])).sum())
    n_b = int((answered & (data[wave_column] == waves[1])).sum())
    base = {"design": INDEPENDENT, "n_a": n_a, "n_b": n_b}
    res = svy_change_test(data, design, column, wave_column, waves, kind=kind).iloc[0]
    if res.test == "none":
        return _test_row(**base, test="none", reason=str(res.reason))
    reason = "survey designs of both waves, strata kept apart (stacked design)"
    if kind == "categorical":
        reason += f"; Rao-Scott F on {res.df:.4g} and {res.df_denominator:.4g} df"
    else:
        reason += f"; t on {res.df:.0f} df (design degrees of freedom - 1)"
    return _test_row(
        **base, test=res.test, statistic=float(res.statistic), df=float(res.df),
        p_value=float(res.p_value), effect_size=float(res.effect_size),
        effect_measure=res.effect_measure, reason=reason,
    )  # fmt: skip
