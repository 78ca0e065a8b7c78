"""Draft an instrument file from a raw export, so a new survey starts from a draft, not a blank page.

:func:`draft_instrument` reads the raw file with :func:`giftreview.data.io.read_raw` (any encoding,
delimiter, XLSX, SPSS) and guesses, column by column, what each one is:

=============================================  ==================================================
what the values look like                      guess
=============================================  ==================================================
name like ``id``/``code``, values unique       ``raw.respondent_id`` (none: ``row``, the data
                                               row number; never a question column)
name like ``organization``/``organisation``    ``raw.organization``
name like ``date``/``time``/``submitted``      ``raw.submitted``
answers such as "Don't know", "N/A"            instrument-wide ``missing_codes``
words of a known ordered scale                 ``rating`` with a guessed scale (levels in order)
2 whole-number codes (``1``/``2``)             ``single`` with the codes as options
3-11 whole-number codes (``1``-``6``)          ``rating`` on a placeholder scale of the codes
other numbers                                  ``count`` with bins from the data's range
3+ consecutive ratings on one scale            a ``battery`` (the items written once)
battery items sharing a name prefix (A1-A5)    a multi-item scale, reverse keys from the
                                               first principal component (psych check.keys)
values separated by ``;``                      ``multi`` with options from the separated parts
few distinct values                            ``single`` with options from the distinct values
long text                                      ``open``
short text with commas                         ``list``
=============================================  ==================================================

The first single-choice question with 2-8 options is proposed as ``group_by``. Every guess is
marked ``# REVIEW: ...`` in the YAML, saying what was guessed from what. The draft
always loads with :func:`giftreview.data.instrument.load_instrument`; the researcher then fixes the
wording, the parts, the scale, the option labels and the aliases. Nothing is ever written under
``data/raw``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from giftreview.data.instrument import ROW_ID, parse_instrument
from giftreview.data.platforms import Column, Export, read_export
from giftreview.errors import ArgumentError
from giftreview.paths import INSTRUMENTS, inside, is_under_raw

__all__ = [
    "SCALE_WORDS",
    "MISSING_WORDS",
    "MAX_OPTIONS",
    "LONG_TEXT",
    "MAX_CODES",
    "draft_instrument",
    "write_draft",
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
_NUMBER = re.compile(r"^\d+(\.0+)?$")
_NUMBER_WORDS = {"none", "zero", "one", "two", "three", "four", "five", "ten", "no", "nil"}
MAX_OPTIONS = 15
LONG_TEXT = 40
#: whole-number columns with at most this many distinct codes are ratings or choices, not counts
MAX_CODES = 11
#: a single-choice question with this many groups is proposed as ``group_by``
GROUP_SIZES = range(2, 9)
#: consecutive rating columns on one scale form a battery from this many items
MIN_BATTERY = 3


@dataclass
class _Guess:
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


def _slug(text: str, fallback: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_")
    if not s:
        return fallback
    return s if s[0].isalpha() else f"{fallback}_{s}"


def _missing_label(value: str) -> str | None:
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


def _guess_column(name: str, values: pd.Series, separator: str = ";") -> _Guess:
    answers = [" ".join(v.split()) for v in values if v.strip() and _missing_label(v) is None]
    if not answers:
        return _Guess(name, "open", ["every cell is blank or a missing code: type is a guess"])
    # a count is a plausible whole number: 400 digits (float inf) or 1e308 is text, not a count
    numeric = [a for a in answers if _NUMBER.match(a) and len(a.lstrip("0")) <= 15]
    numberish = [a for a in answers if re.search(r"\d", a) or a.casefold() in _NUMBER_WORDS]
    if numeric and len(numberish) >= 0.8 * len(answers):
        return _numeric_guess(name, answers, numeric)
    scale = _scale_of(answers)
    if scale is not None:
        note = f"answers are words of the '{scale[0]}' scale; levels are those seen, in order"
        if scale[2]:
            note += f"; other answers (alias of a level, or a missing code): {scale[2][:8]}"
        return _Guess(name, "rating", [note], scale=scale[0], options=scale[1])
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
        return _Guess(name, "list", [f"short text (median {median_len:.0f} chars) listing names"])
    return _Guess(name, "open", [f"free text (median {median_len:.0f} characters)"])


def _numeric_guess(name: str, answers: list[str], numeric: list[str]) -> _Guess:
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
            return _Guess(name, "single", [note], options=[str(c) for c in codes], codes=codes)
        codes = list(range(int(lo), int(hi) + 1))
        note = (
            f"{seen}: an ordered scale is assumed; if the codes are unordered categories, "
            "make it 'single' with options"
        )
        return _Guess(
            name, "rating", [note], scale=_code_scale(codes), options=[str(c) for c in codes],
            codes=codes,
        )  # fmt: skip
    kind = "whole numbers" if whole else "numbers"
    note = f"{len(numeric)} of {len(answers)} answers are {kind} ({lo:g} to {hi:g})"
    if other:
        note += f"; map the others with number_words or cleaning: {other[:8]}"
    return _Guess(name, "count", [note], bins=_bins(nums))


def _code_scale(codes: list[int]) -> str:
    """Name of the placeholder scale of whole-number codes ``lo..hi``: ``codes_1_6``."""
    return f"codes_{codes[0]}_{codes[-1]}"


def _choice_guess(name: str, qtype: str, note: str, groups: dict[str, list[str]]) -> _Guess:
    """A choice question from spelling groups: each group's first spelling is the option, the
    other spellings its aliases (see :func:`_spellings`)."""
    options = [v[0] for v in groups.values()]
    aliases = [v[1:] for v in groups.values()]
    return _Guess(name, qtype, [note, _variants(groups)], options=options, aliases=aliases)


def _variants(groups: dict[str, list[str]]) -> str:
    n = sum(len(v) > 1 for v in groups.values())
    return f"{n} options had case/space variants, kept as aliases" if n else "no spelling variants"


def _layout_roles(data: pd.DataFrame) -> dict[str, str | None]:
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


def _comment(text: object) -> str:
    """Text for a YAML comment: quoted, with line breaks and other controls escaped (ASCII
    only, since YAML also ends a line at U+0085, U+2028 and U+2029)."""
    return json.dumps(str(text), ensure_ascii=True)


def _y(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML and escape everything that needs it)."""
    return json.dumps(value, ensure_ascii=False)


