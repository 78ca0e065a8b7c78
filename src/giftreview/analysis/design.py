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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as ss

from giftreview.analysis.common import TEST_COLUMNS, check_level, test_frame, valid_rows
from giftreview.data.clean import EXTRA_PREFIX
from giftreview.errors import ArgumentError, DataValidationError, InstrumentError, check_column

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
    "design_from_instrument",
    "weighted_data",
]

LonelyPsu = Literal["fail", "remove", "certainty", "adjust", "average"]
#: the choices of R's ``options(survey.lonely.psu)``
LONELY_PSU: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")
#: interval methods of :func:`svy_share` (R ``svyciprop(method = ...)``)
SHARE_METHODS: tuple[str, ...] = ("logit", "xlogit", "asin", "beta", "mean")


class DesignError(DataValidationError):
    """A survey design or calibration cannot be built or used (names column, value and fix)."""


# ---- the design ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Calibration:
    """One calibration step, kept for the variance (R's ``design$postStrata``)."""

    kind: Literal["poststratify", "rake", "greg"]
    #: poststratify: one (cells, old weights, new weights); rake: one per margin
    margins: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...] = ()
    #: greg: calibration variables (n x q) and sqrt(old weight) * g
    x: np.ndarray | None = None
    half: np.ndarray | None = None
    g_half: np.ndarray | None = None
    description: str = ""


@dataclass(frozen=True)
class Design:
    """A survey design: weights, strata, clusters, fpc and calibration (R ``svydesign``).

    Build it with :func:`svydesign`; calibrate it with :func:`poststratify`, :func:`rake` or
    :func:`calibrate` (each returns a new design). Arrays are aligned with ``index``.

    Attributes
    ----------
    index
        The row labels of the data the design was built on.
    weights
        Final weights :math:`w_i` (after calibration).
    strata, psu
        Integer codes of the stage-1 stratum and primary sampling unit of each row (a PSU code
        is unique across strata).
    n_psu, pop_psu
        Per stratum code: PSUs sampled :math:`n_h` and in the population :math:`N_h` (None
        without fpc).
    ssu, n_ssu, pop_ssu
        Stage 2: SSU codes (unique across PSUs), and per PSU code the SSUs sampled and in the
        population (None for a one-stage design or without a stage-2 fpc).
    lonely_psu
        The rule for a stratum (or PSU at stage 2) with a single sampled unit.
    description
        Plain-language lines for the methods appendix.
    """

    index: pd.Index
    weights: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    n_psu: np.ndarray
    pop_psu: np.ndarray | None
    ssu: np.ndarray | None = None
    n_ssu: np.ndarray | None = None
    pop_ssu: np.ndarray | None = None
    lonely_psu: str = "fail"
    stratum_labels: tuple = ()
    calibration: tuple[_Calibration, ...] = ()
    description: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        """Number of rows (respondents) in the design."""
        return len(self.weights)

    def degf(self, domain: np.ndarray | None = None) -> int:
        """Design degrees of freedom: PSUs minus strata among rows of ``domain`` (R ``degf``)."""
        keep = self.weights > 0 if domain is None else (np.asarray(domain) & (self.weights > 0))
        psus = int((np.bincount(self.psu[keep], minlength=1) > 0).sum())
        strata = int((np.bincount(self.strata[keep], minlength=1) > 0).sum())
        return psus - strata

    def permuted(self, order: np.ndarray) -> Design:
        """The same design with its rows in ``order`` (variances are order-free; sorted rows
        let rank tests read their data sequentially)."""

        def take(a):
            return None if a is None else a[order]

        cals = tuple(
            replace(
                c,
                margins=tuple((cells[order], old[order], new[order]) for cells, old, new in c.margins),
                x=take(c.x), half=take(c.half), g_half=take(c.g_half),
            )
            for c in self.calibration
        )  # fmt: skip
        return replace(
            self, index=self.index[order], weights=self.weights[order],
            strata=self.strata[order], psu=self.psu[order], ssu=take(self.ssu), calibration=cals,
        )  # fmt: skip

    def variance(self, x) -> np.ndarray:
        """Covariance matrix of the totals of linearised values (R ``svyrecvar``).

        ``x`` is an (n x p) array, or a :class:`Linearised` (the same values kept as
        per-row scale times a small table, which large designs need).
        """
        lin = x if isinstance(x, Linearised) else Linearised.dense(x)
        for cal in self.calibration:
            lin = _calibration_residuals(lin, cal)
        n_units = int(self.psu.max()) + 1
        psu_stratum = np.zeros(n_units, dtype=np.int64)
        psu_stratum[self.psu] = self.strata
        z = lin.group_sums(self.psu, n_units)
        v = _onestage(
            z, psu_stratum, self.n_psu, self.pop_psu, self.lonely_psu, 1, self.stratum_labels
        )
        if self.ssu is not None and self.pop_ssu is not None and self.pop_psu is not None:
            ssu_psu = np.zeros(int(self.ssu.max()) + 1, dtype=np.int64)
            ssu_psu[self.ssu] = self.psu
            z2 = lin.group_sums(self.ssu, len(ssu_psu))
            # R multistage(): each PSU's within variance times n_h / N_h of its stratum
            factor = self.n_psu[psu_stratum] / self.pop_psu[psu_stratum]
            v = v + _onestage(z2, ssu_psu, self.n_ssu, self.pop_ssu, self.lonely_psu, 2, (), factor)
        return v


_CACHE: dict[tuple, tuple] = {}


def _cached(objects: tuple, compute):
    """``compute()`` memoised on the identity of ``objects`` (arrays that never change once
    made: design columns and calibration weights). The entry keeps the objects alive, so an id
    cannot be reused while its entry exists; the oldest entries go beyond 256."""
    key = tuple(id(o) for o in objects)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) >= 256:
            _CACHE.pop(next(iter(_CACHE)))
        hit = _CACHE[key] = (objects, compute())
    return hit[1]


