"""Whole-column operations for validation and cleaning: distinct values, whitespace, ids.

Survey columns hold few distinct values, so :mod:`giftreview.data.validate` reads each distinct
spelling of a column once and broadcasts the result to the rows (:func:`distinct`). Open text has
as many distinct values as rows; it is normalised here with vectorised pyarrow string kernels
(RE2 regular expressions) that give exactly what Python's ``" ".join(text.split())`` gives,
because the character classes below are Python's own whitespace and line-break sets
(``str.isspace`` and ``str.splitlines``; a test checks them against Python).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "PY_WHITESPACE",
    "PY_WHITESPACE_RE2",
    "PY_LINE_BREAKS",
    "ZERO_WIDTH",
    "distinct",
    "to_arrow",
    "utf8_bytes",
    "cell_offsets",
    "starting_with",
    "collapse_whitespace",
    "collapse_lines",
    "collapse_text",
    "odd_spacing",
    "is_blank",
    "char_length",
    "strip",
    "id_key",
    "ids_key",
    "mostly_distinct",
    "spellings",
]

#: the characters for which ``str.isspace()`` is true (what ``str.split()`` splits on)
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: the characters ``str.splitlines()`` ends a line at
PY_LINE_BREAKS = "\n\x0b\x0c\r\x1c\x1d\x1e\x85\u2028\u2029"
#: invisible format characters removed before ids are compared (zero-width space, joiners,
#: word joiner, byte-order mark, soft hyphen, direction marks)
ZERO_WIDTH = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)


def _re2_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


#: :data:`PY_WHITESPACE` as an RE2 class (what ``\\s`` of a Python str pattern matches)
PY_WHITESPACE_RE2 = _re2_class(PY_WHITESPACE)
_WS = PY_WHITESPACE_RE2
_LB = _re2_class(PY_LINE_BREAKS)
_WS_IN_LINE = _re2_class("".join(c for c in PY_WHITESPACE if c not in PY_LINE_BREAKS))
_ZW_TABLE = dict.fromkeys(map(ord, ZERO_WIDTH))
#: text that " ".join(s.split()) changes: a space at either end, two spaces, other whitespace
_ODD_SPACING = "^ | $|  |" + _re2_class(PY_WHITESPACE.replace(" ", ""))
#: the runs of whitespace that are not one plain space: the only ones a collapse changes (a
#: pattern matching every run, single spaces included, makes a replacement per word)
_WS_ODD_RUN = f"{_WS}{{2,}}|" + _re2_class(PY_WHITESPACE.replace(" ", ""))
_WS_IN_LINE_ODD_RUN = f"{_WS_IN_LINE}{{2,}}|" + _re2_class(
    "".join(c for c in PY_WHITESPACE if c not in PY_LINE_BREAKS + " ")
)


def distinct(values: pd.Series | pd.api.extensions.ExtensionArray) -> tuple[np.ndarray, pa.Array]:
    """``(codes, uniques)``: each row's position in the distinct values, in order of first
    appearance (``uniques.take(codes)`` gives the column back).

    The hash table of :func:`pandas.factorize`; the same as ``match(x, unique(x))`` in R.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(codes, dtype=np.intp), to_arrow(uniques)


def spellings(values: pd.Series) -> tuple[np.ndarray, pa.Array, bool]:
    """``(codes, texts, distinct)``: :func:`distinct` of the column, or, when nearly every row
    differs (ids, submission times to the second), the column itself with the row positions as
    codes and ``distinct`` False. Either way ``texts.take(codes)`` gives the column back; the
    second way builds no hash table of a million spellings to find few repeats."""
    if mostly_distinct(values):
        texts = to_arrow(values.array)
        return np.arange(len(texts), dtype=np.intp), texts, False
    codes, texts = distinct(values)
    return codes, texts, True


#: rows looked at by :func:`mostly_distinct`
_SAMPLE_ROWS = 1024


def mostly_distinct(values: pd.Series) -> bool:
    """Whether a long column's first :data:`_SAMPLE_ROWS` cells are more than half distinct."""
    if len(values) <= 4 * _SAMPLE_ROWS:
        return False
    head = to_arrow(values.array[:_SAMPLE_ROWS])
    return pc.count_distinct(head, mode="all").as_py() > _SAMPLE_ROWS // 2


def to_arrow(values) -> pa.Array:
    """Strings as a pyarrow ``large_string`` array (None stays null)."""
    if hasattr(values, "__arrow_array__"):  # pandas' Arrow-backed strings: no Python objects
        values = values.__arrow_array__()
    if isinstance(values, pa.ChunkedArray):  # one chunk is taken as it is (no copy)
        values = values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()
    if not isinstance(values, pa.Array):
        try:
            values = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            values = pa.array([None if v is None else str(v) for v in values], pa.string())
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    return values


def collapse_whitespace(values: pa.Array) -> pa.Array:
    """``" ".join(s.split())`` of every string: runs of whitespace to one space, ends trimmed."""
    return collapse_text(values)[0]


