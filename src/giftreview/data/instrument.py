"""The questionnaire as data: the whole instrument file, how it is read, and the names it implies.

An instrument is a YAML file that describes a survey: its parts, its questions (id, wording, type,
raw column, options or scale, missing codes, bins, codebook) and how the raw export is laid out.
Everything downstream (reading, validation, cleaning, scoring, the notebooks) is driven by it, so a
second, unrelated survey only needs another instrument file. The format is documented in
``docs/instrument-format.md``.

This module holds :class:`Instrument` (the whole file: checks across its pieces and lookups such
as :meth:`Instrument.levels_of`), the reading of a file (:func:`load_instrument`,
:func:`parse_instrument`, :func:`expand_batteries`, :func:`read_yaml`) and the names of the clean
table's derived columns (:func:`missing_column`, ...). The pieces themselves (questions, scales,
bins, the design) are pydantic models in :mod:`giftreview.data.spec`.

Spec files are validated with pydantic; every error is turned into an :class:`InstrumentError`
that names the file, the key path and the fix, e.g.::

    instruments/x.yaml: questions.B1.scale: unknown scale 'importance7'; defined scales: importance5
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from giftreview.data.ahead import file_sha256
from giftreview.data.spec import (
    Battery,
    DesignSpec,
    MissingCode,
    MultiItemScale,
    Option,
    Part,
    Question,
    RawLayout,
    Scale,
    Section,
    Survey,
    Unit,
    _Model,
    _spelling_key,
)
from giftreview.errors import InstrumentError
from giftreview.paths import DEFAULT_INSTRUMENT

__all__ = [
    "Instrument",
    "expand_batteries",
    "file_sha256",
    "read_yaml",
    "parse_instrument",
    "load_instrument",
    "MISSING_SUFFIX",
    "BIN_SUFFIX",
    "OTHER_SUFFIX",
    "missing_column",
    "bin_column",
    "option_column",
    "other_column",
]


class Instrument(_Model):
    """A whole instrument file (see ``docs/instrument-format.md``)."""

    format_version: Literal[1] = 1
    survey: Survey
    unit: Unit = Field(default_factory=Unit, description="what one response stands for")
    raw: RawLayout = Field(default_factory=RawLayout)
    group_by: str | None = Field(default=None, description="question id of the default grouping")
    missing_codes: list[MissingCode] = Field(default_factory=list)
    scales: dict[str, Scale] = Field(default_factory=dict)
    parts: list[Part] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)
    sections: list[Section] = Field(default_factory=list)
    max_quarantine: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="clean stops (exit 5) when a larger share of the rows is quarantined",
    )
    contacted: dict[str, int] | None = Field(
        default=None,
        description="units contacted per option code of group_by (post-stratification totals)",
    )
    design: DesignSpec | None = Field(
        default=None, description="sampling design and calibration (design-based estimates)"
    )
    batteries: list[Battery] = Field(
        default_factory=list, description="set on load from the questions of type 'battery'"
    )
    multi_item_scales: list[MultiItemScale] = Field(default_factory=list)
    path: Path | None = Field(default=None, exclude=True)

    # ---- cross-references -------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_references(self) -> Instrument:
        part_ids = [p.id for p in self.parts]
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"questions: ids repeat: {dup}; give each question its own id")
        cols = [q.raw_column for q in self.questions]
        dupc = sorted({c for c in cols if cols.count(c) > 1})
        if dupc:
            raise ValueError(
                f"questions: raw columns repeat: {dupc}; each question reads its own column"
            )
        for q in self.questions:
            if q.part not in part_ids:
                raise ValueError(
                    f"questions.{q.id}.part: unknown part {q.part!r}; parts: {part_ids}"
                )
            if q.scale is not None and q.scale not in self.scales:
                raise ValueError(
                    f"questions.{q.id}.scale: unknown scale {q.scale!r}; "
                    f"defined scales: {', '.join(self.scales) or '(none)'}"
                )
            self._check_missing_spellings(q)
        if self.group_by is not None:
            q = self._find(self.group_by)
            if q is None:
                raise ValueError(
                    f"group_by: unknown question {self.group_by!r}; {_suggest(self.group_by, ids)}"
                )
            if q.type not in ("single", "rating"):
                raise ValueError(
                    f"group_by: question {q.id} is '{q.type}'; group by a single-choice question"
                )
        for s in self.sections:
            for qid in s.questions:
                if qid not in ids:
                    raise ValueError(
                        f"sections.{s.id}.questions: unknown question {qid!r}; {_suggest(qid, ids)}"
                    )
        self._check_batteries_and_scales(ids, part_ids)
        if self.contacted is not None:
            if self.group_by is None:
                raise ValueError(
                    "contacted: needs group_by (the question whose options are the strata)"
                )
            codes = [str(o.code) for o in self._find(self.group_by).options]
            for k in self.contacted:
                if str(k) not in codes:
                    raise ValueError(
                        f"contacted.{k}: not an option code of {self.group_by}; codes: {codes}"
                    )
        if self.design is not None and self.design.calibration is not None:
            for i, margin in enumerate(self.design.calibration.margins):
                for var in margin.variables:
                    q = self._find(var)
                    if q is not None and q.type not in ("single", "rating"):
                        raise ValueError(
                            f"design.calibration.margins.{i}.variables: question {var} is "
                            f"'{q.type}'; calibrate on single-choice questions or data columns"
                        )
                    single = len(margin.variables) == 1
                    if q is not None and margin.population is not None and single:
                        levels = self.levels_of(var)
                        known = {str(o.code) for o in levels} | {o.label for o in levels}
                        unknown = sorted(k for k in margin.population if str(k) not in known)
                        if unknown:
                            raise ValueError(
                                f"design.calibration.margins.{i}.population: unknown cells "
                                f"{unknown} of {var}; codes: {[str(o.code) for o in levels]}"
                            )
        return self

    def _check_missing_spellings(self, q: Question) -> None:
        """A missing code spelt like an answer option would turn answers into missing."""
        levels = self.scales[q.scale].levels if q.scale in self.scales else q.options
        answers = {_spelling_key(s): o.label for o in levels for s in (o.label, o.code, *o.aliases)}
        missing = q.missing if q.missing is not None else self.missing_codes
        for m in missing:
            for s in (m.label, *m.aliases):
                if _spelling_key(s) in answers:
                    raise ValueError(
                        f"questions.{q.id}: {s!r} is both the missing code {m.label!r} and the "
                        f"answer {answers[_spelling_key(s)]!r}; keep it on one of them"
                    )

    def _check_batteries_and_scales(self, ids: list[str], part_ids: list[str]) -> None:
        for b in self.batteries:
            if b.id in ids:
                raise ValueError(
                    f"questions.{b.id}: the battery id is also a question id; rename one"
                )
        names = [m.id for m in self.multi_item_scales]
        taken = set(ids) | {b.id for b in self.batteries}
        dup = sorted({n for n in names if names.count(n) > 1} | (set(names) & taken))
        if dup:
            raise ValueError(
                f"multi_item_scales: ids {dup} repeat or are question or battery ids; give each "
                "its own id"
            )
        for m in self.multi_item_scales:
            key = f"multi_item_scales.{m.id}"
            if m.part is not None and m.part not in part_ids:
                raise ValueError(f"{key}.part: unknown part {m.part!r}; parts: {part_ids}")
            for item in m.items:
                q = self._find(item)
                if q is None:
                    raise ValueError(
                        f"{key}.items: unknown question {item!r}; {_suggest(item, ids)}"
                    )
                if q.type != "rating":
                    raise ValueError(
                        f"{key}.items: {item} is '{q.type}'; a scale scores rating questions only"
                    )
            scales = {self._find(i).scale for i in m.items}
            if len(scales) > 1:
                raise ValueError(
                    f"{key}.items: the items use different scales ({', '.join(sorted(scales))}); "
                    "score items that share one scale"
                )
            codes = [lv.code for lv in self.scales[scales.pop()].levels]
            if not all(_is_number(c) for c in codes):
                raise ValueError(
                    f"{key}: the items' scale has codes {codes}; scoring needs numeric level "
                    "codes (1, 2, ...)"
                )

    def _find(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    # ---- convenience ------------------------------------------------------------------------
    def question(self, qid: str) -> Question:
        """The question with id ``qid`` (raises :class:`InstrumentError` naming the known ids)."""
        q = self._find(qid)
        if q is None:
            raise InstrumentError(
                f"unknown question {qid!r}; {_suggest(qid, [x.id for x in self.questions])}",
                path=self.path,
            )
        return q

    def questions_of_type(self, *types: str) -> list[Question]:
        return [q for q in self.questions if q.type in types]

    def questions_in_part(self, part: str) -> list[Question]:
        return [q for q in self.questions if q.part == part]

    def part_title(self, part: str) -> str:
        return next((p.title for p in self.parts if p.id == part), part)

    def scale_of(self, qid: str) -> Scale:
        q = self.question(qid)
        if q.scale is None:
            raise InstrumentError(f"question {qid} has no scale (type {q.type})", path=self.path)
        return self.scales[q.scale]

    def missing_of(self, qid: str) -> list[MissingCode]:
        """Missing codes that apply to question ``qid``."""
        q = self.question(qid)
        return list(q.missing) if q.missing is not None else list(self.missing_codes)

    def levels_of(self, qid: str) -> list[Option]:
        """Answer options (single/multi) or scale levels (rating) of ``qid``, in order."""
        q = self.question(qid)
        if q.type == "rating":
            return list(self.scales[q.scale].levels)
        return list(q.options)

    def battery(self, battery_id: str) -> Battery:
        """The battery with id ``battery_id`` (raises :class:`InstrumentError` naming the known)."""
        b = next((b for b in self.batteries if b.id == battery_id), None)
        if b is None:
            known = [x.id for x in self.batteries]
            raise InstrumentError(
                f"unknown battery {battery_id!r}; {_suggest(battery_id, known)}", path=self.path
            )
        return b

    def multi_item_scale(self, scale_id: str) -> MultiItemScale:
        """The multi-item scale ``scale_id`` (raises :class:`InstrumentError` naming the known)."""
        m = next((m for m in self.multi_item_scales if m.id == scale_id), None)
        if m is None:
            known = [x.id for x in self.multi_item_scales]
            raise InstrumentError(
                f"unknown multi-item scale {scale_id!r}; {_suggest(scale_id, known)}",
                path=self.path,
            )
        return m

    def report_sections(self) -> list[Section]:
        """The sections to render: as declared, or one per part holding all its questions."""
        if self.sections:
            return list(self.sections)
        out = []
        for p in self.parts:
            qs = [q.id for q in self.questions_in_part(p.id)]
            if qs:
                out.append(
                    Section(id=f"part_{_slug(p.id)}", title=p.title, part=p.id, questions=qs)
                )
        return out

    def codebook_path(self, qid: str) -> Path | None:
        """Absolute path of the codebook of open question ``qid`` (or None)."""
        q = self.question(qid)
        if q.codebook is None:
            return None
        base = self.path.parent if self.path is not None else Path.cwd()
        return (base / q.codebook).resolve()

    @property
    def sha256(self) -> str | None:
        return file_sha256(self.path) if self.path is not None else None


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


_BATTERY_SHARED = ("part", "scale", "required", "missing")


def expand_batteries(data: dict) -> dict:
    """Expand every ``type: battery`` entry of ``questions`` into one rating question per item.

    A battery is written once::

        - id: AGREE
          type: battery
          part: personality
          number: 3
          text: "How accurately does each statement describe you?"
          scale: accuracy6
          items:
            - {id: A1, text: "Am indifferent to the feelings of others."}
            - {id: A2, text: "Inquire about others' well-being.", column: a2}

    and becomes the questions ``A1`` and ``A2`` (``type: rating``, the battery's ``part``,
    ``scale``, ``required`` and ``missing``, ``column`` defaulting to the item id,
    ``battery: AGREE``), in place, plus an entry of ``batteries`` recording the grouping. Input
    that is not a mapping with a list of questions is returned unchanged (validation reports it).
    """
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list) or not any(
        isinstance(q, dict) and q.get("type") == "battery" for q in questions
    ):
        return data
    out: list = []
    batteries: list[dict] = []
    for entry in questions:
        if not (isinstance(entry, dict) and entry.get("type") == "battery"):
            out.append(entry)
            continue
        bid = entry.get("id")
        extra = sorted(set(entry) - {"id", "type", "text", "number", "items", *_BATTERY_SHARED})
        if extra:
            raise ValueError(
                f"questions.{bid}: unknown key(s) {extra} for a battery; a battery takes id, "
                f"text, number, items, {', '.join(_BATTERY_SHARED)}"
            )
        items = entry.get("items")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValueError(
                f"questions.{bid}.items: give a list of items, each {{id: ..., text: ...}}"
            )
        shared = {k: entry[k] for k in _BATTERY_SHARED if k in entry}
        out += [{**shared, **item, "type": "rating", "battery": bid} for item in items]
        batteries.append(
            {
                "id": bid,
                "part": entry.get("part"),
                "number": entry.get("number"),
                "text": entry.get("text"),
                "scale": entry.get("scale"),
                "items": [i.get("id") for i in items],
            }
        )
    return {**data, "questions": out, "batteries": batteries}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _suggest(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(str(value), [str(k) for k in known], n=3)
    if close:
        return f"did you mean {', '.join(close)}? known: {', '.join(map(str, known))}"
    return f"known: {', '.join(map(str, known))}"


def _format_loc(loc: tuple[Any, ...], data: dict) -> str:
    """Turn a pydantic error location into a readable key path (question ids instead of indexes)."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            elem = node[item] if item < len(node) else None
            if isinstance(elem, dict) and "id" in elem:
                parts.append(str(elem["id"]))
            elif isinstance(elem, dict) and "label" in elem:
                parts.append(str(elem["label"]))
            else:
                parts.append(str(item))
            node = elem
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _readable(err: dict, data: dict) -> str:
    loc = tuple(
        x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-after"))
    )
    key = _format_loc(loc, data)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key; remove it or check its spelling (see docs/instrument-format.md)"
    elif err["type"] == "missing":
        msg = "required key is missing"
    return f"{key}: {msg}" if key else msg


