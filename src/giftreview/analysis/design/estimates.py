"""Design-based estimates: means, totals, shares, distributions and quantiles (R ``svymean``,
``svytotal``, ``svyciprop``, ``svyquantile``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as ss
from scipy.optimize import brentq
from scipy.special import expit, rel_entr

from giftreview.analysis.common import category_codes, check_level, numeric_values, valid_rows
from giftreview.analysis.design.core import Design, Linearised, _aligned
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "SHARE_METHODS",
    "svy_mean",
    "svy_total",
    "svy_share",
    "svy_distribution",
    "svy_quantile",
]

#: interval methods of :func:`svy_share` (R ``svyciprop(method = ...)``)
SHARE_METHODS: tuple[str, ...] = ("logit", "likelihood", "xlogit", "asin", "beta", "mean")


def _t(confidence: float, df: float) -> float:
    level = check_level(confidence)
    return (
        float(ss.t.ppf(0.5 + level / 2, df))
        if np.isfinite(df)
        else float(ss.norm.ppf(0.5 + level / 2))
    )


def _values(data: pd.DataFrame, column: str) -> np.ndarray:
    return numeric_values(data[column], column, "design means, totals and quantiles")


def _group_codes(data: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list]:
    """Group code per row (-1 = no group) and the labels of the groups present in ``data``."""
    if by is None:
        return np.zeros(len(data), dtype=np.int64), [None]
    check_column(data, by, "by")
    return category_codes(data[by], drop_unused=True)


def _degf_by(design: Design, groups: np.ndarray, size: int) -> np.ndarray:
    """:meth:`Design.degf` of each group's rows (R ``degf(subset(design, g == k))``)."""
    keep = (groups >= 0) & (design.weights > 0)
    g = groups[keep]
    n_psu = int(design.psu.max()) + 1
    n_str = int(design.strata.max()) + 1
    psus = np.bincount(g * n_psu + design.psu[keep], minlength=size * n_psu).reshape(size, -1)
    strata = np.bincount(g * n_str + design.strata[keep], minlength=size * n_str)
    return (psus > 0).sum(axis=1) - (strata.reshape(size, -1) > 0).sum(axis=1)


def _missing_rule(data: pd.DataFrame, columns: list[str], missing: str) -> np.ndarray:
    """Rows usable under the ``missing`` rule (see :func:`giftreview.analysis.stats.valid_rows`)."""
    for c in columns:
        check_column(data, c, "column")
    mask = ~data[columns].isna().any(axis=1).to_numpy()
    if missing != "exclude" or not mask.all():
        valid_rows(data.iloc[:0] if missing == "exclude" else data, columns, missing)  # checks
    return mask


def _frame(rows: list[dict], by: str | None) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    if by is None and "group" in out:
        out = out.drop(columns="group")
    return out


def _by_group(data, design, column, by, missing):
    """Shared set-up of the per-group estimators: values, domain, group codes and weights."""
    _aligned(design, data)
    ok = _missing_rule(data, [column], missing)
    y = np.nan_to_num(_values(data, column))
    g, labels = _group_codes(data, by)
    dom = ok & (g >= 0)
    gg = np.where(dom, g, 0)
    w = np.where(dom, design.weights, 0.0)
    return y, g, labels, dom, gg, w


def _summary_rows(statistic, labels, est, se, deff, nobs, df, confidence, method) -> list[dict]:
    rows = []
    for k, label in enumerate(labels):
        t = _t(confidence, df[k])
        rows.append(
            {
                "group": label, "statistic": statistic, "estimate": est[k], "se": se[k],
                "ci_low": est[k] - t * se[k], "ci_high": est[k] + t * se[k], "deff": deff[k],
                "n": int(nobs[k]), "df": int(df[k]), "method": method,
            }
        )  # fmt: skip
    return rows


