"""Validation: every problem of a raw export at once, as a table.

The rules come from the instrument. :class:`Rules` reads one raw cell the way cleaning will
(labels, aliases and codes matched ignoring case and spaces, missing codes, counts written as
text, dates), so the validation report and the cleaning audit always agree.
:func:`validate_raw` collects, in one pass and without stopping at the first:

* file-level notes from reading (ragged rows, blank or repeated header names);
* structure: header names differing only in case/spaces, extra columns (kept), optional
  question columns that are absent (set missing); a missing *required* column stops with a
  :class:`~giftreview.errors.DataValidationError` naming the closest columns present;
* cell values (unknown labels with the closest valid labels suggested by rapidfuzz,
  out-of-range codes, unreadable counts and dates, cells over :data:`MAX_CELL_CHARS`);
* normalisations worth a look (counts written as ranges or words, "Other" text without the
  "Other" option, non-ISO dates);
* rows set aside: all blank, no id, exact duplicates, near-duplicates (same id; the latest
  submission is kept).

Columns of the report (``validation.csv``): see :data:`VALIDATION_COLUMNS`.

Work is per distinct value per column, never per cell (:func:`read_columns`): survey columns
hold few distinct spellings, so each is read once by :class:`Rules` and the result is broadcast
to the rows with whole-column joins; open text is normalised by vectorised string kernels
(:mod:`giftreview.data.columns`); duplicate rows are found by hashing. The problems and the
audit rows are frames built from those readings. The clean table's own contract is a pandera
schema (:mod:`giftreview.data.schema`).
rapidfuzz only *suggests* labels in messages; nothing is ever mapped by similarity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process, utils

from giftreview.data.columns import (
    char_length,
    collapse_lines,
    collapse_whitespace,
    distinct,
    ids_key,
    is_blank,
    strip,
)
from giftreview.data.instrument import Instrument, load_instrument
from giftreview.data.io import read_raw
from giftreview.data.spec import Question
from giftreview.errors import DataValidationError

__all__ = [
    "VALIDATION_COLUMNS",
    "MAX_CELL_CHARS",
    "Rule",
    "SET_MISSING_RULES",
    "REPORTED_NORMALISATIONS",
    "QUARANTINE_REASONS",
    "norm_key",
    "short",
    "Problem",
    "Cell",
    "Rules",
    "expected_columns",
    "required_columns",
    "check_structure",
    "ColumnRead",
    "read_columns",
    "read_column",
    "row_ids",
    "cell_issues",
    "quarantine_plan",
    "validate_raw",
    "run_validation",
    "validate_file",
    "validation_lines",
    "rule_counts",
    "rule_counts_table",
    "MAX_EXACT_COUNT",
]

VALIDATION_COLUMNS = [
    "file",
    "source_row",
    "respondent_id",
    "column",
    "value",
    "rule",
    "severity",
    "action",
    "message",
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


#: rules whose cell is set missing by cleaning (errors unless noted in ``_SEVERITY``)
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
_SEVERITY = {
    Rule.CELL_TOO_LONG: "warning",
    Rule.UNREADABLE_DATE: "warning",
    Rule.ALL_BLANK: "warning",
}
_SEVERITY[Rule.COLUMN_ABSENT] = "warning"  # an optional question the export left out
_SEVERITY |= {r: "warning" for r in (Rule.EXACT_DUPLICATE, Rule.NEAR_DUPLICATE)}
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
        return _SEVERITY.get(self.rule, "error")


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
            return Cell(rule="blank" if raw else None)
        if key in self._missing[qid]:
            miss = self._missing[qid][key]
            return Cell(missing=miss, rule=None if raw == miss else "missing_code", after=miss)
        return None

    def label(self, qid: str, raw: str) -> Cell:
        """Read a single-choice or rating cell: a level label, a missing code, or a problem."""
        text = raw.strip()
        key = norm_key(text)
        if key in self._labels[qid]:
            label, how = self._labels[qid][key]
            rule = None if raw == label else ("trim_space_case" if how == "label" else how)
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
                "out_of_range",
                f"{text!r} is outside the scale of {qid} (codes {codes[0]}-{codes[-1]}); set missing",
            )
        return _problem_cell("unknown_label", self.unknown_message(qid, text))

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
                out[str(s)] = (str(o.label), "alias")
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
                    Problem("unknown_option", self.unknown_message(qid, part.strip()))
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
                    "other_text_implies_other",
                    f"'{q.other_label}' text given without ticking it; '{q.other_label}' ticked",
                    action="normalised",
                )
            )
        labels = [self._label_of(qid, c) for c in codes]
        cell.value, cell.after = codes, "; ".join(labels)
        if cell.problems:
            cell.rule = cell.problems[0].rule
        elif [p.strip() for p in parts] != labels:
            cell.rule = "alias"
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
        if rule == "ambiguous_number":
            return _problem_cell(
                rule,
                f"{short(text, 80)!r} for {qid} may be a thousands separator or a decimal mark; "
                "write the number without it, or declare raw.decimal_mark ('.' or ',') in the "
                "instrument; set missing",
            )
        if number is None:
            return _problem_cell(
                "unreadable_count",
                f"cannot read {short(text, 80)!r} as a number for {qid}; write digits (3), a "
                "range (3-5) or a number word (none, two); set missing",
            )
        problem = _count_range_problem(q, number)
        if problem is not None:
            return _problem_cell("out_of_range", f"{short(text, 80)!r} {problem}")
        after = _number_text(number)
        cell = Cell(value=number, after=after, rule=None if raw == after else rule or "trim_space")
        if rule in REPORTED_NORMALISATIONS:
            cell.problems.append(
                Problem(rule, f"{text!r} read as {after} ({rule.replace('_', ' ')})", "normalised")
            )
        return cell

    def text(self, qid: str | None, raw: str, *, keep_lines: bool = False) -> Cell:
        """Open text or a list: whitespace normalised (list answers keep one item per line)."""
        if len(raw) > MAX_CELL_CHARS:
            return _problem_cell(
                "cell_too_long",
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
            return Cell(missing=miss, rule=None if raw == miss else "missing_code", after=miss)
        rule = None if after == raw else ("blank" if not after else "whitespace")
        return Cell(value=after or None, rule=rule, after=after)

    def date(self, raw: str) -> Cell:
        """Read a submission time: ISO 8601, else day-first ``dd/mm/yyyy [hh:mm[:ss]]``."""
        text = raw.strip()
        if not text:
            return Cell(rule="blank" if raw else None)
        try:
            when = datetime.fromisoformat(text)
            rule = None if text == raw else "trim_space_case"
        except ValueError:
            when, rule = _day_first(text), "date_format"
        if when is None:
            return _problem_cell(
                "unreadable_date",
                f"cannot read {short(text, 60)!r} as a date; use ISO 8601 (2010-03-15 14:22); "
                "set missing",
            )
        if when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        if not pd.Timestamp.min <= when <= pd.Timestamp.max:  # 9999-12-31 overflows datetime64
            return _problem_cell(
                "unreadable_date",
                f"date {short(text, 60)!r} lies outside the years 1677-2262 a timestamp holds "
                "(a placeholder such as 9999-12-31?); set missing",
            )
        cell = Cell(value=when, rule=rule, after=when.isoformat(sep=" "))
        if rule == "date_format":
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
    """key -> (label, how matched): labels first, then aliases, then codes."""
    out: dict[str, tuple[str, str]] = {}
    levels = instrument.levels_of(qid)
    for o in levels:
        out.setdefault(norm_key(o.label), (o.label, "label"))
    for o in levels:
        for a in o.aliases:
            out.setdefault(norm_key(a), (o.label, "alias"))
    for o in levels:
        out.setdefault(norm_key(o.code), (o.label, "code_to_label"))
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
        return None, "ambiguous_number"
    if decimal_mark == sep:  # the separator is the decimal mark: one group is a decimal
        return (float(key.replace(sep, ".")), None) if groups == 1 else (None, None)
    return float(key.replace(sep, "")), "thousands_separator"


def _read_count(
    key: str, words: dict[str, float], decimal_mark: str | None = None
) -> tuple[float | None, str | None]:
    """A count from normalised text, and the rule that read it."""
    rule = None
    m = _COUNT_APPROX.match(key)
    if m:
        key, rule = m.group(1).strip(), "approximate_number"
    m = _COUNT_UNIT.match(key)
    if m:
        key, rule = m.group(1).strip(), rule or "number_with_unit"
    number, grouped = _grouped_number(key, decimal_mark)
    if grouped == "ambiguous_number":
        return None, grouped
    if number is not None:
        return number, rule or grouped
    words = {norm_key(w): v for w, v in words.items()}
    if _NUMBER.match(key):
        return float(key.replace(",", ".")), rule
    if key in words:
        return float(words[key]), rule or "number_word"
    m = _RANGE.match(key)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        return ((lo + hi) / 2, "range_midpoint") if lo <= hi else (None, None)
    m = _LOWER.match(key)
    if m:
        return float(m.group(1) or m.group(2)), "lower_bound"
    return None, None


def _day_first(text: str) -> datetime | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


# ---- structure --------------------------------------------------------------------------------
def expected_columns(instrument: Instrument) -> list[str]:
    """Raw columns the instrument names, in instrument order."""
    raw = instrument.raw
    cols = [c for c in (raw.respondent_id, raw.organization, raw.submitted) if c]
    for q in instrument.questions:
        cols.append(q.raw_column)
        if q.other_column:
            cols.append(q.other_column)
        cols += q.option_columns  # read_raw joins them into q.raw_column
    return list(dict.fromkeys(cols))


def required_columns(instrument: Instrument) -> list[str]:
    """Raw columns without which a file cannot be cleaned: the id and required questions."""
    return [instrument.raw.respondent_id] + [
        q.raw_column for q in instrument.questions if q.required
    ]


def check_structure(
    data: pd.DataFrame, instrument: Instrument, file: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Match header names to the instrument; report extra and absent columns.

    Returns the data with headers renamed where they differ only in case/spaces, and the issues.
    Raises :class:`DataValidationError` when required columns are absent, listing for each the
    closest names present (rapidfuzz).
    """
    expected = expected_columns(instrument)
    by_key = {norm_key(c): c for c in expected}
    rename, issues = {}, []
    for col in data.columns:
        target = by_key.get(norm_key(col))
        if target is not None and target != col and target not in data.columns:
            rename[col] = target
            issues.append(
                _column_issue(
                    file,
                    target,
                    "header_renamed",
                    "normalised",
                    f"header {col!r} read as {target!r} (case/spaces differ)",
                    value=col,
                )
            )
    data = data.rename(columns=rename)
    absent = [c for c in required_columns(instrument) if c not in data.columns]
    if absent:
        raise DataValidationError(_absent_message(file, absent, list(data.columns), instrument))
    for col in data.columns:
        if col not in expected:
            issues.append(
                _column_issue(
                    file,
                    col,
                    "extra_column",
                    "kept",
                    f"column {col!r} is not in the instrument; kept as extra__{col}",
                )
            )
    optional = _optional_columns(instrument)
    for col in expected:
        if col not in data.columns:
            issue = _column_issue(
                file, col, "column_absent", "set missing", _absent_column_message(col, data)
            )
            if col not in optional:  # a misspelt header must not pass as an empty question
                issue["severity"] = "error"
            issues.append(issue)
    return data, issues


