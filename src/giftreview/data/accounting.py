"""The independent accounting pass of a CSV export: how many records it holds, and where.

:func:`count_records` counts the records of a decoded CSV text by a strict pass kept apart from
the parse that builds the table, so a faster parser can replace that one while this pass still
checks it (:func:`check_record_count`). A stray quote that swallows rows into one cell is refused
with the line to fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from giftreview.data.rawcells import shape
from giftreview.errors import InputFileError

__all__ = ["RecordCount", "count_records", "check_record_count"]


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
    first_shape = shape(record[0])
    for cell in record[1:]:
        for k, piece in enumerate(cell.splitlines()[1:], start=1):
            first = piece.split(delimiter, 1)[0]
            if (
                piece.count(delimiter) >= width - 1
                and first.strip()
                and shape(first) == first_shape
            ):
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