def _scale_yaml(name: str, levels: list[str], codes: list | None = None) -> list[str]:
    codes = codes or list(range(1, len(levels) + 1))
    placeholder = name.startswith("codes_")
    lines = [
        f"  {name}:",
        "    # REVIEW: placeholder scale of the codes seen; give each level its wording (codes stay)"
        if placeholder
        else "    # REVIEW: levels guessed from the data; lowest first",
        "    levels:",
    ]
    for code, label in zip(codes, levels, strict=True):
        lines.append(f"      - {{code: {_y(code)}, label: {_y(label)}}}")
    if len(levels) % 2 == 1:
        lines.append(f"    neutral: {_y(codes[len(levels) // 2])}")
    lines.append(f"    top_box: [{', '.join(_y(c) for c in codes[-2:])}]")
    return lines


def _options_yaml(g: _Guess, indent: str) -> list[str]:
    lines, used = [f"{indent}options:"], set()
    for i, label in enumerate(g.options, start=1):
        if g.codes is not None:
            code: int | str = g.codes[i - 1]
        else:
            code = _slug(label.lower(), f"opt{i}")[:30]
            while code in used:
                code = f"{code}_{i}"
        used.add(code)
        more = g.aliases[i - 1] if i <= len(g.aliases) else []
        extra = f", aliases: {_y(more)}" if more else ""
        if g.option_columns:
            extra += f", column: {_y(g.option_columns[i - 1])}"
        lines.append(f"{indent}  - {{code: {_y(code)}, label: {_y(label)}{extra}}}")
    return lines


def _text_line(g: _Guess, indent: str) -> str:
    if g.text:
        return f"{indent}text: {_y(g.text)}  # REVIEW: wording from the export; check it"
    return (
        f"{indent}text: {_y(g.column)}  # REVIEW: replace the column name with the question wording"
    )


