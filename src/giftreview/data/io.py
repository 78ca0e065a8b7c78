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
still read). :func:`load_clean` and :func:`load_manifest` read ``data/processed/<wave>/`` back.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from giftreview.data.fastcsv import frame_from_table, parse_table
from giftreview.data.fastxlsx import sheet_rows
from giftreview.data.instrument import Instrument, file_sha256
from giftreview.data.schema import check_clean
from giftreview.data.spec import ROW_ID
from giftreview.errors import InputFileError

__all__ = [
    "RawTable",
    "RecordCount",
    "read_raw",
    "detect_encoding",
    "sniff_delimiter",
    "count_records",
    "check_record_count",
    "load_clean",
    "load_manifest",
]

#: cells longer than this are read whole; validation sets them missing (see ``validate``)
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_DELIMITERS = (",", ";", "\t")
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
    path, sha256, format, encoding, delimiter, sheet, header_rows
        Where the data came from (``encoding``/``delimiter`` for CSV, ``sheet`` for XLSX).
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
    sha256: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_rows: int = 1
    notes: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    respondent_id: str | None = None

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
        records, info = _xlsx_records(
            path, sheet if sheet is not None else layout.sheet, instrument
        )
    elif head.startswith(_OLE2_MAGIC):
        raise InputFileError(
            "an Excel 97-2003 workbook (.xls) or a password-protected .xlsx, which giftreview "
            "does not read; open it in Excel or LibreOffice and save it as .xlsx (without a "
            "password) or as CSV UTF-8",
            path=path,
        )
    elif head.startswith(_SAV_MAGIC):
        records, info, notes = _sav_records(path, instrument)
    else:
        records, info = _csv_records(path, encoding)
    uncached = info.pop("uncached", ())
    header_rows = 1 if info["format"] == "sav" else layout.header_rows
    name_row = 1 if info["format"] == "sav" else layout.name_row
    if isinstance(records, list):
        repairs = _repair_records(records, header_rows, name_row, layout.respondent_id)
        head = records
    else:  # an Arrow table (data/fastcsv.py): its text held nothing to repair
        repairs = []
        head = [
            list(map(str, r.values())) for r in records.slice(0, header_rows + 1000).to_pylist()
        ]
    data, frame_notes = _frame(records, header_rows, name_row, path)
    notes += frame_notes + _header_like_data(head, header_rows, name_row, instrument, path)
    if uncached:
        notes.append(_uncached_note(uncached, path))
    notes += [_note(path, r["source_row"], r["column"], r["before"], r["rule"], "normalised",
                    _REPAIR_MESSAGES[r["rule"]]) for r in repairs]  # fmt: skip
    id_source = f"column {layout.respondent_id!r}"
    if layout.ids_from_rows and ROW_ID not in data.columns:
        # `respondent_id: row`: the data row number (1 = first row after the header) is the id
        data.insert(0, ROW_ID, pd.array([str(i) for i in range(1, len(data) + 1)], dtype="string"))
        id_source = "row (data row number)"
    _join_spread_choices(data, instrument)
    return RawTable(
        data=data,
        respondent_id=id_source,
        path=path,
        sha256=file_sha256(path),
        header_rows=header_rows,
        notes=notes,
        repairs=repairs,
        **info,
    )


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


# ---- files ------------------------------------------------------------------------------------
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