@dataclass
class Linearised:
    """Linearised values :math:`x_i = \\sum_t s_{ti} A_t[c_{ti}, :]` (n rows, p columns).

    Each term is a per-row scale ``s``, an integer code per row ``c`` and a small table ``A``
    (codes x p): an indicator of a category times a weight, a group's mean deviation... Group
    totals of every column then cost one :func:`numpy.bincount` per term, whatever p is, and
    the n x p matrix is never built (a breakdown of 1,000,000 respondents into 50 cells would
    otherwise hold 400 MB per variance). A term may cover only some rows (``rows``: a domain,
    zero elsewhere); calibration terms (``key`` set) have fixed ``s`` and codes, so their group
    totals are computed once per design and grouping.
    """

    terms: list[list]  # [s, codes, A, key, rows]

    @property
    def p(self) -> int:
        """Number of columns."""
        return self.terms[0][2].shape[1]

    @classmethod
    def dense(cls, x) -> Linearised:
        """From an (n x p) array: one term per column."""
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            x = x[:, None]
        zeros = np.zeros(len(x), dtype=np.int64)
        eye = np.eye(x.shape[1])
        return cls([[x[:, j], zeros, eye[j : j + 1], None, None] for j in range(x.shape[1])])

    @classmethod
    def coded(cls, s, codes, table: np.ndarray, rows: np.ndarray | None = None) -> Linearised:
        """One term: :math:`x_i = s_i A[c_i, :]` (on ``rows`` only when given)."""
        s = np.asarray(s, dtype=float)
        return cls([[s, np.asarray(codes, dtype=np.int64), table, None, rows]])

    def group_sums(self, groups: np.ndarray, size: int, mult: np.ndarray | None = None):
        """Column totals by integer ``groups`` (size x p), each row's value times ``mult``."""
        out = np.zeros((size, self.p))
        for s, codes, table, key, rows in self.terms:
            k = table.shape[0]

            def sums(s=s, codes=codes, rows=rows, k=k):
                g = groups if rows is None else groups[rows]
                weights = s if mult is None else s * (mult if rows is None else mult[rows])
                if k == 1:
                    return np.bincount(g, weights=weights, minlength=size)[:, None]
                flat = np.bincount(g * k + codes, weights=weights, minlength=size * k)
                return flat.reshape(size, k)

            if key is not None:  # fixed s and codes: once per design, grouping and multiplier
                out += _cached((groups, s, codes, mult), sums) @ table
            else:
                out += sums() @ table
        return out

    def cross(self, matrix: np.ndarray, mult: np.ndarray) -> np.ndarray:
        """:math:`\\sum_i` ``matrix[i]`` (q) outer ``x_i * mult_i`` (p): a (q x p) array."""
        out = np.zeros((matrix.shape[1], self.p))
        for s, codes, table, _, rows in self.terms:
            k = table.shape[0]
            mat = matrix if rows is None else matrix[rows]
            mul = s * (mult if rows is None else mult[rows])
            for j in range(matrix.shape[1]):
                out[j] += np.bincount(codes, weights=mul * mat[:, j], minlength=k) @ table
        return out

    def add(self, s: np.ndarray, codes: np.ndarray, table: np.ndarray, key=None) -> None:
        """Add a term over all rows; a term with the same ``key`` (same s, codes) is merged."""
        for term in self.terms:
            if key is not None and term[3] == key:
                term[2] = term[2] + table
                return
        self.terms.append([s, codes, table, key, None])

    def copy(self) -> Linearised:
        """A copy whose term list can grow without touching this one."""
        return Linearised([list(t) for t in self.terms])


def _onestage(z, unit_group, n_g, pop_g, lonely, stage, labels, factor=None) -> np.ndarray:
    """R ``onestage`` summed over groups: ``z`` unit totals, ``unit_group`` each unit's group.

    ``n_g``/``pop_g``: sampled and population units per group; ``factor``: a per-group
    multiplier (stage 2: the stage-1 sampling fraction of the PSU).
    """
    p = z.shape[1]
    ng = len(n_g)
    if pop_g is None:
        f = np.ones(ng)
    else:
        pop = np.asarray(pop_g, dtype=float)
        f = np.where(np.isinf(pop), 1.0, (pop - n_g) / np.where(pop > 0, pop, 1.0))
    lonely_g = (n_g == 1) & (f >= 1e-7)  # R: a fully sampled group contributes 0 first
    present = np.bincount(unit_group, minlength=ng) > 0
    if lonely_g[present].any() and lonely == "fail":
        bad = np.flatnonzero(lonely_g & present)[0]
        name = labels[bad] if len(labels) > bad else bad
        raise DesignError(
            f"stratum {name!r} has only one PSU at stage {stage}, so its variance cannot be "
            "estimated; set lonely_psu to 'remove', 'certainty', 'adjust' or 'average' "
            "(R: options(survey.lonely.psu = ...)) or merge the stratum with a neighbour"
        )
    scale = np.where(lonely_g, f, f * n_g / np.maximum(n_g - 1, 1))
    if factor is not None:
        scale = scale * factor
    mean = _group_sums(unit_group, z, ng) / np.maximum(n_g, 1)[:, None]
    centred = z - mean[unit_group]
    if lonely == "adjust":  # R: a lonely unit is centred at zero, not at its own mean
        centred = np.where(lonely_g[unit_group][:, None], z, centred)
    weighted = centred * np.sqrt(scale[unit_group])[:, None]
    if lonely == "average" and (lonely_g & present).any():
        ok_unit = ~lonely_g[unit_group]
        v = weighted[ok_unit].T @ weighted[ok_unit]
        n_strata = int(present.sum())
        n_ok = int((present & ~lonely_g).sum())
        return v * n_strata / n_ok if n_ok else np.full((p, p), np.nan)
    return weighted.T @ weighted


