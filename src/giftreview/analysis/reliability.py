"""Agreement between coders: percent agreement, Cohen's kappa, Krippendorff's alpha.

Reliability data are laid out *wide*: one row per unit (an answer), one column per coder, values
are the codes (for a theme: 1 present, 0 absent; NA when that coder did not code the unit).
:func:`wide_codes` builds that layout from the long table of :class:`giftreview.text.coding.HumanCodes`;
:func:`reliability` reports every statistic per theme and overall with seeded bootstrap intervals.

Libraries: Krippendorff's alpha comes from the ``krippendorff`` package (Castro's fast
implementation of Krippendorff 2011); Cohen's kappa from
:func:`statsmodels.stats.inter_rater.cohens_kappa` (scikit-learn, whose ``cohen_kappa_score`` is
the usual choice, is not a dependency of giftreview). Percent agreement is a one-line formula.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from giftreview.analysis.stats import MissingPolicy
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
    "coder_decisions",
    "wide_codes",
    "reliability",
]


def _matrix(data: pd.DataFrame, coders: Sequence[str], missing: MissingPolicy) -> np.ndarray:
    """Units x coders array of codes as floats (NA -> nan), rows with a gap dropped if exclude."""
    if missing not in ("exclude", "raise"):
        raise ArgumentError(f"`missing` must be 'exclude' or 'raise', got {missing!r}")
    if len(coders) < 2:
        raise ArgumentError(f"`coders` needs at least two coder columns, got {list(coders)}")
    for c in coders:
        check_column(data, c, "coders")
    m = data[list(coders)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    gaps = np.isnan(m).any(axis=1)
    if gaps.any() and missing == "raise":
        rows = list(data.index[gaps][:5])
        raise ArgumentError(
            f"{int(gaps.sum())} unit(s) lack a code from some coder (rows {rows}); pass "
            "missing='exclude' to leave them out, or use krippendorff_alpha, which allows gaps"
        )
    return m


def percent_agreement(
    data: pd.DataFrame, coders: Sequence[str], *, missing: MissingPolicy = "exclude"
) -> float:
    """Share of agreeing coder pairs, over units coded by every coder.

    Parameters
    ----------
    data
        One row per unit, one column per coder.
    coders
        The coder columns (two or more).
    missing
        ``"exclude"`` drops units some coder left blank; ``"raise"`` raises instead.

    Returns
    -------
    float
        ``sum over units of agreeing pairs / sum of pairs`` (for two coders: the share of units
        coded alike); NaN when no unit is left.

    Notes
    -----
    Percent agreement ignores chance agreement: report it beside kappa or alpha, never alone.
    In R: ``irr::agree(ratings)`` (which prints a percentage).
    """
    m = _matrix(data, coders, missing)
    m = m[~np.isnan(m).any(axis=1)]
    if len(m) == 0:
        return float("nan")
    pairs = list(combinations(range(m.shape[1]), 2))
    agree = sum((m[:, i] == m[:, j]).sum() for i, j in pairs)
    return float(agree / (len(pairs) * len(m)))


def cohen_kappa(
    data: pd.DataFrame, coder_a: str, coder_b: str, *, missing: MissingPolicy = "exclude"
) -> float:
    """Cohen's (unweighted) kappa between two coders.

    Parameters
    ----------
    data
        One row per unit, one column per coder.
    coder_a, coder_b
        The two coder columns.
    missing
        ``"exclude"`` drops units either coder left blank; ``"raise"`` raises instead.

    Returns
    -------
    float
        ``kappa = (p_o - p_e) / (1 - p_e)`` with ``p_o`` the observed share of agreement and
        ``p_e = sum_k p_ak p_bk`` the agreement expected from the coders' marginal shares. NaN
        when undefined (``p_e = 1``: both coders used one and the same code throughout).

    Notes
    -----
    Computed by :func:`statsmodels.stats.inter_rater.cohens_kappa` on the coders' contingency
    table. In R: ``irr::kappa2(ratings)``; in SPSS: CROSSTABS /STATISTICS=KAPPA.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement 20(1), 37-46.
    """
    from statsmodels.stats.inter_rater import cohens_kappa

    m = _matrix(data, [coder_a, coder_b], missing)
    m = m[~np.isnan(m).any(axis=1)]
    if len(m) == 0:
        return float("nan")
    cats, idx = np.unique(m, return_inverse=True)
    idx = idx.reshape(m.shape)
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, (idx[:, 0], idx[:, 1]), 1)
    p = table / table.sum()
    if np.isclose((p.sum(axis=1) * p.sum(axis=0)).sum(), 1.0):
        return float("nan")
    return float(cohens_kappa(table, return_results=False))


def krippendorff_alpha(
    data: pd.DataFrame,
    coders: Sequence[str],
    *,
    level_of_measurement: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
) -> float:
    """Krippendorff's alpha for any number of coders; missing codes allowed.

    Parameters
    ----------
    data
        One row per unit, one column per coder; NA where a coder did not code a unit.
    coders
        The coder columns (two or more).
    level_of_measurement
        ``"nominal"`` for theme codes.

    Returns
    -------
    float
        ``alpha = 1 - D_o / D_e`` (observed over expected disagreement, from the coincidence
        matrix of pairable values); NaN when undefined (fewer than two distinct values, so no
        disagreement can be expected). Units coded by fewer than two coders do not count.

    Notes
    -----
    Computed by ``krippendorff.alpha``. In R: ``irr::kripp.alpha(t(ratings), "nominal")``.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
    Communication, University of Pennsylvania (https://repository.upenn.edu/asc_papers/43).
    """
    for c in coders:
        check_column(data, c, "coders")
    if len(coders) < 2:
        raise ArgumentError(f"`coders` needs at least two coder columns, got {list(coders)}")
    m = data[list(coders)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return _alpha_arr(m, level_of_measurement)


def coder_decisions(
    pairs: pd.DataFrame, coder: str, ids: Sequence[object], themes: Sequence[str]
) -> pd.DataFrame:
    """One coder's decisions as a long table ``respondent_id, coder, theme, value``.

    ``pairs`` holds the (``respondent_id``, ``theme``) pairs the coder applied (e.g.
    ``CodedAnswers.codes``); every answer in ``ids`` gets a 0/1 ``value`` for every theme in
    ``themes`` (1 when the pair is present), the input of :func:`reliability`.
    """
    for c in ("respondent_id", "theme"):
        check_column(pairs, c, "pairs")
    have = set(zip(pairs["respondent_id"], pairs["theme"], strict=True))
    return pd.DataFrame(
        [(r, coder, t, int((r, t) in have)) for r in ids for t in themes],
        columns=["respondent_id", "coder", "theme", "value"],
    )


def wide_codes(
    codes: pd.DataFrame,
    theme: str | None = None,
    *,
    unit: str = "respondent_id",
    coder: str = "coder",
    value: str = "value",
) -> pd.DataFrame:
    """Long codes (``unit, coder, theme, value``) to one row per unit and one column per coder.

    With ``theme=None`` every (unit, theme) pair is a row: the pooled layout behind the overall
    agreement figures.
    """
    for c in (unit, coder, value):
        check_column(codes, c, "codes")
    sub = codes if theme is None else codes[codes["theme"] == theme]
    keys = [unit] if theme is not None else [unit, "theme"]
    return sub.pivot_table(index=keys, columns=coder, values=value, aggfunc="first", sort=False)


def _kappa_arr(m: np.ndarray) -> float:
    """Cohen's kappa of a complete units x 2 array by formula (used inside the bootstrap loop).

    Hand-written because calling statsmodels once per replicate (it also computes asymptotic
    variances) made a 1000-resample interval ~20x slower; the test suite checks that both agree.
    """
    cats, idx = np.unique(m, return_inverse=True)
    idx = idx.reshape(m.shape)
    n = len(m)
    p_o = float((idx[:, 0] == idx[:, 1]).mean())
    pa = np.bincount(idx[:, 0], minlength=len(cats)) / n
    pb = np.bincount(idx[:, 1], minlength=len(cats)) / n
    p_e = float((pa * pb).sum())
    return float("nan") if np.isclose(p_e, 1.0) else (p_o - p_e) / (1 - p_e)


def _alpha_arr(m: np.ndarray, level_of_measurement: str = "nominal") -> float:
    """Alpha of a units x coders array (NaN = missing); NaN when fewer than two values occur."""
    import krippendorff

    pairable = (~np.isnan(m)).sum(axis=1) >= 2
    vals = m[pairable]
    if len(np.unique(vals[~np.isnan(vals)])) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(krippendorff.alpha(m.T, level_of_measurement=level_of_measurement))


def _stats_arr(m: np.ndarray) -> tuple[float, float, float]:
    full = m[~np.isnan(m).any(axis=1)]
    if len(full):
        pairs = list(combinations(range(m.shape[1]), 2))
        agree = sum((full[:, i] == full[:, j]).sum() for i, j in pairs) / (len(pairs) * len(full))
    else:
        agree = float("nan")
    kappa = _kappa_arr(full) if m.shape[1] == 2 and len(full) else float("nan")
    return float(agree), kappa, _alpha_arr(m)


def _stats(wide: pd.DataFrame) -> tuple[float, float, float]:
    coders = list(wide.columns)
    agree = percent_agreement(wide, coders)
    kappa = cohen_kappa(wide, *coders) if len(coders) == 2 else float("nan")
    return agree, kappa, krippendorff_alpha(wide, coders)


def _bootstrap(
    wide: pd.DataFrame, n_boot: int, rng: np.random.Generator, confidence: float
) -> np.ndarray:
    """Percentile interval of (agreement, kappa, alpha), resampling units (respondents)."""
    units = wide.index.get_level_values(0)
    uniq = pd.unique(units)
    pos = [np.flatnonzero(units == u) for u in uniq]
    m = wide.to_numpy(dtype=float)
    reps = np.full((n_boot, 3), np.nan)
    for b in range(n_boot):
        pick = rng.choice(len(uniq), size=len(uniq), replace=True)
        reps[b] = _stats_arr(m[np.concatenate([pos[i] for i in pick])])
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    out = np.full((3, 2), np.nan)
    for j in range(3):
        ok = reps[~np.isnan(reps[:, j]), j]
        if len(ok) >= 0.5 * n_boot:
            out[j] = np.quantile(ok, q)
    return out


def reliability(
    codes: pd.DataFrame,
    *,
    themes: Sequence[str] | None = None,
    n_boot: int = 1000,
    seed: int = 20100301,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Agreement between coders per theme and overall, with bootstrap intervals.

    Parameters
    ----------
    codes
        Long table ``respondent_id, coder, theme, value`` (``HumanCodes.codes``).
    themes
        Themes to report, in this order (default: in order of appearance).
    n_boot
        Bootstrap resamples (0 skips the intervals).
    seed
        Seed of the bootstrap generator (``numpy.random.default_rng``): same seed, same interval.
    confidence
        Two-sided level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per theme and a last row ``theme="(overall)"`` pooling every (answer, theme)
        decision; columns ``theme, n_units, n_coders, agreement, kappa, kappa_low, kappa_high,
        alpha, alpha_low, alpha_high``. ``n_units`` counts answers coded by at least two coders.
        ``kappa`` is Cohen's kappa when there are exactly two coders (NaN otherwise: use alpha).

    Notes
    -----
    Bootstrap: answers (respondents) are resampled with replacement, all of a respondent's
    decisions together, and each statistic's 2.5th and 97.5th percentiles (for level 0.95) are
    reported; replicates where a statistic is undefined are dropped, and the interval is NaN if
    more than half are. In R: ``boot::boot`` over ``irr::kripp.alpha``.
    """
    if not 0 < confidence < 1:
        raise ArgumentError(f"`confidence` must lie between 0 and 1, got {confidence!r}")
    if "coder" in codes.columns and codes["coder"].nunique() < 2:
        raise ArgumentError(
            f"reliability needs at least two coders; the codes hold {codes['coder'].nunique()} "
            "(import one sheet per coder)"
        )
    rng = np.random.default_rng(seed)
    themes = list(themes) if themes is not None else list(dict.fromkeys(codes["theme"]))
    rows = []
    for th in [*themes, None]:
        wide = wide_codes(codes, th)
        wide = wide[wide.notna().sum(axis=1) >= 2]
        est = _stats(wide) if len(wide) else (np.nan, np.nan, np.nan)
        ci = (
            _bootstrap(wide, n_boot, rng, confidence)
            if n_boot and len(wide)
            else np.full((3, 2), np.nan)
        )
        n_units = wide.index.get_level_values(0).nunique()
        rows.append(
            (th or "(overall)", n_units, wide.shape[1], est[0], est[1], *ci[1], est[2], *ci[2])
        )
    cols = ["theme", "n_units", "n_coders", "agreement", "kappa", "kappa_low", "kappa_high"]
    return pd.DataFrame(rows, columns=cols + ["alpha", "alpha_low", "alpha_high"])