def detect_encoding(data: bytes) -> str:
    """The text encoding of a CSV export: ``utf-8-sig``, ``utf-16``, ``utf-16-le``/``-be``,
    ``utf-8`` or ``cp1252``.

    Hand-written on purpose: survey exports come in very few encodings, and a statistical
    detector (charset-normalizer, chardet) guesses cp1250, mac_roman or similar for short
    Western-European files, which silently garbles accents. Here a BOM decides; UTF-16 without a
    BOM is recognised by its zero bytes at every other position (ASCII text in UTF-16); otherwise
    the file is strict UTF-8 or cp1252 (which also reads latin-1 text: the two differ only in
    0x80-0x9F, where latin-1 has control codes no survey answer contains). A UTF-8 file with
    some cells in cp1252 is reported as ``utf-8``: :func:`read_raw` repairs those cells one by
    one and audits each.

    Raises
    ------
    InputFileError
        When the bytes are neither (e.g. Shift-JIS); the message names the first line and byte
        that is neither and asks for a UTF-8 export.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bomless = _utf16_without_bom(data)
    if bomless:
        return bomless
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    if any(ord(c) >= 0x80 and not 0xDC80 <= ord(c) <= 0xDCFF for c in text):
        bad = _undecodable(text)
        if bad is None:
            return "utf-8"  # UTF-8 with some cp1252 cells: repaired cell by cell
    else:
        bad = _undecodable(data.decode("latin-1"), cp1252_only=True)
        if bad is None:
            return "cp1252"
    line, col, byte = bad
    raise InputFileError(
        f"unknown text encoding: line {line}, character {col}: byte 0x{byte:02X} is neither "
        "UTF-8 nor Windows-1252/latin-1. Save the export as 'CSV UTF-8' (in Python, "
        "read_raw(..., encoding=...) reads others)"
    )


_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _undecodable(text: str, cp1252_only: bool = False) -> tuple[int, int, int] | None:
    """(line, column, byte) of the first byte cp1252 cannot decode, or None.

    ``text`` is either UTF-8 decoded with ``surrogateescape`` (the bytes UTF-8 rejects are
    U+DC80-U+DCFF) or, with ``cp1252_only``, latin-1 (every byte one character)."""
    for i, line in enumerate(text.split("\n"), start=1):
        for j, ch in enumerate(line, start=1):
            o = ord(ch)
            byte = o - 0xDC00 if 0xDC80 <= o <= 0xDCFF else (o if cp1252_only else None)
            if byte is not None and byte in _CP1252_UNDEFINED:
                return i, j, byte
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the first bytes look like UTF-16 text without a BOM."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 4:
        return None
    odd = sample[1 : 2 * half : 2].count(0) / half
    even = sample[0 : 2 * half : 2].count(0) / half
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def _looks_binary(data: bytes) -> bool:
    """True for bytes that are not text. A few stray NUL bytes (a broken export) do not count:
    :func:`read_raw` removes them and audits each cell."""
    sample = data[:8192]
    nul = sample.count(0)
    if nul > max(16, len(sample) // 200):
        return True
    controls = sum(b < 32 and b not in (0, 9, 10, 13) for b in sample)
    return controls > max(8, len(sample) // 10)  # text holds at most a few stray controls


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV file, from its first header line: comma, semicolon or tab.

    Counted on the header line instead of ``csv.Sniffer``, which guesses from the whole sample
    and is misled by commas and semicolons inside free-text answers; column names rarely hold
    either. Returns ``","`` when the line holds none (a one-column file).
    """
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _decode(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    bomless = _utf16_without_bom(data) if encoding is None else None
    if encoding is None and not bomless and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _looks_binary(data):
            raise InputFileError(
                "looks like a binary file, not a CSV, XLSX or SPSS .sav export; check that you "
                "picked the right file",
                path=path,
            )
    try:
        enc = encoding or detect_encoding(data)
        # surrogateescape keeps the bytes UTF-8 rejects; _repair_cells decodes them as cp1252
        text = data.decode(enc, errors="surrogateescape" if enc == "utf-8" else "strict")
    except InputFileError as exc:
        raise InputFileError(str(exc), path=path) from None
    except (UnicodeDecodeError, LookupError) as exc:
        where = ""
        if isinstance(exc, UnicodeDecodeError):
            line = data[: exc.start].count(b"\n") + 1
            where = f" at line {line}, byte 0x{data[exc.start]:02X}"
        raise InputFileError(
            f"cannot decode as {encoding!r}{where}: {exc.reason}; give the file's encoding "
            "(read_raw(..., encoding=...)) or save it as 'CSV UTF-8'",
            path=path,
        ) from None
    return text, enc


def _csv_records(path: Path, encoding: str | None) -> tuple[list[list[str]], dict[str, Any]]:
    data = path.read_bytes()
    text, enc = _decode(data, encoding, path)
    if not text.replace("\x00", "").strip():
        raise InputFileError("the file holds only blank space; export the survey again", path=path)
    first = text[: 1 << 20].lstrip("\ufeff").splitlines()[0]  # not a copy of the whole file
    delimiter = sniff_delimiter(first)
    _check_delimiter(first, delimiter, path)
    expected = count_records(text, delimiter, path)  # the independent accounting pass
    # a large file with nothing to repair: pyarrow (data/fastcsv.py), checked by the same count
    table = None if _NEEDS_REPAIR.search(text) else parse_table(text, delimiter)
    if table is not None:
        check_record_count(range(table.num_rows), expected, path)
        return table, {"format": "csv", "encoding": enc, "delimiter": delimiter}
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(f"not a readable CSV file ({exc})", path=path) from None
    while records and not records[-1]:  # trailing empty lines are not rows
        records.pop()
    check_record_count(records, expected, path)
    return records, {"format": "csv", "encoding": enc, "delimiter": delimiter}


# ---- row accounting ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordCount:
    """What the independent accounting pass found: the physical line each record starts on."""

    starts: tuple[int, ...]
    lines: int

    @property
    def n(self) -> int:
        return len(self.starts)


def count_records(text: str, delimiter: str, path: Path | str) -> RecordCount:
    """Count the records of a CSV text by a strict, independent pass.

    Python's csv module in ``strict`` mode refuses a closing quote not followed by a delimiter
    or a line end, and a quote still open at the end of the file: the two shapes a stray quote
    takes when it swallows the following rows into one cell. It also gives the physical line of
    each record; the number of physical lines must equal the records plus the line breaks
    quoted inside cells. A quoted cell holding a line shaped like a record (the delimiters of a
    record, a first field shaped like the id)
    (rows swallowed by a quote that happens to close at a cell end) is refused too.

    Kept apart from the parse that builds the table so a faster parser can replace that one
    while this pass still checks it (:func:`check_record_count`).

    Raises
    ------
    InputFileError
        Naming the line where the records diverge and the fix.
    """
    name = Path(path).name
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    starts: list[int] = []
    width = 0
    line = 0
    try:
        for record in reader:
            starts.append(line + 1)
            width = width or len(record)
            inner = sum(c.count("\n") + c.count("\r") - c.count("\r\n") for c in record)
            if reader.line_num != line + 1 + inner:
                raise _diverge(name, line + 1, reader.line_num, "line breaks do not add up")
            if inner:
                _check_swallowed(record, delimiter, width, name, line + 1)
            line = reader.line_num
    except csv.Error as exc:
        raise _diverge(name, line + 1, reader.line_num, str(exc)) from None
    return RecordCount(tuple(starts), line)


def _check_swallowed(record: list[str], delimiter: str, width: int, name: str, start: int):
    """Refuse a quoted cell with a line shaped like a whole row: as many delimiters as the
    header and a first field shaped like this record's first field (``ORG-0007``)."""
    if width < 3 or not record[0].strip():
        return
    shape = _shape(record[0])
    for cell in record[1:]:
        for k, piece in enumerate(cell.splitlines()[1:], start=1):
            first = piece.split(delimiter, 1)[0]
            if piece.count(delimiter) >= width - 1 and first.strip() and _shape(first) == shape:
                raise InputFileError(
                    f"line {start}: a quoted cell runs over {k} line break(s) and line "
                    f"{start + k} inside it holds {piece.count(delimiter)} delimiters, like a "
                    'whole row: an unbalanced quote (") has swallowed rows into one cell. Fix '
                    f'the quote on line {start} (double it as "" or close it) and export again',
                    path=name,
                )


def _diverge(name: str, start: int, stop: int, why: str) -> InputFileError:
    where = f"a strict parse stops at line {stop}: {why}" if stop > start else why
    return InputFileError(
        f"line {start}: unterminated or misplaced quote: the record starting on line {start} "
        f"does not end where a CSV record must ({where}); "
        f'rows from line {start} on would be swallowed into one cell. Fix the quote (") on '
        f'line {start}: close it, or double it ("") inside a quoted cell, and export again',
        path=name,
    )


def check_record_count(records: list[list[str]], expected: RecordCount, path: Path | str) -> None:
    """Raise :class:`InputFileError` when a parse found another number of records than
    :func:`count_records`; the message names the first line where they differ."""
    if len(records) == expected.n:
        return
    line = expected.starts[min(len(records), expected.n - 1)] if expected.n else 1
    raise InputFileError(
        f"line {line}: the parser read {len(records)} records but the accounting pass counts "
        f"{expected.n}; the records diverge at line {line}. Check the quotes and line breaks "
        "there, or report this file",
        path=Path(path).name,
    )


def _check_delimiter(first: str, delimiter: str, path: Path) -> None:
    if delimiter in first:
        return
    odd = [c for c in ("|", ":", "^", "~", "#") if first.count(c) >= 2]
    if odd:
        raise InputFileError(
            f"the header is separated by {odd[0]!r}, which giftreview does not read; "
            "export with comma, semicolon or tab as the delimiter",
            path=path,
        )


# ---- XLSX -------------------------------------------------------------------------------------
def _xlsx_records(
    path: Path, sheet: str | int | None, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any]]:
    import openpyxl

    fh = open(path, "rb")  # a file object, not the path: openpyxl refuses a .csv name
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        fh.close()
        raise _bad_workbook(path, exc) from None
    try:
        names = list(wb.sheetnames)
        name = _pick_sheet(names, sheet, path)
        scan = {n: _scan_sheet(path, wb, n) for n in names}
        # python-calamine (data/fastxlsx.py) unless the sheet is padded with empty rows, which
        # only the scan-limited openpyxl stream reads quickly
        rows = None if _padded(wb[name], scan[name]) else sheet_rows(path, name, _cell_text)
        rows = rows if rows is not None else _sheet_rows(wb[name], scan[name], path)
        if not _has_id_column(rows, instrument):
            other = [
                n
                for n in names
                if n != name and _has_id_column(_sheet_rows(wb[n], scan[n], path), instrument)
            ]
            if other:
                raise InputFileError(
                    f"sheet {name!r} holds no column {instrument.raw.respondent_id!r}; the data "
                    f"are on sheet {other[0]!r} (sheets: {', '.join(names)}). Pass "
                    f"--sheet {other[0]!r} or set raw.sheet in the instrument",
                    path=path,
                )
    except InputFileError:
        raise
    except Exception as exc:  # a part that fails only while streaming (shared strings, XML)
        raise _bad_workbook(path, exc) from None
    finally:
        wb.close()
        fh.close()
    return rows, {"format": "xlsx", "sheet": name, "uncached": scan[name].uncached}