def _group_sums(codes: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    """Column sums of a small dense ``x`` (units x p) by integer ``codes``: (size x p)."""
    return np.column_stack(
        [np.bincount(codes, weights=x[:, j], minlength=size) for j in range(x.shape[1])]
    )


def _calibration_residuals(lin: Linearised, cal: _Calibration) -> Linearised:
    """Replace linearised values by their calibration residuals (R ``svyrecvar``)."""
    lin = lin.copy()
    if cal.kind == "greg":
        # the residual of x / (g w^1/2) on X w^1/2, times g w^1/2, is x - g w X beta with
        # beta = (X' W X)^-1 X' (x / g)
        w = cal.half**2
        gram = (cal.x * w[:, None]).T @ cal.x
        beta = np.linalg.solve(gram, lin.cross(cal.x, cal.half / cal.g_half))
        gw = cal.g_half * cal.half
        zeros = np.zeros(len(gw), dtype=np.int64)
        for j in range(cal.x.shape[1]):
            lin.add(gw * cal.x[:, j], zeros, -beta[j : j + 1])
        return lin
    sweeps = 10 if cal.kind == "rake" else 1
    for _ in range(sweeps):
        for cells, old, new in cal.margins:
            psw, mult, denom, size = _cached(
                (cells, old, new), lambda c=cells, o=old, w=new: _margin(c, o, w, cal.kind)
            )
            mean = lin.group_sums(cells, size, mult) / denom[:, None]
            lin.add(psw, cells, -mean, key=id(psw))
    return lin


def _margin(cells, old, new, kind):
    """Fixed arrays of one calibration margin: psw, the multiplier of x in the cell mean, the
    cell mean's denominator and the number of cells (R svyrecvar's post-stratification and
    raking branches)."""
    psw = np.where((new == 0) & (old == 0), 1.0, new)
    size = int(cells.max()) + 1
    if kind == "rake":  # R: ave(x/psw, margin), an unweighted cell mean
        return psw, 1.0 / psw, np.bincount(cells, minlength=size).clip(1).astype(float), size
    return psw, old / psw, np.bincount(cells, weights=old, minlength=size), size


def _codes(values: pd.Series) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), list(uniques)


def _pair_codes(first: np.ndarray, second: pd.Series) -> np.ndarray:
    """One integer per distinct (first, second) pair, ordered by first then second's order."""
    codes, _ = pd.factorize(second, sort=True)
    return np.asarray(first, dtype=np.int64) * (int(codes.max()) + 1) + codes


def _no_missing(data: pd.DataFrame, column: str, role: str) -> None:
    na = data[column].isna()
    if na.any():
        rows = list(data.index[na][:5])
        raise DesignError(
            f"design column {column!r} ({role}) is missing for {int(na.sum())} rows "
            f"(rows {rows}...); every respondent needs a {role} (fill it in or drop the rows)"
        )


