"""The outputs of cleaning, appended block by block: ``clean.parquet``, the CSV files, the
recodes summary and the manifest (``docs/data-contract.md``).

:class:`Outputs` is what :func:`giftreview.data.clean.clean_wave` writes into: each block's
tables are appended to their files as they come (the CSVs through the one safe writer, the
clean table through a :class:`pyarrow.parquet.ParquetWriter` in fixed row groups), so no output
is ever held whole, and the files are moved into place only when every block is done.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from giftreview import __version__
from giftreview.data.ahead import file_sha256
from giftreview.data.instrument import Instrument
from giftreview.data.io import RawTable
from giftreview.data.workers import worker
from giftreview.paths import PROJ_ROOT, inside
from giftreview.text.safety import write_csv, write_table

__all__ = [
    "CSV_BLOCK_ROWS",
    "OUTPUT_FILES",
    "RECODE_COLUMNS",
    "RECODE_RULES",
    "PARQUET_ROW_GROUP_ROWS",
    "Outputs",
    "manifest",
    "recode_table",
    "recode_split",
    "recodes_in_order",
    "write_json",
]

OUTPUT_FILES = (
    "clean.parquet",
    "clean.csv",
    "validation.csv",
    "audit.csv",
    "recodes.csv",
    "quarantine.csv",
    "manifest.json",
)
RECODE_COLUMNS = ["column", "code", "label", "cells"]
#: audit rules that are declared recodings, summarised in recodes.csv rather than per cell
RECODE_RULES = ("code_to_label",)


def recode_table(audit: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split declared recodings (:data:`RECODE_RULES`) off the per-cell audit.

    Returns the audit without them and ``recodes``: one row per column and code, with the label
    it became and the number of cells (``column, code, label, cells``), in instrument order.
    """
    rest, counts = recode_split(audit)
    return rest, recodes_in_order(counts)


