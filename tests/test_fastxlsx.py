"""giftreview.data.fastxlsx: calamine reads a sheet as the same text as openpyxl."""

from __future__ import annotations

import io

import openpyxl

from giftreview.data import rawxlsx
from giftreview.data.fastxlsx import sheet_rows
from giftreview.data.rawcells import cell_text


def test_same_rows_as_openpyxl(fixtures_dir, tmp_path):
    # a workbook written here: numbers, dates, blanks, a leading blank row, trailing blank rows
    import datetime as dt

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append([])
    ws.append(["respondent_id", "hq_staff", "submitted", "sector"])
    ws.append(["A", 5, dt.datetime(2010, 3, 1, 10, 42), "NGO"])
    ws.append(["B", 2.5, None, "=not a formula"])
    ws.append([None, None, None, None])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    for file, sheet in (
        (path, "Responses"),
        (fixtures_dir / "bad_inputs" / "data_on_other_sheet.xlsx", "Responses"),
    ):
        book = openpyxl.load_workbook(io.BytesIO(file.read_bytes()), read_only=True, data_only=True)
        scan = rawxlsx._scan_sheet(file, book, sheet)  # the last row with content, as read_raw does
        assert sheet_rows(file, sheet, cell_text) == rawxlsx._sheet_rows(book[sheet], scan, file)
    rows = sheet_rows(path, "Responses", cell_text)
    assert rows[0] == ["", "", "", ""] and rows[2] == ["A", "5", "2010-03-01 10:42:00", "NGO"]


def test_unreadable_workbook_gives_none(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK\x03\x04 not a workbook")
    assert sheet_rows(path, "Sheet1", cell_text) is None