def svydesign(
    data: pd.DataFrame,
    *,
    weights: str | None = None,
    strata: str | None = None,
    clusters: str | list[str] | None = None,
    fpc: str | list[str] | None = None,
    nest: bool = False,
    lonely_psu: LonelyPsu = "fail",
) -> Design:
    """Declare a survey design on ``data`` (R ``svydesign``).

    Parameters
    ----------
    data
        One row per respondent (not modified).
    weights
        Base (sampling) weight column; None = from the fpc (``n/N`` per stage) or equal weights.
    strata
        Stage-1 stratum column (None = one stratum).
    clusters
        Stage-1 cluster (PSU) id column, or ``[psu, ssu]`` for two stages; None = every
        respondent is its own PSU (R ``ids = ~1``).
    fpc
        Finite-population correction per stage: population size (all >= 1) or sampling fraction
        (all <= 1), constant within a stratum (stage 1) or PSU (stage 2).
    nest
        Cluster ids repeat across strata and are only unique within them (R ``nest = TRUE``).
    lonely_psu
        What a stratum with a single PSU contributes to the variance (see the module notes).

    Returns
    -------
    Design

    Raises
    ------
    DesignError
        A design column is missing for some rows, a cluster id appears in two strata without
        ``nest``, an fpc varies within a stratum, is below the sample size or mixes sizes and
        fractions, or a weight is not positive.

    Notes
    -----
    In R: ``svydesign(ids = ~psu + ssu, strata = ~strata, weights = ~w, fpc = ~fpc1 + fpc2,
    nest = nest, data = data)``.
    """
    if lonely_psu not in LONELY_PSU:
        raise ArgumentError(
            f"`lonely_psu` must be one of {', '.join(LONELY_PSU)}; got {lonely_psu!r}"
        )
    ids = [clusters] if isinstance(clusters, str) else list(clusters or [])
    fpcs = [fpc] if isinstance(fpc, str) else list(fpc or [])
    if len(ids) > 2:
        raise ArgumentError(f"`clusters` has {len(ids)} stages ({ids}); one or two are supported")
    if fpcs and len(fpcs) != max(len(ids), 1):
        raise ArgumentError(
            f"`fpc` names {len(fpcs)} columns ({fpcs}) for {max(len(ids), 1)} sampling "
            "stage(s); give one fpc column per stage of `clusters`"
        )
    roles = [(weights, "weights", "weight"), (strata, "strata", "stratum")]
    roles += [(c, "clusters", "cluster id") for c in ids] + [(c, "fpc", "fpc") for c in fpcs]
    for col, argument, role in roles:
        if col is not None:
            check_column(data, col, argument)
            _no_missing(data, col, role)
    n = len(data)
    if n == 0:
        raise DesignError("the data have no rows; a design needs respondents")
    if strata is not None:
        scodes, slabels = _codes(data[strata])
    else:
        scodes, slabels = np.zeros(n, dtype=np.int64), [1]
    id_cols = [data[c] for c in ids] if ids else [pd.Series(np.arange(n), index=data.index)]
    if nest and strata is not None:
        psu_key = pd.Series(_pair_codes(scodes, id_cols[0]), index=data.index)
    else:
        psu_key = id_cols[0]
    psu, _ = _codes(psu_key)
    psu_strata = pd.DataFrame({"p": psu, "s": scodes}).drop_duplicates()
    if psu_strata["p"].duplicated().any():
        bad = id_cols[0].iloc[
            int(np.flatnonzero(psu == psu_strata.loc[psu_strata["p"].duplicated(), "p"].iloc[0])[0])
        ]
        raise DesignError(
            f"cluster id {bad!r} of column {ids[0]!r} appears in more than one stratum of "
            f"{strata!r}; ids that repeat across strata need nest: true (R nest = TRUE)"
        )
    n_psu = np.bincount(psu_strata["s"].to_numpy(), minlength=len(slabels))
    ssu = n_ssu = None
    if len(ids) == 2:
        ssu, _ = _codes(pd.Series(_pair_codes(psu, id_cols[1]), index=data.index))
        ssu_psu = pd.DataFrame({"u": ssu, "p": psu}).drop_duplicates()
        n_ssu = np.bincount(ssu_psu["p"].to_numpy(), minlength=int(psu.max()) + 1)
    pop_psu = pop_ssu = None
    prob = np.ones(n)
    if fpcs:
        vals = [data[c].to_numpy(dtype=float) for c in fpcs]
        allv = np.concatenate(vals)
        is_size = bool((allv > 1).any())
        if is_size and (allv < 1).any():
            raise DesignError(
                f"fpc columns {fpcs} mix population sizes (> 1) and sampling fractions (< 1); "
                "give all as sizes or all as fractions"
            )
        groups = [(scodes, n_psu, len(slabels), "stratum")]
        if ssu is not None:
            groups.append((psu, n_ssu, int(psu.max()) + 1, f"PSU ({ids[0]})"))
        pops = []
        for col, v, (g, sampled, size, what) in zip(fpcs, vals, groups, strict=True):
            first = np.full(size, np.nan)
            first[g] = v
            if not np.allclose(first[g], v):
                raise DesignError(
                    f"fpc column {col!r} varies within a {what}; it must be constant there "
                    "(the population size of the stratum or PSU)"
                )
            pop = first if is_size else sampled / first
            if (pop[np.unique(g)] < sampled[np.unique(g)] - 1e-9).any():
                raise DesignError(
                    f"fpc column {col!r} is smaller than the number of units sampled in a "
                    f"{what} (more than 100% sampled); check the population sizes"
                )
            pops.append(pop)
            prob = prob * (sampled[g] / pop[g])
        pop_psu = pops[0]
        pop_ssu = pops[1] if len(pops) == 2 else None
    if weights is not None:
        w = data[weights].to_numpy(dtype=float)
        if (w <= 0).any() or not np.isfinite(w).all():
            row = data.index[int(np.flatnonzero(~(w > 0) | ~np.isfinite(w))[0])]
            raise DesignError(
                f"weight column {weights!r} has a value that is not a positive number (row "
                f"{row!r}: {data[weights].loc[row]!r}); weights must be > 0"
            )
    else:
        w = 1.0 / prob
    desc = [
        "stratified" if strata else "unstratified",
        (f"{len(ids)}-stage cluster sample" if ids else "sample of individuals"),
        f"weights {weights!r}"
        if weights
        else ("weights from the fpc" if fpcs else "equal weights"),
    ]
    text = (
        f"Design: {desc[0]} {desc[1]}"
        + (f" (strata {strata!r}, {len(slabels)} strata)" if strata else "")
        + (f", clusters {' > '.join(repr(c) for c in ids)}" if ids else "")
        + (f", finite-population correction {', '.join(repr(c) for c in fpcs)}" if fpcs else "")
        + f", {desc[2]}; a stratum with one PSU: {lonely_psu}."
    )
    return Design(
        index=data.index,
        weights=w,
        strata=scodes,
        psu=psu,
        n_psu=n_psu,
        pop_psu=pop_psu,
        ssu=ssu,
        n_ssu=n_ssu,
        pop_ssu=pop_ssu,
        lonely_psu=lonely_psu,
        stratum_labels=tuple(slabels),
        description=(text,),
    )


# ---- calibration ---------------------------------------------------------------------------
def _cell_labels(data: pd.DataFrame, cells: list[str]) -> pd.Series:
    for c in cells:
        check_column(data, c, "calibration variable")
        _no_missing(data, c, "calibration cell")
    if len(cells) == 1:
        return data[cells[0]].astype(str)
    return data[cells].astype(str).agg(" x ".join, axis=1)


def _population(population, cells: list[str]) -> dict[str, float]:
    """Population totals as ``{cell label: N}`` from a dict or a DataFrame (cells + total)."""
    if isinstance(population, pd.DataFrame):
        total = [c for c in population.columns if c not in cells]
        if len(total) != 1 or any(c not in population.columns for c in cells):
            raise ArgumentError(
                f"population table has columns {list(population.columns)}; it needs the cell "
                f"columns {cells} and one column of population totals"
            )
        keys = population[cells].astype(str).agg(" x ".join, axis=1)
        out = dict(zip(keys, population[total[0]].astype(float), strict=True))
    else:
        out = {
            (" x ".join(map(str, k)) if isinstance(k, tuple) else str(k)): float(v)
            for k, v in dict(population).items()
        }
    bad = sorted(k for k, v in out.items() if not (np.isfinite(v) and v > 0))
    if bad:
        raise DesignError(f"population totals must be positive numbers; cells {bad} are not")
    return out


