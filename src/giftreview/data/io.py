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
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from giftreview.data.instrument import ROW_ID, Instrument, file_sha256
from giftreview.errors import InputFileError

__all__ = [
    "RawTable",
    "read_raw",
    "detect_encoding",
    "sniff_delimiter",
    "load_clean",
    "load_manifest",
]

#: cells longer than this are read whole; validation sets them missing (see ``validate``)
_CSV_FIELD_LIMIT = 64 * 1024 * 1024
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_XLSX_MAGIC = b"PK\x03\x04"
_SAV_MAGIC = (b"$FL2", b"$FL3")


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
        Problems met while reading (ragged rows, blank or repeated header names), as dicts with
        the keys of the validation report.
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
    if head.startswith(_XLSX_MAGIC):
        records, info = _xlsx_records(
            path, sheet if sheet is not None else layout.sheet, instrument
        )
    elif head.startswith(_SAV_MAGIC):
        records, info = _sav_records(path)
    else:
        records, info = _csv_records(path, encoding)
    header_rows = 1 if info["format"] == "sav" else layout.header_rows
    name_row = 1 if info["format"] == "sav" else layout.name_row
    data, notes = _frame(records, header_rows, name_row, path)
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
    """The text encoding of a CSV export: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``cp1252``.

    Hand-written on purpose: survey exports come in very few encodings, and a statistical
    detector (charset-normalizer, chardet) guesses cp1250, mac_roman or similar for short
    Western-European files, which silently garbles accents. Here a BOM decides; otherwise the
    file is strict UTF-8 or cp1252 (which also reads latin-1 text: the two differ only in
    0x80-0x9F, where latin-1 has control codes no survey answer contains).

    Raises
    ------
    InputFileError
        When the bytes are neither (e.g. Shift-JIS); the message asks for a UTF-8 export.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for name in ("utf-8", "cp1252"):
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    raise InputFileError(
        "unknown text encoding: the bytes are neither UTF-8 nor Windows-1252/latin-1. "
        "Save the export as 'CSV UTF-8' (in Python, read_raw(..., encoding=...) reads others)"
    )


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(b < 32 and b not in (9, 10, 13) for b in sample)
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


def _csv_records(path: Path, encoding: str | None) -> tuple[list[list[str]], dict[str, Any]]:
    data = path.read_bytes()
    if encoding is None and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and _looks_binary(data):
        raise InputFileError(
            "looks like a binary file, not a CSV, XLSX or SPSS .sav export; check that you "
            "picked the right file",
            path=path,
        )
    try:
        enc = encoding or detect_encoding(data)
        text = data.decode(enc)
    except InputFileError as exc:
        raise InputFileError(str(exc), path=path) from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(f"cannot decode as {encoding!r}: {exc}", path=path) from None
    if not text.strip():
        raise InputFileError("the file holds only blank space; export the survey again", path=path)
    first = text.lstrip("\ufeff").splitlines()[0]
    delimiter = sniff_delimiter(first)
    _check_delimiter(first, delimiter, path)
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(f"not a readable CSV file ({exc})", path=path) from None
    while records and not records[-1]:  # trailing empty lines are not rows
        records.pop()
    return records, {"format": "csv", "encoding": enc, "delimiter": delimiter}


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


def _xlsx_records(
    path: Path, sheet: str | int | None, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputFileError(
            f"cannot open the workbook ({type(exc).__name__}: {exc})", path=path
        ) from None
    try:
        names = list(wb.sheetnames)
        name = _pick_sheet(names, sheet, path)
        rows = _sheet_rows(wb[name])
        if not _has_id_column(rows, instrument):
            other = [
                n for n in names if n != name and _has_id_column(_sheet_rows(wb[n]), instrument)
            ]
            if other:
                raise InputFileError(
                    f"sheet {name!r} holds no column {instrument.raw.respondent_id!r}; the data "
                    f"are on sheet {other[0]!r} (sheets: {', '.join(names)}). Pass "
                    f"--sheet {other[0]!r} or set raw.sheet in the instrument",
                    path=path,
                )
    finally:
        wb.close()
    return rows, {"format": "xlsx", "sheet": name}


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


def _sheet_rows(ws) -> list[list[str]]:
    rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
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
    """A cell value as text: ``None`` -> ``""``, ``5.0`` -> ``"5"``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _sav_records(path: Path) -> tuple[list[list[str]], dict[str, Any]]:
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise InputFileError(
            f"cannot read the SPSS file ({type(exc).__name__}: {exc})", path=path
        ) from None
    header = [str(c) for c in df.columns]
    body = [[_cell_text(v) for v in row] for row in df.astype(object).itertuples(index=False)]
    return [header, *body], {"format": "sav", "encoding": meta.file_encoding}


# ---- from records to a frame ------------------------------------------------------------------
def _frame(
    records: list[list[str]], header_rows: int, name_row: int, path: Path
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
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


# ---- cleaned outputs --------------------------------------------------------------------------
def load_clean(wave_dir: Path | str) -> pd.DataFrame:
    """Read the clean table of one wave (``<wave_dir>/clean.parquet``) with its dtypes.

    Parameters
    ----------
    wave_dir
        A folder written by :func:`giftreview.data.clean.clean_wave` (``data/processed/<wave>``).

    Returns
    -------
    pandas.DataFrame
        Dtypes as in ``docs/data-contract.md`` (ordered categoricals for scales, nullable
        booleans for multiple-choice options, Float64 counts).
    """
    path = Path(wave_dir) / "clean.parquet"
    if not path.exists():
        raise InputFileError("no clean table here; run `giftreview clean RAW` first", path=path)
    return pd.read_parquet(path)


def load_manifest(wave_dir: Path | str) -> dict[str, Any]:
    """Read ``<wave_dir>/manifest.json`` (raw and instrument sha256, version, row counts)."""
    path = Path(wave_dir) / "manifest.json"
    if not path.exists():
        raise InputFileError("no manifest here; run `giftreview clean RAW` first", path=path)
    return json.loads(path.read_text(encoding="utf-8"))
