"""Design-based tests: the Rao-Scott chi-square and the rank tests (R ``svychisq``,
``svyranktest``)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as ss

from giftreview.analysis.common import adjust_p, category_codes, test_frame, test_row
from giftreview.analysis.design.core import Design, Linearised, _aligned
from giftreview.analysis.design.estimates import _values
from giftreview.errors import ArgumentError, check_column

__all__ = ["SUPERIORITY", "svy_chisq", "svy_ranktest", "svy_pairwise_ranktests", "rank_family"]

#: effect measure of a pairwise design-based Wilcoxon test
SUPERIORITY = "P(group_1 answers higher than group_2), ties half, weighted"


def _factor(data: pd.DataFrame, column: str) -> tuple[np.ndarray, list]:
    """Codes of the levels present (R ``factor(x)``: unused levels dropped), -1 = NA."""
    check_column(data, column, "column")
    return category_codes(data[column], drop_unused=True)


def svy_chisq(
    data: pd.DataFrame,
    design: Design,
    outcome: str,
    by: str,
    *,
    statistic: Literal["F", "Chisq"] = "F",
) -> pd.DataFrame:
    """Rao-Scott corrected Pearson chi-square test of ``by`` x ``outcome`` (R ``svychisq``).

    Rows with NA in either column are left out (R ``na.rm = TRUE``).

    Returns
    -------
    pandas.DataFrame
        One row with the columns of ``giftreview.analysis.stats.TEST_COLUMNS``: ``statistic``
        (F, or the first-order corrected :math:`X^2`), ``df`` (numerator), ``df_denominator``,
        ``p_value``, ``effect_size`` (Cramer's V of the weighted table, no bias correction).

    Notes
    -----
    :math:`X^2` is Pearson's statistic of the weighted table scaled to the design's *N* rows.
    With :math:`\\hat p` the cell shares, :math:`V` their design covariance, *C* a basis of the
    interaction contrasts orthogonal to the main effects and :math:`D = \\mathrm{diag}(\\hat p)`:
    :math:`\\Delta = (C^\\top D^{-1} C / N)^{-1} C^\\top D^{-1} V D^{-1} C`. Second-order
    (default): :math:`F = X^2 / \\mathrm{tr}\\,\\Delta` on
    :math:`d = (\\mathrm{tr}\\,\\Delta)^2 / \\mathrm{tr}\\,\\Delta^2` and :math:`d\\,\\nu` degrees of
    freedom, :math:`\\nu` = PSUs - strata. First-order (``"Chisq"``): :math:`X^2 /
    \\overline{\\delta}` on :math:`(r-1)(c-1)` df. In R: ``svychisq(~by + outcome, design)``
    (``statistic = "F"``) or ``statistic = "Chisq"``.
    """
    if statistic not in ("F", "Chisq"):
        raise ArgumentError(f"`statistic` must be 'F' or 'Chisq' (R svychisq); got {statistic!r}")
    _aligned(design, data)
    rc, rlev = _factor(data, by)
    cc, clev = _factor(data, outcome)
    nr, nc = len(rlev), len(clev)
    dom = (rc >= 0) & (cc >= 0)
    base = {"outcome": outcome, "by": by, "n": int(dom.sum())}
    if nr < 2 or nc < 2:
        return test_frame(
            [test_row(**base, test="none", reason="fewer than two groups or answers")]
        )
    cell = np.where(dom, rc + nr * cc, 0)  # R interaction(): rows vary fastest
    w = np.where(dom, design.weights, 0.0)
    total = w.sum()
    p = np.bincount(cell, weights=w, minlength=nr * nc) / total
    # x_i = w_i (e_{cell_i} - p) / W: one coded term
    v = design.variance(Linearised.coded(w / total, cell, np.eye(nr * nc) - p[None, :]))
    n_rows = design.n
    table = (p * n_rows).reshape(nc, nr).T  # by x outcome
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n_rows
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(((table - expected) ** 2 / expected).sum())
    rows_i = np.tile(np.arange(nr), nc)
    cols_j = np.repeat(np.arange(nc), nr)
    main = np.column_stack(
        [np.ones(nr * nc)]
        + [(rows_i == i).astype(float) for i in range(1, nr)]
        + [(cols_j == j).astype(float) for j in range(1, nc)]
    )
    inter = np.column_stack(
        [((rows_i == i) & (cols_j == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    cmat = inter - main @ np.linalg.lstsq(main, inter, rcond=None)[0]
    idmat = np.diag(np.where(p == 0, 0.0, 1 / np.where(p == 0, 1.0, p)))
    denom = cmat.T @ (idmat / n_rows) @ cmat
    numr = cmat.T @ idmat @ v @ idmat @ cmat
    delta = np.linalg.solve(denom, numr)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    nu = _nu(design)
    v_eff = float(np.sqrt(pearson / n_rows / min(nr - 1, nc - 1)))
    reason = (
        f"survey design declared: Pearson X^2 = {pearson:.4g} of the weighted table with the "
        "Rao-Scott design correction"
    )
    if statistic == "F":
        d0 = tr**2 / tr2
        f = pearson / tr
        return test_frame(
            [
                test_row(
                    **base, test="Rao-Scott F (design-based chi-square)", reason=reason,
                    statistic=f, df=d0, df_denominator=d0 * nu,
                    p_value=float(ss.f.sf(f, d0, d0 * nu)),
                    effect_size=v_eff, effect_measure="Cramer's V (weighted)",
                )
            ]
        )  # fmt: skip
    k = delta.shape[0]
    chisq = pearson / (tr / k)
    return test_frame(
        [
            test_row(
                **base, test="Rao-Scott chi-square (first order)", reason=reason,
                statistic=chisq, df=float(k), p_value=float(ss.chi2.sf(chisq, k)),
                effect_size=v_eff, effect_measure="Cramer's V (weighted)",
            )
        ]
    )  # fmt: skip


def _nu(design: Design) -> int:
    """R svychisq's degrees of freedom: PSUs minus strata of the whole design (any weight)."""
    psus = int((np.bincount(design.psu) > 0).sum())
    return psus - int((np.bincount(design.strata) > 0).sum())


_RANK_SCORES = {
    "wilcoxon": lambda r, n: r / n,
    "KruskalWallis": lambda r, n: r / n,
    "vanderWaerden": lambda r, n: ss.norm.ppf(r / n),
    "median": lambda r, n: (r > n / 2).astype(float),
}


def svy_ranktest(
    data: pd.DataFrame,
    design: Design,
    outcome: str,
    by: str,
    *,
    test: str = "wilcoxon",
) -> pd.DataFrame:
    """Design-based rank test of ``outcome`` across the groups of ``by`` (R ``svyranktest``).

    Parameters
    ----------
    test
        Rank scores: ``"wilcoxon"`` / ``"KruskalWallis"`` (mid-rank / N), ``"vanderWaerden"``
        (normal scores) or ``"median"`` (above the weighted median).

    Returns
    -------
    pandas.DataFrame
        One row (``TEST_COLUMNS``). Two groups: ``statistic`` t on ``df`` = degrees of freedom
        - 1, ``effect_size`` the difference in mean rank score (second group minus first, the
        groups sorted). k groups: ``statistic`` F = Wald :math:`\\chi^2 / (k-1)` on ``df`` =
        k - 1 and ``df_denominator`` = design degrees of freedom - (k - 1).

    Notes
    -----
    Estimated population mid-ranks :math:`\\hat R_i = \\sum_{y_j < y_i} w_j + \\frac12
    \\sum_{y_j = y_i} w_j` (ties averaged), scores :math:`s(\\hat R_i / \\hat N)`; the group
    differences are the coefficients of a weighted regression of the scores on group
    indicators, with design-based (sandwich, linearised) covariance (Lumley & Scott 2013).
    In R: ``svyranktest(outcome ~ by, design, test = test)``.
    """
    if test not in _RANK_SCORES:
        raise ArgumentError(f"`test` must be one of {', '.join(_RANK_SCORES)}; got {test!r}")
    _aligned(design, data)
    y_all = _values(data, outcome)
    gc, glev = _factor(data, by)
    return test_frame([_ranktest(*_sorted(design, y_all, gc), glev, test, outcome, by)])


def _sorted(design: Design, y_all: np.ndarray, gc: np.ndarray):
    """Design, values and groups with the rows sorted by value (stable: R's ``order``)."""
    order = np.argsort(y_all, kind="stable")
    return design.permuted(order), y_all[order], gc[order]


def _ranktest(design, y_all, gc, glev, test, outcome, by) -> dict:
    """:func:`svy_ranktest` on arrays already sorted by ``y_all`` (see :func:`_sorted`): many
    tests of one outcome (pairwise comparisons) then share one sort and read rows in order."""
    idx = np.flatnonzero((gc >= 0) & ~np.isnan(y_all))  # by value, ties in original order
    return _ranktest_rows(design, y_all, gc, idx, glev, test, outcome, by)


def _ranktest_rows(design, y_all, gc, idx, glev, test, outcome, by) -> dict:
    """:func:`_ranktest` on the domain rows ``idx`` (ascending; every array sorted by value)."""
    sizes = np.bincount(gc[idx], minlength=len(glev))
    present = [k for k in range(len(glev)) if sizes[k] > 0]
    base = {"outcome": outcome, "by": by, "n": len(idx)}
    if len(present) < 2:
        return test_row(**base, test="none", reason="fewer than two groups with answers")
    y, w, g = y_all[idx], design.weights[idx], gc[idx]
    big_n = w.sum()
    mid = np.cumsum(w) - w / 2
    ties = np.concatenate([[0], np.cumsum(np.diff(y) != 0)])
    rank = (np.bincount(ties, weights=mid) / np.bincount(ties))[ties]  # R: ave() over ties
    score = _RANK_SCORES[test](rank, big_n)
    lut = np.full(len(glev), -1)
    lut[present] = np.arange(len(present))
    pos = lut[g]
    k = len(present)
    # weighted least squares of the scores on group indicators, from group sums: the fit is
    # each group's weighted mean score; X'WX has the group weights (intercept = first group)
    wk = np.bincount(pos, weights=w, minlength=k)
    means = np.bincount(pos, weights=w * score, minlength=k) / wk
    rows_x = np.column_stack([np.ones(k)] + [np.eye(k)[:, 1:]])
    ainv = np.linalg.inv((rows_x * wk[:, None]).T @ rows_x)
    beta = np.concatenate([[means[0]], means[1:] - means[0]])
    resid = score - means[pos]
    # influence x_i (resid_i w_i) A^-1 = s_i B[group_i]: one coded term on the domain rows
    v = design.variance(Linearised.coded(resid * w, pos, rows_x @ ainv, rows=idx))
    degf = int(
        (np.bincount(design.psu[idx]) > 0).sum() - (np.bincount(design.strata[idx]) > 0).sum()
    )
    name = {"wilcoxon": "Wilcoxon", "KruskalWallis": "Kruskal-Wallis"}.get(test, test)
    reason = "survey design declared: rank scores from weighted mid-ranks, design-based variance"
    if len(present) == 2:
        t = float(beta[1] / np.sqrt(v[1, 1]))
        return test_row(
            **base, test=f"design-based {name} rank test (t)", reason=reason,
            statistic=t, df=float(degf - 1),
            p_value=float(2 * ss.t.sf(abs(t), degf - 1)), effect_size=float(beta[1]),
            effect_measure=f"difference in mean rank score ({glev[present[1]]} - {glev[present[0]]})",
        )  # fmt: skip
    b = beta[1:]
    chisq = float(b @ np.linalg.solve(v[1:, 1:], b))
    ndf = len(present) - 1
    ddf = degf - ndf
    return test_row(
        **base, test=f"design-based {name} rank test (F)", reason=reason,
        statistic=chisq / ndf, df=float(ndf), df_denominator=float(ddf),
        p_value=float(ss.f.sf(chisq / ndf, ndf, ddf)), effect_measure="",
    )  # fmt: skip


def svy_pairwise_ranktests(
    data: pd.DataFrame,
    design: Design,
    outcome: str,
    by: str,
    *,
    test: str = "wilcoxon",
    p_adjust: str = "holm",
) -> pd.DataFrame:
    """Design-based rank tests of every pair of groups (post-hoc after :func:`svy_ranktest`).

    Each pair is :func:`svy_ranktest` on the domain of its two groups (ranks within the pair),
    p-values adjusted within the family by ``p_adjust`` (:func:`giftreview.analysis.common
    .adjust_p`).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_1, group_2, t`` (``t > 0``: ``group_1`` ranks higher, the
        sign of :func:`giftreview.analysis.stats.dunn_test`'s z), ``df`` (the pair's design
        degrees of freedom - 1), ``p_value``, ``score_difference`` (difference in mean rank
        score, ``group_1 - group_2``: R's estimate with the sign turned), ``p_adjusted``,
        ``adjust_method``, ``effect_size``, ``effect_measure``, ``test``. With Wilcoxon scores
        the effect size is the probability of superiority :math:`\\hat\\theta`, otherwise the
        score difference.

    Notes
    -----
    Why a t and not Dunn's z: Dunn's test compares mean ranks over all groups with the variance
    of ranks under simple random sampling. With a design, the variance of a rank difference
    comes from the PSUs (Taylor linearisation), so the statistic is a t referred to the design
    degrees of freedom (few PSUs give few degrees of freedom; a z would overstate the evidence).

    Probability of superiority: with Wilcoxon scores :math:`\\hat R_i / \\hat N` computed in
    the pair's domain, a group's weighted mean score is :math:`(\\hat N_a / 2 + \\hat N_b
    \\hat\\theta) / \\hat N`, so the score difference is exactly :math:`\\hat\\theta - 1/2`, with
    :math:`\\hat\\theta = \\sum_{i \\in a, j \\in b} w_i w_j (1[y_i > y_j] + \\frac12 1[y_i = y_j])
    / (\\hat N_a \\hat N_b)`: the estimated share of population pairs in which a member of
    ``group_1`` answers higher than one of ``group_2`` (ties half; Vargha-Delaney A, the
    common-language effect size). 0.5 = no difference.

    In R: ``svyranktest(y ~ g, subset(design, g %in% c(a, b)))`` for each pair (its
    ``estimate`` is :math:`1/2 - \\hat\\theta` for Wilcoxon scores), then ``p.adjust(p, "holm")``.
    """
    return rank_family(data, design, outcome, by, test=test, p_adjust=p_adjust)[1]


def rank_family(
    data: pd.DataFrame,
    design: Design,
    outcome: str,
    by: str,
    *,
    test: str = "wilcoxon",
    p_adjust: str = "holm",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`svy_ranktest` across all groups and :func:`svy_pairwise_ranktests`, sharing one
    sort of the outcome (what a breakdown of a rating or count question needs)."""
    if test not in _RANK_SCORES:
        raise ArgumentError(f"`test` must be one of {', '.join(_RANK_SCORES)}; got {test!r}")
    _aligned(design, data)
    y_all = _values(data, outcome)
    gc, glev = _factor(data, by)
    d_sorted, y_sorted, g_sorted = _sorted(design, y_all, gc)
    overall_test = "KruskalWallis" if test == "wilcoxon" else test
    overall = test_frame([_ranktest(d_sorted, y_sorted, g_sorted, glev, overall_test, outcome, by)])
    g_sorted = np.where(np.isnan(y_sorted), -1, g_sorted)
    rows_of = [np.flatnonzero(g_sorted == k) for k in range(len(glev))]
    present = [k for k in range(len(glev)) if len(rows_of[k])]
    rows = []
    for a_pos, a in enumerate(present):
        for b in present[a_pos + 1 :]:
            idx = np.sort(np.concatenate([rows_of[a], rows_of[b]]))
            res = _ranktest_rows(d_sorted, y_sorted, g_sorted, idx, glev, test, outcome, by)
            # svyranktest reports the second group minus the first; Dunn's sign is first - second
            rows.append(
                [
                    glev[a],
                    glev[b],
                    -res["statistic"],
                    res["df"],
                    res["p_value"],
                    -res["effect_size"],
                ]
            )
    cols = ["group_1", "group_2", "t", "df", "p_value", "score_difference"]
    out = pd.DataFrame(rows, columns=cols)
    out["p_adjusted"] = adjust_p(out["p_value"].to_numpy(dtype=float), p_adjust)
    out["adjust_method"] = p_adjust
    if test == "wilcoxon":  # mean score difference = theta - 1/2 (see svy_pairwise_ranktests)
        out["effect_size"] = 0.5 + out["score_difference"]
        out["effect_measure"] = SUPERIORITY
    else:
        out["effect_size"] = out["score_difference"]
        out["effect_measure"] = "difference in mean rank score (group_1 - group_2)"
    out["test"] = f"design-based {test} rank test"
    return overall, out
