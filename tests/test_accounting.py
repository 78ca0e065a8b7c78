"""giftreview.data.accounting: the vectorised record count agrees with Python's csv module.

The oracle is the csv module itself (``_strict_count``: ``csv.reader(strict=True)`` record by
record); :func:`scan_records` must give the same record starts and line count whenever it
accepts a text, and must decline (None) every text the strict pass refuses.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.data.accounting import _strict_count, count_records, scan_file, scan_records
from giftreview.errors import InputFileError

PIECES = ["a", "X-1", ",", ";", '"', '""', "\n", "\r", "\r\n", " ", "é"]
#: rows of three short cells for the csv module to write (quotes, delimiters, line breaks)
CSV_ROWS = st.lists(
    st.lists(st.text(alphabet='ab ,;"\n\ré', max_size=6), min_size=3, max_size=3),
    min_size=1,
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([",", ";"]))
def test_scan_agrees_with_the_csv_module(pieces, delimiter):
    text = "".join(pieces)
    scanned = scan_records(text.encode("utf-8"), delimiter)
    if scanned is None:
        return  # declined: count_records asks the csv module
    strict = _strict_count(text, delimiter, "f.csv")  # must not raise: the scan accepted it
    assert scanned == strict


@settings(max_examples=200, deadline=None)
@given(CSV_ROWS)
def test_scan_counts_files_written_by_the_csv_module(rows):
    """Text the csv module writes (quotes doubled, cells with line breaks quoted) is plain: the
    scan accepts it unless a quoted line holds a row's delimiters, and counts what csv reads."""
    import csv
    import io

    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([["id", "a", "b"], *rows])
    text = buf.getvalue()
    scanned = scan_records(text.encode("utf-8"), ",")
    strict = count_records(text, ",", "f.csv")
    assert scanned is None or scanned == strict


def test_trailing_empty_lines_are_not_records():
    """Header on line 1, one row on line 2, then two empty lines (counted by hand): two records,
    four physical lines. The parse drops the empty lines, so the count must too."""
    text = "id,x,y\r\nR1,2,3\r\n\r\n\r\n"
    got = count_records(text, ",", "f.csv")
    assert got.starts == (1, 2) and got.lines == 4
    assert scan_records(text.encode(), ",") == got


def test_an_empty_line_between_rows_goes_to_the_csv_module():
    text = "id,x,y\n\nR1,2,3\n"
    assert scan_records(text.encode(), ",") is None
    assert count_records(text, ",", "f.csv").starts == (1, 2, 3)  # csv reads [] on line 2


def test_a_literal_quote_inside_an_unquoted_cell_is_declined_but_counted():
    text = 'id,x,y\nR1,5" screen,3\n'
    assert scan_records(text.encode(), ",") is None
    assert count_records(text, ",", "f.csv").starts == (1, 2)


def test_a_row_shaped_quoted_line_is_refused_by_the_strict_pass():
    text = 'id,a,b\nX-1,1,2\nX-2,"open\nX-3,4,5",9\n'
    assert scan_records(text.encode(), ",") is None
    with pytest.raises(InputFileError, match="line 3: a quoted cell .* swallowed rows"):
        count_records(text, ",", "f.csv")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([*PIECES, "a,b,c\n", '"x\n,y"']), max_size=60),
    st.sampled_from([",", ";"]),
    st.integers(min_value=2, max_value=9),
)
def test_the_file_scan_in_small_pieces_agrees_with_the_whole(tmp_path_factory, pieces, sep, chunk):
    """scan_file reads a few bytes at a time (records, quoted line breaks and \\r\\n cut at every
    place): it must give what scan_records gives on the whole bytes, None included."""
    data = "".join(pieces).encode("utf-8")
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(b"\xef\xbb\xbf" + data)
    assert scan_file(path, sep, skip=3, chunk=chunk) == scan_records(data, sep)


def test_the_file_scan_asks_accept_about_whole_records(tmp_path):
    """Every piece handed to ``accept`` ends at a record's end (so a UTF-8 check never sees a
    character cut in two); a False declines the file."""
    text = 'id,a,b\r\n1,"é\nx",2\r\n2,ü,3\r\n'
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    seen: list[bytes] = []
    got = scan_file(path, ",", chunk=4, accept=lambda piece: seen.append(piece.tobytes()) or True)
    assert got == _strict_count(text, ",", "f.csv")
    assert b"".join(seen) == text.encode()
    assert all(piece.endswith(b"\r\n") for piece in seen)
    assert scan_file(path, ",", chunk=4, accept=lambda piece: False) is None