def _optional_columns(instrument: Instrument) -> set[str]:
    """Raw columns an export may leave out: questions marked ``optional: true`` (with their
    'Other' column) and the organization and submission columns."""
    raw = instrument.raw
    out = {c for c in (raw.organization, raw.submitted) if c}
    for q in instrument.questions:
        if q.optional:
            out |= {q.raw_column} | ({q.other_column} if q.other_column else set())
    return out


def _absent_column_message(col: str, data: pd.DataFrame) -> str:
    found = process.extractOne(col, [str(c) for c in data.columns], scorer=fuzz.WRatio)
    near = f"; the closest header is {found[0]!r}" if found and found[1] >= 60 else ""
    return (
        f"column {col!r} is not in the file{near}; its answers are set missing. Rename the "
        "header, set questions.<id>.column in the instrument, or mark the question "
        "'optional: true'"
    )


def _absent_message(file: str, absent: list[str], present: list[str], inst: Instrument) -> str:
    parts = []
    for col in absent:
        found = process.extract(col, present, scorer=fuzz.WRatio, limit=3)
        close = [name for name, score, _ in found if score >= 40]
        near = f" (closest columns present: {', '.join(close)})" if close else ""
        parts.append(f"{col!r}{near}")
    return (
        f"{file}: required column(s) missing: {'; '.join(parts)}. Rename the column in the export "
        f"or set its name in the instrument ({inst.path.name if inst.path else 'instrument'}: "
        "raw.respondent_id / questions.<id>.column). Columns present: "
        f"{', '.join(present[:20])}{' ...' if len(present) > 20 else ''}"
    )


