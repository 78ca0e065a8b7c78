"""giftreview.pipeline.appendix: the combined document and the page of each heading.

Fast tests on hand-written part pages and on a PDF whose outline is built here with pypdf (not by
Chromium), so the expected pages are known by construction. The printed appendix of the bundled
2010 wave is checked in tests/test_reading.py.
"""

from __future__ import annotations

import io

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfWriter

from giftreview.errors import ReportError
from giftreview.pipeline import appendix
from giftreview.pipeline.appendix import Part, TocEntry

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title><style>p {{}}</style></head>
<body class="jp-Notebook"><main>
<div id="cell-id=cell-0"><h2>{title}</h2><p><a href="#cell-id=cell-0">top</a></p>
<h3>1) A question</h3><p>text &lt;b&gt;</p>
<h1 id="Own-id">Own <a class="anchor-link" href="#Own-id">¶</a></h1>
<section class="gr-provenance"><h3>Provenance</h3></section></div>
</main></body></html>"""


@pytest.fixture
def two_parts(tmp_path):
    for name, title in (("part_a", "Part A) First"), ("methods", "Methods")):
        (tmp_path / f"{name}.html").write_text(PAGE.format(title=title), encoding="utf-8")
    return tmp_path, [Part("part_a", "Part A) First"), Part("methods", "Methods")]


def test_combined_document_keeps_ids_unique_and_links_every_entry(two_parts, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    out, parts = two_parts
    html, entries = appendix.combine(
        out, parts, title="Survey", wave="w1", synthetic=True, pages={"part_a--h1": "7"}
    )
    soup = BeautifulSoup(html, "html.parser")
    ids = [t["id"] for t in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "duplicate ids"
    # the part's own in-page link follows its prefixed target
    assert soup.find("a", string="top")["href"] == "#part_a--cell-id=cell-0"
    assert soup.html["lang"] == "fr"  # the parts' language
    assert soup.title.string == "Survey: appendix, wave w1"
    links = [a["href"][1:] for a in soup.select("nav.gr-toc a")]
    assert links and all(soup.find(id=x) is not None for x in links)
    # listed: each part, then its headings except the first (the part's title says it) and
    # the provenance block; the pilcrow of a Markdown heading is no part of its text
    shown = [e.text for e in entries if e.shown]
    assert shown == ["Part A) First", "1) A question", "Own", "Methods", "1) A question", "Own"]
    toc = [" ".join(li.get_text(" ").split()) for li in soup.select("nav.gr-toc li")]
    assert toc[1] == "1) A question 7"  # the page given for its heading
    page = soup.select_one("section.gr-title-page").get_text(" ")
    assert "2023-11-14" in page and "SYNTHETIC" in page and "w1" in page
    assert "text &lt;b&gt;" in html  # the parts' escaped text stays escaped


def test_missing_part_page_names_the_file(two_parts):
    out, parts = two_parts
    with pytest.raises(ReportError, match=r"overview\.html is missing"):
        appendix.combine(out, [Part("overview", "Overview"), *parts], title="S", wave="w")


def _pdf_with_outline(titles_pages: list[tuple[str, int]], n_pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(n_pages):
        writer.add_blank_page(width=200, height=200)
    for title, page in titles_pages:
        writer.add_outline_item(title=title, page_number=page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_outline_pages_match_headings_in_order_ignoring_spaces():
    # Chromium's outline drops the space at a wrapped heading's line break ("yourorganization");
    # the same question text twice (body, then statistical appendix) takes the later page second
    pdf = _pdf_with_outline(
        [("Contents", 1), ("Q1 about yourorganization", 2), ("Q1 about your organization", 4)], 5
    )
    entries = [
        TocEntry(1, "Part A", "part--a"),
        TocEntry(3, "Q1 about your organization", "a1"),
        TocEntry(3, "Q1 about your organization", "a2"),
        TocEntry(2, "Not in the outline", "a3"),
    ]
    # pages as printed in the footer: index + 1; a part takes its first heading's page
    assert appendix.outline_pages(pdf, entries) == {"a1": "3", "a2": "5", "part--a": "3"}
