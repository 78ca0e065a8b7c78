"""Coding of open answers: sentence-based auto-coding, human codes taking precedence.

Auto-coding is multi-label and sentence-based: an answer is split into sentences; a theme is coded
when one of its inclusion patterns matches a sentence in which none of its exclusion patterns
matches. The first matching span is kept as evidence. Answers that match nothing are listed as
uncoded, never dropped.

Human codes (:class:`HumanCodes`, read by :func:`giftreview.text.sheets.import_sheets`) take
precedence over auto codes for every answer a human coded, and every count says which source it
came from. The codebook model is :mod:`giftreview.text.codebook`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import to_arrow
from giftreview.data.instrument import Instrument
from giftreview.errors import ArgumentError, DataValidationError, check_column
from giftreview.text.codebook import Codebook, codebook_for, parse_codebook  # noqa: F401
from giftreview.text.matching import code_texts, sentences

__all__ = [
    "CODE_COLUMNS",
    "sentences",
    "auto_code",
    "CodedAnswers",
    "HumanCodes",
    "answers_of",
    "code_question",
    "arrow_text",
]

#: columns of the long table of codes
CODE_COLUMNS = ["respondent_id", "theme", "source", "evidence", "start", "end"]


# ---- auto-coding -------------------------------------------------------------------------------
def auto_code(answers: pd.Series, codebook: Codebook) -> pd.DataFrame:
    """Code answers with the codebook's patterns (multi-label, one row per answer and theme).

    Parameters
    ----------
    answers
        Answer texts indexed by respondent id (NA and blank answers are skipped).
    codebook
        The codebook.

    Returns
    -------
    pandas.DataFrame
        Columns ``respondent_id, theme, source ("auto"), evidence, start, end``: the first
        matching span of each theme in each answer, as character offsets into the answer.

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> auto_code(pd.Series(["Training helped. We need money too."], index=["r1"]), cb)
      respondent_id     theme source  evidence  start  end
    0            r1  training   auto  Training      0    8
    1            r1   funding   auto     money     25   30
    """
    if isinstance(answers.dtype, pd.StringDtype):
        texts = answers[answers.notna().to_numpy()]
    else:  # any object: only strings are answers
        texts = answers[answers.map(lambda x: isinstance(x, str)).to_numpy(dtype=bool)]
    texts = texts[texts.str.strip().str.len().to_numpy() > 0]
    return _coded_frame(texts, code_texts(texts.reset_index(drop=True), codebook), codebook)


def _coded_frame(texts: pd.Series, hits: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """:func:`auto_code`'s table from :func:`code_texts`' hits on ``texts``."""
    pos = pa.array(hits["pos"].to_numpy(dtype=np.int64))
    if isinstance(texts.index.dtype, pd.StringDtype):  # ids taken in Arrow: no object per code
        ids = to_arrow(texts.index.array).take(pos).to_pandas()
    else:
        ids = texts.index.to_numpy()[hits["pos"].to_numpy()]
    themes = pa.array(codebook.ids, type=pa.large_string())
    out = pd.DataFrame(
        {
            "respondent_id": ids,
            "theme": themes.take(pa.array(hits["theme"].to_numpy(dtype=np.int64))).to_pandas(),
            "source": "auto",
            "evidence": hits["evidence"].to_numpy(dtype=object),
            "start": hits["start"].to_numpy(dtype=np.int64),
            "end": hits["end"].to_numpy(dtype=np.int64),
        },
        columns=CODE_COLUMNS,
    )
    return out.astype({"start": "int64", "end": "int64"})


# ---- coded answers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodedAnswers:
    """The coding of one open question.

    Attributes
    ----------
    question
        The question id.
    codebook
        The codebook used.
    codes
        Long tidy table ``respondent_id, theme, source (auto|human), evidence, start, end``.
    answered
        ``respondent_id, answer``: every respondent who answered (the base of percentages).
    uncoded
        ``respondent_id, answer``: answers with no theme (listed for review, never dropped).
    sources
        ``respondent_id, source``: whether each answer's codes come from a human or the patterns.
    """

    question: str
    codebook: Codebook
    codes: pd.DataFrame
    answered: pd.DataFrame
    uncoded: pd.DataFrame
    sources: pd.DataFrame = field(repr=False)
    #: integer positions, when the codes came from the patterns alone: each code's row in
    #: ``answered`` and each answer's row in the data it was coded from, whose respondent ids
    #: (``data_ids``, distinct) are kept to recognise that data (:meth:`rows_in`); the theme
    #: counts and the quotes then look no id up
    code_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    answer_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    data_ids: pa.ChunkedArray | None = field(default=None, repr=False, compare=False)

    def rows_in(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
        """``(code_rows, answer_rows)`` when ``data`` holds the very respondent ids the answers
        were coded from (the same Arrow buffers, which cannot change), else None: then the ids
        are looked up."""
        if self.code_rows is None or self.answer_rows is None or self.data_ids is None:
            return None
        if "respondent_id" not in data:
            return None
        ids = _id_memory(data["respondent_id"])
        same = ids is not None and _same_memory(ids, self.data_ids)
        return (self.code_rows, self.answer_rows) if same else None


def answers_of(data: pd.DataFrame, qid: str) -> pd.DataFrame:
    """``respondent_id, answer`` for every respondent with a non-blank answer to ``qid``.

    Examples
    --------
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> answers_of(data, "why")  # r3's blank answer is not an answer
      respondent_id                                   answer
    0            r1      Training helped. We need money too.
    1            r2  No funding came; the workshop was good.
    2            r4                          Nothing to add.
    """
    return _answers_and_rows(data, qid)[0]


def _answers_and_rows(data: pd.DataFrame, qid: str) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`answers_of` and each answer's row in ``data``, on Arrow columns: the ids checked
    by one count of distinct values, the answers trimmed (``utf8_trim_whitespace``, what
    pandas' ``str.strip`` runs on Arrow strings) and taken with the ids by row positions."""
    check_column(data, qid, "qid")
    check_column(data, "respondent_id", "data")
    ids = data["respondent_id"]
    if not _distinct_ids(ids):
        bad = ids.isna() | ids.duplicated(keep=False)
        if bad.any():
            raise DataValidationError(
                f"`data`: respondent_id is missing or repeated in rows "
                f"{list(data.index[bad][:10])}; code the clean table (giftreview clean), where "
                "every respondent has one row"
            )
    text = data[qid].astype("string")
    trimmed = pc.utf8_trim_whitespace(to_arrow(text.array))
    keep = pc.fill_null(pc.greater(pc.binary_length(trimmed), 0), False)
    rows = np.flatnonzero(np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool))
    id_text = ids.astype(str)
    if isinstance(id_text.dtype, pd.StringDtype) and id_text.dtype.storage == "pyarrow":
        id_col = pd.Series(pd.array(to_arrow(id_text.array).filter(keep), dtype=id_text.dtype))
    else:
        id_col = id_text.iloc[rows].reset_index(drop=True)
    answer = pd.Series(pd.array(trimmed.filter(keep), dtype=text.dtype))
    return pd.DataFrame({"respondent_id": id_col, "answer": answer}), rows


