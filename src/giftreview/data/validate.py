"""Validation: every problem of a raw export at once, as a table.

The rules come from the instrument: :class:`~giftreview.data.rules.Rules` reads one raw cell the
way cleaning will, and :mod:`giftreview.data.readings` reads whole columns with them, so the
validation report and the cleaning audit always agree.
:func:`validate_raw` collects, in one pass and without stopping at the first:

* file-level notes from reading (ragged rows, blank or repeated header names);
* structure: header names differing only in case/spaces, extra columns (kept), optional
  question columns that are absent (set missing); a missing *required* column stops with a
  :class:`~giftreview.errors.DataValidationError` naming the closest columns present;
* cell values (unknown labels with the closest valid labels suggested by rapidfuzz,
  out-of-range codes, unreadable counts and dates, cells over :data:`MAX_CELL_CHARS`);
* normalisations worth a look (counts written as ranges or words, "Other" text without the
  "Other" option, non-ISO dates);
* rows set aside: all blank, no id, exact duplicates, near-duplicates (same id; the latest
  submission is kept).

Columns of the report (``validation.csv``): see :data:`VALIDATION_COLUMNS`.

Work is per distinct value per column, never per cell
(:func:`~giftreview.data.readings.read_columns`): survey columns
hold few distinct spellings, so each is read once by :class:`Rules` and the result is broadcast
to the rows with whole-column joins; open text is normalised by vectorised string kernels
(:mod:`giftreview.data.columns`); duplicate rows are found by hashing. The problems and the
audit rows are frames built from those readings. The clean table's own contract is a pandera
schema (:mod:`giftreview.data.schema`).
rapidfuzz only *suggests* labels in messages; nothing is ever mapped by similarity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from rapidfuzz import fuzz, process

from giftreview.data.columns import strip, to_arrow
from giftreview.data.fastcsv import Sizes
from giftreview.data.instrument import Instrument, load_instrument
from giftreview.data.io import RawSource, StreamDeclined, open_raw
from giftreview.data.quarantine import (
    RowKeys,
    blank_rows,
    duplicate_cells,
    plan_from_keys,
    quarantine_plan,
    row_keys,
)
from giftreview.data.readings import (
    ColumnRead,
    expected_columns,
    read_column,
    read_columns,
    too_long_problems,
)
from giftreview.data.rules import SEVERITY, Problem, Rule, Rules, norm_key, short
from giftreview.errors import DataValidationError, InputFileError

__all__ = [
    "VALIDATION_COLUMNS",
    "required_columns",
    "check_structure",
    "row_ids",
    "cell_issues",
    "quarantine_plan",
    "validate_raw",
    "BLOCK_ROWS",
    "ramped",
    "Scan",
    "scan_source",
    "validate_source",
    "run_validation",
    "validate_file",
    "validation_lines",
    "rule_counts",
    "rule_counts_table",
]

VALIDATION_COLUMNS = [
    "file",
    "source_row",
    "respondent_id",
    "column",
    "value",
    "rule",
    "severity",
    "action",
    "message",
]


# ---- structure --------------------------------------------------------------------------------
def required_columns(instrument: Instrument) -> list[str]:
    """Raw columns without which a file cannot be cleaned: the id and required questions."""
    return [instrument.raw.respondent_id] + [
        q.raw_column for q in instrument.questions if q.required
    ]


def check_structure(
    data: pd.DataFrame, instrument: Instrument, file: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Match header names to the instrument; report extra and absent columns.

    Returns the data with headers renamed where they differ only in case/spaces, and the issues.
    Raises :class:`DataValidationError` when required columns are absent, listing for each the
    closest names present (rapidfuzz).
    """
    expected = expected_columns(instrument)
    by_key = {norm_key(c): c for c in expected}
    rename, issues = {}, []
    for col in data.columns:
        target = by_key.get(norm_key(col))
        if target is not None and target != col and target not in data.columns:
            rename[col] = target
            issues.append(
                _column_issue(
                    file,
                    target,
                    Rule.HEADER_RENAMED,
                    "normalised",
                    f"header {col!r} read as {target!r} (case/spaces differ)",
                    value=col,
                )
            )
    data = data.rename(columns=rename)
    absent = [c for c in required_columns(instrument) if c not in data.columns]
    if absent:
        raise DataValidationError(_absent_message(file, absent, list(data.columns), instrument))
    for col in data.columns:
        if col not in expected:
            issues.append(
                _column_issue(
                    file,
                    col,
                    Rule.EXTRA_COLUMN,
                    "kept",
                    f"column {col!r} is not in the instrument; kept as extra__{col}",
                )
            )
    optional = _optional_columns(instrument)
    for col in expected:
        if col not in data.columns:
            issue = _column_issue(
                file, col, Rule.COLUMN_ABSENT, "set missing", _absent_column_message(col, data)
            )
            if col not in optional:  # a misspelt header must not pass as an empty question
                issue["severity"] = "error"
            issues.append(issue)
    return data, issues