def _poststratified(design: Design, labels: pd.Series, totals: dict, what: str):
    present = labels.unique()
    unknown = sorted(set(present) - set(totals))
    if unknown:
        raise DesignError(
            f"{what}: cells {unknown} occur in the data but have no population total; add "
            f"them to the population totals (known cells: {sorted(totals)})"
        )
    empty = sorted(set(totals) - set(present))
    if empty:
        raise DesignError(
            f"{what}: cells {empty} have a population total but no respondent; merge them "
            "with a neighbouring cell (R: postStratify stops with 'Some strata absent from sample')"
        )
    codes, uniques = _codes(labels)
    sample = np.bincount(codes, weights=design.weights)
    pop = np.array([totals[u] for u in uniques])
    new = design.weights * (pop / sample)[codes]
    return codes, new


def poststratify(design: Design, data: pd.DataFrame, cells: str | list[str], population) -> Design:
    """Post-stratify ``design`` to known population counts of ``cells`` (R ``postStratify``).

    Parameters
    ----------
    design, data
        The design and the data it was built on.
    cells
        One column or several (their combinations are the post-strata).
    population
        ``{cell: N}`` (a tuple key per combination for several columns) or a DataFrame with the
        cell columns and one column of totals (e.g. read from a CSV next to the instrument).

    Returns
    -------
    Design
        New weights :math:`w_i N_c / \\hat N_c`, :math:`\\hat N_c = \\sum_{i \\in c} w_i`.

    Raises
    ------
    DesignError
        A cell of the data has no total (unknown cell), a total has no respondent, or a total is
        not positive.

    Notes
    -----
    In R: ``postStratify(design, ~a + b, data.frame(a = ..., b = ..., Freq = N))``.
    """
    cells = [cells] if isinstance(cells, str) else list(cells)
    _aligned(design, data)
    totals = _population(population, cells)
    codes, new = _poststratified(design, _cell_labels(data, cells), totals, "post-stratification")
    step = _Calibration("poststratify", ((codes, design.weights, new),))
    text = f"Post-stratified on {' x '.join(repr(c) for c in cells)} to {len(totals)} population counts."
    return replace(
        design, weights=new, calibration=design.calibration + (step,),
        description=design.description + (text,),
    )  # fmt: skip


def rake(
    design: Design,
    data: pd.DataFrame,
    margins: list[tuple[str | list[str], object]],
    *,
    epsilon: float = 1.0,
    max_iter: int = 10,
) -> Design:
    """Rake ``design`` to several population margins (iterative proportional fitting, R ``rake``).

    Parameters
    ----------
    margins
        ``[(cells, population), ...]``: each as in :func:`poststratify`.
    epsilon
        Convergence tolerance on the largest change of a weighted cross-classification count
        between sweeps; below 1 it is relative to the sum of the weights (R ``control$epsilon``).
    max_iter
        Sweeps allowed (R ``control$maxit``).

    Raises
    ------
    DesignError
        Unknown or empty cells (as :func:`poststratify`), or no convergence within ``max_iter``
        sweeps (R only warns; an unconverged weight is not published here).

    Notes
    -----
    Each sweep post-stratifies on every margin in turn. The variance uses the last sweep's
    margins, 10 rounds of residuals, as R ``svyrecvar``. In R:
    ``rake(design, list(~a, ~b), list(pop_a, pop_b), control = list(maxit, epsilon))``.
    """
    _aligned(design, data)
    if not margins:
        raise ArgumentError("`margins` is empty; give at least one (cells, population) pair")
    specs = []
    for cells, population in margins:
        cells = [cells] if isinstance(cells, str) else list(cells)
        specs.append((cells, _cell_labels(data, cells), _population(population, cells)))
    all_cells = sorted({c for cells, _, _ in specs for c in cells})
    joint, _ = _codes(_cell_labels(data, all_cells))
    tol = epsilon * design.weights.sum() if epsilon < 1 else epsilon
    w = design.weights
    old_table = np.bincount(joint, weights=w)
    for sweep in range(1, max_iter + 1):
        steps = []
        for cells, labels, totals in specs:
            d = replace(design, weights=w)
            codes, new = _poststratified(d, labels, totals, f"raking margin {' x '.join(cells)}")
            steps.append((codes, w, new))
            w = new
        new_table = np.bincount(joint, weights=w)
        delta = float(np.abs(new_table - old_table).max())
        done = sweep
        if delta < tol:
            break
        old_table = new_table
    else:
        raise DesignError(
            f"raking did not converge in {max_iter} sweeps (largest change {delta:.4g} > "
            f"tolerance {tol:.4g}); raise max_iter, loosen epsilon, or collapse sparse cells"
        )
    step = _Calibration("rake", tuple(steps))
    text = (
        f"Raked to {len(specs)} margins ({'; '.join(' x '.join(c) for c, _, _ in specs)}), "
        f"converged in {done} sweeps (tolerance {tol:.3g})."
    )
    return replace(
        design, weights=w, calibration=design.calibration + (step,),
        description=design.description + (text,),
    )  # fmt: skip


