"""Plain ISO 8601 timestamps read on whole columns.

A submission-time column of a large export holds a distinct text in nearly every row
(``2010-03-01 08:00:01``). :func:`plain_iso` reads the texts of the plain shapes
``YYYY-MM-DD``, ``YYYY-MM-DD[ T]hh:mm`` and ``YYYY-MM-DD[ T]hh:mm:ss`` from their UTF-8 bytes
with integer arithmetic, instead of one Python string and one ``pandas.to_datetime`` parse per
cell; anything else (other spellings, impossible dates) is left to the cell-by-cell reading of
:meth:`giftreview.data.rules.Rules.date`, which says what is wrong. A property test compares it
with ``pandas.to_datetime(..., format="ISO8601", errors="coerce")`` on arbitrary texts of these
shapes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from giftreview.data.columns import cell_offsets, utf8_bytes

__all__ = ["plain_iso"]

#: the other bytes of each plain shape, by its length (the rest are ASCII digits)
_SEPARATORS = {
    10: {4: b"-", 7: b"-"},
    16: {4: b"-", 7: b"-", 10: b" T", 13: b":"},
    19: {4: b"-", 7: b"-", 10: b" T", 13: b":", 16: b":"},
}
#: (first byte, digits) of year, month, day, hour, minute and second
_FIELDS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))
#: whole seconds a ``datetime64[ns]`` holds: 1677-09-21 00:12:44 to 2262-04-11 23:47:16
_FIRST_SECOND, _LAST_SECOND = -9_223_372_036, 9_223_372_036
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
#: cells read at a time (the bytes gathered are cells x length x 8 bytes of index)
_CHUNK = 1 << 16


def plain_iso(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``(ok, when)``: which texts (``large_string``) are plain ISO 8601 timestamps, and their
    value (``datetime64[ns]``, NaT where not ``ok``).

    Plain: ``YYYY-MM-DD``, optionally followed by a space or ``T`` and ``hh:mm`` or ``hh:mm:ss``,
    ASCII digits, a real calendar day (leap years by the Gregorian rule), hours 00-23, minutes
    and seconds 00-59, within the range of ``datetime64[ns]`` (years 1677-2262): the texts
    ``pandas.to_datetime(texts, format="ISO8601")`` reads and the regular expression
    ``^\\d{4}-\\d{2}-\\d{2}(?:[ T]\\d{2}:\\d{2}(?::\\d{2})?)?$`` matches.
    """
    n = len(texts)
    seconds = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    offsets = cell_offsets(texts)
    data = np.frombuffer(utf8_bytes(texts), dtype=np.uint8)
    lengths = np.diff(offsets)
    for length, separators in _SEPARATORS.items():
        shaped = np.flatnonzero(lengths == length)
        if not len(shaped):
            continue
        # the cells of one length are back to back in the bytes when every other cell is empty
        # (a column of timestamps and blanks): rows of the buffer, without gathering the bytes
        whole = len(shaped) * length == len(data)
        for lo in range(0, len(shaped), _CHUNK):
            rows = shaped[lo : lo + _CHUNK]
            if whole:
                cells = data[lo * length : (lo + len(rows)) * length].reshape(-1, length)
            else:
                cells = data[offsets[rows, None] + np.arange(length)]
            good, since = _read(cells, separators)
            ok[rows[good]] = True
            seconds[rows[good]] = since[good]
    when = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    when[ok] = seconds[ok].astype("datetime64[s]").astype("datetime64[ns]")
    return ok, when


def _read(cells: np.ndarray, separators: dict[int, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``(good, seconds since 1970)`` of cells of one plain shape (rows of bytes)."""
    digits = cells - np.uint8(ord("0"))  # a byte below "0" wraps round to 208 or more
    at_digit = np.ones(cells.shape[1], dtype=bool)
    at_digit[list(separators)] = False
    good = (digits[:, at_digit] <= 9).all(axis=1)
    for at, allowed in separators.items():
        good &= np.isin(cells[:, at], list(allowed))
    year, month, day, hour, minute, second = (
        _number(digits, start, width) for start, width in _FIELDS
    )
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] + (leap & (month == 2))
    good &= month_ok & (day >= 1) & (day <= last_day)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59)
    since = _days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
    good &= (since >= _FIRST_SECOND) & (since <= _LAST_SECOND)
    return good, since


def _number(digits: np.ndarray, start: int, width: int) -> np.ndarray:
    """The decimal number of ``width`` digits from column ``start`` (0 past the cells' end;
    a non-digit gives a wrong number, which the caller's digit test has ruled out)."""
    out = np.zeros(len(digits), dtype=np.int64)
    for i in range(start, min(start + width, digits.shape[1])):
        out = out * 10 + digits[:, i]
    return out


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of each (year, month, day) of the proleptic Gregorian calendar."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400  # [0, 399]
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1  # [0, 365]
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy  # [0, 146096]
    return era * 146_097 + doe - 719_468
