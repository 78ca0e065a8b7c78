"""Quotes and narrative drafts from coded open answers.

:func:`select_quotes` picks up to ``n`` quotes per theme by a stated, deterministic rule, with
personal data removed first (plain text: the report's templates escape it).

:func:`draft_paragraphs` writes one sentence per theme in the register of the published review
("Many respondents ...", "Some respondents ...", "A few respondents ...", "Others ..."), with the
count in brackets, ordered by frequency. The word for each share comes from a documented,
configurable table (:data:`DEFAULT_QUANTIFIERS`, printed by :func:`quantifier_table` in the
methods appendix) so a reviewer can check every quantifier against its count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.errors import ArgumentError, check_column
from giftreview.text.codebook import Codebook
from giftreview.text.coding import CodedAnswers, arrow_text, sentences
from giftreview.text.safety import redact_pii

__all__ = [
    "DEFAULT_QUANTIFIERS",
    "REPEAT_WORDS",
    "REPEAT_WORD",
    "quantifier_for",
    "quantifier_table",
    "draft_paragraphs",
    "paragraphs",
    "as_text",
    "select_quotes",
]

#: ``(lowest share, word)`` from the highest band down: a theme mentioned by a share ``s`` of
#: those who answered gets the word of the first band with ``s >= lowest share``.
DEFAULT_QUANTIFIERS: tuple[tuple[float, str], ...] = (
    (0.50, "Most respondents"),
    (0.25, "Many respondents"),
    (0.10, "Some respondents"),
    (0.00, "A few respondents"),
)
#: words that replace the band's word, in turn, for the second and later sentences in a row of
#: one band (they carry no quantity of their own: the band is the one of the sentence before)
REPEAT_WORDS: tuple[str, ...] = ("Others", "Respondents also")
REPEAT_WORD = REPEAT_WORDS[0]


def _check_quantifiers(quantifiers: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    q = [(float(s), str(w)) for s, w in quantifiers]
    shares = [s for s, _ in q]
    if (
        not q
        or shares != sorted(shares, reverse=True)
        or shares[-1] != 0
        or len(set(shares)) < len(q)
    ):
        raise ArgumentError(
            f"`quantifiers` {quantifiers!r} must list (lowest share, word) pairs from the highest "
            "band down, with distinct shares and the last band starting at 0"
        )
    return q


def quantifier_for(
    share: float, quantifiers: Sequence[tuple[float, str]] = DEFAULT_QUANTIFIERS
) -> str:
    """The quantifier word for a share in [0, 1] (see :data:`DEFAULT_QUANTIFIERS`)."""
    for low, word in _check_quantifiers(quantifiers):
        if share >= low:
            return word
    return _check_quantifiers(quantifiers)[-1][1]


def quantifier_table(
    quantifiers: Sequence[tuple[float, str]] = DEFAULT_QUANTIFIERS,
) -> pd.DataFrame:
    """The share -> word table as printed in the methods appendix.

    Returns
    -------
    pandas.DataFrame
        Columns ``word, from_pct, to_pct, rule``, one row per band, plus a row for each of
        :data:`REPEAT_WORDS`.
    """
    q = _check_quantifiers(quantifiers)
    rows = []
    for i, (low, word) in enumerate(q):
        high = 100.0 if i == 0 else 100 * q[i - 1][0]
        upper = "100%" if i == 0 else f"less than {high:g}%"
        rows.append(
            (word, 100 * low, high, f"mentioned by {100 * low:g}% to {upper} of those who answered")
        )
    for word in REPEAT_WORDS:
        rows.append((word, float("nan"), float("nan"), "in turn replaces the band's word for "
                     "the 2nd and later sentences in a row of one band (same band as before)"))  # fmt: skip
    return pd.DataFrame(rows, columns=["word", "from_pct", "to_pct", "rule"])


def draft_paragraphs(
    freq: pd.DataFrame,
    codebook: Codebook,
    *,
    quantifiers: Sequence[tuple[float, str]] = DEFAULT_QUANTIFIERS,
    group: str = "All",
    repeat_words: Sequence[str] | None = REPEAT_WORDS,
) -> pd.DataFrame:
    """Draft one sentence per theme mentioned, most frequent first.

    Parameters
    ----------
    freq
        Output of :func:`giftreview.text.frequencies.theme_frequencies`.
    codebook
        The question's :class:`~giftreview.text.codebook.Codebook` (the sentence stems).
    quantifiers
        ``(lowest share, word)`` bands from the highest down (:data:`DEFAULT_QUANTIFIERS`).
    group
        Which group of ``freq`` to draft (default the overall rows).
    repeat_words
        Used in turn instead of the band's word for the second and later sentences in a row of
        the same band (:data:`REPEAT_WORDS`); ``None`` or ``()`` repeats the band's word.

    Returns
    -------
    pandas.DataFrame
        Columns ``paragraph, theme, n, base, share, quantifier, sentence``: one row per theme
        with ``n > 0``; ``paragraph`` numbers the bands (a new paragraph starts when the band
        changes). Sentences read ``"<Word> <stem> (<n> of <base>)."``; a suppressed count reads
        ``"(<5 of 124)"`` and its band word is the lowest one. Join with :func:`as_text`.
    """
    for c in ("group", "theme", "n", "base", "n_display", "suppressed"):
        check_column(freq, c, "freq")
    rows = freq[(freq["group"].astype(str) == group) & (freq["n"] > 0)]
    rows = rows.sort_values(["n", "theme"], ascending=[False, True], kind="stable")
    q = _check_quantifiers(quantifiers)
    out, last, para, run = [], None, 0, 0
    repeat = list(repeat_words or ())
    for r in rows.itertuples(index=False):
        share = r.n / r.base if r.base else 0.0
        band = q[-1][1] if r.suppressed else quantifier_for(share, q)
        para += band != last
        run = run + 1 if band == last else 0
        word = repeat[(run - 1) % len(repeat)] if (run and repeat) else band
        last = band
        stem = codebook.theme(r.theme).stem.rstrip(". ")
        out.append((para, r.theme, int(r.n), int(r.base), share, band,
                    f"{word} {stem} ({r.n_display} of {r.base})."))  # fmt: skip
    cols = ["paragraph", "theme", "n", "base", "share", "quantifier", "sentence"]
    return pd.DataFrame(out, columns=cols)


def paragraphs(draft: pd.DataFrame) -> list[str]:
    """The draft's paragraphs as plain text: the sentences of one band joined by spaces."""
    return [" ".join(g["sentence"]) for _, g in draft.groupby("paragraph", sort=True)]


