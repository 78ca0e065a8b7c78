"""Wave over wave: what changed between two waves of the same survey, and is it more than noise?

Two designs are reported side by side, never mixed:

* **independent waves** - every respondent of wave A against every respondent of wave B: the
  difference in shares with a Newcombe hybrid score interval, and a test of change (Pearson
  chi-square or an exact test for categories, Mann-Whitney for ratings and counts);
* **paired** - only the respondents who answered both waves, matched on the instrument's
  respondent id: McNemar for a yes/no answer, Stuart-Maxwell for categories, Wilcoxon signed-rank
  for ratings, each with its own number of pairs.

Instruments may differ between waves (a question added, an option renamed); :func:`comparable_questions`
says which questions can be compared and why, and :func:`compare_waves` compares only those while
listing the others with the reason.

All statistics functions take a *stacked* DataFrame (the two clean tables one under the other; the
clean tables carry a ``wave`` column) plus column names, return a tidy DataFrame and never modify
their input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.contingency_tables import SquareTable, mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep

from giftreview.analysis.stats import adjust_pvalues, table_test
from giftreview.data.instrument import (
    Instrument,
    Question,
    bin_column,
    option_column,
)
from giftreview.errors import ArgumentError, check_column
from giftreview.text.coding import code_question
from giftreview.text.lists import institution_mentions

__all__ = [
    "Missing",
    "Kind",
    "INTERVAL_METHOD",
    "INDEPENDENT",
    "PAIRED",
    "MCNEMAR_EXACT_BELOW",
    "EXACT_RULE",
    "r_exact_rule",
    "MISSING_LEVEL",
    "newcombe_difference",
    "share_change",
    "categorical_test",
    "independent_change_test",
    "matched_pairs",
    "paired_change_test",
    "paired_table_test",
    "comparable_questions",
    "theme_change",
    "institution_change",
    "WaveComparison",
    "open_question_changes",
    "list_question_changes",
    "compare_waves",
]

Missing = Literal["exclude", "as_level"]
Kind = Literal["categorical", "ordinal"]

#: how the interval for a difference in shares is computed (printed in the methods appendix)
INTERVAL_METHOD = "Newcombe hybrid score (Wilson) interval, method 10 of Newcombe (1998)"
#: the design column values
INDEPENDENT = "independent waves"
PAIRED = "paired (answered both waves)"
#: McNemar switches to the exact binomial test below this many discordant pairs
MCNEMAR_EXACT_BELOW = 25
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


# ---- paired -------------------------------------------------------------------------------------
def matched_pairs(
    data: pd.DataFrame,
    column: str,
    id_column: str = "respondent_id",
    wave_column: str = "wave",
    *,
    waves: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """The answers of respondents present in both waves: ``id, a, b`` (both answers non-missing).

    Raises :class:`ArgumentError` when an id occurs twice within a wave (pairs would be ambiguous).
    """
    check_column(data, column, "column")
    check_column(data, id_column, "id_column")
    wa, wb = _wave_labels(data, wave_column, waves)
    parts = []
    for w, name in ((wa, "a"), (wb, "b")):
        sub = data.loc[data[wave_column] == w, [id_column, column]]
        dup = sub[id_column][sub[id_column].duplicated()].unique()
        if len(dup):
            raise ArgumentError(
                f"`{id_column}` repeats within wave {w!r} ({', '.join(map(str, dup[:5]))}); "
                "paired tests need one row per respondent and wave - deduplicate first"
            )
        parts.append(sub.rename(columns={column: name}).set_index(id_column))
    pairs = parts[0].join(parts[1], how="inner").dropna()
    return pairs.reset_index().rename(columns={id_column: "id"})


def paired_change_test(
    data: pd.DataFrame,
    column: str,
    id_column: str = "respondent_id",
    wave_column: str = "wave",
    *,
    kind: Kind,
    waves: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Test of change among respondents who answered both waves.

    Parameters
    ----------
    data, column, wave_column, waves
        As in :func:`share_change`; rows missing in either wave are left out (complete pairs).
    id_column
        The respondent/organization id declared in the instrument (``raw.respondent_id``).
    kind
        ``"categorical"``: McNemar for two levels (exact binomial when fewer than
        ``MCNEMAR_EXACT_BELOW`` discordant pairs, else chi-square with continuity correction),
        Stuart-Maxwell for more; ``"ordinal"``: Wilcoxon signed-rank on the level order.

    Returns
    -------
    pandas.DataFrame
        One row as :func:`independent_change_test`, with ``n_pairs``.

    Notes
    -----
    McNemar: :math:`\\chi^2 = (|n_{12} - n_{21}| - 1)^2 / (n_{12} + n_{21})`, df 1
    (``statsmodels.stats.contingency_tables.mcnemar``; in R ``mcnemar.test(table)``).
    Stuart-Maxwell: :math:`\\chi^2 = d^T V^{-1} d` with :math:`d` the differences of the first
    k-1 row and column margins and :math:`V` their covariance, df k-1
    (``SquareTable.homogeneity(method="stuart_maxwell")``; in R
    ``DescTools::StuartMaxwellTest``). Levels with no off-diagonal count (nobody moved in or out)
    carry no information and are dropped, as DescTools does.
    Wilcoxon: :math:`V = \\sum_{d_i > 0} R_i`, the rank sum of positive differences (B - A),
    zero differences dropped; exact without ties and zeros, otherwise normal approximation with
    continuity correction (``scipy.stats.wilcoxon``; in R ``wilcox.test(b, a, paired = TRUE)``).
    """
    pairs = matched_pairs(data, column, id_column, wave_column, waves=waves)
    base = {"design": PAIRED, "n_pairs": len(pairs)}
    if len(pairs) == 0:
        return _test_row(**base, test="none", reason="no respondent answered both waves")
    if kind == "ordinal":
        return _test_row(**base, **_wilcoxon(pairs, data[column]))
    if kind != "categorical":
        raise ArgumentError(f"`kind` must be 'categorical' or 'ordinal', got {kind!r}")
    levels = [True, False] if pd.api.types.is_bool_dtype(data[column]) else _levels(data[column])
    table = np.array([[((pairs.a == r) & (pairs.b == c)).sum() for c in levels] for r in levels])
    return _test_row(**base, **paired_table_test(table))


