"""Respondent text is hostile until escaped.

Defences used wherever free text leaves the library (HTML is escaped by the report templates,
Jinja2 with autoescape, :mod:`giftreview.report.templating`):

* :func:`neutralise_formula` before text goes into a CSV or XLSX file a spreadsheet may open
  (OWASP "CSV injection": a cell starting with ``= + - @`` or a tab/CR is run as a formula);
* :func:`redact_pii` before a quote is published (e-mail addresses, phone numbers, URLs and the
  respondent's own organization name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = [
    "EMAIL_RE",
    "URL_RE",
    "PHONE_RE",
    "neutralise_formula",
    "neutralise_frame",
    "redact_pii",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# International or local phone numbers: 7+ digits with optional +, spaces, dots, dashes, brackets.
PHONE_RE = re.compile(r"(?<![\w/])\+?\(?\d[\d\s().\-]{6,}\d(?![\w/])")


def neutralise_formula(value: object) -> object:
    """Make a cell value safe for a spreadsheet.

    A string starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with a
    single quote so Excel, LibreOffice and Google Sheets show it as text instead of evaluating it.
    Numbers and other non-strings are returned unchanged (a negative *number* is not a formula).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_frame(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``data`` with :func:`neutralise_formula` applied to every text cell and header."""
    out = data.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_formula)
    out.columns = [neutralise_formula(c) if isinstance(c, str) else c for c in out.columns]
    return out


def redact_pii(text: str, organization_names: Iterable[str] = ()) -> str:
    """Remove personal data from a quote.

    E-mail addresses become ``[email]``, URLs ``[url]``, phone numbers ``[phone]`` and each of
    ``organization_names`` (case-insensitive, whole words) ``[organization]``.
    """
    if not isinstance(text, str):
        return text
    out = EMAIL_RE.sub("[email]", text)
    out = URL_RE.sub("[url]", out)
    out = PHONE_RE.sub("[phone]", out)
    for name in sorted(
        {n.strip() for n in organization_names if isinstance(n, str) and n.strip()},
        key=len,
        reverse=True,
    ):
        if len(name) < 3:
            continue
        out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[organization]", out, flags=re.IGNORECASE)
    return out