def collapse_lines(values: pa.Array) -> pa.Array:
    """One item a line: ``"\\n".join(l for l in (" ".join(x.split()) for x in s.splitlines()) if l)``.

    A run of whitespace holding a line break becomes one ``"\\n"`` (blank lines vanish), any other
    run one space; then both ends are trimmed. Only the texts holding whitespace other than
    single spaces between words are rewritten.
    """
    return collapse_text(values, keep_lines=True)[0]


def collapse_text(values: pa.Array, *, keep_lines: bool = False) -> tuple[pa.Array, np.ndarray]:
    """:func:`collapse_whitespace` (or :func:`collapse_lines` when ``keep_lines``) of every string,
    and which strings it changed (False for null), so a caller needs no comparison of the whole
    column with its input.

    Most answers are already normal: only the strings :func:`odd_spacing` finds are rewritten
    (RE2), the others are kept as they are. Collapsing whitespace changes exactly those strings
    (the result holds no whitespace but single inner spaces); keeping the lines may leave one
    unchanged (``"a\\nb"``), so their rewritten texts are compared with the originals.
    """
    values = to_arrow(values)
    odd = odd_spacing(values)
    if not odd.any():
        return values, odd
    mask = pa.array(odd)
    before = values.filter(mask)
    if keep_lines:
        fixed = pc.replace_substring_regex(before, f"{_WS}*{_LB}{_WS}*", "\n")
        fixed = pc.replace_substring_regex(fixed, _WS_IN_LINE_ODD_RUN, " ")
        fixed = pc.utf8_trim(fixed, characters=" \n")
        changed = np.zeros(len(values), dtype=bool)
        changed[odd] = ~np.asarray(pc.equal(fixed, before), dtype=bool)
    else:
        fixed = pc.utf8_trim(pc.replace_substring_regex(before, _WS_ODD_RUN, " "), characters=" ")
        changed = odd
    return pc.replace_with_mask(values, mask, fixed), changed


#: ASCII bytes of :data:`PY_WHITESPACE` other than the space (each always a whole character)
_WS_ASCII = np.zeros(256, dtype=bool)
_WS_ASCII[[ord(c) for c in PY_WHITESPACE if c != " " and ord(c) < 0x80]] = True
#: the UTF-8 bytes of its other characters, as integers (two- and three-byte ones: none is
#: longer, a test checks it)
_WS_MULTI = {
    k: np.array(
        sorted(
            int.from_bytes(c.encode("utf-8"), "big") for c in PY_WHITESPACE if len(c.encode()) == k
        ),
        dtype=np.int64,
    )
    for k in (2, 3)
}
#: text bytes :func:`odd_spacing` scans at a time (its masks stay in the processor's cache)
_SCAN_CHUNK = 1 << 18


def odd_spacing(values: pa.Array) -> np.ndarray:
    """Which strings ``" ".join(s.split())`` changes: a space at either end, two spaces in a row,
    or any whitespace character but the space (False for null).

    The same as an RE2 match of ``^ | $|  |[whitespace but space]`` per string (a test checks
    it), found on the UTF-8 bytes of the whole column instead: a chunk of bytes at a time, the
    control bytes, the pairs of spaces and the first bytes of multi-byte characters (few) are
    located with numpy compares, and only those are looked at further; a position is mapped to
    its string by the offsets. Valid UTF-8 (Arrow strings) means a byte below 0x80 is always a
    whole character, so a byte never matches inside another character.
    """
    values = to_arrow(values)
    offsets = cell_offsets(values)
    data = np.frombuffer(utf8_bytes(values), dtype=np.uint8)
    odd = np.zeros(len(values), dtype=bool)
    filled = np.flatnonzero(offsets[1:] > offsets[:-1])
    odd[filled] = (data[offsets[filled]] == 0x20) | (data[offsets[filled + 1] - 1] == 0x20)
    found = []
    size = min(len(data), _SCAN_CHUNK + 1)
    space, look = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
    shifted = np.empty(size, dtype=np.uint8)
    for i in range(0, len(data), _SCAN_CHUNK):
        piece = data[i : i + _SCAN_CHUNK + 1]  # one byte more: a pair of spaces across the cut
        m = min(len(piece), _SCAN_CHUNK)
        np.equal(piece, 0x20, out=space[: len(piece)])
        np.logical_and(space[: len(piece) - 1], space[1 : len(piece)], out=look[: len(piece) - 1])
        look[len(piece) - 1 :] = False  # the last chunk's last byte starts no pair
        piece, look_m = piece[:m], look[:m]
        # a control byte (below 0x20) or the first byte of a character of two or more bytes
        # (0xC2 and above), in one compare: less 0x20 they become 0xE0-0xFF and 0xA2-0xDF
        np.subtract(piece, 0x20, out=shifted[:m])
        np.greater_equal(shifted[:m], 0xA2, out=space[:m])
        look_m |= space[:m]
        at = np.flatnonzero(look_m)
        byte = piece[at]
        ascii_ = byte < 0x80  # a control byte, or the first of two spaces
        hit = ascii_ & (_WS_ASCII[byte] | (byte == 0x20))
        lead = np.flatnonzero(~ascii_)
        if len(lead):
            p = at[lead] + i  # in ``data``
            b1 = data[np.minimum(p + 1, len(data) - 1)].astype(np.int64)
            b2 = data[np.minimum(p + 2, len(data) - 1)].astype(np.int64)
            b0 = byte[lead].astype(np.int64)
            two = np.isin((b0 << 8) | b1, _WS_MULTI[2])
            three = np.isin((b0 << 16) | (b1 << 8) | b2, _WS_MULTI[3])
            hit[lead] = two | three
        found.append(at[hit] + i)
    if found:
        where = np.concatenate(found)
        odd[np.searchsorted(offsets, where, side="right") - 1] = True
    if values.null_count:
        odd &= np.asarray(values.is_valid(), dtype=bool)
    return odd