def paired_table_test(table: np.ndarray) -> dict[str, object]:
    """McNemar (2x2) or Stuart-Maxwell (k x k) on a square table: rows wave A, columns wave B."""
    table = np.asarray(table, dtype=np.int64)
    off = table - np.diag(np.diag(table))
    keep = (off.sum(axis=0) + off.sum(axis=1)) > 0
    if keep.sum() < 2:
        return {"test": "none", "reason": "no pair changed its answer"}
    table = table[np.ix_(keep, keep)]
    if table.shape == (2, 2):
        discordant = int(table[0, 1] + table[1, 0])
        exact = discordant < MCNEMAR_EXACT_BELOW
        res = mcnemar(table, exact=exact, correction=True)
        # the tail from the survival function (chi2.sf), whatever statsmodels computes
        p = float(res.pvalue) if exact else float(sps.chi2.sf(res.statistic, 1))
        return {
            "test": "McNemar exact (binomial)" if exact else "McNemar chi-square (corrected)",
            "statistic": float(res.statistic),
            "df": np.nan if exact else 1.0,
            "p_value": p,
            "reason": f"two levels, {discordant} discordant pairs"
            + (f" (< {MCNEMAR_EXACT_BELOW}: exact)" if exact else ""),
        }
    res = SquareTable(table, shift_zeros=False).homogeneity(method="stuart_maxwell")
    # statsmodels takes 1 - chi2.cdf, which underflows to 0 beyond ~1e-16; the survival
    # function keeps the tail (83.70 on 4 df: 2.86e-17, as R's pchisq(lower.tail = FALSE))
    return {
        "test": "Stuart-Maxwell",
        "statistic": float(res.statistic),
        "df": float(res.df),
        "p_value": float(sps.chi2.sf(res.statistic, res.df)),
        "reason": f"{table.shape[0]} levels with movement between waves",
    }


def _wilcoxon(pairs: pd.DataFrame, template: pd.Series) -> dict[str, object]:
    if isinstance(template.dtype, pd.CategoricalDtype):
        cats = list(template.cat.categories)
        a = pairs.a.map(cats.index).to_numpy(dtype=float)
        b = pairs.b.map(cats.index).to_numpy(dtype=float)
    else:
        a, b = pairs.a.to_numpy(dtype=float), pairs.b.to_numpy(dtype=float)
    d = b - a
    if not np.any(d != 0):
        return {"test": "none", "reason": "no pair changed its answer"}
    # two-sided p from the two-sided call; V (R's statistic) from the one-sided call, which
    # scipy documents as the sum of the ranks of the positive differences.
    n_nonzero = int((d != 0).sum())
    nonzero = np.abs(d[d != 0])
    exact = r_exact_rule(nonzero, n_nonzero, zeros=bool((d == 0).any()))
    method = "exact" if exact else "asymptotic"
    two = sps.wilcoxon(d, zero_method="wilcox", correction=True, method=method)
    v = sps.wilcoxon(d, zero_method="wilcox", alternative="greater", method=method).statistic
    return {
        "test": "Wilcoxon signed-rank",
        "statistic": float(v),
        "p_value": float(two.pvalue),
        "effect_size": float(v) / (n_nonzero * (n_nonzero + 1) / 2),
        "effect_measure": "V / max V (share of rank sum moving up)",
        "reason": f"ordered answers, {n_nonzero} pairs changed; "
        + ("exact" if exact else "normal approximation with continuity correction")
        + " (R's rule: exact below 50 non-zero differences without ties or zeros)",
    }


