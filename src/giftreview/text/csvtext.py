"""CSV text of a large table, column by column: what ``DataFrame.to_csv`` writes, vectorised.

``pandas.DataFrame.to_csv`` formats every cell through Python (about a microsecond each), and the
audit log of a million-row wave has millions of cells. :func:`csv_chunks` renders each *column*
with pyarrow string kernels instead, quotes the cells that need it and joins the columns into
UTF-8 bytes. The bytes are those of :func:`giftreview.text.safety.csv_text` (``to_csv`` with
minimal quoting: a cell holding the delimiter, a quote, a line feed or a carriage return is quoted,
quotes doubled; rows end in ``\\n``; ``True``/``False`` for booleans, ``repr`` for floats, empty
for NA). Spreadsheet formulas are neutralised by the caller's own function (``neutralise``), run
only on the cells that could be formulas, so its rules stay in one place
(:mod:`giftreview.text.safety`). Tests compare the bytes with the pandas route on every dtype and
on arbitrary text.

Work per distinct value: a column with few distinct values (categories, booleans, counts, missing
labels) is held as codes into its distinct texts, which alone are neutralised and quoted, and a
run of such neighbouring columns is joined once per distinct *combination* of their values, so the
row join at the end handles a few wide pieces per row instead of one cell per column. Open text
(nearly every cell distinct) is searched on its bytes: only the cells holding a character that
could need quoting, or starting with one that could start a formula, are looked at further.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import (
    PY_WHITESPACE,
    cell_offsets,
    starting_with,
    to_arrow,
    utf8_bytes,
)

__all__ = ["csv_chunks", "csv_lines", "column_text"]

_STR = pa.large_string()
_EMPTY = pa.scalar("", _STR)
#: a cell a spreadsheet might run as a formula starts, after any whitespace, with one of these
#: (a superset of what :func:`giftreview.text.safety.neutralise_formula` changes)
_MAYBE_FORMULA = (
    "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]*[=+\\-@]|^[\\t\\r]"
)
#: the first UTF-8 byte of every cell :data:`_MAYBE_FORMULA` can match: ``= + - @``, tab, carriage
#: return, or the first byte of a character of :data:`PY_WHITESPACE`
_FORMULA_FIRST = np.zeros(256, dtype=bool)
_FORMULA_FIRST[[b for c in "=+-@\t\r" + PY_WHITESPACE for b in c.encode("utf-8")[:1]]] = True
#: ``date_format`` rendered by :func:`_iso_seconds` instead of ``strftime`` (the one the package writes)
_ISO_SECONDS = "%Y-%m-%d %H:%M:%S"
_YEAR_1000, _YEAR_10000 = np.datetime64("1000-01-01", "s"), np.datetime64("10000-01-01", "s")


def column_text(values: pd.Series, date_format: str | None = None) -> pa.Array:
    """Each cell of ``values`` as ``to_csv`` writes it (``large_string``, NA as ``""``)."""
    part = _render(values, date_format)
    return part.text if part.codes is None else part.text.take(pa.array(part.codes))


@dataclass
class _Part:
    """A column's (or a run of columns') text: ``text`` per row when ``codes`` is None, else the
    distinct texts with ``codes`` the row's position in them. ``strings`` marks distinct texts
    that are the column's own string values (the only ones a formula rule can change)."""

    text: pa.Array
    codes: np.ndarray | None = None
    strings: bool = True
    #: a text per row: the cells to be quoted (None: none)
    needs: np.ndarray | None = None


