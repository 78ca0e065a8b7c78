"""Change among the respondents who answered both waves, matched on the instrument's respondent id.

McNemar for a yes/no answer (exact binomial below ``MCNEMAR_EXACT_BELOW`` discordant pairs),
Stuart-Maxwell for categories, Wilcoxon signed-rank for ratings, each with its own number of pairs
(:func:`paired_change_test`). Independent-wave tests are in
:mod:`giftreview.analysis.independent`; both are reported side by side by
:func:`giftreview.analysis.compare.compare_waves`, never mixed.

The functions take the *stacked* clean tables of both waves plus column names, return a tidy
DataFrame and never modify their input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.contingency_tables import SquareTable, mcnemar

from giftreview.analysis.independent import (
    Kind,
    _levels,
    _test_row,
    _wave_labels,
    r_exact_rule,
)
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "PAIRED",
    "MCNEMAR_EXACT_BELOW",
    "matched_pairs",
    "paired_change_test",
    "paired_table_test",
]

#: the design column value of a paired test
PAIRED = "paired (answered both waves)"
#: McNemar switches to the exact binomial test below this many discordant pairs
MCNEMAR_EXACT_BELOW = 25


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
