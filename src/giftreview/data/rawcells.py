"""What every raw reader shares: the text of a cell, repairs of broken bytes, reading notes.

:func:`cell_text` writes a typed cell value (XLSX, SPSS) as the text a CSV would hold;
:func:`repair_records` decodes cp1252 bytes left in a UTF-8 text and removes NUL bytes, cell by
cell, with one audit entry per changed cell; :func:`note` builds one row of the validation
report for a problem met while reading. Used by :mod:`giftreview.data.io` and its readers
(:mod:`~giftreview.data.rawcsv`, :mod:`~giftreview.data.rawxlsx`, :mod:`~giftreview.data.rawsav`).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

__all__ = [
    "cell_text",
    "note",
    "shape",
    "REPAIR_MESSAGES",
    "NEEDS_REPAIR",
    "needs_repair",
    "repair_records",
]


def cell_text(value: Any) -> str:
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


def note(path, row, column, value, rule, action, message) -> dict[str, Any]:
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


def shape(text: str) -> str:
    return re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", text.strip()))


REPAIR_MESSAGES = {
    "encoding_repaired": "bytes that are not UTF-8 decoded as Windows-1252 in this cell "
    "(a UTF-8 export with one pasted cp1252 cell); check the accents",
    "nul_removed": "NUL byte(s) removed from this cell (a damaged export); check the text",
}

_ESCAPED = re.compile("[\udc80-\udcff]+")


def _cp1252(match: re.Match[str]) -> str:
    return bytes(ord(c) - 0xDC00 for c in match.group(0)).decode("cp1252")


def repair_records(
    records: list[list[str]], header_rows: int, name_row: int, id_column: str
) -> list[dict[str, Any]]:
    """Decode cp1252 bytes left in a UTF-8 text and remove NUL bytes, cell by cell, in place;
    one audit dict per changed data cell (header cells are repaired without an entry)."""
    repairs: list[dict[str, Any]] = []
    if not needs_repair("\x1f".join(map("\x1f".join, records))):
        return repairs  # one look at the whole text (the usual case: nothing to repair)
    names = [_fix(c) for c in records[name_row - 1]] if len(records) >= name_row else []
    want = id_column.strip().casefold()
    j_id = next((j for j, n in enumerate(names) if n.strip().casefold() == want), None)
    for i, rec in enumerate(records):
        for j, cell in enumerate(rec):
            if not NEEDS_REPAIR.search(cell):
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


NEEDS_REPAIR = re.compile("[\udc80-\udcff\x00]")


def needs_repair(text: str) -> bool:
    """Whether ``text`` holds a NUL or an escaped byte (a lone surrogate, which UTF-8 cannot
    encode): :data:`NEEDS_REPAIR`'s test on a whole file or sheet, by two C-speed scans instead of a
    regex over every character."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _fix(cell: str) -> str:
    return _ESCAPED.sub(_cp1252, cell).replace("\x00", "")
