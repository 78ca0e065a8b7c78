"""giftreview.data.columns: vectorised text kernels give exactly what Python's str methods give."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.data import columns
from giftreview.data.columns import (
    PY_LINE_BREAKS,
    PY_WHITESPACE,
    collapse_lines,
    collapse_text,
    collapse_whitespace,
    distinct,
    id_key,
    ids_key,
    is_blank,
    odd_spacing,
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
    assert ids_key(arr).to_pylist() == [id_key(t) for t in texts]  # Arrow in, Arrow out


def test_ids_key_of_arrow_ids_by_hand():
    ids = pa.array([" ORG\u200b-0002", "org-0002", "ÖRG-1 ", None, "R1"], pa.large_string())
    # zero-width space removed, casefolded, stripped; "Ö" (non-ASCII) through id_key; null stays
    assert ids_key(ids).to_pylist() == ["org-0002", "org-0002", "örg-1", None, "r1"]


@given(st.lists(st.one_of(st.none(), texty), min_size=1, max_size=30), st.data())
def test_is_blank_on_slices_and_nulls(texts, data):
    # is_blank reads the first byte of each cell from the array's buffers: a slice (an offset
    # into the buffers) and nulls must give what Python's `not s.strip()` gives (null: False)
    lo = data.draw(st.integers(0, len(texts) - 1))
    hi = data.draw(st.integers(lo, len(texts)))
    arr = pa.array(texts, pa.large_string()).slice(lo, hi - lo)
    assert list(is_blank(arr)) == [t is not None and not t.strip() for t in texts[lo:hi]]


def _lines(t: str) -> str:
    return "\n".join(x for x in (" ".join(line.split()) for line in t.splitlines()) if x)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.none(), texty), min_size=1, max_size=30),
    st.data(),
    st.sampled_from([1, 2, 3, 7, 1 << 18]),
)
def test_odd_spacing_and_changed_cells_match_python(texts_drawn, data, chunk):
    """odd_spacing finds on the bytes what the RE2 pattern ``^ | $|  |[whitespace but space]``
    finds, i.e. the strings ``" ".join(s.split())`` changes; collapse_text says which strings it
    changed: the oracle is Python's own ``result != s`` (null: False). Bytes scanned a few at a
    time (pairs of spaces and multi-byte characters cut at every place), on slices."""
    texts = texts_drawn
    lo = data.draw(st.integers(0, len(texts) - 1))
    hi = data.draw(st.integers(lo, len(texts)))
    arr = pa.array(texts, pa.large_string()).slice(lo, hi - lo)
    part = texts[lo:hi]
    saved = columns._SCAN_CHUNK
    columns._SCAN_CHUNK = chunk
    try:
        odd = odd_spacing(arr)
        flat, flat_changed = collapse_text(arr)
        kept, kept_changed = collapse_text(arr, keep_lines=True)
    finally:
        columns._SCAN_CHUNK = saved
    regex = pc.match_substring_regex(arr, columns._ODD_SPACING).fill_null(False)
    assert list(odd) == regex.to_pylist()
    assert list(odd) == [t is not None and " ".join(t.split()) != t for t in part]
    assert flat.to_pylist() == [None if t is None else " ".join(t.split()) for t in part]
    assert list(flat_changed) == list(odd)
    assert kept.to_pylist() == [None if t is None else _lines(t) for t in part]
    assert list(kept_changed) == [t is not None and _lines(t) != t for t in part]


def test_odd_spacing_examples():
    """By hand: a leading, a trailing and a double space, a tab, a no-break space (two bytes),
    an ideographic space (three bytes) are odd; single inner spaces, the letters sharing a first
    byte with a whitespace character (é: C3 A9; ’: E2 80 99; «: C2 AB) are not."""
    texts = [" a", "a ", "a  b", "a\tb", "a\xa0b", "a\u3000b", "a b c", "été", "l’a", "«x»", ""]
    assert list(odd_spacing(pa.array(texts, pa.large_string()))) == [True] * 6 + [False] * 5
    # the byte tables hold two- and three-byte characters only: none of Python's is longer
    assert max(len(c.encode()) for c in PY_WHITESPACE) == 3


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


def test_spellings_row_by_row_only_when_nearly_every_row_differs():
    import pandas as pd

    from giftreview.data.columns import spellings

    ids = pd.Series([f"R{i}" for i in range(5000)], dtype="string[pyarrow]")
    few = pd.Series(["a", "b", None, "a"] * 1250, dtype="string[pyarrow]")
    short = pd.Series([f"R{i}" for i in range(4096)], dtype="string[pyarrow]")  # too short
    for column, by_spelling, n_texts in ((ids, False, 5000), (few, True, 3), (short, True, 4096)):
        codes, texts, distinct_ = spellings(column)
        assert distinct_ is by_spelling and len(texts) == n_texts
        assert texts.take(pa.array(codes)).to_pylist() == [
            None if v is pd.NA else v for v in column
        ]
