"""The rendered report checked as a person would: in headless Chromium and read back from PDF.

One real ``giftreview run`` of the small hostile fixture (HTML + PDF, every notebook) is shared by
the tests of this module. Needs Debian's chromium, pdftotext and pdffonts: without them the tests
are skipped with the reason printed, or fail when CI is set (the ``needs`` marker, conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from giftreview.data.instrument import load_instrument
from giftreview.paths import DEFAULT_INSTRUMENT
from giftreview.pipeline import cache, pdf

pytestmark = [pytest.mark.slow, pytest.mark.needs("chromium", "pdftotext", "pdffonts")]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "report" / "hostile_answers_small.csv"
GIFTREVIEW = Path(sys.executable).parent / "giftreview"
EPOCH = "1700000000"
#: the characters of the published summary outside ASCII (its page header's symbols) plus the
#: dash, quotes and accents the instrument and the bundled answers use
SEED_CHARACTERS = "🔼🐼🚱–’“”éèàçãüöñÉ"
#: every heading of the published summary, copied from it (the review's text, not the instrument;
#: /work/shared/seed/000_362025cfdf5d6447.txt, one heading a line)
SEED_HEADINGS = (FIXTURES / "seed_headings.txt").read_text(encoding="utf-8").splitlines()


def _run_cli(root: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [str(GIFTREVIEW), "run", str(FIXTURE), "--instrument", str(DEFAULT_INSTRUMENT)]
    cmd += ["--wave", "small", "--out", str(root / "reports" / "small"), *extra]
    env = {**os.environ, "GIFTREVIEW_ROOT": str(root), "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """reports/small/ of one cold run (HTML and PDF) in a temporary project root."""
    root = tmp_path_factory.mktemp("root")
    done = _run_cli(root)
    assert done.returncode == 0, done.stderr
    return root / "reports" / "small"


def _pdftext(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _visit(browser: pdf.Chromium, page: Path) -> tuple[dict[str, list], dict]:
    """Open ``page``; return what it asked for and raised (by kind) and what it shows."""
    seen: dict[str, list] = {"requests": [], "errors": [], "dialogs": []}
    tab = browser.page()
    tab.on("request", lambda r: seen["requests"].append(r.url))
    tab.on("pageerror", lambda e: seen["errors"].append(str(e)))
    tab.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    tab.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    tab.goto(page.as_uri(), wait_until="load")
    shown = tab.evaluate(
        "() => ({text: document.body.innerText, scripts: document.scripts.length, "
        "imgs: document.images.length, alts: [...document.images].map(i => i.alt), "
        "broken: [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length, "
        "pwned: !!window.pwned})"
    )
    tab.wait_for_timeout(200)  # let late events (a script's console error) arrive
    tab.close()
    return seen, shown


def test_index_and_parts_render_offline_without_errors_or_scripts(rendered):
    pages = [rendered / "index.html"] + sorted(rendered.glob("part_*.html"))
    with pdf.Chromium() as browser:
        for page in pages:
            seen, shown = _visit(browser, page)
            remote = [u for u in seen["requests"] if not u.startswith(("file:", "data:", "about:"))]
            assert remote == [], f"{page.name} asked the network for {remote}"
            assert seen["errors"] == [] and seen["dialogs"] == [], f"{page.name}: {seen}"
            assert shown["broken"] == 0
            assert all(a.strip() for a in shown["alts"]), f"{page.name}: image without alt text"
            if page.name != "index.html":
                assert shown["scripts"] == 0, f"{page.name} carries a script"


def test_hostile_answers_show_as_text_and_run_nothing(rendered):
    page = rendered / "part_b_networks.html"
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.read_text(encoding="utf-8")
    with pdf.Chromium() as browser:
        seen, shown = _visit(browser, page)
    assert "<img src=x onerror=alert(1)>" in shown["text"]  # shown literally
    assert seen["dialogs"] == [] and not shown["pwned"]
    html = "".join(p.read_text(encoding="utf-8") for p in rendered.glob("*.html"))
    assert "<script>alert" not in html


def test_index_links_every_output(rendered):
    html = (rendered / "index.html").read_text(encoding="utf-8")
    inst = load_instrument(DEFAULT_INSTRUMENT)
    names = ["overview", *[s.id for s in inst.report_sections()], "methods"]
    for name in names:
        for rel in (f"{name}.html", f"{name}.pdf", f"notebooks/{name}.ipynb"):
            assert f'href="{rel}"' in html and (rendered / rel).exists()
    manifest = json.loads((rendered / "manifest.json").read_text())
    assert [n["name"] for n in manifest["notebooks"]] == names
    assert manifest["provenance"]["run date"].startswith("2023-11-14T22:13:20")


def test_pdfs_hold_every_heading_the_running_header_and_page_numbers(rendered):
    inst = load_instrument(DEFAULT_INSTRUMENT)
    text = " ".join(_pdftext(p) for p in sorted(rendered.glob("*.pdf")))
    assert [h for h in SEED_HEADINGS if h not in text] == []
    assert inst.survey.running_header in text
    assert re.search(r"page 1 of \d+", text)


def test_pdf_fonts_are_embedded(rendered):
    for path in rendered.glob("*.pdf"):
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        rows = out.splitlines()[2:]
        assert rows, f"{path.name} has no fonts"
        for row in rows:
            # columns: name, type, encoding, emb, sub, uni, object, ID (name may be "[none]")
            emb = row.split()[-5]
            assert emb == "yes", f"{path.name}: font not embedded: {row}"


def test_every_seed_character_renders_with_an_embedded_font(tmp_path):
    page = tmp_path / "chars.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{font-family:"DejaVu Sans",'
        f'"Noto Sans","Noto Color Emoji",sans-serif}}</style></head><body><p>{SEED_CHARACTERS}'
        "</p></body></html>",
        encoding="utf-8",
    )
    with pdf.Chromium() as browser:
        browser.print_pdf(page, tmp_path / "chars.pdf", "HUMAN TRAFFICKING 🔼 A CRIME")
    text = _pdftext(tmp_path / "chars.pdf")
    assert [c for c in SEED_CHARACTERS if c not in text] == []
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "chars.pdf")], capture_output=True, text=True
    )
    assert all(r.split()[-5] == "yes" for r in fonts.stdout.splitlines()[2:])


def test_rerun_with_unchanged_inputs_reruns_nothing_and_says_so(rendered):
    # The time of a no-op rerun is a benchmark figure (benchmarks/bench_run.py), not a test.
    root = rendered.parents[1]
    before = cache.library_sha256()
    again = _run_cli(root)
    if cache.library_sha256() != before:
        pytest.skip("the package source changed during the test (a working tree being edited)")
    assert again.returncode == 0, again.stderr
    assert "inputs unchanged" in again.stderr
    assert re.search(r"nothing rerun \(\d+\.\d\d s\)", again.stderr)
