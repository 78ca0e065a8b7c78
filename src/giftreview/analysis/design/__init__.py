"""Design-based estimation: weights, strata, clusters, fpc and calibration, as R's survey package.

A :class:`Design` is what R builds with ``svydesign``: base weights, stage-1 strata, one or two
stages of cluster ids, finite-population corrections, and any calibration applied afterwards
(``postStratify``, ``rake``, linear ``calibrate``). Estimates take the design plus column names
and return a tidy DataFrame:

* :func:`svy_mean`, :func:`svy_total` (``svymean`` / ``svytotal`` with ``deff = TRUE``);
* :func:`svy_share` (``svyciprop``, methods ``logit``, ``asin``, ``beta``, ``mean``, ``xlogit``);
* :func:`svy_distribution` (``svymean(~factor)``: the share of every level, by group if asked);
* :func:`svy_quantile` (``svyquantile``, survey 4.x: ``qrule = "math"``, Woodruff intervals);
* :func:`svy_chisq` (``svychisq``: Rao-Scott second-order F, or first-order ``"Chisq"``);
* :func:`svy_ranktest` (``svyranktest``: two groups, t test; k groups, F test).

Standard errors are Taylor-linearised. Each estimator builds the linearised values (influence
values) :math:`x_i` of the statistic and the design turns them into a variance, as R's
``svyrecvar``:

1. calibration residuals first (post-stratification: :math:`x_i - w_i \\bar m_c` with
   :math:`\\bar m_c` the mean of :math:`x/w` in cell *c*; raking: the same over each margin,
   10 sweeps; GREG: the weighted least-squares residual of :math:`x/w` on the calibration
   variables, times :math:`w`);
2. stage 1: PSU totals :math:`z_{hj}`, then
   :math:`\\hat V_1 = \\sum_h f_h \\frac{n_h}{n_h - 1} \\sum_j (z_{hj} - \\bar z_h)^{\\otimes 2}`
   with :math:`f_h = (N_h - n_h)/N_h` (1 without fpc);
3. stage 2 (only with an fpc at both stages, as R): inside each PSU *i* the same sum over its
   sampled SSUs, times :math:`n_h / N_h` of its stratum.

A stratum with one PSU follows ``lonely_psu`` as R's ``options(survey.lonely.psu)``: ``"fail"``
(R's default; raises :class:`DesignError`), ``"remove"`` and ``"certainty"`` (no contribution),
``"adjust"`` (centred at zero, the grand mean of the linearised values, instead of the stratum
mean), ``"average"`` (the average variance of the other strata).

Domains (a subgroup, or the respondents who answered) keep their place in the design: the
linearised values are zero outside the domain, which is what R's ``subset(design, ...)`` and
``na.rm = TRUE`` compute.

Why hand-written: samplics is archived, and its Taylor estimator does not remove calibration
residuals (its post-stratified standard errors differ from R's). Its successor svy 0.35.0,
checked in a separate environment, gives R's ``svymean`` on ``dclus1`` and ``dstrat``
(644.1694 / 23.5422 and 662.2874 / 9.4089); it is not used because it would bring polars and a
Rust extension into the dependencies for two estimators this module already has, and the rest
(Rao-Scott, ``svyranktest``, the lonely-PSU rules, raking and GREG variances) would still need
checking. Every formula below is checked against R 4.2.2 / survey 4.1-1 on R's ``data(api)`` in
``tests/test_design.py``.

The code lives in five modules: :mod:`.core` (the design and its variance), :mod:`.calibration`,
:mod:`.estimates`, :mod:`.svytests`, :mod:`.stacked` (independent samples such as waves) and
:mod:`.instrument` (the instrument's ``design:`` block);
this package re-exports their public names.
"""

from giftreview.analysis.design.calibration import calibrate, poststratify, rake
from giftreview.analysis.design.core import (
    LONELY_PSU,
    Design,
    DesignError,
    Linearised,
    LonelyPsu,
    svydesign,
)
from giftreview.analysis.design.estimates import (
    SHARE_METHODS,
    svy_distribution,
    svy_mean,
    svy_quantile,
    svy_share,
    svy_total,
)
from giftreview.analysis.design.instrument import design_from_instrument, weighted_data
from giftreview.analysis.design.stacked import (
    WALD_DIFFERENCE,
    StackedDesign,
    stack_designs,
    svy_change_test,
    svy_share_change,
)
from giftreview.analysis.design.svytests import (
    SUPERIORITY,
    rank_family,
    svy_chisq,
    svy_pairwise_ranktests,
    svy_ranktest,
)

__all__ = [
    "DesignError",
    "LonelyPsu",
    "LONELY_PSU",
    "SHARE_METHODS",
    "Design",
    "Linearised",
    "svydesign",
    "poststratify",
    "rake",
    "calibrate",
    "svy_mean",
    "svy_total",
    "svy_share",
    "svy_distribution",
    "svy_quantile",
    "svy_chisq",
    "svy_ranktest",
    "svy_pairwise_ranktests",
    "rank_family",
    "SUPERIORITY",
    "design_from_instrument",
    "weighted_data",
    "StackedDesign",
    "stack_designs",
    "svy_share_change",
    "svy_change_test",
    "WALD_DIFFERENCE",
]
