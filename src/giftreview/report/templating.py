"""The one Jinja2 environment of the report layer, its filters and :func:`render`.

Templates live in ``giftreview/templates/report`` (loaded with :class:`jinja2.PackageLoader`, so
they travel with the installed package). Autoescape is on for every template: any value a
template prints, respondent text included, is HTML-escaped by Jinja2, and only a rendered
:class:`~giftreview.report.views.Html` (which carries ``__html__``) is inserted as markup.

The number formats are plain functions (used when a table's cells are built) and also filters
(``{{ p | fmt_p }}``) for the templates.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
import pandas as pd

from giftreview.report.views import Html

__all__ = [
    "ENV",
    "fmt_pct",
    "fmt_ci",
    "fmt_ci_column",
    "fmt_p",
    "fmt_num",
    "is_suppressed_mark",
    "render",
    "render_text",
    "pdf_margins",
]


def fmt_pct(value: Any) -> str:
    """A percentage (0-100) with one decimal; NA is ``""``."""
    return "" if pd.isna(value) else f"{float(value):.1f}"


def fmt_ci(low: Any, high: Any) -> str:
    """An interval as ``"low to high"`` (one decimal); ``""`` when either end is NA."""
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{float(low):.1f} to {float(high):.1f}"


def fmt_ci_column(table: pd.DataFrame) -> list[str]:
    """The ``ci_low``/``ci_high`` columns of ``table`` as one "low to high" text per row."""
    return [fmt_ci(a, b) for a, b in zip(table["ci_low"], table["ci_high"], strict=True)]


def fmt_p(p: Any) -> str:
    """A p-value with three decimals, ``"<0.001"`` below 0.001; NA is ``""``."""
    if pd.isna(p):
        return ""
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fmt_num(x: Any, digits: int = 2) -> str:
    """A number with up to ``digits`` decimals (trailing zeros dropped); NA is ``""``."""
    if pd.isna(x):
        return ""
    return f"{float(x):.{digits}f}".rstrip("0").rstrip(".") if digits else f"{float(x):.0f}"


_MARK = re.compile(r"<\d+|x")


def is_suppressed_mark(text: Any) -> bool:
    """True for a suppressed count as the disclosure module shows it: ``"<k"`` or ``"x"``."""
    return isinstance(text, str) and _MARK.fullmatch(text) is not None


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("giftreview", "templates"),
    autoescape=True,  # every template here is HTML; escaping is never done by hand
    undefined=jinja2.StrictUndefined,  # a misspelt name fails loudly instead of printing ""
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(fmt_pct=fmt_pct, fmt_p=fmt_p, fmt_num=fmt_num, fmt_ci=fmt_ci)
ENV.tests["suppressed_mark"] = is_suppressed_mark


def render_text(template: str, /, **context: Any) -> str:
    """``template`` (a name under ``templates/``, e.g. ``"report/index.html.j2"``) as a string."""
    return ENV.get_template(template).render(**context)


def render(template: str, /, **context: Any) -> Html:
    """``template`` rendered with ``context`` as an :class:`~giftreview.report.views.Html`."""
    return Html(render_text(template, **context).strip())


def pdf_margins(header: str) -> dict[str, str]:
    """Chromium's ``headerTemplate`` and ``footerTemplate``: the running header (escaped) above,
    "page N of M" below (Chromium fills the ``pageNumber``/``totalPages`` classes)."""
    return {
        "headerTemplate": render_text("report/pdf_header.html.j2", header=header).strip(),
        "footerTemplate": render_text("report/pdf_footer.html.j2").strip(),
    }
