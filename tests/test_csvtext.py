"""giftreview.text.csvtext: the vectorised CSV text is byte for byte what DataFrame.to_csv writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.text.csvtext import _mostly_distinct, csv_lines
from giftreview.text.safety import csv_text, neutralise_frame, write_table

DATE = "%Y-%m-%d %H:%M:%S"


def to_csv(frame: pd.DataFrame) -> str:
    """The reference: pandas' own writer, as :func:`safety.csv_text` used it before the vectorised
    route (neutralised first; ``\\r\\n`` rows so a carriage return in a cell is quoted, the row
    ends outside quotes then turned back into ``\\n``)."""
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n", date_format=DATE)
    parts = text.split('"')
    parts[::2] = [p.replace("\r\n", "\n") for p in parts[::2]]
    return '"'.join(parts)


def ours(frame: pd.DataFrame, chunk_rows: int = 3) -> str:
    return "".join(
        csv_lines(frame, date_format=DATE, neutralise=neutralise_frame, chunk_rows=chunk_rows)
    )


def test_every_dtype_of_the_clean_table():
    frame = pd.DataFrame(
        {
            "text": pd.array(
                ["a,b", 'say "hi"', "two\nlines", "cr\rhere", None, " =1+1"], "string"
            ),
            "formula": ["=SUM(A1)", "+1", "-2", "@x", "\tx", "plain"],
            "count": pd.array([4.0, 2.5, None, 1e20, 0.1, 3.0], dtype="Float64"),
            "flag": pd.array([True, False, None, True, True, False], dtype="boolean"),
            "level": pd.Categorical(["Low", None, "High", "Low", "=bad", "High"]),
            "row": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "n": np.arange(6, dtype="int64"),
            "when": pd.array(
                ["2010-03-01 10:42:05", None, "1999-12-31 23:59:59.5", None, None, None],
                dtype="datetime64[ns]",
            ),
            "=header": ["x"] * 6,
            "float": np.array([0.1, 2.0, np.nan, 1e-7, -3.5, 1e16]),
            "mixed": [1, "a", 2.5, None, True, "b\r"],
            "arrow": pd.array(["x,y", None, "=2", "", "é\n", "plain"], "string[pyarrow]"),
        }
    )
    assert ours(frame) == to_csv(frame)
    assert csv_text(frame, date_format=DATE) == to_csv(frame)  # the route csv_text takes
    assert csv_text(frame, header=False, date_format=DATE) == to_csv(frame).split("\n", 1)[1]
    assert ours(frame.iloc[:0]) == to_csv(frame.iloc[:0])  # the header alone


@given(
    st.lists(
        st.tuples(st.text(max_size=8), st.one_of(st.none(), st.text(max_size=8))),
        min_size=0,
        max_size=12,
    )
)
def test_arbitrary_text_matches_to_csv(rows):
    frame = pd.DataFrame(rows, columns=["a", "b"]).astype({"b": "string"})
    assert ours(frame, chunk_rows=5) == to_csv(frame)
    assert csv_text(frame) == to_csv(frame)


def test_a_long_table_of_repeated_and_distinct_values_matches_to_csv():
    """Over 4,096 rows the writer codes columns of few distinct texts and joins neighbouring
    ones once per combination (csvtext._glue); ids and answers stay one text per row. Every
    cell kind next to every other: the reference is pandas' own writer."""
    rng = np.random.default_rng(11)
    n = 6000
    pick = lambda options: [options[i] for i in rng.integers(0, len(options), n)]  # noqa: E731
    answers = ["plain", "a, b", 'say "hi"', "two\nlines", "cr\rhere", "=1+1", " -x", "\u3000@y"]
    frame = pd.DataFrame(
        {
            "id": pd.array([f"R{i:07d}" for i in range(n)], "string[pyarrow]"),
            "text": pd.array([a + f" {i}" for i, a in enumerate(pick(answers))], "string[pyarrow]"),
            "level": pd.Categorical(pick(["Low", "High", "=bad", "a,b", None])),
            "short": pd.array(pick(["x", "+1", 'q"', "", None, "é,"]), "string[pyarrow]"),
            "flag": pd.array(pick([True, False, None]), dtype="boolean"),
            "count": pd.array(pick([1.0, 2.5, None, -3.0]), dtype="Float64"),
            "when": pd.array(
                pick(["2010-03-01 08:00:00", None, "1999-12-31 23:59:59", "2262-04-11 00:00:00"]),
                dtype="datetime64[ns]",
            ),
            "row": np.arange(n, dtype="int64"),
            "note": pd.array(pick(["ok", "=SUM(A1)", None]), "string[pyarrow]"),
            "more": pd.array(pick(answers), "string[pyarrow]"),
            "last": pd.Categorical(pick(["z", "-1"])),
        }
    )
    assert ours(frame, chunk_rows=5000) == to_csv(frame)
    assert csv_text(frame.iloc[:, ::-1], date_format=DATE) == to_csv(frame.iloc[:, ::-1])
    assert csv_text(frame[["text", "more"]], date_format=DATE) == to_csv(frame[["text", "more"]])