def _bad_workbook(path: Path, exc: Exception) -> InputFileError:
    return InputFileError(
        f"cannot open the workbook, it is damaged or truncated ({str(exc)[:200] or 'no detail'}"
        "); open it in Excel or LibreOffice, save it again as .xlsx (or export "
        "the sheet as CSV UTF-8) and retry",
        path=path,
    )


@dataclass(frozen=True)
class _SheetScan:
    last_row: int | None  # last row holding a value (None: unknown, read to the end)
    uncached: tuple[str, ...]  # cells holding a formula without a saved value


_REF_RE = re.compile(rb'\br="[A-Z]{1,3}(\d+)"')
_UNCACHED_RE = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]{1,3}\d+)"[^>]*>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)'
    rb"\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>"
)


def _scan_sheet(path: Path, wb, sheet: str) -> _SheetScan:
    """Stream the sheet's XML once, without building cells: the last row holding a value, and
    the formula cells without a cached value.

    openpyxl's streaming reader parses every ``<row>`` element up to the sheet's declared
    dimension, so a sheet padded with millions of styled empty rows (a 25 MB file of 300 MB
    XML) takes minutes. A cell with content is the only element closed by ``</c>`` (an empty
    cell is ``<c r="A9" s="1"/>``), so the last ``</c>`` of the part, found by a byte search,
    gives the last row worth reading; reading stops there.
    """
    import zipfile

    ws = wb[sheet]
    member = getattr(ws, "_worksheet_path", None) or getattr(ws, "worksheet_path", None)
    if member is None:
        return _SheetScan(None, ())
    last, uncached, tail = 0, [], b""
    with zipfile.ZipFile(path) as zf, zf.open(member.lstrip("/")) as fh:
        head = fh.read(1 << 16)
        if re.search(rb"<\w+:worksheet\b", head):  # prefixed XML: no shortcut, read it all
            return _SheetScan(None, ())
        block = head
        while block:
            chunk = tail + block
            cut = chunk.rfind(b"</c>")  # scan up to the last whole cell; keep the rest
            body, tail = (chunk[: cut + 4], chunk[cut + 4 :]) if cut >= 0 else (b"", chunk)
            tail = tail[-(1 << 20) :] if len(tail) > (1 << 21) else tail  # empty rows: drop
            if cut >= 0:
                start = body.rfind(b"<c ", 0, cut)
                ref = _REF_RE.search(body, start, cut) if start >= 0 else None
                if ref is None:
                    return _SheetScan(None, ())  # cells without references: read everything
                last = max(last, int(ref.group(1)))
                if b"<f" in body:
                    uncached += [m.group(1).decode() for m in _UNCACHED_RE.finditer(body)]
            block = fh.read(1 << 22)
    return _SheetScan(last, tuple(uncached))


