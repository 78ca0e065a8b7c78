"""giftreview.data.columns: vectorised text kernels give exactly what Python's str methods give."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from giftreview.data.columns import (
    PY_LINE_BREAKS,
    PY_WHITESPACE,
    collapse_lines,
    collapse_whitespace,
    distinct,
    id_key,
    ids_key,
    is_blank,
    strip,
)

# text drawn with every whitespace and line-break character Python knows, mixed with letters
texty = st.lists(
    st.one_of(
        st.sampled_from(list(PY_WHITESPACE) + ["a", "É", "\u200b", "ß"]), st.text(max_size=3)
    ),
    max_size=12,
).map("".join)


def test_character_classes_are_pythons_own():
    everything = map(chr, range(sys.maxunicode + 1))
    spaces = {c for c in everything if c.isspace()}
    assert set(PY_WHITESPACE) == spaces
    breaks = {c for c in spaces | {"\x1f"} if len(f"a{c}b".splitlines()) == 2}
    assert set(PY_LINE_BREAKS) == breaks


@given(st.lists(texty, min_size=1, max_size=20))
def test_kernels_match_python(texts):
    arr = pa.array(texts, pa.large_string())
    assert collapse_whitespace(arr).to_pylist() == [" ".join(t.split()) for t in texts]
    lines = [
        "\n".join(x for x in (" ".join(line.split()) for line in t.splitlines()) if x)
        for t in texts
    ]
    assert collapse_lines(arr).to_pylist() == lines
    assert list(is_blank(arr)) == [not t.strip() for t in texts]
    assert strip(arr).to_pylist() == [t.strip() for t in texts]
    assert ids_key(texts) == [id_key(t) for t in texts]


@given(st.lists(st.one_of(st.none(), texty), min_size=1, max_size=30), st.data())
def test_is_blank_on_slices_and_nulls(texts, data):
    # is_blank reads the first byte of each cell from the array's buffers: a slice (an offset
    # into the buffers) and nulls must give what Python's `not s.strip()` gives (null: False)
    lo = data.draw(st.integers(0, len(texts) - 1))
    hi = data.draw(st.integers(lo, len(texts)))
    arr = pa.array(texts, pa.large_string()).slice(lo, hi - lo)
    assert list(is_blank(arr)) == [t is not None and not t.strip() for t in texts[lo:hi]]


def test_id_key_examples():
    # the spellings issue 10 lists as kept apart before: case, a zero-width space, full width
    assert id_key("org-0002") == id_key("ORG-0002") == id_key("ORG\u200b-0002 ") == "org-0002"
    assert id_key("ＯＲＧ-０００２") == "org-0002"  # NFKC folds full-width letters and digits
    assert id_key("ORG-0002") != id_key("ORG-0003")


def test_distinct_codes_give_the_column_back():
    s = pd.Series(["b", "a", "b", "", "a"], dtype="string")
    codes, uniques = distinct(s)
    assert uniques.to_pylist() == ["b", "a", ""]  # order of first appearance
    assert list(np.asarray(uniques.to_pylist(), dtype=object)[codes]) == list(s)
