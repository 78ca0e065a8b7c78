"""The value rules: how one raw cell is read, and the names of every rule.

:class:`Rules` reads one raw cell the way cleaning will (labels, aliases and codes matched
ignoring case and spaces, missing codes, counts written as text, dates), so the validation report
(:mod:`giftreview.data.validate`) and the cleaning audit (:mod:`giftreview.data.clean`) always
agree. :class:`Rule` names every validation and cleaning rule; the groups
:data:`SET_MISSING_RULES`, :data:`REPORTED_NORMALISATIONS` and :data:`QUARANTINE_REASONS` say
what each does. Whole columns are read per distinct spelling by
:mod:`giftreview.data.readings`, which calls these rules once per spelling.
rapidfuzz only *suggests* labels in messages; nothing is ever mapped by similarity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process, utils

from giftreview.data.instrument import Instrument
from giftreview.data.spec import Question

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_EXACT_COUNT",
    "Rule",
    "SET_MISSING_RULES",
    "REPORTED_NORMALISATIONS",
    "QUARANTINE_REASONS",
    "SEVERITY",
    "norm_key",
    "short",
    "Problem",
    "Cell",
    "Rules",
]

#: a cell longer than this is not an answer (a paste accident, an attack): it is set missing
MAX_CELL_CHARS = 20_000


class Rule(StrEnum):
    """The name of every validation and cleaning rule (the ``rule`` column of validation.csv and
    audit.csv, the ``reason`` of quarantine.csv). A member is its string (``Rule.ALIAS ==
    "alias"``), so the files read exactly as before and code may compare either."""

    # a cell changed by cleaning (audited; the starred ones also reported as warnings)
    BLANK = "blank"
    WHITESPACE = "whitespace"
    TRIM_SPACE = "trim_space"
    TRIM_SPACE_CASE = "trim_space_case"
    MISSING_CODE = "missing_code"
    ALIAS = "alias"
    CODE_TO_LABEL = "code_to_label"
    NUMERIC_CODE = "numeric_code"
    NUMBER_WORD = "number_word"
    NUMBER_WITH_UNIT = "number_with_unit"
    APPROXIMATE_NUMBER = "approximate_number"  # *
    RANGE_MIDPOINT = "range_midpoint"  # *
    LOWER_BOUND = "lower_bound"  # *
    THOUSANDS_SEPARATOR = "thousands_separator"  # *
    DATE_FORMAT = "date_format"  # *
    OTHER_TEXT_IMPLIES_OTHER = "other_text_implies_other"  # *
    # a cell cleaning cannot read: set missing
    UNKNOWN_LABEL = "unknown_label"
    OUT_OF_RANGE = "out_of_range"
    UNREADABLE_COUNT = "unreadable_count"
    UNKNOWN_OPTION = "unknown_option"
    CELL_TOO_LONG = "cell_too_long"
    UNREADABLE_DATE = "unreadable_date"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    # the file's columns
    HEADER_RENAMED = "header_renamed"  # *
    EXTRA_COLUMN = "extra_column"
    COLUMN_ABSENT = "column_absent"
    # a row set aside in the quarantine
    ALL_BLANK = "all_blank"
    NO_ID = "no_id"
    EXACT_DUPLICATE = "exact_duplicate"
    NEAR_DUPLICATE = "near_duplicate"


#: rules whose cell is set missing by cleaning (errors unless noted in ``SEVERITY``)
SET_MISSING_RULES = (
    Rule.UNKNOWN_LABEL,
    Rule.OUT_OF_RANGE,
    Rule.UNREADABLE_COUNT,
    Rule.UNKNOWN_OPTION,
    Rule.CELL_TOO_LONG,
    Rule.UNREADABLE_DATE,
    Rule.AMBIGUOUS_NUMBER,
)
#: normalisations reported as warnings (the others, e.g. alias spellings, are only audited)
REPORTED_NORMALISATIONS = (
    Rule.RANGE_MIDPOINT,
    Rule.APPROXIMATE_NUMBER,
    Rule.LOWER_BOUND,
    Rule.THOUSANDS_SEPARATOR,
    Rule.OTHER_TEXT_IMPLIES_OTHER,
    Rule.DATE_FORMAT,
    Rule.HEADER_RENAMED,
)
QUARANTINE_REASONS = (Rule.ALL_BLANK, Rule.NO_ID, Rule.EXACT_DUPLICATE, Rule.NEAR_DUPLICATE)
SEVERITY = {
    Rule.CELL_TOO_LONG: "warning",
    Rule.UNREADABLE_DATE: "warning",
    Rule.ALL_BLANK: "warning",
}
SEVERITY[Rule.COLUMN_ABSENT] = "warning"  # an optional question the export left out
SEVERITY |= {r: "warning" for r in (Rule.EXACT_DUPLICATE, Rule.NEAR_DUPLICATE)}
_VALUE_CHARS = 200


def norm_key(text: object) -> str:
    """Matching key of a label: whitespace collapsed, case folded (``' Very  IMPORTANT'`` ->
    ``'very important'``)."""
    return " ".join(str(text).split()).casefold()


def short(text: str, limit: int = _VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass
class Problem:
    """One thing wrong with a cell (becomes a validation row)."""

    rule: str
    message: str
    action: str = "set missing"

    @property
    def severity(self) -> str:
        if self.action == "normalised":
            return "warning"
        return SEVERITY.get(self.rule, "error")


@dataclass
class Cell:
    """A raw cell read by the rules.

    ``value`` is the clean value (label, number, list of option codes, text, datetime) or None;
    ``missing`` the missing-code label; ``after`` the text written to the audit log; ``rule`` the
    audit rule when the cell changed.
    """

    value: Any = None
    missing: str | None = None
    rule: str | None = None
    after: str = ""
    problems: list[Problem] = field(default_factory=list)


# ---- the rules --------------------------------------------------------------------------------
_COUNT_APPROX = re.compile(
    r"^(?:about|approx\.?|approximately|around|ca\.?|circa|roughly|some|~|\+/-|est\.?)\s*(.+)$"
)
_COUNT_UNIT = re.compile(
    r"^(.+?)\s*(?:staff|people|persons?|employees|professionals|officers|fte|full[- ]time|"
    r"staff members|pax)\.?$"
)
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)$")
_LOWER = re.compile(r"^(?:more than|over|at least|>)\s*(\d+)$|^(\d+)\s*\+$")
_DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")


class Rules:
    """The instrument's rules for reading raw cells (built once per instrument)."""

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.by_column: dict[str, Question] = {q.raw_column: q for q in instrument.questions}
        self.by_other_column: dict[str, Question] = {
            q.other_column: q for q in instrument.questions if q.other_column
        }
        self._labels: dict[str, dict[str, tuple[str, str]]] = {}
        #: readings of closed answers by (column, spelling, other text), kept across the blocks
        #: of a file (:func:`giftreview.data.readings.read_column`)
        self.read_cache: dict[tuple[str, str, str], Cell] = {}
        self._missing: dict[str, dict[str, str]] = {}
        for q in instrument.questions:
            self._missing[q.id] = {
                norm_key(s): m.label
                for m in instrument.missing_of(q.id)
                for s in (*m.aliases, m.label)
            }
            if q.type in ("single", "rating", "multi"):
                self._labels[q.id] = _label_lookup(instrument, q.id)

    # -- closed answers --
    def _blank_or_missing(self, qid: str, raw: str) -> Cell | None:
        """A blank cell or a missing code (``dont know`` -> ``Don't know``); None otherwise."""
        key = norm_key(raw)
        if not key:
            return Cell(rule=Rule.BLANK if raw else None)
        if key in self._missing[qid]:
            miss = self._missing[qid][key]
            return Cell(missing=miss, rule=None if raw == miss else Rule.MISSING_CODE, after=miss)
        return None

    def label(self, qid: str, raw: str) -> Cell:
        """Read a single-choice or rating cell: a level label, a missing code, or a problem."""
        text = raw.strip()
        key = norm_key(text)
        if key in self._labels[qid]:
            label, how = self._labels[qid][key]
            rule = None if raw == label else how
            return Cell(value=label, rule=rule, after=label)
        return self._blank_or_missing(qid, raw) or self._bad_label(qid, text)

    def _bad_label(self, qid: str, text: str) -> Cell:
        q = self.instrument.question(qid)
        code = _integer_spelling(text)
        levels = self.instrument.levels_of(qid) if code is not None else []
        label = next((o.label for o in levels if str(o.code) == code), None)
        if label is not None:  # '05', '5.0' spell code 5: audited cell by cell
            return Cell(value=label, rule=Rule.NUMERIC_CODE, after=label)
        if q.type == "rating" and _NUMBER.match(text):
            codes = [str(lv.code) for lv in self.instrument.levels_of(qid)]
            return _problem_cell(
                Rule.OUT_OF_RANGE,
                f"{text!r} is outside the scale of {qid} (codes {codes[0]}-{codes[-1]}); set missing",
            )
        return _problem_cell(Rule.UNKNOWN_LABEL, self.unknown_message(qid, text))

    def unknown_message(self, qid: str, text: str) -> str:
        """'unknown value ... closest labels: ...' with rapidfuzz suggestions (never applied)."""
        labels = [str(o.label) for o in self.instrument.levels_of(qid)]
        spellings = {s: lab for s, (lab, _) in self._spellings(qid).items()}
        found = process.extract(
            text, list(spellings), scorer=fuzz.WRatio, processor=utils.default_process, limit=6
        )
        close = list(dict.fromkeys(spellings[s] for s, score, _ in found if score >= 50))[:3]
        hint = f"closest labels: {', '.join(close)}; " if close else ""
        return (
            f"unknown value {short(text, 80)!r} for {qid}; {hint}valid labels: {', '.join(labels)}. "
            "Set missing; if it means one of them, add it to that option's aliases in the instrument"
        )

    def _spellings(self, qid: str) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for o in self.instrument.levels_of(qid):
            for s in (o.label, *o.aliases):
                out[str(s)] = (str(o.label), Rule.ALIAS)
        return out

    def options(self, qid: str, raw: str, other_text: str = "") -> Cell:
        """Read a multiple-choice cell into the list of chosen option codes."""
        q = self.instrument.question(qid)
        early = self._blank_or_missing(qid, raw)
        if early is not None:
            return early
        codes: list[str] = []
        cell = Cell()
        parts = [p for p in raw.split(q.separator) if p.strip()]
        for part in parts:
            hit = self._labels[qid].get(norm_key(part))
            if hit is None:
                cell.problems.append(
                    Problem(Rule.UNKNOWN_OPTION, self.unknown_message(qid, part.strip()))
                )
                continue
            code = self._code_of(qid, hit[0])
            if code not in codes:
                codes.append(code)
        other = _other_code(q)
        if other_text.strip() and other is not None and other not in codes:
            codes.append(other)
            cell.problems.append(
                Problem(
                    Rule.OTHER_TEXT_IMPLIES_OTHER,
                    f"'{q.other_label}' text given without ticking it; '{q.other_label}' ticked",
                    action="normalised",
                )
            )
        labels = [self._label_of(qid, c) for c in codes]
        cell.value, cell.after = codes, "; ".join(labels)
        if cell.problems:
            cell.rule = cell.problems[0].rule
        elif [p.strip() for p in parts] != labels:
            cell.rule = Rule.ALIAS
        return cell

    def other_text(self, q: Question, raw: str, row: Mapping[str, Any] | None) -> Cell:
        """The 'Other (specify)' text of multi question ``q`` (clean column ``<QID>__other_text``)."""
        return self.text(None, raw)

    def _code_of(self, qid: str, label: str) -> str:
        return next(str(o.code) for o in self.instrument.levels_of(qid) if o.label == label)

    def _label_of(self, qid: str, code: str) -> str:
        return next(o.label for o in self.instrument.levels_of(qid) if str(o.code) == code)

    def count(self, qid: str, raw: str) -> Cell:
        """Read a count: digits, ranges (midpoint), 'about 10', '12 staff', number words.

        Thousands separators follow ``raw.decimal_mark``; without it ``1,000`` and ``1.000`` are
        ambiguous (set missing). Negative, infinite, overflowing (beyond 2**53, where floats stop
        counting exactly) and values outside the question's ``min``/``max`` are out of range.
        """
        text = raw.strip()
        early = self._blank_or_missing(qid, raw)
        if early is not None:
            return early
        q = self.instrument.question(qid)
        number, rule = _read_count(norm_key(text), q.number_words, self.instrument.raw.decimal_mark)
        if rule == Rule.AMBIGUOUS_NUMBER:
            return _problem_cell(
                rule,
                f"{short(text, 80)!r} for {qid} may be a thousands separator or a decimal mark; "
                "write the number without it, or declare raw.decimal_mark ('.' or ',') in the "
                "instrument; set missing",
            )
        if number is None:
            return _problem_cell(
                Rule.UNREADABLE_COUNT,
                f"cannot read {short(text, 80)!r} as a number for {qid}; write digits (3), a "
                "range (3-5) or a number word (none, two); set missing",
            )
        problem = _count_range_problem(q, number)
        if problem is not None:
            return _problem_cell(Rule.OUT_OF_RANGE, f"{short(text, 80)!r} {problem}")
        after = _number_text(number)
        cell = Cell(
            value=number, after=after, rule=None if raw == after else rule or Rule.TRIM_SPACE
        )
        if rule in REPORTED_NORMALISATIONS:
            cell.problems.append(
                Problem(rule, f"{text!r} read as {after} ({rule.replace('_', ' ')})", "normalised")
            )
        return cell

    def text(self, qid: str | None, raw: str, *, keep_lines: bool = False) -> Cell:
        """Open text or a list: whitespace normalised (list answers keep one item per line)."""
        if len(raw) > MAX_CELL_CHARS:
            return _problem_cell(
                Rule.CELL_TOO_LONG,
                f"the cell holds {len(raw)} characters (limit {MAX_CELL_CHARS}); not read as an "
                "answer; set missing",
            )
        if keep_lines:
            lines = [" ".join(line.split()) for line in raw.splitlines()]
            after = "\n".join(line for line in lines if line)
        else:
            after = " ".join(raw.split())
        if qid is not None and after and norm_key(after) in self._missing[qid]:
            miss = self._missing[qid][norm_key(after)]
            return Cell(missing=miss, rule=None if raw == miss else Rule.MISSING_CODE, after=miss)
        rule = None if after == raw else (Rule.BLANK if not after else Rule.WHITESPACE)
        return Cell(value=after or None, rule=rule, after=after)

    def date(self, raw: str) -> Cell:
        """Read a submission time: ISO 8601, else day-first ``dd/mm/yyyy [hh:mm[:ss]]``."""
        text = raw.strip()
        if not text:
            return Cell(rule=Rule.BLANK if raw else None)
        try:
            when = datetime.fromisoformat(text)
            rule = None if text == raw else Rule.TRIM_SPACE_CASE
        except ValueError:
            when, rule = _day_first(text), Rule.DATE_FORMAT
        if when is None:
            return _problem_cell(
                Rule.UNREADABLE_DATE,
                f"cannot read {short(text, 60)!r} as a date; use ISO 8601 (2010-03-15 14:22); "
                "set missing",
            )
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        if not pd.Timestamp.min <= when <= pd.Timestamp.max:  # 9999-12-31 overflows datetime64
            return _problem_cell(
                Rule.UNREADABLE_DATE,
                f"date {short(text, 60)!r} lies outside the years 1677-2262 a timestamp holds "
                "(a placeholder such as 9999-12-31?); set missing",
            )
        cell = Cell(value=when, rule=rule, after=when.isoformat(sep=" "))
        if rule == Rule.DATE_FORMAT:
            cell.problems.append(
                Problem(rule, f"{text!r} read day-first as {cell.after}", "normalised")
            )
        return cell

    def read(self, column: str, raw: str, row: Mapping[str, Any] | None = None) -> Cell:
        """Read the cell of raw column ``column``; ``row`` (column -> raw text) gives a multiple
        choice question its 'Other (specify)' text."""
        q = self.by_column.get(column)
        if q is None:
            if column == self.instrument.raw.submitted:
                return self.date(raw)
            if column in self.by_other_column:
                return self.other_text(self.by_other_column[column], raw, row)
            return self.text(None, raw)
        if q.type in ("single", "rating"):
            return self.label(q.id, raw)
        if q.type == "count":
            return self.count(q.id, raw)
        if q.type == "multi":
            other = ""
            if row is not None and q.other_column and q.other_column in row:
                other = str(row[q.other_column])
            return self.options(q.id, raw, other)
        return self.text(q.id, raw, keep_lines=q.type == "list")