def svy_mean(
    data: pd.DataFrame,
    design: Design,
    column: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    missing: str = "exclude",
) -> pd.DataFrame:
    """Design-based mean of ``column`` (overall or per group of ``by``) with SE and deff.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group`` (with ``by``), ``statistic="mean"``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high`` (t with the domain's design degrees of freedom), ``deff``,
        ``n`` (respondents in the base), ``df``, ``method``.

    Notes
    -----
    :math:`\\hat{\\bar y} = \\sum_D w_i y_i / \\sum_D w_i`, linearised values
    :math:`x_i = w_i (y_i - \\hat{\\bar y}) / \\sum_D w_i` in the domain *D*, 0 outside;
    deff :math:`= \\hat V / (s^2_w (\\hat N - n)/(\\hat N n))` with :math:`s^2_w` the
    weighted variance times :math:`n/(n-1)` (R ``deff = TRUE``, without replacement). In R:
    ``svymean(~y, design, na.rm = TRUE, deff = TRUE)``, or
    ``svyby(~y, ~by, design, svymean, na.rm = TRUE, deff = TRUE)``; the interval is
    ``confint(..., df = degf(design))``.
    """
    y, g, labels, dom, gg, w = _by_group(data, design, column, by, missing)
    size = len(labels)
    big_w = np.bincount(gg, weights=w, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.bincount(gg, weights=w * y, minlength=size) / big_w
        dev = np.where(dom, y - est[gg], 0.0)
        s = np.where(dom, w * dev / big_w[gg], 0.0)
        se = np.sqrt(np.diag(design.variance(Linearised.coded(s, gg, np.eye(size)))))
        nobs = np.bincount(gg, weights=dom, minlength=size)
        svar = np.bincount(gg, weights=w * dev**2, minlength=size) / big_w * nobs / (nobs - 1)
        vsrs = svar * (big_w - nobs) / (big_w * nobs)
        deff = np.where(vsrs > 0, se**2 / vsrs, np.nan)
    df = _degf_by(design, g, size)
    method = "design-based mean, Taylor linearisation"
    return _frame(_summary_rows("mean", labels, est, se, deff, nobs, df, confidence, method), by)


def svy_total(
    data: pd.DataFrame,
    design: Design,
    column: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    missing: str = "exclude",
) -> pd.DataFrame:
    """Design-based total of ``column`` with SE and deff (columns as :func:`svy_mean`).

    Notes
    -----
    :math:`\\hat Y = \\sum_D w_i y_i`; linearised values :math:`x_i = w_i y_i` in the domain;
    deff :math:`= \\hat V / (\\hat N^2 s^2_w (\\hat N - n)/(\\hat N n))`. In R:
    ``svytotal(~y, design, na.rm = TRUE, deff = TRUE)``.
    """
    y, g, labels, dom, gg, w = _by_group(data, design, column, by, missing)
    size = len(labels)
    big_n = np.bincount(gg, weights=w, minlength=size)
    est = np.bincount(gg, weights=w * y, minlength=size)
    se = np.sqrt(np.diag(design.variance(Linearised.coded(w * y, gg, np.eye(size)))))
    with np.errstate(invalid="ignore", divide="ignore"):
        nobs = np.bincount(gg, weights=dom, minlength=size)
        dev = np.where(dom, y - (est / big_n)[gg], 0.0)
        svar = np.bincount(gg, weights=w * dev**2, minlength=size) / big_n * nobs / (nobs - 1)
        vsrs = svar * big_n**2 * (big_n - nobs) / (big_n * nobs)
        deff = np.where(vsrs > 0, se**2 / vsrs, np.nan)
    df = _degf_by(design, g, size)
    method = "design-based total, Taylor linearisation"
    return _frame(_summary_rows("total", labels, est, se, deff, nobs, df, confidence, method), by)


def _share_interval(
    p: float, se: float, method: str, confidence: float, df: float, n_rows: int, n_obs: int
):
    """R ``svyciprop`` limits from the estimate, its SE and the degrees of freedom.

    ``n_rows``: rows of the (domain's) design (the beta interval's ``nrow(design)``);
    ``n_obs``: respondents in the estimate's base (the likelihood interval's dispersion).
    """
    if not (np.isfinite(p) and np.isfinite(se)) or df <= 0:
        return np.nan, np.nan
    if p in (0.0, 1.0) or se == 0:
        return p, p
    t = _t(confidence, df)
    if method == "mean":
        return p - t * se, p + t * se
    if method == "likelihood":
        return _likelihood_interval(p, se, t, n_obs)
    if method in ("logit", "xlogit"):
        logit, half = np.log(p / (1 - p)), t * se / (p * (1 - p))
        return tuple(float(1 / (1 + np.exp(-(logit + s * half)))) for s in (-1, 1))
    if method == "asin":
        centre, half = np.arcsin(np.sqrt(p)), t * se / (2 * np.sqrt(p * (1 - p)))
        return tuple(float(np.sin(centre + s * half) ** 2) for s in (-1, 1))
    # beta: Korn & Graubard (1998) effective sample size
    alpha = 1 - confidence
    n_eff = p * (1 - p) / se**2 * (ss.t.ppf(alpha / 2, n_rows - 1) / ss.t.ppf(alpha / 2, df)) ** 2
    return (
        float(ss.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)),
        float(ss.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))),
    )


