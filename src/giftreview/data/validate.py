"""Validation: every problem of a raw export at once, as a table.

The rules come from the instrument. :class:`Rules` reads one raw cell the way cleaning will
(labels, aliases and codes matched ignoring case and spaces, missing codes, counts written as
text, dates), so the validation report and the cleaning audit always agree.
:func:`validate_raw` collects, in one pass and without stopping at the first:

* file-level notes from reading (ragged rows, blank or repeated header names);
* structure: header names differing only in case/spaces, extra columns (kept), optional
  question columns that are absent (set missing); a missing *required* column stops with a
  :class:`~giftreview.errors.DataValidationError` naming the closest columns present;
* cell values, checked by a pandera schema built from the instrument and run with
  ``lazy=True`` (unknown labels with the closest valid labels suggested by rapidfuzz,
  out-of-range codes, unreadable counts and dates, cells over :data:`MAX_CELL_CHARS`);
* normalisations worth a look (counts written as ranges or words, "Other" text without the
  "Other" option, non-ISO dates);
* rows set aside: all blank, no id, exact duplicates, near-duplicates (same id; the latest
  submission is kept).

Columns of the report (``validation.csv``): see :data:`VALIDATION_COLUMNS`.
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

import pandas as pd
import pandera.pandas as pa
from rapidfuzz import fuzz, process, utils

from giftreview.data.instrument import (
    Instrument,
    Question,
    load_instrument,
)
from giftreview.data.io import read_raw
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
    "raw_schema",
    "cell_failures",
    "cell_issues",
    "quarantine_plan",
    "validate_raw",
    "run_validation",
    "validate_file",
    "validation_lines",
    "rule_counts",
    "rule_counts_table",
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
    NUMBER_WORD = "number_word"
    NUMBER_WITH_UNIT = "number_with_unit"
    APPROXIMATE_NUMBER = "approximate_number"  # *
    RANGE_MIDPOINT = "range_midpoint"  # *
    LOWER_BOUND = "lower_bound"  # *
    DATE_FORMAT = "date_format"  # *
    OTHER_TEXT_IMPLIES_OTHER = "other_text_implies_other"  # *
    # a cell cleaning cannot read: set missing
    UNKNOWN_LABEL = "unknown_label"
    OUT_OF_RANGE = "out_of_range"
    UNREADABLE_COUNT = "unreadable_count"
    UNKNOWN_OPTION = "unknown_option"
    CELL_TOO_LONG = "cell_too_long"
    UNREADABLE_DATE = "unreadable_date"
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
)
#: normalisations reported as warnings (the others, e.g. alias spellings, are only audited)
REPORTED_NORMALISATIONS = (
    Rule.RANGE_MIDPOINT,
    Rule.APPROXIMATE_NUMBER,
    Rule.LOWER_BOUND,
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
        """Read a count: digits, ranges (midpoint), 'about 10', '12 staff', number words."""
        text = raw.strip()
        early = self._blank_or_missing(qid, raw)
        if early is not None:
            return early
        number, rule = _read_count(norm_key(text), self.instrument.question(qid).number_words)
        if number is None:
            return _problem_cell(
                "unreadable_count",
                f"cannot read {short(text, 80)!r} as a number for {qid}; write digits (3), a "
                "range (3-5) or a number word (none, two); set missing",
            )
        if number < 0:
            return _problem_cell("out_of_range", f"{text!r} is negative; a count is 0 or more")
        after = f"{number:g}"
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


def _problem_cell(rule: str, message: str) -> Cell:
    return Cell(rule=rule, problems=[Problem(rule, message)])


def _read_count(key: str, words: dict[str, float]) -> tuple[float | None, str | None]:
    """A count from normalised text, and the rule that read it."""
    rule = None
    m = _COUNT_APPROX.match(key)
    if m:
        key, rule = m.group(1).strip(), "approximate_number"
    m = _COUNT_UNIT.match(key)
    if m:
        key, rule = m.group(1).strip(), rule or "number_with_unit"
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


# ---- cell checks (pandera, lazy) ---------------------------------------------------------------
def raw_schema(instrument: Instrument, rules: Rules | None = None) -> pa.DataFrameSchema:
    """A pandera schema of the raw strings: one check per rule, named after the rule.

    Run with ``lazy=True`` so every failing cell is collected. Columns are optional here
    (absent columns are handled by :func:`check_structure`).
    """
    rules = rules or Rules(instrument)
    columns: dict[str, pa.Column] = {}
    for col in expected_columns(instrument):
        checks = [
            pa.Check(lambda v: len(v) <= MAX_CELL_CHARS, element_wise=True, name="cell_too_long")
        ]
        q = rules.by_column.get(col)
        if col == instrument.raw.submitted:
            checks.append(_rule_check(lambda v: rules.date(v), "unreadable_date"))
        elif q is not None and q.type in ("single", "rating"):
            checks.append(_rule_check(lambda v, i=q.id: rules.label(i, v), "unknown_label"))
            checks.append(_rule_check(lambda v, i=q.id: rules.label(i, v), "out_of_range"))
        elif q is not None and q.type == "count":
            checks.append(_rule_check(lambda v, i=q.id: rules.count(i, v), "unreadable_count"))
            checks.append(_rule_check(lambda v, i=q.id: rules.count(i, v), "out_of_range"))
        elif q is not None and q.type == "multi":
            checks.append(_rule_check(lambda v, i=q.id: rules.options(i, v), "unknown_option"))
        columns[col] = pa.Column(checks=checks, required=False, nullable=True)
    return pa.DataFrameSchema(columns, strict=False, name=instrument.survey.id)


def _rule_check(read, rule: str) -> pa.Check:
    def ok(value: str) -> bool:
        if len(value) > MAX_CELL_CHARS:
            return True  # reported once, by cell_too_long
        return all(p.rule != rule for p in read(value).problems)

    return pa.Check(ok, element_wise=True, name=rule)


def cell_failures(data: pd.DataFrame, instrument: Instrument, rules: Rules) -> pd.DataFrame:
    """Failing cells as pandera reports them: ``column, check, index`` (the source row)."""
    schema = raw_schema(instrument, rules)
    try:
        schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        return fc.loc[fc["index"].notna(), ["column", "check", "index"]].astype({"index": "int64"})
    return pd.DataFrame({"column": [], "check": [], "index": []})


def cell_issues(data: pd.DataFrame, instrument: Instrument, rules: Rules, file: str) -> list[dict]:
    """Validation rows for the cells: pandera failures (errors) plus reported normalisations."""
    id_col = instrument.raw.respondent_id
    records = data.astype(object).to_dict("index")
    found: list[tuple[int, str, Problem]] = []
    for col, rule, row in cell_failures(data, instrument, rules).itertuples(index=False):
        raw = str(records[row][col])
        cell = (
            rules.text(None, raw) if rule == "cell_too_long" else rules.read(col, raw, records[row])
        )
        found += [(row, col, p) for p in cell.problems if p.rule == rule]
    for col in _warning_columns(data, instrument):
        for row, record in records.items():
            cell = rules.read(col, str(record[col]), record)
            found += [(row, col, p) for p in cell.problems if p.action == "normalised"]
    return [
        _issue(
            file,
            row,
            str(records[row][id_col]).strip(),
            col,
            records[row][col],
            p.rule,
            p.action,
            p.message,
        )
        for row, col, p in found
    ]


def _warning_columns(data: pd.DataFrame, instrument: Instrument) -> list[str]:
    cols = [q.raw_column for q in instrument.questions if q.type in ("count", "multi")]
    if instrument.raw.submitted:
        cols.append(instrument.raw.submitted)
    return [c for c in cols if c in data.columns]


# ---- rows -------------------------------------------------------------------------------------
def quarantine_plan(data: pd.DataFrame, instrument: Instrument, rules: Rules) -> pd.DataFrame:
    """Rows to set aside, with the reason and an explanation.

    Rules, in order: ``all_blank`` (every cell blank); ``no_id`` (blank respondent id);
    ``exact_duplicate`` (every cell identical to an earlier row: the first is kept);
    ``near_duplicate`` (same id as another row with different answers: the latest submission is
    kept, by ``submitted``; when times tie or are unreadable, the row lower in the file).

    Returns
    -------
    pandas.DataFrame
        ``source_row, respondent_id, reason, message`` (index = source_row).
    """
    id_col = instrument.raw.respondent_id
    id_pos = list(data.columns).index(id_col)
    rows: list[tuple[int, str, str, str]] = []
    first_copy: dict[tuple, int] = {}
    live: list[int] = []
    for row, *cells in data.itertuples(name=None):
        cells = [str(c) for c in cells]
        rid = cells[id_pos].strip()
        if not any(c.strip() for c in cells):
            rows.append((row, "", "all_blank", "every cell is blank"))
        elif not rid:
            rows.append((row, "", "no_id", f"no {id_col}; the answers cannot be attributed"))
        else:
            key = tuple(rid if j == id_pos else c for j, c in enumerate(cells))  # " A " is A
            if key in first_copy:
                kept = first_copy[key]
                rows.append(
                    (row, rid, "exact_duplicate", f"identical to row {kept}; row {kept} kept")
                )
            else:
                first_copy[key] = row
                live.append(row)
    rows += _near_duplicates(data.loc[live], instrument, rules)
    out = pd.DataFrame(rows, columns=["source_row", "respondent_id", "reason", "message"])
    return out.sort_values("source_row").set_index("source_row", drop=False)


def _near_duplicates(live: pd.DataFrame, instrument: Instrument, rules: Rules):
    sub = instrument.raw.submitted
    ids = live[instrument.raw.respondent_id].astype(str).str.strip()
    rows = []
    for rid, group in live.groupby(ids, sort=False):
        if len(group) < 2:
            continue
        when = [
            rules.date(str(group.at[r, sub])).value if sub in group.columns else None
            for r in group.index
        ]
        order = sorted(
            zip(group.index, when, strict=True),
            key=lambda t: (t[1] is not None, t[1] or datetime.min, t[0]),
        )
        keep = order[-1][0]
        for row, _ in order[:-1]:
            rows.append(
                (
                    row,
                    rid,
                    "near_duplicate",
                    f"{rid} submitted again with different answers; row {keep} kept (the latest "
                    "submission)",
                )
            )
    return rows


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
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(report, data, plan)``: the report, the data with headers matched to the instrument,
    and the :func:`quarantine_plan` (shared with cleaning so both see the same rows)."""
    file = raw.path.name
    data, issues = check_structure(raw.data, instrument, file)
    issues = list(raw.notes) + issues
    issues += cell_issues(data, instrument, rules, file)
    plan = quarantine_plan(data, instrument, rules)
    for p in plan.itertuples(index=False):
        issues.append(
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
        )
    report = pd.DataFrame(issues, columns=VALIDATION_COLUMNS)
    in_quarantine = report["source_row"].isin(plan.index) & (report["action"] != "quarantined")
    report.loc[in_quarantine, "action"] = "none"
    report.loc[in_quarantine, "message"] = (
        report.loc[in_quarantine, "message"] + " (row quarantined)"
    )
    return _order(report), data, plan


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
