"""Codebook patterns applied to whole columns of answers: sentences, distinct texts, one pass a pattern.

:func:`code_texts` is the engine of :func:`giftreview.text.coding.auto_code`. It gives the same
codes as coding each answer on its own (split into sentences; for each theme, the first sentence
in which an inclusion pattern matches and no exclusion pattern does; there, the earliest match,
the first pattern on a tie), but works on whole columns:

1. every answer is split into sentences at once, and the sentences are reduced to their distinct
   texts (answers repeat their sentences: "Thank you.", stock phrases);
2. each pattern runs once over the distinct sentences; only the sentences it matches are searched
   again for the match's position and text;
3. the earliest sentence per answer and theme is picked by sorting the hits, then broadcast back to
   the answers.

Two engines run the patterns. Texts of printable ASCII go through pyarrow's regular expressions
(RE2, compiled code over the whole array) when the pattern is in the subset of Python's syntax
that RE2 reads the same way on such texts (:func:`re2_safe`); the word bounds of
:func:`giftreview.text.codebook.compile_pattern` become ``(?:^|\\W)`` and ``(?:\\W|$)`` around the
pattern. Every other text, and every other pattern, goes through Python's :mod:`re` with the
pattern compiled by :func:`~giftreview.text.codebook.compile_pattern`, one distinct sentence at a
time. RE2 is used because Python's regular expressions cost micro-seconds per sentence and pattern,
which at a million answers and sixty patterns a question is minutes; ``tests/test_matching.py``
checks both engines against coding answer by answer.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import PY_WHITESPACE, PY_WHITESPACE_RE2, cell_offsets, utf8_bytes
from giftreview.text.codebook import Codebook, compile_pattern

__all__ = ["HIT_COLUMNS", "re2_safe", "sentences", "split_sentences", "code_texts"]

#: columns of :func:`code_texts`: answer position, theme position in the codebook, evidence span
HIT_COLUMNS = ["pos", "theme", "evidence", "start", "end"]

#: a sentence ends at . ! ? ; followed by white space, or at a line break
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
#: texts the RE2 engine reads exactly as Python does: printable ASCII only
_NOT_PRINTABLE_ASCII = r"[^\x20-\x7e]"
#: Python's white space (``\\s`` of a str pattern, ``str.isspace``) as an RE2 class
_SPACE = PY_WHITESPACE_RE2
#: escapes with one meaning in both engines on printable ASCII (classes, word bounds)
_SAFE_ESCAPE_LETTERS = set("sSwWdDbB")


@functools.lru_cache(maxsize=4096)
def re2_safe(pattern: str) -> bool:
    """True when RE2 reads ``pattern`` as Python's :mod:`re` does on printable-ASCII texts.

    The pattern must be printable ASCII, use no ``(?`` construct but ``(?:`` (no look-around,
    named group, inline flag or back-reference), no escape but a punctuation character or one of
    ``\\s \\S \\w \\W \\d \\D \\b \\B`` (the same classes on ASCII), no ``{,n}`` (Python's
    "0 to n", a literal in RE2) and no ``[:`` (a POSIX class in RE2, literal characters in
    Python); and RE2 must compile it.

    Examples
    --------
    >>> re2_safe(r"train(?:ing|ed)?\\s+\\w+"), re2_safe(r"(?<!no )fund"), re2_safe(r"a{,3}")
    (True, False, False)
    """
    if re.search(_NOT_PRINTABLE_ASCII, pattern) or "{," in pattern or "[:" in pattern:
        return False
    if re.search(r"\(\?(?!:)", pattern):
        return False
    for m in re.finditer(r"\\(.)", pattern):
        c = m.group(1)
        if c.isalnum() and c not in _SAFE_ESCAPE_LETTERS:
            return False
    try:
        pc.match_substring_regex(pa.array(["x"]), _bounded(pattern))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _bounded(pattern: str) -> str:
    """The RE2 form of ``compile_pattern(pattern)`` for a yes/no search on ASCII texts."""
    return rf"(?i)(?:^|\W)(?:{pattern})(?:\W|$)"


def _located(pattern: str) -> str:
    """RE2: the text before the leftmost word-bounded match (``pre``) and the match (``ev``)."""
    return rf"(?i)^(?P<pre>(?:.*?\W)??)(?P<ev>(?:{pattern}))(?:\W|$)"


# ---- sentences ----------------------------------------------------------------------------------
def split_sentences(texts: pd.Series) -> pd.DataFrame:
    """Every sentence of every text: ``pos`` (position of the text), ``order``, ``start``, ``text``.

    Texts are split by pyarrow in one pass (a text holding a NUL character, the marker, by
    :data:`_SENTENCE_END` on its own). Empty sentences are dropped. Same spans as
    :func:`sentences`.

    Examples
    --------
    >>> split_sentences(pd.Series(["UN.GIFT helped. More training!  Thanks", "Ça va; oui"]))
       pos  order  start             text
    0    0      0      0  UN.GIFT helped.
    1    0      1     16   More training!
    2    0      2     32           Thanks
    3    1      0      0           Ça va;
    4    1      1      7              oui
    """
    pos, order, start, text = _sentence_arrays(texts)
    return pd.DataFrame({"pos": pos, "order": order, "start": start, "text": text.to_pylist()})


def _sentence_arrays(texts: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """:func:`split_sentences` as arrays, the sentence texts kept in Arrow (no Python strings)."""
    arr = pa.array(texts, type=pa.large_string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # an Arrow-backed column
        arr = arr.combine_chunks()
    if _holds_nul(arr):  # NUL: the marker
        other = np.asarray(pc.match_substring(arr, "\x00").to_numpy(False), dtype=bool)
    else:
        other = np.zeros(len(arr), dtype=bool)
    # texts holding white space beyond ASCII: RE2 (the byte scan knows ASCII white space alone)
    wide = np.zeros(len(arr), dtype=bool)
    if len(arr) and not _ascii(arr):
        wide = np.asarray(pc.match_substring_regex(arr, _WIDE_SPACE).to_numpy(False), dtype=bool)
    wide &= ~other
    if not (other.any() or wide.any()):  # the sentences come out in text order
        return _split_bytes(arr, np.arange(len(arr)))
    fast = np.flatnonzero(~other & ~wide)
    pos, order, start, text = _split_bytes(arr.take(pa.array(fast)), fast)
    if wide.any():
        at = np.flatnonzero(wide)
        p2, o2, s2, t2 = _split_marked(arr.take(pa.array(at)), at)
        pos, order, start = (np.concatenate(x) for x in ((pos, p2), (order, o2), (start, s2)))
        text = pa.concat_arrays([text, t2])
    rows = []
    for i in np.flatnonzero(other):
        t = arr[int(i)].as_py()
        rows += [(int(i), j, s, t[s:e]) for j, (s, e) in enumerate(sentences(t))]
    if rows:
        p2, o2, s2, t2 = zip(*rows, strict=True)
        pos = np.concatenate([pos, np.asarray(p2, dtype=np.int64)])
        order = np.concatenate([order, np.asarray(o2, dtype=np.int64)])
        start = np.concatenate([start, np.asarray(s2, dtype=np.int64)])
        text = pa.concat_arrays([text, pa.array(t2, type=pa.large_string())])
    sort = np.lexsort((order, pos))
    return pos[sort], order[sort], start[sort], text.take(pa.array(sort))


#: Python's white space beyond ASCII, as an RE2 class
_WIDE_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_WHITESPACE if ord(c) > 127) + "]"
#: byte look-up tables: Python's ASCII white space, and the punctuation ending a sentence
_WS_BYTE = np.zeros(256, dtype=bool)
_WS_BYTE[[ord(c) for c in PY_WHITESPACE if ord(c) < 128]] = True
_END_BYTE = np.zeros(256, dtype=bool)
_END_BYTE[[ord(c) for c in ".!?;"]] = True
#: texts split by the byte scan at a time (its boolean arrays are a few bytes per text byte)
_SPLIT_BLOCK = 262_144


def _ascii(arr: pa.Array) -> bool:
    """Whether every text of ``arr`` is ASCII: one numpy scan of its UTF-8 bytes."""
    data = np.frombuffer(utf8_bytes(arr), dtype=np.uint8)
    return not len(data) or int(data.max()) < 128


def _split_bytes(
    arr: pa.Array, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """:func:`_split_marked` of texts without NUL whose white space is ASCII, by a scan of their
    UTF-8 bytes (numpy), a block of texts at a time.

    :data:`_SENTENCE_END` read on bytes: a run of white space whose first character follows
    ``. ! ? ;`` in the same text is a separator, and so is every line break outside such a run
    (the runs of line breaks ``\\n+`` takes); the sentences are the runs between separators.
    Their texts are slices of the column's own data buffer (one Arrow filter copies them) and
    their starts are counted in characters (UTF-8 lead bytes). The result equals
    :func:`_split_marked` (``tests/test_matching.py``).
    """
    parts = [
        _split_block(arr.slice(i, _SPLIT_BLOCK), pos[i : i + _SPLIT_BLOCK])
        for i in range(0, len(arr), _SPLIT_BLOCK)
    ]
    if not parts:
        return _split_marked(arr, pos)
    pos, order, start, text = zip(*parts, strict=True)
    return (*(np.concatenate(x) for x in (pos, order, start)), pa.concat_arrays(text))


def _split_block(
    arr: pa.Array, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """:func:`_split_bytes` of one block of texts, on the positions of the few bytes that
    matter (sentence ends, line breaks, UTF-8 continuation bytes): no array per byte but the
    three masks that find them."""
    buffers = arr.buffers()  # validity, offsets (int64), data: the pieces are cut from data
    base = np.frombuffer(buffers[1], dtype=np.int64)[arr.offset]
    offsets, data = cell_offsets(arr), np.frombuffer(utf8_bytes(arr), dtype=np.uint8)
    starts, ends, n = offsets[:-1], offsets[1:], len(data)
    # the space runs after . ! ? ; (in the same text), each grown while the text goes on in space
    run = np.flatnonzero(_END_BYTE[data]) + 1
    owner = np.searchsorted(starts, run - 1, side="right") - 1  # the text of the punctuation
    limit = ends[owner]
    run = run[(run < limit) & _WS_BYTE[data[np.minimum(run, n - 1)]]] if n else run
    limit = ends[np.searchsorted(starts, run - 1, side="right") - 1]
    end = run + 1
    grow = end < limit
    while grow.any():
        at = np.flatnonzero(grow)
        grow[at] = _WS_BYTE[data[end[at]]]
        end[at[grow[at]]] += 1
        grow &= end < limit
    breaks = np.flatnonzero(data == 10)  # every line break is in a separator
    cuts = np.sort(np.concatenate([starts, run, end, breaks, breaks + 1, [n]]))
    cuts = cuts[np.concatenate([[True], cuts[1:] != cuts[:-1]])]  # each once (sorted, no hash)
    seg = cuts[cuts < n]
    inside = np.searchsorted(run, seg, side="right") - 1  # the space run a piece could be in
    in_run = (inside >= 0) & (seg < end[np.maximum(inside, 0)]) if len(run) else seg < 0
    is_sentence = ~in_run & (data[seg] != 10)
    bounds = np.concatenate([seg, [n]]) + base
    pieces = pa.LargeStringArray.from_buffers(
        len(seg), pa.py_buffer(bounds.astype(np.int64)), buffers[2]
    )
    text = pieces.filter(pa.array(is_sentence))
    begin = seg[is_sentence]
    owner = np.searchsorted(starts, begin, side="right") - 1
    cont = np.flatnonzero((data & 0xC0) == 0x80)  # bytes inside a character
    start = (
        begin
        - starts[owner]
        - (np.searchsorted(cont, begin) - np.searchsorted(cont, starts[owner]))
    )
    first_of = np.searchsorted(owner, owner)  # sorted by text: each text's first sentence
    return pos[owner], np.arange(len(owner)) - first_of, start, text


def _holds_nul(arr: pa.Array) -> bool:
    """Whether any text of ``arr`` holds a NUL character: one numpy scan of its UTF-8 bytes."""
    data = utf8_bytes(arr)
    return len(data) > 0 and not np.frombuffer(data, dtype=np.uint8).all()


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``.

    A sentence ends at ``. ! ? ;`` followed by white space, or at a line break; a dot inside a word
    (``UN.GIFT``) does not end a sentence.

    Examples
    --------
    >>> text = "UN.GIFT helped. More training!  Thanks"
    >>> [text[s:e] for s, e in sentences(text)]
    ['UN.GIFT helped.', 'More training!', 'Thanks']
    """
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _split_marked(
    arr: pa.Array, pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    """Sentences of texts without NUL, in one RE2 pass: each separator of :data:`_SENTENCE_END`
    (``. ! ? ;`` then white space, or line breaks) is marked with NUL on both sides, the texts
    split there, and the pieces alternate sentence, separator. RE2 has no look-behind, so the
    punctuation is matched and put back; its ``\\s`` is ASCII, so :data:`_SPACE` spells out
    Python's (``str.isspace``)."""
    marked = pc.replace_substring_regex(arr, rf"([.!?;])({_SPACE}+)|(\n+)", "\\1\x00\\2\\3\x00")
    parts = pc.split_pattern(marked, "\x00")
    flat = pc.list_flatten(parts)
    parent = np.asarray(pc.list_parent_indices(parts).to_numpy(False), dtype=np.int64)
    lens = np.asarray(pc.utf8_length(flat).to_numpy(False), dtype=np.int64)
    offsets = np.asarray(parts.offsets.to_numpy(False), dtype=np.int64)[:-1]
    before = np.cumsum(lens) - lens  # characters before each piece, all texts together
    first = offsets[parent]  # index of each text's first piece
    within = np.arange(len(lens)) - first
    start = before - before[first] if len(lens) else before
    keep = (within % 2 == 0) & (lens > 0)
    text = flat.filter(pa.array(keep))
    kept = parent[keep]
    first_kept = np.searchsorted(kept, kept)  # sorted by text: each text's first sentence
    return pos[kept], np.arange(len(kept)) - first_kept, start[keep], text


# ---- patterns over distinct sentences -----------------------------------------------------------
def _re2_mask(texts: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(texts, _bounded(pattern)).to_numpy(False))


def _py_mask(texts: list[str], pattern: str) -> np.ndarray:
    rx = compile_pattern(pattern)
    return np.fromiter((rx.search(t) is not None for t in texts), bool, len(texts))


def _locate(texts: pa.Array, pattern: str, re2: bool) -> tuple[list[int], list[int], list[str]]:
    """Start, end and text of the first word-bounded match in each text (each one matches)."""
    if re2:
        got = pc.extract_regex(texts, _located(pattern))
        pre = pc.utf8_length(pc.struct_field(got, "pre")).to_pylist()
        ev = pc.struct_field(got, "ev").to_pylist()
        return pre, [s + len(e) for s, e in zip(pre, ev, strict=True)], ev
    found = [compile_pattern(pattern).search(t) for t in texts.to_pylist()]
    return [m.start() for m in found], [m.end() for m in found], [m.group(0) for m in found]


def _theme_hits(arr: pa.Array, codebook: Codebook, *, re2: bool) -> pd.DataFrame:
    """``u, theme, rank, start, end, evidence``: per distinct sentence ``u`` (position in ``arr``)
    and theme, every inclusion match (``rank`` = pattern position) in a sentence no exclusion
    pattern matches. ``re2``: the sentences are printable ASCII (RE2 reads the safe patterns)."""
    frames = []
    all_rows = np.arange(len(arr))
    texts_all: list[str] | None = None
    # one RE2 pass with the inclusion patterns of every theme RE2 reads: the sentences any of
    # them could match (most sentences match no theme; each theme then looks at these alone)
    readable = [t for t in codebook.themes if re2 and all(re2_safe(p) for p in t.include)]
    maybe, maybe_arr = all_rows, arr
    if readable and len(arr):
        either = "|".join(f"(?:{p})" for t in readable for p in t.include)
        try:
            maybe = np.flatnonzero(_re2_mask(arr, either))
            maybe_arr = arr.take(pa.array(maybe, type=pa.int64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # too large for RE2: no pre-pass
            pass
    for ti, theme in enumerate(codebook.themes):
        safe = {p: re2 and re2_safe(p) for p in (*theme.include, *theme.exclude)}
        rows, sub = all_rows, arr
        if re2 and all(safe[p] for p in theme.include) and len(arr):
            # one RE2 pass with every inclusion pattern: the theme's candidate sentences
            either = "|".join(f"(?:{p})" for p in theme.include)
            rows = maybe[_re2_mask(maybe_arr, either)]
            sub = arr.take(pa.array(rows, type=pa.int64()))
        if not len(rows):
            continue
        texts: list[str] | None = None
        if not all(safe.values()):
            texts_all = arr.to_pylist() if texts_all is None else texts_all
            texts = [texts_all[i] for i in rows]

        def mask(p: str, sub=sub, texts=texts, safe=safe) -> np.ndarray:
            return _re2_mask(sub, p) if safe[p] else _py_mask(texts, p)

        excluded = np.zeros(len(rows), bool)
        for p in theme.exclude:
            excluded |= mask(p)
        for rank, p in enumerate(theme.include):
            hit = np.flatnonzero(mask(p) & ~excluded)
            if not len(hit):
                continue
            start, end, ev = _locate(sub.take(pa.array(hit)), p, safe[p])
            frames.append(
                pd.DataFrame(
                    {"u": rows[hit], "theme": ti, "rank": rank, "start": start, "end": end,
                     "evidence": ev}
                )
            )  # fmt: skip
    cols = ["u", "theme", "rank", "start", "end", "evidence"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def code_texts(texts: pd.Series, codebook: Codebook) -> pd.DataFrame:
    """The codes of ``texts`` (non-blank strings), as rows ``pos, theme, evidence, start, end``.

    ``pos`` is the text's position in ``texts`` and ``theme`` the theme's position in the
    codebook; ``start``/``end`` are character offsets into the text. Rows are ordered by text,
    then theme. See the module docstring for the rule and the engines.

    Examples
    --------
    >>> from giftreview.text.codebook import parse_codebook
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"}]})
    >>> code_texts(pd.Series(["No. The workshop and training helped.", "Nothing"]), cb)
       pos  theme  evidence  start  end
    0    0      0  workshop      8   16
    """
    pos, order, offset, text = _sentence_arrays(texts)
    if not len(pos):
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in HIT_COLUMNS}).astype(
            {"evidence": object}
        )
    enc = pc.dictionary_encode(text)
    u = np.asarray(enc.indices.to_numpy(False), dtype=np.int64)
    arr = enc.dictionary
    ascii_ = ~np.asarray(pc.match_substring_regex(arr, _NOT_PRINTABLE_ASCII).to_numpy(False))
    frames = []
    for is_ascii in (True, False):
        idx = np.flatnonzero(ascii_ == is_ascii)
        if not len(idx):
            continue
        part = arr.take(pa.array(idx))
        hits = _theme_hits(part, codebook, re2=is_ascii)
        frames.append(hits.assign(u=idx[hits["u"].to_numpy(dtype=np.int64)]))
    hits = pd.concat(frames, ignore_index=True)
    # the earliest match per sentence and theme (the first pattern on a tie) ...
    hits = hits.sort_values(["u", "theme", "start", "rank"], kind="stable")
    hits = hits.drop_duplicates(["u", "theme"])
    # ... in the first sentence of each text where the theme is found: each hit joined to the
    # sentences holding its distinct text (positions grouped by u), then the first per text
    # and theme by one lexsort (the join and sorts of a merge, on integer arrays)
    h_u = hits["u"].to_numpy(dtype=np.int64)
    by_u = np.argsort(u, kind="stable")
    count = np.bincount(u, minlength=len(arr))
    first = np.cumsum(count) - count
    n = count[h_u]
    h = np.repeat(np.arange(len(h_u)), n)  # the hit of each (hit, sentence) pair
    sn = by_u[np.repeat(first[h_u], n) + np.arange(len(h)) - np.repeat(np.cumsum(n) - n, n)]
    theme = hits["theme"].to_numpy(dtype=np.int64)[h]
    sort = np.lexsort((order[sn], theme, pos[sn]))
    h, sn, theme = h[sort], sn[sort], theme[sort]
    keep = np.ones(len(h), dtype=bool)
    keep[1:] = (pos[sn][1:] != pos[sn][:-1]) | (theme[1:] != theme[:-1])
    h, sn = h[keep], sn[keep]
    return pd.DataFrame(
        {
            "pos": pos[sn],
            "theme": theme[keep],
            "evidence": hits["evidence"].to_numpy(dtype=object)[h],
            "start": offset[sn] + hits["start"].to_numpy(dtype=np.int64)[h],
            "end": offset[sn] + hits["end"].to_numpy(dtype=np.int64)[h],
        }
    )
