"""Post-stratification weights and weighted shares with Taylor-linearised standard errors.

When the number of organizations contacted per sector is known (the instrument's
``contacted``), respondents are weighted so each sector counts as it does among those contacted:
:math:`w_i = N_h / n_h` for respondent *i* in post-stratum *h*. Weighted shares then come with
design-based (Taylor-linearised) standard errors that account for the post-stratification,
following the R survey package: ``svydesign(ids = ~1, weights = ~1)`` then ``postStratify`` then
``svymean`` / ``svyciprop(method = "logit")``.

Why hand-written: statsmodels has no design-based estimator with post-stratification, and
samplics' Taylor estimator treats calibrated weights as fixed (it does not remove post-stratum
means from the linearised values, so its standard errors differ from R's ``postStratify``). The
computations are :mod:`giftreview.analysis.design`'s (R ``svyrecvar``; see
``docs/statistics.md``); the tests check a hand calculation and R survey 4.1-1 output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from giftreview.analysis.design import Design, svy_share, svydesign
from giftreview.analysis.design import poststratify as _poststratify_design
from giftreview.analysis.stats import MissingPolicy, valid_rows
from giftreview.data.instrument import Instrument
from giftreview.errors import ArgumentError, DataValidationError, check_column

__all__ = ["poststratify", "population_from_instrument", "linearised_variance", "weighted_share"]


def poststratify(data: pd.DataFrame, strata: str, population_totals: dict) -> pd.Series:
    """Post-stratification weights :math:`w_i = N_h / n_h`.

    Parameters
    ----------
    data
        The respondents (not modified).
    strata
        Column giving each respondent's post-stratum (e.g. the sector ``A1``).
    population_totals
        ``{stratum label: N_h}``, the population size of each post-stratum (e.g. organizations
        contacted). Every stratum present in the data needs a total, and every stratum with a
        total needs at least one respondent.

    Returns
    -------
    pandas.Series
        Weights aligned with ``data.index``, named ``"weight"``; they sum to :math:`\\sum_h N_h`.

    Notes
    -----
    In R: ``d0 <- svydesign(ids = ~1, weights = ~1, data = data)``;
    ``d <- postStratify(d0, ~stratum, data.frame(stratum = names(N), Freq = N))``;
    ``weights(d)``.
    """
    check_column(data, strata, "strata")
    labels = data[strata]
    if labels.isna().any():
        rows = list(data.index[labels.isna()][:5])
        raise DataValidationError(
            f"column {strata!r} is missing for {int(labels.isna().sum())} respondents "
            f"(rows {rows}...); every respondent needs a post-stratum to be weighted"
        )
    totals = {str(k): float(v) for k, v in population_totals.items()}
    counts = labels.astype(str).value_counts()
    unknown = sorted(set(counts.index) - set(totals))
    if unknown:
        raise ArgumentError(
            f"`population_totals` has no total for strata {unknown} found in column "
            f"{strata!r}; known: {sorted(totals)}"
        )
    empty = sorted(k for k in totals if k not in counts.index)
    if empty:
        raise DataValidationError(
            f"post-strata {empty} have no respondents in column {strata!r}; a post-stratum "
            "needs at least one respondent (merge it with a neighbouring stratum)"
        )
    bad = sorted(k for k, v in totals.items() if not v > 0)
    if bad:
        raise ArgumentError(f"`population_totals` must be positive; got {bad}")
    w = labels.astype(str).map(lambda h: totals[h] / counts[h]).astype(float)
    return w.rename("weight")


def population_from_instrument(instrument: Instrument) -> dict[str, float]:
    """The instrument's ``contacted`` totals keyed by option *label* of ``group_by``."""
    if instrument.contacted is None or instrument.group_by is None:
        raise ArgumentError(
            "the instrument has no 'contacted' totals; add contacted: {code: N, ...} or pass "
            "population_totals yourself"
        )
    q = instrument.question(instrument.group_by)
    labels = {str(o.code): o.label for o in q.options}
    return {labels[str(k)]: float(v) for k, v in instrument.contacted.items()}


