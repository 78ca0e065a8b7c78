"""Codebooks and coding of open answers: auto-coding, human coding sheets, theme frequencies.

A *codebook* is a YAML file per open question (``instruments/codebooks/*.yaml``, referenced from
the instrument). Each theme has an id, a label, a description, inclusion and exclusion patterns
(Python regular expressions, case-insensitive, word-bounded), an example answer and the sentence
stem the narrative draft uses. The format is documented in ``docs/coding.md``.

Auto-coding is multi-label and sentence-based: an answer is split into sentences; a theme is coded
when one of its inclusion patterns matches a sentence in which none of its exclusion patterns
matches. The first matching span is kept as evidence. Answers that match nothing are listed as
uncoded, never dropped.

Human coding round trip: :func:`export_sheet` writes a coding sheet (XLSX or CSV, one column per
theme, auto codes pre-filled, cells neutralised against spreadsheet formulas);
:func:`import_sheets` reads one edited sheet per coder and reports unknown theme ids, changed
answer text and missing rows. Human codes take precedence over auto codes for every answer a human
coded, and every count says which source it came from.
"""

from __future__ import annotations

import difflib
import functools
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from giftreview.analysis.disclosure import suppress
from giftreview.analysis.stats import proportion_interval
from giftreview.data.instrument import Instrument, _format_loc, read_yaml
from giftreview.errors import (
    ArgumentError,
    DataValidationError,
    InputFileError,
    InstrumentError,
    check_column,
)
from giftreview.paths import inside, is_under_raw
from giftreview.text.safety import unneutralise_formula, write_table, xlsx_value

__all__ = [
    "CODE_COLUMNS",
    "SHEET_FIXED",
    "compile_pattern",
    "Theme",
    "Codebook",
    "parse_codebook",
    "load_codebook",
    "codebook_for",
    "sentences",
    "auto_code",
    "check_codebook",
    "CodedAnswers",
    "answers_of",
    "code_question",
    "theme_frequencies",
    "sheet_frame",
    "export_sheet",
    "read_sheet",
    "HumanCodes",
    "import_sheets",
    "compare_with_reference",
]

_ID_RE = r"^[a-z][a-z0-9_]*$"
#: columns of the long table of codes
CODE_COLUMNS = ["respondent_id", "theme", "source", "evidence", "start", "end"]
#: fixed (non-theme) columns of a coding sheet
SHEET_FIXED = ["respondent_id", "question", "answer", "coder", "notes"]
_TRUE = {"1", "1.0", "x", "yes", "y", "true", "t"}
_FALSE = {"", "0", "0.0", "no", "n", "false", "f", "nan", "none"}