def _question_yaml(g: _Guess, qid: str, number: int) -> list[str]:
    lines = [
        f"  - id: {qid}",
        "    part: main",
        f"    number: {number}",
        f"    # REVIEW: type '{g.type}' guessed: {'; '.join(g.notes)}",
        _text_line(g, "    "),
        f"    type: {g.type}",
        f"    column: {_y(qid if g.option_columns else g.column)}",
    ]
    if g.asked_if:
        lines.append(f"    asked_if: {_y(g.asked_if)}  # REVIEW: skip logic from the questionnaire")
    if g.type == "rating":
        lines.append(f"    scale: {g.scale}")
    if g.type in ("single", "multi"):
        if g.option_columns:
            lines.append(
                "    # REVIEW: one export column per option; their ticks are joined on reading"
            )
        elif g.labelled:
            lines.append("    # REVIEW: codes and labels from the export; check the labels")
        elif g.codes is not None:
            lines.append("    # REVIEW: labels are the codes; write what each code means")
        else:
            lines.append(
                "    # REVIEW: option codes and labels are the raw spellings; merge variants"
            )
            lines.append('    # with \'aliases\' (e.g. aliases: ["Govt", "Government "])')
        lines += _options_yaml(g, "    ")
    if g.type == "multi":
        lines.append(f"    separator: {_y(g.separator)}")
    if g.type == "count":
        lines.append("    # REVIEW: reporting bins guessed from the range of the data")
        lines.append("    bins:")
        for label, lo, hi in g.bins:
            hi_txt = f", max: {hi}" if hi is not None else ""
            lines.append(f"      - {{label: {_y(label)}, min: {lo}{hi_txt}}}")
    return lines


def _merged_scales(guesses: list[_Guess]) -> dict[str, tuple[list[str], list[int] | None]]:
    """Scale name -> (levels, codes): word scales take the levels seen in any rating question
    using them, in the vocabulary's order; code scales their codes."""
    scales: dict[str, tuple[list[str], list[int] | None]] = {}
    for g in guesses:
        if g.type != "rating":
            continue
        if g.codes is not None or g.scale not in SCALE_WORDS:
            scales.setdefault(g.scale, (g.options, g.codes))
            continue
        both = scales.get(g.scale, ([], None))[0] + g.options
        seen = {o.casefold() for o in both}
        spell = {o.casefold(): o for o in both}
        scales[g.scale] = ([spell[w] for w in SCALE_WORDS[g.scale] if w in seen], None)
    return scales


def _head_yaml(raw: Path, sid: str, roles: dict, missing: list[str]) -> list[str]:
    """The survey, raw layout and missing-code blocks of the draft."""
    lines = [
        f"# Instrument drafted by `giftreview init {_comment(raw.name)}`.",
        "# Every line marked REVIEW is a guess: check it against the questionnaire, then delete",
        "# the REVIEW comment. Format: docs/instrument-format.md; walk-through: docs/new-survey.md.",
        "format_version: 1",
        "",
        "survey:",
        f"  id: {sid}",
        f"  title: {_y(sid.replace('_', ' ').capitalize())}  # REVIEW: the survey's title",
        "",
        "# REVIEW: what one response stands for, as the report's sentences name it",
        "unit: {singular: respondent, plural: respondents}",
        "",
        "raw:",
        "  header_rows: 1  # REVIEW: survey platforms often write 2-3 header rows",
        "  name_row: 1",
    ]
    for role, col in roles.items():
        if role == "respondent_id" and col == ROW_ID:
            lines.append("  # REVIEW: no id-like column with distinct values found: the data row")
            lines.append("  # number is the id (stable while the export is not re-sorted)")
            lines.append(f"  respondent_id: {ROW_ID}")
            continue
        note = f"  # REVIEW: guessed from the column name {_comment(col)}" if col else ""
        lines.append(f"  {role}: {_y(col) if col else 'null'}{note}")
    lines += ["", "missing_codes:"] if missing else ["", "missing_codes: []"]
    for lab in missing:
        aliases = [w for w in MISSING_WORDS[lab] if w != lab.casefold()]
        lines.append(
            f"  - {{label: {_y(lab)}, aliases: {_y(aliases)}}}  # REVIEW: seen in the data"
        )
    return lines


def _ids(guesses: list[_Guess], numbered: bool = False) -> list[str]:
    """Question ids: the column names made into ids, or (``numbered``, for exports whose column
    names are the question wording) ``Q1``, ``Q2``, battery items ``Q3_1``, ``Q3_2`` ..."""
    if numbered:
        return _numbered_ids(guesses)
    ids: list[str] = []
    for i, g in enumerate(guesses, start=1):
        qid = _slug(g.column, "Q")[:40]
        while qid in ids:
            qid = f"{qid}_{i}"
        ids.append(qid)
    return ids