def recode_split(audit: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The audit without recodings, and their counts per column, code and label in order of
    first appearance (a block's share of :func:`recode_table`)."""
    is_recode = audit["rule"].isin(RECODE_RULES)
    rec = audit[is_recode]
    rest = audit[~is_recode].reset_index(drop=True) if len(rec) else audit  # no copy if none
    counts = (
        rec.groupby(["column", "before", "after"], sort=False)
        .size()
        .reset_index(name="cells")
        .rename(columns={"before": "code", "after": "label"})
    )
    return rest, counts


def recodes_in_order(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts of consecutive blocks (:func:`recode_split`) summed, columns in order of first
    appearance, codes sorted within each."""
    counts = counts.groupby(["column", "code", "label"], sort=False)["cells"].sum().reset_index()
    order = {c: i for i, c in enumerate(dict.fromkeys(counts["column"]))}
    counts = counts.sort_values(
        ["column", "code"], key=lambda s: s.map(order) if s.name == "column" else s, kind="stable"
    )
    return counts.reset_index(drop=True)


# ---- outputs ----------------------------------------------------------------------------------
#: rows of clean.parquet per row group: the clean rows are written as they come, this many at a
#: time, so the file is the same whatever the block size and no more rows are held than these
PARQUET_ROW_GROUP_ROWS = 1 << 17
#: rows of a CSV written at a time: the text of a whole million-row table is never held. Two
#: writer threads each hold a slice's text and its pieces; in five alternating 1M cleans,
#: 25,000-row slices peaked at 1.82-1.90 GB against 1.85-1.95 GB with 50,000, in the same time
CSV_BLOCK_ROWS = 25_000
#: the tables written (each ``<name>.csv``; the clean table also as ``clean.parquet``)
_TABLES = ("clean", "validation", "audit", "recodes", "quarantine")


class Outputs:
    """The outputs of :func:`clean_wave`, appended block by block.

    Written into a ``.clean-partial`` folder inside the target and moved into place by
    :meth:`finish`, so a failure half-way leaves the folder's earlier outputs as they were;
    with ``keep`` the tables are also held in memory (:meth:`tables`).

    With ``background`` the files are written by three worker threads while the caller cleans
    the next block: one writes clean.csv, one the other CSV files (the audit log mostly), one
    checks the clean table and writes ``clean.parquet`` (the writers spend their time in Arrow
    kernels and file writes, which release the GIL, so the cores left by the caller do the
    writing; with one thread for every CSV file the caller waited for it 4.5 s of a 1M clean).
    Each thread writes the :meth:`add` calls in the order given, and at most one earlier
    :meth:`add` is still being written when the next is queued, so no more than one block
    waits in memory. An error in a worker is raised by the next :meth:`add` or by
    :meth:`finish`."""

    def __init__(
        self,
        target: Path | None,
        keep: bool,
        csv_rows: int = CSV_BLOCK_ROWS,
        background: bool = True,
    ):
        self.part = None if target is None else target / ".clean-partial"
        self.target = target
        self.keep = keep
        self.csv_rows = csv_rows
        self.frames: dict[str, list[pd.DataFrame]] = {n: [] for n in _TABLES}
        self.rows = dict.fromkeys(_TABLES, 0)
        self.severity: dict[str, int] = {}
        self._recodes: list[pd.DataFrame] = []
        #: the sha256 of each CSV file, fed as its bytes are written (:class:`_Hashed`)
        self._hashed: dict[str, _Hashed] = {}
        self._writer: pq.ParquetWriter | None = None
        self._held: list[pa.Table] = []
        self._groups = 0
        self._made_target = target is not None and not target.exists()
        self._pools: tuple[ThreadPoolExecutor, ...] = ()
        self._pending: list[list[Future]] = []
        self._failed = False
        if self.part is not None and background:
            self._pools = tuple(
                ThreadPoolExecutor(1, thread_name_prefix=f"giftreview-{what}")
                for what in ("outputs", "parquet", "clean-csv")
            )
        if self.part is not None:
            inside(self.part, target)
            shutil.rmtree(self.part, ignore_errors=True)  # left by a run that was stopped
            self.part.mkdir(parents=True)

    def add(
        self, *, final: bool = False, check: Callable[[], object] | None = None, **frames
    ) -> None:
        """Append each table's rows (``recodes``: the counts of one block until ``final``);
        ``check`` (a test of the block that raises) runs first, in the writer thread with
        ``background``: its error is raised like a write's, before anything is moved into place."""
        writes = []
        for name, frame in frames.items():
            if name == "recodes" and not final:
                self._recodes.append(frame)
                continue
            self.rows[name] += len(frame)
            if name == "validation":
                for sev, n in frame["severity"].value_counts().items():
                    self.severity[sev] = self.severity.get(sev, 0) + int(n)
            if self.keep:
                self.frames[name].append(frame)
            if self.part is not None:
                writes.append((name, frame))
        clean = [frame for name, frame in writes if name == "clean"]
        if not self._pools or not (writes or check):
            self._write(self._table, clean, check)
            self._write(self._csvs, writes)
            return
        while len(self._pending) > 1:  # at most one earlier add still being written
            for future in self._pending.pop(0):
                future.result()
        csvs, table, clean_csv = self._pools  # clean.csv apart: the largest file
        self._pending.append(
            [
                table.submit(self._write, self._table, clean, check),
                csvs.submit(self._write, self._csvs, [w for w in writes if w[0] != "clean"]),
                clean_csv.submit(self._write, self._csvs, [w for w in writes if w[0] == "clean"]),
            ]
        )

    def _write(self, how: Callable, *args) -> None:
        if self._failed:  # an earlier write failed: its error is on its way to the caller
            return
        try:
            how(*args)
        except BaseException:
            self._failed = True
            raise

    def _table(self, clean: list[pd.DataFrame], check: Callable[[], object] | None) -> None:
        if check is not None:
            check()
        for frame in clean:
            self._parquet(frame)

    def _csvs(self, writes: list[tuple[str, pd.DataFrame]]) -> None:
        for name, frame in writes:
            self._csv(name, frame)

    def _wait(self, *, errors: bool = True) -> None:
        """Wait until every queued write is done (raising the first error unless not ``errors``)."""
        pending = [future for futures in self._pending for future in futures]
        self._pending = []
        for future in pending:
            exc = future.exception()
            if exc is not None and errors:
                for rest in pending:
                    rest.exception()
                raise exc
        if not errors:
            for pool in self._pools:
                pool.shutdown(wait=True)

    def recode_counts(self) -> pd.DataFrame:
        return pd.concat(self._recodes, ignore_index=True)

    def _csv(self, name: str, frame: pd.DataFrame) -> None:
        """UTF-8 CSV for people through the one safe writer (formulas neutralised, line breaks
        quoted, the path checked to lie in its folder), ``csv_rows`` rows at a time: the header
        by :func:`write_table`, then the rows of each block appended as :func:`write_csv` gives
        them (each row's text depends on that row alone, so the bytes are those of the whole
        table written at once), hashed as they are written."""
        path = self.part / f"{name}.csv"
        fmt = {"date_format": "%Y-%m-%d %H:%M:%S"}
        if name not in self._hashed:
            write_table(frame.iloc[:0], path, **fmt)
            self._hashed[name] = _Hashed(path.read_bytes())
        with open(path, "ab") as fh:
            out = _HashedFile(fh, self._hashed[name])
            for at in range(0, len(frame), self.csv_rows):
                write_csv(out, frame.iloc[at : at + self.csv_rows], header=False, **fmt)

    def _parquet(self, frame: pd.DataFrame) -> None:
        """Hold the clean rows and write each full row group (one table of one chunk per group,
        zstd; read back by ``pandas.read_parquet`` as the frame written)."""
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            path = inside(self.part / "clean.parquet", self.part)
            # dictionary pages for the categorical columns only: a string column is mostly
            # open text or ids, whose dictionary pyarrow builds and then abandons (a third of
            # the writing time) and which zstd compresses as well without
            coded = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
            self._writer = pq.ParquetWriter(
                path,
                table.schema,
                compression="zstd",
                use_dictionary=coded or False,
                write_statistics=_statistics(table.schema),
            )
        self._held.append(table)
        held = sum(t.num_rows for t in self._held)
        while held >= PARQUET_ROW_GROUP_ROWS:
            whole = pa.concat_tables(self._held)
            self._writer.write_table(whole.slice(0, PARQUET_ROW_GROUP_ROWS).combine_chunks())
            self._held = [whole.slice(PARQUET_ROW_GROUP_ROWS)]
            held -= PARQUET_ROW_GROUP_ROWS
            self._groups += 1

    def finish(self) -> dict[str, str]:
        """Close the files, move them into the target folder; return {file: sha256}."""
        self._wait()
        held = pa.concat_tables(self._held)
        if held.num_rows or not self._groups:
            self._writer.write_table(held.combine_chunks())
        self._writer.close()
        self._writer, self._held = None, []
        names = [n for n in OUTPUT_FILES if n != "manifest.json"]
        hashed = {f"{name}.csv": h.hexdigest() for name, h in self._hashed.items()}
        sums = {n: hashed[n] if n in hashed else file_sha256(self.part / n) for n in names}
        for name in names:
            os.replace(self.part / name, inside(self.target / name, self.target))
        self.part.rmdir()
        return sums

    def discard(self) -> None:
        """Remove what :meth:`finish` did not move into place (after an error)."""
        self._wait(errors=False)
        if self._writer is not None:
            self._writer.close()
        if self.part is not None and self.part.exists():
            shutil.rmtree(self.part)
            if self._made_target and not any(self.target.iterdir()):
                self.target.rmdir()  # nothing was written: the folder is not left behind

    def tables(self) -> dict[str, pd.DataFrame]:
        if not self.keep:
            return {}
        return {
            n: f[0] if len(f) == 1 else pd.concat(f, ignore_index=True)
            for n, f in self.frames.items()
        }


def _statistics(schema: pa.Schema) -> list[str] | bool:
    """The columns whose row groups get min and max statistics: all but the text columns
    (ids, open answers), whose extremes no reader filters on and which cost a third of the
    writing time (0.29 -> 0.19 s CPU for 100,000 clean rows)."""
    text = (pa.types.is_string, pa.types.is_large_string)
    return [f.name for f in schema if not any(is_text(f.type) for is_text in text)] or False


class _Hashed:
    """The sha256 of a file being written, fed by a background thread (``giftreview-sha256``)
    with each chunk written through a :class:`_HashedFile`: the manifest's hash of clean.csv and
    audit.csv (1.5 GB for a million-row wave) without reading them again at the end. At most
    :data:`_HASH_BEHIND` chunks wait to be hashed (each is held until then)."""

    def __init__(self, written: bytes) -> None:
        self._sha = hashlib.sha256(written)
        self._waiting: list[Future] = []

    def feed(self, chunk: bytes | memoryview) -> None:
        while len(self._waiting) >= _HASH_BEHIND:
            self._waiting.pop(0).result()
        self._waiting.append(worker("sha256").submit(self._sha.update, chunk))

    def hexdigest(self) -> str:
        for future in self._waiting:
            future.result()
        self._waiting = []
        return self._sha.hexdigest()


#: chunks of a file at most waiting to be hashed
_HASH_BEHIND = 2


class _HashedFile:
    """A binary file whose written bytes also go to a :class:`_Hashed` (what
    :func:`~giftreview.text.safety.write_csv` needs of a file: ``write`` and ``tell``)."""

    def __init__(self, fh: BinaryIO, hashed: _Hashed) -> None:
        self._fh, self._hashed = fh, hashed

    def write(self, chunk: bytes | memoryview) -> int:
        written = self._fh.write(chunk)
        self._hashed.feed(chunk)
        return written

    def tell(self) -> int:
        return self._fh.tell()


def manifest(
    raw: RawTable,
    raw_rows: int,
    instrument: Instrument,
    wave: str,
    out: Outputs,
    plan: pd.DataFrame,
) -> dict[str, Any]:
    reasons = plan["reason"].value_counts().sort_index()
    return {
        "wave": wave,
        "raw_file": raw.path.name,
        "raw_sha256": raw.sha256,
        "raw_read": raw.describe(),
        "instrument": _display_path(instrument.path),
        "instrument_sha256": instrument.sha256,
        "giftreview_version": __version__,
        "counts": {
            "raw_rows": raw_rows,
            "clean_rows": out.rows["clean"],
            "quarantined_rows": out.rows["quarantine"],
        },
        "quarantine_reasons": {str(k): int(v) for k, v in reasons.items()},
        "validation": {
            "errors": out.severity.get("error", 0),
            "warnings": out.severity.get("warning", 0),
        },
        "audited_cells": out.rows["audit"],
    }


def _display_path(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return Path(path).resolve().relative_to(PROJ_ROOT.resolve()).as_posix()
    except ValueError:
        return Path(path).name


def write_json(path: Path, data: dict[str, Any]) -> None:
    inside(path, path.parent)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
