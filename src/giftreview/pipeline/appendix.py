"""The combined appendix of a wave: ``appendix.pdf``, one tagged PDF of every part.

A title page (survey title, wave, the SYNTHETIC label for synthetic data, the run date from
``SOURCE_DATE_EPOCH``, the giftreview version), a table of contents whose entries are links
with page numbers, then the overview, every part and the methods, each from its rendered HTML.

The parts' pages are joined into one HTML document (:func:`combine`; each part's ids are
prefixed with its name so they stay unique, and every heading gets an id for the contents to
link to) and printed by Chromium with an outline and tags. Chromium cannot fill in the page of
a link's target, so the document is printed twice (:func:`print_appendix`): the first print's
outline (read with pypdf) gives each heading's page; the contents are rendered again with them
and printed. Page numbers are printed in a box of fixed width, so the second print lays out the
same pages; if a page still moved, the loop prints again (at most ``MAX_PASSES`` times).

In Quarto the same is ``format: pdf`` with ``toc: true`` over a book's chapters.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup
from pypdf import PdfReader

from giftreview import __version__
from giftreview.errors import ReportError
from giftreview.pipeline.pdf import Chromium, reproducible_pdf
from giftreview.pipeline.progress import Steps
from giftreview.pipeline.provenance import run_date
from giftreview.report.templating import render_text
from giftreview.report.views import Html
from giftreview.report.wave import is_synthetic

__all__ = [
    "APPENDIX_PDF",
    "MAX_PASSES",
    "TocEntry",
    "Part",
    "combine",
    "outline_pages",
    "print_appendix",
    "write_appendix",
]

#: the file name of the combined appendix in ``reports/<wave>/``
APPENDIX_PDF = "appendix.pdf"
#: prints at most: the first finds the pages, the second (and, rarely, a third) uses them
MAX_PASSES = 3
_HEADINGS = ["h1", "h2", "h3"]


@dataclass(frozen=True)
class Part:
    """One rendered part: its name (the HTML file's stem) and title (for the contents)."""

    name: str
    title: str


@dataclass
class TocEntry:
    """A heading of the combined document: its depth (1-3), text, id, page (once known) and
    whether the contents list it."""

    depth: int
    text: str
    anchor: str
    page: str = ""
    shown: bool = True


def _squash(text: str) -> str:
    # Chromium drops the space at a line break of a wrapped heading in the outline titles;
    # nbconvert's pilcrow anchor after a Markdown heading is no part of its text
    return re.sub(r"[\s¶]+", "", text)


def _part_body(html: str, part: Part, entries: list[TocEntry]) -> Html:
    """The inside of a part page's main element: ids prefixed, headings given ids and listed."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup.body
    if main is None:
        raise ReportError(f"{part.name}.html has no body; rerun: giftreview run --force")
    prefix = f"{part.name}--"
    for tag in main.find_all(id=True):
        tag["id"] = prefix + tag["id"]
    for a in main.find_all("a", href=True):
        if a["href"].startswith("#"):
            a["href"] = "#" + prefix + a["href"][1:]
    for n, h in enumerate(main.find_all(_HEADINGS)):
        if not h.get("id"):
            h["id"] = f"{prefix}h{n}"
        if h.find_parent(class_="gr-provenance") is not None:
            continue  # every part ends with one: not worth a line of the contents each
        text = " ".join(
            s
            for s in h.find_all(string=True)
            if s.parent.name != "a" or "anchor-link" not in (s.parent.get("class") or [])
        )
        text = " ".join(text.split())
        # a part's first heading that its title already says is not listed again
        shown = n > 0 or not _squash(part.title).startswith(_squash(text))
        entries.append(TocEntry(int(h.name[1]), text, h["id"], shown=shown))
    return Html(main.decode_contents())


def combine(
    out: Path,
    parts: list[Part],
    *,
    title: str,
    wave: str,
    organization: str = "",
    synthetic: bool = False,
    pages: dict[str, str] | None = None,
) -> tuple[str, list[TocEntry]]:
    """The combined HTML document of ``parts`` (files ``out/<name>.html``) and its contents.

    Parameters
    ----------
    out
        The wave's report folder.
    parts
        Overview, every part, methods, in the order they are printed.
    title, wave, organization, synthetic
        For the title page.
    pages
        Heading id -> page number (from a first print, :func:`outline_pages`); blank when None.

    Returns
    -------
    (html, entries)
        The document and the headings listed in its contents, in document order.
    """
    entries: list[TocEntry] = []
    bodies, head, lang = [], Html(""), "en"
    for part in parts:
        path = Path(out) / f"{part.name}.html"
        if not path.exists():
            raise ReportError(f"{path.name} is missing from {Path(out).name}/; rerun with --force")
        html = path.read_text(encoding="utf-8")
        if not bodies:
            soup = BeautifulSoup(html[: html.find("<body")], "html.parser")
            if soup.head is not None:
                soup.head.title.string = f"{title}: appendix, wave {wave}"
                head, lang = Html(str(soup.head)), soup.html.get("lang", "en")
        entries.append(TocEntry(1, part.title, f"part--{part.name}"))
        body = _part_body(html, part, entries)
        bodies.append({"anchor": f"part--{part.name}", "title": part.title, "body": body})
    for e in entries:
        e.page = (pages or {}).get(e.anchor, "")
    doc = render_text(
        "report/appendix.html.j2",
        lang=lang,
        head=head,
        title=title,
        wave=wave,
        organization=organization,
        synthetic=synthetic,
        date=run_date().strftime("%Y-%m-%d"),
        version=__version__,
        parts=[p.title for p in parts],
        entries=[_toc_depth(e) for e in entries if e.shown],
        parts_html=bodies,
    )
    return doc, entries


def _toc_depth(e: TocEntry) -> TocEntry:
    """Part titles at depth 1, a part's h1 and h2 headings at depth 2, its h3 at depth 3."""
    if e.anchor.startswith("part--"):
        return e
    return TocEntry(max(e.depth, 2), e.text, e.anchor, e.page)


def outline_pages(pdf: bytes, entries: list[TocEntry]) -> dict[str, str]:
    """Page number (1-based, as printed in the footer) of each entry, read from the outline.

    The outline lists the document's headings in order; each entry is matched to the next
    outline item with the same text (whitespace ignored). A part's own entry takes the page of
    its first heading. Entries not found get no page.
    """
    reader = PdfReader(io.BytesIO(pdf))
    items: list[tuple[str, int]] = []

    def walk(node) -> None:
        for item in node:
            if isinstance(item, list):
                walk(item)
            else:
                items.append((_squash(item.title or ""), reader.get_destination_page_number(item)))

    walk(reader.outline)
    out: dict[str, str] = {}
    at = 0
    for e in entries:
        if e.anchor.startswith("part--"):
            continue
        want = _squash(e.text)
        for k in range(at, len(items)):
            if items[k][0] == want:
                out[e.anchor] = str(items[k][1] + 1)
                at = k + 1
                break
    for n, e in enumerate(entries):
        if e.anchor.startswith("part--") and n + 1 < len(entries):
            first = entries[n + 1].anchor
            if first in out:
                out[e.anchor] = out[first]
    return out


def print_appendix(
    browser: Chromium,
    out: Path,
    parts: list[Part],
    *,
    header: str,
    title: str,
    wave: str,
    organization: str = "",
    synthetic: bool = False,
) -> Path:
    """Print ``out/appendix.pdf`` (see the module docstring); return its path.

    The first print has blank page numbers (in boxes as wide as any number), later prints the
    pages the previous print's outline gave, until two prints agree.
    """
    pages: dict[str, str] | None = None
    data = b""
    for _ in range(MAX_PASSES):
        html, entries = combine(
            out, parts, title=title, wave=wave, organization=organization,
            synthetic=synthetic, pages=pages,
        )  # fmt: skip
        data = browser.pdf_of_html(html, header)
        found = outline_pages(data, entries)
        if found == pages:
            break
        pages = found
    target = Path(out) / APPENDIX_PDF
    target.write_bytes(reproducible_pdf(data))
    return target


def write_appendix(out: Path, jobs, instrument, raw: Path, wave: str, steps: Steps) -> str:
    """Print ``appendix.pdf`` of a rendered wave with its own Chromium; return its file name.

    ``jobs``: the run's notebooks in report order (overview, parts, methods), each with its
    HTML in ``out``; ``raw``: the raw export (its folder's README says whether it is synthetic).
    """
    h = steps.start("appendix: pdf")
    survey = instrument.survey
    with Chromium() as browser:
        path = print_appendix(
            browser,
            out,
            [Part(j.name, j.title) for j in jobs],
            header=survey.running_header or survey.title,
            title=survey.title,
            wave=wave,
            organization=survey.organization or "",
            synthetic=is_synthetic(raw),
        )
    steps.done(h, "appendix: pdf")
    return path.name