def calibrate(
    design: Design,
    data: pd.DataFrame,
    *,
    total: float,
    categorical: dict[str, dict] | None = None,
    numeric: dict[str, float] | None = None,
) -> Design:
    """Linear (GREG) calibration to a population size, category counts and numeric totals.

    Parameters
    ----------
    total
        Population size :math:`N` (the intercept's total).
    categorical
        ``{column: {level: N_level}}`` with every level of the column.
    numeric
        ``{column: population total}``.

    Notes
    -----
    With calibration variables :math:`X` (intercept, level indicators, numeric columns),
    :math:`g_i = 1 + x_i^\\top (X^\\top W X)^{-1} (T - \\hat T)` and new weights
    :math:`g_i w_i`; variances use the weighted least-squares residuals of the linearised values
    on :math:`X`. In R: ``calibrate(design, ~a + x, c(`(Intercept)` = N, aB = ..., x = T))``
    (linear, unbounded).
    """
    _aligned(design, data)
    cols = [np.ones(design.n)]
    target = [float(total)]
    names = ["(Intercept)"]
    for col, levels in (categorical or {}).items():
        totals = _population(levels, [col])
        labels = _cell_labels(data, [col])
        unknown = sorted(set(labels.unique()) - set(totals))
        if unknown:
            raise DesignError(f"calibration on {col!r}: levels {unknown} have no population total")
        for lev in sorted(totals)[1:]:
            cols.append((labels == lev).to_numpy(dtype=float))
            target.append(totals[lev])
            names.append(f"{col}={lev}")
    for col, t in (numeric or {}).items():
        check_column(data, col, "calibration variable")
        _no_missing(data, col, "calibration value")
        cols.append(data[col].to_numpy(dtype=float))
        target.append(float(t))
        names.append(col)
    x = np.column_stack(cols)
    w = design.weights
    gram = (x * w[:, None]).T @ x
    try:
        lam = np.linalg.solve(gram, np.asarray(target) - (x * w[:, None]).sum(axis=0))
    except np.linalg.LinAlgError:
        raise DesignError(
            f"calibration variables {names[1:]} are collinear (or a level has no respondent); "
            "drop one of them"
        ) from None
    g = 1.0 + x @ lam
    if (g <= 0).any():
        raise DesignError(
            f"linear calibration gives {int((g <= 0).sum())} negative weights; the targets are "
            "too far from the sample (use raking, or collapse cells)"
        )
    half = np.sqrt(w)
    step = _Calibration("greg", x=x, half=half, g_half=g * half)
    text = f"Linear (GREG) calibration to totals of {', '.join(names)}."
    return replace(
        design, weights=w * g, calibration=design.calibration + (step,),
        description=design.description + (text,),
    )  # fmt: skip


# ---- estimation ----------------------------------------------------------------------------
def _aligned(design: Design, data: pd.DataFrame) -> None:
    if not isinstance(design, Design):
        raise ArgumentError(
            f"`design` must be a Design (from svydesign); got {type(design).__name__}"
        )
    if len(data) != design.n or not data.index.equals(design.index):
        raise ArgumentError(
            "`data` is not the data the design was built on (different rows or index); build "
            "the design with svydesign(data, ...) on this very table"
        )


def _t(confidence: float, df: float) -> float:
    level = check_level(confidence)
    return (
        float(ss.t.ppf(0.5 + level / 2, df))
        if np.isfinite(df)
        else float(ss.norm.ppf(0.5 + level / 2))
    )


def _values(data: pd.DataFrame, column: str) -> np.ndarray:
    col = data[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.where(col.isna(), np.nan, col.cat.codes.to_numpy(dtype=float) + 1.0)
    try:
        return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"column {column!r} is not numeric (dtype {col.dtype}); design means, totals and "
            "quantiles need numbers or an ordered categorical"
        ) from None


