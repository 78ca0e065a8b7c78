"""CSV text of a large table, column by column: what ``DataFrame.to_csv`` writes, vectorised.

``pandas.DataFrame.to_csv`` formats every cell through Python (about a microsecond each), and the
audit log of a million-row wave has millions of cells. :func:`csv_lines` renders each *column*
with pyarrow string kernels instead (numbers and labels formatted once per distinct value), quotes
the cells that need it, and joins the columns. The bytes are those of
:func:`giftreview.text.safety.csv_text` (``to_csv`` with minimal quoting: a cell holding the
delimiter, a quote, a line feed or a carriage return is quoted, quotes doubled; rows end in
``\\n``; ``True``/``False`` for booleans, ``repr`` for floats, empty for NA). Spreadsheet formulas
are neutralised by the caller's own function (``neutralise``), run only on the cells that could be
formulas, so its rules stay in one place (:mod:`giftreview.text.safety`). Tests compare the bytes
with the pandas route on every dtype and on arbitrary text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import PY_WHITESPACE, to_arrow

__all__ = ["csv_lines", "column_text"]

_EMPTY = pa.scalar("", pa.large_string())
#: a cell a spreadsheet might run as a formula starts, after any whitespace, with one of these
#: (a superset of what :func:`giftreview.text.safety.neutralise_formula` changes)
_MAYBE_FORMULA = (
    "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE) + "]*[=+\\-@]|^[\\t\\r]"
)


def column_text(values: pd.Series, date_format: str | None = None) -> pa.Array:
    """Each cell of ``values`` as ``to_csv`` writes it (``large_string``, NA as ``""``)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        labels = pa.array([str(c) for c in dtype.categories] + [""], pa.large_string())
        codes = values.cat.codes.to_numpy().astype(np.int64)
        return labels.take(pa.array(np.where(codes < 0, len(labels) - 1, codes)))
    if pd.api.types.is_integer_dtype(dtype):
        arr = pa.array(values.to_numpy(dtype=object), pa.int64(), from_pandas=True)
        return pc.fill_null(arr.cast(pa.large_string()), _EMPTY)
    if pd.api.types.is_datetime64_any_dtype(dtype) and date_format is not None:
        stamps = pa.array(
            values.to_numpy(dtype="datetime64[s]"), pa.timestamp("s"), from_pandas=True
        )
        return pc.fill_null(pc.strftime(stamps, format=date_format), _EMPTY).cast(pa.large_string())
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pc.fill_null(to_arrow(values.array), _EMPTY)  # no Python object per cell
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        try:
            arr = pa.array(values.astype(object).to_numpy(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # mixed values (rare): str() of each cell, since factorize takes True for 1
            texts = ["" if v is None or v is pd.NA or v != v else str(v) for v in values]
            return pa.array(texts, pa.large_string())
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            return pc.fill_null(arr.cast(pa.large_string()), _EMPTY)
        if pa.types.is_null(arr.type):
            return pa.array(np.full(len(values), "", dtype=object), pa.large_string())
    return _by_distinct_value(values)


def _by_distinct_value(values: pd.Series) -> pa.Array:
    """Format each distinct value once with ``str`` (floats: ``4.0``, ``1e+20``; booleans)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [str(v) for v in np.asarray(uniques, dtype=object)] + [""]
    codes = np.where(codes < 0, len(texts) - 1, codes)
    return pa.array(texts, pa.large_string()).take(pa.array(codes))


def _quote(text: pa.Array, delimiter: str) -> pa.Array:
    # the delimiter, a quote, a line feed or a carriage return (a reader starts a new row at
    # either, see safety.csv_text): one RE2 pass over the column
    if not _holds_any_byte(text, delimiter + '"\r\n'):
        return text
    needs = pc.match_substring_regex(text, "[" + re.escape(delimiter) + '"\\r\\n]')
    quote = pa.scalar('"', pa.large_string())
    doubled = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise(quote, doubled, quote, _EMPTY)
    return pc.if_else(needs, quoted, text)


def _holds_any_byte(text: pa.Array, chars: str) -> bool:
    """Whether any cell of ``text`` (``large_string``) holds one of the ASCII ``chars``: one numpy
    look-up over the column's data buffer, so the columns without one skip the per-cell search."""
    wanted = np.zeros(256, dtype=bool)
    wanted[[ord(c) for c in chars]] = True
    return bool(wanted[np.frombuffer(_data_bytes(text), dtype=np.uint8)].any())


def _data_bytes(text: pa.Array) -> memoryview:
    """The UTF-8 bytes of every cell of ``text`` (``large_string``) one after another: its data
    buffer between the first and the last offset (no Python string per cell)."""
    buffers = text.buffers()
    if buffers[2] is None:
        return memoryview(b"")
    offsets = np.frombuffer(buffers[1], dtype=np.int64)
    start, end = offsets[text.offset], offsets[text.offset + len(text)]
    return memoryview(buffers[2])[start:end]


def _neutralised(
    frame: pd.DataFrame, j: int, text: pa.Array, neutralise, date_format: str | None
) -> pa.Array:
    if not _holds_any_byte(text, "=+-@\t\r"):
        return text
    maybe = np.flatnonzero(np.asarray(pc.match_substring_regex(text, _MAYBE_FORMULA)))
    if not len(maybe):
        return text
    sub = neutralise(frame.iloc[maybe, [j]])
    fixed = column_text(sub.iloc[:, 0], date_format)
    mask = np.zeros(len(text), dtype=bool)
    mask[maybe] = True
    return pc.replace_with_mask(text, pa.array(mask), fixed)


def csv_lines(
    frame: pd.DataFrame,
    *,
    date_format: str | None = None,
    neutralise: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    delimiter: str = ",",
    header: bool = True,
    chunk_rows: int = 200_000,
) -> Iterator[str]:
    """The CSV text of ``frame`` (header, then rows, each ending in ``\\n``), in chunks.

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
        raise ValueError(f"csv_lines writes tables of two or more columns, not {frame.shape[1]}")
    if header:
        head = neutralise(frame.iloc[:0]) if neutralise is not None else frame.iloc[:0]
        names = pa.array([str(c) for c in head.columns], pa.large_string())
        yield delimiter.join(_quote(names, delimiter).to_pylist()) + "\n"
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        columns = []
        for j in range(part.shape[1]):
            text = column_text(part.iloc[:, j], date_format)
            if neutralise is not None:
                text = _neutralised(part, j, text, neutralise, date_format)
            columns.append(_quote(text, delimiter))
        rows = pc.binary_join_element_wise(*columns, pa.scalar(delimiter, pa.large_string()))
        yield _joined(pc.binary_join_element_wise(rows, _NEWLINE, _EMPTY))


_NEWLINE = pa.scalar("\n", pa.large_string())


def _joined(lines: pa.Array) -> str:
    """The cells of a ``large_string`` array without nulls, one after another, as one text."""
    return _data_bytes(lines).tobytes().decode("utf-8")
