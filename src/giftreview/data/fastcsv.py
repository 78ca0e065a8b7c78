"""Parse a large CSV export with pyarrow's multithreaded reader, into the frame ``read_raw`` builds.

:func:`giftreview.data.io.read_raw` reads small files with Python's :mod:`csv` module, record by
record. A large export (over :data:`FAST_MIN_CHARS` characters) is parsed here instead, straight
into Arrow string columns: no Python object per cell, so memory grows with the data, not with its
cells. The result is the same table, cell for cell, because the fast path only accepts files whose
shape it reads the same way as :mod:`csv`: every record as wide as the first (no ragged rows, no
empty lines) and an even number of quote characters (no quote left open). Anything else returns None and the caller falls back to the :mod:`csv` reader.
The accounting pass of ``io`` (counting the records independently) is separate and unchanged.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

__all__ = ["FAST_MIN_CHARS", "parse_table", "frame_from_table"]

#: files shorter than this (in characters) take the csv-module path (about 10,000 rows)
FAST_MIN_CHARS = 2_000_000


def parse_table(text: str, delimiter: str, *, min_chars: int = FAST_MIN_CHARS) -> pa.Table | None:
    """Every record of ``text`` (header rows included) as an Arrow table of strings, or None when
    the file is small or not a plain rectangle (then read it with :mod:`csv`).

    Same dialect as ``csv.reader(..., delimiter=delimiter)``: ``"`` quotes, ``""`` inside quotes
    is one quote, line breaks inside quotes belong to the cell, empty cells are ``""``.
    In R: ``readr::read_delim(col_types = cols(.default = "c"), na = character())``.
    """
    if len(text) < min_chars or text.count('"') % 2:  # an odd quote: csv's own recovery rules
        return None
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
    if not first:
        return None
    names = [f"c{j}" for j in range(len(first))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.rstrip("\r\n").encode("utf-8")),  # csv drops trailing empty lines
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a ragged row or an empty line: use csv
        return None
    return table


def frame_from_table(table: pa.Table, header_rows: int, names: list[str]) -> pd.DataFrame:
    """The body of ``table`` (records after the ``header_rows``) as ``read_raw``'s frame: columns
    ``names``, string cells, index ``source_row`` (the first header row is 1)."""
    body = table.slice(header_rows)
    index = pd.RangeIndex(header_rows + 1, header_rows + 1 + body.num_rows, name="source_row")
    columns = {
        name: pd.array(body.column(j), dtype=pd.StringDtype()) for j, name in enumerate(names)
    }
    return pd.DataFrame(columns, index=pd.Index(index, name="source_row"))