def linearised_variance(
    x: np.ndarray, weights: np.ndarray, strata: np.ndarray | None = None
) -> float:
    """Variance of a total of linearised values under ``ids = ~1`` with post-stratification.

    Notes
    -----
    With post-strata, each value is replaced by its residual from the post-stratum mean of
    :math:`x_i / w_i`: :math:`e_i = x_i - w_i \\bar m_h`, :math:`\\bar m_h = n_h^{-1}
    \\sum_{i \\in h} x_i / w_i`; then (with-replacement, one stage)
    :math:`\\hat V = \\frac{n}{n-1} \\sum_i (e_i - \\bar e)^2`. This is R survey's
    ``svyrecvar`` for an ``ids = ~1`` design post-stratified from equal base weights, computed
    by :meth:`giftreview.analysis.design.Design.variance`.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return float("nan")
    design = _design(pd.DataFrame({"w": np.asarray(weights, dtype=float)}), "w", strata)
    return float(design.variance(x)[0, 0])


def _design(frame: pd.DataFrame, weight_column: str, strata) -> Design:
    """``svydesign(ids = ~1, weights = ~w)``, or with ``strata`` the post-stratified design
    with equal base weights whose weights are ``w`` (post-stratum totals = sums of ``w``)."""
    if strata is None:
        return svydesign(frame, weights=weight_column)
    cells = pd.DataFrame(
        {"cell": pd.Series(np.asarray(strata)).astype(str).to_numpy()}, index=frame.index
    )
    totals = frame[weight_column].groupby(cells["cell"]).sum().to_dict()
    return _poststratify_design(svydesign(cells), cells, "cell", totals)


def weighted_share(
    data: pd.DataFrame,
    column: str,
    weights: pd.Series,
    *,
    strata: str | None = None,
    confidence: float = 0.95,
    missing: MissingPolicy = "exclude",
) -> pd.DataFrame:
    """Weighted share of a 0/1 (boolean) column with its Taylor-linearised SE and logit interval.

    Parameters
    ----------
    data, column
        Respondents and a boolean/0-1 column; NA rows are outside the base (a domain: they keep
        their place in the design, as R does for a post-stratified design with ``na.rm=TRUE``).
    weights
        Weights aligned with ``data`` (e.g. :func:`poststratify`).
    strata
        The post-stratification column, so the variance accounts for it (``weights`` must then
        be post-stratified from equal base weights, as :func:`poststratify` gives); None =
        weights are treated as fixed sampling weights (``svydesign(ids = ~1, weights = ~w)``).
    confidence
        Confidence level of the interval.
    missing
        ``"exclude"`` (NA outside the base, as above) or ``"raise"``.

    Returns
    -------
    pandas.DataFrame
        One row: ``share, se, ci_low, ci_high, n, df, method`` (shares in [0, 1]; ``n`` counts
        the respondents in the base, ``df`` is the design's degrees of freedom ``n - 1``).

    Notes
    -----
    :math:`\\hat p = \\sum_D w_i y_i / \\sum_D w_i`; linearised values
    :math:`x_i = w_i (y_i - \\hat p) / \\sum_D w_i` in the base *D*, 0 elsewhere; interval on
    the logit scale with :math:`t_{n - 1}`. Computed by
    :func:`giftreview.analysis.design.svy_share` on the design above. In R:
    ``svymean(~y, d, na.rm = TRUE)`` and ``svyciprop(~y, d, method = "logit")``.
    """
    check_column(data, column, "column")
    valid_rows(data, [column], missing)
    w_all = _aligned(weights, data)
    frame = pd.DataFrame({"w": w_all, "y": data[column]}, index=data.index)
    if strata is not None:
        check_column(data, strata, "strata")
    design = _design(frame, "w", data[strata].to_numpy() if strata else None)
    if not data[column].notna().any():
        return _share_row(np.nan, np.nan, np.nan, np.nan, 0, np.nan)
    r = svy_share(frame, design, "y", confidence=confidence, missing="exclude").iloc[0]
    return _share_row(r.estimate, r.se, r.ci_low, r.ci_high, int(r.n), int(r.df))


def _aligned(weights: pd.Series, data: pd.DataFrame) -> np.ndarray:
    if not isinstance(weights, pd.Series) or not weights.index.equals(data.index):
        raise ArgumentError(
            "`weights` must be a pandas Series with the same index as `data` (as returned by "
            "giftreview.analysis.weights.poststratify(data, ...))"
        )
    w = weights.to_numpy(dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        raise ArgumentError("`weights` has missing or negative values; recompute them")
    return w


def _share_row(p, se, low, high, n, df) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "share": [p],
            "se": [se],
            "ci_low": [low],
            "ci_high": [high],
            "n": [n],
            "df": [df],
            "method": ["Taylor linearisation, logit interval"],
        }
    )