@settings(max_examples=200, deadline=None)
@given(CSV_ROWS, st.integers(min_value=2, max_value=16))
def test_the_file_scan_counts_csv_module_files_in_pieces(tmp_path_factory, rows, chunk):
    """Files the csv module writes (mostly accepted by the scan, unlike random pieces) read a
    few bytes at a time: the same count as the whole bytes, and the csv module's when accepted."""
    import csv
    import io

    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([["id", "a", "b"], *rows])
    text = buf.getvalue()
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    got = scan_file(path, ",", chunk=chunk)
    assert got == scan_records(text.encode("utf-8"), ",")
    assert got is None or got == _strict_count(text, ",", "f.csv")


@settings(max_examples=200, deadline=None)
@given(CSV_ROWS, st.integers(min_value=2, max_value=16))
def test_record_offsets_point_at_each_record(tmp_path_factory, rows, chunk):
    """The byte each record starts at (what a later read seeks to, a few records at a time): the
    bytes from one offset to the next are that record alone, as the csv module reads it, in a
    file with a byte-order mark read a few bytes at a time."""
    import csv
    import io

    records = [["id", "a", "b"], *rows]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(records)
    data = b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    got = scan_file(path, ",", skip=3, chunk=chunk)
    if got is None:
        return  # declined (a quoted line shaped like a row): read the general way
    assert got.offsets[0] == 3 and len(got.offsets) == got.n == len(records)
    ends = [*got.offsets[1:].tolist(), len(data)]
    for record, start, end in zip(records, got.offsets.tolist(), ends, strict=True):
        text = data[start:end].decode("utf-8")
        assert list(csv.reader(io.StringIO(text, newline=""))) == [record]


#: pieces with the control bytes the first compare of the scan catches along with the line
#: breaks (bytes below 0x0E: tab, vertical tab, form feed, 0x01) but which are neither
CONTROL_PIECES = [*PIECES, "\t", "\x0b", "\x0c", "\x01", "a\tb\tc\n"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(CONTROL_PIECES), max_size=40),
    st.sampled_from([",", ";", "\t"]),
    st.integers(min_value=2, max_value=9),
)
def test_tabs_and_control_bytes_are_not_line_breaks(tmp_path_factory, pieces, delimiter, chunk):
    """Tab-delimited text and cells holding control bytes: the scan (whole, and a file read a
    few bytes at a time) agrees with the csv module, which ends lines at \\r and \\n only."""
    text = "".join(pieces)
    data = text.encode("utf-8")
    scanned = scan_records(data, delimiter)
    path = tmp_path_factory.mktemp("scan") / "f.csv"
    path.write_bytes(data)
    assert scan_file(path, delimiter, chunk=chunk) == scanned
    if scanned is not None:
        assert scanned == _strict_count(text, delimiter, "f.csv")


def test_a_tab_delimited_file_by_hand(tmp_path):
    """Counted by hand: a header and two records; the second holds a quoted tab and a quoted
    line feed, so it starts on line 3 and the file has 4 lines; records start at bytes 0, 5, 10."""
    text = 'id\ta\nR1\tx\nR2\t"y\tz\nw"\n'
    got = scan_records(text.encode(), "\t")
    assert got == _strict_count(text, "\t", "f.csv")
    assert got.starts == (1, 2, 3) and got.lines == 4
    assert got.offsets.tolist() == [0, 5, 10]


@pytest.mark.parametrize("chunk", range(2, 12))
def test_pieces_split_between_cr_and_lf(tmp_path, chunk):
    """CRLF files read in pieces of every size from 2 to 11 bytes, so some piece ends between a
    record's \\r and its \\n (and between a quoted \\r and \\n): the \\r\\n is one line end either
    way. By hand: records start on lines 1, 2, 4 at bytes 0, 8 (8 header bytes) and 21 (13 more);
    five lines."""
    text = 'id,a,b\r\nR1,"x\r\ny",2\r\nR2,3,4\r\n\r\n'
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    got = scan_file(path, ",", chunk=chunk)
    assert got == _strict_count(text, ",", "f.csv")
    assert got.starts == (1, 2, 4) and got.lines == 5
    assert got.offsets.tolist() == [0, 8, 21]


def test_a_row_shaped_line_is_found_past_the_count_chunk(monkeypatch):
    """The delimiters of a quoted line are counted a chunk at a time (``_CHUNK`` bytes, here 8):
    a line holding a row's delimiters across chunk edges is still found (declined: None), and
    one delimiter fewer is not (counted by hand: width 4 needs 3 delimiters)."""
    from giftreview.data import accounting

    monkeypatch.setattr(accounting, "_CHUNK", 8)
    head = "id,a,b,c\nX-1,1,2,3\n"
    assert scan_records(f'{head}X-2,"open\nX-3,4,5,6",9,9\n'.encode(), ",") is None
    kept = scan_records(f'{head}X-2,"open\nX-3,4,5",9,9\n'.encode(), ",")
    assert kept is not None and kept.starts == (1, 2, 3) and kept.lines == 4
