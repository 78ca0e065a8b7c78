"""The independent accounting pass of a CSV export: how many records it holds, and where.

:func:`count_records` counts the records of a decoded CSV text by a strict pass kept apart from
the parse that builds the table, so a faster parser can replace that one while this pass still
checks it (:func:`check_record_count`). A stray quote that swallows rows into one cell is refused
with the line to fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from giftreview.data.rawcells import shape
from giftreview.errors import InputFileError

__all__ = ["RecordCount", "count_records", "scan_records", "scan_file", "check_record_count"]


@dataclass(frozen=True)
class RecordCount:
    """What the independent accounting pass found: the physical line each record starts on
    (and, when counted on the bytes, the byte each record starts at: ``offsets``)."""

    starts: tuple[int, ...]
    lines: int
    offsets: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def n(self) -> int:
        return len(self.starts)


def count_records(text: str | bytes, delimiter: str, path: Path | str) -> RecordCount:
    """Count the records of a CSV text by a strict, independent pass.

    Python's csv module in ``strict`` mode refuses a closing quote not followed by a delimiter
    or a line end, and a quote still open at the end of the file: the two shapes a stray quote
    takes when it swallows the following rows into one cell. It also gives the physical line of
    each record; the number of physical lines must equal the records plus the line breaks
    quoted inside cells. A quoted cell holding a line shaped like a record (the delimiters of a
    record, a first field shaped like the id)
    (rows swallowed by a quote that happens to close at a cell end) is refused too.
    Empty lines at the end of the file are not records (no parser reads them as rows).

    The plain case, where every quote opens a cell, closes it or is doubled inside it, is
    counted on the bytes by :func:`scan_records` (numpy, no Python loop); anything else, and
    any quoted line shaped like a row, goes through the csv module, which names the line.

    Kept apart from the parse that builds the table so a faster parser can replace that one
    while this pass still checks it (:func:`check_record_count`).

    Parameters
    ----------
    text
        The decoded text, or its UTF-8 bytes (without a byte-order mark).
    delimiter
        One character: ``,``, ``;`` or tab.
    path
        The file, named in messages.

    Raises
    ------
    InputFileError
        Naming the line where the records diverge and the fix.
    """
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    found = scan_records(data, delimiter)
    if found is not None:
        return found
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "surrogateescape")
    return _strict_count(text, delimiter, Path(path).name)


def _strict_count(text: str, delimiter: str, name: str) -> RecordCount:
    """:func:`count_records` record by record with Python's csv module in strict mode."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    starts: list[int] = []
    width = 0
    line = 0
    last = 0  # records up to the last non-empty one
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
            last = len(starts) if record else last
    except csv.Error as exc:
        raise _diverge(name, line + 1, reader.line_num, str(exc)) from None
    return RecordCount(tuple(starts[:last]), line)


#: bytes compared at a time: the masks of one chunk stay in the processor's cache, so the
#: compares, the OR and the search for set bytes each reread it from there, not from memory
#: (on the 1M export, 1 MB chunks took 10-20 % less time than 256 KB or 2-4 MB ones)
_CHUNK = 1 << 20


def _special(data) -> np.ndarray:
    """Positions (int64, ascending) of the bytes below ``0x0E`` (NUL, line feed, carriage
    return, and the other control bytes such as tab, which the caller drops) and of the quote
    ``0x22``: two compares a chunk at a time into reused masks, instead of one per byte value
    into fresh temporaries."""
    arr = np.frombuffer(data, dtype=np.uint8)
    size = min(len(arr), _CHUNK)
    low, quote = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
    parts = []
    for i in range(0, len(arr), _CHUNK):
        piece = arr[i : i + _CHUNK]
        m = len(piece)
        np.less(piece, 0x0E, out=low[:m])
        np.equal(piece, 0x22, out=quote[:m])
        np.bitwise_or(low[:m], quote[:m], out=low[:m])
        found = np.flatnonzero(low[:m])
        found += i
        parts.append(found)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def scan_records(data: bytes, delimiter: str) -> RecordCount | None:
    """The records of plain CSV bytes, counted with whole-array operations; None when the bytes
    are not plain (then only a record-by-record parse can say what they hold).

    Plain means: no NUL byte; every quote character either opens a cell (first byte of a
    field), closes it (followed by the delimiter, a line break or the end) or is one of a
    doubled pair; no quote left open; no empty line before the last record; and no quoted line
    holding as many delimiters as a record (a possibly swallowed row, which the csv-module pass
    then judges). Then a line break is inside a cell exactly when an odd number of quotes
    precedes it, each line break outside the quotes ends a record, and physical lines end at
    ``\\r\\n``, ``\\r`` or ``\\n``, as Python's csv module reads them. A property test checks
    the result against the csv module on random texts (``tests/test_accounting.py``).
    :func:`scan_file` gives the same count a piece of a file at a time.
    """
    scan = _Scan(delimiter)
    if scan.feed(np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8), final=True) is None:
        return None
    return scan.result()


