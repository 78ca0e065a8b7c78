"""Tests of giftreview.pipeline.pdf: print options, reproducible bytes, the missing-browser message.

The tests marked ``needs`` print with the system Chromium through playwright and check the
result with qpdf and poppler; without them they skip locally and fail under CI (conftest.py).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from giftreview.errors import ReportError
from giftreview.pipeline import pdf

EPOCH = "1700000000"
#: ``date -u -d @1700000000 +"D:%Y%m%d%H%M%S+00'00'"``
EPOCH_PDF_DATE = b"(D:20231114221320+00'00')"
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>T</title></head><body>
<h1>Report</h1><p>Intro <a href="#s2">to part two</a></p>
<h2 id="s1">Part one</h2><table><tr><th>a</th><td>1</td></tr></table>
<h2 id="s2">Part two</h2><img alt="a dot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE\
AAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="></body></html>"""


def test_reproducible_pdf_replaces_dates_keeping_length(monkeypatch):
    data = b"%PDF-1.4\n<< /CreationDate (D:20261130132519+00'00') /ModDate (D:20261130132519+00'00') >>\n"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert pdf.reproducible_pdf(data) == data
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    fixed = pdf.reproducible_pdf(data)
    assert len(fixed) == len(data)  # xref offsets stay valid
    assert fixed.count(EPOCH_PDF_DATE) == 2


def test_structure_ids_are_renumbered_in_order_keeping_length(monkeypatch):
    # the ids of two prints of one page that differ only by the DOM node counter (+9)
    first = b"<< /ID (node00000013) >> << /ID (node00000022) >> [(node00000013) 5 0 R (node00000022) 6 0 R]"
    second = first.replace(b"00000022", b"00000031").replace(b"00000013", b"00000022")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    a, b = pdf.reproducible_pdf(first), pdf.reproducible_pdf(second)
    assert a == b and len(a) == len(first)
    # 13 and 22 are the first and second smallest ids: they become 1 and 2, order kept
    assert re.findall(rb"node\d+", a) == [b"node00000001", b"node00000002"] * 2


def test_document_id_becomes_a_hash_of_the_content(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    one = b"%PDF-1.4\nbody\ntrailer << /ID [<0123456789ABCDEF> <FEDCBA9876543210>] >>\n"
    two = one.replace(b"0123456789ABCDEF", b"AAAAAAAAAAAAAAAA")
    assert pdf.reproducible_pdf(one) == pdf.reproducible_pdf(two)
    assert len(pdf.reproducible_pdf(one)) == len(one)
    other = one.replace(b"body", b"BODY")  # other content, other id
    assert pdf.reproducible_pdf(other)[-40:] != pdf.reproducible_pdf(one)[-40:]


def test_pdf_header_is_escaped_and_pages_are_numbered():
    opts = pdf.pdf_options("A <b>crime</b> – 🔼")
    assert "A &lt;b&gt;crime&lt;/b&gt; – 🔼" in opts["header_template"]
    assert 'class="pageNumber"' in opts["footer_template"]
    assert 'class="totalPages"' in opts["footer_template"]
    assert opts["display_header_footer"] is True
    assert (opts["format"], opts["tagged"], opts["outline"]) == ("A4", True, True)


def test_missing_chromium_says_how_to_install(monkeypatch):
    monkeypatch.delenv("GIFTREVIEW_CHROMIUM", raising=False)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match=r"(?s)apt-get install chromium.*--formats html"):
        pdf.find_chromium()


def test_no_module_imports_websocket():
    # playwright replaced the hand-written DevTools client (issue 9, defect 1)
    src = Path(pdf.__file__).resolve().parents[1]
    offenders = [
        p.relative_to(src).as_posix()
        for p in sorted(src.rglob("*.py"))
        if re.search(r"^\s*(import|from)\s+websocket", p.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []


@pytest.mark.slow
@pytest.mark.needs("chromium", "qpdf", "pdfinfo")
def test_printed_twice_same_bytes_tagged_a4_and_valid(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    with pdf.Chromium() as browser:
        browser.print_pdf(page, tmp_path / "a.pdf", "Running <header>")
        tab = browser.page(page.as_uri())  # Chromium's own bytes, before post-processing
        raw = tab.pdf(**pdf.pdf_options("Running <header>"))
        tab.close()
        browser.print_pdf(page, tmp_path / "b.pdf", "Running <header>")
    a = (tmp_path / "a.pdf").read_bytes()
    assert a == (tmp_path / "b.pdf").read_bytes()
    assert EPOCH_PDF_DATE in a
    # Chromium's raw output carries structure ids; shifted as a busier browser would number
    # them, the post-processed file is still the same bytes
    assert re.search(rb"\(node\d{8}\)", raw)
    shifted = re.sub(rb"\(node(\d{8})\)", lambda m: b"(node%08d)" % (int(m[1]) + 40), raw)
    assert pdf.reproducible_pdf(shifted) == a
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "a.pdf")], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    info = subprocess.run(["pdfinfo", str(tmp_path / "a.pdf")], capture_output=True, text=True)
    assert re.search(r"Tagged:\s+yes", info.stdout)
    assert re.search(r"Page size:\s+595\.\d+ x 842\.\d+ pts \(A4\)", info.stdout)
    outline = subprocess.run(
        ["qpdf", "--json", "--json-key=outlines", str(tmp_path / "a.pdf")],
        capture_output=True,
        text=True,
    )
    assert '"title": "Part two"' in outline.stdout  # the headings form the outline