#: the first UTF-8 byte of every character of :data:`PY_WHITESPACE`
_WS_FIRST = np.zeros(256, dtype=bool)
_WS_FIRST[[c.encode("utf-8")[0] for c in PY_WHITESPACE]] = True


def is_blank(values: pa.Array) -> np.ndarray:
    """True where the string is empty or whitespace only (``not s.strip()``); False for null.

    Found on the bytes: an empty cell is blank, a cell whose first byte cannot start a whitespace
    character is not, and only the rest (cells starting with a space, mostly) go through the
    anchored regular expression (one search per cell over a wide table costs seconds)."""
    values = to_arrow(values)
    offsets = cell_offsets(values)
    blank = offsets[1:] == offsets[:-1]
    maybe = starting_with(values, _WS_FIRST)
    if len(maybe):
        found = pc.match_substring_regex(values.take(pa.array(maybe)), f"^{_WS}*$")
        blank[maybe] = np.asarray(found, dtype=bool)
    if values.null_count:
        blank &= np.asarray(values.is_valid(), dtype=bool)
    return blank


def char_length(values: pa.Array) -> np.ndarray:
    """Length in characters (code points, as Python's ``len``)."""
    return np.asarray(pc.utf8_length(values).to_numpy(zero_copy_only=False), dtype=np.int64)


def id_key(text: str) -> str:
    """The key two respondent ids are compared by: zero-width characters removed, Unicode NFKC,
    case folded, surrounding whitespace dropped (``' ORG\u200b-0002'`` and ``'org-0002'`` match)."""
    return unicodedata.normalize("NFKC", text.translate(_ZW_TABLE)).casefold().strip()


def ids_key(values: list[str] | pa.Array) -> list[str] | pa.Array:
    """:func:`id_key` of many ids (a list gives a list, an Arrow array a ``large_string`` array):
    plain-ASCII ids (the usual case) take a vectorised path, the others go through
    :func:`id_key`; a null stays null."""
    arr = to_arrow(values)
    ascii_ = np.asarray(pc.string_is_ascii(arr).fill_null(True), dtype=bool)
    # for ASCII, NFKC changes nothing and casefold is lower(); strip() is Python's, so the
    # ASCII whitespace of PY_WHITESPACE is trimmed by regex
    keys = pc.replace_substring_regex(pc.ascii_lower(arr), f"^{_WS}+|{_WS}+$", "")
    other = np.flatnonzero(~ascii_)
    if len(other):
        texts = arr.take(pa.array(other, pa.int64())).to_pylist()
        mask = np.zeros(len(arr), dtype=bool)
        mask[other] = True
        fixed = pa.array([id_key(t) for t in texts], pa.large_string())
        keys = pc.replace_with_mask(keys, pa.array(mask), fixed)
    return keys if isinstance(values, pa.Array) else keys.to_pylist()


def strip(values: pa.Array) -> pa.Array:
    """``s.strip()`` of every string (Python's whitespace, Unicode included)."""
    return pc.replace_substring_regex(values, f"^{_WS}+|{_WS}+$", "")


def cell_offsets(text: pa.Array) -> np.ndarray:
    """The cells' start positions in :func:`utf8_bytes` of ``text`` (``large_string``), its length
    last."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    return offsets - offsets[0]


def starting_with(text: pa.Array, first: np.ndarray) -> np.ndarray:
    """Positions of the non-empty cells of ``text`` (``large_string``) whose first UTF-8 byte is
    marked in ``first`` (256 booleans): read off the data buffer, no search per cell."""
    offsets, data = cell_offsets(text), np.frombuffer(utf8_bytes(text), dtype=np.uint8)
    filled = np.flatnonzero(offsets[1:] > offsets[:-1])
    return filled[first[data[offsets[filled]]]]


def utf8_bytes(text: pa.Array) -> memoryview:
    """The UTF-8 bytes of every cell of ``text`` (``large_string``) one after another: its data
    buffer between the first and the last offset (no Python string per cell)."""
    buffers = text.buffers()
    if buffers[2] is None:
        return memoryview(b"")
    offsets = np.frombuffer(buffers[1], dtype=np.int64)
    start, end = offsets[text.offset], offsets[text.offset + len(text)]
    return memoryview(buffers[2])[start:end]