def _pick_sheet(names: list[str], sheet: str | int | None, path: Path) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) or (
        isinstance(sheet, str) and sheet.isdigit() and sheet not in names
    ):
        idx = int(sheet)
        if 0 <= idx < len(names):
            return names[idx]
    elif sheet in names:
        return sheet
    raise InputFileError(
        f"no sheet {sheet!r}; the workbook's sheets are: {', '.join(names)} "
        "(give a name or a 0-based index)",
        path=path,
    )


def _padded(ws, scan: _SheetScan) -> bool:
    """True when the sheet declares far more rows than its last row holding a value."""
    declared = getattr(ws, "max_row", None) or 0
    return scan.last_row is not None and declared > scan.last_row + 1000


def _sheet_rows(ws, scan: _SheetScan, path: Path) -> list[list[str]]:
    rows = []
    if scan.last_row != 0:
        for row in ws.iter_rows(values_only=True, max_row=scan.last_row):
            rows.append([_cell_text(v) for v in row])
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _has_id_column(rows: list[list[str]], instrument: Instrument) -> bool:
    if instrument.raw.ids_from_rows:
        return True
    want = instrument.raw.respondent_id.strip().casefold()
    head = rows[: instrument.raw.header_rows]
    return any(c.strip().casefold() == want for r in head for c in r)