def _label_lookup(instrument: Instrument, qid: str) -> dict[str, tuple[str, str]]:
    """key -> (label, the audit rule of a spelling matched so): labels first (matched ignoring
    case and spaces: ``trim_space_case``), then aliases, then codes."""
    out: dict[str, tuple[str, str]] = {}
    levels = instrument.levels_of(qid)
    for o in levels:
        out.setdefault(norm_key(o.label), (o.label, Rule.TRIM_SPACE_CASE))
    for o in levels:
        for a in o.aliases:
            out.setdefault(norm_key(a), (o.label, Rule.ALIAS))
    for o in levels:
        out.setdefault(norm_key(o.code), (o.label, Rule.CODE_TO_LABEL))
    return out


def _other_code(q: Question) -> str | None:
    for o in q.options:
        if o.label == q.other_label or str(o.code) == "other":
            return str(o.code)
    return None


def _integer_spelling(text: str) -> str | None:
    """``'5'`` for ``'05'``, ``'5.0'`` or ``'+5'``: the integer a numeric spelling names, if any."""
    if not _INTEGERISH.match(text):
        return None
    value = float(text.replace(",", "."))
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else None


_INTEGERISH = re.compile(r"^[+-]?\d{1,15}(?:[.,]0{1,2})?$")  # not 1,000: ambiguous


