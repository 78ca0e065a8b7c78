"""Independent samples (waves) in one design, and design-based differences between them.

Two waves of a survey are two independent samples, each with its own design. R analyses them
together by stacking the data (``rbind``) and declaring one design whose strata are the waves'
strata kept apart (``strata = ~interaction(wave, stratum)``, PSU ids unique per wave), each
wave calibrated on its own cells (``postStratify(d, ~wave + cell, ...)``). Its variance of
any linearised statistic is the sum of the waves' variances of their own rows, which is what
:class:`StackedDesign` computes: each part (a wave's :class:`Design`) turns the linearised
values of its rows into a variance with its own strata, clusters, fpc and calibration.

Every design-based estimate and test then works on the stacked data with the wave as a group:
:func:`giftreview.analysis.design.svy_chisq` (``svychisq(~answer + wave, dboth)``),
:func:`giftreview.analysis.design.svy_ranktest` (``svyranktest(answer ~ wave, dboth)``) and
:func:`svy_share_change` (``svycontrast(svyby(~answer, ~wave, dboth, svymean, covmat =
TRUE), ...)``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats as ss

from giftreview.analysis.common import category_codes, check_level
from giftreview.analysis.design.core import (
    Design,
    Linearised,
    _aligned,
    _calibration_residuals,
)
from giftreview.analysis.design.svytests import svy_chisq, svy_ranktest
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "StackedDesign",
    "stack_designs",
    "svy_share_change",
    "svy_change_test",
    "WALD_DIFFERENCE",
]

#: how the interval of a design-based difference in shares is computed (methods appendix)
WALD_DIFFERENCE = (
    "design-based Wald interval: difference +- t(df) x SE, SE from the Taylor-linearised "
    "variance of the two waves' designs (no design-based Newcombe interval exists)"
)


@dataclass(frozen=True)
class StackedDesign(Design):
    """Several independent designs on stacked data (R: one design on ``rbind``-ed data with
    each sample's strata kept apart).

    ``parts`` holds ``(design, positions)``: the part's design and, for each of its rows (in
    the part's order), its row number in the stacked data. The stacked ``strata`` and ``psu``
    codes are the parts' codes made unique (degrees of freedom count them as R's ``degf``).
    """

    parts: tuple = ()

    def permuted(self, order: np.ndarray) -> StackedDesign:
        """The same design with its stacked rows in ``order`` (the parts keep their own)."""
        inverse = np.empty(len(order), dtype=np.int64)
        inverse[order] = np.arange(len(order))
        moved = Design.permuted(self, order)
        return replace(moved, parts=tuple((d, inverse[pos]) for d, pos in self.parts))

    def variance(self, x) -> np.ndarray:
        """Sum of the parts' variances of their rows' linearised values (strata are disjoint,
        so the samples contribute no covariance); a calibration of the stack itself is applied
        first."""
        lin = x if isinstance(x, Linearised) else Linearised.dense(x)
        for cal in self.calibration:
            lin = _calibration_residuals(lin, cal)
        part_of = np.empty(self.n, dtype=np.int64)
        local = np.empty(self.n, dtype=np.int64)
        for k, (_, pos) in enumerate(self.parts):
            part_of[pos] = k
            local[pos] = np.arange(len(pos))
        total = np.zeros((lin.p, lin.p))
        for k, (design, pos) in enumerate(self.parts):
            terms = []
            for s, codes, table, _, rows in lin.terms:
                if rows is None:
                    terms.append([s[pos], codes[pos], table, None, None])
                else:
                    keep = part_of[rows] == k
                    terms.append([s[keep], codes[keep], table, None, local[rows[keep]]])
            total = total + design.variance(Linearised(terms))
        return total


def stack_designs(designs: list[Design], labels: list[str] | None = None) -> StackedDesign:
    """One design for the stacked data of independent samples (rows of ``designs[0]`` first).

    Parameters
    ----------
    designs
        Each sample's design (e.g. each wave's, from
        :func:`giftreview.analysis.design.weighted_data`), built on its own data.
    labels
        A name per sample for the description (default ``"sample 1"``...).

    Returns
    -------
    StackedDesign
        Aligned with ``pd.concat([data_1, data_2, ...], ignore_index=True)``.

    Notes
    -----
    In R: ``svydesign(ids = ~psu, strata = ~interaction(wave, stratum), weights = ~w, fpc =
    ~fpc, data = rbind(a, b))`` with PSU ids unique per wave, then each wave's calibration on
    ``~wave + cells``. A stratum with one PSU follows each sample's own ``lonely_psu`` rule
    within that sample (R's ``"average"`` would average over the strata of all samples).
    """
    if len(designs) < 2 or not all(isinstance(d, Design) for d in designs):
        raise ArgumentError("`designs` must hold two or more Design objects (one per sample)")
    labels = list(labels or [f"sample {i + 1}" for i in range(len(designs))])
    if len(labels) != len(designs):
        raise ArgumentError(f"`labels` names {len(labels)} samples for {len(designs)} designs")
    strata, psu, parts, lines = [], [], [], []
    s_off = p_off = r_off = 0
    for d, label in zip(designs, labels, strict=True):
        strata.append(d.strata + s_off)
        psu.append(d.psu + p_off)
        parts.append((d, np.arange(r_off, r_off + d.n)))
        lines += [f"{label}: {line}" for line in d.description]
        s_off += int(d.strata.max()) + 1
        p_off += int(d.psu.max()) + 1
        r_off += d.n
    return StackedDesign(
        index=pd.RangeIndex(r_off),
        weights=np.concatenate([d.weights for d in designs]),
        strata=np.concatenate(strata),
        psu=np.concatenate(psu),
        n_psu=np.bincount(np.concatenate(strata)),
        pop_psu=None,
        lonely_psu=designs[0].lonely_psu,
        description=tuple(lines)
        + ("The samples are independent: their variances add (strata kept apart).",),
        parts=tuple(parts),
    )


def svy_share_change(
    data: pd.DataFrame,
    design: Design,
    column: str,
    wave_column: str,
    waves: tuple[str, str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Design-based share of each answer in wave A and wave B and the difference B - A.

    Parameters
    ----------
    data
        The stacked data of both waves (the rows ``design`` was built on, e.g. by
        :func:`stack_designs`); missing answers are left out of each wave's base.
    column
        The answer column (categorical, or boolean: then only the share of True).
    wave_column, waves
        Column holding the wave and the two waves ``(A, B)``.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level, n_a, base_a, share_a, n_b, base_b, share_b, difference,
        se, ci_low, ci_high, df, interval_method``; shares are weighted fractions (0-1), ``n``
        and ``base`` unweighted counts.

    Notes
    -----
    :math:`\\hat p_w = \\sum_{i \\in w} w_i y_i / \\sum_{i \\in w} w_i` per wave;
    :math:`d = \\hat p_B - \\hat p_A` with linearised values
    :math:`x_i = w_i (y_i - \\hat p_B)/\\hat N_B` in wave B and
    :math:`-w_i (y_i - \\hat p_A)/\\hat N_A` in wave A; interval :math:`d \\pm t_{df} SE`,
    ``df`` the stacked design's degrees of freedom (PSUs minus strata of both waves) minus 1,
    as R's ``svyglm`` (its residual df: one per coefficient beyond the first) and the
    two-group ``svyranktest``. A Wald interval: Newcombe's score interval has no design-based
    form. In R, per level: ``m <- svyglm(I(answer == level) ~ wave, dboth)``,
    ``coef(m)["waveB"]``, ``SE(m)["waveB"]``, ``confint(m)["waveB", ]``.
    """
    _aligned(design, data)
    level = check_level(confidence)
    check_column(data, column, "column")
    check_column(data, wave_column, "wave_column")
    wave = data[wave_column].astype("object")
    if any(w not in set(wave.dropna()) for w in waves):
        raise ArgumentError(f"`waves` {waves!r} are not both values of {wave_column!r}")
    g = np.select([wave == waves[0], wave == waves[1]], [0, 1], -1)
    boolean = pd.api.types.is_bool_dtype(data[column])
    codes, levels = category_codes(data[column])
    codes = np.asarray(codes, dtype=np.int64)
    dom = (g >= 0) & (codes >= 0)
    k = len(levels)
    w = np.where(dom, design.weights, 0.0)
    cell = np.where(dom, g * k + codes, 0)
    counts = np.bincount(cell, weights=dom, minlength=2 * k).reshape(2, k)
    wsum = np.bincount(cell, weights=w, minlength=2 * k).reshape(2, k)
    big_w = wsum.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = wsum / big_w[:, None]
        # x_i = sign_g w_i (e_{y_i} - p_g) / W_g: one coded term, a block per wave
        table = np.vstack([-(np.eye(k) - share[0]) / big_w[0], (np.eye(k) - share[1]) / big_w[1]])
        se = np.sqrt(np.diag(design.variance(Linearised.coded(w, cell, np.nan_to_num(table)))))
    df = design.degf() - 1  # svyglm's residual df: degf + 1 - 2 coefficients
    t = _t_quantile(level, df)
    diff = share[1] - share[0]
    out = pd.DataFrame(
        {
            "level": levels,
            "n_a": counts[0].astype(int),
            "base_a": int(counts[0].sum()),
            "share_a": share[0],
            "n_b": counts[1].astype(int),
            "base_b": int(counts[1].sum()),
            "share_b": share[1],
            "difference": diff,
            "se": se,
            "ci_low": diff - t * se,
            "ci_high": diff + t * se,
            "df": df,
            "interval_method": WALD_DIFFERENCE,
        }
    )
    return out[out["level"].astype(bool)].reset_index(drop=True) if boolean else out


def _t_quantile(level: float, df: int) -> float:
    return float(ss.t.isf((1 - level) / 2, df)) if df > 0 else np.nan


def svy_change_test(
    data: pd.DataFrame,
    design: Design,
    column: str,
    wave_column: str,
    waves: tuple[str, str],
    *,
    kind: str,
) -> pd.DataFrame:
    """Design-based test of change in ``column`` between waves A and B of stacked data.

    Parameters
    ----------
    kind
        ``"categorical"``: the Rao-Scott F test of the waves x answers table
        (:func:`giftreview.analysis.design.svy_chisq`, R ``svychisq(~answer + wave, dboth)``);
        ``"ordinal"``: the design-based Wilcoxon rank test of the two waves
        (:func:`giftreview.analysis.design.svy_ranktest`, R ``svyranktest(answer ~ wave,
        dboth)``), a t on the stacked design's degrees of freedom - 1.

    Returns
    -------
    pandas.DataFrame
        One row with ``TEST_COLUMNS``. For the rank test ``effect_size`` is the weighted
        probability that a wave-B answer is higher than a wave-A answer, ties half
        (:math:`\\hat\\theta = 1/2 +` R's estimate, see
        :func:`giftreview.analysis.design.svy_pairwise_ranktests`), the measure the unweighted
        Mann-Whitney test reports as :math:`U_B / (n_A n_B)`.
    """
    _aligned(design, data)
    check_column(data, wave_column, "wave_column")
    wave = data[wave_column].astype("object")
    codes = np.select([wave == waves[0], wave == waves[1]], [0, 1], -1)
    frame = pd.DataFrame(
        {
            column: data[column],
            wave_column: pd.Categorical.from_codes(codes, [str(w) for w in waves]),
        },
        index=data.index,
    )
    if kind == "categorical":
        return svy_chisq(frame, design, column, wave_column)
    if kind != "ordinal":
        raise ArgumentError(f"`kind` must be 'categorical' or 'ordinal', got {kind!r}")
    out = svy_ranktest(frame, design, column, wave_column)
    if out["test"].iloc[0] != "none":
        out["effect_size"] = 0.5 + out["effect_size"]
        out["effect_measure"] = "P(B > A) + P(B = A)/2, weighted"
    return out