def _cell_text(value: Any) -> str:
    """A cell value as text: ``None`` -> ``""``, ``5.0`` -> ``"5"``; dates, date-times, times of
    day and durations in ISO form (``2010-03-15``, ``2010-03-15 14:22:00``, ``14:22:00``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0) and value.tzinfo is None:
            return value.date().isoformat()  # a date cell (Excel stores dates as date-times)
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if hasattr(value, "isoformat"):  # pandas Timestamp and similar
        return value.isoformat()
    return str(value)


# ---- SPSS -------------------------------------------------------------------------------------
def _sav_records(
    path: Path, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any], list[dict[str, Any]]]:
    """Records of a ``.sav`` file; user-missing values (``MISSING VALUES 99``) are kept
    (``user_missing=True``) and shown as the instrument's missing-code label their value label
    names, else as their value label or value with a note asking for an alias."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True, user_missing=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise InputFileError(
            f"cannot read the SPSS file, it is damaged or not a .sav file ({str(exc)[:200]}); "
            "export it from SPSS again (File > Save As > .sav) or as CSV",
            path=path,
        ) from None
    header = [str(c) for c in df.columns]
    body = [[_cell_text(v) for v in row] for row in df.astype(object).itertuples(index=False)]
    notes = _user_missing(body, header, meta, instrument, path)
    return [header, *body], {"format": "sav", "encoding": meta.file_encoding}, notes


def _user_missing(body, header, meta, instrument: Instrument, path: Path) -> list[dict]:
    def norm_key(text: object) -> str:  # the key validate.norm_key matches labels by
        return " ".join(str(text).split()).casefold()

    codes: dict[str, str] = {}
    for m in [
        *instrument.missing_codes,
        *(c for q in instrument.questions for c in q.missing or []),
    ]:
        for spelling in (m.label, *m.aliases):
            codes.setdefault(norm_key(spelling), m.label)
    notes = []
    for j, col in enumerate(header):
        values = {_cell_text(v) for v in meta.missing_user_values.get(col, [])}
        labels = meta.variable_value_labels.get(col, {})
        shown = values | {
            _cell_text(labels[v]) for v in meta.missing_user_values.get(col, []) if v in labels
        }
        ranges = meta.missing_ranges.get(col, [])
        for i, row in enumerate(body):
            cell = row[j]
            if not cell or not (cell in shown or _in_ranges(cell, ranges)):
                continue
            label = codes.get(norm_key(cell))
            if label is not None:
                row[j] = label
                continue
            notes.append(
                _note(
                    path,
                    i + 2,
                    col,
                    cell,
                    "spss_user_missing",
                    "kept",
                    f"SPSS user-missing value {cell!r} matches no missing code of the "
                    "instrument; add it as an alias of a missing code (missing_codes: "
                    "aliases) so it counts as that code",
                )  # fmt: skip
            )
    return notes


def _in_ranges(cell: str, ranges: list[dict]) -> bool:
    try:
        x = float(cell)
    except ValueError:
        return False
    return any(r.get("lo", x) <= x <= r.get("hi", x) for r in ranges)


