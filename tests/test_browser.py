"""The rendered report checked as a person would: in headless Chromium and read back from PDF.

One real ``giftreview run`` of the small hostile fixture (HTML + PDF, every notebook) is shared by
the tests of this module. Needs Debian's chromium, pdftotext and pdffonts (skipped without them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from giftreview.data.instrument import load_instrument
from giftreview.paths import DEFAULT_INSTRUMENT
from giftreview.pipeline import run as render

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("chromium") and shutil.which("pdftotext") and shutil.which("pdffonts")),
        reason="needs chromium, pdftotext and pdffonts (scripts/setup.sh installs them)",
    ),
]
FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"
GIFTREVIEW = Path(sys.executable).parent / "giftreview"
EPOCH = "1700000000"
#: the characters of the published summary outside ASCII (its page header's symbols) plus the
#: dash, quotes and accents the instrument and the bundled answers use
SEED_CHARACTERS = "🔼🐼🚱–’“”éèàçãüöñÉ"
#: every heading of the published summary, copied from it (the review's text, not the instrument)
SEED_HEADINGS = """Review of UN.GIFT's work programme
Introduction
Part A) Information about the organizations surveyed
1) Percentage of responses received by sector
2) Please rate the importance of human trafficking issues to your organization:
3) Please indicate how many professional staff are dedicated to trafficking in persons in your organizations' headquarters?
Part B) UN.GIFT's mandate
1) Please rate the importance of UN.GIFT to achieving your organization's goals/mission:
2) Please describe the added value of UN.GIFT for your organization and area of work. Please explain why and give examples as appropriate:
3) How would you describe UN.GIFT's impact to date?
4) What concrete steps could UN.GIFT take to enhance cooperation with your organization?
5) What concrete steps could your organization take to enhance UN.GIFT's overall performance?
6) What are the main topics/issues that you would like UN.GIFT to address?
7) What concrete measures and activities could UN.GIFT undertake to improve its impact at the regional/national level?
8) Which other fora does your organization use to coordinate on trafficking issues?
9) Please list the most important partner institutions for your organization and areas of work:""".splitlines()


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


def _visit(browser: render.Chromium, page: Path) -> tuple[list[dict], dict]:
    """Open ``page``; return its DevTools events and what the page shows."""
    target, session = browser.open(page.as_uri(), domains=("Page", "Network", "Runtime", "Log"))
    shown = browser.send(
        "Runtime.evaluate",
        {
            "expression": "JSON.stringify({text: document.body.innerText, "
            "scripts: document.scripts.length, imgs: document.images.length, "
            "alts: [...document.images].map(i => i.alt), broken: [...document.images]"
            ".filter(i => !i.complete || i.naturalWidth === 0).length, pwned: !!window.pwned})",
            "returnByValue": True,
        },
        session=session,
    )
    time.sleep(0.2)  # let late events (a script's console error) arrive
    browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
    events = browser.events(session)
    browser.close_target(target)
    return events, json.loads(shown["result"]["value"])


def test_index_and_parts_render_offline_without_errors_or_scripts(rendered):
    pages = [rendered / "index.html"] + sorted(rendered.glob("part_*.html"))
    with render.Chromium() as browser:
        for page in pages:
            events, shown = _visit(browser, page)
            urls = [
                e["params"]["request"]["url"]
                for e in events
                if e.get("method") == "Network.requestWillBeSent"
            ]
            remote = [u for u in urls if not u.startswith(("file:", "data:", "about:"))]
            assert remote == [], f"{page.name} asked the network for {remote}"
            errors = [
                e
                for e in events
                if e.get("method") in ("Runtime.exceptionThrown", "Page.javascriptDialogOpening")
                or (
                    e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
                )
            ]
            assert errors == [], f"{page.name}: {errors}"
            assert shown["broken"] == 0
            assert all(a.strip() for a in shown["alts"]), f"{page.name}: image without alt text"
            if page.name != "index.html":
                assert shown["scripts"] == 0, f"{page.name} carries a script"


def test_hostile_answers_show_as_text_and_run_nothing(rendered):
    page = rendered / "part_b_networks.html"
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.read_text(encoding="utf-8")
    with render.Chromium() as browser:
        events, shown = _visit(browser, page)
    assert "<img src=x onerror=alert(1)>" in shown["text"]  # shown literally
    assert not any(e.get("method") == "Page.javascriptDialogOpening" for e in events)
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
    for pdf in rendered.glob("*.pdf"):
        out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        rows = out.splitlines()[2:]
        assert rows, f"{pdf.name} has no fonts"
        for row in rows:
            # columns: name, type, encoding, emb, sub, uni, object, ID (name may be "[none]")
            emb = row.split()[-5]
            assert emb == "yes", f"{pdf.name}: font not embedded: {row}"


def test_every_seed_character_renders_with_an_embedded_font(tmp_path):
    page = tmp_path / "chars.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{font-family:"DejaVu Sans",'
        f'"Noto Sans","Noto Color Emoji",sans-serif}}</style></head><body><p>{SEED_CHARACTERS}'
        "</p></body></html>",
        encoding="utf-8",
    )
    with render.Chromium() as browser:
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
    before = render.library_sha256()
    again = _run_cli(root)
    if render.library_sha256() != before:
        pytest.skip("the package source changed during the test (a working tree being edited)")
    assert again.returncode == 0, again.stderr
    assert "inputs unchanged" in again.stderr
    assert re.search(r"nothing rerun \(\d+\.\d\d s\)", again.stderr)


def test_outputs_are_byte_identical_when_rerun_with_source_date_epoch(
    rendered, tmp_path, monkeypatch
):
    """Execute part_a again from the recorded parameters, export and print: same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("GIFTREVIEW_ROOT", str(rendered.parents[1]))
    manifest = json.loads((rendered / "manifest.json").read_text())
    if manifest["provenance"]["git commit"] != render.git_commit():
        pytest.skip("a commit landed since the shared run: the provenance block differs")
    entry = next(n for n in manifest["notebooks"] if n["name"] == "part_a")
    job = render.NotebookJob(
        "part_a", render.notebooks_dir() / "part.py", entry["title"], entry["parameters"]
    )
    out = tmp_path / "notebooks" / "part_a.ipynb"
    with render.private_kernel() as kernel:
        nb = render.execute_notebook(job, out, kernel, cwd=rendered.parents[1])
    if manifest["provenance"]["git commit"] != render.git_commit():
        pytest.skip("a commit landed during the re-execution: the provenance block differs")
    assert out.read_bytes() == (rendered / "notebooks" / "part_a.ipynb").read_bytes()
    html = render.notebook_to_html(nb, job.title)
    assert html == (rendered / "part_a.html").read_text(encoding="utf-8")
    (tmp_path / "part_a.html").write_text(html, encoding="utf-8")
    header = load_instrument(DEFAULT_INSTRUMENT).survey.running_header
    with render.Chromium() as browser:
        browser.print_pdf(tmp_path / "part_a.html", tmp_path / "part_a.pdf", header)
    assert (tmp_path / "part_a.pdf").read_bytes() == (rendered / "part_a.pdf").read_bytes()
