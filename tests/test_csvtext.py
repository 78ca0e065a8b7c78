"""giftreview.text.csvtext: the vectorised CSV text is byte for byte what DataFrame.to_csv writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from giftreview.text.csvtext import csv_lines
from giftreview.text.safety import csv_text, neutralise_frame

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