def _likelihood_interval(p: float, se: float, t: float, n_obs: int) -> tuple[float, float]:
    """R ``svyciprop(method = "likelihood")``: the Rao-Scott-scaled binomial likelihood interval.

    R fits ``svyglm(y ~ 1, family = quasibinomial)`` and profiles its deviance: a limit is a
    :math:`\\mu` where :math:`(D(\\mu) - D(\\hat p)) / \\phi = t_{df}^2 \\lambda`, with
    :math:`\\lambda` the design variance of the logit over the model's (the design effect) and
    :math:`\\phi` the design-based variance of the Pearson residuals. For an intercept-only
    binomial model :math:`D(\\mu) - D(\\hat p) = 2 S\\, KL(\\hat p \\| \\mu)` (S the sum of the
    weights), :math:`\\lambda = S\\, V(\\hat p) / (\\hat p(1-\\hat p))` and
    :math:`\\phi = n / (n-1)` (the weighted variance of :math:`(y-\\hat p)/\\sqrt{\\hat p(1-\\hat p)}`
    is exactly 1), so S cancels and each limit solves

    .. math:: \\hat p \\log\\frac{\\hat p}{\\mu} + (1-\\hat p)\\log\\frac{1-\\hat p}{1-\\mu}
              = \\frac{t_{df}^2\\, V(\\hat p)}{2 \\hat p (1-\\hat p)} \\cdot \\frac{n}{n-1},

    the likelihood-ratio interval of a binomial share with the effective sample size
    :math:`n^* = \\hat p(1-\\hat p)(n-1) / (n V(\\hat p))`. Solved on the logit scale by
    :func:`scipy.optimize.brentq` to 1e-13. R interpolates a cubic spline through about ten
    profile points instead, so its printed limits differ from this exact root by up to ~1e-5.
    """
    if n_obs < 2:
        return np.nan, np.nan
    target = t**2 * se**2 * n_obs / (n_obs - 1) / (2 * p * (1 - p))
    centre = np.log(p / (1 - p))

    def gap(b: float) -> float:
        mu = float(expit(b))
        return float(rel_entr(p, mu) + rel_entr(1 - p, 1 - mu)) - target

    limits = []
    for sign in (-1.0, 1.0):
        step = 1.0
        while gap(centre + sign * step) < 0:  # KL grows without bound towards 0 and 1
            step *= 2
        lo, hi = sorted((centre, centre + sign * step))
        limits.append(float(expit(brentq(gap, lo, hi, xtol=1e-13, rtol=1e-15))))
    return limits[0], limits[1]


def _check_share_method(method: str) -> None:
    if method not in SHARE_METHODS:
        raise ArgumentError(
            f"`method` {method!r} is not a design-based interval; use one of "
            f"{', '.join(SHARE_METHODS)} (R svyciprop's methods)"
        )