def _optional_columns(instrument: Instrument) -> set[str]:
    """Raw columns an export may leave out: questions marked ``optional: true`` (with their
    'Other' column) and the organization and submission columns."""
    raw = instrument.raw
    out = {c for c in (raw.organization, raw.submitted) if c}
    for q in instrument.questions:
        if q.optional:
            out |= {q.raw_column} | ({q.other_column} if q.other_column else set())
    return out


def _absent_column_message(col: str, data: pd.DataFrame) -> str:
    found = process.extractOne(col, [str(c) for c in data.columns], scorer=fuzz.WRatio)
    near = f"; the closest header is {found[0]!r}" if found and found[1] >= 60 else ""
    return (
        f"column {col!r} is not in the file{near}; its answers are set missing. Rename the "
        "header, set questions.<id>.column in the instrument, or mark the question "
        "'optional: true'"
    )


def _absent_message(file: str, absent: list[str], present: list[str], inst: Instrument) -> str:
    parts = []
    for col in absent:
        found = process.extract(col, present, scorer=fuzz.WRatio, limit=3)
        close = [name for name, score, _ in found if score >= 40]
        near = f" (closest columns present: {', '.join(close)})" if close else ""
        parts.append(f"{col!r}{near}")
    return (
        f"{file}: required column(s) missing: {'; '.join(parts)}. Rename the column in the export "
        f"or set its name in the instrument ({inst.path.name if inst.path else 'instrument'}: "
        "raw.respondent_id / questions.<id>.column). Columns present: "
        f"{', '.join(present[:20])}{' ...' if len(present) > 20 else ''}"
    )


def _issue(file, row, rid, column, value, rule, action, message, severity=None) -> dict[str, Any]:
    if severity is None:
        severity = Problem(rule, message, action).severity if action != "kept" else "warning"
    return {
        "file": file,
        "source_row": row,
        "respondent_id": rid,
        "column": column,
        "value": short(str(value)) if value is not None else None,
        "rule": rule,
        "severity": severity,
        "action": action,
        "message": message,
    }


def _column_issue(
    file: str, column: str, rule: str, action: str, message: str, value: str = ""
) -> dict[str, Any]:
    """An issue about a whole column (no source row, no respondent): see :func:`_issue`."""
    return _issue(file, None, None, column, value, rule, action, message)


# ---- the cell report ---------------------------------------------------------------------------
def row_ids(
    data: pd.DataFrame, instrument: Instrument, pos: np.ndarray | None = None
) -> np.ndarray:
    """The respondent id of the rows at positions ``pos`` (default every row) as written,
    surrounding spaces dropped (object array)."""
    ids = to_arrow(data[instrument.raw.respondent_id].array)
    if pos is not None:  # the rows with a problem only: a Python string each
        ids = ids.take(pa.array(pos, pa.int64()))
    return np.asarray(strip(ids).to_pylist(), dtype=object)


