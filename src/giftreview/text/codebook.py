"""Codebooks of open questions: the model, its patterns, reading and validating the YAML file.

A *codebook* is a YAML file per open question (``instruments/codebooks/*.yaml``, referenced from
the instrument). Each theme has an id, a label, a description, inclusion and exclusion patterns
(Python regular expressions, case-insensitive, word-bounded), an example answer and the sentence
stem the narrative draft uses. The format is documented in ``docs/coding.md``. Coding answers with
a codebook is :mod:`giftreview.text.coding`; checking a codebook is :mod:`giftreview.text.quality`.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from giftreview.data.instrument import Instrument, _format_loc, read_yaml
from giftreview.errors import ArgumentError, InstrumentError

__all__ = [
    "compile_pattern",
    "Theme",
    "Codebook",
    "parse_codebook",
    "load_codebook",
    "codebook_for",
    "suggest",
]

_ID_RE = r"^[a-z][a-z0-9_]*$"


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
            f"unknown theme {theme_id!r} in codebook {self.question}; {suggest(theme_id, self.ids)}"
        )

    def labels(self) -> dict[str, str]:
        """Mapping theme id -> label."""
        return {t.id: t.label for t in self.themes}


def suggest(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(value), list(known), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"{hint}known: {', '.join(known)}"


def _codebook_message(err: dict, data: dict) -> str:
    key = _format_loc(err["loc"], data)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        fields = Theme.model_fields if len(err["loc"]) > 1 else Codebook.model_fields
        msg = f"unknown key; {suggest(name, [f for f in fields if f != 'path'])}"
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
