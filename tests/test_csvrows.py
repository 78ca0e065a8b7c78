"""``csv_rows`` writes the bytes ``csv_text`` writes (the oracle: pandas ``to_csv`` through the
csv module, as every CSV of the package is written), on random tables of every dtype of the
clean table, the audit and the validation report."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.data.csvrows import csv_rows
from giftreview.text.safety import csv_text

FMT = {"date_format": "%Y-%m-%d %H:%M:%S"}
#: cells that exercise quoting, formulas, line breaks and non-ASCII text
TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n=+-@\t'é€1")), max_size=8)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 12))
    texts = st.lists(st.one_of(st.none(), TEXT), min_size=n, max_size=n)
    labels = ["Very important", "=1+1", 'say "x"', "a,b", ""]
    return pd.DataFrame(
        {
            "s": pd.array(draw(texts), dtype="string"),
            "o": pd.Series(draw(texts), dtype=object),
            "c": pd.Categorical(
                draw(st.lists(st.sampled_from([*labels, None]), min_size=n, max_size=n)),
                categories=labels,
                ordered=True,
            ),
            "f": pd.array(
                draw(
                    st.lists(
                        st.one_of(st.none(), st.floats(-1e6, 1e17, allow_nan=False)),
                        min_size=n,
                        max_size=n,
                    )
                ),
                dtype="Float64",
            ),
            "b": pd.array(
                draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                dtype="boolean",
            ),
            "i": pd.array(
                draw(
                    st.lists(st.one_of(st.none(), st.integers(-5, 10**12)), min_size=n, max_size=n)
                ),
                dtype="Int64",
            ),
            "d": pd.array(
                draw(
                    st.lists(
                        st.one_of(
                            st.none(), st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))
                        ),
                        min_size=n,
                        max_size=n,
                    )
                ),
                dtype="datetime64[ns]",
            ),
            "m": pd.Series(
                draw(
                    st.lists(st.one_of(st.none(), st.integers(0, 3), TEXT), min_size=n, max_size=n)
                ),
                dtype=object,
            ),
        }
    )


@settings(max_examples=150, deadline=None)
@given(tables())
def test_csv_rows_equal_csv_text(frame):
    assert csv_rows(frame, **FMT) == csv_text(frame, header=False, **FMT).encode("utf-8")


def test_an_empty_table_has_no_rows():
    assert csv_rows(pd.DataFrame({"a": pd.array([], dtype="string")})) == b""
