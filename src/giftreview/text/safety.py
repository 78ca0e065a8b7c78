"""Respondent text is hostile until escaped.

Defences used wherever free text leaves the library (HTML is escaped by the report templates,
Jinja2 with autoescape, :mod:`giftreview.report.templating`):

* :func:`write_table` (with :func:`neutralise_formula`) for every CSV and XLSX file the package
  writes: a cell a spreadsheet would run as a formula (OWASP "CSV injection": starting with
  ``= + - @``, a tab or a carriage return, also after leading spaces or line breaks) gets a
  leading ``'``, embedded line breaks are quoted, and the path is checked to lie inside its
  folder (:func:`giftreview.paths.inside`);
* :func:`redact_pii` before a quote or a free-text table cell is published (see
  :data:`REDACTION_NOTE` for what is removed);
* :func:`redact_frame` applies :func:`redact_pii` to every text cell of a published table.

Redaction is done with regular expressions, not presidio: presidio's recognisers need a spaCy
language model, which cannot be installed offline here, and its pattern recognisers for e-mail,
URL and phone are regexes of the same kind. The expressions below also catch the obfuscated
spellings survey answers use (``john (at) example (dot) org``) and names after a title.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import PY_WHITESPACE_RE2
from giftreview.errors import ArgumentError
from giftreview.paths import inside, is_under_raw
from giftreview.text.csvtext import csv_chunks

__all__ = [
    "EMAIL_RE",
    "URL_RE",
    "PHONE_RE",
    "TITLED_NAME_RE",
    "REDACTION_NOTE",
    "neutralise_formula",
    "unneutralise_formula",
    "looks_like_formula",
    "neutralise_frame",
    "write_table",
    "write_csv",
    "csv_text",
    "csv_bytes",
    "xlsx_value",
    "redact_pii",
    "MAYBE_PII",
    "redact_texts",
    "redact_frame",
]

_FORMULA_CHARS = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r")
_LEADING_SPACE = " \t\r\n\x0b\x0c\u00a0\u3000"
#: :func:`looks_like_formula` as one regular expression, for whole columns
_FORMULA_RE = "^(?:[\t\r]|[" + _LEADING_SPACE + "]*[=+@-])"  # literal class characters

_AT = r"(?:@|\s*[(\[{]\s*at\s*[)\]}]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+)"
#: e-mail addresses, also written ``name (at) host (dot) org``, ``name [at] host.org`` or
#: ``name at host dot org``; the last label must be letters (``at 5.30`` is not an address)
EMAIL_RE = re.compile(
    rf"[A-Za-z0-9._%+\-]+{_AT}[A-Za-z0-9\-]+(?:{_DOT}[A-Za-z0-9\-]+)*{_DOT}[A-Za-z]{{2,}}\b",
    re.IGNORECASE,
)
#: any URL scheme (``https://``, ``ftp://``, ``sftp://``, ``file://``...), ``mailto:`` and
#: ``www.`` addresses
URL_RE = re.compile(r"(?:\b[a-z][a-z0-9+.\-]{1,15}://|\bmailto:|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
#: phone numbers: 7 to 15 digits (E.164 allows 15), with an optional ``+`` or ``00`` prefix,
#: spaces, dots, dashes, slashes and brackets (``+44 (0)20 7946 0958``, ``(202) 555-0143``)
PHONE_RE = re.compile(r"(?<![\w/(+])(?:\+\s?|\()?\(?\d[\d\s().\-/]{5,}\d(?![\w/])")
_YEAR_RANGE = re.compile(r"^\(?(?:19|20)\d\d\)?\s*[-/]\s*\(?(?:19|20)?\d\d\)?$")
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Dr|Dra|Prof|Sir|Dame|H\.\s?E\.)"
_NAME = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*\.?"
#: a title followed by one to three capitalised words: ``Dr. Maria Gonzalez``, ``H.E. Mr Smith``
TITLED_NAME_RE = re.compile(
    rf"\b{_TITLE}\.?(?:\s+{_TITLE}\.?)*\s+{_NAME}(?:\s+{_NAME}){{0,2}}(?=\W|$)"
)

#: what :func:`redact_pii` removes, for the methods appendix of every report
REDACTION_NOTE = (
    "Quotes and every free-text cell of a published table are redacted before publication: "
    "e-mail addresses, also when written as 'name (at) host (dot) org', become [email]; links "
    "of any scheme (http, https, ftp, mailto...) and www. addresses become [url]; phone numbers "
    "of 7 to 15 digits in national or international format become [phone]; a name after a "
    "title (Mr, Mrs, Ms, Dr, Prof, H.E. and similar) becomes [name]; and the respondent's own "
    "organization name becomes [organization]. Redaction uses fixed patterns: a name written "
    "without a title is not recognised."
)


def looks_like_formula(value: object) -> bool:
    """True when a spreadsheet could run ``value`` as a formula or mangle it.

    That is a string starting with a tab or carriage return, or whose first character after
    leading spaces and line breaks is ``=``, ``+``, ``-`` or ``@``.
    """
    if not isinstance(value, str) or not value:
        return False
    return value.startswith(_CONTROL_START) or value.lstrip(_LEADING_SPACE).startswith(
        _FORMULA_CHARS
    )


def neutralise_formula(value: object) -> object:
    """Make a cell value safe for a spreadsheet.

    A string for which :func:`looks_like_formula` holds (``=1+1``, ``\\r=1+1``, ``  @SUM(A1)``,
    ``-2`` as text) is prefixed with a single quote so Excel, LibreOffice and Google Sheets show
    it as text instead of evaluating it. Numbers and other non-strings are returned unchanged
    (a negative *number* is not a formula).
    """
    if looks_like_formula(value):
        return "'" + value
    return value


def unneutralise_formula(value: object) -> object:
    """Undo :func:`neutralise_formula` on a cell read back from a sheet the package wrote."""
    if isinstance(value, str) and value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


def neutralise_frame(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``data`` with :func:`neutralise_formula` applied to every text cell and header.

    Whole columns at once: string columns are searched by one regular expression (the same test
    as :func:`looks_like_formula`) and only the matching cells are prefixed; categorical columns
    are neutralised per category. Object columns (mixed values) go cell by cell.
    """
    out = data.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = np.asarray([neutralise_formula(c) for c in s.cat.categories] + [np.nan], object)
            out[col] = pd.Series(cats[s.cat.codes.to_numpy()], index=s.index, dtype=object)
        elif s.dtype != object and pd.api.types.is_string_dtype(s):
            hit = s.str.contains(_FORMULA_RE, regex=True, na=False).to_numpy(dtype=bool)
            if hit.any():
                s = s.copy()
                s[hit] = "'" + s[hit]
                out[col] = s
        elif s.dtype == object:
            out[col] = s.map(neutralise_formula)
    out.columns = [neutralise_formula(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_text(data: pd.DataFrame, **to_csv: object) -> str:
    """``data`` as CSV text: neutralised cells, every embedded line break quoted, rows ended by
    ``\\n``.

    pandas (like Python's csv module) quotes only the characters of its line terminator, so with
    ``\\n`` rows a bare ``\\r`` inside a cell is left unquoted and a reader starts a new row
    there. The table is therefore written with ``\\r\\n`` rows (both characters force quotes) and
    the row ends, outside quotes, turned back into ``\\n``.

    Tables of two or more columns, with no options beyond ``header`` and ``date_format``, are
    rendered column by column by :func:`giftreview.text.csvtext.csv_chunks` (the same bytes,
    without a Python call per cell: a million-row audit has millions of cells).
    """
    return b"".join(csv_bytes(data, **to_csv)).decode("utf-8")


def csv_bytes(data: pd.DataFrame, **to_csv: object) -> Iterator[bytes | memoryview]:
    """:func:`csv_text` as UTF-8 bytes, in chunks of rows (what :func:`write_table` writes: the
    text is never decoded and encoded again); a chunk may be a ``memoryview``."""
    if (
        data.shape[1] >= 2
        and set(to_csv) <= {"header", "date_format"}
        and _plain_dates(data, to_csv)
    ):
        yield from csv_chunks(
            data,
            date_format=to_csv.get("date_format"),
            neutralise=neutralise_frame,
            header=bool(to_csv.get("header", True)),
        )
        return
    text = neutralise_frame(data).to_csv(index=False, lineterminator="\r\n", **to_csv)
    parts = text.split('"')  # even-numbered parts lie outside quotes ("" toggles twice)
    parts[::2] = [p.replace("\r\n", "\n") for p in parts[::2]]
    yield '"'.join(parts).encode("utf-8")


def _plain_dates(data: pd.DataFrame, to_csv: dict[str, object]) -> bool:
    """Whether every datetime column is written by a ``date_format`` and none carries a time zone
    (the vectorised route formats naive seconds; anything else goes through pandas)."""
    # the dtypes, not the columns: a Series per column of each slice written cost 2 ms a call
    dates = [t for t in data.dtypes if pd.api.types.is_datetime64_any_dtype(t)]
    if not dates:
        return True
    return to_csv.get("date_format") is not None and not any(
        isinstance(t, pd.DatetimeTZDtype) for t in dates
    )


_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value(value: object) -> object:
    """A cell value for openpyxl: neutralised, numpy scalars unwrapped, NA blank and the
    control characters XML cannot hold (openpyxl raises ``IllegalCharacterError``) removed."""
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, str):
        value = _ILLEGAL_XLSX.sub("", value)
    return neutralise_formula(value)


def write_csv(fh: BinaryIO, data: pd.DataFrame, encoding: str = "utf-8", **to_csv: object):
    """Write :func:`csv_bytes` of ``data`` to the open binary file ``fh`` in ``encoding``
    (UTF-8 as rendered; ``utf-8-sig`` with its byte-order mark when ``fh`` is at the start;
    any other encoding through text). :func:`write_table` and the appended blocks of
    :mod:`giftreview.data.outputs` write through here."""
    codec = codecs.lookup(encoding).name
    if codec == "utf-8-sig" and fh.tell() == 0:
        fh.write(codecs.BOM_UTF8)
    for chunk in csv_bytes(data, **to_csv):
        if codec in ("utf-8", "utf-8-sig"):
            fh.write(chunk)
        else:
            fh.write(str(chunk, "utf-8").encode(encoding))


def write_table(
    data: pd.DataFrame | dict[str, pd.DataFrame],
    path: Path | str,
    *,
    folder: Path | str | None = None,
    encoding: str = "utf-8",
    **to_csv: object,
) -> Path:
    """Write one table as CSV, or tables as the sheets of an XLSX, safely. Every CSV and XLSX file
    giftreview writes goes through here.

    Parameters
    ----------
    data
        A DataFrame, or for ``.xlsx`` a mapping sheet name -> DataFrame.
    path
        ``.csv`` or ``.xlsx`` file.
    folder
        The folder ``path`` must lie in (checked after resolving links, see
        :func:`giftreview.paths.inside`); default ``path``'s parent.
    encoding
        CSV text encoding (``utf-8-sig`` for sheets meant for Excel).
    to_csv
        Passed to :meth:`pandas.DataFrame.to_csv` (e.g. ``date_format``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    inside(path, folder if folder is not None else path.parent)
    if is_under_raw(path):
        raise ArgumentError(f"refusing to write {path}: data/raw is never written")
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if isinstance(data, dict):
            raise ArgumentError("`data` for a .csv file is one DataFrame, not a mapping")
        with open(path, "wb") as fh:
            write_csv(fh, data, encoding, **to_csv)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        sheets = data if isinstance(data, dict) else {"Sheet1": data}
        wb = Workbook()
        wb.remove(wb.active)
        for name, frame in sheets.items():
            ws = wb.create_sheet(str(name)[:31])
            ws.append([xlsx_value(str(c)) for c in frame.columns])
            for row in frame.itertuples(index=False):
                ws.append([xlsx_value(v) for v in row])
        wb.save(path)
    else:
        raise ArgumentError(f"`path` {path} must end in .csv or .xlsx")
    return path


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15 or _YEAR_RANGE.match(text.strip()):
        return text
    return "[phone]"


def redact_pii(text: str, organization_names: Iterable[str] = ()) -> str:
    """Remove personal data from a quote or a free-text cell (see :data:`REDACTION_NOTE`).

    E-mail addresses (also obfuscated) become ``[email]``, URLs of any scheme and ``www.``
    addresses ``[url]``, phone numbers ``[phone]``, a name after a title ``[name]`` and each of
    ``organization_names`` (case-insensitive, whole words) ``[organization]``.
    """
    if not isinstance(text, str):
        return text
    out = URL_RE.sub("[url]", text)
    out = EMAIL_RE.sub("[email]", out)
    out = PHONE_RE.sub(_phone, out)
    out = TITLED_NAME_RE.sub("[name]", out)
    for name in sorted(
        {n.strip() for n in organization_names if isinstance(n, str) and n.strip()},
        key=len,
        reverse=True,
    ):
        if len(name) < 3:
            continue
        out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[organization]", out, flags=re.IGNORECASE)
    return out


#: Python's white space (``\\s`` of a str pattern) as an RE2 class
_SPACE = PY_WHITESPACE_RE2
#: RE2: what every match of :data:`URL_RE`, :data:`EMAIL_RE`, :data:`PHONE_RE` (with 7 digits or
#: more, the only ones :func:`redact_pii` replaces) or :data:`TITLED_NAME_RE` contains; a text
#: without any of these is returned unchanged by :func:`redact_pii`. Each alternative is a
#: superset of its Python pattern (look-arounds and word bounds dropped, Unicode digits
#: ``\\p{Nd}`` for Python's ``\\d``, Python's white space spelled out).
_MAYBE_PII = "|".join(
    [
        r"(?i)://|mailto:|www\.",  # URL_RE
        rf"@|[(\[{{]{_SPACE}*at{_SPACE}*[)\]}}]|{_SPACE}at{_SPACE}",  # EMAIL_RE: its _AT
        rf"\p{{Nd}}(?:[\p{{Nd}}().\-/]|{_SPACE}){{5,}}\p{{Nd}}",  # PHONE_RE
        rf"(?-i:(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Dr|Dra|Prof|Sir|Dame|H\.{_SPACE}?E\.)\.?{_SPACE})",
    ]
)
#: :data:`_MAYBE_PII` for callers holding texts in Arrow (only the texts it finds can change)
MAYBE_PII = _MAYBE_PII


def redact_texts(texts: pd.Series) -> pd.Series:
    """:func:`redact_pii` (no organization names) of a whole column, each distinct text once.

    The column is searched once by RE2 (pyarrow) for anything personal data could start with
    (:data:`_MAYBE_PII`: ``://``, ``@``, `` at ``, a run of seven digits and separators, a
    title followed by a space); only the distinct texts found go through :func:`redact_pii`,
    the others are personal-data free and kept as they are. The result equals
    ``texts.map(redact_pii)`` (``tests/test_safety.py`` checks it against the per-text function).

    Parameters
    ----------
    texts
        Strings or missing values.

    Returns
    -------
    pandas.Series
        The redacted texts (object dtype), index of ``texts``.
    """
    values = texts.to_numpy(dtype=object)
    is_str = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
    out = values.copy()
    if not is_str.any():
        return pd.Series(out, index=texts.index, dtype=object)
    enc = pc.dictionary_encode(pa.array(values[is_str], type=pa.large_string()))
    distinct = enc.dictionary
    maybe = np.asarray(pc.match_substring_regex(distinct, _MAYBE_PII).to_numpy(False), bool)
    hit = np.flatnonzero(maybe)
    redacted = np.asarray(distinct.to_pylist(), dtype=object) if len(hit) else None
    if redacted is not None:
        redacted[hit] = [redact_pii(t) for t in distinct.take(pa.array(hit)).to_pylist()]
        codes = np.asarray(enc.indices.to_numpy(False), dtype=np.int64)
        out[is_str] = redacted[codes]
    return pd.Series(out, index=texts.index, dtype=object)


def redact_frame(data: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``data`` with :func:`redact_pii` applied to every text cell of ``columns``
    (default: every text column), for tables published in a report."""
    out = data.copy()
    for col in columns if columns is not None else out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(redact_pii)
    return out
