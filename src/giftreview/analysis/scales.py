"""Multi-item scales: scale scores, Cronbach's alpha, item-total correlations, omega.

A multi-item scale (``multi_item_scales`` in the instrument, see
:class:`giftreview.data.spec.MultiItemScale`) scores several rating items together, some of
them reverse-keyed. This module computes what R's ``psych::alpha`` reports for it:

* :func:`scale_scores`: each respondent's score (mean or sum of the keyed items, with a minimum
  number of valid items);
* :func:`cronbach_alpha`: raw and standardised alpha, the average inter-item correlation, the
  asymptotic standard error and Feldt's interval;
* :func:`item_statistics`: per item the item-total correlations (raw, standardised, and r.drop
  against the other items) and alpha if the item is dropped;
* :func:`omega_total`: McDonald's omega total from a one-factor model;
* :func:`scale_reliability`: all of that for one scale of an instrument, for the report.

Written with numpy/scipy rather than pingouin: pingouin's ``cronbach_alpha`` gives the raw alpha
and a Feldt-type interval only (no standardised alpha, r.drop or alpha if dropped), is not a
dependency, and would be one more package for a few lines of matrix algebra. Every figure is
checked against ``psych::alpha`` / ``psych::omega`` on the bfi data in ``tests/test_scales.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from giftreview.analysis import stats
from giftreview.data.instrument import Instrument
from giftreview.data.spec import MultiItemScale
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "ItemMissing",
    "item_values",
    "reverse_key",
    "scale_scores",
    "cronbach_alpha",
    "item_statistics",
    "omega_total",
    "ScaleReliability",
    "scale_reliability",
    "score_by_group",
]

#: how items with missing answers enter the covariance matrix: ``pairwise`` uses every pair of
#: items a respondent answered (R's ``cov(use = "pairwise")``, psych's default), ``listwise`` only
#: respondents who answered every item, ``raise`` refuses data with gaps
ItemMissing = Literal["pairwise", "listwise", "raise"]


def item_values(data: pd.DataFrame, instrument: Instrument, items: Sequence[str]) -> pd.DataFrame:
    """The numeric level codes of rating items in the clean table (NaN when not answered).

    The clean table holds each rating as its level label (an ordered categorical); this maps each
    label to the code of that level in the item's scale (``1 .. 6`` for a six-point scale).
    ``data`` is not modified.
    """
    out = {}
    for qid in items:
        check_column(data, qid, "items")
        codes = {lv.label: float(lv.code) for lv in instrument.scale_of(qid).levels}
        out[qid] = data[qid].astype("object").map(codes).astype(float)
    return pd.DataFrame(out, index=data.index)


def reverse_key(values: pd.DataFrame, reverse: Sequence[str], low: float, high: float):
    """Reverse-keyed copy: each column in ``reverse`` becomes ``low + high - value``.

    In R: ``psych::reverse.code(keys, items, mini = low, maxi = high)``.
    """
    out = values.copy()
    for col in reverse:
        out[col] = low + high - out[col]
    return out


def _bounds(instrument: Instrument, items: Sequence[str]) -> tuple[float, float]:
    codes = [float(lv.code) for lv in instrument.scale_of(items[0]).levels]
    return min(codes), max(codes)


def scale_scores(data: pd.DataFrame, instrument: Instrument, scale_id: str) -> pd.Series:
    """Each respondent's score on multi-item scale ``scale_id`` of the instrument.

    Parameters
    ----------
    data
        The clean table; not modified.
    instrument
        Declares the scale (``multi_item_scales``): items, reverse-keyed items, ``min_valid`` and
        ``score`` (``mean`` or ``sum``).
    scale_id
        Id of the scale.

    Returns
    -------
    pandas.Series
        Float scores named ``scale_id``, NaN for respondents with fewer than ``min_valid`` valid
        items.

    Notes
    -----
    Reverse-keyed items are first recoded ``lowest + highest - value`` (lowest and highest level
    codes of the items' scale). ``mean`` is the mean of the valid items; ``sum`` is that mean
    times the number of items (a prorated sum, so a skipped item does not lower the score).
    In R: ``psych::scoreItems(keys, items, totals = FALSE, impute = "none", min = low,
    max = high)$scores`` for ``mean`` (then masking respondents below ``min_valid``).
    """
    scale = instrument.multi_item_scale(scale_id)
    keyed = _keyed(data, instrument, scale)
    valid = keyed.notna().sum(axis=1)
    score = keyed.mean(axis=1, skipna=True)
    if scale.score == "sum":
        score = score * len(scale.items)
    return score.where(valid >= scale.needed).rename(scale_id)


def _keyed(data: pd.DataFrame, instrument: Instrument, scale: MultiItemScale) -> pd.DataFrame:
    values = item_values(data, instrument, scale.items)
    return reverse_key(values, scale.reverse, *_bounds(instrument, scale.items))


def _numeric(data: pd.DataFrame, items: Sequence[str], missing: ItemMissing) -> pd.DataFrame:
    if missing not in ("pairwise", "listwise", "raise"):
        raise ArgumentError(f"`missing` must be 'pairwise', 'listwise' or 'raise', got {missing!r}")
    if len(items) < 2:
        raise ArgumentError(f"`items` needs at least two item columns, got {list(items)}")
    for c in items:
        check_column(data, c, "items")
    x = data[list(items)].apply(pd.to_numeric, errors="coerce").astype(float)
    gaps = x.isna().any(axis=1)
    if gaps.any() and missing == "raise":
        raise ArgumentError(
            f"{int(gaps.sum())} row(s) lack some item (rows {list(x.index[gaps][:5])}); pass "
            "missing='pairwise' (psych's default) or 'listwise'"
        )
    if missing == "listwise":
        x = x[~gaps]
    return x[x.notna().any(axis=1)]


def _keys(items: Sequence[str], reverse: Sequence[str]) -> np.ndarray:
    stray = [r for r in reverse if r not in items]
    if stray:
        raise ArgumentError(f"`reverse` names {stray}, which are not in `items` {list(items)}")
    return np.array([-1.0 if i in reverse else 1.0 for i in items])


def _alpha_parts(cov: np.ndarray) -> dict[str, float]:
    """Raw and standardised alpha and the average inter-item correlation of a covariance."""
    k = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    total, total_r = cov.sum(), corr.sum()
    return {
        "raw_alpha": (1 - np.trace(cov) / total) * k / (k - 1),
        "std_alpha": (1 - k / total_r) * k / (k - 1),
        "average_r": (total_r - k) / (k * (k - 1)),
    }


def _feldt(alpha: float, n: int, k: int, confidence: float) -> tuple[float, float]:
    """Feldt's interval: ``1 - (1 - alpha) F`` with F quantiles on (n - 1, (n - 1)(k - 1)) df."""
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (
        1 - (1 - alpha) * sps.f.isf(tail, df1, df2),
        1 - (1 - alpha) * sps.f.ppf(tail, df1, df2),
    )


def cronbach_alpha(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    reverse: Sequence[str] = (),
    missing: ItemMissing = "pairwise",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Cronbach's alpha of ``items`` (raw and standardised) with Feldt's interval.

    Parameters
    ----------
    data
        One row per respondent; ``items`` are numeric columns (level codes). Not modified.
    items
        The item columns (at least two).
    reverse
        Items that are reverse-keyed: their covariances with the others change sign, which is
        what recoding them ``low + high - value`` does.
    missing
        ``pairwise`` (default, as psych): covariances from every pair of items answered;
        ``listwise``: only rows answering every item; ``raise``: refuse gaps.
    confidence
        Level of Feldt's two-sided interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``raw_alpha, std_alpha, average_r, ase, ci_low, ci_high, confidence, n,
        n_items, method``. ``n`` counts rows with at least one item answered.

    Notes
    -----
    With C the covariance matrix of the keyed items, R its correlation matrix and k items:
    raw alpha = k/(k-1) (1 - tr(C)/sum(C)); standardised alpha = k/(k-1) (1 - k/sum(R));
    average r = (sum(R) - k)/(k(k-1)); Feldt (1965): the interval is
    1 - (1 - alpha) F_{1-q} .. 1 - (1 - alpha) F_q, F on n-1 and (n-1)(k-1) degrees of freedom,
    q = (1 - confidence)/2; ase = sqrt(Q/n) with Duhachek and Iacobucci's (2004) Q, as psych.

    In R: ``psych::alpha(items, keys = c(-1, 1, ...))`` (``$total``, ``$feldt``). One
    difference: psych takes n (for Feldt's interval and ase) as every row of the data, also rows
    with no item answered; here those rows are left out, so the figures agree whenever every row
    answered at least one item (as in the bfi tests).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 4, 4, 4]})
    >>> round(float(cronbach_alpha(df, ["a", "b", "c"])["raw_alpha"].iloc[0]), 4)
    0.9364
    """
    if not 0 < confidence < 1:
        raise ArgumentError(f"`confidence` must lie between 0 and 1, got {confidence!r}")
    x = _numeric(data, items, missing)
    keys = _keys(items, reverse)
    cov = x.cov().to_numpy() * np.outer(keys, keys)
    k, n = len(items), len(x)
    parts = _alpha_parts(cov)
    s, cc = cov.sum(), cov @ cov
    q = (2 * k**2 / ((k - 1) ** 2 * s**3)) * (
        s * (np.trace(cc) + np.trace(cov) ** 2) - 2 * np.trace(cov) * cc.sum()
    )
    low, high = _feldt(parts["raw_alpha"], n, k, confidence)
    row = {**parts, "ase": float(np.sqrt(q / n)), "ci_low": low, "ci_high": high}
    row |= {"confidence": confidence, "n": n, "n_items": k, "method": f"Feldt; {missing}"}
    return pd.DataFrame([row])


def item_statistics(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    reverse: Sequence[str] = (),
    bounds: tuple[float, float] | None = None,
    missing: ItemMissing = "pairwise",
) -> pd.DataFrame:
    """Per item: item-total correlations and alpha if the item is dropped.

    Parameters
    ----------
    data, items, reverse, missing
        As :func:`cronbach_alpha`.
    bounds
        Lowest and highest possible value, for recoding reverse-keyed items
        (``low + high - value``) before ``raw_r``, ``mean`` and ``sd``; default the smallest and
        largest value in the items (as psych).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item, reversed, n, mean, sd, raw_r, std_r, r_drop,
        alpha_if_dropped, std_alpha_if_dropped``.

    Notes
    -----
    ``raw_r`` correlates the item with the mean of the keyed items (pairwise); ``std_r`` is
    colSums(R)/sqrt(sum(R)); ``r_drop`` correlates the item with the sum of the other items,
    from the covariance matrix: (sum_j C_ij - C_ii) / sqrt(C_ii sum(C without i)). Alpha if
    dropped is alpha of the other items.

    In R: ``psych::alpha(items, keys)$item.stats`` and ``$alpha.drop``.
    """
    x = _numeric(data, items, missing)
    keys = _keys(items, reverse)
    if bounds is None:
        bounds = (float(np.nanmin(x.to_numpy())), float(np.nanmax(x.to_numpy())))
    keyed = reverse_key(x, list(reverse), *bounds)
    cov = x.cov().to_numpy() * np.outer(keys, keys)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    total = keyed.mean(axis=1)
    rows = []
    for i, item in enumerate(items):
        rest = np.delete(np.delete(cov, i, 0), i, 1)
        dropped = (
            _alpha_parts(rest) if len(items) > 2 else {"raw_alpha": np.nan, "std_alpha": np.nan}
        )
        rows.append(
            {
                "item": item,
                "reversed": item in reverse,
                "n": int(keyed[item].notna().sum()),
                "mean": float(keyed[item].mean()),
                "sd": float(keyed[item].std()),
                "raw_r": float(keyed[item].corr(total)),
                "std_r": float(corr[:, i].sum() / np.sqrt(corr.sum())),
                "r_drop": float((cov[:, i].sum() - cov[i, i]) / np.sqrt(cov[i, i] * rest.sum())),
                "alpha_if_dropped": float(dropped["raw_alpha"]),
                "std_alpha_if_dropped": float(dropped["std_alpha"]),
            }
        )
    return pd.DataFrame(rows)


def omega_total(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    missing: ItemMissing = "pairwise",
) -> float:
    """McDonald's omega total of ``items`` from a one-factor model (minres loadings).

    Notes
    -----
    With loadings l and uniquenesses u = 1 - l^2 of a one-factor minimum-residual (unweighted
    least squares) fit to the pairwise correlation matrix R: omega = (V - sum(u)) / V with
    V = sum(R), R taken with the items keyed by the sign of their loadings (as psych's
    ``omegah``). The loadings minimise the squared
    off-diagonal residuals; they are found by iterated principal axes started from squared
    multiple correlations and run to convergence (the least-squares fixed point psych's
    ``fa(fm = "minres")`` reaches by optimisation).

    In R: ``psych::omega(items, nfactors = 1)$omega.tot``.
    """
    x = _numeric(data, items, missing)
    corr = x.corr().to_numpy()
    h2 = 1 - 1 / np.diag(np.linalg.inv(corr))
    for _ in range(10_000):
        reduced = corr.copy()
        np.fill_diagonal(reduced, h2)
        vals, vecs = np.linalg.eigh(reduced)
        load = vecs[:, -1] * np.sqrt(vals[-1])
        new = load**2
        if np.max(np.abs(new - h2)) < 1e-12:
            break
        h2 = new
    signs = np.sign(load)
    total = (corr * np.outer(signs, signs)).sum()
    return float((total - (1 - load**2).sum()) / total)


@dataclass(frozen=True)
class ScaleReliability:
    """One multi-item scale, scored and checked.

    ``scores``: each respondent's score; ``alpha``: one row of :func:`cronbach_alpha` plus
    ``omega_total``; ``items``: :func:`item_statistics` with each item's wording.
    """

    scale: MultiItemScale
    scores: pd.Series
    alpha: pd.DataFrame
    items: pd.DataFrame


def scale_reliability(
    data: pd.DataFrame,
    instrument: Instrument,
    scale_id: str,
    *,
    missing: ItemMissing = "pairwise",
    confidence: float = 0.95,
) -> ScaleReliability:
    """Scores, alpha (with omega total) and item statistics of one scale of the instrument.

    In R: ``psych::alpha(items, keys)`` and ``psych::omega(items, nfactors = 1)``.
    """
    scale = instrument.multi_item_scale(scale_id)
    values = item_values(data, instrument, scale.items)
    alpha = cronbach_alpha(
        values, scale.items, reverse=scale.reverse, missing=missing, confidence=confidence
    )
    alpha["omega_total"] = omega_total(values, scale.items, missing=missing)
    items = item_statistics(
        values,
        scale.items,
        reverse=scale.reverse,
        bounds=_bounds(instrument, scale.items),
        missing=missing,
    )
    items.insert(1, "text", [instrument.question(i).text for i in scale.items])
    return ScaleReliability(scale, scale_scores(data, instrument, scale_id), alpha, items)


def score_by_group(
    scores: pd.Series,
    groups: pd.Series | None = None,
    *,
    confidence: float = 0.95,
    k: int = 0,
    overall: str = "All respondents",
) -> pd.DataFrame:
    """Summary of a scale score overall and per group: the score distribution "like any rating".

    Parameters
    ----------
    scores
        One score per respondent (NaN: no score), as :func:`scale_scores` returns.
    groups
        The grouping of the same respondents (same index), or None for the overall row only.
    confidence
        Level of the mean's t interval and the median's order-statistic interval.
    k
        Groups with fewer than ``k`` scores get no statistics (``suppressed`` is True).
    overall
        Label of the overall row.

    Returns
    -------
    pandas.DataFrame
        ``group, n, mean, ci_low, ci_high, median, median_low, median_high, sd, suppressed``.

    Notes
    -----
    Intervals from :func:`giftreview.analysis.stats.mean_interval` and
    :func:`~giftreview.analysis.stats.median_interval`. In R:
    ``aggregate(score ~ group, FUN = function(x) c(mean(x), median(x), sd(x)))``.
    """
    frame = pd.DataFrame({"score": scores.astype(float)})
    parts = [(overall, frame)]
    if groups is not None:
        frame["group"] = groups
        for g, sub in frame.groupby("group", observed=True, sort=True):
            parts.append((str(g), sub))
    rows = []
    for label, sub in parts:
        valid = sub.dropna(subset=["score"])
        n = len(valid)
        row = {"group": label, "n": n, "suppressed": bool(k and 0 < n < k)}
        if n and not row["suppressed"]:
            mean = stats.mean_interval(valid, "score", confidence=confidence).iloc[0]
            med = stats.median_interval(valid, "score", confidence=confidence).iloc[0]
            row |= {
                "mean": mean["estimate"], "ci_low": mean["ci_low"], "ci_high": mean["ci_high"],
                "median": med["estimate"], "median_low": med["ci_low"],
                "median_high": med["ci_high"], "sd": float(valid["score"].std()),
            }  # fmt: skip
        rows.append(row)
    cols = ["group", "n", "mean", "ci_low", "ci_high", "median", "median_low", "median_high",
            "sd", "suppressed"]  # fmt: skip
    return pd.DataFrame(rows).reindex(columns=cols)