def _present_codes(col: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (-1 = NA) over the categories present (R ``factor(x)`` drops unused
    levels); by counting codes, as pandas' ``remove_unused_categories`` sorts the whole column."""
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    codes = cat.cat.codes.to_numpy().astype(np.int64)
    used = np.bincount(codes[codes >= 0], minlength=len(cat.cat.categories)) > 0
    lut = np.full(len(used) + 1, -1)
    lut[:-1][used] = np.arange(int(used.sum()))
    return lut[codes], [c for c, u in zip(cat.cat.categories, used, strict=True) if u]


def _group_codes(data: pd.DataFrame, by: str | None) -> tuple[np.ndarray, list]:
    """Group code per row (-1 = no group) and the labels of the groups present in ``data``."""
    if by is None:
        return np.zeros(len(data), dtype=np.int64), [None]
    check_column(data, by, "by")
    return _present_codes(data[by])


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


def _share_interval(p: float, se: float, method: str, confidence: float, df: float, n_rows: int):
    """R ``svyciprop`` limits from the estimate, its SE and the degrees of freedom."""
    if not (np.isfinite(p) and np.isfinite(se)) or df <= 0:
        return np.nan, np.nan
    if p in (0.0, 1.0) or se == 0:
        return p, p
    t = _t(confidence, df)
    if method == "mean":
        return p - t * se, p + t * se
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


def _check_share_method(method: str) -> None:
    if method not in SHARE_METHODS:
        raise ArgumentError(
            f"`method` {method!r} is not a design-based interval; use one of "
            f"{', '.join(SHARE_METHODS)} (R svyciprop; 'likelihood' is not implemented)"
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
        ``"logit"`` (default, R's), ``"xlogit"``, ``"asin"``, ``"beta"`` (Korn-Graubard) or
        ``"mean"`` (Wald).

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`svy_mean` with ``statistic="share"`` (a share in [0, 1]).

    Notes
    -----
    Logit: :math:`\\mathrm{expit}(\\mathrm{logit}\\,\\hat p \\pm t_{df} SE/(\\hat p(1-\\hat p)))`;
    asin: :math:`\\sin^2(\\arcsin\\sqrt{\\hat p} \\pm t_{df} SE / (2\\sqrt{\\hat p(1-\\hat p)}))`;
    beta: Beta quantiles with the effective size
    :math:`n^* = \\hat p(1-\\hat p)/SE^2 \\cdot (t_{n-1}/t_{df})^2`. ``df`` is the design
    degrees of freedom of the group (the whole design without ``by``). In R:
    ``svyciprop(~y, design, method = "logit", na.rm = TRUE)``.
    """
    _check_share_method(method)
    out = svy_mean(data, design, column, by=by, confidence=confidence, missing=missing)
    g, _ = _group_codes(data, by)
    rows_in = np.bincount(g[g >= 0], minlength=len(out))
    limits = [
        _share_interval(r.estimate, r.se, method, confidence, r.df, int(rows_in[i]))
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
                est[j, i], se[j, i], method, confidence, df[j], int(rows_in[j])
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
                pl, pu = _share_interval(p, se_p, interval, confidence, df, int(dom.sum()))
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


# ---- design-based tests --------------------------------------------------------------------
def _factor(data: pd.DataFrame, column: str) -> tuple[np.ndarray, list]:
    """Codes of the levels present (R ``factor(x)``: unused levels dropped), -1 = NA."""
    check_column(data, column, "column")
    return _present_codes(data[column])


def _test_row(**values) -> dict:
    return dict.fromkeys(TEST_COLUMNS, np.nan) | values


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
        return _test_frame(
            [_test_row(**base, test="none", reason="fewer than two groups or answers")]
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
        return _test_frame(
            [
                _test_row(
                    **base, test="Rao-Scott F (design-based chi-square)", reason=reason,
                    statistic=f, df=d0, df_denominator=d0 * nu,
                    p_value=float(ss.f.sf(f, d0, d0 * nu)),
                    effect_size=v_eff, effect_measure="Cramer's V (weighted)",
                )
            ]
        )  # fmt: skip
    k = delta.shape[0]
    chisq = pearson / (tr / k)
    return _test_frame(
        [
            _test_row(
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


def _test_frame(rows: list[dict]) -> pd.DataFrame:
    return test_frame(rows)


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
    return _test_frame([_ranktest(*_sorted(design, y_all, gc), glev, test, outcome, by)])


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
        return _test_row(**base, test="none", reason="fewer than two groups with answers")
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
        return _test_row(
            **base, test=f"design-based {name} rank test (t)", reason=reason,
            statistic=t, df=float(degf - 1),
            p_value=float(2 * ss.t.sf(abs(t), degf - 1)), effect_size=float(beta[1]),
            effect_measure=f"difference in mean rank score ({glev[present[1]]} - {glev[present[0]]})",
        )  # fmt: skip
    b = beta[1:]
    chisq = float(b @ np.linalg.solve(v[1:, 1:], b))
    ndf = len(present) - 1
    ddf = degf - ndf
    return _test_row(
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
    p-values adjusted within the family by ``p_adjust`` (:func:`statsmodels.stats.multitest
    .multipletests`).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_1, group_2, t, df, p_value, p_adjusted, adjust_method,
        effect_size`` (difference in mean rank score, ``group_1 - group_2``, the sign of
        :func:`giftreview.analysis.stats.dunn_test`), ``effect_measure``, ``test``.

    Notes
    -----
    In R: ``svyranktest(y ~ g, subset(design, g %in% c(a, b)))`` for each pair, then
    ``p.adjust(p, "holm")``.
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
    overall = _test_frame(
        [_ranktest(d_sorted, y_sorted, g_sorted, glev, overall_test, outcome, by)]
    )
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
    cols = ["group_1", "group_2", "t", "df", "p_value", "effect_size"]
    out = pd.DataFrame(rows, columns=cols)
    out["p_adjusted"] = _adjust(out["p_value"].to_numpy(dtype=float), p_adjust)
    out["adjust_method"] = p_adjust
    out["effect_measure"] = "difference in mean rank score (group_1 - group_2)"
    out["test"] = f"design-based {test} rank test"
    return overall, out


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values. Holm by hand: statsmodels' ``multipletests(method=
    "holm")`` calls ``gc.collect()`` (half a second with a million-row table in memory); other
    methods go to statsmodels."""
    if len(p) == 0:
        return p
    if method != "holm":
        from statsmodels.stats.multitest import multipletests

        return multipletests(p, method=method)[1]
    order = np.argsort(p)
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = stepped
    return out


# ---- from the instrument -------------------------------------------------------------------
def _design_column(data: pd.DataFrame, name: str, numeric: bool, what: str) -> pd.Series:
    """A design column of the clean data: a question id, a kept raw column or a data column."""
    for col in (name, f"{EXTRA_PREFIX}{name}"):
        if col in data.columns:
            values = data[col]
            if not numeric:
                return values
            out = pd.to_numeric(values.astype("string").str.strip(), errors="coerce")
            bad = out.isna() & values.notna()
            if bad.any():
                row = data.index[bad.to_numpy()][0]
                raise DesignError(
                    f"design {what} column {name!r}: row {row!r} has {values.loc[row]!r}, not a "
                    "number; fix the value in the raw file"
                )
            return out.astype(float)
    raise DesignError(
        f"design {what} column {name!r} is neither a question nor a column of the data "
        f"(raw columns are kept as {EXTRA_PREFIX}<name>); check the instrument's design block"
    )


def _labels_of(instrument, var: str) -> dict[str, str]:
    try:
        return {str(o.code): o.label for o in instrument.levels_of(var)}
    except Exception:  # not a question: the cells are the data's own values
        return {}


def _margin_population(instrument, margin) -> dict:
    """``{cell label: N}`` of one calibration margin (inline or from its CSV)."""
    maps = [_labels_of(instrument, v) for v in margin.variables]
    if margin.population is not None:
        rows = {tuple(str(k).split(" x ")): float(v) for k, v in margin.population.items()}
    else:
        base = instrument.path.parent if instrument.path is not None else None
        path = (base / margin.population_file) if base is not None else None
        if path is None or not path.is_file():
            raise InstrumentError(
                f"design.calibration: population_file {margin.population_file!r} not found next "
                "to the instrument; put the CSV of population totals there",
                path=instrument.path,
            )
        table = pd.read_csv(path, dtype=str)
        missing_cols = [v for v in margin.variables if v not in table.columns]
        totals = [c for c in table.columns if c not in margin.variables]
        if missing_cols or len(totals) != 1:
            raise InstrumentError(
                f"{path.name}: columns {list(table.columns)}; it needs the columns "
                f"{margin.variables} and one column of population totals",
                path=instrument.path,
            )
        rows = {}
        for i, r in table.iterrows():
            try:
                rows[tuple(str(r[v]).strip() for v in margin.variables)] = float(r[totals[0]])
            except ValueError:
                raise InstrumentError(
                    f"{path.name}: row {i + 2}, column {totals[0]!r}: {r[totals[0]]!r} is not a "
                    "number",
                    path=instrument.path,
                ) from None
    out = {}
    for key, value in rows.items():
        labels = tuple(m.get(k, k) for m, k in zip(maps, key, strict=False))
        out[" x ".join(labels)] = value
    return out


def design_from_instrument(data: pd.DataFrame, instrument) -> Design:
    """The design declared in the instrument's ``design:`` block, built on the clean ``data``.

    Design columns name a question id or a raw column (kept in the clean data as
    ``extra__<name>``); population totals come inline or from a CSV next to the instrument,
    their cells as option codes or labels. Without a ``design:`` block but with ``contacted``
    totals, the design is the one-stage post-stratification on ``group_by`` (R
    ``postStratify(svydesign(ids = ~1, weights = ~1), ~group, contacted)``).

    Raises
    ------
    DesignError
        A design column is unknown, missing for some rows or not numeric; a cell has no total.
    """
    spec = instrument.design
    if spec is None:
        if instrument.contacted is None or instrument.group_by is None:
            raise ArgumentError(
                "the instrument declares no design: add a design: block (weights, strata, "
                "clusters, fpc, calibration) or contacted: totals for group_by"
            )
        by = instrument.group_by
        labels = _labels_of(instrument, by)
        totals = {labels[str(k)]: float(v) for k, v in instrument.contacted.items()}
        frame = pd.DataFrame({by: data[by]}, index=data.index)
        d = svydesign(frame)
        text = "Design: each respondent an independent draw with equal base weights (ids = ~1)."
        return poststratify(replace(d, description=(text,)), frame, by, totals)
    cols: dict[str, pd.Series] = {}
    if spec.weights:
        cols["w"] = _design_column(data, spec.weights, True, "weights")
    if spec.strata:
        cols["s"] = _design_column(data, spec.strata, False, "strata")
    for i, c in enumerate(spec.clusters):
        cols[f"c{i}"] = _design_column(data, c, False, "clusters")
    for i, c in enumerate(spec.fpc):
        cols[f"f{i}"] = _design_column(data, c, True, "fpc")
    frame = pd.DataFrame(cols, index=data.index)
    named = {"w": spec.weights, "s": spec.strata}
    named |= {f"c{i}": c for i, c in enumerate(spec.clusters)}
    named |= {f"f{i}": c for i, c in enumerate(spec.fpc)}
    try:
        d = svydesign(
            frame,
            weights="w" if spec.weights else None,
            strata="s" if spec.strata else None,
            clusters=[f"c{i}" for i in range(len(spec.clusters))] or None,
            fpc=[f"f{i}" for i in range(len(spec.fpc))] or None,
            nest=spec.nest,
            lonely_psu=spec.lonely_psu,
        )
    except DesignError as err:  # name the instrument's columns, not the internal ones
        text = str(err)
        for short, name in named.items():
            text = text.replace(f"'{short}'", repr(name))
        raise DesignError(text) from None
    d = replace(d, description=tuple(_rename(t, named) for t in d.description))
    cal = spec.calibration
    if cal is None:
        return d
    cells = {
        v: _design_column(data, v, False, "calibration").astype("string")
        for m in cal.margins
        for v in m.variables
    }
    cframe = pd.DataFrame(cells, index=data.index)
    margins = [(m.variables, _margin_population(instrument, m)) for m in cal.margins]
    if cal.method == "poststratify":
        return poststratify(d, cframe, *margins[0])
    if cal.method == "rake":
        return rake(d, cframe, margins, epsilon=cal.epsilon, max_iter=cal.max_iter)
    categorical = {m[0][0]: m[1] for m in margins}
    total = cal.total or sum(next(iter(categorical.values())).values())
    numeric_frame = pd.DataFrame(
        {c: _design_column(data, c, True, "calibration") for c in cal.numeric}, index=data.index
    )
    return calibrate(
        d, pd.concat([cframe, numeric_frame], axis=1), total=total, categorical=categorical,
        numeric=dict(cal.numeric),
    )  # fmt: skip


def _rename(text: str, named: dict) -> str:
    for short, name in named.items():
        if name:
            text = text.replace(f"'{short}'", repr(name))
    return text


def weighted_data(
    data: pd.DataFrame, instrument, *, weights: bool = False, by: str | None = None
) -> tuple[pd.DataFrame, Design | None]:
    """The data and, when weighted, their design (what reports and the CLI use).

    Weighted when ``weights`` is on or the instrument declares a ``design:``; otherwise
    ``(data, None)``. Post-stratified to ``contacted`` (no design block), a respondent without
    a post-stratum (``by``, default ``group_by``, missing) cannot be weighted and is left out
    (reports say how many).
    """
    if not weights and instrument.design is None:
        return data, None
    by = by or instrument.group_by
    if instrument.design is None and by:
        data = data[data[by].notna()].reset_index(drop=True)
    return data, design_from_instrument(data, instrument)