def _render(values: pd.Series, date_format: str | None) -> _Part:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        labels = pa.array([str(c) for c in dtype.categories] + [""], _STR)
        codes = values.cat.codes.to_numpy().astype(np.int64)
        strings = all(isinstance(c, str) for c in dtype.categories)
        return _Part(labels, np.where(codes < 0, len(labels) - 1, codes), strings)
    if pd.api.types.is_integer_dtype(dtype):
        arr = pa.array(values.array, pa.int64()) if values.hasnans else pa.array(values, pa.int64())
        return _Part(_filled(arr.cast(_STR), _EMPTY), strings=False)
    if pd.api.types.is_datetime64_any_dtype(dtype) and date_format is not None:
        seconds = values.to_numpy(dtype="datetime64[s]")
        return _Part(_dates(seconds, date_format), strings=False)
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return _few(_filled(to_arrow(values.array), _EMPTY))  # no Python object per cell
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        try:
            arr = pa.array(values.astype(object).to_numpy(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # mixed values (rare): str() of each cell, since factorize takes True for 1
            texts = ["" if v is None or v is pd.NA or v != v else str(v) for v in values]
            return _Part(pa.array(texts, _STR), strings=False)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return _few(_filled(arr.cast(_STR), _EMPTY))
        if pa.types.is_null(arr.type):
            return _Part(pa.array([""], _STR), np.zeros(len(values), dtype=np.int64))
    return _by_distinct_value(values)


def _filled(values: pa.Array, empty: pa.Scalar) -> pa.Array:
    return values if values.null_count == 0 else pc.fill_null(values, empty)


def _dates(seconds: np.ndarray, date_format: str) -> pa.Array:
    """Whole-second datetimes formatted by ``date_format`` (NaT as ``""``): the package's own
    format in years 1000-9999 by :func:`_iso_seconds`, anything else by
    ``pyarrow.compute.strftime``."""
    valid = ~np.isnat(seconds)
    some = seconds[valid]
    within = not len(some) or (some.min() >= _YEAR_1000 and some.max() < _YEAR_10000)
    if date_format != _ISO_SECONDS or not within:
        stamps = pa.array(seconds, pa.timestamp("s"), from_pandas=True)
        return _filled(pc.strftime(stamps, format=date_format), _EMPTY).cast(_STR)
    cells = _iso_seconds(some.astype(np.int64))
    offsets = np.zeros(len(seconds) + 1, dtype=np.int64)
    np.cumsum(np.where(valid, 19, 0), out=offsets[1:])
    return pa.LargeStringArray.from_buffers(
        len(seconds), pa.py_buffer(offsets), pa.py_buffer(cells.reshape(-1))
    )


#: ``"00"`` to ``"99"`` as rows of two ASCII bytes
_TWO_DIGITS = np.array([[ord(c) for c in f"{i:02d}"] for i in range(100)], dtype=np.uint8)


def _iso_seconds(seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` of seconds since 1970 (years 1000-9999) as an ``(n, 19)`` array of
    ASCII bytes, by integer arithmetic on whole columns: the civil date of a day number is
    Howard Hinnant's ``civil_from_days`` (http://howardhinnant.github.io/date_algorithms.html),
    which ``numpy.datetime_as_string`` computes too, a cell at a time (ten times slower)."""
    days, secs = np.divmod(seconds, 86_400)
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097  # day of the 400-year era, [0, 146096]
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153  # month from March = 0
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    hour, rest = np.divmod(secs, 3_600)
    minute, second = np.divmod(rest, 60)
    cells = np.empty((len(seconds), 19), dtype=np.uint8)
    cells[:, [4, 7]] = ord("-")
    cells[:, 10] = ord(" ")
    cells[:, [13, 16]] = ord(":")
    for value, at in (
        (year // 100, 0),
        (year % 100, 2),
        (month, 5),
        (day, 8),
        (hour, 11),
        (minute, 14),
        (second, 17),
    ):
        cells[:, at : at + 2] = _TWO_DIGITS[value]
    return cells.reshape(-1)


#: a string column of at most this many bytes a cell on average is looked at for repeated texts
_SHORT_CELL_BYTES = 40


def _few(text: pa.Array) -> _Part:
    """A string column as distinct texts and codes when it holds few (ids, open answers and other
    texts mostly distinct are left as they are)."""
    n = len(text)
    if n < 64 or len(utf8_bytes(text)) > _SHORT_CELL_BYTES * n:
        return _Part(text)
    if n > 4096 and len(pc.unique(text.slice(0, 1024))) > 256:  # ids: mostly distinct
        return _Part(text)
    enc = pc.dictionary_encode(text)
    if len(enc.dictionary) > n // 4:
        return _Part(text)
    return _Part(enc.dictionary, np.asarray(enc.indices, dtype=np.int64))


def _by_distinct_value(values: pd.Series) -> _Part:
    """Format each distinct value once with ``str`` (floats: ``4.0``, ``1e+20``; booleans)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    objects = np.asarray(uniques, dtype=object)
    texts = [str(v) for v in objects] + [""]
    codes = np.where(codes < 0, len(texts) - 1, codes).astype(np.int64)
    return _Part(pa.array(texts, _STR), codes, all(isinstance(v, str) for v in objects))


def _needs_quotes(text: pa.Array, delimiter: str) -> tuple[np.ndarray | None, bool]:
    """Which cells hold the delimiter, a quote, a line feed or a carriage return (a reader starts
    a new row at either, see safety.csv_text), None when no cell does; and whether any holds a
    quote. Found on the column's bytes: each such byte's cell by the offsets."""
    arr = np.frombuffer(utf8_bytes(text), dtype=np.uint8)
    quotes = arr == ord('"')
    hit = quotes | (arr == ord(delimiter))
    hit |= arr == ord("\r")
    hit |= arr == ord("\n")
    if not hit.any():
        return None, False
    offsets = cell_offsets(text)
    cells = np.searchsorted(offsets, np.flatnonzero(hit), side="right") - 1
    needs = np.zeros(len(text), dtype=bool)
    needs[cells] = True
    return needs, bool(quotes.any())


def _quote(text: pa.Array, delimiter: str) -> pa.Array:
    """Each cell of ``text`` quoted as ``to_csv`` quotes it (for distinct texts and headers)."""
    needs, quotes = _needs_quotes(text, delimiter)
    if needs is None:
        return text
    doubled = pc.replace_substring(text, '"', '""') if quotes else text
    quote = pa.scalar('"', _STR)
    return pc.if_else(
        pa.array(needs), pc.binary_join_element_wise(quote, doubled, quote, _EMPTY), text
    )


def _quoted(part: _Part, delimiter: str) -> _Part:
    """``part`` ready to join: distinct texts quoted where needed; a text per row gets its quotes
    doubled and ``needs`` (its quotes are added by the pieces around it, see :func:`_row_text`)."""
    if part.codes is not None:
        return _Part(_quote(part.text, delimiter), part.codes, part.strings)
    needs, quotes = _needs_quotes(part.text, delimiter)
    text = part.text
    if quotes:
        text = pc.replace_substring(text, '"', '""')
    return _Part(text, None, part.strings, needs)


def _neutralised(frame: pd.DataFrame, j: int, part: _Part, neutralise) -> _Part:
    """``part`` with the cells the ``neutralise`` rule changes replaced by their new text. Only
    cells whose first byte could start a formula are searched, and only matches are passed to
    ``neutralise`` (as one-column frames of the original values)."""
    text = part.text
    if not part.strings or not len(text):
        return part
    candidates = starting_with(text, _FORMULA_FIRST)
    if part.codes is not None:  # distinct values: the row first holding each (-1: none here)
        rows = np.full(len(text), -1, dtype=np.int64)
        rows[part.codes[::-1]] = np.arange(len(part.codes) - 1, -1, -1)
        candidates = candidates[rows[candidates] >= 0]
    if not len(candidates):
        return part
    found = pc.match_substring_regex(text.take(pa.array(candidates)), _MAYBE_FORMULA)
    maybe = candidates[np.asarray(found, dtype=bool)]
    if not len(maybe):
        return part
    values = frame.iloc[maybe if part.codes is None else rows[maybe], [j]]
    fixed = column_text(neutralise(values).iloc[:, 0])
    mask = np.zeros(len(text), dtype=bool)
    mask[maybe] = True
    return _Part(pc.replace_with_mask(text, pa.array(mask), fixed), part.codes, part.strings)


_QUOTE_OR_NOT = pa.array(["", '"'], _STR)


def _glue(items: list):
    """One piece of every row between two texts (or before the first, after the last): the
    delimiters, the quotes closing and opening the texts around it, and the columns of few
    distinct texts between them. ``items`` are constant strings and ``(texts, codes)`` pairs;
    the piece is built once per distinct combination of the pairs' codes and taken by the rows.
    Returns a scalar when every row's piece is the same."""
    coded = [it for it in items if not isinstance(it, str)]
    if not coded:
        return pa.scalar("".join(items), _STR)
    if len(coded) > 1 and _mostly_distinct([c[:_SAMPLE_ROWS] for _, c in coded]):
        # nearly as many combinations as rows (an id beside the column it is in): a piece per
        # row, without looking for the repeated ones
        items = [it if isinstance(it, str) else (it[0].take(pa.array(it[1])), None) for it in items]
        codes = first = None
    elif len(coded) == 1:
        codes = coded[0][1]
        first = None
    else:
        key = np.zeros(len(coded[0][1]), dtype=np.int64)
        for texts, c in coded:
            if (int(key.max(initial=0)) + 1) * len(texts) >= 1 << 62:
                key = pd.factorize(key)[0].astype(np.int64)
            key = key * len(texts) + c
        codes = pd.factorize(key)[0].astype(np.int64)
        first = np.full(int(codes.max(initial=-1)) + 1, -1, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first row of each combination
    pieces = []
    for it in items:
        if isinstance(it, str):
            if pieces and isinstance(pieces[-1], str):
                pieces[-1] += it
            else:
                pieces.append(it)
        else:
            pieces.append(it[0] if first is None else it[0].take(pa.array(it[1][first])))
    pieces = [pa.scalar(x, _STR) if isinstance(x, str) else x for x in pieces]
    texts = pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, _EMPTY)
    return texts if codes is None else texts.take(pa.array(codes))


#: rows whose combinations of codes tell whether a run of columns repeats them (:func:`_glue`)
_SAMPLE_ROWS = 2048


def _mostly_distinct(codes: list[np.ndarray]) -> bool:
    """Whether the rows hold more distinct combinations of ``codes`` than half their number.
    The combinations are numbered a column at a time (``numpy.unique`` of integers), not by
    ``numpy.unique(..., axis=0)``, which sorts the rows as records (2-6 ms a call against
    0.2-1.4 ms; 46 calls in a 100,000-row clean)."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:  # key < len(rows) after each step, so the product cannot overflow
        key = np.unique(key * (int(c.max(initial=0)) + 1) + c, return_inverse=True)[1]
    return int(key.max(initial=-1)) + 1 > len(key) // 2


def _row_text(parts: list[_Part], delimiter: str) -> pa.Array:
    """The rows, each ending in ``\\n``, from the columns' parts (:func:`_quoted`): one join of
    the texts per row and the :func:`_glue` pieces between them."""
    pieces, items = [], []
    for j, p in enumerate(parts):
        if j:
            items.append(delimiter)
        if p.codes is not None:
            items.append((p.text, p.codes))
            continue
        if p.needs is not None:
            items.append((_QUOTE_OR_NOT, p.needs.astype(np.int64)))
        if items:
            pieces.append(_glue(items))
        pieces.append(p.text)
        items = [] if p.needs is None else [(_QUOTE_OR_NOT, p.needs.astype(np.int64))]
    pieces.append(_glue(items + ["\n"]))
    if len(pieces) == 1:
        return pieces[0]
    return pc.binary_join_element_wise(*pieces, _EMPTY)


def csv_chunks(
    frame: pd.DataFrame,
    *,
    date_format: str | None = None,
    neutralise: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    delimiter: str = ",",
    header: bool = True,
    chunk_rows: int = 200_000,
) -> Iterator[bytes | memoryview]:
    """The CSV of ``frame`` as UTF-8 bytes (header, then rows, each ending in ``\\n``), in chunks
    (``bytes`` or a ``memoryview`` of Arrow's buffer: write them or ``bytes()`` them).

    Parameters
    ----------
    frame
        A table of at least two columns (a one-column table's blank cells are written ``""``, a
        rule :func:`giftreview.text.safety.csv_text` leaves to pandas).
    date_format
        ``strftime`` format of datetime columns (whole seconds), as ``to_csv(date_format=...)``.
    neutralise
        ``DataFrame -> DataFrame`` making cells and headers safe for spreadsheets; called on the
        cells that could be formulas only, and on the empty frame for the header.
    header
        Write the header line (``False`` for blocks appended to a file).
    chunk_rows
        Rows rendered at a time (memory stays proportional to a chunk).
    """
    if frame.shape[1] < 2:
        raise ValueError(f"csv_chunks writes tables of two or more columns, not {frame.shape[1]}")
    if header:
        head = neutralise(frame.iloc[:0]) if neutralise is not None else frame.iloc[:0]
        names = pa.array([str(c) for c in head.columns], _STR)
        yield (delimiter.join(_quote(names, delimiter).to_pylist()) + "\n").encode("utf-8")
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        parts = []
        for j, (_, column) in enumerate(part.items()):  # items(): no iloc indexer per column
            rendered = _render(column, date_format)
            if neutralise is not None:
                rendered = _neutralised(part, j, rendered, neutralise)
            parts.append(_quoted(rendered, delimiter))
        yield utf8_bytes(_row_text(parts, delimiter))  # the rows' bytes, not copied


def csv_lines(frame: pd.DataFrame, **options) -> Iterator[str]:
    """:func:`csv_chunks` as text (the same options)."""
    for chunk in csv_chunks(frame, **options):
        yield str(chunk, "utf-8")
