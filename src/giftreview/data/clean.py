"""Cleaning with an audit trail: raw export in, ``data/processed/<wave>/`` out.

:func:`clean_wave` reads a raw file, validates it (:mod:`giftreview.data.validate`), sets aside the
rows that cannot be used, normalises every cell by explicit rules and writes the outputs of
``docs/data-contract.md``. Every changed cell is a row of the audit log; every raw row is either
in the clean table or in the quarantine (``raw_rows == clean_rows + quarantined_rows`` is checked
here and recorded in the manifest). The same input gives byte-identical outputs.

Cleaning rules (the ``rule`` column of ``audit.csv``)
-----------------------------------------------------
``trim_space_case``
    a label written with other case or stray spaces (``' very important'`` -> ``Very important``)
``alias``
    an alias from the instrument (``Govt`` -> ``Governments``)
``code_to_label``
    an option or level code declared in the instrument (``5`` -> ``Moderately accurate``): a
    documented recoding, not a correction, so it is summarised once per column and code in
    ``recodes.csv`` (``column, code, label, cells``) instead of one audit row per cell
``missing_code``
    a spelling of a missing code (``dont know`` -> ``Don't know``): the answer is NA and
    ``<QID>__missing`` holds the label
``blank``
    a cell of spaces only -> NA
``whitespace``
    text with runs of spaces, tabs or line breaks collapsed (list answers keep one item a line)
``trim_space``, ``range_midpoint``, ``approximate_number``, ``number_with_unit``,
``number_word``, ``lower_bound``
    counts written as text (``3-5`` -> 4, ``about 10`` -> 10, ``12 staff`` -> 12, ``two`` -> 2,
    ``10+`` -> 10)
``other_text_implies_other``
    "Other (specify)" text without the option ticked: the option is ticked
``date_format``
    a day-first date (``15/03/2010``) read into ISO form
``unknown_label``, ``out_of_range``, ``unreadable_count``, ``unknown_option``,
``cell_too_long``, ``unreadable_date``
    the value cannot be used and is set missing (each also an error/warning in
    ``validation.csv``); nothing is ever mapped by similarity

Quarantine reasons: ``all_blank``, ``no_id``, ``exact_duplicate`` (the first copy is kept),
``near_duplicate`` (same id, different answers: the latest submission is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.audit import AUDIT_COLUMNS, audit_rows
from giftreview.data.columns import distinct, is_blank
from giftreview.data.instrument import (
    Instrument,
    bin_column,
    load_instrument,
    missing_column,
    option_column,
    other_column,
)
from giftreview.data.io import RawTable, open_raw
from giftreview.data.outputs import (
    CSV_BLOCK_ROWS,
    OUTPUT_FILES,
    RECODE_COLUMNS,
    RECODE_RULES,
    Outputs,
    manifest,
    recode_split,
    recode_table,
    recodes_in_order,
    write_json,
)
from giftreview.data.readings import ColumnRead, read_columns
from giftreview.data.rules import Rule, Rules
from giftreview.data.schema import check_clean, clean_schema
from giftreview.data.spec import Question, bin_counts
from giftreview.data.validate import BLOCK_ROWS, ramped, run_validation, scan_source
from giftreview.errors import ArgumentError, DataValidationError
from giftreview.paths import check_wave_name, is_under_raw, processed_dir

__all__ = [
    "AUDIT_COLUMNS",
    "QUARANTINE_COLUMNS",
    "RAW_PREFIX",
    "EXTRA_PREFIX",
    "OUTPUT_FILES",
    "RECODE_COLUMNS",
    "RECODE_RULES",
    "recode_table",
    "CleanResult",
    "clean_wave",
    "clean_table",
    "count_bin",
    "summary_table",
    "accounting_line",
]

QUARANTINE_COLUMNS = ["source_row", "respondent_id", "reason"]
#: prefix of the raw cells in quarantine.csv (keeps them apart from its own columns)
RAW_PREFIX = "raw__"
EXTRA_PREFIX = "extra__"


@dataclass(frozen=True)
class CleanResult:
    """What :func:`clean_wave` produced (and wrote to ``out_dir`` when that is not None).

    ``clean``, ``audit``, ``quarantine``, ``validation`` and ``recodes`` are held in memory when
    the file was cleaned in one block (or not written); a file cleaned in several blocks is not
    held whole, and each table is read back from ``out_dir`` when first asked for (the clean
    table from ``clean.parquet``, the others from their CSV files as written).
    """

    manifest: dict[str, Any]
    out_dir: Path | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self.tables:
            if self.out_dir is None:
                raise ArgumentError(f"the {name} table was not kept; clean with write=False")
            path = self.out_dir / ("clean.parquet" if name == "clean" else f"{name}.csv")
            self.tables[name] = (
                pd.read_parquet(path)
                if name == "clean"
                else pd.read_csv(path, dtype=str, keep_default_na=False)
            )
        return self.tables[name]

    @property
    def clean(self) -> pd.DataFrame:
        return self._table("clean")

    @property
    def audit(self) -> pd.DataFrame:
        return self._table("audit")

    @property
    def quarantine(self) -> pd.DataFrame:
        return self._table("quarantine")

    @property
    def validation(self) -> pd.DataFrame:
        return self._table("validation")

    @property
    def recodes(self) -> pd.DataFrame:
        return self._table("recodes")

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.manifest["counts"])


def clean_wave(
    raw_path: Path | str,
    instrument: Instrument | Path | str | None = None,
    *,
    wave: str | None = None,
    out_dir: Path | str | None = None,
    sheet: str | int | None = None,
    write: bool = True,
    max_quarantine: float | None = None,
    block_rows: int = BLOCK_ROWS,
) -> CleanResult:
    """Validate and clean one raw export; write ``data/processed/<wave>/``.

    The file is read twice, ``block_rows`` rows at a time (:func:`giftreview.data.io.open_raw`
    streams a large CSV from disk): a first pass hashes every row and finds the rows to
    quarantine in the whole file (:func:`~giftreview.data.validate.scan_source`); the second
    validates and cleans each block and appends its rows to every output. Each distinct
    spelling is read by the rules once (readings are cached across blocks), so the outputs are
    the same bytes whatever the block size; memory grows with the block, not with the file.

    Parameters
    ----------
    raw_path
        The raw export (CSV, XLSX or SPSS .sav); never written.
    instrument
        An :class:`Instrument` or its path (default: the bundled instrument).
    wave
        Wave label; default the file's stem (``ungift_2010.csv`` -> ``ungift_2010``).
    out_dir
        Output folder; default ``data/processed/<wave>/``. Must not lie under ``data/raw``.
    sheet
        XLSX sheet (name or 0-based index).
    write
        False to compute without writing (``out_dir`` of the result is then None).
    max_quarantine
        Largest share of the raw rows that may be quarantined (default the instrument's
        ``max_quarantine``, 0.5); above it nothing is written and cleaning stops.
    block_rows
        Rows read, validated and cleaned at a time (default
        :data:`~giftreview.data.validate.BLOCK_ROWS`).

    Returns
    -------
    CleanResult
        ``clean``, ``audit``, ``quarantine``, ``validation``, ``manifest``, ``out_dir``.

    Raises
    ------
    InputFileError, DataValidationError, ArgumentError
        Unreadable file; required column missing or more than ``max_quarantine`` of the rows
        quarantined (the message names the most frequent reason); output folder under
        ``data/raw``. Nothing is written then: the outputs are written beside the folder's
        files and moved into place only once every block is cleaned.
    """
    if not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    if block_rows < 1:
        raise ArgumentError(f"`block_rows` is {block_rows}; give a positive number of rows")
    raw_path = Path(raw_path)
    wave = check_wave_name(wave or raw_path.stem)
    target = Path(out_dir) if out_dir is not None else processed_dir(wave)
    if write and (is_under_raw(target) or target.resolve() == raw_path.parent.resolve()):
        raise ArgumentError(
            f"`out_dir` {target} lies under data/raw or beside the raw file; raw data are never "
            "written: choose another folder (default data/processed/<wave>)"
        )
    rules = Rules(instrument)
    scan = scan_source(open_raw(raw_path, instrument, sheet=sheet), instrument, rules, block_rows)
    raw, plan = scan.source.table, scan.plan
    limit = instrument.max_quarantine if max_quarantine is None else max_quarantine
    _check_quarantine_share(raw_path.name, scan.rows, plan, limit)
    if write and len(plan) and len(plan) == scan.rows:  # nothing left (see also max_quarantine)
        reasons = plan["reason"].value_counts()
        raise DataValidationError(
            f"{raw_path.name}: all {len(plan)} rows are quarantined, most as "
            f"{reasons.index[0]!r} ({int(reasons.iloc[0])} rows); nothing is left to clean. "
            "See the validation report (giftreview validate) and fix the export or the "
            "instrument (raw.respondent_id, raw.header_rows)"
        )
    keep = not write or scan.rows <= block_rows
    out = Outputs(target if write else None, keep=keep, csv_rows=CSV_BLOCK_ROWS)
    schema = clean_schema(instrument)  # each block's clean rows are checked against it
    try:
        out.add(validation=scan.head)
        repairs = raw.repairs
        for data in scan.blocks(ramped(scan.rows, block_rows)):
            reads = read_columns(data, rules)
            out.add(validation=scan.block_report(data, reads))
            clean, audit, quarantine = _clean_block(data, reads, plan, instrument, wave, repairs)
            repairs = []
            audit, recodes = recode_split(audit)
            out.add(
                clean=clean,
                audit=audit,
                quarantine=quarantine,
                recodes=recodes,
                check=partial(check_clean, clean, instrument, path=raw_path.name, schema=schema),
            )
        recodes = recodes_in_order(out.recode_counts())
        out.add(recodes=recodes, final=True)
        if scan.rows != out.rows["clean"] + out.rows["quarantine"]:
            raise DataValidationError(
                f"{raw.path.name}: row accounting failed: {scan.rows} raw rows but "
                f"{out.rows['clean']} clean + {out.rows['quarantine']} quarantined; this is a "
                "bug, please report it"
            )
        facts = manifest(raw, scan.rows, instrument, wave, out, plan)
        facts["recoded_cells"] = int(recodes["cells"].sum())
        if write:
            facts["files"] = out.finish()
            write_json(target / "manifest.json", facts)
    finally:
        out.discard()
    return CleanResult(facts, target if write else None, out.tables())


def clean_table(
    raw: RawTable, instrument: Instrument, wave: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Clean a :class:`RawTable` in memory as one block: ``(clean, audit, quarantine,
    validation)``.

    Each column is read once per distinct spelling
    (:func:`~giftreview.data.readings.read_columns`, shared with validation); the clean columns,
    the audit rows and the quarantine are built from those readings with whole-column joins,
    never cell by cell (:func:`_clean_block`, which :func:`clean_wave` runs on each block).

    Raises :class:`DataValidationError` if a row were lost (``raw rows != clean + quarantined``).
    """
    rules = Rules(instrument)
    validation, data, plan, reads = run_validation(raw, instrument, rules)
    clean, audit, quarantine = _clean_block(data, reads, plan, instrument, wave, raw.repairs)
    if len(raw.data) != len(clean) + len(quarantine):
        raise DataValidationError(
            f"{raw.path.name}: row accounting failed: {len(raw.data)} raw rows but "
            f"{len(clean)} clean + {len(quarantine)} quarantined; this is a bug, please report it"
        )
    return clean, audit, quarantine, validation


