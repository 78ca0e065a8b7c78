"""Read raw survey exports and the cleaned outputs.

:func:`read_raw` turns any export the instrument's ``raw:`` block describes into a
:class:`RawTable`: every cell a string (``""`` when blank), indexed by the row number a
spreadsheet shows (``source_row``; the first header row is 1), plus where it came from.

* CSV in UTF-8 (with or without BOM), UTF-16 with BOM or cp1252/latin-1, delimited by comma,
  semicolon or tab;
* XLSX (openpyxl): the chosen sheet; when the data are on another sheet the message names it;
* SPSS ``.sav`` (pyreadstat): value labels become labels; without value labels the codes are kept
  as text and matched to the instrument's option codes by cleaning;
* exports with 1-5 header rows (``raw.header_rows``; names from ``raw.name_row``).

The format is chosen from the file's first bytes, not its extension (an XLSX renamed ``.csv`` is
still read). Each format has its reader (:mod:`~giftreview.data.rawcsv` with the accounting pass
of :mod:`~giftreview.data.accounting`, :mod:`~giftreview.data.rawxlsx`,
:mod:`~giftreview.data.rawsav`); this module turns their records into the frame.
:func:`load_clean` and :func:`load_manifest` read ``data/processed/<wave>/`` back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from giftreview.data import ahead
from giftreview.data.accounting import check_record_count
from giftreview.data.fastcsv import (
    Sizes,
    StreamDeclined,
    frame_from_table,
    parse_records,
    record_bytes,
    row_slices,
    stream_file,
)
from giftreview.data.instrument import Instrument
from giftreview.data.rawcells import REPAIR_MESSAGES, note, repair_records, shape
from giftreview.data.rawcsv import PlainLayout, csv_records, plain_utf8_head
from giftreview.data.rawsav import sav_records
from giftreview.data.rawxlsx import xlsx_records
from giftreview.data.schema import check_clean
from giftreview.data.spec import ROW_ID
from giftreview.errors import InputFileError

__all__ = [
    "RawTable",
    "read_raw",
    "RawSource",
    "open_raw",
    "StreamDeclined",
    "one_chunk",
    "load_clean",
    "load_manifest",
]

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

_XLSX_MAGIC = b"PK\x03\x04"

_SAV_MAGIC = (b"$FL2", b"$FL3")

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, or an encrypted .xlsx


@dataclass(frozen=True)
class RawTable:
    """A raw export as read: strings only, nothing changed.

    Attributes
    ----------
    data
        One column per raw column (header names as in the file, stripped of spaces), every cell a
        ``str`` (``""`` when blank). The index, named ``source_row``, is the row number a
        spreadsheet shows for the row.
    path, format, encoding, delimiter, sheet, header_rows
        Where the data came from (``encoding``/``delimiter`` for CSV, ``sheet`` for XLSX).
    digest
        The file's sha256 (hex), or the future of a background thread computing it while a
        large file is read (:attr:`sha256` waits for it).
    notes
        Problems met while reading (ragged rows, blank or repeated header names, header rows
        that look like data, uncached formulas, repaired cells), as dicts with the keys of the
        validation report.
    repairs
        Cells changed while reading, as dicts with the keys of the audit log
        (``source_row, respondent_id, column, before, after, rule``): a cell of Windows-1252
        bytes in a UTF-8 file decoded as cp1252 (``encoding_repaired``), NUL bytes removed
        (``nul_removed``). Cleaning adds them to ``audit.csv``.
    """

    data: pd.DataFrame
    path: Path
    digest: str | Future[str]
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_rows: int = 1
    notes: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    respondent_id: str | None = None

    @property
    def sha256(self) -> str:
        """The file's sha256 (hex digits)."""
        return self.digest if isinstance(self.digest, str) else self.digest.result()

    @property
    def source_rows(self) -> list[int]:
        """Row numbers of the data rows, as a spreadsheet shows them."""
        return [int(i) for i in self.data.index]

    def describe(self) -> dict[str, Any]:
        """How the file was read (for the manifest)."""
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": _DELIMITER_NAMES.get(self.delimiter, self.delimiter),
            "sheet": self.sheet,
            "header_rows": self.header_rows,
            "respondent_id": self.respondent_id,
        }