# ---- from records to a frame ------------------------------------------------------------------
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
    rows = [r + [""] * (width - len(r)) for r in body]
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
            notes.append(_note(path, None, clean, name, problem[0], "kept", problem[1]))
        names.append(clean)
    return names, notes


def _ragged_notes(
    body: list[list[str]], n_header: int, header_rows: int, path: Path
) -> list[dict[str, Any]]:
    notes = []
    for i, r in enumerate(body):
        if len(r) > n_header and any(c.strip() for c in r[n_header:]):
            notes.append(
                _note(
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


def _note(path, row, column, value, rule, action, message) -> dict[str, Any]:
    return {
        "file": Path(path).name,
        "source_row": row,
        "respondent_id": None,
        "column": column,
        "value": value,
        "rule": rule,
        "severity": "warning",
        "action": action,
        "message": message,
    }


# ---- checks and repairs after the parse --------------------------------------------------------
_REPAIR_MESSAGES = {
    "encoding_repaired": "bytes that are not UTF-8 decoded as Windows-1252 in this cell "
    "(a UTF-8 export with one pasted cp1252 cell); check the accents",
    "nul_removed": "NUL byte(s) removed from this cell (a damaged export); check the text",
}
_ESCAPED = re.compile("[\udc80-\udcff]+")


def _cp1252(match: re.Match[str]) -> str:
    return bytes(ord(c) - 0xDC00 for c in match.group(0)).decode("cp1252")


def _repair_records(
    records: list[list[str]], header_rows: int, name_row: int, id_column: str
) -> list[dict[str, Any]]:
    """Decode cp1252 bytes left in a UTF-8 text and remove NUL bytes, cell by cell, in place;
    one audit dict per changed data cell (header cells are repaired without an entry)."""
    repairs: list[dict[str, Any]] = []
    names = [_fix(c) for c in records[name_row - 1]] if len(records) >= name_row else []
    want = id_column.strip().casefold()
    j_id = next((j for j, n in enumerate(names) if n.strip().casefold() == want), None)
    for i, rec in enumerate(records):
        for j, cell in enumerate(rec):
            if not _NEEDS_REPAIR.search(cell):
                continue
            after = _fix(cell)
            rec[j] = after
            if i < header_rows:
                continue
            rule = "encoding_repaired" if _ESCAPED.search(cell) else "nul_removed"
            shown = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            rid = _fix(rec[j_id]) if j_id is not None and j_id < len(rec) else None
            column = names[j].strip() if j < len(names) else f"unnamed_{j + 1}"
            repairs.append({"source_row": i + 1, "respondent_id": rid, "column": column,
                            "before": shown.replace("\x00", "\\x00"), "after": after,
                            "rule": rule})  # fmt: skip
    return repairs


_NEEDS_REPAIR = re.compile("[\udc80-\udcff\x00]")


def _fix(cell: str) -> str:
    return _ESCAPED.sub(_cp1252, cell).replace("\x00", "")


def _shape(text: str) -> str:
    return re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", text.strip()))


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
    shapes = {_shape(v) for v in body_ids}
    labels = {o.label.casefold() for q in instrument.questions for o in instrument.levels_of(q.id)}
    rows = []
    for i in range(header_rows):
        if i == name_row - 1:
            continue
        rec = records[i]
        id_like = j is not None and len(rec) > j and rec[j].strip() and _shape(rec[j]) in shapes
        answers = [c for c in rec if c.strip().casefold() in labels]
        if id_like or len(answers) >= 2:
            rows.append(i + 1)
    if not rows:
        return []
    return [
        _note(path, None, None, ", ".join(map(str, rows)), "header_looks_like_data", "none",
              f"header row(s) {', '.join(map(str, rows))} look like answers (an id such as the "
              f"data's, or answer labels) but raw.header_rows is {header_rows}, so they are "
              "read as header and not counted: check raw.header_rows in the instrument")
    ]  # fmt: skip


def _uncached_note(cells: tuple[str, ...], path: Path) -> dict[str, Any]:
    shown = ", ".join(cells[:20]) + (f" and {len(cells) - 20} more" if len(cells) > 20 else "")
    return _note(path, None, None, shown, "uncached_formula", "none",
                 f"cell(s) {shown} hold a formula without a saved result, read as blank; open "
                 "the workbook in Excel or LibreOffice, let it recalculate, save and retry (or "
                 "paste the values)")  # fmt: skip


# ---- cleaned outputs --------------------------------------------------------------------------
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
