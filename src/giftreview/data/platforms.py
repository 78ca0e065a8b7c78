"""Survey platforms' exports and questionnaires, for drafting an instrument (`giftreview init`).

:func:`read_export` reads a raw export with :func:`giftreview.data.io.read_raw`, recognises the
platform from its header and returns an :class:`Export`: the answers, the header layout, which
columns are the id and the submission time, which are the platform's own metadata, and what the
export says about each question (wording, choices, multiple choice spread over columns, skip
logic). :mod:`giftreview.data.draft` turns that into an instrument.

==================  =========================================================================
platform            recognised by, and what is read
==================  =========================================================================
Qualtrics           CSV/XLSX whose third header row holds ``{"ImportId": ...}``: names (row 1),
                    wording (row 2; grid items "stem - item"), ``ResponseId``, ``RecordedDate``;
                    multiple choice comma-separated
SurveyMonkey        a ``Respondent ID`` column and a second header row of "Response",
                    "Open-Ended Response" or option labels: wording (row 1), grids and
                    multiple choice spread over one column per option (row 2)
KoBoToolbox / ODK   ``_uuid``/``_submission_time`` columns; with ``--form`` its XLSForm (survey,
                    choices, settings sheets): wording, types, choices (codes and labels),
                    ``relevant`` skip logic; select_multiple space-separated
LimeSurvey          ``id``, ``submitdate``, ``lastpage``, ``startlanguage`` columns; with
                    ``--form`` its tab-separated survey structure (classes G, Q, SQ, A):
                    wording, answer codes and labels, sub-questions, ``relevance``
SPSS .sav           variable labels (wording) and value labels (options and scales)
==================  =========================================================================

Formats as documented by the platforms: Qualtrics "Understanding your dataset"; SurveyMonkey
"Understanding exported data" (expanded layout); XLSForm specification (xlsform.org); LimeSurvey
manual "Tab Separated Value survey structure"; pyreadstat's metadata for SPSS.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from giftreview.data.instrument import parse_instrument
from giftreview.data.io import read_raw
from giftreview.errors import ArgumentError

__all__ = ["Column", "Export", "read_export", "read_form"]

QUALTRICS_META = {
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
    "DistributionChannel", "UserLanguage",
}  # fmt: skip
SURVEYMONKEY_META = {
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
    "First Name", "Last Name", "Custom Data 1",
}  # fmt: skip
KOBO_META = {
    "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "audit", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_tags", "_index", "meta/instanceID", "formhub/uuid",
    "_xform_id_string", "_attachments", "_geolocation",
}  # fmt: skip
LIMESURVEY_META = {
    "id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
    "ipaddr", "refurl", "token",
}  # fmt: skip
_SM_SUB = {"Response", "Open-Ended Response"}


@dataclass
class Column:
    """What an export or its questionnaire says about one answer column."""

    text: str | None = None
    kind: str | None = None  # single / rating / multi / count / open, when the form says
    choices: list[tuple[str, str]] | None = None  # (code, label) in the questionnaire's order
    separator: str | None = None
    asked_if: str | None = None
    spread: list[tuple[str, str]] | None = None  # multi over columns: (column, option label)
    stem: str | None = None  # grid items: the shared question


@dataclass
class Export:
    """A raw export as a platform wrote it (see the module docstring)."""

    platform: str
    data: pd.DataFrame
    header_rows: int = 1
    name_row: int = 1
    roles: dict[str, str | None] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)
    title: str | None = None
    notes: list[str] = field(default_factory=list)


def _read_plain(raw: Path) -> pd.DataFrame:
    """Every row below the first as strings (read_raw with a one-row header)."""
    stub = parse_instrument(
        {
            "survey": {"id": "draft", "title": "draft"},
            "parts": [{"id": "P", "title": "P"}],
            "questions": [{"id": "Q", "part": "P", "text": "stub", "type": "open"}],
        }
    )
    return read_raw(raw, stub).data


def read_export(raw: Path | str, form: Path | str | None = None) -> Export:
    """Read ``raw`` and recognise its platform; ``form`` is an XLSForm or LimeSurvey structure.

    Raises :class:`InputFileError` for an unreadable file and :class:`ArgumentError` when a form
    is given for an export it does not describe.
    """
    raw = Path(raw)
    data = _read_plain(raw)
    if raw.suffix.lower() == ".sav" or raw.read_bytes()[:4] in (b"$FL2", b"$FL3"):
        exp = _spss(raw, data)
    elif len(data) >= 2 and _share(data.iloc[1], lambda v: v.startswith('{"ImportId"')) > 0.5:
        exp = _qualtrics(data)
    elif "Respondent ID" in data.columns and len(data) and _is_sm_sub(data.iloc[0]):
        exp = _surveymonkey(data)
    elif {"id", "submitdate", "lastpage"} <= set(data.columns):
        exp = Export("limesurvey", data, roles={"respondent_id": "id", "submitted": "submitdate"},
                     skip=set(data.columns) & LIMESURVEY_META)  # fmt: skip
    elif {"_uuid", "_submission_time"} & set(data.columns):
        idc = "_uuid" if "_uuid" in data.columns else "_id"
        exp = Export("kobo", data, roles={"respondent_id": idc, "submitted": "_submission_time"},
                     skip=set(data.columns) & KOBO_META)  # fmt: skip
    else:
        exp = Export("csv", data)
    if form is not None:
        apply_form(exp, read_form(form))
    return exp


def _share(row: pd.Series, test) -> float:
    vals = [str(v) for v in row if str(v).strip()]
    return sum(bool(test(v)) for v in vals) / max(len(vals), 1)


def _is_sm_sub(row: pd.Series) -> bool:
    return any(str(v) in _SM_SUB for v in row)


# ---- Qualtrics -------------------------------------------------------------------------------
def _qualtrics(data: pd.DataFrame) -> Export:
    texts = data.iloc[0]
    body = data.iloc[2:]
    cols: dict[str, Column] = {}
    for c in body.columns:
        if c in QUALTRICS_META:
            continue
        text = str(texts[c]).removesuffix(" - Selected Choice").strip()
        stem, _, item = text.rpartition(" - ")
        cols[c] = Column(text=item if stem else text, stem=stem or None, separator=",")
    return Export(
        "qualtrics",
        body,
        header_rows=3,
        roles={"respondent_id": "ResponseId", "submitted": "RecordedDate"},
        columns=cols,
        skip=set(body.columns) & QUALTRICS_META,
    )


# ---- SurveyMonkey ----------------------------------------------------------------------------
def _surveymonkey(data: pd.DataFrame) -> Export:
    sub = data.iloc[0]
    body = data.iloc[1:]
    cols: dict[str, Column] = {}
    names = list(body.columns)
    i = 0
    while i < len(names):
        c = names[i]
        if c in SURVEYMONKEY_META:
            i += 1
            continue
        j = i + 1
        while j < len(names) and names[j].startswith("unnamed_"):
            j += 1
        group = names[i:j]
        labels = [str(sub[g]) for g in group]
        if labels == ["Response"] or labels == ["Open-Ended Response"] or len(group) == 1:
            cols[c] = Column(text=c)
        elif all(
            set(body[g][body[g].str.strip() != ""]) <= {lab}
            for g, lab in zip(group, labels, strict=True)
        ):
            cols[c] = Column(text=c, kind="multi", spread=list(zip(group, labels, strict=True)))
        else:  # a grid: one rating per row label
            for g, lab in zip(group, labels, strict=True):
                cols[g] = Column(text=lab, stem=c)
        i = j
    note = (
        "SurveyMonkey writes dates month-first with AM/PM, which giftreview does not read: "
        "'End Date' is not used as the submission time"
    )
    return Export(
        "surveymonkey",
        body,
        header_rows=2,
        roles={"respondent_id": "Respondent ID", "submitted": None},
        columns=cols,
        skip=set(body.columns) & SURVEYMONKEY_META,
        notes=[note],
    )


# ---- SPSS ------------------------------------------------------------------------------------
def _spss(raw: Path, data: pd.DataFrame) -> Export:
    import pyreadstat

    # read_raw has read the file already (and reported a damaged one): the metadata read works
    _, meta = pyreadstat.read_sav(str(raw), metadataonly=True)
    cols: dict[str, Column] = {}
    for c in data.columns:
        text = (meta.column_names_to_labels or {}).get(c)
        labels = (meta.variable_value_labels or {}).get(c)
        stem, _, item = (text or "").rpartition(" - ")
        col = Column(text=(item if stem else text) or None, stem=stem or None)
        if labels:
            col.choices = [(_code(k), str(v)) for k, v in sorted(labels.items())]
        cols[c] = col
    return Export("spss", data, columns=cols, title=meta.file_label or None)


def _code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- questionnaires (--form) -----------------------------------------------------------------
@dataclass
class _Question:
    name: str
    kind: str
    text: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # sub-questions (code, text)
    asked_if: str | None = None


@dataclass
class Form:
    """A questionnaire file: its platform, title and questions in order."""

    platform: str
    title: str | None
    questions: list[_Question]


def read_form(path: Path | str) -> Form:
    """Read an XLSForm (``.xlsx`` with a ``survey`` sheet) or a LimeSurvey survey structure
    (tab-separated ``.txt`` with a ``class`` column)."""
    path = Path(path)
    if not path.is_file():
        raise ArgumentError(f"`--form` {path}: file not found; give the questionnaire file")
    if path.read_bytes()[:4] == b"PK\x03\x04":
        return _xlsform(path)
    text = path.read_text(encoding="utf-8-sig")
    head = text.splitlines()[0].split("\t") if text else []
    if "class" in head and "name" in head:
        return _limesurvey_structure(text)
    raise ArgumentError(
        f"`--form` {path}: neither an XLSForm (.xlsx with a 'survey' sheet) nor a LimeSurvey "
        "tab-separated survey structure (.txt with a 'class' column); export the questionnaire "
        "in one of these formats"
    )


def _sheet(wb, name: str) -> list[dict[str, str]]:
    if name not in wb.sheetnames:
        return []
    rows = [
        [("" if v is None else str(v)).strip() for v in r]
        for r in wb[name].iter_rows(values_only=True)
    ]
    if not rows:
        return []
    head = [h.casefold() for h in rows[0]]
    return [dict(zip(head, r, strict=False)) for r in rows[1:] if any(r)]


def _label(row: dict[str, str]) -> str:
    if row.get("label"):
        return row["label"]
    return next((v for k, v in row.items() if k.startswith("label::") and v), "")


_XLSFORM_KIND = {"select_one": "single", "select_multiple": "multi", "integer": "count",
                 "decimal": "count", "text": "open", "range": "count"}  # fmt: skip


def _xlsform(path: Path) -> Form:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ArgumentError(f"`--form` {path}: cannot open the workbook ({exc})") from None
    if "survey" not in wb.sheetnames:
        raise ArgumentError(f"`--form` {path}: no 'survey' sheet; is this an XLSForm?")
    survey, choices, settings = _sheet(wb, "survey"), _sheet(wb, "choices"), _sheet(wb, "settings")
    wb.close()
    lists: dict[str, list[tuple[str, str]]] = {}
    for ch in choices:
        lists.setdefault(ch.get("list_name", ""), []).append((ch.get("name", ""), _label(ch)))
    out = []
    for row in survey:
        base, _, arg = row.get("type", "").partition(" ")
        kind = _XLSFORM_KIND.get(base)
        if kind is None or not row.get("name"):
            continue
        out.append(
            _Question(row["name"], kind, _label(row) or row["name"], lists.get(arg.strip(), []),
                      asked_if=row.get("relevant") or None)
        )  # fmt: skip
    title = settings[0].get("form_title") if settings else None
    return Form("xlsform", title or None, out)


_LIME_KIND = {"L": "single", "!": "single", "O": "single", "F": "single", "M": "multi",
              "P": "multi", "N": "count", "T": "open", "S": "open", "U": "open", "5": "rating"}  # fmt: skip


def _limesurvey_structure(text: str) -> Form:
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    title, out, current = None, [], None
    for r in rows:
        cls, name, label = r.get("class", ""), r.get("name", ""), r.get("text", "")
        if cls == "SL" and name == "surveyls_title":
            title = label
        elif cls == "Q":
            kind = _LIME_KIND.get(r.get("type/scale", ""), "open")
            rel = r.get("relevance", "").strip()
            current = _Question(
                name, kind, label or name, asked_if=None if rel in ("", "1") else rel
            )
            out.append(current)
        elif cls == "SQ" and current is not None:
            current.items.append((name, label))
        elif cls == "A" and current is not None:
            current.choices.append((name, label))
    return Form("limesurvey", title, out)


def apply_form(exp: Export, form: Form) -> None:
    """Fill the export's columns from the questionnaire: wording, kind, choices, skip logic."""
    if form.title:
        exp.title = form.title
    matched = 0
    for q in form.questions:
        if q.items and q.kind == "multi":  # LimeSurvey multiple choice: Y per sub-question
            spread = [(f"{q.name}[{code}]", text) for code, text in q.items]
            if any(c in exp.data.columns for c, _ in spread):
                exp.columns[q.name] = Column(
                    text=q.text, kind="multi", spread=spread, asked_if=q.asked_if
                )
                matched += 1
            continue
        if q.items:  # LimeSurvey array: one column per sub-question, sharing the answers
            for code, text in q.items:
                col = f"{q.name}[{code}]"
                if col in exp.data.columns:
                    exp.columns[col] = Column(text=text, stem=q.text, kind=q.kind, choices=q.choices or None,
                                              asked_if=q.asked_if)  # fmt: skip
                    matched += 1
            continue
        col = _data_column(exp.data.columns, q.name)
        if col is None:
            continue
        matched += 1
        exp.columns[col] = Column(
            text=q.text, kind=q.kind, choices=q.choices or None, asked_if=q.asked_if,
            separator=" " if form.platform == "xlsform" and q.kind == "multi" else None,
        )  # fmt: skip
        if q.kind == "multi":  # KoBo's 0/1 split columns duplicate the joined answer
            exp.skip |= {c for c in exp.data.columns if c.startswith(f"{col}/")}
    if not matched:
        raise ArgumentError(
            f"`--form`: none of its {len(form.questions)} questions names a column of the export; "
            "give the questionnaire of this export"
        )


def _data_column(columns, name: str) -> str | None:
    """The export column of a form question: its name, or a group path ending in ``/name``."""
    if name in columns:
        return name
    return next((c for c in columns if re.search(rf"(^|/){re.escape(name)}$", c)), None)