# ---- the codebook model ------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a codebook pattern: case-insensitive and word-bounded at both ends.

    Examples
    --------
    >>> bool(compile_pattern("train[a-z]*").search("Trainings were useful"))
    True
    >>> print(compile_pattern("fund").search("a refund"))  # word-bounded: not inside a word
    None
    """
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


def _check_patterns(patterns: list[str]) -> list[str]:
    for i, p in enumerate(patterns):
        if not p.strip():
            raise ValueError(f"pattern [{i}] is blank; remove it")
        try:
            compile_pattern(p)
        except re.error as exc:
            raise ValueError(
                f"pattern [{i}] {p!r} is not a valid regular expression ({exc.msg} at position "
                f"{exc.pos}); fix it, e.g. close every '(' and escape a literal ( ) [ ] . + ? "
                "with a backslash"
            ) from None
    return patterns


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Theme(_Model):
    """One theme (code) of a codebook."""

    id: str = Field(pattern=_ID_RE, description="stable id, lower case, used in sheets and data")
    label: str = Field(min_length=1, description="short label printed in tables")
    description: str = Field(min_length=1, description="the idea the theme stands for")
    include: list[str] = Field(min_length=1, description="inclusion patterns (any one codes)")
    exclude: list[str] = Field(default_factory=list, description="exclusion patterns")
    example: str = Field(min_length=1, description="an answer that should be coded with it")
    stem: str = Field(min_length=1, description="sentence stem for the narrative draft")

    @field_validator("include", "exclude")
    @classmethod
    def _valid_patterns(cls, v: list[str]) -> list[str]:
        return _check_patterns(v)

    def find(self, sentence: str) -> re.Match[str] | None:
        """The first inclusion match in ``sentence`` unless an exclusion pattern matches it."""
        if any(compile_pattern(p).search(sentence) for p in self.exclude):
            return None
        hits = [m for p in self.include if (m := compile_pattern(p).search(sentence))]
        return min(hits, key=lambda m: m.start()) if hits else None


class Codebook(_Model):
    """A codebook: the themes of one open question (see ``docs/coding.md``)."""

    question: str = Field(description="id of the open question in the instrument")
    title: str
    version: int = 1
    themes: list[Theme] = Field(min_length=1)
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_ids(self) -> Codebook:
        ids = [t.id for t in self.themes]
        for tid in dict.fromkeys(ids):
            where = [i + 1 for i, x in enumerate(ids) if x == tid]
            if len(where) > 1:
                raise ValueError(
                    f"theme id {tid!r} repeats (themes number {where}); give each theme its own "
                    "id or merge the two themes"
                )
        return self

    @property
    def ids(self) -> list[str]:
        """Theme ids in codebook order."""
        return [t.id for t in self.themes]

    def theme(self, theme_id: str) -> Theme:
        """The theme with id ``theme_id`` (raises :class:`ArgumentError` naming the known ids)."""
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise ArgumentError(
            f"unknown theme {theme_id!r} in codebook {self.question}; {_suggest(theme_id, self.ids)}"
        )

    def labels(self) -> dict[str, str]:
        """Mapping theme id -> label."""
        return {t.id: t.label for t in self.themes}


def _suggest(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(value), list(known), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"{hint}known: {', '.join(known)}"


def _codebook_message(err: dict, data: dict) -> str:
    key = _format_loc(err["loc"], data)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        fields = Theme.model_fields if len(err["loc"]) > 1 else Codebook.model_fields
        msg = f"unknown key; {_suggest(name, [f for f in fields if f != 'path'])}"
        msg += " (remove it or fix its spelling; see docs/coding.md)"
    elif err["type"] == "missing":
        msg = "required key is missing; add it (see docs/coding.md)"
    return f"{key}: {msg}"


def parse_codebook(data: object, path: Path | str | None = None) -> Codebook:
    """Validate an already-parsed codebook mapping (raises :class:`InstrumentError`).

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> cb.ids
    ['training', 'funding']
    """
    if not isinstance(data, dict):
        raise InstrumentError(
            "a codebook holds a mapping with keys 'question', 'title' and 'themes'", path=path
        )
    try:
        return Codebook.model_validate({**data, "path": Path(path) if path else None})
    except ValidationError as exc:
        lines = [_codebook_message(e, data) for e in exc.errors()]
        raise InstrumentError("; ".join(lines), path=path) from None


def load_codebook(path: Path | str) -> Codebook:
    """Read and validate a codebook YAML file.

    Parameters
    ----------
    path
        The codebook file, e.g. ``instruments/codebooks/B2_added_value.yaml``.

    Returns
    -------
    Codebook
        The validated codebook (immutable).

    Raises
    ------
    InstrumentError
        When the file is missing or not YAML, a pattern is not a valid regular expression, a theme
        id repeats or a key is unknown; the message names the file, the theme and the fix, e.g.
        ``B2.yaml: themes.coordination.include: pattern [0] '(coord' is not a valid regular
        expression (missing ), unterminated subpattern at position 0); fix it ...``.

    Examples
    --------
    The codebook of the bundled instrument's first open question:

    >>> from giftreview.data.instrument import load_instrument
    >>> inst = load_instrument()
    >>> qid = inst.questions_of_type("open")[0].id
    >>> load_codebook(inst.codebook_path(qid)).question == qid
    True
    """
    path = Path(path)
    if not path.exists():
        raise InstrumentError("codebook file not found; check the path", path=path)
    return parse_codebook(read_yaml(path), path)


def codebook_for(instrument: Instrument, qid: str) -> Codebook:
    """The codebook the instrument names for open question ``qid``.

    Examples
    --------
    >>> from giftreview.data.instrument import load_instrument
    >>> inst = load_instrument()
    >>> qid = inst.questions_of_type("open")[0].id
    >>> codebook_for(inst, qid).question == qid
    True
    """
    q = instrument.question(qid)
    cb = instrument.codebook_path(qid) if q.type == "open" else None
    if cb is None:
        raise ArgumentError(
            f"question {qid} is '{q.type}' and names no codebook; code an open question "
            f"({', '.join(x.id for x in instrument.questions_of_type('open'))})"
        )
    codebook = load_codebook(cb)
    if codebook.question != qid:
        raise InstrumentError(
            f"the codebook is for question {codebook.question!r} but the instrument uses it for "
            f"{qid!r}; fix 'question:' in the codebook or 'codebook:' of {qid} in the instrument",
            path=cb,
        )
    return codebook


# ---- auto-coding -------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


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
    rows = []
    for rid, text in answers.items():
        if not isinstance(text, str) or not text.strip():
            continue
        spans = sentences(text)
        for theme in codebook.themes:
            for s, e in spans:
                m = theme.find(text[s:e])
                if m is not None:
                    rows.append((rid, theme.id, "auto", m.group(0), s + m.start(), s + m.end()))
                    break
    out = pd.DataFrame(rows, columns=CODE_COLUMNS)
    return out.astype({"start": "int64", "end": "int64"})


def check_codebook(codebook: Codebook, answers: Iterable[str] = ()) -> pd.DataFrame:
    """Report problems of a codebook: dead patterns, overlapping themes, examples not coded.

    Parameters
    ----------
    codebook
        The codebook to check.
    answers
        Answer texts to check against (e.g. a wave's answers to the question).

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns ``theme, pattern, kind, detail``. ``kind`` is ``dead`` (an
        inclusion pattern matches no answer), ``overlap`` (two themes' patterns match the same
        span of an answer: the pattern of the first theme and the other theme in ``detail``, with
        the number of answers) or ``example`` (the theme's own example is not coded with it).

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> check_codebook(cb, ["Training helped."])[["theme", "pattern", "kind"]]
          theme     pattern  kind
    0  training  workshops?  dead
    1   funding  fund[a-z]*  dead
    2   funding       money  dead
    """
    texts = [a for a in answers if isinstance(a, str) and a.strip()]
    rows = []
    for t in codebook.themes:
        if not any(t.find(t.example[s:e]) for s, e in sentences(t.example)):
            rows.append((t.id, "", "example", f"the example {t.example!r} is not coded {t.id}"))
        if texts:
            for p in t.include:
                if not any(compile_pattern(p).search(x) for x in texts):
                    rows.append((t.id, p, "dead", f"matches none of {len(texts)} answers"))
    if texts:
        rows += _overlaps(codebook, texts)
    return pd.DataFrame(rows, columns=["theme", "pattern", "kind", "detail"])


def _overlaps(codebook: Codebook, texts: list[str]) -> list[tuple[str, str, str, str]]:
    spans: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for i, x in enumerate(texts):
        for t in codebook.themes:
            for p in t.include:
                for m in compile_pattern(p).finditer(x):
                    spans.setdefault((t.id, p), []).append((i, m.start(), m.end()))
    counts: dict[tuple[str, str, str], set[int]] = {}
    keys = list(spans)
    for a, (ta, pa) in enumerate(keys):
        for tb, pb in keys[a + 1 :]:
            if ta == tb:
                continue
            for i, s1, e1 in spans[(ta, pa)]:
                if any(j == i and s1 < e2 and s2 < e1 for j, s2, e2 in spans[(tb, pb)]):
                    counts.setdefault((ta, pa, tb), set()).add(i)
    return [
        (
            ta,
            pa,
            "overlap",
            f"shares spans with theme {tb} in {len(ids)} answers (before exclusions)",
        )
        for (ta, pa, tb), ids in counts.items()
    ]


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
    check_column(data, qid, "qid")
    check_column(data, "respondent_id", "data")
    ids = data["respondent_id"]
    bad = ids.isna() | ids.duplicated(keep=False)
    if bad.any():
        raise DataValidationError(
            f"`data`: respondent_id is missing or repeated in rows {list(data.index[bad][:10])}; "
            "code the clean table (giftreview clean), where every respondent has one row"
        )
    text = data[qid].astype("string").str.strip()
    keep = text.notna() & (text != "")
    out = pd.DataFrame({"respondent_id": ids.astype(str), "answer": text})
    return out[keep.to_numpy()].reset_index(drop=True)


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
    answered = answers_of(data, qid)
    codes = auto_code(answered.set_index("respondent_id")["answer"], codebook)
    human_ids: set[str] = set()
    if human is not None:
        codes, human_ids = _with_human(codes, human, rule, answered, codebook)
    coded_ids = set(codes["respondent_id"])
    uncoded = answered[~answered["respondent_id"].isin(coded_ids)].reset_index(drop=True)
    sources = pd.DataFrame(
        {
            "respondent_id": answered["respondent_id"],
            "source": ["human" if r in human_ids else "auto" for r in answered["respondent_id"]],
        }
    )
    return CodedAnswers(qid, codebook, codes, answered, uncoded, sources)


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


# ---- frequencies --------------------------------------------------------------------------------
def _wilson(n: pd.Series, base: pd.Series, confidence: float) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval through :func:`giftreview.analysis.stats.proportion_interval`."""
    low, high = proportion_interval(
        n.to_numpy(), base.to_numpy(), confidence=confidence, method="wilson"
    )
    return pd.Series(low, index=n.index), pd.Series(high, index=n.index)


def _suppress(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """Small-cell suppression of a theme table (``group`` x ``theme`` counts in ``n``).

    The group rows go through :func:`giftreview.analysis.disclosure.suppress` with the theme totals (the
    ``All`` rows) published, so a suppressed sector cell cannot be recovered from the overall
    count; an ``All`` cell is suppressed when below ``k`` or when disclosure hides that total.
    """
    out = table.copy()
    status = pd.Series("", index=out.index, dtype=object)
    is_all = out["group"] == "All"
    if k > 0 and (~is_all).any():
        sub = out[~is_all]
        wide = sub.pivot_table(index="group", columns="theme", values="n", aggfunc="sum",
                               sort=False, observed=False).fillna(0).astype(int)  # fmt: skip
        res = suppress(wide, k=k, margins="columns")
        status[~is_all] = [
            res.status.loc[g, t] for g, t in zip(sub["group"], sub["theme"], strict=True)
        ]
        hidden = set(map(str, res.hidden_totals))
        status[is_all & out["theme"].isin(hidden)] = "secondary"
    if k > 0:
        primary = (out["n"] < k) & ((out["n"] > 0) | (suppress is not None))
        status[primary & (status == "")] = "primary"
    out["suppressed"] = status
    out["n_display"] = out["n"].astype(str)
    out.loc[status == "primary", "n_display"] = f"<{k}"
    out.loc[status == "secondary", "n_display"] = "x"
    for col in ("pct", "ci_low", "ci_high"):
        out[col] = out[col].mask(status != "")
    return out


def _group_members(coded: CodedAnswers, data: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """``respondent_id, group`` of everyone who answered: once as ``All``, once per ``by`` group."""
    ans = coded.answered[["respondent_id"]].assign(group="All")
    if by is None:
        return ans
    check_column(data, by, "by")
    grp = data[["respondent_id", by]].astype({"respondent_id": str}).rename(columns={by: "group"})
    per = ans[["respondent_id"]].merge(grp, on="respondent_id", how="left").dropna(subset=["group"])
    return pd.concat([ans, per.astype({"group": str})], ignore_index=True)


def _count_themes(coded: CodedAnswers, members: pd.DataFrame) -> pd.DataFrame:
    """n (auto and human), base per group and theme."""
    rows = []
    for group, g in members.groupby("group", sort=False):
        ids = set(g["respondent_id"])
        sub = coded.codes[coded.codes["respondent_id"].isin(ids)]
        for t in coded.codebook.themes:
            hit = sub[sub["theme"] == t.id]
            n_h = int((hit["source"] == "human").sum())
            rows.append(
                (coded.question, group, t.id, t.label, len(hit), len(ids), len(hit) - n_h, n_h)
            )
    cols = ["question", "group", "theme", "label", "n", "base", "n_auto", "n_human"]
    return pd.DataFrame(rows, columns=cols)


def theme_frequencies(
    coded: CodedAnswers,
    data: pd.DataFrame,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    k: int = 5,
) -> pd.DataFrame:
    """Respondents mentioning each theme: n, % of those who answered, Wilson interval.

    Parameters
    ----------
    coded
        From :func:`code_question`.
    data
        The clean table (for the grouping column).
    by
        Optional grouping column (e.g. ``"A1"``, the sector); ``None`` gives the overall table.
        The overall rows are always included (group ``"All"``).
    confidence
        Two-sided confidence level of the interval.
    k
        Small-cell threshold (``0`` turns suppression off): counts below ``k`` are shown as
        ``"<k"`` with percentage and interval hidden, and secondary cells as ``"x"`` so that no
        sector cell can be recovered from the overall count (:mod:`giftreview.analysis.disclosure`).

    Returns
    -------
    pandas.DataFrame
        Columns ``question, group, theme, label, n, base, pct, ci_low, ci_high, n_auto, n_human,
        source, suppressed, n_display``, ordered by group then by descending n. ``source`` says
        where the count came from: ``auto``, ``human`` or ``auto+human``; ``suppressed`` is
        ``""``, ``"primary"`` or ``"secondary"`` and ``n_display`` the count as published
        (``"<k"`` or ``"x"`` when suppressed). ``n`` keeps the true count for internal use
        (the narrative draft); publish ``n_display``.

    Notes
    -----
    ``pct = 100 n / base`` where ``base`` is the number of respondents in the group who answered
    the question (blank answers excluded). The Wilson interval is
    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. In R: ``prop.test(n, base,
    correct = FALSE)$conf.int``.

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
    >>> theme_frequencies(coded, data, k=0)[["theme", "n", "base", "pct"]].round(1)
          theme  n  base   pct
    0  training  2     3  66.7
    1   funding  1     3  33.3
    """
    if not 0 < confidence < 1:
        raise ArgumentError(
            f"`confidence` must lie between 0 and 1, got {confidence!r}; e.g. level=0.95"
        )
    out = _count_themes(coded, _group_members(coded, data, by))
    out["pct"] = 100 * out["n"] / out["base"].where(out["base"] > 0)
    low, high = _wilson(out["n"], out["base"], confidence)
    out["ci_low"], out["ci_high"] = 100 * low, 100 * high
    out["source"] = [
        "auto+human" if a and h else ("human" if h else "auto")
        for a, h in zip(out["n_auto"], out["n_human"], strict=True)
    ]
    out = _suppress(out, k)
    groups = ["All"]
    if by is not None:
        col = data[by]
        levels = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else None
        groups += [str(g) for g in (sorted(col.dropna().unique()) if levels is None else levels)]
    out["group"] = pd.Categorical(out["group"], categories=list(dict.fromkeys(groups)))
    out = out.sort_values(["group", "n"], ascending=[True, False], kind="stable")
    cols = ["question", "group", "theme", "label", "n", "base", "pct", "ci_low", "ci_high"]
    cols += ["n_auto", "n_human", "source", "suppressed", "n_display"]
    return out[cols].reset_index(drop=True)


# ---- coding sheets ------------------------------------------------------------------------------
def sheet_frame(coded: CodedAnswers, *, prefill: bool = True) -> pd.DataFrame:
    """The coding sheet as a table: fixed columns, then one 0/1 column per theme.

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
    >>> sheet_frame(coded)[["respondent_id", "training", "funding"]]
      respondent_id  training  funding
    0            r1         1        1
    1            r2         1        0
    2            r4         0        0
    """
    out = coded.answered.copy()
    out.insert(1, "question", coded.question)
    out["coder"] = ""
    out["notes"] = ""
    hits = set(zip(coded.codes["respondent_id"], coded.codes["theme"], strict=True))
    for t in coded.codebook.ids:
        out[t] = [int(prefill and (r, t) in hits) for r in out["respondent_id"]]
    return out[SHEET_FIXED + coded.codebook.ids]


def export_sheet(
    coded: CodedAnswers,
    data: pd.DataFrame,
    path: Path | str,
    *,
    prefill: bool = True,
    coder: str = "",
) -> Path:
    """Write a coding sheet (``.xlsx`` or ``.csv``) for a human coder.

    One row per answer; columns ``respondent_id, question, answer, coder, notes`` and one column
    per theme id holding 1 (theme present) or 0, pre-filled with the auto codes when ``prefill``.
    Every text cell is neutralised against spreadsheet formulas (a leading ``= + - @`` tab or CR
    gets a ``'``), so an answer such as ``=HYPERLINK(...)`` is shown, never run. The XLSX file has
    a second sheet ``codebook`` with each theme's label, description and example.

    ``data`` is the clean table the codes were made from; the sheet is refused when its answers
    differ from ``coded`` (codes of another wave or an older cleaning).

    Returns
    -------
    pathlib.Path
        The file written.

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
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export_sheet(coded, data, Path(tmp) / "why_ana.csv", coder="ana")
    ...     list(read_sheet(path).columns)
    ['respondent_id', 'question', 'answer', 'coder', 'notes', 'training', 'funding']
    """
    now = answers_of(data, coded.question)
    if not now.equals(coded.answered):
        raise ArgumentError(
            f"`coded` does not match `data`: the answers to {coded.question} differ; code the "
            "same table you export (code_question(data, ...))"
        )

    path = Path(path)
    if is_under_raw(path):
        raise ArgumentError(f"`path` {path} is under data/raw, which is never written; choose "
                            "another folder, e.g. data/processed/<wave>/coding/")  # fmt: skip
    sheet = sheet_frame(coded, prefill=prefill)
    sheet["coder"] = coder
    if path.suffix.lower() == ".csv":
        write_table(sheet, path, encoding="utf-8-sig")
    elif path.suffix.lower() == ".xlsx":
        _write_xlsx(sheet, coded.codebook, path)
    else:
        raise ArgumentError(f"`path` {path} must end in .xlsx or .csv")
    return path


def _write_xlsx(sheet: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    # the layout (widths, validation, frozen panes) needs openpyxl itself; every cell still
    # passes the one safe writer's cell rule (safety.xlsx_value) and path check
    inside(path, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    ws.append([xlsx_value(str(c)) for c in sheet.columns])
    for row in sheet.itertuples(index=False):
        ws.append([xlsx_value(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "D2"
    ws.column_dimensions["C"].width = 80
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    dv = DataValidation(type="list", formula1='"0,1"', allow_blank=True)
    ws.add_data_validation(dv)
    first = len(SHEET_FIXED) + 1
    for col in ws.iter_cols(min_row=2, min_col=first, max_col=ws.max_column):
        for cell in col:
            dv.add(cell)
    cb = wb.create_sheet("codebook")
    cb.append(["theme", "label", "description", "example"])
    for t in codebook.themes:
        cb.append([xlsx_value(v) for v in (t.id, t.label, t.description, t.example)])
    wb.save(path)


_unneutralise = unneutralise_formula


def _norm_text(value: object) -> str:
    return " ".join(str(_unneutralise(value)).split()) if isinstance(value, str) else ""


def read_sheet(path: Path | str) -> pd.DataFrame:
    """Read a coding sheet back as text cells (XLSX sheet ``coding`` or CSV).

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
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sheet = read_sheet(export_sheet(coded, data, Path(tmp) / "why.csv"))
    >>> sheet[["respondent_id", "training", "funding"]]
      respondent_id training funding
    0            r1        1       1
    1            r2        1       0
    2            r4        0       0
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError("coding sheet not found; check the path", path=path)
    try:
        if path.suffix.lower() == ".xlsx":
            raw = pd.read_excel(
                path, sheet_name="coding", dtype=str, keep_default_na=False, engine="openpyxl"
            )
        elif path.suffix.lower() == ".csv":
            raw = _read_sheet_csv(path)
        else:
            raise InputFileError("a coding sheet ends in .xlsx or .csv", path=path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        # a truncated or damaged workbook (BadZipFile, EOFError) or a missing 'coding' sheet
        raise InputFileError(
            f"cannot read the coding sheet: it is damaged, truncated or not a workbook ({exc}); "
            "open it in a spreadsheet program, save it again as .xlsx (or export it as CSV) and "
            "retry",
            path=path,
        ) from None
    raw.columns = [str(_unneutralise(str(c))).strip() for c in raw.columns]
    return raw.map(_unneutralise)


def _read_sheet_csv(path: Path) -> pd.DataFrame:
    """A CSV sheet as saved by a spreadsheet: UTF-8 (BOM or not) or Windows-1252, and a comma,
    semicolon or tab delimiter (Excel in many locales saves ";")."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    sep = max([",", ";", "\t"], key=first.count)
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)


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


def import_sheets(
    paths: Sequence[Path | str], codebook: Codebook, data: pd.DataFrame, *, strict: bool = True
) -> HumanCodes:
    """Read edited coding sheets, one per coder, and check them against the codebook and data.

    Parameters
    ----------
    paths
        The sheets (``.xlsx`` or ``.csv``) written by :func:`export_sheet` and edited by coders.
    codebook
        The codebook the sheets were made for.
    data
        The clean table the sheets were exported from (answers in column ``codebook.question``).
    strict
        When True, any error (unknown theme column, changed answer text, unknown respondent, a
        cell that is not 0/1, a repeated coder) raises :class:`InputFileError` listing every
        problem; when False, offending rows are left out and listed in ``problems``.

    Returns
    -------
    HumanCodes
        Missing rows (answers not in a sheet) and missing theme columns are warnings in
        ``problems``; missing theme cells are read as 0 only when the column exists.

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
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     human = import_sheets([export_sheet(coded, data, Path(tmp) / "s.csv", coder="ana")],
    ...                           cb, data)
    >>> human.coders, len(human.problems)
    (['ana'], 0)
    >>> human.codes.head(2)
      respondent_id coder     theme  value
    0            r1   ana  training      1
    1            r1   ana   funding      1
    """
    if not paths:
        raise ArgumentError("`paths` is empty; pass at least one coding sheet")
    answers = answers_of(data, codebook.question).set_index("respondent_id")["answer"]
    frames, problems, coders = [], [], []
    for p in paths:
        codes, probs, coder = _read_one(Path(p), codebook, answers)
        if coder in coders:
            probs.append((str(p), 0, "", "coder", coder, "error",
                          f"coder {coder!r} also coded another sheet; give each coder a unique "
                          "name in the coder column"))  # fmt: skip
        coders.append(coder)
        frames.append(codes)
        problems += probs
    cols = ["file", "row", "respondent_id", "column", "value", "severity", "problem"]
    prob = pd.DataFrame(problems, columns=cols)
    errors = prob[prob["severity"] == "error"]
    if strict and len(errors):
        lines = [f"{r.file} row {r.row}: {r.problem}" for r in errors.itertuples()]
        raise InputFileError(
            f"{len(errors)} problem(s) in the coding sheets:\n  "
            + "\n  ".join(lines[:50])
            + ("\n  ..." if len(lines) > 50 else "")
            + "\nfix the sheets, or leave those rows out with strict=False (command line: --lenient)"
        )
    codes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return HumanCodes(codebook.question, codes, prob, coders)


def _read_one(
    path: Path, codebook: Codebook, answers: pd.Series
) -> tuple[pd.DataFrame, list[tuple], str]:
    """Codes, problems and coder name of one sheet."""
    sheet = read_sheet(path)
    f = str(path)
    probs, themes, coder = _header_problems(f, sheet, codebook)
    rows, seen = [], set()
    for i, r in enumerate(sheet.itertuples(index=False), start=2):
        rec = dict(zip(sheet.columns, r, strict=True))
        rid = str(rec["respondent_id"]).strip()
        bad = _row_problems(f, i, rid, rec, answers, seen)
        values = []
        for t in themes:
            v = str(rec[t]).strip().lower()
            if v in _TRUE or v in _FALSE:
                values.append((rid, coder, t, int(v in _TRUE)))
            else:
                bad.append((f, i, rid, t, rec[t], "error",
                            f"cell {rec[t]!r} under theme {t} is not 1/0 (or x/blank)"))  # fmt: skip
        probs += bad
        seen.add(rid)
        if not any(b[5] == "error" for b in bad):
            rows += values
    for rid in answers.index:
        if rid not in seen:
            probs.append((f, 0, rid, "respondent_id", rid, "warning",
                          f"answer of {rid} is missing from the sheet (not coded by {coder})"))  # fmt: skip
    codes = pd.DataFrame(rows, columns=["respondent_id", "coder", "theme", "value"])
    return codes, probs, coder


def _header_problems(
    f: str, sheet: pd.DataFrame, codebook: Codebook
) -> tuple[list[tuple], list[str], str]:
    """Problems of a sheet's columns, its theme columns and its coder name."""
    for col in ("respondent_id", "answer"):
        if col not in sheet.columns:
            raise InputFileError(f"column {col!r} is missing; export a fresh sheet", path=f)
    probs = [
        (f, 1, "", c, c, "error",
         f"unknown theme id {c!r} (column header); {_suggest(c, codebook.ids)}")
        for c in sheet.columns if c not in SHEET_FIXED and c not in codebook.ids
    ]  # fmt: skip
    themes = [t for t in codebook.ids if t in sheet.columns]
    probs += [
        (f, 1, "", t, "", "warning",
         f"theme column {t!r} is missing; its codes are not read from this sheet")
        for t in codebook.ids if t not in themes
    ]  # fmt: skip
    names = {v.strip() for v in sheet.get("coder", pd.Series(dtype=str)) if v.strip()}
    coder = names.pop() if len(names) == 1 else Path(f).stem
    if names:
        probs.append((f, 0, "", "coder", ", ".join(sorted(names)), "error",
                      "several names in the coder column; one sheet per coder"))  # fmt: skip
    qs = {q for q in sheet.get("question", pd.Series(dtype=str)) if q.strip()}
    if qs - {codebook.question}:
        probs.append((f, 0, "", "question", ", ".join(sorted(qs)), "error",
                      f"the sheet is for question {sorted(qs)}, not {codebook.question}"))  # fmt: skip
    return probs, themes, coder


def _row_problems(
    f: str, i: int, rid: str, rec: dict, answers: pd.Series, seen: set[str]
) -> list[tuple]:
    if rid in seen:
        return [(f, i, rid, "respondent_id", rid, "error", f"respondent {rid} appears twice")]
    if rid not in answers.index:
        return [(f, i, rid, "respondent_id", rid, "error",
                 f"respondent {rid!r} has no answer in the data; was the sheet made for "
                 "another wave?")]  # fmt: skip
    if _norm_text(rec["answer"]) != _norm_text(answers[rid]):
        return [(f, i, rid, "answer", rec["answer"], "error",
                 f"answer text of {rid} differs from the data (edited in the sheet, or the data "
                 "changed); restore the text or export a fresh sheet")]  # fmt: skip
    return []


# ---- validation against a reference coding ------------------------------------------------------
def compare_with_reference(coded: CodedAnswers, reference: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall of the codes against a reference coding (e.g. a gold standard).

    Parameters
    ----------
    coded
        From :func:`code_question`.
    reference
        Long table ``respondent_id, theme`` (optionally ``question``: only rows of this question
        are used), restricted to respondents who answered.

    Returns
    -------
    pandas.DataFrame
        One row per theme and a last row ``"(all)"``: ``theme, tp, fp, fn, precision, recall,
        f1``, where ``precision = tp / (tp + fp)`` and ``recall = tp / (tp + fn)``.

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
    >>> reference = pd.DataFrame({"respondent_id": ["r1", "r2", "r2"],
    ...                           "theme": ["training", "training", "funding"]})
    >>> compare_with_reference(coded, reference)[["theme", "tp", "fp", "fn", "precision", "recall"]]
          theme  tp  fp  fn  precision    recall
    0  training   2   0   0   1.000000  1.000000
    1   funding   0   1   1   0.000000  0.000000
    2     (all)   2   1   1   0.666667  0.666667

    ``funding``: coded for r1 but not in the reference (fp), in the reference for r2 but not coded
    (fn); overall precision = recall = 2 / 3.
    """
    for c in ("respondent_id", "theme"):
        check_column(reference, c, "reference")
    ref = reference
    if "question" in ref.columns:
        ref = ref[ref["question"] == coded.question]
    answered = set(coded.answered["respondent_id"])
    true = {(str(r), t) for r, t in zip(ref["respondent_id"], ref["theme"], strict=True)}
    true = {x for x in true if x[0] in answered}
    pred = set(zip(coded.codes["respondent_id"], coded.codes["theme"], strict=True))
    rows = []
    for th in [*coded.codebook.ids, None]:
        p = {x for x in pred if th is None or x[1] == th}
        t = {x for x in true if th is None or x[1] == th}
        tp, fp, fn = len(p & t), len(p - t), len(t - p)
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * prec * rec / (prec + rec) if tp else 0.0
        rows.append((th or "(all)", tp, fp, fn, prec, rec, f1))
    return pd.DataFrame(rows, columns=["theme", "tp", "fp", "fn", "precision", "recall", "f1"])
