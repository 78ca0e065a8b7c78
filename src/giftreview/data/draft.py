"""Draft an instrument file from a raw export, so a new survey starts from a draft, not a blank page.

:func:`draft_instrument` reads the raw file with :func:`giftreview.data.io.read_raw` (any encoding,
delimiter, XLSX, SPSS) and guesses, column by column, what each one is:

=============================================  ==================================================
what the values look like                      guess
=============================================  ==================================================
name like ``id``/``code``, values unique       ``raw.respondent_id``
name like ``organization``/``organisation``    ``raw.organization``
name like ``date``/``time``/``submitted``      ``raw.submitted``
answers such as "Don't know", "N/A"            instrument-wide ``missing_codes``
words of a known ordered scale                 ``rating`` with a guessed scale (levels in order)
numbers (whole, not negative)                  ``count`` with reporting bins from the data
values separated by ``;``                      ``multi`` with options from the separated parts
few distinct values                            ``single`` with options from the distinct values
long text                                      ``open``
short text with commas                         ``list``
=============================================  ==================================================

Every guess is marked ``# REVIEW: ...`` in the YAML, saying what was guessed from what. The draft
always loads with :func:`giftreview.data.instrument.load_instrument`; the researcher then fixes the
wording, the parts, the scale, the option labels and the aliases. Nothing is ever written under
``data/raw``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from giftreview.data.instrument import parse_instrument
from giftreview.data.io import read_raw
from giftreview.errors import ArgumentError
from giftreview.paths import INSTRUMENTS, inside, is_under_raw

__all__ = [
    "SCALE_WORDS",
    "MISSING_WORDS",
    "MAX_OPTIONS",
    "LONG_TEXT",
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


@dataclass
class _Guess:
    column: str
    type: str
    notes: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    scale: str | None = None
    bins: list[tuple[str, int, int | None]] = field(default_factory=list)
    aliases: list[list[str]] = field(default_factory=list)


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
    top = int(numbers.max())
    edges = [(0, 0), (1, 2), (3, 5), (6, 10), (11, 20), (21, 50), (51, 100)]
    out = [(f"{lo}-{hi}" if lo != hi else str(lo), lo, hi) for lo, hi in edges if lo <= top]
    last_lo = out[-1][1]
    out[-1] = (f"{last_lo} or more", last_lo, None)
    return out


def _guess_column(name: str, values: pd.Series) -> _Guess:
    answers = [" ".join(v.split()) for v in values if v.strip() and _missing_label(v) is None]
    if not answers:
        return _Guess(name, "open", ["every cell is blank or a missing code: type is a guess"])
    # a count is a plausible whole number: 400 digits (float inf) or 1e308 is text, not a count
    numeric = [a for a in answers if _NUMBER.match(a) and len(a.lstrip("0")) <= 15]
    numberish = [a for a in answers if re.search(r"\d", a) or a.casefold() in _NUMBER_WORDS]
    if numeric and len(numberish) >= 0.8 * len(answers):
        nums = pd.Series([float(a) for a in numeric])
        other = sorted(set(answers) - set(numeric))
        note = (
            f"{len(numeric)} of {len(answers)} answers are whole numbers (0 to {int(nums.max())})"
        )
        if other:
            note += f"; map the others with number_words or cleaning: {other[:8]}"
        return _Guess(name, "count", [note], bins=_bins(nums))
    scale = _scale_of(answers)
    if scale is not None:
        note = f"answers are words of the '{scale[0]}' scale; levels are those seen, in order"
        if scale[2]:
            note += f"; other answers (alias of a level, or a missing code): {scale[2][:8]}"
        return _Guess(name, "rating", [note], scale=scale[0], options=scale[1])
    with_sep = sum(";" in a for a in answers)
    if with_sep >= max(1, 0.2 * len(answers)):
        parts = _spellings([p.strip() for a in answers for p in a.split(";") if p.strip()])
        if len(parts) <= 3 * MAX_OPTIONS:
            note = f"{with_sep} answers hold ';'-separated choices"
            return _choice_guess(name, "multi", note, parts)
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


def _read(raw: Path) -> pd.DataFrame:
    """The raw file as strings, read by :func:`giftreview.data.io.read_raw` with a 1-row header."""

    # read_raw takes its layout from an instrument; none exists yet, so a stub with the default
    # layout (one header row) stands in.
    stub = parse_instrument(
        {
            "survey": {"id": "draft", "title": "draft"},
            "parts": [{"id": "P", "title": "P"}],
            "questions": [{"id": "Q", "part": "P", "text": "stub", "type": "open"}],
        }
    )
    return read_raw(raw, stub).data


def _comment(text: object) -> str:
    """Text for a YAML comment: quoted, with line breaks and other controls escaped (ASCII
    only, since YAML also ends a line at U+0085, U+2028 and U+2029)."""
    return json.dumps(str(text), ensure_ascii=True)


def _y(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML and escape everything that needs it)."""
    return json.dumps(value, ensure_ascii=False)


def _scale_yaml(name: str, levels: list[str]) -> list[str]:
    lines = [
        f"  {name}:",
        "    # REVIEW: levels guessed from the data; lowest first",
        "    levels:",
    ]
    for i, label in enumerate(levels, start=1):
        lines.append(f"      - {{code: {i}, label: {_y(label)}}}")
    if len(levels) % 2 == 1:
        lines.append(f"    neutral: {(len(levels) + 1) // 2}")
    lines.append(
        f"    top_box: [{', '.join(str(i) for i in range(len(levels) - 1, len(levels) + 1))}]"
    )
    return lines


