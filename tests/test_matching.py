"""Whole-column coding (giftreview.text.matching, behind coding.auto_code) equals answer-by-answer.

The oracle below is the coding rule written out the slow, obvious way (it is the per-answer loop
auto_code ran before it worked on whole columns): split each answer into sentences; for each
theme, the first sentence in which an inclusion pattern (compile_pattern: case-insensitive,
word-bounded) matches and no exclusion pattern does; there, the earliest match, the first pattern
on a tie. Both engines (RE2 on printable ASCII, Python's re elsewhere) are compared with it on the
bundled codebooks and on random answers.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giftreview.paths import CODEBOOKS
from giftreview.text import matching
from giftreview.text.codebook import compile_pattern, load_codebook, parse_codebook
from giftreview.text.coding import CODE_COLUMNS, auto_code
from giftreview.text.matching import re2_safe, sentences, split_sentences

BUNDLED = {p.stem: load_codebook(p) for p in sorted(CODEBOOKS.glob("*.yaml"))}


def oracle(answers: pd.Series, codebook) -> pd.DataFrame:
    """Answer by answer, sentence by sentence, theme by theme (see the module docstring)."""
    rows = []
    for rid, text in answers.items():
        if not isinstance(text, str) or not text.strip():
            continue
        spans = sentences(text)
        for theme in codebook.themes:
            for s, e in spans:
                sentence = text[s:e]
                if any(compile_pattern(p).search(sentence) for p in theme.exclude):
                    continue
                hits = [m for p in theme.include if (m := compile_pattern(p).search(sentence))]
                if hits:
                    m = min(hits, key=lambda m: m.start())
                    rows.append((rid, theme.id, "auto", m.group(0), s + m.start(), s + m.end()))
                    break
    return pd.DataFrame(rows, columns=CODE_COLUMNS).astype({"start": "int64", "end": "int64"})


def _same(answers: pd.Series, codebook) -> None:
    got = auto_code(answers, codebook)
    want = oracle(answers, codebook)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def _words(codebook) -> list[str]:
    """Words and phrases the codebook's own examples and stems are made of (they hit patterns)."""
    text = " ".join(f"{t.example} {t.stem} {t.label}" for t in codebook.themes)
    return sorted(set(text.replace(".", " ").replace(",", " ").split()))


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_examples_coded_as_answer_by_answer(name):
    # every theme's example, stem and description as answers, alone and run together
    cb = BUNDLED[name]
    texts = [t.example for t in cb.themes] + [t.description for t in cb.themes]
    texts += [" ".join(t.example for t in cb.themes), "; ".join(t.stem for t in cb.themes)]
    texts += ["", "   ", "No. Nothing!\nReally ; nothing.", "Ünïcode café: " + texts[0]]
    answers = pd.Series(texts, index=[f"r{i}" for i in range(len(texts))])
    _same(answers, cb)
    assert len(auto_code(answers, cb)) >= len(cb.themes)  # the examples are coded


_ALPHABET_ASCII = st.sampled_from(list("abc xyz.!?;-'"))
_ALPHABET_ANY = st.characters(codec="utf-8", exclude_categories=("Cs",))


def _answers(words: list[str], alphabet) -> st.SearchStrategy[list[str]]:
    piece = st.one_of(st.sampled_from(words), st.text(alphabet, max_size=6))
    sep = st.sampled_from([" ", ". ", "! ", "; ", "\n", "?  ", ", ", "-", ""])
    answer = st.lists(st.tuples(piece, sep), max_size=12).map(
        lambda xs: "".join(a + b for a, b in xs)
    )
    return st.lists(answer, min_size=1, max_size=15)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(BUNDLED)), ascii_only=st.booleans())
def test_random_answers_coded_as_answer_by_answer(data, name, ascii_only):
    # random answers made of the codebook's words, random characters and sentence separators:
    # printable ASCII (the RE2 engine) or any character (the re engine, per distinct sentence)
    cb = BUNDLED[name]
    alphabet = _ALPHABET_ASCII if ascii_only else _ALPHABET_ANY
    texts = data.draw(_answers(_words(cb), alphabet))
    _same(pd.Series(texts, index=[f"r{i}" for i in range(len(texts))]), cb)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.text(st.sampled_from(list("ab .!?;\n\t\r\x0b\x1c\x1f\x85\xa0\u2028\u3000\x00é"))),
        max_size=8,
    )
)
def test_sentences_of_a_column_are_the_sentences_of_each_text(texts):
    # every character Python's \\s takes for white space and RE2's does not, and NUL (the marker)
    got = split_sentences(pd.Series(texts, dtype=object))
    want = [(i, j, s, t[s:e]) for i, t in enumerate(texts) for j, (s, e) in enumerate(sentences(t))]
    assert list(got.itertuples(index=False, name=None)) == want


@settings(max_examples=80, deadline=None)
@given(
    texts=st.lists(
        st.text(st.sampled_from(list("ab .!?;\n\t\r\x0b\x0c\x1c\x1féß€")), max_size=12), max_size=12
    ),  # fmt: skip
    block=st.integers(1, 5),
)
def test_the_byte_scan_splits_as_each_text_is_split(texts, block):
    # texts whose white space is ASCII go through the byte scan (_split_bytes), here in blocks of
    # 1 to 5 texts; multi-byte letters check that starts are counted in characters
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(matching, "_SPLIT_BLOCK", block)
        got = split_sentences(pd.Series(texts, dtype=object))
    want = [(i, j, s, t[s:e]) for i, t in enumerate(texts) for j, (s, e) in enumerate(sentences(t))]
    assert list(got.itertuples(index=False, name=None)) == want


# patterns that exercise both engines: RE2-safe ones and ones only Python reads (look-around,
# back-references, Python's {,n}); the oracle decides what each one means
_TRICKY = parse_codebook(
    {
        "question": "q",
        "title": "Patterns of every kind",
        "themes": [
            {
                "id": "lookaround",
                "label": "L",
                "description": "d",
                "example": "not funded",
                "include": [r"(?<!not )fund\w*", "funded"],
                "exclude": [r"(?=x)x\w+"],
                "stem": "s",
            },
            {
                "id": "backref",
                "label": "B",
                "description": "d",
                "example": "bye bye",
                "include": [r"(\w+) \1", r"a{,2}b"],
                "stem": "s",
            },
            {
                "id": "safe",
                "label": "S",
                "description": "d",
                "example": "a b",
                "include": [r"a\s+b", r"b\W*", r"x?"],
                "exclude": ["zz"],
                "stem": "s",
            },
        ],
    }
)


def test_pattern_engines_choose_as_documented():
    assert re2_safe(r"train(?:ing|ed)?\s+\w+") and re2_safe(r"co-?ordinat\w*")
    assert not re2_safe(r"(?<!not )fund\w*")  # look-behind: Python only
    assert not re2_safe(r"(\w+) \1")  # back-reference
    assert not re2_safe(r"a{,2}b")  # Python: 0 to 2 a's; RE2: the literal "a{,2}b"
    assert not re2_safe("caf\u00e9")  # non-ASCII pattern


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(st.text(st.sampled_from(list("abxz fundedbye.;") + ["é"])), max_size=10))
def test_tricky_patterns_coded_as_answer_by_answer(texts):
    _same(pd.Series(texts, index=[f"r{i}" for i in range(len(texts))], dtype=object), _TRICKY)