#: bytes of a file :func:`scan_file` holds at a time (more only for a longer record)
FILE_CHUNK = 1 << 25


def scan_file(
    path: Path | str,
    delimiter: str,
    *,
    skip: int = 0,
    chunk: int = FILE_CHUNK,
    accept: Callable[[np.ndarray], bool] | None = None,
) -> RecordCount | None:
    """:func:`scan_records` of a file's bytes after its first ``skip`` (a byte-order mark),
    read ``chunk`` bytes at a time into one reused buffer instead of holding the whole file.

    Each piece handed to the count ends at a line break outside the quotes (a record's end),
    so the quote pairing, the line numbers and the empty-line rule carry over unchanged from
    one piece to the next; the bytes after that break wait in the buffer for the next read.
    ``accept`` (e.g. a UTF-8 check) is asked about each piece, which never splits a character;
    False declines the file like bytes that are not plain (None).
    """
    scan = _Scan(delimiter, at=skip)
    buf = np.empty(max(chunk, 2), dtype=np.uint8)
    held = 0
    with open(path, "rb") as fh:
        fh.seek(skip)
        while True:
            if held == len(buf):  # one record longer than the buffer: make room
                buf = np.concatenate([buf, np.empty(len(buf), dtype=np.uint8)])
            got = fh.readinto(memoryview(buf)[held:])
            held += got
            final = not got
            used = scan.feed(buf[:held], final=final)
            if used is None or (accept is not None and used and not accept(buf[:used])):
                return None
            if final:
                return scan.result()
            buf[: held - used] = buf[used:held].copy()
            held -= used