def read_raw(
    path: Path | str,
    instrument: Instrument,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> RawTable:
    """Read a raw export into a :class:`RawTable` (strings only; nothing is changed or dropped).

    Parameters
    ----------
    path
        CSV, XLSX or SPSS ``.sav`` file (format detected from its first bytes).
    instrument
        Gives the layout (``raw.header_rows``, ``raw.name_row``, ``raw.sheet``).
    sheet
        XLSX sheet name or 0-based index; default ``instrument.raw.sheet``, else the first sheet.
    encoding
        Force a text encoding for CSV instead of detecting it.

    Returns
    -------
    RawTable

    Raises
    ------
    InputFileError
        Missing, empty, header-only or binary file, unknown encoding, no recognisable delimiter,
        an unreadable workbook or a sheet without data (the message says what to do).

    Notes
    -----
    Equivalent in R: ``readr::read_delim(path, col_types = cols(.default = "c"))``,
    ``readxl::read_xlsx(path, sheet, col_types = "text")``, ``haven::read_sav(path)``.
    """
    path = Path(path)
    _check_exists(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    layout = instrument.raw
    notes: list[dict[str, Any]] = []
    if head.startswith(_XLSX_MAGIC):
        records, info = xlsx_records(path, sheet if sheet is not None else layout.sheet, instrument)
    elif head.startswith(_OLE2_MAGIC):
        raise InputFileError(
            "an Excel 97-2003 workbook (.xls) or a password-protected .xlsx, which giftreview "
            "does not read; open it in Excel or LibreOffice and save it as .xlsx (without a "
            "password) or as CSV UTF-8",
            path=path,
        )
    elif head.startswith(_SAV_MAGIC):
        records, info, notes = sav_records(path, instrument)
    else:
        records, info = csv_records(path, encoding)
    uncached = info.pop("uncached", ())
    header_rows = 1 if info["format"] == "sav" else layout.header_rows
    name_row = 1 if info["format"] == "sav" else layout.name_row
    if isinstance(records, list):
        repairs = repair_records(records, header_rows, name_row, layout.respondent_id)
        head = records
    else:  # an Arrow table (data/fastcsv.py): its text held nothing to repair
        repairs = []
        head = [
            list(map(str, r.values())) for r in records.slice(0, header_rows + 1000).to_pylist()
        ]
    data, frame_notes = _frame(records, header_rows, name_row, path)
    del records  # the frame holds what is needed; the table's own chunks go with it
    one_chunk(data)
    notes += frame_notes + _header_like_data(head, header_rows, name_row, instrument, path)
    if uncached:
        notes.append(_uncached_note(uncached, path))
    notes += [note(path, r["source_row"], r["column"], r["before"], r["rule"], "normalised",
                    REPAIR_MESSAGES[r["rule"]]) for r in repairs]  # fmt: skip
    id_source = _finish_rows(data, instrument, header_rows)
    return RawTable(
        data=data,
        respondent_id=id_source,
        path=path,
        digest=ahead.sha256(path),
        header_rows=header_rows,
        notes=notes,
        repairs=repairs,
        **info,
    )


def _finish_rows(data: pd.DataFrame, instrument: Instrument, header_rows: int) -> str:
    """Columns made from the rows themselves, in place (the whole table or one block of it);
    returns where the respondent ids come from."""
    layout = instrument.raw
    id_source = f"column {layout.respondent_id!r}"
    if layout.ids_from_rows and ROW_ID not in data.columns:
        # `respondent_id: row`: the data row number (1 = first row after the header) is the id
        numbers = data.index.to_numpy() - header_rows
        data.insert(0, ROW_ID, pd.array([str(i) for i in numbers], dtype="string"))
        id_source = "row (data row number)"
    _join_spread_choices(data, instrument)
    return id_source


@dataclass(frozen=True)
class RawSource:
    """A raw export to be read in row blocks (:func:`open_raw`).

    ``table`` says how the file was read (its ``data`` holds every row, or for a streamed file
    none: only the columns); :meth:`blocks` gives the rows, ``rows`` at a time, as frames shaped
    like :attr:`RawTable.data` (index ``source_row``), and may be iterated more than once.
    """

    table: RawTable
    stream: Callable[[Sizes, list[str] | None], Iterator[pd.DataFrame]] | None = None
    #: the data rows at given positions of a streamed file, read by their byte offsets
    pick: Callable[[np.ndarray], pd.DataFrame | None] | None = None

    @property
    def streamed(self) -> bool:
        return self.stream is not None

    def rows(self, pos: np.ndarray) -> pd.DataFrame | None:
        """The data rows at positions ``pos`` (0 = the first data row; ascending), shaped like
        a block; None when only a pass over :meth:`blocks` can give them (a streamed file whose
        records have no byte offsets, or too many rows to seek to one by one)."""
        if self.stream is None:
            return self.table.data.iloc[pos]
        return None if self.pick is None else self.pick(pos)

    def blocks(self, rows: Sizes, only: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The data rows in consecutive blocks of at most ``rows`` rows (at least one block; a
        list gives each block's size in turn, see :func:`~.fastcsv.block_sizes`);
        with ``only``, of those columns (named as in :attr:`RawTable.data`) and the row
        numbers' id column if the ids come from the rows: a streamed file converts no other.

        A streamed file may raise :class:`StreamDeclined` (a record pyarrow reads otherwise than
        :mod:`csv`): read it with :func:`read_raw` instead (:meth:`in_memory`)."""
        if self.stream is None:
            data = self.table.data
            if only is not None:
                data = data[[c for c in data.columns if c in only or c == ROW_ID]]
            blocks = row_slices(data, rows)
        else:
            blocks = self.stream(rows, only)
        # Arrow's memory is not handed back between blocks (``release_unused``): mimalloc then
        # reuses it instead of faulting fresh zeroed pages for every block. In three alternating
        # pairs of 1M cleans (60,000-row blocks) that saved 1.5-1.7 s of system time, with the
        # same peak (1.44-1.49 GB) and no climb from block to block (docs/performance.md, seventh
        # round)
        yield from blocks

    def in_memory(self, instrument: Instrument, sheet: str | int | None = None) -> RawSource:
        """The same file read whole by :func:`read_raw`."""
        if self.stream is None:
            return self
        return RawSource(read_raw(self.table.path, instrument, sheet=sheet))


def open_raw(
    path: Path | str, instrument: Instrument, *, sheet: str | int | None = None
) -> RawSource:
    """A raw export as a :class:`RawSource`: a large plain UTF-8 CSV is parsed a block at a time
    from disk when :meth:`RawSource.blocks` is iterated (memory grows with the block, not the
    file); anything else is read whole by :func:`read_raw` and given in slices.

    Parameters and errors as :func:`read_raw`; a streamed file's record count is checked
    against the accounting pass once its last block is read.
    """
    path = Path(path)
    _check_exists(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head.startswith((_XLSX_MAGIC, _OLE2_MAGIC, *_SAV_MAGIC)):
        plain = plain_utf8_head(path)
        if plain is not None:
            # the accounting pass over the whole file runs meanwhile (the first pass over the
            # blocks needs only the head); the stream's end waits for it
            accounting = ahead.accounting(path)
            source = _streamed_csv(path, instrument, plain, accounting)
            if source is not None:
                return source
            accounting.cancel()
    return RawSource(read_raw(path, instrument, sheet=sheet))


def _streamed_csv(
    path: Path, instrument: Instrument, plain: PlainLayout, accounting: Future
) -> RawSource | None:
    """The :class:`RawSource` of a CSV whose head looks plain UTF-8 (see :func:`open_raw`);
    None when its first records are not a header and rows (read it whole: :func:`read_raw`
    says what is wrong). ``accounting`` gives the whole file's :class:`PlainLayout` (None: not
    plain after all, and the stream is declined when it ends, so the file is read whole)."""
    layout = instrument.raw
    header_rows, name_row = layout.header_rows, layout.name_row
    try:
        first = next(stream_file(path, plain.delimiter, plain.width, header_rows + 1000))
    except StreamDeclined:
        return None
    names = [str(first.column(j)[name_row - 1]) for j in range(first.num_columns)]
    if first.num_rows <= header_rows or not any(n.strip() for n in names):
        return None
    names, notes = _header_names(names, path)
    head = [list(map(str, r.values())) for r in first.to_pylist()]
    notes += _header_like_data(head, header_rows, name_row, instrument, path)
    columns = frame_from_table(first.slice(0, header_rows), header_rows, names)
    id_source = _finish_rows(columns, instrument, header_rows)

    def blocks(rows: Sizes, only: list[str] | None = None) -> Iterator[pd.DataFrame]:
        seen = 0
        at = None if only is None else [names.index(c) for c in only if c in names]
        shown = names if at is None else [names[j] for j in at]
        if not isinstance(rows, int):  # sizes of data rows: the first table holds the header
            rows = [rows[0] + header_rows, *rows[1:]]
        for table in stream_file(path, plain.delimiter, plain.width, rows, at):
            skip = max(0, header_rows - seen)
            if table.num_rows > skip or not seen:
                data = frame_from_table(table, skip, shown, first_row=seen + 1)
                _finish_rows(data, instrument, header_rows)
                yield data
            seen += table.num_rows
        whole = accounting.result()
        if whole is None or (whole.delimiter, whole.width) != (plain.delimiter, plain.width):
            raise StreamDeclined("the accounting pass does not read the file as plain UTF-8")
        check_record_count(range(seen), whole.expected, path)

    def pick(pos: np.ndarray) -> pd.DataFrame | None:
        whole = accounting.result()  # done: the first pass over the blocks waited for it
        offsets = None if whole is None else whole.expected.offsets
        if offsets is None or len(pos) > PICK_MAX_ROWS:
            return None
        records = np.asarray(pos, dtype=np.int64) + header_rows
        table = parse_records(record_bytes(path, offsets, records), plain.delimiter, plain.width)
        if table is None or table.num_rows != len(records):
            return None
        data = frame_from_table(table, 0, names)
        data.index = pd.Index(records + 1, name="source_row")  # as the blocks number them
        _finish_rows(data, instrument, header_rows)
        return data

    table = RawTable(
        data=columns,
        path=path,
        # hashed while the blocks are read (sha256 of 800 MB: about a second)
        digest=ahead.sha256(path),
        header_rows=header_rows,
        notes=notes,
        respondent_id=id_source,
        **plain.info,
    )
    return RawSource(table, blocks, pick)


#: at most this many rows are read by their byte offsets (:meth:`RawSource.rows`); more are
#: gathered by a pass over the blocks
PICK_MAX_ROWS = 100_000


def one_chunk(data: pd.DataFrame) -> None:
    """Give every Arrow string column of ``data`` one chunk, in place, a column at a time.

    pyarrow's CSV reader gives each column one chunk per 16 MB block of the file; in one chunk a
    column can be read as it stands (:func:`giftreview.data.columns.to_arrow` without a copy),
    which is how open text, nearly all distinct, is read (:mod:`giftreview.data.readings`).
    The cells are unchanged; at most one column is held twice at a time.
    """
    for col in data.columns:
        arr = data[col].array
        chunks = getattr(arr, "_pa_array", None)  # pandas' Arrow-backed strings
        if isinstance(chunks, pa.ChunkedArray) and chunks.num_chunks > 1:
            # large_string: one chunk of more than 2 GB of text needs 64-bit offsets
            one = pa.chunked_array([chunks.cast(pa.large_string()).combine_chunks()])
            data[col] = pd.Series(pd.array(one, dtype=arr.dtype), index=data.index)


def _join_spread_choices(data: pd.DataFrame, instrument: Instrument) -> None:
    """Multiple-choice questions spread over one column per option (SurveyMonkey, LimeSurvey,
    KoBoToolbox split columns): join the labels of the ticked options into the question's own
    column, separated by its separator. A tick is any cell but blank, ``0`` or ``false``; the
    option columns stay as they are."""
    for q in instrument.questions:
        cols = q.option_columns
        if not cols or q.raw_column in data.columns or not any(c in data.columns for c in cols):
            continue
        ticked = [
            (o.label, ~data[o.column].str.strip().str.casefold().isin(["", "0", "false"]))
            for o in q.options
            if o.column in data.columns
        ]
        joined = [
            f"{q.separator} ".join(lab for lab, mask in ticked if mask.iloc[i])
            for i in range(len(data))
        ]
        data[q.raw_column] = pd.array(joined, dtype="string")


def _check_exists(path: Path) -> None:
    if path.is_dir():
        raise InputFileError("is a folder; give the raw export file inside it", path=path)
    if not path.exists():
        near = sorted(p.name for p in path.parent.glob("*") if p.is_file())[:10]
        hint = f" Files in {path.parent}: {', '.join(near)}." if near else ""
        raise InputFileError(f"file not found; check the path.{hint}", path=path)
    if path.stat().st_size == 0:
        raise InputFileError(
            "the file is empty (0 bytes); export the survey again with its header and answers",
            path=path,
        )


def _frame(
    records: list[list[str]], header_rows: int, name_row: int, path: Path
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    if not isinstance(records, list):  # an Arrow table from fastcsv.parse_table
        names = [str(records.column(j)[name_row - 1]) for j in range(records.num_columns)]
        if records.num_rows > header_rows and any(n.strip() for n in names):
            names, notes = _header_names(names, path)
            return frame_from_table(records, header_rows, names), notes
        records = [list(map(str, r.values())) for r in records.to_pylist()]
    if not records or not any(c.strip() for r in records for c in r):
        raise InputFileError("the file holds no header and no rows; export it again", path=path)
    if len(records) < header_rows:
        raise InputFileError(
            f"the file has {len(records)} row(s) but the instrument says the header spans "
            f"{header_rows}; check raw.header_rows",
            path=path,
        )
    body = records[header_rows:]
    if not body:
        raise InputFileError(
            f"the file holds only the header ({header_rows} row(s)) and no answers; export the "
            "responses too",
            path=path,
        )
    names, notes = _header_names(records[name_row - 1], path)
    n_header = len(names)
    width = max(n_header, *(len(r) for r in body))
    names += [f"unnamed_{j + 1}" for j in range(n_header, width)]
    notes += _ragged_notes(body, n_header, header_rows, path)
    rows = [r + [""] * (width - len(r)) if len(r) < width else r for r in body]
    index = pd.Index(range(header_rows + 1, header_rows + 1 + len(rows)), name="source_row")
    data = pd.DataFrame(rows, columns=names, index=index, dtype=object)
    return data.astype(pd.StringDtype()).fillna(""), notes


def _header_names(raw_names: list[str], path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    names: list[str] = []
    notes: list[dict[str, Any]] = []
    for j, name in enumerate(raw_names):
        clean = " ".join(name.replace("\ufeff", "").split()) or f"unnamed_{j + 1}"
        problem = None
        if clean in names:
            n = 2
            while f"{clean}__{n}" in names:
                n += 1
            problem = ("repeated_header", f"name {clean!r} repeats; read as {clean}__{n}")
            clean = f"{clean}__{n}"
        elif not name.strip():
            problem = ("blank_header", f"column {j + 1} has no name; read as {clean}")
        if problem is not None:
            notes.append(note(path, None, clean, name, problem[0], "kept", problem[1]))
        names.append(clean)
    return names, notes


def _ragged_notes(
    body: list[list[str]], n_header: int, header_rows: int, path: Path
) -> list[dict[str, Any]]:
    notes = []
    for i, r in enumerate(body):
        if len(r) > n_header and any(c.strip() for c in r[n_header:]):
            notes.append(
                note(
                    path,
                    header_rows + 1 + i,
                    None,
                    str(len(r)),
                    "ragged_row",
                    "kept",
                    f"row has {len(r)} cells but the header names {n_header}; the extra cells "
                    "are kept as unnamed_<n> columns",
                )
            )
    return notes


def _header_like_data(
    records: list[list[str]], header_rows: int, name_row: int, instrument: Instrument, path: Path
) -> list[dict[str, Any]]:
    """A warning naming the header rows (other than the names row) that look like answers: an
    id of the same shape as the data's ids, or a valid answer label (``raw.header_rows`` set too
    high swallows respondents without a word otherwise)."""
    if header_rows < 2:
        return []
    names = [c.strip().casefold() for c in records[name_row - 1]]
    want = instrument.raw.respondent_id.strip().casefold()
    j = names.index(want) if want in names else None
    body_ids = [r[j] for r in records[header_rows:] if j is not None and len(r) > j and r[j]]
    shapes = {shape(v) for v in body_ids}
    labels = {o.label.casefold() for q in instrument.questions for o in instrument.levels_of(q.id)}
    rows = []
    for i in range(header_rows):
        if i == name_row - 1:
            continue
        rec = records[i]
        id_like = j is not None and len(rec) > j and rec[j].strip() and shape(rec[j]) in shapes
        answers = [c for c in rec if c.strip().casefold() in labels]
        if id_like or len(answers) >= 2:
            rows.append(i + 1)
    if not rows:
        return []
    return [
        note(path, None, None, ", ".join(map(str, rows)), "header_looks_like_data", "none",
              f"header row(s) {', '.join(map(str, rows))} look like answers (an id such as the "
              f"data's, or answer labels) but raw.header_rows is {header_rows}, so they are "
              "read as header and not counted: check raw.header_rows in the instrument")
    ]  # fmt: skip


def _uncached_note(cells: tuple[str, ...], path: Path) -> dict[str, Any]:
    shown = ", ".join(cells[:20]) + (f" and {len(cells) - 20} more" if len(cells) > 20 else "")
    return note(path, None, None, shown, "uncached_formula", "none",
                 f"cell(s) {shown} hold a formula without a saved result, read as blank; open "
                 "the workbook in Excel or LibreOffice, let it recalculate, save and retry (or "
                 "paste the values)")  # fmt: skip


def load_clean(wave_dir: Path | str, instrument: Instrument | None = None) -> pd.DataFrame:
    """Read the clean table of one wave (``<wave_dir>/clean.parquet``) with its dtypes.

    The table is checked against the pandera schema of the data contract
    (:func:`giftreview.data.schema.check_clean`, ``lazy=True``): with ``instrument``, every
    column; without, the columns every clean table has.

    Parameters
    ----------
    wave_dir
        A folder written by :func:`giftreview.data.clean.clean_wave` (``data/processed/<wave>``).
    instrument
        The instrument the wave was cleaned with (checks every answer column), or None.

    Returns
    -------
    pandas.DataFrame
        Dtypes as in ``docs/data-contract.md`` (ordered categoricals for scales, nullable
        booleans for multiple-choice options, Float64 counts).
    """
    path = Path(wave_dir) / "clean.parquet"
    if not path.exists():
        raise InputFileError("no clean table here; run `giftreview clean RAW` first", path=path)
    return check_clean(pd.read_parquet(path), instrument, path=path, complete=False)


def load_manifest(wave_dir: Path | str) -> dict[str, Any]:
    """Read ``<wave_dir>/manifest.json`` (raw and instrument sha256, version, row counts)."""
    path = Path(wave_dir) / "manifest.json"
    if not path.exists():
        raise InputFileError("no manifest here; run `giftreview clean RAW` first", path=path)
    return json.loads(path.read_text(encoding="utf-8"))
