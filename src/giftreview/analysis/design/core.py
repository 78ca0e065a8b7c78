"""The survey design object and its variance (R ``svydesign``, ``svyrecvar``).

See :mod:`giftreview.analysis.design` for the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from giftreview.errors import ArgumentError, DataValidationError, check_column

__all__ = ["DesignError", "LonelyPsu", "LONELY_PSU", "Design", "Linearised", "svydesign"]

LonelyPsu = Literal["fail", "remove", "certainty", "adjust", "average"]
#: the choices of R's ``options(survey.lonely.psu)``
LONELY_PSU: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")


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
