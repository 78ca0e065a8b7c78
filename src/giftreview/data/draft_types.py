"""What a raw column is: the guesses behind a drafted instrument, one column at a time.

:func:`guess_column` (and its export-aware wrapper, :func:`from_export`) looks at a column's name
and values and guesses a question type, options, a rating scale, count bins and the missing codes,
with a note saying what was guessed from what; :func:`layout_roles` finds the id, organization and
submission-time columns. The vocabularies are public (:data:`SCALE_WORDS`, :data:`MISSING_WORDS`).
Which ratings form batteries and scales is :mod:`giftreview.data.draft_scales`; the YAML is
written by :mod:`giftreview.data.draft` (whose docstring tabulates the rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from giftreview.data.platforms import Column

__all__ = [
    "SCALE_WORDS",
    "MISSING_WORDS",
    "WHOLE_NUMBER",
    "MAX_OPTIONS",
    "LONG_TEXT",
    "MAX_CODES",
    "Guess",
    "slug",
    "missing_label",
    "guess_column",
    "layout_roles",
    "from_export",
    "spread_guess",
    "scale_names",
]

#: ordered vocabularies a rating scale is recognised by (lowest first)
SCALE_WORDS: dict[str, list[str]] = {
    "agreement": [
        "strongly disagree",
        "disagree",
        "somewhat disagree",
        "neither agree nor disagree",
        "somewhat agree",
        "agree",
        "strongly agree",
    ],
    "importance": [
        "not at all important",
        "not important",
        "slightly important",
        "moderately important",
        "important",
        "very important",
        "extremely important",
    ],
    "satisfaction": [
        "extremely dissatisfied",
        "very dissatisfied",
        "dissatisfied",
        "somewhat dissatisfied",
        "neither",
        "neither satisfied nor dissatisfied",
        "somewhat satisfied",
        "satisfied",
        "very satisfied",
        "extremely satisfied",
    ],
    "frequency": ["never", "rarely", "sometimes", "often", "always"],
    "quality": ["very poor", "poor", "fair", "good", "very good", "excellent"],
    "likelihood": ["very unlikely", "unlikely", "neutral", "likely", "very likely"],
}
#: answers read as "no substantive answer"
MISSING_WORDS: dict[str, list[str]] = {
    "Don't know": ["don't know", "dont know", "do not know", "dk", "not sure"],
    "N/A": ["n/a", "na", "not applicable", "n.a."],
    "Prefer not to say": ["prefer not to say", "prefer not to answer", "refused", "no answer"],
}
_ID_NAME = re.compile(r"(^|[_\s])(id|code|uuid|respondent)([_\s]|$)", re.IGNORECASE)
_ORG_NAME = re.compile(r"organi[sz]ation|^org$|_name$|^name$", re.IGNORECASE)
_TIME_NAME = re.compile(r"date|time|submitted|timestamp", re.IGNORECASE)
#: a whole number as exports write it ("3", "3.0")
WHOLE_NUMBER = re.compile(r"^\d+(\.0+)?$")
_NUMBER_WORDS = {"none", "zero", "one", "two", "three", "four", "five", "ten", "no", "nil"}
MAX_OPTIONS = 15
LONG_TEXT = 40
#: whole-number columns with at most this many distinct codes are ratings or choices, not counts
MAX_CODES = 11


@dataclass
class Guess:
    """What one raw column is guessed to be, with the notes saying why (``# REVIEW`` comments)."""

    column: str
    type: str
    notes: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    scale: str | None = None
    bins: list[tuple[str, int, int | None]] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)
    separator: str = ";"
    codes: list[int | str] | None = None  # option/level codes when they are not 1..n
    text: str | None = None  # question wording, when the export carries it
    stem: str | None = None  # grid items: the question they share
    asked_if: str | None = None  # skip logic from the questionnaire
    option_columns: list[str] | None = None  # multi spread over one column per option
    labelled: bool = False  # codes and labels come from the export or its questionnaire