def _problem_cell(rule: str, message: str) -> Cell:
    return Cell(rule=rule, problems=[Problem(rule, message)])


#: 2**53: from here on floats no longer count in steps of one; a "count" this large is an overflow
MAX_EXACT_COUNT = float(2**53)


def _count_range_problem(q: Question, number: float) -> str | None:
    """Why ``number`` cannot be a count of ``q`` (None when it can)."""
    if number != number or number in (float("inf"), float("-inf")) or number >= MAX_EXACT_COUNT:
        return f"is too large to be a count of {q.id} (overflow); set missing"
    if number < 0:
        return "is negative; a count is 0 or more"
    if q.min is not None and number < q.min:
        return f"is below the smallest plausible value of {q.id} (min {q.min:g}); set missing"
    if q.max is not None and number > q.max:
        return f"is above the largest plausible value of {q.id} (max {q.max:g}); set missing"
    return None


def _number_text(number: float) -> str:
    """``4`` for 4.0, ``2.5`` for 2.5, ``1000000`` for 1e6 (no exponent for whole numbers)."""
    text = f"{number:g}"
    if "e" in text and number.is_integer():
        return f"{number:.0f}"
    return text


_GROUPED = re.compile(r"^\d{1,3}([.,])\d{3}(?:\1\d{3})*$")