class _Scan:
    """The accounting pass's state from one piece of the bytes to the next: the lines before
    the piece, the record starts found so far and the header's fields."""

    def __init__(self, delimiter: str, at: int = 0) -> None:
        self.sep = ord(delimiter)
        self.lines = 0  # line breaks in the pieces before
        self.at = at  # bytes before the piece
        self.starts: list[np.ndarray] = []
        self.offsets: list[np.ndarray] = []
        self.width: int | None = None  # fields of the first line (None: not read as CSV)
        self.last_open = False  # the last piece did not end with a line break
        self.seen = False

    def result(self) -> RecordCount | None:
        if not self.seen:
            return None
        lines = self.lines + (1 if self.last_open else 0)
        starts = np.concatenate(self.starts) if self.starts else np.zeros(0, dtype=np.int64)
        offsets = np.concatenate(self.offsets) if self.offsets else np.zeros(0, dtype=np.int64)
        return RecordCount(tuple(starts.tolist()), int(lines), offsets.astype(np.int64))

    def feed(self, arr: np.ndarray, *, final: bool) -> int | None:
        """Count the records of ``arr``, which starts at a record's start: all of it when
        ``final``, else up to its last line break outside the quotes. The bytes counted (0: no
        whole record yet, read more), or None when they are not plain."""
        n = len(arr)
        if n == 0:
            return 0
        special = _special(arr)
        kind = arr[special]
        if len(kind) and not kind.min():  # a NUL byte
            return None
        quote, lf, cr = kind == 0x22, kind == 0x0A, kind == 0x0D
        keep = quote | lf | cr
        if not keep.all():  # tabs and other control bytes: neither quotes nor line breaks
            special, quote, lf, cr = special[keep], quote[keep], lf[keep], cr[keep]
        # a line ends at \r, at \n not right after \r (\r\n ends one line, at its \r); all
        # found on the positions alone (a \r is always among them)
        after_cr = np.zeros(len(special), dtype=bool)
        after_cr[1:] = cr[:-1] & (special[1:] == special[:-1] + 1)
        is_end = cr | (lf & ~after_cr)
        crlf = np.zeros(len(special), dtype=bool)  # a \r with its \n next
        crlf[:-1] = after_cr[1:] & lf[1:]
        ends = special[is_end]
        # inside a quoted cell: an odd number of quotes before (an end is not a quote)
        inside = (np.cumsum(quote, dtype=np.int32)[is_end] & 1).astype(bool)
        width = 1 + crlf[is_end].astype(np.int64)  # bytes of each line break
        quotes = special[quote]
        if not self.seen:  # the header's fields, from the file's first line
            self.width = _header_width(arr, ends, self.sep)
        if not final:
            # the last record end whose width is known (a \r at the end may lose its \n)
            done = np.flatnonzero(~inside & (ends < n - 1))
            if not len(done):
                return 0
            last = int(done[-1])
            cut = int(ends[last] + width[last])
            arr = arr[:cut]
            ends, inside, width = ends[: last + 1], inside[: last + 1], width[: last + 1]
            quotes = quotes[: np.searchsorted(quotes, cut)]
        elif len(quotes) % 2:
            return None
        return self._piece(arr, quotes, ends, inside, width, final)

    def _piece(self, arr, quotes, ends, inside, width, final: bool) -> int | None:
        """Count the records of ``arr`` given its quotes and line ends (``inside`` a quoted
        cell, ``width`` bytes of each line break)."""
        n, sep = len(arr), self.sep
        if len(quotes) and _misplaced_quote(arr, quotes, sep):
            return None
        out_at = np.flatnonzero(~inside)  # the record ends, as positions in ``ends``
        outside = ends[out_at]
        after_end = outside + width[out_at]  # ascending: the next record's first byte
        m = int(np.searchsorted(after_end, n))  # those inside ``arr``
        starts_at = np.concatenate([np.zeros(1, dtype=np.int64), after_end[:m]])
        # a record that is a bare line break: a record end at its first byte; the first end
        # after record k's start is record k's own end (both lists ascend), so compare those
        empty = np.zeros(m + 1, dtype=bool)
        empty[0] = len(outside) > 0 and outside[0] == 0
        both = min(m, len(outside) - 1)
        if both > 0:
            empty[1 : both + 1] = outside[1 : both + 1] == after_end[:both]
        if empty.any():
            keep = np.flatnonzero(~empty)
            last = keep[-1] + 1 if len(keep) else 0
            if empty[:last].any():
                return None  # an empty line between records: the csv module says what it is
            if not final:  # empty lines at the piece's end: the next piece tells what follows
                if last == 0:
                    return 0
                cut = int(starts_at[last])
                k = int(np.searchsorted(ends, cut))
                return self._piece(
                    arr[:cut],
                    quotes[: np.searchsorted(quotes, cut)],
                    ends[:k],
                    inside[:k],
                    width[:k],
                    False,
                )
            starts_at = starts_at[:last]
        if inside.any() and _row_shaped_lines(arr, ends[inside], ends, quotes, sep, self.width):
            return None
        # the physical line of each record: one more than the line breaks before it (record
        # k + 1 starts right after record end k)
        line_of = np.concatenate([np.ones(1, dtype=np.int64), out_at[:m] + 2])[: len(starts_at)]
        self.starts.append(line_of + self.lines)
        self.offsets.append(starts_at + self.at)
        self.lines += len(ends)
        self.at += n
        self.last_open = not (len(ends) and ends[-1] + width[-1] >= n)
        self.seen = True
        return n