def slug(text: str, fallback: str) -> str:
    """``text`` as an id (letters, digits, ``_``; starting with a letter, else ``fallback_``)."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_")
    if not s:
        return fallback
    return s if s[0].isalpha() else f"{fallback}_{s}"


def missing_label(value: str) -> str | None:
    """The missing code ``value`` spells (a key of :data:`MISSING_WORDS`), or None."""
    low = value.strip().casefold()
    return next((lab for lab, words in MISSING_WORDS.items() if low in words), None)


def _scale_of(values: list[str]) -> tuple[str, list[str], list[str]] | None:
    """The vocabulary covering most answers (at least 60%): its name, levels seen, the rest."""
    low = [v.casefold() for v in values]
    best = None
    for name, words in SCALE_WORDS.items():
        hit = sum(v in words for v in low)
        if hit >= 0.6 * len(low) and (best is None or hit > best[0]):
            best = (hit, name)
    if best is None:
        return None
    words = SCALE_WORDS[best[1]]
    spelled = _spellings(values)
    levels = [spelled[w][0] for w in words if w in spelled]
    other = sorted({v for v in values if v.casefold() not in words})
    return best[1], levels, other


def _spellings(values: list[str]) -> dict[str, list[str]]:
    """Answers grouped case- and space-insensitively: most frequent spelling first."""
    groups: dict[str, dict[str, int]] = {}
    for v in values:
        key = " ".join(v.split()).casefold()
        groups.setdefault(key, {})
        groups[key][v] = groups[key].get(v, 0) + 1
    return {k: sorted(g, key=lambda s: (-g[s], s)) for k, g in groups.items()}


def _bins(numbers: pd.Series) -> list[tuple[str, int, int | None]]:
    """Reporting bins covering the data's range (the first starts at the smallest value)."""
    top, bottom = int(numbers.max()), int(numbers.min())
    edges = [(0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, 50), (51, 100)]
    edges = [(max(lo, bottom), hi) for lo, hi in edges if hi >= bottom] or [(bottom, bottom)]
    out = [(f"{lo}-{hi}" if lo != hi else str(lo), lo, hi) for lo, hi in edges if lo <= top]
    last_lo = out[-1][1]
    out[-1] = (f"{last_lo} or more", last_lo, None)
    return out


def guess_column(name: str, values: pd.Series, separator: str = ";") -> Guess:
    """The guess for a column from its values alone (the rules of :mod:`giftreview.data.draft`)."""
    answers = [" ".join(v.split()) for v in values if v.strip() and missing_label(v) is None]
    if not answers:
        return Guess(name, "open", ["every cell is blank or a missing code: type is a guess"])
    # a count is a plausible whole number: 400 digits (float inf) or 1e308 is text, not a count
    numeric = [a for a in answers if WHOLE_NUMBER.match(a) and len(a.lstrip("0")) <= 15]
    numberish = [a for a in answers if re.search(r"\d", a) or a.casefold() in _NUMBER_WORDS]
    if numeric and len(numberish) >= 0.8 * len(answers):
        return _numeric_guess(name, answers, numeric)
    scale = _scale_of(answers)
    if scale is not None:
        note = f"answers are words of the '{scale[0]}' scale; levels are those seen, in order"
        if scale[2]:
            note += f"; other answers (alias of a level, or a missing code): {scale[2][:8]}"
        return Guess(name, "rating", [note], scale=scale[0], options=scale[1])
    with_sep = sum(separator in a for a in answers)
    if with_sep >= max(1, 0.2 * len(answers)):
        parts = _spellings([p.strip() for a in answers for p in a.split(separator) if p.strip()])
        if len(parts) <= 3 * MAX_OPTIONS:
            note = f"{with_sep} answers hold {separator!r}-separated choices"
            guess = _choice_guess(name, "multi", note, parts)
            guess.separator = separator
            return guess
    groups = _spellings(answers)
    median_len = float(pd.Series([len(a) for a in answers]).median())
    few = len(groups) <= MAX_OPTIONS and len(groups) <= max(2, 0.5 * len(answers))
    many_spellings = len(groups) <= 3 * MAX_OPTIONS and len(groups) <= 0.3 * len(answers)
    if (few or many_spellings) and median_len < LONG_TEXT:
        note = f"{len(groups)} distinct values in {len(answers)} answers"
        return _choice_guess(name, "single", note, groups)
    listed = sum(any(sep in a for sep in (",", ";", "\n")) for a in answers)
    if median_len < 2 * LONG_TEXT and listed >= 0.3 * len(answers):
        return Guess(name, "list", [f"short text (median {median_len:.0f} chars) listing names"])
    return Guess(name, "open", [f"free text (median {median_len:.0f} characters)"])


def _numeric_guess(name: str, answers: list[str], numeric: list[str]) -> Guess:
    """Small whole-number codes (2-11 values within 10 of each other) are a rating or a single
    choice; other numbers are a count with bins from the data's range."""
    nums = pd.Series([float(a) for a in numeric])
    lo, hi = nums.min(), nums.max()
    distinct = sorted(set(nums))
    other = sorted(set(answers) - set(numeric))
    whole = all(float(x).is_integer() for x in distinct)
    if whole and not other and 2 <= len(distinct) <= MAX_CODES and lo >= 0 and hi - lo <= 10:
        seen = f"{len(distinct)} whole-number codes ({int(lo)} to {int(hi)})"
        if len(distinct) == 2:
            codes = [int(x) for x in distinct]
            note = f"{seen}: a binary code; give each code its meaning as the label"
            return Guess(name, "single", [note], options=[str(c) for c in codes], codes=codes)
        codes = list(range(int(lo), int(hi) + 1))
        note = (
            f"{seen}: an ordered scale is assumed; if the codes are unordered categories, "
            "make it 'single' with options"
        )
        return Guess(
            name, "rating", [note], scale=_code_scale(codes), options=[str(c) for c in codes],
            codes=codes,
        )  # fmt: skip
    kind = "whole numbers" if whole else "numbers"
    note = f"{len(numeric)} of {len(answers)} answers are {kind} ({lo:g} to {hi:g})"
    if other:
        note += f"; map the others with number_words or cleaning: {other[:8]}"
    return Guess(name, "count", [note], bins=_bins(nums))