def _options_yaml(labels: list[str], aliases: list[list[str]], indent: str) -> list[str]:
    lines, used = [f"{indent}options:"], set()
    for i, label in enumerate(labels, start=1):
        code = _slug(label.lower(), f"opt{i}")[:30]
        while code in used:
            code = f"{code}_{i}"
        used.add(code)
        more = aliases[i - 1] if i <= len(aliases) else []
        extra = f", aliases: {_y(more)}" if more else ""
        lines.append(f"{indent}  - {{code: {_y(code)}, label: {_y(label)}{extra}}}")
    return lines


def _question_yaml(g: _Guess, qid: str, number: int) -> list[str]:
    lines = [
        f"  - id: {qid}",
        "    part: main",
        f"    number: {number}",
        f"    # REVIEW: type '{g.type}' guessed: {'; '.join(g.notes)}",
        f"    text: {_y(g.column)}  # REVIEW: replace the column name with the question wording",
        f"    type: {g.type}",
        f"    column: {_y(g.column)}",
    ]
    if g.type == "rating":
        lines.append(f"    scale: {g.scale}")
    if g.type in ("single", "multi"):
        lines.append("    # REVIEW: option codes and labels are the raw spellings; merge variants")
        lines.append('    # with \'aliases\' (e.g. aliases: ["Govt", "Government "])')
        lines += _options_yaml(g.options, g.aliases, "    ")
    if g.type == "multi":
        lines.append('    separator: ";"')
    if g.type == "count":
        lines.append(
            "    # REVIEW: reporting bins guessed from the largest value; if these numbers"
        )
        lines.append("    # are ratings (1-5, 1-7), make the question a rating with a scale")
        lines.append("    bins:")
        for label, lo, hi in g.bins:
            hi_txt = f", max: {hi}" if hi is not None else ""
            lines.append(f"      - {{label: {_y(label)}, min: {lo}{hi_txt}}}")
    return lines


def _merged_scales(guesses: list[_Guess]) -> dict[str, list[str]]:
    """Scale name -> levels seen in any rating question using it, in the vocabulary's order."""
    scales: dict[str, list[str]] = {}
    for g in guesses:
        if g.type == "rating":
            both = scales.get(g.scale, []) + g.options
            seen = {o.casefold() for o in both}
            spell = {o.casefold(): o for o in both}
            scales[g.scale] = [spell[w] for w in SCALE_WORDS[g.scale] if w in seen]
    return scales


def _head_yaml(raw: Path, sid: str, roles: dict, no_id: bool, missing: list[str]) -> list[str]:
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
        "raw:",
        "  header_rows: 1  # REVIEW: survey platforms often write 2-3 header rows",
        "  name_row: 1",
    ]
    if no_id:
        lines.append("  # REVIEW: no id-like column with unique values found; the first column")
        lines.append("  # is taken as the respondent id - name the real id column")
    for role, col in roles.items():
        note = f"  # REVIEW: guessed from the column name {_comment(col)}" if col else ""
        lines.append(f"  {role}: {_y(col) if col else 'null'}{note}")
    lines += ["", "missing_codes:"] if missing else ["", "missing_codes: []"]
    for lab in missing:
        aliases = [w for w in MISSING_WORDS[lab] if w != lab.casefold()]
        lines.append(
            f"  - {{label: {_y(lab)}, aliases: {_y(aliases)}}}  # REVIEW: seen in the data"
        )
    return lines


def _questions_yaml(guesses: list[_Guess]) -> list[str]:
    """The parts and questions blocks, then a commented ``group_by`` suggestion."""
    lines = [
        "",
        "parts:",
        "  - id: main",
        '    title: "Questions"  # REVIEW: split the questions into the questionnaire\'s parts',
        "",
        "questions:",
    ]
    ids: list[str] = []
    for i, g in enumerate(guesses, start=1):
        qid = _slug(g.column, "Q")[:40]
        while qid in ids:
            qid = f"{qid}_{i}"
        ids.append(qid)
        lines += _question_yaml(g, qid, i)
    singles = [q for q, g in zip(ids, guesses, strict=True) if g.type == "single"]
    return lines + [
        "",
        "# REVIEW: group_by names the single-choice question reports break down by, e.g.",
        f"# group_by: {singles[0] if singles else '<question id>'}",
    ]


def draft_instrument(raw: Path | str, *, survey_id: str | None = None) -> str:
    """Draft an instrument (YAML text) from a raw export's header and values.

    Parameters
    ----------
    raw
        The raw export (CSV, XLSX or SPSS; read by :func:`giftreview.data.io.read_raw`).
    survey_id
        Id of the survey; default the file name's stem.

    Returns
    -------
    str
        YAML that :func:`giftreview.data.instrument.parse_instrument` accepts, with a
        ``# REVIEW: ...`` comment at every guess (see the module docstring for the rules).
    """
    raw = Path(raw)
    data = _read(raw)
    roles = _layout_roles(data)
    no_id = roles["respondent_id"] is None
    if no_id:  # the id is required: take the first column and say so
        roles["respondent_id"] = str(data.columns[0])
    layout_cols = {c for c in roles.values() if c}
    guesses = [_guess_column(c, data[c]) for c in data.columns if c not in layout_cols]
    missing = sorted(
        {m for c in data.columns for v in data[c].unique() if (m := _missing_label(v))}
    )
    lines = _head_yaml(raw, survey_id or _slug(raw.stem, "survey"), roles, no_id, missing)
    scales = _merged_scales(guesses)
    lines += ["", "scales:" if scales else "scales: {}"]
    for name, levels in scales.items():
        lines += _scale_yaml(name, levels)
    return "\n".join(lines + _questions_yaml(guesses)) + "\n"


def write_draft(raw: Path | str, out: Path | str | None = None, *, force: bool = False) -> Path:
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
    text = draft_instrument(raw)
    parse_instrument(__import__("yaml").safe_load(text), out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