def _numbered_ids(guesses: list[_Guess]) -> list[str]:
    starts = dict(_battery_runs(guesses))
    ids: list[str] = []
    number = 0
    while len(ids) < len(guesses):
        number += 1
        i = len(ids)
        if i in starts:
            ids += [f"Q{number}_{k}" for k in range(1, starts[i] - i + 1)]
        else:
            ids.append(f"Q{number}")
    return ids


def _battery_runs(guesses: list[_Guess]) -> list[tuple[int, int]]:
    """(first, last + 1) of each run of at least MIN_BATTERY consecutive ratings on one scale."""
    runs, i = [], 0
    while i < len(guesses):
        j = i
        while (
            j < len(guesses)
            and guesses[j].type == "rating"
            and guesses[j].scale == guesses[i].scale
            and guesses[j].stem == guesses[i].stem
        ):
            j += 1
        if j - i >= MIN_BATTERY:
            runs.append((i, j))
        i = max(j, i + 1)
    return runs


def _battery_yaml(guesses: list[_Guess], ids: list[str], run: tuple[int, int], n: int) -> list[str]:
    items = guesses[run[0] : run[1]]
    bid = _battery_id(ids, run)
    lines = [
        f"  - id: {bid}",
        "    type: battery",
        "    part: main",
        f"    number: {n}",
        f"    # REVIEW: battery guessed: {len(items)} consecutive columns on the scale "
        f"'{items[0].scale}' ({items[0].notes[0]})",
        _battery_text(items, ids, run),
        f"    scale: {items[0].scale}",
        "    items:",
    ]
    for g, qid in zip(items, ids[run[0] : run[1]], strict=True):
        text = g.text or g.column
        lines.append(
            f"      - {{id: {qid}, text: {_y(text)}, column: {_y(g.column)}}}"
            "  # REVIEW: the item's wording"
        )
    return lines


def _battery_id(ids: list[str], run: tuple[int, int]) -> str:
    """``Q3`` for items ``Q3_1`` ... ``Q3_5`` (when no question is called so), else
    ``<first>_to_<last>``."""
    items = ids[run[0] : run[1]]
    stem = items[0].rpartition("_")[0]
    if stem and stem not in ids and all(re.fullmatch(rf"{re.escape(stem)}_\d+", i) for i in items):
        return stem
    return f"{items[0]}_to_{items[-1]}"[:60]


def _battery_text(items: list[_Guess], ids: list[str], run: tuple[int, int]) -> str:
    stems = {g.stem for g in items}
    if len(stems) == 1 and items[0].stem:
        return f"    text: {_y(items[0].stem)}  # REVIEW: the stem from the export; check it"
    return f'    text: "{ids[run[0]]} to {ids[run[1] - 1]}"  # REVIEW: the stem shared by the items'


def _questions_yaml(guesses: list[_Guess], ids: list[str]) -> list[str]:
    """The parts and questions blocks (batteries written once)."""
    lines = [
        "",
        "parts:",
        "  - id: main",
        '    title: "Questions"  # REVIEW: split the questions into the questionnaire\'s parts',
        "",
        "questions:",
    ]
    starts = dict(_battery_runs(guesses))
    i, number = 0, 1
    while i < len(guesses):
        if i in starts:
            lines += _battery_yaml(guesses, ids, (i, starts[i]), number)
            i = starts[i]
        else:
            lines += _question_yaml(guesses[i], ids[i], number)
            i += 1
        number += 1
    return lines


def _group_by_yaml(guesses: list[_Guess], ids: list[str]) -> list[str]:
    """``group_by``: the first single-choice question with 2-8 options."""
    cand = [
        (q, g) for q, g in zip(ids, guesses, strict=True)
        if g.type == "single" and len(g.options) in GROUP_SIZES
    ]  # fmt: skip
    if not cand:
        return ["", "# REVIEW: no single-choice question with 2-8 options to break down by;",
                "# group_by: <question id>"]  # fmt: skip
    qid, g = cand[0]
    return [
        "",
        f"# REVIEW: reports break down by the first single-choice question with 2-8 options "
        f"({len(g.options)} here); choose another or delete",
        f"group_by: {qid}",
    ]


