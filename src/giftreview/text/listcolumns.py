"""Institution lists over whole columns: the answers split into pieces by RE2 (pyarrow).

:func:`pieces_frame` is the column engine of :func:`giftreview.text.lists.institution_mentions`:
it gives the pieces :meth:`giftreview.text.lists._Splitter.pieces` gives, answer by answer, but
runs the alias pattern, the splitting and the cleaning as pyarrow kernels over the whole column
(:func:`_pieces_re2`), leaving to Python only the texts RE2 could read differently
(:func:`_re2_reads`). ``tests/test_lists_columns.py`` checks it against the per-answer code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class _Splitter(Protocol):
    """What the column engine uses of :class:`giftreview.text.lists._Splitter` (passed in: lists
    imports this module)."""

    mapping: dict[str, str]

    def pieces(self, text: str) -> list[tuple[str, str | None]]: ...

    def alias_of(self, match: str) -> str: ...


__all__ = ["SPLIT", "NOISE", "pieces_frame"]

#: where an answer is split into pieces (case-insensitive): commas, semicolons, line breaks, "and"
SPLIT = r"[,;\n\r]+|\s+and\s+|\s+&\s+"
#: noise words taken off a piece's ends (case-insensitive)
NOISE = r"^(?:the|our|with|and|also|etc\.?)\s+|\s+(?:etc\.?)$"
#: :data:`SPLIT` and :data:`NOISE` for RE2 (same spelling, the flag inline)
_SPLIT_RE2 = "(?i)" + SPLIT
_NOISE_RE2 = "(?i)" + NOISE
#: texts the RE2 engine reads as Python does without a further check: printable ASCII, tabs and
#: line breaks (NFKC leaves them as they are, and RE2's ``\\s``, ``\\w`` and ``\\b`` mean Python's on
#: them)
_NOT_PLAIN = r"[^\x20-\x7e\t\n\r]"
#: the other characters a text may hold and still go through RE2: Latin-1 Supplement, Latin
#: Extended-A and -B, combining diacritics, Latin Extended Additional and General Punctuation,
#: assigned in Unicode's first versions, so that Arrow's NFKC (utf8proc) and Python's agree on them
_OTHER_RANGES = ((0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F))
#: the acronyms :func:`_normalise` takes the dots out of, for RE2
_ACRONYM = r"\b((?:[A-Za-z]\.){2,})"
_WORD = re.compile(r"\w", re.ASCII)
#: an alias match (between NULs) or an acronym (after \x01) next to a non-ASCII character
_MARK_BESIDE_OTHER = "[^\x00-\x7f][\x00\x01]|\x00[^\x00-\x7f]"


def _re2_class(chars) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


@lru_cache(maxsize=1)
def _text_characters() -> tuple[str, str]:
    """``(chars, not_taken)``: the characters a text going through RE2 may hold, and the RE2
    pattern of a character it may not.

    Of :data:`_OTHER_RANGES`, those are left out that Python reads differently from RE2 in the
    patterns used here: white space (Python's ``\\s`` is Unicode's, RE2's ASCII) and characters
    ``re.IGNORECASE`` matches to an ASCII character (``ſ``, ``İ``, ``ı``; RE2 folds them
    otherwise). Python's ``\\w`` is Unicode's too: that difference is caught per text
    (:func:`_re2_reads`).
    """
    other = "".join(chr(c) for lo, hi in _OTHER_RANGES for c in range(lo, hi + 1))
    odd = {c for c in other if c.isspace() or re.fullmatch(r"(?i)[\x00-\x7f]", c)}
    kept = "".join(c for c in other if c not in odd)
    ranges = "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in _OTHER_RANGES)
    not_taken = rf"[^\x20-\x7e\t\n\r{ranges}]|" + _re2_class(sorted(odd))
    chars = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t\n\r" + kept
    return chars, not_taken


@lru_cache(maxsize=256)
def _case_partners(char: str) -> tuple[str, bool]:
    """``(py, same)``: the text characters (:func:`_text_characters`) Python's ``re.IGNORECASE``
    matches to ``char``, and whether RE2's ``(?i)`` matches exactly the same ones."""
    chars = _text_characters()[0]
    py = "".join(c for c in chars if re.fullmatch(re.escape(char), c, re.IGNORECASE))
    found = pc.match_substring_regex(pa.array(list(chars)), "(?i)^" + re.escape(char) + "$")
    re2 = "".join(c for c, f in zip(chars, found.to_pylist(), strict=True) if f)
    return py, py == re2


@lru_cache(maxsize=8)
def _re2_aliases(aliases: tuple[str, ...]) -> tuple[str, str] | None:
    """RE2 forms of :func:`_alias_regex` for the texts of :func:`_text_characters`: the
    alternation of the alias keys RE2 reads as Python does, in the same order, each between
    bounds that mean ``(?<!\\w)`` and ``(?!\\w)`` next to ASCII characters; and a pattern finding,
    in any such text, everything any other key could match (a text holding one goes through
    Python). None when RE2 cannot compile them.

    RE2 has no look-around, but next to a key's first (last) character, ``(?<!\\w)``
    (``(?!\\w)``) is ``\\b`` when that character is an ASCII word character and ``\\B`` when it
    is not, as long as the character beyond is ASCII (RE2's ``\\w`` is ASCII): a match next to a
    non-ASCII character sends its text to Python (:func:`_re2_reads`). A key holding a character
    whose case partners differ between the engines (:func:`_case_partners`) is left to Python:
    its pattern with that character as the class of its Python partners finds the texts it
    could match; a key no text character can spell is left out (it cannot change a match).
    """
    bounded, other = [], []
    for key in sorted(aliases, key=len, reverse=True):  # the order of _alias_regex
        partners = {c: _case_partners(c) for c in dict.fromkeys(key) if not c.isascii()}
        if any(not py for py, _ in partners.values()):
            continue
        words = [
            "".join(re.escape(c) if c.isascii() or same else _re2_class(py)
                    for c in w for py, same in [partners.get(c, ("", True))])
            for w in key.split(" ")
        ]  # fmt: skip
        body = r"[\s\-]+".join(words)
        if all(same for _, same in partners.values()):
            lead, trail = (r"\b" if _WORD.match(c) else r"\B" for c in (key[0], key[-1]))
            bounded.append(lead + body + trail)
        else:
            other.append(body)
    if not bounded:
        return None
    found = r"(?i)(?:" + "|".join(bounded) + ")"
    others = r"(?i)" + "|".join(other) if other else ""
    try:
        for pattern in filter(None, (found, others)):
            pc.match_substring_regex(pa.array(["x"]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return found, others


def _re2_reads(texts: pa.Array, found: str, others: str) -> tuple[pa.Array, np.ndarray]:
    """``(normalised, taken)``: ``texts`` with :func:`_normalise`'s NFKC and apostrophes done in
    Arrow, and which of them the RE2 engine reads as Python does.

    A plain text (:data:`_NOT_PLAIN`) is taken unless a key left to Python could match it. A
    text holding other characters is taken when they are all characters of
    :func:`_text_characters` (before and after NFKC) and, after the acronyms and alias matches
    are marked, no mark stands next to a non-ASCII character: there alone could Python's
    Unicode ``\\w`` and RE2's ASCII one disagree about a word bound (RE2 takes at least every
    match Python takes, and any other one stands next to such a character).
    """
    other = np.asarray(pc.match_substring_regex(texts, _NOT_PLAIN).to_numpy(False), bool)
    taken = ~other
    out = texts
    if other.any():
        at = np.flatnonzero(other)
        sub = texts.take(pa.array(at))
        norm = pc.utf8_normalize(sub, "NFKC")
        norm = pc.replace_substring(pc.replace_substring(norm, "\u2019", "'"), "\u2018", "'")
        not_taken = _text_characters()[1]
        bad = pc.or_(pc.match_substring_regex(sub, not_taken),
                     pc.match_substring_regex(norm, not_taken))  # fmt: skip
        for marked in (
            pc.replace_substring_regex(norm, _ACRONYM, "\x01\\1"),
            pc.replace_substring_regex(_normalise_re2(norm), found, "\x00\\0\x00"),
        ):
            bad = pc.or_(bad, pc.match_substring_regex(marked, _MARK_BESIDE_OTHER))
        taken[at] = ~np.asarray(bad.to_numpy(False), bool)
        out = pc.replace_with_mask(texts, pa.array(other), norm)
    if others and taken.any():
        taken &= ~np.asarray(pc.match_substring_regex(out, others).to_numpy(False), bool)
    return out, taken


def pieces_frame(split: _Splitter, texts: pa.Array | list[object]) -> pd.DataFrame:
    """``t, raw, alias``: the pieces of every text (``t`` its position), as
    :meth:`_Splitter.pieces` gives them, in order.

    ``texts``: Arrow strings (a list is converted; anything but a string gives no piece). The
    texts RE2 reads as Python does (:func:`_re2_reads`) go through RE2 (pyarrow) a whole
    column at a time (:func:`_pieces_re2`); every other text goes through
    :meth:`_Splitter.pieces`. ``tests/test_lists_columns.py`` checks both against the
    per-answer code.
    """
    if isinstance(texts, pa.Array):
        arr = texts if pa.types.is_large_string(texts.type) else texts.cast(pa.large_string())
    else:
        strings = [x if isinstance(x, str) else None for x in texts]
        arr = pa.array(strings, type=pa.large_string())
    is_str = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    fast = np.zeros(len(arr), bool)
    patterns = _re2_aliases(tuple(split.mapping))
    frames = []
    if patterns is not None and is_str.any():
        where = np.flatnonzero(is_str)
        sub, taken = _re2_reads(arr if len(where) == len(arr) else arr.take(pa.array(where)),
                                *patterns)  # fmt: skip
        fast[where[taken]] = True
        if taken.any():
            frames.append(
                _pieces_re2(split, sub.filter(pa.array(taken)), where[taken], patterns[0])
            )
    slow = np.flatnonzero(~fast & is_str)
    slow_texts = arr.take(pa.array(slow, type=pa.int64())).to_pylist()
    rows = [
        (i, raw, alias)
        for i, text in zip(slow, slow_texts, strict=True)
        for raw, alias in split.pieces(text)
    ]
    if rows or not frames:
        t, raw, alias = zip(*rows, strict=True) if rows else ((), (), ())
        frames.append(pd.DataFrame({"t": np.asarray(t, dtype=np.int64), "raw": pd.Series(
            raw, dtype="str"), "alias": pd.Series(alias, dtype=object)}))  # fmt: skip
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out["alias"] = out["alias"].where(out["alias"].notna(), None)  # None, as pieces() gives
    order = np.argsort(out["t"].to_numpy(), kind="stable")  # both engines' pieces, text by text
    return out.take(order).reset_index(drop=True)


def _pieces_re2(split: _Splitter, texts: pa.Array, where: np.ndarray, found: str) -> pd.DataFrame:
    """:func:`_pieces_frame` of ``texts`` (those :func:`_re2_reads` takes, NFKC done; ``where``
    their positions), in RE2."""
    arr = _normalise_re2(texts)
    # the alias matches in order: the odd parts of each text cut at marks around every match
    marked = pc.replace_substring_regex(arr, found, "\x00\\0\x00")
    parts = pc.split_pattern(marked, "\x00")
    flat = pc.list_flatten(parts)
    offsets = np.asarray(parts.offsets.to_numpy(False), dtype=np.int64)
    parent = np.asarray(pc.list_parent_indices(parts).to_numpy(False), dtype=np.int64)
    within = np.arange(len(flat)) - offsets[parent]
    tokens = flat.filter(pa.array(within % 2 == 1))
    # the masked texts split into pieces, each holding its own alias matches as NULs (a plain
    # text holds no NUL, so each marked match is one NUL-bounded run: no second alias pass).
    # The masked text is the even parts joined by NUL: the marks' runs replaced without a regex
    even = within % 2 == 0
    count = np.bincount(parent[even], minlength=len(arr))  # each text has one part or more
    masked = pc.binary_join(
        pa.LargeListArray.from_arrays(
            pa.array(np.concatenate([[0], np.cumsum(count)]), type=pa.int64()),
            flat.filter(pa.array(even)),
        ),
        pa.scalar("\x00", pa.large_string()),
    )
    pieces = pc.split_pattern_regex(masked, _SPLIT_RE2)
    piece = pc.list_flatten(pieces)
    owner = where[np.asarray(pc.list_parent_indices(pieces).to_numpy(False), dtype=np.int64)]
    ntok = np.asarray(pc.count_substring(piece, "\x00").to_numpy(False), dtype=np.int64)
    first_tok = np.cumsum(ntok) - ntok  # the pieces hold the matches in order
    # the NULs given back: piece parts and matches interleaved, then joined
    sub = pc.split_pattern(piece, "\x00")
    sub_flat = pc.list_flatten(sub)
    sub_parent = np.asarray(pc.list_parent_indices(sub).to_numpy(False), dtype=np.int64)
    sub_within = np.arange(len(sub_flat)) - np.asarray(sub.offsets.to_numpy(False))[:-1][sub_parent]
    tok_index = first_tok[sub_parent] + sub_within  # the match after each part but the last
    has_tok = sub_within < ntok[sub_parent]
    values = pa.concat_arrays([sub_flat, tokens])
    take = np.empty(len(sub_flat) + int(has_tok.sum()), dtype=np.int64)
    pos = np.arange(len(sub_flat)) + np.cumsum(has_tok) - has_tok  # place of each part
    take[pos] = np.arange(len(sub_flat))
    take[pos[has_tok] + 1] = len(sub_flat) + tok_index[has_tok]
    lengths = 2 * ntok + 1
    lists_ = pa.LargeListArray.from_arrays(
        pa.array(np.concatenate([[0], np.cumsum(lengths)]), type=pa.int64()),
        values.take(pa.array(take)),
    )
    raw = _clean_re2(pc.binary_join(lists_, pa.scalar("", pa.large_string())))
    keep = np.asarray(pc.not_equal(pc.utf8_length(raw), 0).to_numpy(False), bool)
    alias = np.full(len(ntok), None, dtype=object)
    if len(tokens):
        first = pc.dictionary_encode(tokens.take(pa.array(np.minimum(first_tok, len(tokens) - 1))))
        names = _alias_names(split, first.dictionary)
        alias = names[np.asarray(first.indices.to_numpy(False), dtype=np.int64)]
        alias[ntok == 0] = None
    raw = raw.filter(pa.array(keep)).to_pandas()  # pandas' Arrow strings: no Python object
    return pd.DataFrame(
        {"t": owner[keep], "raw": raw, "alias": pd.Series(alias[keep], dtype=object)}
    )


def _alias_names(split: _Splitter, matches: pa.Array) -> np.ndarray:
    """:meth:`_Splitter.alias_of` of distinct alias matches, the keys of ASCII ones made in RE2:
    for printable ASCII, :func:`_key` is :func:`_normalise_re2`, lower case, runs of whitespace
    and hyphens as one space, dots and spaces trimmed. Other matches, and a key not found (none
    is expected), are looked up by :meth:`_Splitter.alias_of`."""
    keys = pc.utf8_lower(_normalise_re2(matches))
    keys = pc.utf8_trim(pc.replace_substring_regex(keys, r"[\s\-]+", " "), " .")
    at = pc.index_in(keys, value_set=pa.array(list(split.mapping), type=pa.large_string()))
    at = np.asarray(at.to_numpy(zero_copy_only=False), dtype=np.float64)  # NaN: not found
    known = ~np.isnan(at) & ~np.asarray(
        pc.match_substring_regex(matches, "[^\x00-\x7f]").to_numpy(False), bool
    )
    out = np.full(len(at), None, dtype=object)
    out[known] = np.asarray(list(split.mapping.values()), dtype=object)[at[known].astype(np.int64)]
    for i in np.flatnonzero(~known):
        out[i] = split.alias_of(matches[i].as_py())
    return out


def _normalise_re2(texts: pa.Array) -> pa.Array:
    """:func:`_normalise` of plain texts, in RE2: NFKC and the apostrophes leave them as they are;
    each acronym (:data:`_ACRONYM`) is marked and one dot after each mark's letters taken out a
    pass, until none is left (as many passes as the longest acronym has dots). Only the texts
    holding a letter, a dot, a letter and a dot (every acronym does) are rewritten."""
    has = pc.match_substring_regex(texts, r"[A-Za-z]\.[A-Za-z]\.")
    if not pc.any(has).as_py():
        return texts
    out = pc.replace_substring_regex(texts.filter(has), _ACRONYM, "\x01\\1\x02")
    while pc.any(pc.match_substring_regex(out, "\x01[A-Za-z]*\\.")).as_py():
        out = pc.replace_substring_regex(out, "\x01([A-Za-z]*)\\.", "\x01\\1")
    return pc.replace_with_mask(texts, has, pc.replace_substring_regex(out, "[\x01\x02]", ""))


def _replace_where(texts: pa.Array, pattern: str, by: str, where: str) -> pa.Array:
    """``replace_substring_regex(texts, pattern, by)`` on the texts ``where`` matches alone (a
    yes/no match is RE2's fast path; a replacement needs the match's position)."""
    hit = pc.match_substring_regex(texts, where)
    if not pc.any(hit).as_py():
        return texts
    return pc.replace_with_mask(
        texts, hit, pc.replace_substring_regex(texts.filter(hit), pattern, by)
    )


def _clean_re2(pieces: pa.Array) -> pa.Array:
    """:func:`_clean` of plain pieces (no line breaks), in RE2. RE2's ``\\s`` is
    ``[\\t\\n\\f\\r ]``: a run of it changes only where it holds one of those but a space, or
    two characters."""
    strip = " \t.:-()[]\"'"
    out = pc.utf8_trim(pieces, strip)
    out = _replace_where(out, _NOISE_RE2, "", _NOISE_RE2)
    out = pc.utf8_trim(out, strip)
    return _replace_where(out, r"\s+", " ", r"[\t\n\f\r]|\s\s")