def svy_share(
    data: pd.DataFrame,
    design: Design,
    column: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    method: str = "logit",
    missing: str = "exclude",
) -> pd.DataFrame:
    """Design-based share of a 0/1 (boolean) column with an R ``svyciprop`` interval.

    Parameters
    ----------
    method
        ``"logit"`` (default, R's), ``"likelihood"`` (Rao-Scott-scaled binomial likelihood,
        see below), ``"xlogit"``, ``"asin"``, ``"beta"`` (Korn-Graubard) or ``"mean"`` (Wald).

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`svy_mean` with ``statistic="share"`` (a share in [0, 1]).

    Notes
    -----
    Logit: :math:`\\mathrm{expit}(\\mathrm{logit}\\,\\hat p \\pm t_{df} SE/(\\hat p(1-\\hat p)))`;
    asin: :math:`\\sin^2(\\arcsin\\sqrt{\\hat p} \\pm t_{df} SE / (2\\sqrt{\\hat p(1-\\hat p)}))`;
    beta: Beta quantiles with the effective size
    :math:`n^* = \\hat p(1-\\hat p)/SE^2 \\cdot (t_{n-1}/t_{df})^2`; likelihood: the limits
    :math:`\\mu` where :math:`KL(\\hat p \\| \\mu) = t_{df}^2\\, SE^2\\, n / (2 \\hat p(1-\\hat p)(n-1))`
    (R's profile of the quasibinomial deviance scaled by the design effect, solved exactly; see
    ``_likelihood_interval``). ``df`` is the design
    degrees of freedom of the group (the whole design without ``by``). In R:
    ``svyciprop(~y, design, method = "logit", na.rm = TRUE)``.
    """
    _check_share_method(method)
    out = svy_mean(data, design, column, by=by, confidence=confidence, missing=missing)
    g, _ = _group_codes(data, by)
    rows_in = np.bincount(g[g >= 0], minlength=len(out))
    limits = [
        _share_interval(r.estimate, r.se, method, confidence, r.df, int(rows_in[i]), r.n)
        for i, r in enumerate(out.itertuples())
    ]
    out["statistic"] = "share"
    out["ci_low"] = [lo for lo, _ in limits]
    out["ci_high"] = [hi for _, hi in limits]
    out["method"] = f"design-based {method} interval"
    return out


def svy_distribution(
    data: pd.DataFrame,
    design: Design,
    column: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    method: str = "logit",
    missing: str = "exclude",
) -> pd.DataFrame:
    """Weighted distribution of a categorical column (per group of ``by``), in percent.

    Returns
    -------
    pandas.DataFrame
        One row per (group and) level: ``group`` (with ``by``), ``level``, ``n`` and ``base``
        (unweighted counts), ``pct``, ``se``, ``ci_low``, ``ci_high`` (percent), ``deff``,
        ``method`` -- the columns of :func:`giftreview.analysis.stats.share_table` plus ``se``
        and ``deff``.

    Notes
    -----
    Each level's share is a domain mean of its indicator (see :func:`svy_share`). In R:
    ``svymean(~factor(x), design, na.rm = TRUE)`` and ``svyciprop(~I(x == level), design)``,
    or ``svyby(~factor(x), ~by, design, svymean)``.
    """
    _check_share_method(method)
    _aligned(design, data)
    ok = _missing_rule(data, [column], missing)
    col = data[column]
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    codes, levels = cat.cat.codes.to_numpy().astype(np.int64), list(cat.cat.categories)
    g, labels = _group_codes(data, by)
    size, k = len(labels), len(levels)
    dom = ok & (g >= 0) & (codes >= 0)
    gg = np.where(dom, g, 0)
    cell = np.where(dom, gg * k + codes, 0)
    w = np.where(dom, design.weights, 0.0)
    counts = np.bincount(cell, weights=dom, minlength=size * k).reshape(size, k)
    wsum = np.bincount(cell, weights=w, minlength=size * k).reshape(size, k)
    big_w = wsum.sum(axis=1)
    nobs = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = wsum / big_w[:, None]
        # x_i = w_i (e_{y_i} - p_g) / W_g for respondent i of group g: one coded term whose
        # table is block-diagonal, one block per group
        table = np.zeros((size * k, size * k))
        for j in range(size):
            block = (np.eye(k) - est[j][None, :]) / big_w[j]
            table[j * k : (j + 1) * k, j * k : (j + 1) * k] = np.nan_to_num(block)
        se = np.sqrt(np.diag(design.variance(Linearised.coded(w, cell, table)))).reshape(size, k)
        # R deff: svyvar of a 0/1 indicator is p (1 - p) n / (n - 1)
        svar = est * (1 - est) * (nobs / (nobs - 1))[:, None]
        vsrs = svar * ((big_w - nobs) / (big_w * nobs))[:, None]
        deff = np.where(vsrs > 0, se**2 / vsrs, np.nan)
    df = _degf_by(design, g, size)
    rows_in = np.bincount(g[g >= 0], minlength=size)
    rows = []
    for j, label in enumerate(labels):
        for i, lev in enumerate(levels):
            lo, hi = _share_interval(
                est[j, i], se[j, i], method, confidence, df[j], int(rows_in[j]), int(nobs[j])
            )
            rows.append(
                {
                    "group": label, "level": lev, "n": int(counts[j, i]), "base": int(nobs[j]),
                    "pct": 100 * est[j, i], "se": 100 * se[j, i],
                    "ci_low": 100 * lo, "ci_high": 100 * hi, "deff": deff[j, i],
                    "method": f"design-based {method} interval",
                }
            )  # fmt: skip
    return _frame(rows, by)