def as_text(draft: pd.DataFrame) -> str:
    """The draft as plain text: :func:`paragraphs` separated by blank lines."""
    return "\n\n".join(paragraphs(draft))


# ---- quotes -------------------------------------------------------------------------------------
def _own_names(name: object) -> list[str]:
    """The organization's name and its name without a trailing bracket, e.g. a country."""
    if not isinstance(name, str) or not name.strip():
        return []
    short = re.sub(r"\s*\([^)]*\)\s*$", "", name).strip()
    return list(dict.fromkeys([name.strip(), short]))


def _quote_span(answer: str, start: int, end: int) -> str:
    """The sentence of ``answer`` holding the evidence span (the whole answer without a span)."""
    if start < 0:
        return answer
    for s, e in sentences(answer):
        if s <= start < e:
            return answer[s:e].strip()
    return answer


def _first_quotes(
    codes: pd.DataFrame, at: np.ndarray, cand: _Candidates, n: int, lo: int, hi: int
) -> list[tuple]:
    """The first ``n`` distinct quotes of one theme's candidates ``at`` (code rows, in order).

    Quotes within ``[lo, hi]`` characters come before all others, so the candidates are walked
    in order, each quote built (and redacted) only when reached, until ``n`` distinct quotes of
    the right length are found; only when there are fewer are others added, those equal
    (ignoring case) to none of the right length, as when every candidate is built, sorted and
    its duplicates dropped.
    """
    fit: dict[str, tuple] = {}
    other: dict[str, tuple] = {}
    for i in at:
        if len(fit) >= n:
            break
        d = cand.data_row[i]
        own = cand.orgs.iloc[d] if cand.orgs is not None and d >= 0 else None
        answer = cand.answers.iloc[cand.answer_row[i]]
        start, end = int(cand.start[i]), int(cand.end[i])
        text = redact_pii(_quote_span(answer, start, end), _own_names(own))
        fits = lo <= len(text) <= hi
        theme, rid, source = (codes[c].iloc[i] for c in ("theme", "respondent_id", "source"))
        row = (theme, not fits, int(cand.n_themes[i]), rid, source, text)
        (fit if fits else other).setdefault(text.casefold(), row)
    rest = [row for key, row in other.items() if key not in fit]
    return [*fit.values(), *rest][:n]


@dataclass(frozen=True)
class _Candidates:
    """Per code row: its answer's row, its respondent's last row in ``data`` (-1: none), the
    number of themes coded in the answer and the evidence span; the answers and organizations
    as columns, read a row at a time only for the candidates a theme's walk reaches."""

    answers: pd.Series
    orgs: pd.Series | None
    answer_row: np.ndarray
    data_row: np.ndarray
    n_themes: np.ndarray
    start: np.ndarray
    end: np.ndarray


def _rows_in(values: pa.Array, of: pa.Array, *, last: bool = False) -> np.ndarray:
    """Each value's row in ``of`` (its first, or with ``last`` its last, occurrence; -1: none)."""
    where = of[::-1] if last else of
    at = pc.index_in(values, value_set=where).fill_null(-1).to_numpy(zero_copy_only=False)
    at = at.astype(np.int64)
    return np.where(at >= 0, len(of) - 1 - at, -1) if last else at


