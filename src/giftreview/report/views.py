"""View models: what the report layer hands to the templates.

Each report call builds small, plain objects (tidy frames of display text, PNG bytes, captions
as plain text) and renders them with a template of ``giftreview/templates/report`` through
:func:`giftreview.report.templating.render`. Nothing here is HTML: escaping is the template
engine's job (Jinja2 with autoescape), so respondent text stays plain text until it is rendered.

The ``kind`` of each part picks its macro in ``report/macros.html.j2``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd
from IPython.display import HTML

__all__ = [
    "Html",
    "Table",
    "Figure",
    "Text",
    "Quote",
    "Bullets",
    "Part",
    "QuestionView",
]


class Html(HTML):
    """A rendered template: Jupyter displays it (``IPython.display.HTML``), tests read ``str``.

    ``__html__`` marks it as already-safe markup when one rendered view is placed inside another
    template (the Jinja2/markupsafe protocol), so it is not escaped twice.
    """

    def __init__(self, html: str):
        super().__init__(data=html)

    def __str__(self) -> str:
        return self.data or ""

    def __html__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Html({len(str(self))} characters)"


@dataclass(frozen=True, eq=False)  # a frame has no single truth value to compare
class Table:
    """A table: ``frame`` holds the cells (any values; NA is shown empty), ``numeric`` the names
    of the right-aligned count/number columns. A numeric cell showing a suppression mark (``<k``
    or ``x``) is marked as suppressed by the ``table`` macro."""

    kind: ClassVar[str] = "table"
    frame: pd.DataFrame
    caption: str = ""
    numeric: tuple[str, ...] = ()

    @property
    def header(self) -> list[tuple[str, bool]]:
        """``(column name, numeric)`` per column."""
        return [(str(c), c in self.numeric) for c in self.frame.columns]

    @property
    def body(self) -> list[list[tuple[str, bool]]]:
        """Rows of ``(cell text, numeric)``; NA becomes ``""``."""
        flags = [c in self.numeric for c in self.frame.columns]
        return [
            [("" if pd.isna(v) else str(v), f) for v, f in zip(row, flags, strict=True)]
            for row in self.frame.itertuples(index=False)
        ]


@dataclass(frozen=True)
class Figure:
    """A chart as PNG bytes with its alt text and caption (plain text)."""

    kind: ClassVar[str] = "figure"
    png: bytes
    alt: str
    caption: str

    @property
    def src(self) -> str:
        """The PNG as a data URI (the HTML stays one self-contained file)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text; ``note`` prints it as a side note."""

    kind: ClassVar[str] = "text"
    text: str
    note: bool = False


@dataclass(frozen=True)
class Quote:
    """A respondent's quote (already redacted) and the theme it illustrates."""

    kind: ClassVar[str] = "quote"
    text: str
    label: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    kind: ClassVar[str] = "bullets"
    items: tuple[str, ...]


Part = Table | Figure | Text | Quote | Bullets


@dataclass(frozen=True)
class QuestionView:
    """One question: its heading, the chart kept on the heading's page, then the other parts."""

    heading: str
    figure: Figure | None = None
    parts: list[Part] = field(default_factory=list)