def test_an_audit_shaped_table_matches_to_csv():
    """An audit log: each id on several rows (so the id column is written as codes into its
    distinct texts), beside the column it is about; nearly every (id, column) pair differs, so
    the run is joined row by row (csvtext._mostly_distinct) rather than per combination."""
    rng = np.random.default_rng(5)
    n = 6000
    ids = [f"R{i // 5:07d}" for i in range(n)]  # 1,200 ids, 5 rows each
    columns = [f"q{i % 11}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "source_row": np.arange(2, n + 2, dtype="int64"),
            "respondent_id": pd.array(ids, "string[pyarrow]"),
            "column": pd.array(columns, "string[pyarrow]"),
            "before": pd.array([f"=x{i}, y" if i % 7 else "" for i in range(n)], "string[pyarrow]"),
            "rule": pd.array(rng.choice(["alias", "whitespace"], n), "string[pyarrow]"),
        }
    )
    assert _mostly_distinct([np.arange(n) // 5, np.arange(n) % 11])
    assert not _mostly_distinct([np.arange(n) % 3, np.arange(n) % 11])
    assert ours(frame, chunk_rows=5000) == to_csv(frame)


def test_dates_outside_the_years_numpy_writes_take_strftime():
    """Whole-second datetimes of years 1000-9999 are written by integer arithmetic (see
    test_dates_are_written_as_pandas_writes_them), others by pyarrow's strftime; both as to_csv
    writes them (hand check: 1500-06-01 12:00:00 and 0999-...)."""
    when = pd.Series(
        np.array(["1500-06-01T12:00:00", "NaT", "2010-03-01T08:00:05"], dtype="datetime64[s]")
    )
    frame = pd.DataFrame({"when": when, "n": [1, 2, 3]})
    assert csv_text(frame, date_format=DATE) == (
        "when,n\n1500-06-01 12:00:00,1\n,2\n2010-03-01 08:00:05,3\n"
    )
    early = pd.DataFrame({"when": pd.Series(np.array(["0999-01-02T03:04:05"], "datetime64[s]"))})
    early["n"] = 1
    assert csv_text(early, date_format=DATE).splitlines()[1].endswith("-01-02 03:04:05,1")


YEARS_1000_9999 = st.integers(
    int(np.datetime64("1000-01-01T00:00:00", "s").astype(np.int64)),
    int(np.datetime64("9999-12-31T23:59:59", "s").astype(np.int64)),
)


@given(st.lists(YEARS_1000_9999, min_size=1, max_size=50))
def test_dates_are_written_as_pandas_writes_them(seconds):
    """The civil date and time of any second of years 1000-9999 (leap days, centuries, the
    first and last second included by hypothesis' edge cases), against pandas' strftime."""
    when = pd.Series(np.array(seconds, dtype="datetime64[s]"))
    frame = pd.DataFrame({"when": when, "n": 1})
    expected = [t.strftime(DATE) for t in when]
    assert csv_text(frame, date_format=DATE).splitlines()[1:] == [f"{t},1" for t in expected]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_write_table_writes_the_text_in_its_encoding(tmp_path, encoding):
    """write_table writes csv_text's bytes without decoding them again; the file must be that
    text in the encoding asked for (a byte-order mark for utf-8-sig, cp1252 bytes for é)."""
    frame = pd.DataFrame({"a": ["é,1", "=x"], "b": pd.array(["two\nlines", None], "string")})
    path = write_table(frame, tmp_path / "t.csv", encoding=encoding)
    assert path.read_bytes() == csv_text(frame).encode(encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