def _sort_ranks(values: pa.Array) -> np.ndarray:
    """Each value's rank among the distinct values in code-point order (as sorting the texts)."""
    enc = pc.dictionary_encode(values)
    order = pc.array_sort_indices(enc.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)]


def select_quotes(
    coded: CodedAnswers,
    data: pd.DataFrame,
    *,
    n: int = 2,
    organization_column: str | None = "organization",
    min_chars: int = 40,
    max_chars: int = 300,
) -> pd.DataFrame:
    """Up to ``n`` quotes per theme, chosen by a fixed rule, personal data removed.

    Parameters
    ----------
    coded
        :class:`~giftreview.text.coding.CodedAnswers`.
    data
        The clean table (for each respondent's own organization name).
    n
        Quotes per theme at most.
    organization_column
        Column holding the respondent's organization; its name (and the name without a trailing
        bracket, e.g. "(Guatemala)") becomes ``[organization]`` in the quote. ``None``: no column.
    min_chars, max_chars
        Preferred length of a quote.

    Returns
    -------
    pandas.DataFrame
        Columns ``theme, label, rank, respondent_id, source, quote``. ``quote`` is plain text,
        still hostile: the report's templates (autoescape) escape it.

    Notes
    -----
    The rule. The quote is the sentence holding the theme's evidence (the whole answer for a
    human code). E-mail addresses, phone numbers and URLs are replaced by ``[email]``,
    ``[phone]``, ``[url]`` and the respondent's own organization by ``[organization]``
    (:func:`giftreview.text.safety.redact_pii`) before anything else. Candidates are then ranked by:
    (1) length within ``[min_chars, max_chars]`` first; (2) fewest themes coded in the whole
    answer (a focused answer illustrates its theme best); (3) respondent id. A quote whose text
    (ignoring case) was already chosen for the theme is skipped. Same data, same quotes.
    """
    if not isinstance(n, int) or n < 0:
        raise ArgumentError(f"`n` must be a whole number >= 0, got {n!r}")
    codes = coded.codes.reset_index(drop=True)
    ids = arrow_text(codes["respondent_id"])
    answered = arrow_text(coded.answered["respondent_id"])
    orgs = None
    data_row = np.full(len(codes), -1, dtype=np.int64)
    if organization_column is not None:
        check_column(data, organization_column, "organization_column")
        orgs = data[organization_column]
        rows = coded.rows_in(data)  # positions the coding kept (the data's ids are distinct)
        if rows is not None:
            data_row = rows[1][rows[0]]
        else:
            data_row = _rows_in(
                ids, arrow_text(data["respondent_id"]), last=True
            )  # as a dict would
    # the rule's order but for the length test, which needs the redacted quote: theme, then
    # fewest themes in the answer, then respondent id (integer keys; one stable sort)
    if coded.code_rows is not None:  # each code's answer by position; the answered ids are
        # distinct (answers_of checks it), so their order alone ranks them: no hashing
        order = pc.array_sort_indices(answered).to_numpy()
        answer_rank = np.empty(len(order), dtype=np.int64)
        answer_rank[order] = np.arange(len(order))
        id_rank = answer_rank[coded.code_rows]
    else:
        id_rank = _sort_ranks(ids)
    n_themes = np.bincount(id_rank)[id_rank]
    theme_rank = _sort_ranks(arrow_text(codes["theme"]))
    order = np.lexsort((id_rank, n_themes, theme_rank))
    cand = _Candidates(
        coded.answered["answer"],
        orgs,
        coded.code_rows if coded.code_rows is not None else _rows_in(ids, answered),
        data_row,
        n_themes,
        codes["start"].to_numpy(dtype=np.int64),
        codes["end"].to_numpy(dtype=np.int64),
    )
    picked = []
    starts = np.flatnonzero(np.diff(theme_rank[order], prepend=-1))
    for at in np.split(order, starts[1:]):
        picked += _first_quotes(codes, at, cand, n, min_chars, max_chars)
    cols = ["theme", "misfit", "n_themes", "respondent_id", "source", "quote"]
    cand = pd.DataFrame(picked, columns=cols)
    out = cand.groupby("theme", sort=False).head(n).copy()
    out["rank"] = out.groupby("theme").cumcount() + 1
    order = {t: i for i, t in enumerate(coded.codebook.ids)}
    out = out.sort_values(["theme", "rank"], key=lambda s: s.map(order) if s.name == "theme" else s)
    out["label"] = out["theme"].map(coded.codebook.labels())
    cols = ["theme", "label", "rank", "respondent_id", "source", "quote"]
    return out[cols].reset_index(drop=True)
