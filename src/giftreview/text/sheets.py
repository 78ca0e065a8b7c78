"""Human coding round trip: coding sheets written for coders and read back with their problems.

:func:`export_sheet` writes a coding sheet (XLSX or CSV, one column per theme, auto codes
pre-filled, cells neutralised against spreadsheet formulas); :func:`import_sheets` reads one
edited sheet per coder and reports unknown theme ids, changed answer text and missing rows, as
:class:`giftreview.text.coding.HumanCodes`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from giftreview.errors import ArgumentError, InputFileError
from giftreview.paths import inside, is_under_raw
from giftreview.text.codebook import Codebook, parse_codebook, suggest  # noqa: F401
from giftreview.text.coding import CodedAnswers, HumanCodes, answers_of, code_question  # noqa: F401
from giftreview.text.safety import unneutralise_formula, write_table, xlsx_value

__all__ = ["SHEET_FIXED", "sheet_frame", "export_sheet", "read_sheet", "import_sheets"]

#: fixed (non-theme) columns of a coding sheet
SHEET_FIXED = ["respondent_id", "question", "answer", "coder", "notes"]
_TRUE = {"1", "1.0", "x", "yes", "y", "true", "t"}
_FALSE = {"", "0", "0.0", "no", "n", "false", "f", "nan", "none"}


def sheet_frame(coded: CodedAnswers, *, prefill: bool = True) -> pd.DataFrame:
    """The coding sheet as a table: fixed columns, then one 0/1 column per theme.

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> sheet_frame(coded)[["respondent_id", "training", "funding"]]
      respondent_id  training  funding
    0            r1         1        1
    1            r2         1        0
    2            r4         0        0
    """
    out = coded.answered.copy()
    out.insert(1, "question", coded.question)
    out["coder"] = ""
    out["notes"] = ""
    hits = set(zip(coded.codes["respondent_id"], coded.codes["theme"], strict=True))
    for t in coded.codebook.ids:
        out[t] = [int(prefill and (r, t) in hits) for r in out["respondent_id"]]
    return out[SHEET_FIXED + coded.codebook.ids]


def export_sheet(
    coded: CodedAnswers,
    data: pd.DataFrame,
    path: Path | str,
    *,
    prefill: bool = True,
    coder: str = "",
) -> Path:
    """Write a coding sheet (``.xlsx`` or ``.csv``) for a human coder.

    One row per answer; columns ``respondent_id, question, answer, coder, notes`` and one column
    per theme id holding 1 (theme present) or 0, pre-filled with the auto codes when ``prefill``.
    Every text cell is neutralised against spreadsheet formulas (a leading ``= + - @`` tab or CR
    gets a ``'``), so an answer such as ``=HYPERLINK(...)`` is shown, never run. The XLSX file has
    a second sheet ``codebook`` with each theme's label, description and example.

    ``data`` is the clean table the codes were made from; the sheet is refused when its answers
    differ from ``coded`` (codes of another wave or an older cleaning).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = export_sheet(coded, data, Path(tmp) / "why_ana.csv", coder="ana")
    ...     list(read_sheet(path).columns)
    ['respondent_id', 'question', 'answer', 'coder', 'notes', 'training', 'funding']
    """
    now = answers_of(data, coded.question)
    if not now.equals(coded.answered):
        raise ArgumentError(
            f"`coded` does not match `data`: the answers to {coded.question} differ; code the "
            "same table you export (code_question(data, ...))"
        )

    path = Path(path)
    if is_under_raw(path):
        raise ArgumentError(f"`path` {path} is under data/raw, which is never written; choose "
                            "another folder, e.g. data/processed/<wave>/coding/")  # fmt: skip
    sheet = sheet_frame(coded, prefill=prefill)
    sheet["coder"] = coder
    if path.suffix.lower() == ".csv":
        write_table(sheet, path, encoding="utf-8-sig")
    elif path.suffix.lower() == ".xlsx":
        _write_xlsx(sheet, coded.codebook, path)
    else:
        raise ArgumentError(f"`path` {path} must end in .xlsx or .csv")
    return path


def _write_xlsx(sheet: pd.DataFrame, codebook: Codebook, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    # the layout (widths, validation, frozen panes) needs openpyxl itself; every cell still
    # passes the one safe writer's cell rule (safety.xlsx_value) and path check
    inside(path, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    ws.append([xlsx_value(str(c)) for c in sheet.columns])
    for row in sheet.itertuples(index=False):
        ws.append([xlsx_value(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "D2"
    ws.column_dimensions["C"].width = 80
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    dv = DataValidation(type="list", formula1='"0,1"', allow_blank=True)
    ws.add_data_validation(dv)
    first = len(SHEET_FIXED) + 1
    for col in ws.iter_cols(min_row=2, min_col=first, max_col=ws.max_column):
        for cell in col:
            dv.add(cell)
    cb = wb.create_sheet("codebook")
    cb.append(["theme", "label", "description", "example"])
    for t in codebook.themes:
        cb.append([xlsx_value(v) for v in (t.id, t.label, t.description, t.example)])
    wb.save(path)


_unneutralise = unneutralise_formula


def _norm_text(value: object) -> str:
    return " ".join(str(_unneutralise(value)).split()) if isinstance(value, str) else ""


def read_sheet(path: Path | str) -> pd.DataFrame:
    """Read a coding sheet back as text cells (XLSX sheet ``coding`` or CSV).

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sheet = read_sheet(export_sheet(coded, data, Path(tmp) / "why.csv"))
    >>> sheet[["respondent_id", "training", "funding"]]
      respondent_id training funding
    0            r1        1       1
    1            r2        1       0
    2            r4        0       0
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError("coding sheet not found; check the path", path=path)
    try:
        if path.suffix.lower() == ".xlsx":
            raw = pd.read_excel(
                path, sheet_name="coding", dtype=str, keep_default_na=False, engine="openpyxl"
            )
        elif path.suffix.lower() == ".csv":
            raw = _read_sheet_csv(path)
        else:
            raise InputFileError("a coding sheet ends in .xlsx or .csv", path=path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        # a truncated or damaged workbook (BadZipFile, EOFError) or a missing 'coding' sheet
        raise InputFileError(
            f"cannot read the coding sheet: it is damaged, truncated or not a workbook ({exc}); "
            "open it in a spreadsheet program, save it again as .xlsx (or export it as CSV) and "
            "retry",
            path=path,
        ) from None
    raw.columns = [str(_unneutralise(str(c))).strip() for c in raw.columns]
    return raw.map(_unneutralise)


def _read_sheet_csv(path: Path) -> pd.DataFrame:
    """A CSV sheet as saved by a spreadsheet: UTF-8 (BOM or not) or Windows-1252, and a comma,
    semicolon or tab delimiter (Excel in many locales saves ";")."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    sep = max([",", ";", "\t"], key=first.count)
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def import_sheets(
    paths: Sequence[Path | str], codebook: Codebook, data: pd.DataFrame, *, strict: bool = True
) -> HumanCodes:
    """Read edited coding sheets, one per coder, and check them against the codebook and data.

    Parameters
    ----------
    paths
        The sheets (``.xlsx`` or ``.csv``) written by :func:`export_sheet` and edited by coders.
    codebook
        The codebook the sheets were made for.
    data
        The clean table the sheets were exported from (answers in column ``codebook.question``).
    strict
        When True, any error (unknown theme column, changed answer text, unknown respondent, a
        cell that is not 0/1, a repeated coder) raises :class:`InputFileError` listing every
        problem; when False, offending rows are left out and listed in ``problems``.

    Returns
    -------
    HumanCodes
        Missing rows (answers not in a sheet) and missing theme columns are warnings in
        ``problems``; missing theme cells are read as 0 only when the column exists.

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     human = import_sheets([export_sheet(coded, data, Path(tmp) / "s.csv", coder="ana")],
    ...                           cb, data)
    >>> human.coders, len(human.problems)
    (['ana'], 0)
    >>> human.codes.head(2)
      respondent_id coder     theme  value
    0            r1   ana  training      1
    1            r1   ana   funding      1
    """
    if not paths:
        raise ArgumentError("`paths` is empty; pass at least one coding sheet")
    answers = answers_of(data, codebook.question).set_index("respondent_id")["answer"]
    frames, problems, coders = [], [], []
    for p in paths:
        codes, probs, coder = _read_one(Path(p), codebook, answers)
        if coder in coders:
            probs.append((str(p), 0, "", "coder", coder, "error",
                          f"coder {coder!r} also coded another sheet; give each coder a unique "
                          "name in the coder column"))  # fmt: skip
        coders.append(coder)
        frames.append(codes)
        problems += probs
    cols = ["file", "row", "respondent_id", "column", "value", "severity", "problem"]
    prob = pd.DataFrame(problems, columns=cols)
    errors = prob[prob["severity"] == "error"]
    if strict and len(errors):
        lines = [f"{r.file} row {r.row}: {r.problem}" for r in errors.itertuples()]
        raise InputFileError(
            f"{len(errors)} problem(s) in the coding sheets:\n  "
            + "\n  ".join(lines[:50])
            + ("\n  ..." if len(lines) > 50 else "")
            + "\nfix the sheets, or leave those rows out with strict=False (command line: --lenient)"
        )
    codes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return HumanCodes(codebook.question, codes, prob, coders)


def _read_one(
    path: Path, codebook: Codebook, answers: pd.Series
) -> tuple[pd.DataFrame, list[tuple], str]:
    """Codes, problems and coder name of one sheet."""
    sheet = read_sheet(path)
    f = str(path)
    probs, themes, coder = _header_problems(f, sheet, codebook)
    rows, seen = [], set()
    for i, r in enumerate(sheet.itertuples(index=False), start=2):
        rec = dict(zip(sheet.columns, r, strict=True))
        rid = str(rec["respondent_id"]).strip()
        bad = _row_problems(f, i, rid, rec, answers, seen)
        values = []
        for t in themes:
            v = str(rec[t]).strip().lower()
            if v in _TRUE or v in _FALSE:
                values.append((rid, coder, t, int(v in _TRUE)))
            else:
                bad.append((f, i, rid, t, rec[t], "error",
                            f"cell {rec[t]!r} under theme {t} is not 1/0 (or x/blank)"))  # fmt: skip
        probs += bad
        seen.add(rid)
        if not any(b[5] == "error" for b in bad):
            rows += values
    for rid in answers.index:
        if rid not in seen:
            probs.append((f, 0, rid, "respondent_id", rid, "warning",
                          f"answer of {rid} is missing from the sheet (not coded by {coder})"))  # fmt: skip
    codes = pd.DataFrame(rows, columns=["respondent_id", "coder", "theme", "value"])
    return codes, probs, coder


def _header_problems(
    f: str, sheet: pd.DataFrame, codebook: Codebook
) -> tuple[list[tuple], list[str], str]:
    """Problems of a sheet's columns, its theme columns and its coder name."""
    for col in ("respondent_id", "answer"):
        if col not in sheet.columns:
            raise InputFileError(f"column {col!r} is missing; export a fresh sheet", path=f)
    probs = [
        (f, 1, "", c, c, "error",
         f"unknown theme id {c!r} (column header); {suggest(c, codebook.ids)}")
        for c in sheet.columns if c not in SHEET_FIXED and c not in codebook.ids
    ]  # fmt: skip
    themes = [t for t in codebook.ids if t in sheet.columns]
    probs += [
        (f, 1, "", t, "", "warning",
         f"theme column {t!r} is missing; its codes are not read from this sheet")
        for t in codebook.ids if t not in themes
    ]  # fmt: skip
    names = {v.strip() for v in sheet.get("coder", pd.Series(dtype=str)) if v.strip()}
    coder = names.pop() if len(names) == 1 else Path(f).stem
    if names:
        probs.append((f, 0, "", "coder", ", ".join(sorted(names)), "error",
                      "several names in the coder column; one sheet per coder"))  # fmt: skip
    qs = {q for q in sheet.get("question", pd.Series(dtype=str)) if q.strip()}
    if qs - {codebook.question}:
        probs.append((f, 0, "", "question", ", ".join(sorted(qs)), "error",
                      f"the sheet is for question {sorted(qs)}, not {codebook.question}"))  # fmt: skip
    return probs, themes, coder


def _row_problems(
    f: str, i: int, rid: str, rec: dict, answers: pd.Series, seen: set[str]
) -> list[tuple]:
    if rid in seen:
        return [(f, i, rid, "respondent_id", rid, "error", f"respondent {rid} appears twice")]
    if rid not in answers.index:
        return [(f, i, rid, "respondent_id", rid, "error",
                 f"respondent {rid!r} has no answer in the data; was the sheet made for "
                 "another wave?")]  # fmt: skip
    if _norm_text(rec["answer"]) != _norm_text(answers[rid]):
        return [(f, i, rid, "answer", rec["answer"], "error",
                 f"answer text of {rid} differs from the data (edited in the sheet, or the data "
                 "changed); restore the text or export a fresh sheet")]  # fmt: skip
    return []