def parse_instrument(data: Any, path: Path | str | None = None) -> Instrument:
    """Validate an already-parsed instrument mapping (raises :class:`InstrumentError`)."""
    if not isinstance(data, dict):
        raise InstrumentError(
            "the file does not hold a mapping; an instrument starts with keys such as "
            "'survey:', 'parts:' and 'questions:'",
            path=path,
        )
    if "batteries" in data:
        raise InstrumentError(
            "batteries: unknown key; write a battery as an entry of 'questions' with "
            "'type: battery' (see docs/instrument-format.md)",
            path=path,
        )
    try:
        data = expand_batteries(data)
    except ValueError as exc:
        raise InstrumentError(str(exc), path=path) from None
    try:
        inst = Instrument.model_validate({**data, "path": Path(path).resolve() if path else None})
    except ValidationError as exc:
        lines = [_readable(e, data) for e in exc.errors()]
        raise InstrumentError(
            "; ".join(lines) + (" (see docs/instrument-format.md)" if len(lines) > 1 else ""),
            path=path,
        ) from None
    for q in inst.questions_of_type("open"):
        cb = inst.codebook_path(q.id)
        if cb is not None and not cb.exists():
            raise InstrumentError(
                f"codebook file {q.codebook!r} not found (looked in {cb.parent}); "
                "fix the path, relative to the instrument file",
                path=path,
                key=f"questions.{q.id}.codebook",
            )
    return inst