def _item_values(values: pd.Series, g: _Guess) -> pd.Series:
    """Numeric codes of a rating column's raw cells (NaN for blanks and missing codes)."""
    if g.codes is not None and all(isinstance(c, int) for c in g.codes):
        return pd.to_numeric(values, errors="coerce")
    if g.codes is not None:  # levels from the export's choices: code or label -> position
        pos = {str(c).casefold(): i for i, c in enumerate(g.codes, start=1)}
        pos |= {str(o).casefold(): i for i, o in enumerate(g.options, start=1)}
    else:
        pos = {w.casefold(): i for i, w in enumerate(SCALE_WORDS[g.scale], start=1)}
    return values.map(lambda v: pos.get(" ".join(str(v).split()).casefold(), np.nan)).astype(float)


def _proposed_scales(
    data: pd.DataFrame, guesses: list[_Guess], ids: list[str]
) -> list[tuple[str, list[str], list[str]]]:
    """Multi-item scales proposed within each battery: items whose names share a prefix
    (``A1``-``A5``), reverse-keyed where they load negatively on the group's first principal
    component (the rule of ``psych::alpha(check.keys = TRUE)``)."""
    out = []
    for a, b in _battery_runs(guesses):
        groups: dict[str, list[int]] = {}
        for i in range(a, b):
            m = re.match(r"^(.*?[A-Za-z])[_\s.-]*\d+$", ids[i])
            if m:
                groups.setdefault(m.group(1), []).append(i)
        codes = guesses[a].codes
        if codes is not None and not all(_NUMBER.match(str(c)) for c in codes):
            continue  # scores need numeric level codes (LimeSurvey's A1..A5 are not)
        for prefix, members in groups.items():
            if len(members) < MIN_BATTERY:
                continue
            x = pd.DataFrame(
                {ids[i]: _item_values(data[guesses[i].column], guesses[i]) for i in members}
            )
            corr = x.corr().to_numpy()
            if np.isnan(corr).any():
                continue
            load = np.linalg.eigh(corr)[1][:, -1]
            if (load < 0).sum() > (load > 0).sum():
                load = -load
            rev = [ids[i] for i, v in zip(members, load, strict=True) if v < 0]
            taken = set(ids) | {_battery_id(ids, run) for run in _battery_runs(guesses)}
            name = prefix if prefix not in taken else f"{prefix}_scale"
            out.append((name, [ids[i] for i in members], rev))
    return out


def _scales_yaml(proposed: list[tuple[str, list[str], list[str]]]) -> list[str]:
    if not proposed:
        return []
    lines = [
        "",
        "# REVIEW: multi-item scales proposed from item names sharing a prefix within a battery;",
        "# 'reverse' lists items loading negatively on the group's first principal component",
        "# (psych::alpha's check.keys). Name each scale, check its items and keys, or delete it.",
        "multi_item_scales:",
    ]
    for name, items, rev in proposed:
        lines += [
            f"  - id: {name}",
            f"    title: {_y(name)}  # REVIEW: the scale's name",
            f"    items: [{', '.join(items)}]",
            f"    reverse: [{', '.join(rev)}]",
            f"    min_valid: {(len(items) + 1) // 2}  # REVIEW: fewest answered items for a score",
            "    score: mean",
        ]
    return lines


def _from_export(name: str, values: pd.Series, info: Column | None) -> _Guess:
    """The guess for one column, corrected by what the export or its questionnaire says."""
    g = _guess_column(name, values, (info.separator if info else None) or ";")
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


def _spread_guess(name: str, info: Column) -> _Guess:
    labels = [lab for _, lab in info.spread]
    g = _Guess(name, "multi", [f"multiple choice spread over {len(labels)} columns, one per option"],
               options=labels, aliases=[[] for _ in labels])  # fmt: skip
    g.option_columns = [c for c, _ in info.spread]
    g.text, g.asked_if = info.text, info.asked_if
    return g


def _scale_names(guesses: list[_Guess]) -> None:
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


