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
import itertools
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from queue import Full, Queue
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    import pandas

__all__ = [
    "FAST_MIN_CHARS",
    "StreamDeclined",
    "parse_table",
    "parse_file",
    "parse_records",
    "record_bytes",
    "stream_file",
    "Sizes",
    "block_sizes",
    "row_slices",
    "frame_from_table",
]

#: files shorter than this (in characters) take the csv-module path (about 10,000 rows)
FAST_MIN_CHARS = 2_000_000
#: bytes of the file pyarrow parses at a time (:func:`parse_file`)
READ_BLOCK_BYTES = 1 << 24
#: the same for :func:`stream_file`, whose reader reads several blocks ahead: smaller blocks
#: keep less of the file in memory (on the 804 MB export of 1M rows: 2.1 s and 562 MB peak,
#: against 4.2 s and 972 MB with 16 MB blocks)
STREAM_BLOCK_BYTES = 1 << 21


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
    # csv drops trailing empty lines
    return _read(io.BytesIO(text.rstrip("\r\n").encode("utf-8")), delimiter, len(first))


def parse_file(path: Path, delimiter: str, width: int) -> pa.Table | None:
    """:func:`parse_table` of a UTF-8 file (with or without byte-order mark) read straight from
    disk in blocks, so neither the file's bytes nor its text are held whole; ``width`` is the
    number of fields of the first record. For files the accounting pass found plain
    (:func:`giftreview.data.accounting.scan_records`): quotes balanced, no empty line before
    the last record, so the empty lines pyarrow skips are the trailing ones csv drops too."""
    return _read(str(path), delimiter, width, ignore_empty_lines=True)


def parse_records(data: bytes, delimiter: str, width: int) -> pa.Table | None:
    """Whole records of a file :func:`parse_file` reads, cut from it by their byte offsets and
    joined (each ending in a line break), parsed as :func:`stream_file` parses them; None when
    pyarrow declines them."""
    return _read(io.BytesIO(data), delimiter, width, ignore_empty_lines=True)


class StreamDeclined(Exception):
    """:func:`stream_file` met a record pyarrow does not read as :mod:`csv` would (a ragged row):
    the caller reads the file the general way instead."""


def record_bytes(path: Path, offsets: np.ndarray, records: np.ndarray) -> bytes:
    """The bytes of the given records (indexes into ``offsets``, the byte each record of the
    file starts at), one after another, each ending in a line break."""
    size = path.stat().st_size
    ends = np.append(offsets[1:], size)
    pieces = []
    with open(path, "rb") as fh:
        for start, end in zip(offsets[records].tolist(), ends[records].tolist(), strict=True):
            fh.seek(start)
            piece = fh.read(end - start)
            pieces.append(piece if piece.endswith((b"\n", b"\r")) else piece + b"\n")
    return b"".join(pieces)