def _issue(file, row, rid, column, value, rule, action, message, severity=None) -> dict[str, Any]:
    if severity is None:
        severity = Problem(rule, message, action).severity if action != "kept" else "warning"
    return {
        "file": file,
        "source_row": row,
        "respondent_id": rid,
        "column": column,
        "value": short(str(value)) if value is not None else None,
        "rule": rule,
        "severity": severity,
        "action": action,
        "message": message,
    }


def _column_issue(
    file: str, column: str, rule: str, action: str, message: str, value: str = ""
) -> dict[str, Any]:
    """An issue about a whole column (no source row, no respondent): see :func:`_issue`."""
    return _issue(file, None, None, column, value, rule, action, message)


# ---- whole columns, one distinct value at a time ------------------------------------------------
@dataclass
class ColumnRead:
    """One raw column read by the :class:`Rules`, each distinct spelling once.

    ``codes[i]`` is the distinct spelling of the row at position ``i``; every other array is
    indexed by distinct spelling ``u``: ``raw`` the spelling, ``value`` the clean value,
    ``missing`` the missing-code label, ``rule`` the audit rule (None when unchanged), ``after``
    the audit text, ``too_long`` whether the cell exceeds :data:`MAX_CELL_CHARS`. ``problems``
    has one row per problem: ``u, rule, action, message``, in the order the rules found them.
    ``value`` and ``after`` are pyarrow arrays for open text, numpy object arrays otherwise.
    """

    column: str
    codes: np.ndarray
    raw: pa.Array
    value: Any
    missing: np.ndarray
    rule: np.ndarray
    after: Any
    too_long: np.ndarray
    problems: pd.DataFrame

    def texts(self, what: str, u: np.ndarray) -> np.ndarray:
        """``after`` or ``raw`` of the distinct spellings ``u`` as Python strings."""
        arr = getattr(self, what)
        if isinstance(arr, pa.Array):
            return np.asarray(arr.take(pa.array(u, pa.int64())).to_pylist(), dtype=object)
        return arr[u]