def cell_issues(
    data: pd.DataFrame, instrument: Instrument, reads: dict[str, ColumnRead], file: str
) -> pd.DataFrame:
    """Validation rows for the cells (columns :data:`VALIDATION_COLUMNS`), in file order.

    Within a row: the errors, column by column, then the normalisations worth a look (counts,
    option lists, then dates). Built per distinct spelling and joined to the rows that hold it.
    """
    warn_order = {c: i for i, c in enumerate(_warning_columns(data, instrument))}
    parts = []
    for j, (col, read) in enumerate(reads.items()):
        p = read.problems
        found = []  # only the kinds of problem present: most columns of a block have none
        if read.too_long.any():
            found.append(too_long_problems(read.raw, read.too_long).assign(phase=0, order=j))
        if len(p):
            normalised = (p["action"] == "normalised").to_numpy()
            errors = ~normalised & ~read.too_long[p["u"].to_numpy(np.intp)]
            if errors.any():
                found.append(p[errors].assign(phase=0, order=j))
            if normalised.any():
                found.append(p[normalised].assign(phase=1, order=warn_order.get(col, 0)))
        if found:
            found = pd.concat(found, ignore_index=True)
            parts.append(_broadcast(read, found.assign(seq=np.arange(len(found)))))
    if not parts:
        return pd.DataFrame(columns=VALIDATION_COLUMNS)
    issues = pd.concat(parts, ignore_index=True).sort_values(
        ["pos", "phase", "order", "seq"], kind="stable"
    )
    pos = issues["pos"].to_numpy()
    rule, action = issues["rule"].to_numpy(object), issues["action"].to_numpy(object)
    severity = [
        "warning" if a == "normalised" else SEVERITY.get(r, "error")
        for r, a in zip(rule, action, strict=True)
    ]
    return pd.DataFrame(
        {
            "file": file,
            "source_row": data.index.to_numpy()[pos],
            "respondent_id": row_ids(data, instrument, pos),
            "column": issues["column"].to_numpy(object),
            "value": issues["value"].to_numpy(object),
            "rule": rule,
            "severity": severity,
            "action": action,
            "message": issues["message"].to_numpy(object),
        },
        columns=VALIDATION_COLUMNS,
    )


def _broadcast(read: ColumnRead, found: pd.DataFrame) -> pd.DataFrame:
    """Problems of distinct spellings joined to every row holding them (``pos`` = row position)."""
    u = found["u"].to_numpy(np.intp)
    hit = np.zeros(len(read.raw), dtype=bool)
    hit[u] = True
    pos = np.flatnonzero(hit[read.codes])
    uniq = np.unique(u)
    shown = np.asarray([short(t) for t in read.texts("raw", uniq)], dtype=object)
    found = found.assign(column=read.column, value=shown[np.searchsorted(uniq, u)])
    # the inner join of the rows (pos, u) with the problems on u, in row order and, within a
    # row, in the problems' order (as ``merge`` gives it), by sorting instead of a hash join
    by_u = np.argsort(u, kind="stable")
    first = np.searchsorted(u[by_u], read.codes[pos], side="left")
    many = np.searchsorted(u[by_u], read.codes[pos], side="right") - first
    nth = np.arange(int(many.sum())) - np.repeat(np.cumsum(many) - many, many)
    joined = found.iloc[by_u[np.repeat(first, many) + nth]].reset_index(drop=True)
    joined.insert(0, "pos", np.repeat(pos, many))
    return joined


def _warning_columns(data: pd.DataFrame, instrument: Instrument) -> list[str]:
    cols = [q.raw_column for q in instrument.questions if q.type in ("count", "multi")]
    if instrument.raw.submitted:
        cols.append(instrument.raw.submitted)
    return [c for c in cols if c in data.columns]