# ---- comparability ------------------------------------------------------------------------------
def _counterpart(q: Question, inst_a: Instrument) -> Question | None:
    """The question of wave A that ``q`` (wave B) continues: ``comparable_with`` or the same id."""
    target = q.comparable_with or q.id
    return next((x for x in inst_a.questions if x.id == target), None)


def _level_codes(inst: Instrument, q: Question) -> dict[str, str]:
    return {str(o.code): o.label for o in inst.levels_of(q.id)} if q.type != "count" else {}


def _compare_pair(qa: Question, qb: Question, inst_a: Instrument, inst_b: Instrument):
    """(comparable, reason) for a question of wave B and its counterpart in wave A."""
    if qa.type != qb.type:
        return False, f"type changed from {qa.type} to {qb.type}"
    notes = []
    if qa.id != qb.id:
        notes.append(f"renamed from {qa.id} (comparable_with)")
    if " ".join(qa.text.split()) != " ".join(qb.text.split()):
        notes.append("wording changed; read the change with care")
    ca, cb = _level_codes(inst_a, qa), _level_codes(inst_b, qb)
    if ca.keys() != cb.keys():
        added = sorted(set(cb) - set(ca))
        removed = sorted(set(ca) - set(cb))
        what = "scale levels" if qa.type == "rating" else "options"
        return False, f"{what} differ: added {added or 'none'}, removed {removed or 'none'}"
    if qa.type == "rating" and list(ca) != list(cb):
        return False, "scale levels are in a different order"
    renamed = [f"{c}: {ca[c]!r} -> {cb[c]!r}" for c in ca if ca[c] != cb[c]]
    if renamed:
        notes.append("labels renamed (codes kept) " + "; ".join(renamed))
    if qa.type == "count" and [b.model_dump() for b in qa.bins] != [
        b.model_dump() for b in qb.bins
    ]:
        notes.append("reporting bins differ; bins compared as labelled, numbers as numbers")
    if qa.type in ("open",) and qa.codebook and qb.codebook:
        pa, pb = inst_a.codebook_path(qa.id), inst_b.codebook_path(qb.id)
        if pa != pb:
            notes.append("different codebook files; only themes with the same id are compared")
    return True, "; ".join(notes) or "same question, type and answer codes"


def comparable_questions(inst_a: Instrument, inst_b: Instrument) -> pd.DataFrame:
    """Which questions can be compared between the instruments of two waves, and why.

    Parameters
    ----------
    inst_a, inst_b
        The instruments of wave A (earlier) and wave B. A question of B continues a question of A
        when it has the same id or names it in ``comparable_with``.

    Returns
    -------
    pandas.DataFrame
        One row per question of either wave, never dropped: ``question`` (id in B, or in A when
        only A asked it), ``question_a``, ``question_b``, ``type``, ``comparable`` (bool) and
        ``reason``. A question is comparable when both waves asked it with the same type and the
        same answer codes (labels may be renamed; the reason says so).
    """
    rows, used = [], set()
    for qb in inst_b.questions:
        qa = _counterpart(qb, inst_a)
        if qa is None:
            target = qb.comparable_with or qb.id
            rows.append((qb.id, None, qb.id, qb.type, False, f"new in wave B ({target} not in A)"))
            continue
        used.add(qa.id)
        ok, reason = _compare_pair(qa, qb, inst_a, inst_b)
        rows.append((qb.id, qa.id, qb.id, qb.type, ok, reason))
    for qa in inst_a.questions:
        if qa.id not in used:
            rows.append((qa.id, qa.id, None, qa.type, False, "not asked in wave B"))
    out = pd.DataFrame(
        rows, columns=["question", "question_a", "question_b", "type", "comparable", "reason"]
    )
    return out.astype({"comparable": bool})


