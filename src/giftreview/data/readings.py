"""Whole raw columns read by the instrument's rules, one distinct spelling at a time.

Survey columns hold few distinct spellings, so :func:`read_column` reads each once with
:class:`~giftreview.data.rules.Rules` and keeps, per row, the code of its spelling
(:class:`ColumnRead`); open text is normalised by vectorised string kernels
(:mod:`giftreview.data.columns`) and plain ISO dates by one :func:`pandas.to_datetime` call.
Validation (:mod:`giftreview.data.validate`) and cleaning (:mod:`giftreview.data.clean`) broadcast
these readings to the rows with whole-column joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import (
    cell_offsets,
    char_length,
    collapse_text,
    distinct,
    is_blank,
    spellings,
    to_arrow,
)
from giftreview.data.dates import plain_iso
from giftreview.data.instrument import Instrument
from giftreview.data.rules import MAX_CELL_CHARS, Cell, Rule, Rules, norm_key
from giftreview.data.workers import worker

__all__ = ["expected_columns", "ColumnRead", "read_columns", "read_column", "too_long_problems"]


def expected_columns(instrument: Instrument) -> list[str]:
    """Raw columns the instrument names, in instrument order."""
    raw = instrument.raw
    cols = [c for c in (raw.respondent_id, raw.organization, raw.submitted) if c]
    for q in instrument.questions:
        cols.append(q.raw_column)
        if q.other_column:
            cols.append(q.other_column)
        cols += q.option_columns  # read_raw joins them into q.raw_column
    return list(dict.fromkeys(cols))


# ---- whole columns, one distinct value at a time ------------------------------------------------
@dataclass
class ColumnRead:
    """One raw column read by the :class:`Rules`, each distinct spelling once.

    ``codes[i]`` is the distinct spelling of the row at position ``i``; every other array is
    indexed by distinct spelling ``u``: ``raw`` the spelling, ``value`` the clean value,
    ``missing`` the missing-code label, ``rule`` the audit rule (None when unchanged), ``after``
    the audit text, ``too_long`` whether the cell exceeds :data:`MAX_CELL_CHARS`. ``problems``
    has one row per problem: ``u, rule, action, message``, in the order the rules found them.
    ``value`` and ``after`` are pyarrow arrays for open text, numpy object arrays otherwise.
    For open questions ``raw`` is the column itself and ``codes`` the row positions
    (``distinct`` False): their answers nearly all differ, and a copy of them is the largest
    object of a million-row clean.
    """

    column: str
    codes: np.ndarray
    raw: pa.Array | None  # open text: None once audited (giftreview.data.clean)
    value: Any
    missing: np.ndarray
    rule: np.ndarray
    after: Any
    too_long: np.ndarray
    problems: pd.DataFrame
    #: False when ``raw`` is the column itself (open text): equal texts then have different ``u``
    distinct: bool = True

    def texts(self, what: str, u: np.ndarray) -> np.ndarray:
        """``after`` or ``raw`` of the distinct spellings ``u`` as Python strings."""
        arr = getattr(self, what)
        if isinstance(arr, pa.Array):
            return np.asarray(arr.take(pa.array(u, pa.int64())).to_pylist(), dtype=object)
        return arr[u]


_PROBLEM_COLUMNS = ["u", "rule", "action", "message"]


#: threads reading the open-text columns of a block (:func:`read_columns`)
_TEXT_THREADS = 2


def read_columns(data: pd.DataFrame, rules: Rules) -> dict[str, ColumnRead]:
    """Every instrument column of ``data`` read by ``rules`` (see :func:`read_column`), in
    instrument order. Open and list answers are read by two other threads meanwhile (the
    readings are the same: each column is read on its own)."""
    columns = [c for c in expected_columns(rules.instrument) if c in data.columns]
    # the open-text columns are read by two threads while this one reads the closed ones: their
    # time is in Arrow's string kernels, which release the GIL, and with one thread this one
    # waited for them (0.25 s of each 100,000-row block of a million-row clean)
    text = {
        c: worker("text", _TEXT_THREADS).submit(read_column, data, c, rules)
        for c in columns
        if (q := rules.by_column.get(c)) is not None and q.type in ("open", "list")
    }
    try:
        closed = {c: read_column(data, c, rules) for c in columns if c not in text}
        return {c: text[c].result() if c in text else closed[c] for c in columns}
    finally:
        for future in text.values():
            future.cancel()


def read_column(data: pd.DataFrame, column: str, rules: Rules) -> ColumnRead:
    """Read raw column ``column`` of ``data``: each distinct spelling once.

    Closed answers (labels, counts, option lists) go through :meth:`Rules.read` per distinct
    spelling; open text is normalised by vectorised string kernels; plain ISO dates are parsed by
    :func:`pandas.to_datetime` and only the other spellings by :meth:`Rules.date`. A multiple
    choice cell is read per distinct pair (spelling, whether its "Other (specify)" text is blank).
    """
    q = rules.by_column.get(column)
    if q is not None and q.type in ("open", "list"):
        # open answers nearly all differ: the column is its own distinct values (one chunk after
        # read_raw, so no copy of the file's largest columns), ``codes`` the row positions
        raw = to_arrow(data[column].array)
        codes = np.arange(len(raw), dtype=np.intp)
        read = _read_text(column, codes, raw, rules, q.id, q.type == "list")
        read.distinct = False
        return read
    if q is None:  # the id, the submission time, or a column the instrument does not ask about
        return _read_unasked(data, column, rules)
    codes, raw = distinct(data[column])
    if q.type == "multi" and q.other_column and q.other_column in data.columns:
        other_codes, other_raw = distinct(data[q.other_column])
        filled = ~is_blank(other_raw)[other_codes]
        codes, pairs = pd.factorize(codes * 2 + filled)
        spellings = raw.to_pylist()
        cells = [
            _closed(rules, column, spellings[p // 2], other="x" if p % 2 else "") for p in pairs
        ]
        return _from_cells(column, np.asarray(codes, np.intp), raw.take(pairs // 2), cells)
    cells = [_closed(rules, column, s) for s in raw.to_pylist()]
    return _from_cells(column, codes, raw, cells)


def _read_unasked(data: pd.DataFrame, column: str, rules: Rules) -> ColumnRead:
    """The submission time (read as dates) or another column no question asks about (read as
    text), each distinct spelling once; a column holding a different text in nearly every row
    (ids, submission times to the second) is read row by row instead, like open answers
    (``distinct`` False), without building a hash table of a million spellings to find few
    repeats."""
    codes, raw, by_spelling = spellings(data[column])
    if column == rules.instrument.raw.submitted:
        read = _read_dates(column, codes, raw, rules)
    else:
        read = _read_text(column, codes, raw, rules, None, False)
    read.distinct = by_spelling
    return read


#: most readings kept in :attr:`Rules.read_cache` (a spelling met in an earlier block of the
#: file is not read again)
_CACHE_LIMIT = 1_000_000


def _closed(rules: Rules, column: str, raw: str, other: str = "") -> Cell:
    """A closed-answer cell; a cell over MAX_CELL_CHARS is not an answer (``cell_too_long``).
    Each (column, spelling, other) is read once per :class:`Rules` (the cache is cleared when
    it holds :data:`_CACHE_LIMIT` readings, e.g. a count column of unique free text)."""
    cache = rules.read_cache
    key = (column, raw, other)
    cell = cache.get(key)
    if cell is None:
        if len(raw) > MAX_CELL_CHARS:
            cell = rules.text(None, raw)
        else:
            cell = rules.read(column, raw, {rules.by_column[column].other_column or "": other})
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = cell
    return cell


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element by element: lists stay list objects
        out[i] = v
    return out


def _from_cells(column: str, codes: np.ndarray, raw: pa.Array, cells: list[Cell]) -> ColumnRead:
    problems = pd.DataFrame(
        [(u, p.rule, p.action, p.message) for u, c in enumerate(cells) for p in c.problems],
        columns=_PROBLEM_COLUMNS,
    )
    return ColumnRead(
        column=column,
        codes=codes,
        raw=raw,
        value=_objects([c.value for c in cells]),
        missing=_objects([c.missing for c in cells]),
        rule=_objects([c.rule for c in cells]),
        after=_objects([c.after for c in cells]),
        too_long=char_length(raw) > MAX_CELL_CHARS,
        problems=problems,
    )


def too_long_problems(raw: pa.Array, too_long: np.ndarray) -> pd.DataFrame:
    """The ``cell_too_long`` problems (columns ``u, rule, action, message``) of the spellings
    marked in ``too_long``."""
    u = np.flatnonzero(too_long)
    if not len(u):  # the usual case: a copy of the empty table, not a new one (a millisecond)
        return _none_too_long().copy()
    return _too_long_table(raw, u)


@cache
def _none_too_long() -> pd.DataFrame:
    return _too_long_table(pa.array([], pa.large_string()), np.zeros(0, dtype=np.intp))


def _too_long_table(raw: pa.Array, u: np.ndarray) -> pd.DataFrame:
    lengths = char_length(raw.take(pa.array(u, pa.int64())))
    return pd.DataFrame(
        {
            "u": u,
            "rule": Rule.CELL_TOO_LONG,
            "action": "set missing",
            "message": [
                f"the cell holds {n} characters (limit {MAX_CELL_CHARS}); not read as an answer; "
                "set missing"
                for n in lengths
            ],
        },
        columns=_PROBLEM_COLUMNS,
    )


def _read_text(
    column: str, codes: np.ndarray, raw: pa.Array, rules: Rules, qid: str | None, keep_lines: bool
) -> ColumnRead:
    """:meth:`Rules.text` of every distinct spelling at once (vectorised; same results).

    Lengths come from the byte offsets where they decide: an empty string is 0 bytes, and a
    string of at most ``k`` bytes has at most ``k`` characters (a character is 1-4 bytes), so
    characters are counted only in strings longer in bytes than the limit asked about.
    """
    raw = to_arrow(raw)
    valid = np.asarray(raw.is_valid(), dtype=bool) if raw.null_count else None
    too_long = _longer_than(raw, MAX_CELL_CHARS)
    after, changed = collapse_text(raw, keep_lines=keep_lines)
    if too_long.any():  # else no copy of a column as large as the file's text
        after = pc.if_else(pa.array(too_long), pa.scalar("", pa.large_string()), after)
    empty = _byte_lengths(after) == 0
    if valid is not None:
        empty &= valid  # a null is not empty (and never changed)
    rule = np.full(len(raw), None, dtype=object)
    rule[changed & empty] = Rule.BLANK
    rule[changed & ~empty] = Rule.WHITESPACE
    if valid is not None:
        rule[~valid] = Rule.WHITESPACE  # as a comparison with null read it before
    rule[too_long] = Rule.CELL_TOO_LONG  # whatever the collapse did
    missing = np.full(len(raw), None, dtype=object)
    if qid is not None and rules._missing[qid]:
        # only text no longer than the longest missing-code spelling can be one (casefold never
        # shortens a string), so few distinct values are looked up in Python
        longest = max(len(k) for k in rules._missing[qid])
        maybe = ~empty & ~_longer_than(after, longest)
        maybe = np.flatnonzero(maybe if valid is None else maybe & valid)
        texts = after.take(pa.array(maybe, pa.int64())).to_pylist()
        raws = raw.take(pa.array(maybe, pa.int64())).to_pylist()
        hits = [
            (u, rules._missing[qid][k], r)
            for u, t, r in zip(maybe, texts, raws, strict=True)
            if (k := norm_key(t)) in rules._missing[qid]
        ]
        if hits:
            u_hit = np.array([h[0] for h in hits], dtype=np.int64)
            mask = np.zeros(len(raw), dtype=bool)
            mask[u_hit] = True
            after = pc.replace_with_mask(
                after, pa.array(mask), pa.array([h[1] for h in hits], pa.large_string())
            )
            for u, miss, r in hits:
                missing[u] = miss
                rule[u] = None if r == miss else Rule.MISSING_CODE
            empty = empty | mask
    value = _null_where(after, empty)
    return ColumnRead(
        column, codes, raw, value, missing, rule, after, too_long, too_long_problems(raw, too_long)
    )


def _byte_lengths(text: pa.Array) -> np.ndarray:
    """UTF-8 bytes of each string of ``text`` (``large_string``; 0 for null)."""
    offsets = cell_offsets(text)
    return offsets[1:] - offsets[:-1]


def _longer_than(text: pa.Array, limit: int) -> np.ndarray:
    """Whether each string has more than ``limit`` characters (False for null): counted only for
    the strings of more than ``limit`` and at most ``4 * limit`` bytes (a character is 1-4
    bytes, so the byte length alone decides the others)."""
    size = _byte_lengths(text)
    out = size > limit
    maybe = np.flatnonzero(out & (size <= 4 * limit))
    if len(maybe):
        out[maybe] = char_length(text.take(pa.array(maybe, pa.int64()))) > limit
    return out


def _null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """``values`` with nulls where ``mask`` holds: the same character buffers under a new
    validity bitmap (no copy of the text), else ``pc.if_else``."""
    if not mask.any():
        return values
    if values.null_count == 0 and values.offset == 0:
        validity = pa.array(~mask).buffers()[1]  # a boolean array's values are a bitmap
        _, offsets, data = values.buffers()
        return pa.Array.from_buffers(values.type, len(values), [validity, offsets, data])
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def _read_dates(column: str, codes: np.ndarray, raw: pa.Array, rules: Rules) -> ColumnRead:
    """:meth:`Rules.date` of every distinct spelling; plain ISO dates read on the whole column
    (:func:`~giftreview.data.dates.plain_iso`)."""
    n = len(raw)
    fast, value = plain_iso(raw)  # read as they are: no audit, no problem
    rule = np.full(n, None, dtype=object)
    after = np.full(n, None, dtype=object)
    slow = np.flatnonzero(~fast)
    texts = raw.take(pa.array(slow, pa.int64())).to_pylist()
    found = []
    for u, text in zip(slow, texts, strict=True):
        cell = rules.date(text) if len(text) <= MAX_CELL_CHARS else rules.text(None, text)
        if cell.value is not None:
            value[u] = np.datetime64(cell.value, "ns")
        rule[u], after[u] = cell.rule, cell.after
        found += [(u, p.rule, p.action, p.message) for p in cell.problems]
    return ColumnRead(
        column,
        codes,
        raw,
        value,
        np.full(n, None, dtype=object),
        rule,
        after,
        char_length(raw) > MAX_CELL_CHARS,
        pd.DataFrame(found, columns=_PROBLEM_COLUMNS),
    )
