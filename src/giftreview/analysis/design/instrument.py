"""The design an instrument declares (its ``design:`` block), built on the clean data."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from giftreview.analysis.design.calibration import calibrate, poststratify, rake
from giftreview.analysis.design.core import Design, DesignError, svydesign
from giftreview.data.clean import EXTRA_PREFIX
from giftreview.errors import ArgumentError, InstrumentError

__all__ = ["design_from_instrument", "weighted_data"]


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
