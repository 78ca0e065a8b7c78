"""Tests of giftreview.pipeline.html: the offline nbconvert export."""

from __future__ import annotations

import re

import nbformat

from giftreview.pipeline import html


def test_offline_template_loads_nothing_from_the_network():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("$x^2$"), nbformat.v4.new_code_cell("1")]
    page = html.notebook_to_html(nb, "t")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", page)
    assert "cdnjs" not in page and "mathjax" not in page.lower().replace("mathjax_url", "")
