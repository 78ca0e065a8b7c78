"""Read a worksheet's cells with python-calamine (Rust), about ten times faster than openpyxl.

:func:`giftreview.data.io.read_raw` opens workbooks with openpyxl (sheet names, damaged-file
messages); the cells of the chosen sheet are read here when python-calamine is installed, as the
same text ``io`` makes of openpyxl's values (``5.0`` -> ``"5"``, dates in ISO form), from cell A1
so that row numbers are the spreadsheet's. Any failure returns None and openpyxl reads the sheet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["sheet_names", "sheet_rows"]


def _with_workbook(path: Path, read: Callable[[Any], Any]) -> Any:
    """``read(workbook)`` on the workbook opened by calamine, or None when it cannot be opened or
    read (calamine raises its own errors for odd workbooks: openpyxl then decides)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        try:
            return read(wb)
        finally:
            wb.close()
    except Exception:
        return None


def sheet_names(path: Path) -> list[str] | None:
    """The workbook's sheet names, in order, or None when calamine cannot open it."""
    return _with_workbook(path, lambda wb: list(wb.sheet_names))


def sheet_rows(path: Path, sheet: str, cell_text: Callable[[Any], str]) -> list[list[str]] | None:
    """Rows of ``sheet`` as text (trailing empty rows dropped), or None when calamine cannot."""
    values = _with_workbook(
        path, lambda wb: wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    )
    if values is None:
        return None
    try:
        # a text cell (most cells) is already its own text; "" is an empty cell either way
        rows = [[v if type(v) is str else cell_text(v) for v in row] for row in values]
    except Exception:  # a value cell_text cannot write: openpyxl decides
        return None
    while rows and not any(rows[-1]):
        rows.pop()
    return rows