def load_instrument(path: Path | str | None = None) -> Instrument:
    """Read and validate an instrument YAML file.

    Parameters
    ----------
    path
        The instrument file; default ``instruments/ungift_partner_survey.yaml``.

    Returns
    -------
    Instrument
        The validated instrument (immutable).

    Raises
    ------
    InstrumentError
        When the file is missing, is not YAML, or breaks a rule; the message names the file, the
        key path and the fix.
    """
    path = Path(path) if path is not None else DEFAULT_INSTRUMENT
    if not path.exists():
        raise InstrumentError(
            "instrument file not found; pass --instrument PATH to an existing file", path=path
        )
    data = read_yaml(path)
    try:
        return parse_instrument(data, path)
    except RecursionError:
        raise _too_deep(path) from None


def read_yaml(path: Path | str) -> Any:
    """Parse a YAML file (instrument, codebook, alias table) into Python objects.

    Raises
    ------
    InstrumentError
        Not UTF-8 (names the line and byte), not YAML (names the position) or nested too deeply
        (``RecursionError``); each message says what to fix.
    """
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InstrumentError(
            f"line {line}: byte 0x{exc.object[exc.start]:02X} is not UTF-8; save the file as "
            "UTF-8 text",
            path=path,
        ) from None
    except yaml.YAMLError as exc:
        raise InstrumentError(
            f"not valid YAML ({exc}); fix the syntax at the position shown", path=path
        ) from None
    except RecursionError:
        raise _too_deep(path) from None


def _too_deep(path: Path) -> InstrumentError:
    return InstrumentError(
        "the YAML is nested too deeply (lists or mappings inside each other hundreds of levels "
        "down); an instrument, codebook or alias table is a few levels deep: check the "
        "indentation and brackets (see docs/instrument-format.md)",
        path=path,
    )


# ---- names of columns in the clean table (see docs/data-contract.md) ----------------------------
MISSING_SUFFIX = "__missing"
BIN_SUFFIX = "__bin"
OTHER_SUFFIX = "__other_text"


def missing_column(qid: str) -> str:
    """Clean column holding the missing-code label of ``qid`` ("Don't know", "N/A" or NA)."""
    return f"{qid}{MISSING_SUFFIX}"


def bin_column(qid: str) -> str:
    """Clean column holding the reporting bin of count question ``qid``."""
    return f"{qid}{BIN_SUFFIX}"


def option_column(qid: str, code: str | int) -> str:
    """Clean boolean column: did the respondent choose option ``code`` of multi question ``qid``."""
    return f"{qid}__{code}"


def other_column(qid: str) -> str:
    """Clean column holding the 'Other (specify)' text of multi question ``qid``."""
    return f"{qid}{OTHER_SUFFIX}"
