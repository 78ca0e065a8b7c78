"""The rows of a table as CSV, column by column: the bytes :func:`giftreview.text.safety.csv_text`
gives, without a Python object per cell.

The outputs of cleaning run to hundreds of megabytes at a million rows (``clean.csv``,
``audit.csv``), and :meth:`pandas.DataFrame.to_csv` turns every cell into a Python string and
passes it through the :mod:`csv` writer. Here the cells are first made safe by
:func:`~giftreview.text.safety.neutralise_frame` (the same function ``csv_text`` uses), then:

* a text column is quoted by whole-column Arrow kernels, exactly as the :mod:`csv` module's
  ``QUOTE_MINIMAL`` does with ``csv_text``'s ``\\r\\n`` line terminator: a cell holding a comma,
  a double quote, ``\\r`` or ``\\n`` is enclosed in double quotes and its quotes doubled; a
  missing cell is empty;
* any other column (numbers, booleans, dates, categories neutralised to text, mixed objects) is
  written by pandas itself once per distinct value, and the texts are broadcast to the rows.

Rows are joined by commas and ended by ``\\n``, as ``csv_text`` ends them. A hypothesis test
checks the result against ``csv_text`` on random tables (``tests/test_csvrows.py``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import to_arrow
from giftreview.text.safety import neutralise_frame

__all__ = ["csv_rows"]

#: a cell the csv module quotes (delimiter, quote character, the line terminator's characters)
_NEEDS_QUOTES = '[,"\\r\\n]'
#: one record of a two-column CSV whose second field is the constant 0
_RECORD = re.compile(r'("(?:[^"]|"")*"|[^\r\n,"]*),0\r\n')


def csv_rows(frame: pd.DataFrame, **to_csv: object) -> bytes:
    """The rows of ``frame`` (no header) as UTF-8 CSV bytes, equal to
    ``csv_text(frame, header=False, **to_csv).encode()``.

    Parameters
    ----------
    frame
        Any table; its index is not written.
    to_csv
        Passed to :meth:`pandas.DataFrame.to_csv` for the non-text columns (``date_format``).
    """
    if not len(frame) or not len(frame.columns):
        return b""
    safe = neutralise_frame(frame)
    columns = [_column_text(safe.iloc[:, j], to_csv) for j in range(safe.shape[1])]
    comma = pa.scalar(",", pa.large_string())
    rows = pc.binary_join_element_wise(*columns, comma) if len(columns) > 1 else columns[0]
    lists = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows)
    whole = pc.binary_join(lists, pa.scalar("\n", pa.large_string()))[0]
    return whole.as_buffer().to_pybytes() + b"\n"


def _column_text(values: pd.Series, to_csv: dict[str, object]) -> pa.Array:
    """The CSV field of every cell of one column (large_string, nothing missing)."""
    if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
        text = pc.fill_null(to_arrow(values.array), "")
        quote, none = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
        quoted = pc.binary_join_element_wise(
            quote, pc.replace_substring(text, '"', '""'), quote, none
        )
        return pc.if_else(pc.match_substring_regex(text, _NEEDS_QUOTES), quoted, text)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in (
        "string",
        "empty",
    ):  # mixed objects (1 and 1.0 and True hash alike): written cell by cell
        codes, uniques = np.arange(len(values)), values.to_numpy()
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    two = pd.DataFrame({"v": pd.Series(uniques, dtype=values.dtype), "d": 0})
    text = two.to_csv(index=False, header=False, lineterminator="\r\n", **to_csv)
    fields = _RECORD.findall(text)
    if len(fields) != len(uniques) or sum(len(f) + 4 for f in fields) != len(text):
        raise AssertionError(f"could not split the CSV of column {values.name!r}")  # a bug
    return pa.array(fields, pa.large_string()).take(pa.array(np.asarray(codes), pa.int64()))