_PROBLEM_COLUMNS = ["u", "rule", "action", "message"]
_ISO_PLAIN = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"


def read_columns(data: pd.DataFrame, rules: Rules) -> dict[str, ColumnRead]:
    """Every instrument column of ``data`` read by ``rules`` (see :func:`read_column`)."""
    return {
        col: read_column(data, col, rules)
        for col in expected_columns(rules.instrument)
        if col in data.columns
    }


def read_column(data: pd.DataFrame, column: str, rules: Rules) -> ColumnRead:
    """Read raw column ``column`` of ``data``: each distinct spelling once.

    Closed answers (labels, counts, option lists) go through :meth:`Rules.read` per distinct
    spelling; open text is normalised by vectorised string kernels; plain ISO dates are parsed by
    :func:`pandas.to_datetime` and only the other spellings by :meth:`Rules.date`. A multiple
    choice cell is read per distinct pair (spelling, whether its "Other (specify)" text is blank).
    """
    codes, raw = distinct(data[column])
    q = rules.by_column.get(column)
    if q is None and column == rules.instrument.raw.submitted:
        return _read_dates(column, codes, raw, rules)
    if q is None or q.type in ("open", "list"):
        qid = q.id if q is not None else None
        keep_lines = q is not None and q.type == "list"
        return _read_text(column, codes, raw, rules, qid, keep_lines)
    if q.type == "multi" and q.other_column and q.other_column in data.columns:
        other_codes, other_raw = distinct(data[q.other_column])
        filled = ~is_blank(other_raw)[other_codes]
        codes, pairs = pd.factorize(codes * 2 + filled)
        spellings = raw.to_pylist()
        cells = [
            _closed(rules, column, spellings[p // 2], other="x" if p % 2 else "") for p in pairs
        ]
        return _from_cells(column, np.asarray(codes, np.intp), raw.take(pairs // 2), cells)
    cells = [_closed(rules, column, s) for s in raw.to_pylist()]
    return _from_cells(column, codes, raw, cells)


def _closed(rules: Rules, column: str, raw: str, other: str = "") -> Cell:
    """A closed-answer cell; a cell over MAX_CELL_CHARS is not an answer (``cell_too_long``)."""
    if len(raw) > MAX_CELL_CHARS:
        return rules.text(None, raw)
    return rules.read(column, raw, {rules.by_column[column].other_column or "": other})


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element by element: lists stay list objects
        out[i] = v
    return out


def _from_cells(column: str, codes: np.ndarray, raw: pa.Array, cells: list[Cell]) -> ColumnRead:
    problems = pd.DataFrame(
        [(u, p.rule, p.action, p.message) for u, c in enumerate(cells) for p in c.problems],
        columns=_PROBLEM_COLUMNS,
    )
    return ColumnRead(
        column=column,
        codes=codes,
        raw=raw,
        value=_objects([c.value for c in cells]),
        missing=_objects([c.missing for c in cells]),
        rule=_objects([c.rule for c in cells]),
        after=_objects([c.after for c in cells]),
        too_long=char_length(raw) > MAX_CELL_CHARS,
        problems=problems,
    )


def _too_long_problems(raw: pa.Array, too_long: np.ndarray) -> pd.DataFrame:
    u = np.flatnonzero(too_long)
    lengths = char_length(raw.take(pa.array(u, pa.int64())))
    return pd.DataFrame(
        {
            "u": u,
            "rule": "cell_too_long",
            "action": "set missing",
            "message": [
                f"the cell holds {n} characters (limit {MAX_CELL_CHARS}); not read as an answer; "
                "set missing"
                for n in lengths
            ],
        },
        columns=_PROBLEM_COLUMNS,
    )


def _read_text(
    column: str, codes: np.ndarray, raw: pa.Array, rules: Rules, qid: str | None, keep_lines: bool
) -> ColumnRead:
    """:meth:`Rules.text` of every distinct spelling at once (vectorised; same results)."""
    too_long = char_length(raw) > MAX_CELL_CHARS
    after = collapse_lines(raw) if keep_lines else collapse_whitespace(raw)
    after = pc.if_else(pa.array(too_long), pa.scalar("", pa.large_string()), after)
    empty = char_length(after) == 0
    unchanged = np.asarray(pc.equal(after, raw).to_numpy(zero_copy_only=False), dtype=bool)
    rule = np.full(len(raw), None, dtype=object)
    rule[~unchanged & empty] = "blank"
    rule[~unchanged & ~empty] = "whitespace"
    rule[too_long] = "cell_too_long"
    missing = np.full(len(raw), None, dtype=object)
    if qid is not None and rules._missing[qid]:
        # only text no longer than the longest missing-code spelling can be one (casefold never
        # shortens a string), so few distinct values are looked up in Python
        longest = max(len(k) for k in rules._missing[qid])
        maybe = np.flatnonzero(~empty & (char_length(after) <= longest))
        texts = after.take(pa.array(maybe, pa.int64())).to_pylist()
        raws = raw.take(pa.array(maybe, pa.int64())).to_pylist()
        hits = [
            (u, rules._missing[qid][k], r)
            for u, t, r in zip(maybe, texts, raws, strict=True)
            if (k := norm_key(t)) in rules._missing[qid]
        ]
        if hits:
            u_hit = np.array([h[0] for h in hits], dtype=np.int64)
            mask = np.zeros(len(raw), dtype=bool)
            mask[u_hit] = True
            after = pc.replace_with_mask(
                after, pa.array(mask), pa.array([h[1] for h in hits], pa.large_string())
            )
            for u, miss, r in hits:
                missing[u] = miss
                rule[u] = None if r == miss else "missing_code"
            empty = empty | mask
    value = pc.if_else(pa.array(empty), pa.scalar(None, pa.large_string()), after)
    return ColumnRead(
        column, codes, raw, value, missing, rule, after, too_long, _too_long_problems(raw, too_long)
    )


def _read_dates(column: str, codes: np.ndarray, raw: pa.Array, rules: Rules) -> ColumnRead:
    """:meth:`Rules.date` of every distinct spelling; plain ISO dates parsed in one call."""
    n = len(raw)
    value = np.full(n, np.datetime64("NaT", "ns"))
    plain = np.flatnonzero(
        np.asarray(pc.match_substring_regex(raw, _ISO_PLAIN).to_numpy(zero_copy_only=False))
    )
    parsed = pd.to_datetime(
        pd.Series(raw.take(pa.array(plain, pa.int64())).to_pylist(), dtype=object),
        format="ISO8601",
        errors="coerce",
    )
    ok = parsed.notna().to_numpy() & (parsed >= pd.Timestamp.min).to_numpy()
    ok &= (parsed <= pd.Timestamp.max).to_numpy()
    value[plain[ok]] = parsed[ok].to_numpy().astype("datetime64[ns]")
    fast = np.zeros(n, dtype=bool)
    fast[plain[ok]] = True  # read as they are: no audit, no problem
    rule = np.full(n, None, dtype=object)
    after = np.full(n, None, dtype=object)
    slow = np.flatnonzero(~fast)
    texts = raw.take(pa.array(slow, pa.int64())).to_pylist()
    found = []
    for u, text in zip(slow, texts, strict=True):
        cell = rules.date(text) if len(text) <= MAX_CELL_CHARS else rules.text(None, text)
        if cell.value is not None:
            value[u] = np.datetime64(cell.value, "ns")
        rule[u], after[u] = cell.rule, cell.after
        found += [(u, p.rule, p.action, p.message) for p in cell.problems]
    return ColumnRead(
        column,
        codes,
        raw,
        value,
        np.full(n, None, dtype=object),
        rule,
        after,
        char_length(raw) > MAX_CELL_CHARS,
        pd.DataFrame(found, columns=_PROBLEM_COLUMNS),
    )


# ---- the cell report ---------------------------------------------------------------------------
def row_ids(data: pd.DataFrame, instrument: Instrument) -> np.ndarray:
    """The respondent id of every row as written, surrounding spaces dropped (object array)."""
    codes, raw = distinct(data[instrument.raw.respondent_id])
    return np.asarray(strip(raw).to_pylist(), dtype=object)[codes]


def cell_issues(
    data: pd.DataFrame, instrument: Instrument, reads: dict[str, ColumnRead], file: str
) -> pd.DataFrame:
    """Validation rows for the cells (columns :data:`VALIDATION_COLUMNS`), in file order.

    Within a row: the errors, column by column, then the normalisations worth a look (counts,
    option lists, then dates). Built per distinct spelling and joined to the rows that hold it.
    """
    warn_order = {c: i for i, c in enumerate(_warning_columns(data, instrument))}
    parts = []
    for j, (col, read) in enumerate(reads.items()):
        p = read.problems
        normalised = (p["action"] == "normalised").to_numpy()
        errors = p[~normalised & ~read.too_long[p["u"].to_numpy(np.intp)]]
        found = pd.concat(
            [
                _too_long_problems(read.raw, read.too_long).assign(phase=0, order=j),
                errors.assign(phase=0, order=j),
                p[normalised].assign(phase=1, order=warn_order.get(col, 0)),
            ],
            ignore_index=True,
        )
        if len(found):
            parts.append(_broadcast(read, found.assign(seq=np.arange(len(found)))))
    if not parts:
        return pd.DataFrame(columns=VALIDATION_COLUMNS)
    issues = pd.concat(parts, ignore_index=True).sort_values(
        ["pos", "phase", "order", "seq"], kind="stable"
    )
    pos = issues["pos"].to_numpy()
    rule, action = issues["rule"].to_numpy(object), issues["action"].to_numpy(object)
    severity = [
        "warning" if a == "normalised" else _SEVERITY.get(r, "error")
        for r, a in zip(rule, action, strict=True)
    ]
    return pd.DataFrame(
        {
            "file": file,
            "source_row": data.index.to_numpy()[pos],
            "respondent_id": row_ids(data, instrument)[pos],
            "column": issues["column"].to_numpy(object),
            "value": issues["value"].to_numpy(object),
            "rule": rule,
            "severity": severity,
            "action": action,
            "message": issues["message"].to_numpy(object),
        },
        columns=VALIDATION_COLUMNS,
    )


def _broadcast(read: ColumnRead, found: pd.DataFrame) -> pd.DataFrame:
    """Problems of distinct spellings joined to every row holding them (``pos`` = row position)."""
    u = found["u"].to_numpy(np.intp)
    hit = np.zeros(len(read.raw), dtype=bool)
    hit[u] = True
    pos = np.flatnonzero(hit[read.codes])
    uniq = np.unique(u)
    shown = pd.Series([short(t) for t in read.texts("raw", uniq)], index=uniq, dtype=object)
    found = found.assign(column=read.column, value=shown.reindex(u).to_numpy())
    rows = pd.DataFrame({"pos": pos, "u": read.codes[pos]})
    return rows.merge(found, on="u", how="inner")


def _warning_columns(data: pd.DataFrame, instrument: Instrument) -> list[str]:
    cols = [q.raw_column for q in instrument.questions if q.type in ("count", "multi")]
    if instrument.raw.submitted:
        cols.append(instrument.raw.submitted)
    return [c for c in cols if c in data.columns]


# ---- rows -------------------------------------------------------------------------------------
def quarantine_plan(
    data: pd.DataFrame,
    instrument: Instrument,
    rules: Rules,
    reads: dict[str, ColumnRead] | None = None,
) -> pd.DataFrame:
    """Rows to set aside, with the reason and an explanation.

    Rules, in order: ``all_blank`` (every cell blank); ``no_id`` (blank respondent id);
    ``exact_duplicate`` (every cell identical to an earlier row: the first is kept);
    ``near_duplicate`` (same id as another row with different answers: the latest submission is
    kept, by ``submitted``; when times tie or are unreadable, the row lower in the file).
    Ids are compared by :func:`~giftreview.data.columns.id_key`: surrounding spaces, case, Unicode
    width and invisible characters do not make two respondents.

    Rows are compared by hashing (:func:`pandas.util.hash_pandas_object` of the distinct-value
    codes of every cell); rows whose hashes collide are then compared cell by cell, so a hash
    collision can never merge two different rows. In R: ``duplicated(df)``.

    Returns
    -------
    pandas.DataFrame
        ``source_row, respondent_id, reason, message`` (index = source_row).
    """
    reads = reads or {}
    id_col = instrument.raw.respondent_id
    rows = data.index.to_numpy()
    cells: dict[str, np.ndarray] = {}
    blank = np.ones(len(data), dtype=bool)
    for col in data.columns:
        codes, raw = (reads[col].codes, reads[col].raw) if col in reads else distinct(data[col])
        cells[col] = codes
        blank &= is_blank(raw)[codes]
    id_codes, id_raw = distinct(data[id_col])
    rid = np.asarray(strip(id_raw).to_pylist(), dtype=object)
    key_codes, _ = pd.factorize(pd.Series(ids_key(list(rid)), dtype=object))
    cells[id_col] = np.asarray(key_codes)[id_codes]  # ' A ' and 'a' are A
    rid = rid[id_codes]
    no_id = ~blank & is_blank(id_raw)[id_codes]
    live = np.flatnonzero(~blank & ~no_id)
    first = _first_copies(pd.DataFrame(cells).iloc[live])
    exact = live[first != live]
    kept_of = dict(zip(exact, first[first != live], strict=True))
    plan = [
        *[(rows[i], "", "all_blank", "every cell is blank") for i in np.flatnonzero(blank)],
        *[
            (rows[i], "", "no_id", f"no {id_col}; the answers cannot be attributed")
            for i in np.flatnonzero(no_id)
        ],
        *[
            (
                rows[i],
                rid[i],
                "exact_duplicate",
                f"identical to row {rows[k]}; row {rows[k]} kept{_same_id_note(rid[i], rid[k])}",
            )
            for i, k in kept_of.items()
        ],
    ]
    remaining = live[first == live]
    submitted = instrument.raw.submitted
    when = (
        reads[submitted].value[reads[submitted].codes[remaining]]
        if submitted in reads
        else np.full(len(remaining), np.datetime64("NaT", "ns"))
    )
    plan += _near_duplicates(remaining, cells[id_col][remaining], when, rows, rid)
    out = pd.DataFrame(plan, columns=["source_row", "respondent_id", "reason", "message"])
    out = out.astype({"source_row": "int64"}) if len(out) else out
    return out.sort_values("source_row", kind="stable").set_index("source_row", drop=False)


def _first_copies(cells: pd.DataFrame) -> np.ndarray:
    """For each row position, the position of the first row identical to it (itself if none)."""
    pos = np.arange(len(cells))
    first = pos.copy()
    hashes = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    candidates = pd.Series(hashes).duplicated(keep=False).to_numpy()
    if candidates.any():  # confirm on the cells themselves: a hash collision merges nothing
        sub = cells.iloc[np.flatnonzero(candidates)]
        group = sub.groupby(list(sub.columns), sort=False).ngroup().to_numpy()
        subpos = pos[candidates]
        firsts = pd.Series(subpos).groupby(group).transform("min").to_numpy()
        first[candidates] = firsts
    return cells.index.to_numpy()[first]


def _same_id_note(rid: str, kept: str) -> str:
    if rid == kept:
        return ""
    return f" (its id {rid!r} is {kept!r} ignoring case, width and invisible characters)"


def _near_duplicates(
    live: np.ndarray, key: np.ndarray, when: np.ndarray, rows: np.ndarray, rid: np.ndarray
) -> list[tuple]:
    """Rows sharing an id: all but the latest submission (ties and unreadable: lowest row)."""
    frame = pd.DataFrame({"pos": live, "key": key, "has": ~np.isnat(when), "when": when})
    frame = frame[frame.duplicated("key", keep=False)]
    if frame.empty:
        return []
    frame = frame.sort_values(["key", "has", "when", "pos"], kind="stable")
    keep = frame.groupby("key", sort=False)["pos"].transform("last").to_numpy()
    out = []
    for i, k in zip(frame["pos"].to_numpy(), keep, strict=True):
        if i != k:
            out.append(
                (
                    rows[i],
                    rid[i],
                    "near_duplicate",
                    f"{rid[i]} submitted again with different answers; row {rows[k]} kept (the "
                    f"latest submission){_same_id_note(rid[i], rid[k])}",
                )
            )
    return out


# ---- the whole report -------------------------------------------------------------------------
def validate_raw(raw, instrument: Instrument) -> pd.DataFrame:
    """Every problem of a :class:`~giftreview.data.io.RawTable` at once (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per problem, columns :data:`VALIDATION_COLUMNS`, in file order (file-level first).
    """
    return run_validation(raw, instrument, Rules(instrument))[0]


def run_validation(
    raw, instrument: Instrument, rules: Rules
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, ColumnRead]]:
    """``(report, data, plan, reads)``: the report, the data with headers matched to the
    instrument, the :func:`quarantine_plan` and the :func:`read_columns` (shared with cleaning,
    so both see the same rows and read each distinct spelling once)."""
    file = raw.path.name
    data, issues = check_structure(raw.data, instrument, file)
    reads = read_columns(data, rules)
    plan = quarantine_plan(data, instrument, rules, reads)
    quarantined = [
        _issue(
            file,
            p.source_row,
            p.respondent_id,
            instrument.raw.respondent_id,
            "",
            p.reason,
            "quarantined",
            p.message,
        )
        for p in plan.itertuples(index=False)
    ]
    report = pd.concat(
        [
            pd.DataFrame(list(raw.notes) + issues, columns=VALIDATION_COLUMNS, dtype=object),
            cell_issues(data, instrument, reads, file).astype(object),
            pd.DataFrame(quarantined, columns=VALIDATION_COLUMNS, dtype=object),
        ],
        ignore_index=True,
    )
    in_quarantine = report["source_row"].isin(plan.index) & (report["action"] != "quarantined")
    report.loc[in_quarantine, "action"] = "none"
    report.loc[in_quarantine, "message"] = (
        report.loc[in_quarantine, "message"] + " (row quarantined)"
    )
    return _order(report), data, plan, reads


def _order(report: pd.DataFrame) -> pd.DataFrame:
    report = report.astype({"source_row": "Int64"})
    key = report["source_row"].fillna(-1)
    report = report.assign(_k=key).sort_values(["_k"], kind="stable").drop(columns="_k")
    return report.reset_index(drop=True)


def validate_file(
    raw_path: Path | str,
    instrument: Instrument | Path | str | None = None,
    *,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read ``raw_path`` and report every problem at once (nothing is written).

    Parameters
    ----------
    raw_path
        The raw export (CSV, XLSX or SPSS .sav).
    instrument
        An :class:`Instrument` or the path of one (default: the bundled instrument).
    sheet
        XLSX sheet (name or 0-based index).

    Returns
    -------
    pandas.DataFrame
        Columns ``file, source_row, respondent_id, column, value, rule, severity, action,
        message``; the same table ``giftreview clean`` writes as ``validation.csv``.

    Raises
    ------
    InputFileError
        The file cannot be read at all.
    DataValidationError
        A required column is missing (the message lists the closest names present).
    """
    if not isinstance(instrument, Instrument):
        instrument = load_instrument(instrument)
    return validate_raw(read_raw(raw_path, instrument, sheet=sheet), instrument)


def validation_lines(report: pd.DataFrame, limit: int = 40) -> list[str]:
    """The first ``limit`` problems (errors first) as two lines each, for a narrow terminal."""
    order = report.assign(_e=report["severity"] != "error").sort_values("_e", kind="stable")
    lines = []
    for r in order.head(limit).itertuples(index=False):
        row = "file" if pd.isna(r.source_row) else f"row {r.source_row}"
        rid = "" if pd.isna(r.respondent_id) or not r.respondent_id else f" {r.respondent_id}"
        lines.append(f"{r.severity:<7} {row}{rid} {r.column}: {r.rule} -> {r.action}")
        lines.append(f"        {r.message}")
    if len(report) > limit:
        lines.append(f"... {len(report) - limit} more; write them all with --out FILE.csv")
    return lines


def rule_counts(report: pd.DataFrame) -> pd.DataFrame:
    """Problems counted by severity, rule and action (a tidy summary of the report)."""
    return (
        report.groupby(["severity", "rule", "action"], dropna=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["severity", "n"], ascending=[True, False], kind="stable")
        .reset_index(drop=True)
    )


def rule_counts_table(report: pd.DataFrame):
    """:func:`rule_counts` as a rich table for the terminal."""
    from rich.table import Table

    table = Table(title=f"{len(report)} problem(s) by rule")
    for col in ("severity", "rule", "action", "n"):
        table.add_column(col, justify="right" if col == "n" else "left")
    for r in rule_counts(report).itertuples(index=False):
        table.add_row(
            r.severity, r.rule, r.action, str(r.n), style="red" if r.severity == "error" else None
        )
    return table
