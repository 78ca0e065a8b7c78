"""Tests of the report's templates: giftreview.report.templating, views and index.

Every piece of report HTML comes from a Jinja2 template with autoescape on; these tests put
hostile text through each macro and check it comes out as text, and scan the package for
HTML written in Python.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from giftreview.errors import ArgumentError
from giftreview.paths import PACKAGE_DIR
from giftreview.report import index, plots, templating
from giftreview.report.views import Bullets, Figure, QuestionView, Quote, Table, Text

HOSTILE = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"
#: tag names that would mean HTML is being written in Python instead of a template
TAGS = (
    "div|table|thead|tbody|tr|td|th|p|h[1-6]|span|a|img|figure|figcaption|section|ul|ol|li|"
    "style|html|head|body|main|caption|details|summary|strong|em|br|blockquote|code|meta|title"
)
TAG_RE = re.compile(rf"</?(?:{TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)


def _block(*parts) -> str:
    return str(templating.render("report/block.html.j2", title="", parts=list(parts)))


def test_no_html_tag_in_any_python_file_of_the_package():
    found = [
        f"{path.relative_to(PACKAGE_DIR.parent)}:{i}: {m.group(0)}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for m in TAG_RE.finditer(line)
    ]
    assert found == [], "HTML belongs in src/giftreview/templates:\n" + "\n".join(found)


def test_the_tag_scan_would_catch_html_in_python():
    # the regex of the scan above, on lines as they were written before the templates
    assert TAG_RE.search("f'<td{cls}>{esc(v)}</td>'")
    assert TAG_RE.search('"<p class=gr-note>This is the grouping question.</p>"')
    assert TAG_RE.search("'<a href=\"x\">'")
    # ... and not on the placeholders the docstrings use
    assert not TAG_RE.search("data/processed/<wave>/ and counts shown as <k or <3")


def test_every_macro_escapes_respondent_text():
    fig = Figure(b"\x89PNG", alt=HOSTILE, caption=HOSTILE)
    html = _block(
        Text(HOSTILE),
        Text(HOSTILE, note=True),
        Quote(HOSTILE, label=HOSTILE),
        Bullets((HOSTILE,)),
        Table(pd.DataFrame({HOSTILE: [HOSTILE]}), caption=HOSTILE),
        fig,
    )
    html += str(templating.render("report/question.html.j2", q=QuestionView(HOSTILE, fig, [])))
    html += str(templating.render("report/provenance.html.j2", items={HOSTILE: HOSTILE}))
    assert "<script" not in html and "<img src=x" not in html
    # block: 2 texts + quote and label + 1 item + header, cell and caption + alt and caption
    # = 10; question: heading, alt, caption = 3; provenance: key and value = 2
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;img") == 15


def test_figure_view_model_holds_the_png_and_requires_alt_text():
    shares = pd.DataFrame({"level": ["a", "b"], "pct": [60.0, 40.0]})
    fig = plots.figure(plots.share_bars(shares, title="t", n=5), alt="bars", caption="n = 5")
    assert fig.png.startswith(b"\x89PNG")
    html = _block(fig)
    data = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="bars">', html).group(1)
    assert base64.b64decode(data) == fig.png
    assert "<figcaption>n = 5</figcaption>" in html
    with pytest.raises(ArgumentError, match="`alt` is empty"):
        plots.figure(plots.share_bars(shares, title="t", n=1), alt=" ", caption="c")


def test_suppressed_counts_are_marked_in_numeric_columns_only():
    frame = pd.DataFrame({"answer": ["x", "y", "z"], "n": ["<5", "x", "12"]})
    html = _block(Table(frame, numeric=("n",)))
    assert '<td class="num gr-suppressed">&lt;5</td>' in html
    assert '<td class="num gr-suppressed">x</td>' in html
    assert '<td class="num">12</td>' in html
    assert "<td>x</td>" in html  # an answer called "x" is text, not a mark


@pytest.mark.parametrize(
    ("text", "mark"), [("<5", True), ("x", True), ("<12", True), ("5", False), ("<k", False)]
)
def test_is_suppressed_mark(text, mark):
    assert templating.is_suppressed_mark(text) is mark


def test_pdf_margins_escape_the_running_header():
    margins = templating.pdf_margins("A <b>crime</b> – 🔼")
    assert "A &lt;b&gt;crime&lt;/b&gt; – 🔼" in margins["headerTemplate"]
    assert (
        '<span class="pageNumber"></span> of <span class="totalPages"></span>'
        in (margins["footerTemplate"])
    )


class _Job:
    title = "Part <A>"
    status = "done"
    outputs = {"ipynb": "notebooks/part_a.ipynb", "pdf": "part_a.pdf", "html": "part_a.html"}


def test_index_escapes_titles_and_links_every_output():
    html = index.index_html("T & <x>", "w1", [_Job()], {"raw sha256": "abc"})
    assert "Part &lt;A&gt;" in html and "T &amp; &lt;x&gt;" in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == ["manifest.json", "part_a.html", "part_a.pdf", "notebooks/part_a.ipynb"]
    assert "http" not in html
    assert '<section class="gr-provenance"><h2>Provenance</h2>' in html
    assert "<th>raw sha256</th><td>abc</td>" in html


def test_reports_index_links_every_rendered_report_in_name_order(tmp_path):
    for folder, files in {
        "ungift_2012": ["index.html"],
        "ungift_2010": ["index.html"],
        "compare_a_vs_b": ["compare.html", "compare.pdf"],
        "tutorial": ["tutorial_student.html", "tutorial_teacher.html"],
        "scratch": ["notes.txt"],  # no report page: not listed
        "x<y": ["index.html"],  # a hostile folder name is escaped
    }.items():
        (tmp_path / folder).mkdir()
        for f in files:
            (tmp_path / folder / f).write_text("x", encoding="utf-8")
    page = index.reports_index_html(tmp_path)
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs == [
        "compare_a_vs_b/compare.html",
        "compare_a_vs_b/compare.pdf",
        "tutorial/tutorial_student.html",
        "tutorial/tutorial_teacher.html",
        "ungift_2010/index.html",
        "ungift_2012/index.html",
        "x&lt;y/index.html",
    ]
    assert ">compare (PDF)</a>" in page
    assert "scratch" not in page and "<y" not in page
    assert page == index.reports_index_html(tmp_path)  # deterministic


def test_index_pages_inline_the_report_css():
    css = (PACKAGE_DIR / "templates" / "giftreview" / "static" / "report.css").read_text("utf-8")
    page = index.index_html("T", "w", [], {})
    assert css.strip() in page and page.startswith("<!DOCTYPE html>")
    assert Path(index.__file__).name == "index.py"
