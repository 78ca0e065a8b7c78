"""Read a CSV export: its encoding, its delimiter, and its records.

:func:`csv_records` decodes the file (:func:`detect_encoding`: a BOM, UTF-16 without BOM, strict
UTF-8 or cp1252, with cp1252 cells in a UTF-8 file repaired one by one), finds the delimiter from
the header line (:func:`sniff_delimiter`), counts the records by the independent accounting pass
(:mod:`giftreview.data.accounting`) and parses them: large files with nothing to repair by
pyarrow (:mod:`giftreview.data.fastcsv`), the others with Python's :mod:`csv` module. Both parses
are checked against the accounting pass.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from giftreview.data.accounting import (
    RecordCount,
    check_record_count,
    count_records,
    scan_records,
)
from giftreview.data.fastcsv import FAST_MIN_CHARS, parse_file, parse_table
from giftreview.data.rawcells import needs_repair
from giftreview.errors import InputFileError

__all__ = [
    "detect_encoding",
    "sniff_delimiter",
    "csv_records",
    "PlainLayout",
    "plain_utf8_layout",
    "plain_utf8_head",
]

#: cells longer than this are read whole; validation sets them missing (see ``validate``)
#: cells longer than this are read whole; validation sets them missing (see ``validate``)
_CSV_FIELD_LIMIT = 64 * 1024 * 1024

_DELIMITERS = (",", ";", "\t")


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


def csv_records(path: Path, encoding: str | None) -> tuple[Any, dict[str, Any]]:
    """The records of a CSV export: a list of lists of strings, or for a large plain UTF-8 file
    an Arrow table (:func:`giftreview.data.fastcsv.parse_file`); both checked against the
    accounting pass (:func:`giftreview.data.accounting.count_records`)."""
    if encoding is None:
        fast = _plain_utf8_records(path)
        if fast is not None:
            return fast
    data = path.read_bytes()
    text, enc = _decode(data, encoding, path)
    del data
    if not text.replace("\x00", "").strip():
        raise InputFileError("the file holds only blank space; export the survey again", path=path)
    first = text[: 1 << 20].lstrip("\ufeff").splitlines()[0]  # not a copy of the whole file
    delimiter = sniff_delimiter(first)
    _check_delimiter(first, delimiter, path)
    expected = count_records(text, delimiter, path)  # the independent accounting pass
    # a large file with nothing to repair: pyarrow (data/fastcsv.py), checked by the same count
    table = None if needs_repair(text) else parse_table(text, delimiter)
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


def _plain_utf8_records(path: Path) -> tuple[Any, dict[str, Any]] | None:
    """A large UTF-8 export with nothing to repair, counted on its bytes and parsed from disk by
    pyarrow: the file's text is never built. None (read it the general way) for anything else:
    another encoding, NUL bytes, quotes the vectorised count declines, a ragged row."""
    layout = plain_utf8_layout(path)
    if layout is None:
        return None
    table = parse_file(path, layout.delimiter, layout.width)
    if table is None:
        return None
    check_record_count(range(table.num_rows), layout.expected, path)
    return table, layout.info


@dataclass(frozen=True)
class PlainLayout:
    """A UTF-8 export pyarrow may parse from disk: its delimiter, the fields of its first record,
    the accounting pass's count and how it was read (:func:`plain_utf8_layout`)."""

    delimiter: str
    width: int
    expected: RecordCount | None
    encoding: str

    @property
    def info(self) -> dict[str, Any]:
        return {"format": "csv", "encoding": self.encoding, "delimiter": self.delimiter}


def plain_utf8_layout(path: Path) -> PlainLayout | None:
    """The :class:`PlainLayout` of a UTF-8 export with nothing to repair (strict UTF-8, no NUL
    byte, quotes the byte count reads), or None: read it the general way (:func:`csv_records`)."""
    guess = plain_utf8_head(path)
    if guess is None:
        return None
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    body = memoryview(data)[3 if bom else 0 :]
    if data.find(b"\x00") >= 0 or not _is_utf8(body):
        return None
    expected = scan_records(body, guess.delimiter)  # the accounting pass, on the bytes
    if expected is None:
        return None
    return PlainLayout(guess.delimiter, guess.width, expected, guess.encoding)


#: bytes :func:`plain_utf8_head` reads
HEAD_BYTES = 1 << 20


def plain_utf8_head(path: Path) -> PlainLayout | None:
    """What the first megabyte of a large export says of it: its delimiter, the fields of its
    first record and its encoding (``expected`` left None), or None when it cannot be a plain
    UTF-8 export (small, UTF-16, binary, undecodable head). :func:`plain_utf8_layout` then
    checks the whole file."""
    if path.stat().st_size < FAST_MIN_CHARS:
        return None
    with open(path, "rb") as fh:
        data = fh.read(HEAD_BYTES)
    bom = data.startswith(b"\xef\xbb\xbf")
    if not bom and (
        data.startswith((b"\xff\xfe", b"\xfe\xff"))
        or _utf16_without_bom(data)
        or _looks_binary(data)
    ):
        return None
    if b"\x00" in data:
        return None
    try:
        data[3 if bom else 0 :].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # not just a character cut at the end of the head
            return None
    head = data[3 if bom else 0 :].decode("utf-8", "ignore")
    lines = head.splitlines()
    if not head.strip() or not lines:
        return None
    delimiter = sniff_delimiter(lines[0])
    _check_delimiter(lines[0], delimiter, path)
    try:
        width = len(next(csv.reader([lines[0]], delimiter=delimiter)))
    except csv.Error:
        return None
    return PlainLayout(delimiter, width, None, "utf-8-sig" if bom else "utf-8")


def _is_utf8(data: memoryview) -> bool:
    """Whether ``data`` is strict UTF-8: Arrow's validation of one string spanning the bytes
    (zero-copy, vectorised), instead of decoding the file into a Python ``str``."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data))
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


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