#: the respondent ids last found distinct (kept, so that their buffers cannot be reused): a
#: report checks the same clean table's ids once per open question
_DISTINCT_IDS: list[pa.ChunkedArray] = []


def _distinct_ids(ids: pd.Series) -> bool:
    """Whether Arrow-backed ids are all present and distinct: by one hash count, once per id
    column (the answer is kept for the very same Arrow buffers, which cannot change). False also
    when the ids are not Arrow strings (then pandas checks them)."""
    memory = _id_memory(ids)
    if memory is None:
        return False
    if _DISTINCT_IDS and _same_memory(memory, _DISTINCT_IDS[0]):
        return True
    if memory.null_count or pc.count_distinct(memory).as_py() != len(memory):
        return False
    _DISTINCT_IDS[:] = [memory]
    return True


def _id_memory(ids: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow chunks holding a column of pandas' Arrow strings as they are (no copy: a
    clean table read from parquet holds one chunk per row group), None for any other column."""
    if not (isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow"):
        return None
    arr = ids.array.__arrow_array__()
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _same_memory(a: pa.ChunkedArray, b: pa.ChunkedArray) -> bool:
    """Whether two Arrow columns are views of the very same memory (same chunks, each with the
    same length, offset and buffers): then they hold the same values."""
    return a.num_chunks == b.num_chunks and all(
        len(x) == len(y)
        and x.offset == y.offset
        and all(
            (u is None and v is None)
            or (u is not None and v is not None and u.address == v.address and u.size == v.size)
            for u, v in zip(x.buffers(), y.buffers(), strict=True)
        )
        for x, y in zip(a.chunks, b.chunks, strict=True)
    )


def code_question(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    human: HumanCodes | None = None,
    codebook: Codebook | None = None,
    rule: Literal["majority", "any", "all"] = "majority",
) -> CodedAnswers:
    """Code the answers to open question ``qid``: patterns first, human codes where they exist.

    Parameters
    ----------
    data
        The clean table (``docs/data-contract.md``); the answers are in column ``qid``.
    instrument
        The instrument (names the codebook of ``qid``).
    qid
        The open question, e.g. ``"B2"``.
    human
        Codes read by :func:`import_sheets`. Every (answer, theme) decision a human made
        replaces the auto decision (source ``human``); decisions no human made (answers not in
        any sheet, or a theme column missing from the sheets) keep the auto code.
    codebook
        Use this codebook instead of the instrument's.
    rule
        How several coders' codes are combined: ``majority`` (more than half of the coders who
        coded the answer), ``any`` (at least one) or ``all``.

    Returns
    -------
    CodedAnswers

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> coded.codes[["respondent_id", "theme", "evidence"]]
      respondent_id     theme  evidence
    0            r1  training  Training
    1            r1   funding     money
    2            r2  training  workshop
    >>> coded.uncoded  # listed for review, never dropped
      respondent_id           answer
    0            r4  Nothing to add.

    r2's "No funding" is excluded from ``funding`` by the exclusion pattern.
    """
    codebook = codebook or codebook_for(instrument, qid)
    answered, answer_rows = _answers_and_rows(data, qid)
    texts = answered.set_index("respondent_id")["answer"]  # every one a non-blank string
    hits = code_texts(texts.reset_index(drop=True), codebook)
    codes = _coded_frame(texts, hits, codebook)
    code_rows: np.ndarray | None = hits["pos"].to_numpy(dtype=np.int64)
    human_ids: set[str] = set()
    if human is not None:
        codes, human_ids = _with_human(codes, human, rule, answered, codebook)
        code_rows = None  # the codes changed: their rows are looked up by id
    ids = answered["respondent_id"]
    if code_rows is not None:  # the codes' answers by position: no id looked up
        coded_at = np.zeros(len(answered), dtype=bool)
        coded_at[code_rows] = True
    else:
        coded_at = _isin(ids, codes["respondent_id"])
    uncoded = answered[~coded_at].reset_index(drop=True)
    by_human = _isin(ids, pd.Series(sorted(human_ids), dtype=object))
    sources = pd.DataFrame({"respondent_id": ids, "source": np.where(by_human, "human", "auto")})
    return CodedAnswers(
        qid, codebook, codes, answered, uncoded, sources, code_rows, answer_rows,
        _id_memory(data["respondent_id"]),
    )  # fmt: skip


def arrow_text(values: pd.Series) -> pa.Array:
    """``values`` as one Arrow ``large_string`` array: the column's own Arrow data when it holds
    pandas' Arrow strings (no Python object per value), else ``values.astype(str)`` converted."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return to_arrow(values.array)
    return to_arrow(values.astype(str).to_numpy(dtype=object))