def stream_file(
    path: Path,
    delimiter: str,
    width: int,
    rows: Sizes,
    columns: list[int] | None = None,
) -> Iterator[pa.Table]:
    """The records of the file :func:`parse_file` reads (header rows included), as tables of
    ``rows`` records each (the last one shorter; a sequence gives each table's size in turn, its
    last for the tables after), parsed block by block by pyarrow's streaming
    reader: at most one block of the file is held, whatever its size. With ``columns`` (their
    positions) only those are converted, in that order (every record is still parsed and
    checked).

    Raises :class:`StreamDeclined` (before or after some tables were given) for a record
    :func:`parse_file` would decline.
    """
    read, parse, convert = _options(delimiter, width, STREAM_BLOCK_BYTES, ignore_empty_lines=True)
    if columns is not None:
        convert.include_columns = [read.column_names[j] for j in columns]
    try:
        reader = pacsv.open_csv(
            str(path), read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise StreamDeclined(str(exc)) from None
    # the tables are put together by the reading thread too (the copy into one chunk a column
    # is a second or two of a million rows), while the caller works on the one before
    yield from _read_ahead(_tables(reader, rows), READ_AHEAD_TABLES)


#: rows a block: the same for every block, or each block's in turn (:func:`block_sizes`)
Sizes = int | Sequence[int]


def block_sizes(rows: Sizes) -> Iterator[int]:
    """``rows`` as the size of each block in turn: the same for every block, or the sizes
    given and the last of them for every block after."""
    if isinstance(rows, int):
        return itertools.repeat(rows)
    return itertools.chain(rows[:-1], itertools.repeat(rows[-1]))


def row_slices(data: pandas.DataFrame, rows: Sizes) -> Iterator[pandas.DataFrame]:
    """Consecutive row slices of ``data`` of :func:`block_sizes` (at least one, maybe empty):
    the blocks of a table read whole."""
    at = 0
    for size in block_sizes(rows):
        yield data.iloc[at : at + size]
        at += size
        if at >= len(data):
            return


def _tables(reader: pacsv.CSVStreamingReader, rows: Sizes) -> Iterator[pa.Table]:
    """The reader's record batches as tables of ``rows`` records (see :func:`block_sizes`), each
    column in one chunk (the last table shorter; one empty table for a file without records)."""
    held: list[pa.RecordBatch] = []
    n_held = given = 0
    sizes = block_sizes(rows)
    size = next(sizes)
    try:
        for batch in reader:
            held.append(batch)
            n_held += batch.num_rows
            while n_held >= size:
                table = pa.Table.from_batches(held).combine_chunks()
                yield table.slice(0, size)
                given += 1
                rest = table.slice(size)
                held, n_held = rest.to_batches(), rest.num_rows
                size = next(sizes)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise StreamDeclined(str(exc)) from None
    if n_held or not given:
        yield pa.Table.from_batches(held, schema=reader.schema).combine_chunks()


#: tables put together ahead by a second thread while the caller works on the rows already
#: given (pyarrow parses and copies with the GIL released); memory: one more block of rows
READ_AHEAD_TABLES = 1


def _read_ahead(batches: Iterator, depth: int) -> Iterator:
    """The items of ``batches``, taken ``depth`` ahead by a worker thread (its error raised here,
    in order); the worker stops when the caller stops asking."""
    queue: Queue = Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            for batch in batches:
                if not put((True, batch)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            put((False, exc))
            return
        put((True, _END))

    worker = threading.Thread(target=work, name="giftreview-csv-read", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item
    finally:
        stop.set()


_END = object()


def _options(delimiter: str, width: int, block_bytes: int, *, ignore_empty_lines: bool):
    names = [f"c{j}" for j in range(width)]
    return (
        pacsv.ReadOptions(column_names=names, block_size=block_bytes),
        pacsv.ParseOptions(
            delimiter=delimiter,
            quote_char='"',
            double_quote=True,
            escape_char=False,
            newlines_in_values=True,
            ignore_empty_lines=ignore_empty_lines,
        ),
        pacsv.ConvertOptions(
            # 32-bit offsets: half the offset memory of large_string; Arrow splits a column
            # into chunks, each under 2 GB
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _read(source, delimiter: str, width: int, *, ignore_empty_lines: bool = False):
    read, parse, convert = _options(
        delimiter, width, READ_BLOCK_BYTES, ignore_empty_lines=ignore_empty_lines
    )
    try:
        return pacsv.read_csv(
            source, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a ragged row or an empty line: use csv
        return None


def frame_from_table(
    table: pa.Table, header_rows: int, names: list[str], *, first_row: int = 1
) -> pandas.DataFrame:
    """The body of ``table`` (records after the ``header_rows``) as ``read_raw``'s frame: columns
    ``names``, string cells, index ``source_row`` (the first header row is 1; the table's first
    record is ``first_row``, more than 1 for a later block of a file)."""
    import pandas as pd  # deferred: the accounting pass starts before pandas is imported

    body = table.slice(header_rows)
    start = first_row + header_rows
    index = pd.RangeIndex(start, start + body.num_rows, name="source_row")
    columns = {
        name: pd.array(body.column(j), dtype=pd.StringDtype()) for j, name in enumerate(names)
    }
    return pd.DataFrame(columns, index=pd.Index(index, name="source_row"))