def draft_instrument(
    raw: Path | str, *, survey_id: str | None = None, form: Path | str | None = None
) -> str:
    """Draft an instrument (YAML text) from a raw export's header and values.

    Parameters
    ----------
    raw
        The raw export (CSV, XLSX or SPSS; read by :func:`giftreview.data.io.read_raw`); Qualtrics,
        SurveyMonkey, KoBoToolbox, LimeSurvey and SPSS layouts are recognised
        (:mod:`giftreview.data.platforms`).
    survey_id
        Id of the survey; default the file name's stem.
    form
        The questionnaire: an XLSForm (KoBoToolbox/ODK) or a LimeSurvey tab-separated survey
        structure, giving wording, types, choices and skip logic.

    Returns
    -------
    str
        YAML that :func:`giftreview.data.instrument.parse_instrument` accepts, with a
        ``# REVIEW: ...`` comment at every guess (see the module docstring for the rules).
    """
    raw = Path(raw)
    exp = read_export(raw, form)
    data = exp.data
    roles = {**_layout_roles(data), **exp.roles} if exp.roles else _layout_roles(data)
    if roles["respondent_id"] is None:  # never a question column: the data row number
        roles["respondent_id"] = ROW_ID
    spread = {c for info in exp.columns.values() if info.spread for c, _ in info.spread}
    layout_cols = {c for c in roles.values() if c} | exp.skip
    first_of = {info.spread[0][0]: (c, info) for c, info in exp.columns.items() if info.spread}
    guesses = []
    for c in data.columns:
        if c in first_of:  # a multiple choice spread over columns, where its first column is
            guesses.append(_spread_guess(*first_of[c]))
        elif c not in layout_cols and c not in spread:
            guesses.append(_from_export(c, data[c], exp.columns.get(c)))
    _scale_names(guesses)
    ids = _ids(guesses, numbered=exp.platform == "surveymonkey")
    for g, qid in zip(guesses, ids, strict=True):
        if g.option_columns and qid in data.columns:
            raise ArgumentError(
                f"column {qid!r} clashes with a joined multiple-choice question; rename it"
            )
    missing = sorted(
        {m for c in data.columns for v in data[c].unique() if (m := _missing_label(v))}
    )
    head = _head_yaml(raw, survey_id or _slug(raw.stem, "survey"), roles, missing)
    lines = _platform_yaml(head, exp)
    lines += _group_by_yaml(guesses, ids)
    scales = _merged_scales(guesses)
    lines += ["", "scales:" if scales else "scales: {}"]
    for name, (levels, codes) in scales.items():
        lines += _scale_yaml(name, levels, codes)
    lines += _questions_yaml(guesses, ids)
    lines += _scales_yaml(_proposed_scales(data, guesses, ids))
    return "\n".join(lines) + "\n"


def _platform_yaml(head: list[str], exp: Export) -> list[str]:
    """The head with the platform's header layout, title and notes filled in."""
    out = []
    for line in head:
        if line.startswith("  header_rows:") and exp.platform != "csv":
            line = f"  header_rows: {exp.header_rows}  # REVIEW: {exp.platform} export: {exp.header_rows} header row(s)"
        elif line.startswith("  title:") and exp.title:
            line = f"  title: {_y(exp.title)}  # REVIEW: the title from the questionnaire"
        out.append(line)
        if line.startswith("format_version") and exp.platform != "csv":
            out.append(f"# Recognised as a {exp.platform} export.")
            out += [f"# REVIEW: {n}" for n in exp.notes]
    return out


def write_draft(
    raw: Path | str,
    out: Path | str | None = None,
    *,
    force: bool = False,
    form: Path | str | None = None,
) -> Path:
    """Write :func:`draft_instrument` to ``out`` (default ``instruments/<raw stem>.yaml``).

    Raises :class:`ArgumentError` when ``out`` lies under ``data/raw`` (never written) or exists
    and ``force`` is false. The written draft is loaded back to prove it is a valid instrument.
    """
    raw = Path(raw)
    if out is None:
        out = inside(INSTRUMENTS / f"{_slug(raw.stem, 'survey')}.yaml", INSTRUMENTS)
    out = Path(out)
    if is_under_raw(out):
        raise ArgumentError(
            f"`--out` {out} lies under data/raw, which giftreview never writes; "
            "write the draft under instruments/"
        )
    if out.exists() and not force:
        raise ArgumentError(f"`--out` {out} exists; pass --force to overwrite it or choose another")
    text = draft_instrument(raw, form=form)
    parse_instrument(__import__("yaml").safe_load(text), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