def _isin(values: pd.Series, of: pd.Series) -> np.ndarray:
    """``values.isin(of)`` in one Arrow pass (pandas' isin on Arrow strings builds a Python
    object per value of ``of``)."""
    if not len(of):
        return np.zeros(len(values), dtype=bool)
    found = pc.is_in(arrow_text(values), value_set=arrow_text(of))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def _with_human(
    codes: pd.DataFrame, human: HumanCodes, rule: str, answered: pd.DataFrame, codebook: Codebook
) -> tuple[pd.DataFrame, set[str]]:
    """Auto codes with every human-decided (answer, theme) pair replaced by the human decision."""
    ids = set(answered["respondent_id"])
    decided = {
        (r, t) for r, t in zip(human.codes["respondent_id"], human.codes["theme"], strict=True)
    }
    keep = [
        (r, t) not in decided for r, t in zip(codes["respondent_id"], codes["theme"], strict=True)
    ]
    resolved = human.resolved(rule)
    out = pd.concat([codes[keep], resolved[resolved["respondent_id"].isin(ids)]], ignore_index=True)
    order = {t: i for i, t in enumerate(codebook.ids)}
    pos = {r: i for i, r in enumerate(answered["respondent_id"])}
    out = out.sort_values(
        ["respondent_id", "theme"],
        key=lambda s: s.map(pos if s.name == "respondent_id" else order),
    ).reset_index(drop=True)
    return out, set(human.coded_ids()) & ids


@dataclass(frozen=True)
class HumanCodes:
    """Human codes read from coding sheets.

    Attributes
    ----------
    codes
        Long table ``respondent_id, coder, theme, value`` (value 1 or 0): every decision.
    problems
        ``file, row, respondent_id, column, value, severity, problem``: everything that was wrong.
    coders
        Coder names (from the ``coder`` column, else the file name).
    """

    question: str
    codes: pd.DataFrame
    problems: pd.DataFrame
    coders: list[str]

    def coded_ids(self) -> list[str]:
        """Respondents coded by at least one coder."""
        return list(dict.fromkeys(self.codes["respondent_id"]))

    def resolved(self, rule: Literal["majority", "any", "all"] = "majority") -> pd.DataFrame:
        """Combine coders into one set of codes (long table with source ``human``)."""
        if rule not in ("majority", "any", "all"):
            raise ArgumentError(f"`rule` must be majority, any or all, got {rule!r}")
        g = self.codes.groupby(["respondent_id", "theme"], sort=False)["value"]
        share = g.mean()
        keep = {"majority": share > 0.5, "any": share > 0, "all": share == 1}[rule]
        idx = share[keep].index
        out = pd.DataFrame(list(idx), columns=["respondent_id", "theme"])
        out["source"] = "human"
        out["evidence"] = ""
        out["start"] = -1
        out["end"] = -1
        return out[CODE_COLUMNS].astype({"start": "int64", "end": "int64"})