def _misplaced_quote(arr: np.ndarray, quotes: np.ndarray, sep: int) -> bool:
    """Whether a quote of ``arr`` neither opens a cell (the 1st, 3rd, ... quote: at a field's
    first byte), closes one (the 2nd, 4th, ...: before a delimiter, a line break or the end) nor
    is one of a doubled pair; each rule read on its half of the quotes only."""
    n = len(arr)
    # the second of two adjacent quotes (a doubled quote inside a cell)
    doubled = np.zeros(len(quotes), dtype=bool)
    doubled[1:] = quotes[1:] == quotes[:-1] + 1
    opening = quotes[0::2]
    before = arr[np.maximum(opening - 1, 0)]
    bad = ~_field_edge(before, sep) & (opening > 0) & ~doubled[0::2]
    if bad.any():
        return True
    closing = quotes[1::2]
    after = arr[np.minimum(closing + 1, n - 1)]
    followed = doubled[2::2]  # the next quote is right after (a doubled pair's first)
    bad = ~_field_edge(after, sep) & (closing < n - 1)
    bad[: len(followed)] &= ~followed
    return bool(bad.any())


def _field_edge(values: np.ndarray, sep: int) -> np.ndarray:
    """Whether each byte is the delimiter, a line feed or a carriage return."""
    return (values == sep) | (values == 0x0A) | (values == 0x0D)


def _header_width(arr: np.ndarray, ends: np.ndarray, sep: int) -> int | None:
    """Fields of the first line (read by the csv module from its first megabyte); None when the
    csv module cannot read it."""
    first_end = int(ends[0]) if len(ends) else len(arr)
    header = arr[: min(first_end, 1 << 20)].tobytes().decode("utf-8", "replace")
    try:
        return len(next(csv.reader([header], delimiter=chr(sep)), []))
    except csv.Error:
        return None


def _row_shaped_lines(view, inner, ends, quotes, sep: int, width: int | None) -> bool:
    """True when a line inside a quoted cell holds as many delimiters as the first record has
    fields less one (then the csv-module pass decides whether it is a swallowed row); always
    when the first record could not be read (``width`` None)."""
    if width is None:
        return True
    if width < 3:
        return False
    closing = quotes[1::2]
    # an inner line runs to the next line break or the cell's closing quote
    stop = np.minimum(
        np.append(ends, len(view))[np.searchsorted(ends, inner, side="right")],
        np.append(closing, len(view))[np.searchsorted(closing, inner)],
    )
    # a line shorter than the delimiters sought cannot hold them: count only the others
    long = stop - inner >= width - 1
    if not long.any():
        return False
    # the delimiters before both ends of each line, in one count (ends ascend: lines disjoint)
    at = np.empty(2 * int(long.sum()), dtype=np.int64)
    at[0::2], at[1::2] = inner[long], stop[long]
    counted = _count_before(view, sep, at)
    return bool((counted[1::2] - counted[0::2] >= width - 1).any())


#: per byte offset 0-7 in a little-endian 64-bit word, the mask of its bytes before that offset
_LOW_BYTES = np.array([(1 << (8 * r)) - 1 for r in range(8)], dtype=np.uint64)


def _count_before(data, byte: int, at: np.ndarray) -> np.ndarray:
    """How many ``byte`` precede each position ``at`` (ascending) in ``data``.

    A cache-sized chunk at a time: the chunk's mask (one 0/1 byte per byte) read as 64-bit words,
    whose population counts (``np.bitwise_count``) are the bytes found per word; their running
    sum gives the count before each word, and the word holding a position adds its bytes before
    it. No list of the delimiters' positions is made (the delimiter is the file's commonest
    byte)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    n = len(arr)
    out = np.empty(len(at), dtype=np.int64)
    mask = np.zeros(-(-min(n, _CHUNK) // 8) * 8, dtype=bool)
    words = mask.view("<u8")
    total = 0
    for i in range(0, n, _CHUNK):
        piece = arr[i : i + _CHUNK]
        m = len(piece)
        np.equal(piece, byte, out=mask[:m])
        mask[m:] = False
        lo, hi = np.searchsorted(at, [i, i + m])
        if hi > lo:
            per = np.bitwise_count(words)
            # int32: a chunk holds fewer than 2**31 bytes (and the sum is several times faster
            # than in int64)
            before = np.cumsum(per, dtype=np.int32)
            before -= per  # bytes found before each word
            rel = at[lo:hi] - i
            w = rel >> 3
            out[lo:hi] = total + before[w] + np.bitwise_count(words[w] & _LOW_BYTES[rel & 7])
            total += int(before[-1]) + int(per[-1])
        else:
            total += int(np.count_nonzero(mask[:m]))
    out[np.searchsorted(at, n) :] = total  # at the end
    return out


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
