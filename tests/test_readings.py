"""giftreview.data.readings: the vectorised open-text reading gives what the plain-Python rule gives.

The oracle is :meth:`giftreview.data.rules.Rules.text`, one cell at a time in Python (``len``,
``str.split``, ``str.splitlines``, the instrument's missing codes). ``_read_text`` reads a whole
column with Arrow kernels, byte lengths and byte scans; for every cell it must give the same
value, missing-code label, audit rule and audit text, and flag the same cells as too long.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giftreview.data.columns import PY_WHITESPACE
from giftreview.data.readings import _read_text, read_column
from giftreview.data.rules import MAX_CELL_CHARS, Rule, Rules

#: characters of one to four UTF-8 bytes, whitespace of every kind Python knows, and pieces of
#: the bundled instrument's missing codes ("Don't know", "N/A" and their aliases)
PIECES = [*PY_WHITESPACE, "a", "é", "€", "😀", "N/A", "n/a", "DK", "dont know", "Don't know", "x"]
short_text = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)
#: texts around MAX_CELL_CHARS characters made of characters of 1-4 bytes (the byte length and
#: the character count then differ by up to four times)
long_text = st.builds(
    lambda ch, n, tail: ch * n + tail,
    st.sampled_from(["a", "é", "€", "😀", " "]),
    st.integers(MAX_CELL_CHARS // 4 - 2, MAX_CELL_CHARS + 2),
    short_text,
)


@pytest.fixture(scope="module")
def rules(instrument):
    return Rules(instrument)


def _open_question(rules: Rules, kind: str):
    return next(q for q in rules.instrument.questions if q.type == kind)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(short_text, long_text), min_size=1, max_size=12), st.booleans())
def test_read_text_agrees_with_rules_text(rules, texts, keep_lines):
    q = _open_question(rules, "list" if keep_lines else "open")
    raw = pa.array(texts, pa.large_string())
    read = _read_text(q.raw_column, np.arange(len(texts)), raw, rules, q.id, keep_lines)
    for u, text in enumerate(texts):
        cell = rules.text(q.id, text, keep_lines=keep_lines)
        assert read.value[u].as_py() == cell.value
        assert read.missing[u] == cell.missing
        assert read.rule[u] == cell.rule
        assert bool(read.too_long[u]) == (len(text) > MAX_CELL_CHARS)
        if not read.too_long[u]:
            assert read.after[u].as_py() == cell.after
    problems = read.problems
    assert problems["u"].tolist() == [u for u, t in enumerate(texts) if len(t) > MAX_CELL_CHARS]
    assert set(problems["rule"]) <= {Rule.CELL_TOO_LONG}


def test_limit_counted_in_characters_not_bytes(rules):
    """By hand: 20,000 two-byte characters are 40,000 bytes but not too long; 20,001 one-byte
    characters are; 5,001 four-byte characters (20,004 bytes) are not."""
    q = _open_question(rules, "open")
    texts = ["é" * MAX_CELL_CHARS, "a" * (MAX_CELL_CHARS + 1), "😀" * (MAX_CELL_CHARS // 4 + 1)]
    read = _read_text(q.raw_column, np.arange(3), pa.array(texts), rules, q.id, False)
    assert read.too_long.tolist() == [False, True, False]
    assert read.rule.tolist() == [None, Rule.CELL_TOO_LONG, None]


def test_read_column_of_open_text_with_missing_codes(rules):
    """A frame column read by read_column: the missing-code spellings (by hand from the
    instrument: "n/a" is an alias of "N/A") and whitespace rules, per row."""
    import pandas as pd

    q = _open_question(rules, "open")
    data = pd.DataFrame({q.raw_column: ["  n/a ", "N/A", "ok", "a  b", "", " "]}, dtype="string")
    read = read_column(data, q.raw_column, rules)
    assert read.missing.tolist() == ["N/A", "N/A", None, None, None, None]
    assert read.rule.tolist() == [
        Rule.MISSING_CODE,
        None,
        None,
        Rule.WHITESPACE,
        None,
        Rule.BLANK,
    ]
    assert read.value.to_pylist() == [None, None, "ok", "a b", None, None]


@pytest.mark.parametrize("which", ["respondent_id", "submitted"])
def test_a_mostly_distinct_column_is_read_row_by_row_with_the_same_readings(
    rules, which, monkeypatch
):
    """Ids and submission times differ in nearly every row: read_column then reads the column
    row by row (codes are the row positions) instead of each distinct spelling once. Every row
    must get the same value, audit rule, audit text and problems either way; the spellings
    include repeats, blanks, padding and impossible dates."""
    import pandas as pd

    from giftreview.data import columns

    column = getattr(rules.instrument.raw, which)
    rng = np.random.default_rng(11)
    n = 6000
    if which == "submitted":
        cells = [f"2010-03-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}" for i in range(n)]
        odd = ["2010-02-30", " 2010-03-01 ", "yesterday", "", "01/03/2010 08:00", "x" * 20_001]
    else:
        cells = [f"R{i:07d}" for i in range(n)]
        odd = ["  R1 ", "", "R0000001", "R\u00a02", "x" * 20_001]
    at = rng.choice(n, size=60, replace=False)
    for k, i in enumerate(at):
        cells[i] = odd[k % len(odd)]
    data = pd.DataFrame({column: cells}, dtype="string[pyarrow]")

    by_row = read_column(data, column, rules)
    monkeypatch.setattr(columns, "mostly_distinct", lambda values: False)
    by_spelling = read_column(data, column, rules)

    assert not by_row.distinct and by_spelling.distinct
    assert np.array_equal(by_row.codes, np.arange(n))
    assert len(by_spelling.raw) < n  # the repeats were found
    for name in ("rule", "after", "too_long", "missing"):
        got = np.asarray(getattr(by_row, name))[by_row.codes]
        want = np.asarray(getattr(by_spelling, name))[by_spelling.codes]
        assert got.tolist() == want.tolist(), name

    def values(read):
        v = read.value
        return (
            v.take(pa.array(read.codes)).to_pylist()
            if isinstance(v, pa.Array)
            else list(v[read.codes])
        )

    assert list(map(str, values(by_row))) == list(map(str, values(by_spelling)))  # NaT != NaT

    def problems(read):  # each problem at every row holding its spelling
        rows = pd.DataFrame({"row": np.arange(n), "u": read.codes})
        out = read.problems.merge(rows, on="u").drop(columns="u")
        return out.sort_values(["row", "rule"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(problems(by_row), problems(by_spelling))
    assert len(problems(by_row)) > 0