# ---- the whole report -------------------------------------------------------------------------
#: rows read, validated and cleaned at a time (:func:`scan_source`, :func:`validate_source`,
#: :func:`giftreview.data.clean.clean_wave`): memory grows with the block, not with the file.
#: The peak of a 1M clean is about proportional to it (100,000: 1.83-1.90 GB; 75,000: 1.52-1.62;
#: 60,000: 1.43-1.49) and the time is not (docs/performance.md, seventh round)
BLOCK_ROWS = 60_000


def ramped(total: int, rows: int) -> list[int]:
    """Sizes of the blocks of ``total`` rows for a pass whose blocks are written by other
    threads meanwhile: ``rows`` each, but a quarter of that for the first and the last, so the
    writers start sooner after the first block and finish sooner after the last (one block of
    ``rows`` when the file holds no more; the outputs are the same whatever the sizes)."""
    if total <= rows:
        return [rows]
    small = max(1, rows // 4)
    middle = total - 2 * small
    rest = [middle % rows] if middle % rows else []
    return [small, *[rows] * (middle // rows), *rest, small]


def validate_raw(raw, instrument: Instrument) -> pd.DataFrame:
    """Every problem of a :class:`~giftreview.data.io.RawTable` at once (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per problem, columns :data:`VALIDATION_COLUMNS`, in file order (file-level first).
    """
    return run_validation(raw, instrument, Rules(instrument))[0]


def run_validation(
    raw, instrument: Instrument, rules: Rules
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, ColumnRead]]:
    """``(report, data, plan, reads)`` of a whole table read as one block: the report, the data
    with headers matched to the instrument, the :func:`quarantine_plan` and the
    :func:`read_columns` (shared with cleaning, so both see the same rows and read each distinct
    spelling once)."""
    scan = scan_source(RawSource(raw), instrument, rules, max(len(raw.data), 1))
    data = raw.data.rename(columns=scan.rename)
    reads = read_columns(data, rules)
    report = pd.concat([scan.head, scan.block_report(data, reads)], ignore_index=True)
    return report, data, scan.plan, reads


@dataclass
class Scan:
    """The first pass over a raw export (:func:`scan_source`): what every block needs to be
    validated and cleaned on its own in the second pass.

    ``source`` the export (read whole if streaming it was declined), ``rename`` the raw header
    names matched to the instrument's, ``head`` the file-level rows of the report, ``plan`` the
    :func:`quarantine_plan` of the whole file, ``rows`` the number of data rows."""

    source: RawSource
    instrument: Instrument
    rename: dict[str, str]
    head: pd.DataFrame
    plan: pd.DataFrame
    rows: int
    row_notes: pd.DataFrame
    first_row: int = 0

    @property
    def file(self) -> str:
        return self.source.table.path.name

    def blocks(self, rows: Sizes) -> Iterator[pd.DataFrame]:
        """The blocks of the source (``rows`` as in :meth:`RawSource.blocks`) with the headers
        matched to the instrument (the second pass: a file that now reads otherwise than in the
        first pass was changed meanwhile)."""
        try:
            for block in self.source.blocks(rows):
                yield block.rename(columns=self.rename)
        except StreamDeclined:
            raise InputFileError(
                "the file changed while it was being read (its records no longer parse as they "
                "did in the first pass); leave it unchanged while the command runs and run it "
                "again",
                path=self.source.table.path,
            ) from None

    def block_report(self, data: pd.DataFrame, reads: dict[str, ColumnRead]) -> pd.DataFrame:
        """The report rows of one block's rows, in file order: notes from reading, cell
        problems, then the quarantine (a problem of a quarantined row is marked so)."""
        lo, hi = (data.index[0], data.index[-1]) if len(data) else (0, -1)
        plan = self.plan[(self.plan.index >= lo) & (self.plan.index <= hi)]
        at = self.row_notes["source_row"]
        first = not len(data) or lo == self.first_row
        notes = self.row_notes[((at >= lo) | first) & (at <= hi)]
        quarantined = pd.DataFrame(
            {
                "file": self.file,
                "source_row": plan["source_row"].to_numpy(),
                "respondent_id": plan["respondent_id"].to_numpy(),
                "column": self.instrument.raw.respondent_id,
                "value": "",
                "rule": plan["reason"].to_numpy(),
                "severity": [
                    Problem(r, "", "quarantined").severity for r in plan["reason"].to_numpy()
                ],
                "action": "quarantined",
                "message": plan["message"].to_numpy(),
            },
            columns=VALIDATION_COLUMNS,
        )
        report = pd.concat(
            [
                notes,
                cell_issues(data, self.instrument, reads, self.file).astype(object),
                quarantined.astype(object),
            ],
            ignore_index=True,
        )
        in_quarantine = report["source_row"].isin(plan.index) & (report["action"] != "quarantined")
        report.loc[in_quarantine, "action"] = "none"
        report.loc[in_quarantine, "message"] = (
            report.loc[in_quarantine, "message"] + " (row quarantined)"
        )
        return _order(report)


def scan_source(source: RawSource, instrument: Instrument, rules: Rules, rows: int) -> Scan:
    """The first pass over ``source``, ``rows`` rows at a time: headers matched to the
    instrument (:func:`check_structure`), the :class:`RowKeys` of every row and from them the
    :func:`quarantine_plan` of the whole file. Only the keys are kept of each block; the
    cells of the rows whose id repeats (the only rows that can be identical) are read again
    when there are any: by their byte offsets (:meth:`RawSource.rows`), or by a second pass
    over the blocks.

    A streamed CSV that pyarrow reads otherwise than :mod:`csv` (a ragged row) is read whole
    instead (nothing has been written yet)."""
    try:
        return _scan(source, instrument, rules, rows)
    except StreamDeclined:
        return _scan(source.in_memory(instrument), instrument, rules, rows)


def _scan(source: RawSource, instrument: Instrument, rules: Rules, rows: int) -> Scan:
    raw = source.table
    file = raw.path.name
    matched, issues = check_structure(raw.data.iloc[:0], instrument, file)
    rename = dict(zip(raw.data.columns, matched.columns, strict=True))
    submitted = instrument.raw.submitted
    # the first pass converts the id and submission columns only; a row blank in those is
    # looked at whole afterwards (below)
    keyed = {instrument.raw.respondent_id, submitted}
    keys = []
    for block in source.blocks(rows, [c for c, m in rename.items() if m in keyed]):
        data = block.rename(columns=rename)
        reads = {submitted: read_column(data, submitted, rules)} if submitted in data else {}
        keys.append(row_keys(data, instrument, reads))
    all_keys = RowKeys.concat(keys)
    del keys

    def each(pos: np.ndarray, how: Callable[[pd.DataFrame, np.ndarray], Any]) -> list:
        """``how(frame, positions in it)`` of the rows at ``pos``: read by their byte offsets,
        without a pass over the file, else from the blocks holding them."""
        picked = source.rows(pos)
        if picked is not None:
            return [how(picked.rename(columns=rename), np.arange(len(pos)))]
        parts, start = [], 0
        for block in source.blocks(rows):
            lo, hi = np.searchsorted(pos, [start, start + len(block)])
            parts.append(how(block.rename(columns=rename), pos[lo:hi] - start))
            start += len(block)
        return parts

    maybe = np.flatnonzero(all_keys.blank)  # blank id (and submission time): blank rows?
    if len(maybe):
        blank = np.concatenate(each(maybe, lambda frame, at: blank_rows(frame.iloc[at])))
        all_keys.blank[maybe] = blank
        all_keys.no_id[maybe] = ~blank  # their ids are blank

    def cells(pos: np.ndarray) -> pd.DataFrame:  # the rows sharing an id, from every block
        return pd.concat(each(pos, duplicate_cells), ignore_index=True)

    notes = pd.DataFrame(list(raw.notes), columns=VALIDATION_COLUMNS, dtype=object)
    at_row = notes["source_row"].notna().to_numpy()
    head = pd.concat(
        [notes[~at_row], pd.DataFrame(issues, columns=VALIDATION_COLUMNS, dtype=object)],
        ignore_index=True,
    )
    return Scan(
        source=source,
        instrument=instrument,
        rename=rename,
        head=_order(head),
        plan=plan_from_keys(all_keys, instrument, cells),
        rows=len(all_keys.rows),
        row_notes=notes[at_row].reset_index(drop=True),
        first_row=int(all_keys.rows[0]) if len(all_keys.rows) else 0,
    )


def validate_source(
    source: RawSource, instrument: Instrument, *, rows: int = BLOCK_ROWS
) -> pd.DataFrame:
    """The report of :func:`validate_raw`, built ``rows`` rows at a time (two passes: the
    :func:`scan_source`, then each block's cells)."""
    rules = Rules(instrument)
    scan = scan_source(source, instrument, rules, rows)
    parts = [scan.head]
    for data in scan.blocks(rows):
        parts.append(scan.block_report(data, read_columns(data, rules)))
    return pd.concat(parts, ignore_index=True)


def _order(report: pd.DataFrame) -> pd.DataFrame:
    report = report.astype({"source_row": "Int64"})
    key = report["source_row"].fillna(-1)
    report = report.assign(_k=key).sort_values(["_k"], kind="stable").drop(columns="_k")
    return report.reset_index(drop=True)


def validate_file(
    raw_path: Path | str,
    instrument: Instrument | Path | str | None = None,
    *,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read ``raw_path`` and report every problem at once (nothing is written).

    Parameters
    ----------
    raw_path
        The raw export (CSV, XLSX or SPSS .sav).
    instrument
        An :class:`Instrument` or the path of one (default: the bundled instrument).
    sheet
        XLSX sheet (name or 0-based index).

    Returns
    -------
    pandas.DataFrame
        Columns ``file, source_row, respondent_id, column, value, rule, severity, action,
        message``; the same table ``giftreview clean`` writes as ``validation.csv``.

    Raises
    ------
    InputFileError
        The file cannot be read at all.
    DataValidationError
        A required column is missing (the message lists the closest names present).
    """
    if not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    return validate_source(open_raw(raw_path, instrument, sheet=sheet), instrument)


def validation_lines(report: pd.DataFrame, limit: int = 40) -> list[str]:
    """The first ``limit`` problems (errors first) as two lines each, for a narrow terminal."""
    order = report.assign(_e=report["severity"] != "error").sort_values("_e", kind="stable")
    lines = []
    for r in order.head(limit).itertuples(index=False):
        row = "file" if pd.isna(r.source_row) else f"row {r.source_row}"
        rid = "" if pd.isna(r.respondent_id) or not r.respondent_id else f" {r.respondent_id}"
        lines.append(f"{r.severity:<7} {row}{rid} {r.column}: {r.rule} -> {r.action}")
        lines.append(f"        {r.message}")
    if len(report) > limit:
        lines.append(f"... {len(report) - limit} more; write them all with --out FILE.csv")
    return lines


def rule_counts(report: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by severity, rule and action (a tidy summary of the report)."""
    return (
        report.groupby(["severity", "rule", "action"], dropna=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["severity", "n"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )


def rule_counts_table(report: pd.DataFrame):
    """:func:`rule_counts` as a rich table for the terminal."""
    from rich.table import Table

    table = Table(title=f"{len(report)} problem(s) by rule")
    for col in ("severity", "rule", "action", "n"):
        table.add_column(col, justify="right" if col == "n" else "left")
    for r in rule_counts(report).itertuples(index=False):
        table.add_row(
            r.severity, r.rule, r.action, str(r.n), style="red" if r.severity == "error" else None
        )
    return table