# ---- open answers and institution lists ---------------------------------------------------------
def theme_change(
    coded: pd.DataFrame,
    theme_columns: list[str],
    wave_column: str = "wave",
    *,
    waves: tuple[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Change in the share of respondents mentioning each theme of an open question.

    Parameters
    ----------
    coded
        One row per respondent who answered the open question, in both waves stacked, with a
        boolean column per theme (True = the answer mentions the theme).
    theme_columns
        The theme columns to compare.
    wave_column, waves, confidence
        As in :func:`share_change`.

    Returns
    -------
    pandas.DataFrame
        One row per theme: the :func:`share_change` columns (``level`` = theme) plus the
        independent-waves test columns (chi-square or Fisher exact on the 2x2 table).

    Notes
    -----
    Each theme is a yes/no answer, so this is :func:`share_change` and
    :func:`independent_change_test` per theme. In R: ``prop.test(c(x_b, x_a), c(n_b, n_a))``
    or ``fisher.test`` on the 2x2 table.
    """
    frames = []
    for col in theme_columns:
        check_column(coded, col, "theme_columns")
        flags = coded[[wave_column, col]].astype({col: "boolean"})
        ch = share_change(flags, col, wave_column, waves=waves, confidence=confidence)
        ch["level"] = col
        test = independent_change_test(flags, col, wave_column, kind="categorical", waves=waves)
        frames.append(pd.concat([ch, test.drop(columns=["n_a", "n_b"])], axis=1))
    if not frames:
        return pd.DataFrame(columns=_CHANGE_COLUMNS + _TEST_COLUMNS)
    return pd.concat(frames, ignore_index=True).rename(columns={"level": "theme"})


def institution_change(
    mentions: pd.DataFrame,
    institution_column: str = "institution",
    wave_column: str = "wave",
    id_column: str = "respondent_id",
    *,
    waves: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Institutions newly named, no longer named, or named in both waves.

    Parameters
    ----------
    mentions
        Long table of mentions (one row per respondent and institution named), both waves.
    institution_column, wave_column, id_column
        Columns of the normalised institution name, the wave and the respondent.

    Returns
    -------
    pandas.DataFrame
        One row per institution: ``institution, n_a, n_b`` (respondents naming it in each wave)
        and ``status`` (``newly named``, ``no longer named``, ``named in both``), sorted by status
        then by the number of respondents naming it.

    Notes
    -----
    A set comparison of the names (no test: "newly named" by one organization is a fact, not an
    estimate). In R: ``dplyr::full_join`` of the per-wave counts.
    """
    for col, arg in (
        (institution_column, "institution_column"),
        (id_column, "id_column"),
    ):
        check_column(mentions, col, arg)
    wa, wb = _wave_labels(mentions, wave_column, waves)
    named = mentions.dropna(subset=[institution_column]).drop_duplicates(
        [wave_column, id_column, institution_column]
    )
    counts = (
        named.groupby([institution_column, wave_column], observed=True)[id_column]
        .nunique()
        .unstack(wave_column)
        .reindex(columns=[wa, wb])
        .fillna(0)
        .astype(int)
    )
    out = pd.DataFrame(
        {
            "institution": counts.index.astype(str),
            "n_a": counts[wa].to_numpy(),
            "n_b": counts[wb].to_numpy(),
        }
    )
    out["status"] = np.select(
        [(out.n_a == 0) & (out.n_b > 0), (out.n_a > 0) & (out.n_b == 0)],
        ["newly named", "no longer named"],
        default="named in both",
    )
    order = {"newly named": 0, "no longer named": 1, "named in both": 2}
    out["_o"] = out.status.map(order)
    out["_n"] = out.n_a + out.n_b
    out = out.sort_values(["_o", "_n", "institution"], ascending=[True, False, True])
    return out.drop(columns=["_o", "_n"]).reset_index(drop=True)


# ---- whole comparison ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WaveComparison:
    """Everything :func:`compare_waves` found (tidy tables, ready for a notebook)."""

    waves: tuple[str, str]
    comparability: pd.DataFrame
    changes: pd.DataFrame
    tests: pd.DataFrame
    n_matched: int
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    institutions: pd.DataFrame = field(default_factory=pd.DataFrame)


def _stack_question(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    cols: tuple[str, str],
    waves: tuple[str, str],
    id_column: str,
    relabel: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One answer column of both waves, stacked as ``id_column, wave, answer``."""
    col_a, col_b = cols
    a = clean_a[[id_column, col_a]].rename(columns={col_a: "answer"})
    b = clean_b[[id_column, col_b]].rename(columns={col_b: "answer"})
    if isinstance(b["answer"].dtype, pd.CategoricalDtype):
        mapped = a["answer"].astype("object").map(lambda v: (relabel or {}).get(v, v))
        a = a.assign(answer=pd.Categorical(mapped, dtype=b["answer"].dtype))
    stacked = pd.concat([a.assign(wave=waves[0]), b.assign(wave=waves[1])], ignore_index=True)
    return stacked


def _question_columns(q: Question, inst: Instrument) -> list[tuple[str, str, Kind]]:
    """(clean column, level label or '', kind) to compare for one closed question."""
    if q.type == "single":
        return [(q.id, "", "categorical")]
    if q.type == "rating":
        return [(q.id, "", "ordinal")]
    if q.type == "count":
        return [(q.id, "", "ordinal")]
    return [(option_column(q.id, o.code), o.label, "categorical") for o in q.options]


def _relabel(qa: Question, qb: Question, inst_a: Instrument, inst_b: Instrument) -> dict:
    la = {str(o.code): o.label for o in inst_a.levels_of(qa.id)} if qa.type != "count" else {}
    lb = {str(o.code): o.label for o in inst_b.levels_of(qb.id)} if qb.type != "count" else {}
    return {la[c]: lb[c] for c in la if c in lb and la[c] != lb[c]}


def _compare_question(qa, qb, clean_a, clean_b, inst_a, inst_b, waves, id_column, confidence):
    changes, tests = [], []
    relabel = _relabel(qa, qb, inst_a, inst_b)
    cols_b = _question_columns(qb, inst_b)
    cols_a = _question_columns(qa, inst_a)
    for (col_a, _, _), (col_b, level, kind) in zip(cols_a, cols_b, strict=True):
        data = _stack_question(clean_a, clean_b, (col_a, col_b), waves, id_column, relabel)
        if qb.type == "multi" and not pd.api.types.is_bool_dtype(data["answer"]):
            # a hand-made or older clean table may hold text in an option column: say so, keep it
            why = f"{col_b} holds text, not a chosen/not chosen flag: not compared"
            row = _test_row(design="not compared", test="none", reason=why)
            tests.append(row.assign(question=qb.id, level=level))
            continue
        if qb.type == "count":
            bins = _stack_question(
                clean_a, clean_b, (bin_column(qa.id), bin_column(qb.id)), waves, id_column
            )
            ch = share_change(bins, "answer", confidence=confidence, waves=waves)
        else:
            ch = share_change(data, "answer", confidence=confidence, waves=waves)
        if qb.type == "multi":
            ch["level"] = level
        changes.append(ch.assign(question=qb.id))
        ind = independent_change_test(data, "answer", kind=kind, waves=waves)
        par = paired_change_test(data, "answer", id_column, kind=kind, waves=waves)
        for t in (ind, par):
            tests.append(t.assign(question=qb.id, level=level or None))
    return changes, tests


def _coded_flags(clean: pd.DataFrame, inst: Instrument, qid: str, wave: str) -> pd.DataFrame:
    """One row per respondent who answered open question ``qid``: a boolean column per theme."""
    coded = code_question(clean, inst, qid)
    themes = [t.label for t in coded.codebook.themes]
    label = {t.id: t.label for t in coded.codebook.themes}
    flags = pd.DataFrame(False, index=coded.answered["respondent_id"], columns=themes)
    for rid, theme in coded.codes[["respondent_id", "theme"]].itertuples(index=False):
        if rid in flags.index and theme in label:
            flags.loc[rid, label[theme]] = True
    return flags.reset_index().assign(wave=wave)


def _changes_by_pair(
    sides: tuple[tuple[pd.DataFrame, Instrument], tuple[pd.DataFrame, Instrument]],
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
    one_wave: Callable[[pd.DataFrame, Instrument, str, str], pd.DataFrame],
    change: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """For each (question in A, question in B): ``one_wave(clean, inst, qid, wave)`` on each
    side, ``change(a, b)`` on the two, rows labelled ``question`` = B's id; all pairs stacked
    (an empty frame when there are no pairs)."""
    frames = []
    for qa, qb in pairs:
        a = one_wave(*sides[0], qa, waves[0])
        b = one_wave(*sides[1], qb, waves[1])
        frames.append(change(a, b).assign(question=qb))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def open_question_changes(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument,
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`theme_change` for each (question in A, question in B) open question, coded with
    :func:`giftreview.text.coding.code_question`; only themes present in both codebooks (by label)."""

    def change(fa: pd.DataFrame, fb: pd.DataFrame) -> pd.DataFrame:
        common = [c for c in fa.columns if c in fb.columns and c not in ("respondent_id", "wave")]
        stacked = pd.concat([fa, fb], ignore_index=True)
        return theme_change(stacked, common, waves=waves, confidence=confidence)

    sides = ((clean_a, inst_a), (clean_b, inst_b))
    return _changes_by_pair(sides, pairs, waves, _coded_flags, change)


def list_question_changes(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument,
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
) -> pd.DataFrame:
    """:func:`institution_change` for each list question, names normalised by
    :func:`giftreview.text.lists.institution_mentions` (alias table, then fuzzy matching)."""

    def mentions(clean: pd.DataFrame, inst: Instrument, qid: str, wave: str) -> pd.DataFrame:
        return institution_mentions(clean, inst, qid).assign(wave=wave)

    def change(ma: pd.DataFrame, mb: pd.DataFrame) -> pd.DataFrame:
        return institution_change(pd.concat([ma, mb], ignore_index=True), "name", waves=waves)

    sides = ((clean_a, inst_a), (clean_b, inst_b))
    return _changes_by_pair(sides, pairs, waves, mentions, change)


def compare_waves(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument | None = None,
    *,
    waves: tuple[str, str] | None = None,
    confidence: float = 0.95,
) -> WaveComparison:
    """Compare every comparable closed question of two cleaned waves.

    Parameters
    ----------
    clean_a, clean_b
        The clean tables of wave A (earlier) and wave B (``giftreview.data.io.load_clean``).
    inst_a, inst_b
        Their instruments (``inst_b`` defaults to ``inst_a``). Pairs are matched on the
        respondent id column of the clean tables (``raw.respondent_id`` of the instrument).
    waves
        Labels of the two waves; default the ``wave`` column of each table.
    confidence
        Two-sided level of the intervals.

    Returns
    -------
    WaveComparison
        ``comparability`` (:func:`comparable_questions`), ``changes`` (one row per question and
        level: shares and difference with interval), ``tests`` (one row per question, level and
        design, with ``p_adjusted``: Benjamini-Hochberg over the whole family) and ``n_matched``
        (respondents in both waves).
    """
    _check_conf(confidence)
    inst_b = inst_b or inst_a
    if waves is None:
        waves = (_wave_of(clean_a, "clean_a"), _wave_of(clean_b, "clean_b"))
        if waves[0] == waves[1]:
            waves = (f"{waves[0]} (A)", f"{waves[1]} (B)")
    comp = comparable_questions(inst_a, inst_b)
    changes, tests = [], []
    for row in comp.itertuples():
        if not row.comparable or row.type not in ("single", "rating", "count", "multi"):
            continue
        qa, qb = inst_a.question(row.question_a), inst_b.question(row.question_b)
        ch, te = _compare_question(
            qa, qb, clean_a, clean_b, inst_a, inst_b, waves, "respondent_id", confidence
        )
        changes += ch
        tests += te
    tests_df = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=_TEST_COLUMNS)
    tests_df = adjust_pvalues(tests_df, "fdr_bh")
    lead = ["question", "level"]
    changes_df = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    if len(changes_df):
        changes_df = changes_df[["question", *_CHANGE_COLUMNS]]
    tests_df = tests_df[lead + [c for c in tests_df.columns if c not in lead]]
    ids_a = set(clean_a["respondent_id"].dropna())
    n_matched = len(ids_a & set(clean_b["respondent_id"].dropna()))
    ok = comp[comp["comparable"]]
    opens = [(r.question_a, r.question_b) for r in ok.itertuples() if r.type == "open"]
    lists = [(r.question_a, r.question_b) for r in ok.itertuples() if r.type == "list"]
    themes = open_question_changes(clean_a, clean_b, inst_a, inst_b, opens, waves, confidence)
    institutions = list_question_changes(clean_a, clean_b, inst_a, inst_b, lists, waves)
    return WaveComparison(waves, comp, changes_df, tests_df, n_matched, themes, institutions)


def _wave_of(clean: pd.DataFrame, name: str) -> str:
    check_column(clean, "wave", name)
    labels = pd.unique(clean["wave"].dropna())
    if len(labels) != 1:
        raise ArgumentError(f"`{name}` must hold one wave; its `wave` column has {list(labels)}")
    return str(labels[0])
