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


def sheet_names(path: Path) -> list[str] | None:
    """The workbook's sheet names, in order, or None when calamine cannot open it."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        try:
            return list(wb.sheet_names)
        finally:
            wb.close()
    except Exception:  # calamine raises its own errors for odd workbooks: openpyxl decides
        return None


def sheet_rows(path: Path, sheet: str, cell_text: Callable[[Any], str]) -> list[list[str]] | None:
    """Rows of ``sheet`` as text (trailing empty rows dropped), or None when calamine cannot."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        wb = CalamineWorkbook.from_path(str(path))
        try:
            values = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        finally:
            wb.close()
        # a text cell (most cells) is already its own text; "" is an empty cell either way
        rows = [[v if type(v) is str else cell_text(v) for v in row] for row in values]
    except Exception:  # calamine raises its own errors for odd workbooks: openpyxl decides
        return None
    while rows and not any(rows[-1]):
        rows.pop()
    return rows