def _code_scale(codes: list[int]) -> str:
    """Name of the placeholder scale of whole-number codes ``lo..hi``: ``codes_1_6``."""
    return f"codes_{codes[0]}_{codes[-1]}"


def _choice_guess(name: str, qtype: str, note: str, groups: dict[str, list[str]]) -> Guess:
    """A choice question from spelling groups: each group's first spelling is the option, the
    other spellings its aliases (see :func:`_spellings`)."""
    options = [v[0] for v in groups.values()]
    aliases = [v[1:] for v in groups.values()]
    return Guess(name, qtype, [note, _variants(groups)], options=options, aliases=aliases)


def _variants(groups: dict[str, list[str]]) -> str:
    n = sum(len(v) > 1 for v in groups.values())
    return f"{n} options had case/space variants, kept as aliases" if n else "no spelling variants"


def layout_roles(data: pd.DataFrame) -> dict[str, str | None]:
    """Which columns are the respondent id, the organization and the submission time."""
    roles: dict[str, str | None] = {"respondent_id": None, "organization": None, "submitted": None}
    for col in data.columns:
        vals = data[col][data[col].str.strip() != ""]
        # duplicate submissions repeat an id: accept 90% distinct
        unique = len(vals) > 0 and vals.nunique() >= 0.9 * len(vals)
        if roles["respondent_id"] is None and _ID_NAME.search(col) and unique:
            roles["respondent_id"] = col
        elif roles["organization"] is None and _ORG_NAME.search(col):
            roles["organization"] = col
        elif roles["submitted"] is None and _TIME_NAME.search(col):
            roles["submitted"] = col
    return roles


def from_export(name: str, values: pd.Series, info: Column | None) -> Guess:
    """The guess for one column, corrected by what the export or its questionnaire says."""
    g = guess_column(name, values, (info.separator if info else None) or ";")
    if info is None:
        return g
    g.text, g.stem, g.asked_if = info.text, info.stem, info.asked_if
    if info.kind == "multi" and info.choices:
        g.type, g.options, g.codes, g.aliases = (
            "multi",
            [c[1] for c in info.choices],
            [c[0] for c in info.choices],
            [],
        )
        g.separator = info.separator or g.separator
        g.notes = [f"the questionnaire says multiple choice ({len(info.choices)} choices)"]
        g.labelled = True
    elif info.choices:
        labels = [c[1] for c in info.choices]
        scale = _scale_of(labels)
        rating = info.kind == "rating" or (scale is not None and not scale[2])
        g.type, g.options, g.codes, g.aliases = (
            ("rating" if rating else "single"),
            labels,
            [c[0] for c in info.choices],
            [],
        )
        g.scale = scale[0] if rating and scale else None
        source = "value labels" if info.kind is None else "choices in the questionnaire"
        g.notes = [
            f"{len(labels)} {source}" + (f" of the '{scale[0]}' scale" if rating and scale else "")
        ]
        g.labelled = True
    elif info.kind == "count" or (
        info.kind is None and _asks_how_many(info.text) and g.type != "open"
    ):
        nums = pd.to_numeric(values, errors="coerce").dropna()
        if len(nums):
            g.type, g.bins, g.codes, g.options = "count", _bins(nums), None, []
            g.notes = [
                f"a number ({nums.min():g} to {nums.max():g}) by the question's type or wording"
            ]
    return g


def _asks_how_many(text: str | None) -> bool:
    return bool(text) and bool(
        re.match(r"\s*(how many|how often|number of)\b", text, re.IGNORECASE)
    )


def spread_guess(name: str, info: Column) -> Guess:
    """A multiple-choice question the export spreads over one column per option."""
    labels = [lab for _, lab in info.spread]
    g = Guess(name, "multi", [f"multiple choice spread over {len(labels)} columns, one per option"],
               options=labels, aliases=[[] for _ in labels])  # fmt: skip
    g.option_columns = [c for c, _ in info.spread]
    g.text, g.asked_if = info.text, info.asked_if
    return g


def scale_names(guesses: list[Guess]) -> None:
    """Name the scales of ratings whose levels come from the export: one name per level set."""
    names: dict[tuple, str] = {}
    taken = {g.scale for g in guesses if g.type == "rating" and g.codes is None}
    for g in guesses:
        if (
            g.type != "rating"
            or g.codes is None
            or g.scale is not None
            and g.scale.startswith("codes_")
        ):
            continue
        key = tuple(zip(map(str, g.codes), g.options, strict=True))
        if key not in names:
            base = g.scale or "scale"
            used = taken | set(names.values())
            names[key] = base if base not in used else f"{base}_{len(names) + 2}"
        g.scale = names[key]