def _clean_block(
    data: pd.DataFrame,
    reads: dict[str, ColumnRead],
    plan: pd.DataFrame,
    instrument: Instrument,
    wave: str,
    repairs: list[dict[str, Any]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(clean, audit, quarantine)`` of one block of rows (headers matched to the instrument,
    read into ``reads``), given the quarantine ``plan`` of the whole file; ``repairs`` (cells
    repaired while reading) head the audit. The readings' raw text is let go once audited."""
    plan = plan[plan.index.isin(data.index)]
    keep = np.flatnonzero(~data.index.isin(plan.index))
    audit = audit_rows(data, keep, reads, instrument)
    if repairs:  # cells repaired while reading (encoding, NUL bytes): audited first
        read = pd.DataFrame(repairs, columns=AUDIT_COLUMNS).astype({"source_row": "int64"})
        audit = pd.concat([read, audit], ignore_index=True)
    quarantine = _quarantine(data, plan)
    # the assembly reads the readings' values and the extra columns only
    data = data.drop(columns=[c for c in data.columns if c in reads])
    for read in reads.values():
        if not read.distinct:
            read.raw = None
    return _assemble(data, keep, reads, instrument, wave), audit, quarantine


def _check_quarantine_share(file: str, raw_rows: int, quarantine: pd.DataFrame, limit: float):
    """Stop when more than ``limit`` of the rows are quarantined: the export or the instrument
    is then wrong (a shifted header, the wrong id column), and a report would mislead. Blank
    rows (``all_blank``) are no respondents: they count on neither side of the share."""
    blank = int((quarantine["reason"] == Rule.ALL_BLANK).sum())
    quarantine = quarantine[quarantine["reason"] != Rule.ALL_BLANK]
    raw_rows -= blank
    if not raw_rows or len(quarantine) <= limit * raw_rows:
        return
    reasons = quarantine["reason"].value_counts()
    top, n = str(reasons.index[0]), int(reasons.iloc[0])
    raise DataValidationError(
        f"{file}: {len(quarantine)} of {raw_rows} rows ({len(quarantine) / raw_rows:.0%}) would "
        f"be quarantined, more than max_quarantine {limit:.0%}; most as {top!r} ({n} rows"
        f"{', e.g. row ' + str(quarantine.loc[quarantine['reason'] == top, 'source_row'].iloc[0])}"
        "). Nothing was written. See every row with `giftreview validate RAW --out report.csv`; "
        "fix the export or the instrument (raw.respondent_id, raw.header_rows), or raise "
        "max_quarantine in the instrument"
    )


# ---- cells ------------------------------------------------------------------------------------
def _assemble(
    data: pd.DataFrame,
    keep: np.ndarray,
    reads: dict[str, ColumnRead],
    instrument: Instrument,
    wave: str,
) -> pd.DataFrame:
    """The clean table of docs/data-contract.md, one row per kept respondent in raw order."""
    n = len(keep)
    raw = instrument.raw
    out: dict[str, Any] = {
        "respondent_id": _text(reads.get(raw.respondent_id), keep),
        "organization": _text(reads.get(raw.organization), keep),
        "submitted": pd.array(
            reads[raw.submitted].value[reads[raw.submitted].codes[keep]]
            if raw.submitted in reads
            else np.full(n, np.datetime64("NaT", "ns")),
            dtype="datetime64[ns]",
        ),
        "wave": pd.array(np.full(n, wave, dtype=object), dtype="string"),
        "source_row": pd.array(data.index.to_numpy()[keep], dtype="int64"),
    }
    for q in instrument.questions:
        out |= _question_columns(
            q, reads.get(q.raw_column), reads.get(q.other_column or ""), instrument, keep
        )
    for col in data.columns:
        if col not in reads:
            codes, spellings = distinct(data[col])
            kept = pc.if_else(
                pa.array(is_blank(spellings)), pa.scalar(None, pa.large_string()), spellings
            )
            out[f"{_EXTRA}{col}"] = _strings(kept, codes[keep])
    return pd.DataFrame(out, index=pd.RangeIndex(n))


_EXTRA = EXTRA_PREFIX


def _strings(values: pa.Array, u: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(values.take(pa.array(u, pa.int64())), dtype="string")


def _text(read: ColumnRead | None, keep: np.ndarray):
    if read is None:
        return pd.array([None] * len(keep), dtype="string")
    if isinstance(read.value, pa.Array):
        return _strings(read.value, read.codes[keep])
    return pd.array(read.value[read.codes[keep]], dtype="string")


def _missing(read: ColumnRead | None, keep: np.ndarray):
    if read is None:
        return pd.array([None] * len(keep), dtype="string")
    # labels by distinct spelling to Arrow once (a C loop), then taken by the rows
    return _strings(pa.array(read.missing, pa.large_string()), read.codes[keep])


def _question_columns(
    q: Question,
    read: ColumnRead | None,
    other: ColumnRead | None,
    instrument: Instrument,
    keep: np.ndarray,
) -> dict[str, Any]:
    """The clean columns of one question; each computed on the distinct spellings, then taken."""
    n = len(keep)
    values = read.value if read is not None else np.full(1, None, dtype=object)
    at = read.codes[keep] if read is not None else np.zeros(n, dtype=np.intp)
    out: dict[str, Any] = {}
    if q.type in ("single", "rating"):
        labels = [o.label for o in instrument.levels_of(q.id)]
        codes = pd.Categorical(values, categories=labels).codes
        out[q.id] = pd.Categorical.from_codes(
            codes[at], categories=labels, ordered=q.type == "rating"
        )
    elif q.type == "count":
        numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
        out[q.id] = pd.array(numbers[at], dtype="Float64")
        binned = bin_counts(numbers, q.bins)  # one bin per distinct value, then taken
        out[bin_column(q.id)] = pd.Categorical.from_codes(
            binned.codes[at], categories=binned.categories, ordered=True
        )
    elif q.type == "multi":
        for o in q.options:
            code = str(o.code)
            chosen = np.array([-1 if not v else int(code in v) for v in values], dtype=np.int8)[at]
            out[option_column(q.id, o.code)] = pd.arrays.BooleanArray(chosen == 1, chosen == -1)
        if q.other_column:
            out[other_column(q.id)] = _text(other, keep)
    elif read is not None:
        out[q.id] = _text(read, keep)
    else:
        out[q.id] = pd.array([None] * n, dtype="string")
    out[missing_column(q.id)] = _missing(read, keep)
    return out


def count_bin(value: float | None, question: Question) -> str | None:
    """The reporting bin of a count: the last bin whose ``min`` is at most the value.

    A midpoint between two bins (2.5, between ``1-2`` and ``3-5``) goes to the lower bin; a value
    above the last bin's ``max`` has no bin (NA).
    """
    label = bin_counts([value], question.bins)[0]
    return None if pd.isna(label) else label


def _quarantine(data: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    cells = data.loc[plan.index].add_prefix(RAW_PREFIX).reset_index(drop=True)
    head = (
        plan[QUARANTINE_COLUMNS]
        .reset_index(drop=True)
        .astype({"source_row": "int64", "respondent_id": "string", "reason": "string"})
    )
    return pd.concat([head, cells], axis=1)


def summary_table(result: CleanResult):
    """A rich table of the row accounting, quarantine reasons and validation counts."""
    from rich.table import Table

    m = result.manifest
    c = m["counts"]
    table = Table(title=f"{m['raw_file']} -> {m['wave']}")
    table.add_column("", style="bold")
    table.add_column("count", justify="right")
    table.add_row("raw rows", str(c["raw_rows"]))
    table.add_row("clean rows", str(c["clean_rows"]))
    table.add_row("quarantined rows", str(c["quarantined_rows"]))
    for reason, n in m["quarantine_reasons"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("validation errors", str(m["validation"]["errors"]))
    table.add_row("validation warnings", str(m["validation"]["warnings"]))
    table.add_row("audited cell changes", str(m["audited_cells"]))
    table.add_row("cells recoded from declared codes", str(m.get("recoded_cells", 0)))
    return table


def accounting_line(result: CleanResult) -> str:
    """``raw rows 126 = clean 120 + quarantined 6`` (checked: raises if it does not add up)."""
    c = result.manifest["counts"]
    if c["raw_rows"] != c["clean_rows"] + c["quarantined_rows"]:
        raise DataValidationError(f"row accounting does not add up: {c}; this is a bug")
    return (
        f"raw rows {c['raw_rows']} = clean {c['clean_rows']} + quarantined {c['quarantined_rows']}"
    )
