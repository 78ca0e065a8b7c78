"""Calibration of a design: post-stratification, raking and linear (GREG) calibration
(R ``postStratify``, ``rake``, ``calibrate``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from giftreview.analysis.design.core import (
    Design,
    DesignError,
    _aligned,
    _Calibration,
    _codes,
    _no_missing,
)
from giftreview.errors import ArgumentError, check_column

__all__ = ["poststratify", "rake", "calibrate"]


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
