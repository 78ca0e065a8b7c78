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

This module writes the YAML; the guesses for one column are made in
:mod:`giftreview.data.draft_types`, and batteries and scales are found in
:mod:`giftreview.data.draft_scales`.
"""

from __future__ import annotations

import json
from pathlib import Path

from giftreview.data.draft_scales import battery_id, battery_runs, merged_scales, proposed_scales
from giftreview.data.draft_types import (
    MISSING_WORDS,
    Guess,
    from_export,
    layout_roles,
    missing_label,
    scale_names,
    slug,
    spread_guess,
)
from giftreview.data.instrument import parse_instrument
from giftreview.data.platforms import Export, read_export
from giftreview.data.spec import ROW_ID
from giftreview.errors import ArgumentError
from giftreview.paths import INSTRUMENTS, inside, is_under_raw

__all__ = [
    "draft_instrument",
    "write_draft",
]

#: a single-choice question with this many groups is proposed as ``group_by``
GROUP_SIZES = range(2, 9)


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


def _options_yaml(g: Guess, indent: str) -> list[str]:
    lines, used = [f"{indent}options:"], set()
    for i, label in enumerate(g.options, start=1):
        if g.codes is not None:
            code: int | str = g.codes[i - 1]
        else:
            code = slug(label.lower(), f"opt{i}")[:30]
            while code in used:
                code = f"{code}_{i}"
        used.add(code)
        more = g.aliases[i - 1] if i <= len(g.aliases) else []
        extra = f", aliases: {_y(more)}" if more else ""
        if g.option_columns:
            extra += f", column: {_y(g.option_columns[i - 1])}"
        lines.append(f"{indent}  - {{code: {_y(code)}, label: {_y(label)}{extra}}}")
    return lines


def _text_line(g: Guess, indent: str) -> str:
    if g.text:
        return f"{indent}text: {_y(g.text)}  # REVIEW: wording from the export; check it"
    return (
        f"{indent}text: {_y(g.column)}  # REVIEW: replace the column name with the question wording"
    )


def _question_yaml(g: Guess, qid: str, number: int) -> list[str]:
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


def _ids(guesses: list[Guess], numbered: bool = False) -> list[str]:
    """Question ids: the column names made into ids, or (``numbered``, for exports whose column
    names are the question wording) ``Q1``, ``Q2``, battery items ``Q3_1``, ``Q3_2`` ..."""
    if numbered:
        return _numbered_ids(guesses)
    ids: list[str] = []
    for i, g in enumerate(guesses, start=1):
        qid = slug(g.column, "Q")[:40]
        while qid in ids:
            qid = f"{qid}_{i}"
        ids.append(qid)
    return ids


def _numbered_ids(guesses: list[Guess]) -> list[str]:
    starts = dict(battery_runs(guesses))
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


def _battery_yaml(guesses: list[Guess], ids: list[str], run: tuple[int, int], n: int) -> list[str]:
    items = guesses[run[0] : run[1]]
    bid = battery_id(ids, run)
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


def _battery_text(items: list[Guess], ids: list[str], run: tuple[int, int]) -> str:
    stems = {g.stem for g in items}
    if len(stems) == 1 and items[0].stem:
        return f"    text: {_y(items[0].stem)}  # REVIEW: the stem from the export; check it"
    return f'    text: "{ids[run[0]]} to {ids[run[1] - 1]}"  # REVIEW: the stem shared by the items'


def _questions_yaml(guesses: list[Guess], ids: list[str]) -> list[str]:
    """The parts and questions blocks (batteries written once)."""
    lines = [
        "",
        "parts:",
        "  - id: main",
        '    title: "Questions"  # REVIEW: split the questions into the questionnaire\'s parts',
        "",
        "questions:",
    ]
    starts = dict(battery_runs(guesses))
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


def _group_by_yaml(guesses: list[Guess], ids: list[str]) -> list[str]:
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
    roles = {**layout_roles(data), **exp.roles} if exp.roles else layout_roles(data)
    if roles["respondent_id"] is None:  # never a question column: the data row number
        roles["respondent_id"] = ROW_ID
    spread = {c for info in exp.columns.values() if info.spread for c, _ in info.spread}
    layout_cols = {c for c in roles.values() if c} | exp.skip
    first_of = {info.spread[0][0]: (c, info) for c, info in exp.columns.items() if info.spread}
    guesses = []
    for c in data.columns:
        if c in first_of:  # a multiple choice spread over columns, where its first column is
            guesses.append(spread_guess(*first_of[c]))
        elif c not in layout_cols and c not in spread:
            guesses.append(from_export(c, data[c], exp.columns.get(c)))
    scale_names(guesses)
    ids = _ids(guesses, numbered=exp.platform == "surveymonkey")
    for g, qid in zip(guesses, ids, strict=True):
        if g.option_columns and qid in data.columns:
            raise ArgumentError(
                f"column {qid!r} clashes with a joined multiple-choice question; rename it"
            )
    missing = sorted({m for c in data.columns for v in data[c].unique() if (m := missing_label(v))})
    head = _head_yaml(raw, survey_id or slug(raw.stem, "survey"), roles, missing)
    lines = _platform_yaml(head, exp)
    lines += _group_by_yaml(guesses, ids)
    scales = merged_scales(guesses)
    lines += ["", "scales:" if scales else "scales: {}"]
    for name, (levels, codes) in scales.items():
        lines += _scale_yaml(name, levels, codes)
    lines += _questions_yaml(guesses, ids)
    lines += _scales_yaml(proposed_scales(data, guesses, ids))
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
        out = inside(INSTRUMENTS / f"{slug(raw.stem, 'survey')}.yaml", INSTRUMENTS)
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
