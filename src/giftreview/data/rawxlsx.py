"""Read an XLSX export: the chosen sheet's cells as text.

:func:`xlsx_records` opens the workbook with openpyxl (sheet names, damaged-file messages), scans
the sheet's XML once for its last row holding a value and its formulas without a saved result
(:func:`_scan_sheet`), and reads the cells with python-calamine (:mod:`giftreview.data.fastxlsx`),
or with openpyxl's streaming reader when calamine cannot or the sheet is padded with empty rows.
When the data are on another sheet the message names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giftreview.data.fastxlsx import sheet_names, sheet_rows
from giftreview.data.instrument import Instrument
from giftreview.data.rawcells import cell_text
from giftreview.errors import InputFileError

__all__ = ["xlsx_records"]


def xlsx_records(
    path: Path, sheet: str | int | None, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any]]:
    fast = _calamine_records(path, sheet, instrument)
    if fast is not None:
        return fast
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
        rows = None if _padded(wb[name], scan[name]) else sheet_rows(path, name, cell_text)
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


def _calamine_records(
    path: Path, sheet: str | int | None, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any]] | None:
    """The records of the chosen sheet read by python-calamine alone, without openpyxl: opening
    a workbook with openpyxl parses every sheet without a ``<dimension>`` element in full just
    to size it (minutes for 100,000 rows). None when anything is unusual (calamine cannot open
    it, the sheet part cannot be found, the sheet is padded with empty rows, or it holds no id
    column): then the openpyxl path reads it and words any message."""
    names = sheet_names(path)
    if not names:
        return None
    name = _pick_sheet(names, sheet, path)  # an unknown sheet: the same message either way
    member = _sheet_member(path, name)
    if member is None:
        return None
    scan = _scan_member(path, member)
    if scan.last_row is None or scan.declared > scan.last_row + 1000:
        return None
    rows = sheet_rows(path, name, cell_text)
    if rows is None or not _has_id_column(rows, instrument):
        return None
    return rows, {"format": "xlsx", "sheet": name, "uncached": scan.uncached}


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_member(path: Path, name: str) -> str | None:
    """The zip member of sheet ``name`` (``xl/worksheets/sheet1.xml``), from the workbook part
    and its relationships; None when they cannot be read."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            members = set(zf.namelist())
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    sheets = book.iter(f"{_MAIN_NS}sheet")
    rid = next((s.get(f"{_REL_NS}id") for s in sheets if s.get("name") == name), None)
    links = rels.iter(f"{_PKG_NS}Relationship")
    target = next((r.get("Target") for r in links if r.get("Id") == rid), None)
    if not target:
        return None
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return member if member in members else None


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
    declared: int = 0  # the last row of the sheet's <dimension> element (0: none)


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
    ws = wb[sheet]
    member = getattr(ws, "_worksheet_path", None) or getattr(ws, "worksheet_path", None)
    if member is None:
        return _SheetScan(None, ())
    return _scan_member(path, member.lstrip("/"))


_DIMENSION_RE = re.compile(rb'<dimension\b[^>]*\bref="[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?"')


def _scan_member(path: Path, member: str) -> _SheetScan:
    """:func:`_scan_sheet` of the zip member ``member`` (the sheet's XML part)."""
    import zipfile

    last, uncached, tail = 0, [], b""
    with zipfile.ZipFile(path) as zf, zf.open(member) as fh:
        head = fh.read(1 << 16)
        if re.search(rb"<\w+:worksheet\b", head):  # prefixed XML: no shortcut, read it all
            return _SheetScan(None, ())
        dim = _DIMENSION_RE.search(head)
        declared = int(dim.group(1)) if dim and dim.group(1) else 0
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
                uncached += _uncached_cells(body)
            block = fh.read(1 << 22)
    return _SheetScan(last, tuple(uncached), declared)


_FORMULA_RE = re.compile(rb"<f[\s>/]")


def _uncached_cells(body: bytes) -> list[str]:
    """References of the formula cells of ``body`` without a cached value: the cell around each
    ``<f>`` element is matched, instead of trying the pattern at every cell of the block."""
    found = []
    for f in _FORMULA_RE.finditer(body):
        start = body.rfind(b"<c ", 0, f.start())
        m = _UNCACHED_RE.match(body, start) if start >= 0 else None
        if m is not None and m.end() > f.start():
            found.append(m.group(1).decode())
    return found


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
            rows.append([cell_text(v) for v in row])
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def _has_id_column(rows: list[list[str]], instrument: Instrument) -> bool:
    if instrument.raw.ids_from_rows:
        return True
    want = instrument.raw.respondent_id.strip().casefold()
    head = rows[: instrument.raw.header_rows]
    return any(c.strip().casefold() == want for r in head for c in r)