def _grouped_number(key: str, decimal_mark: str | None) -> tuple[float | None, str | None]:
    """A number written with a thousands separator (``1,000``, ``1.000.000``), read by the
    declared decimal mark; ``(None, None)`` when ``key`` is not written so."""
    m = _GROUPED.match(key)
    if m is None:
        return None, None
    sep = m.group(1)
    groups = key.count(sep)
    if decimal_mark is None and groups == 1:
        return None, Rule.AMBIGUOUS_NUMBER
    if decimal_mark == sep:  # the separator is the decimal mark: one group is a decimal
        return (float(key.replace(sep, ".")), None) if groups == 1 else (None, None)
    return float(key.replace(sep, "")), Rule.THOUSANDS_SEPARATOR


def _read_count(
    key: str, words: dict[str, float], decimal_mark: str | None = None
) -> tuple[float | None, str | None]:
    """A count from normalised text, and the rule that read it."""
    rule = None
    m = _COUNT_APPROX.match(key)
    if m:
        key, rule = m.group(1).strip(), Rule.APPROXIMATE_NUMBER
    m = _COUNT_UNIT.match(key)
    if m:
        key, rule = m.group(1).strip(), rule or Rule.NUMBER_WITH_UNIT
    number, grouped = _grouped_number(key, decimal_mark)
    if grouped == Rule.AMBIGUOUS_NUMBER:
        return None, grouped
    if number is not None:
        return number, rule or grouped
    words = {norm_key(w): v for w, v in words.items()}
    if _NUMBER.match(key):
        return float(key.replace(",", ".")), rule
    if key in words:
        return float(words[key]), rule or Rule.NUMBER_WORD
    m = _RANGE.match(key)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        return ((lo + hi) / 2, Rule.RANGE_MIDPOINT) if lo <= hi else (None, None)
    m = _LOWER.match(key)
    if m:
        return float(m.group(1) or m.group(2)), Rule.LOWER_BOUND
    return None, None


def _day_first(text: str) -> datetime | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