def _qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R survey's ``qrule_math``: the smallest x whose weighted CDF reaches p (no interpolation)."""
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, cw = x[order], np.cumsum(w[order])
    total = w.sum()
    hits = np.flatnonzero(cw <= p * total)
    pos = hits[-1] if len(hits) else 0
    nxt = min(pos + 1, len(x) - 1)
    return float(x[pos] if p - cw[pos] / total == 0 else x[nxt])


def svy_quantile(
    data: pd.DataFrame,
    design: Design,
    column: str,
    quantiles: list[float] = (0.25, 0.5, 0.75),
    *,
    by: str | None = None,
    confidence: float = 0.95,
    interval: str = "mean",
    missing: str = "exclude",
) -> pd.DataFrame:
    """Design-based quantiles with Woodruff intervals (R survey 4.x ``svyquantile``).

    Parameters
    ----------
    quantiles
        Probabilities in (0, 1).
    interval
        How the interval of the share below the quantile is formed before it is mapped back
        through the weighted CDF: ``"mean"`` (R's default, Wald), ``"beta"``, ``"xlogit"``,
        ``"asin"``.

    Returns
    -------
    pandas.DataFrame
        One row per (group and) quantile: ``group``, ``statistic`` (``"q0.5"``...),
        ``quantile``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``df``, ``method``.

    Notes
    -----
    Estimate (``qrule = "math"``): the smallest :math:`y` with
    :math:`\\hat F(y) = \\sum_{y_i \\le y} w_i / \\sum w_i \\ge p`. Woodruff (1952) interval:
    the interval :math:`[p_L, p_U]` of :math:`\\hat F(\\hat q)` (a design-based share with
    ``df`` = the domain's degrees of freedom) mapped back, :math:`[\\hat F^{-1}(p_L),
    \\hat F^{-1}(p_U)]`; ``se`` = interval width / (2 t). In R:
    ``svyquantile(~y, design, quantiles, interval.type = "mean", na.rm = TRUE)``.
    """
    if interval not in ("mean", "beta", "xlogit", "asin"):
        raise ArgumentError(
            f"`interval` must be 'mean', 'beta', 'xlogit' or 'asin' (R interval.type); got {interval!r}"
        )
    qs = [float(q) for q in quantiles]
    if not all(0 < q < 1 for q in qs):
        raise ArgumentError(f"`quantiles` must lie strictly between 0 and 1; got {qs}")
    _aligned(design, data)
    ok = _missing_rule(data, [column], missing)
    y = np.nan_to_num(_values(data, column))
    g, labels = _group_codes(data, by)
    df_by = _degf_by(design, np.where(ok, g, -1), len(labels))
    zeros = np.zeros(design.n, dtype=np.int64)
    rows = []
    for j, label in enumerate(labels):
        dom = ok & (g == j)
        w = np.where(dom, design.weights, 0.0)
        total = w.sum()
        df = int(df_by[j])
        t = _t(confidence, df)
        for q in qs:
            est = _qrule_math(y, w, q) if dom.any() else np.nan
            below = (y <= est).astype(float)
            p = (w * below).sum() / total
            s = np.where(dom, w * (below - p) / total, 0.0)
            se_p = float(
                np.sqrt(design.variance(Linearised.coded(s, zeros, np.ones((1, 1))))[0, 0])
            )
            if interval == "mean":
                pl, pu = p - t * se_p, p + t * se_p
            else:
                n_dom = int(dom.sum())
                pl, pu = _share_interval(p, se_p, interval, confidence, df, n_dom, n_dom)
            lo = _qrule_math(y, w, pl) if 0 <= pl <= 1 else np.nan
            hi = _qrule_math(y, w, pu) if 0 <= pu <= 1 else np.nan
            rows.append(
                {
                    "group": label, "statistic": f"q{q:g}", "quantile": q, "estimate": est,
                    "se": (hi - lo) / (2 * t), "ci_low": lo, "ci_high": hi,
                    "n": int(dom.sum()), "df": df,
                    "method": f"design-based quantile, Woodruff {interval} interval",
                }
            )  # fmt: skip
    return _frame(rows, by)
