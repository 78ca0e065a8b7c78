"""Plain ISO timestamps on whole columns (giftreview.data.dates)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.data.dates import plain_iso

_PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$", re.ASCII)


def _pandas(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The reading plain_iso replaces (readings._read_dates until December 2026): the regular
    expression, pandas' ISO 8601 parser on the matching texts, and the range of a
    ``datetime64[ns]`` (pandas reads 0000-01-01 or 9999-12-31 at a coarser unit)."""
    ok = np.zeros(len(texts), dtype=bool)
    when = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    plain = [i for i, text in enumerate(texts) if _PLAIN.match(text)]
    parsed = pd.to_datetime(
        pd.Series([texts[i] for i in plain], dtype=object), format="ISO8601", errors="coerce"
    )
    good = parsed.notna().to_numpy() & (parsed >= pd.Timestamp.min).to_numpy()
    good &= (parsed <= pd.Timestamp.max).to_numpy()
    at = np.array(plain, dtype=np.int64)[good]
    ok[at] = True
    when[at] = parsed[good].to_numpy().astype("datetime64[ns]")
    return ok, when


def _check(texts: list[str]) -> None:
    ok, when = plain_iso(pa.array(texts, pa.large_string()))
    want_ok, want_when = _pandas(texts)
    np.testing.assert_array_equal(ok, want_ok)
    np.testing.assert_array_equal(when, want_when)


def test_values_worked_out_by_hand():
    texts = [
        "2010-03-01 08:00:01",  # 1267430401 s since 1970 (date -u -d '2010-03-01 08:00:01' +%s)
        "2012-04-05T09:00",
        "2000-02-29",  # a leap day (divisible by 400)
        "1900-02-29",  # no leap day (divisible by 100, not 400)
        "2012-02-30",
        "2010-13-01",
        "2010-03-01 24:00",
        "1677-09-21 00:12:44",  # the first whole second of datetime64[ns]
        "1677-09-21 00:12:43",
        "2262-04-11 23:47:16",  # the last
        "2262-04-11 23:47:17",
        "9999-12-31",
        "",
        "01/03/2010",
        "２０１０-03-01",  # full-width digits: not ASCII, read cell by cell
    ]
    ok, when = plain_iso(pa.array(texts, pa.large_string()))
    assert (
        ok.tolist()
        == [True, True, True, False, False, False, False, True, False, True] + [False] * 5
    )
    assert when[0].astype("datetime64[s]").astype(np.int64) == 1_267_430_401
    assert str(when[1]) == "2012-04-05T09:00:00.000000000"
    assert str(when[7]) == "1677-09-21T00:12:44.000000000"
    _check(texts)


def test_an_offset_slice_is_read_at_its_own_cells():
    texts = pa.array(["x", "2011-01-02", "2011-01-03 04:05"], pa.large_string()).slice(1)
    ok, when = plain_iso(texts)
    assert ok.tolist() == [True, True]
    assert str(when[1]) == "2011-01-03T04:05:00.000000000"


_DIGIT_OR_NOT = st.sampled_from("0123456789" * 6 + "x -:T/")


@st.composite
def _shaped(draw) -> str:
    """A text of a plain shape with arbitrary characters at its places, mostly digits."""
    shape = draw(st.sampled_from(["dddd-dd-dd", "dddd-dd-dd?dd:dd", "dddd-dd-dd?dd:dd:dd"]))
    chars = []
    for c in shape:
        if c == "d":
            chars.append(draw(_DIGIT_OR_NOT))
        elif c == "?":
            chars.append(draw(st.sampled_from(" T_")))
        else:
            chars.append(draw(st.sampled_from(c * 8 + "/")))
    return "".join(chars)


@settings(max_examples=300, deadline=None)
@given(st.lists(_shaped() | st.text(max_size=20), max_size=30))
def test_same_as_pandas_iso8601(texts):
    _check(texts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.datetimes(
            min_value=pd.Timestamp("1677-09-22").to_pydatetime(),
            max_value=pd.Timestamp("2262-04-10").to_pydatetime(),
        ),
        max_size=30,
    ),
    st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]),
)
def test_real_times_read_back(times, fmt):
    _check([t.strftime(fmt) for t in times])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_shaped().filter(lambda t: len(t) == 19), st.just("")), max_size=30))
def test_one_shape_among_blanks(texts):
    # every non-empty cell of one length: plain_iso reads the bytes as rows without gathering
    _check(texts)


def test_one_shape_among_blanks_by_hand():
    texts = ["", "2010-03-01 08:00:01", "", "", "2010-03-01 08:00:0x", "1999-12-31T23:59:59"]
    ok, when = plain_iso(pa.array(texts, pa.large_string()).slice(1))
    assert ok.tolist() == [True, False, False, False, True]
    # 946684799 = date -u -d '1999-12-31 23:59:59' +%s
    assert when[4].astype("datetime64[s]").astype(np.int64) == 946_684_799
