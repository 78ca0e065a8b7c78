"""Tests of giftreview.pipeline.run: parameters, kernel, caching, failures, reproducible outputs.

The pipeline tests (marked slow) run ``run_report`` on the small hostile fixture with *trivial*
notebooks that declare the real notebooks' parameters, so caching and failure handling are
checked in seconds; the real notebooks are exercised by tests/test_notebooks.py and
tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from giftreview import paths
from giftreview.errors import ArgumentError, InputFileError, ReportError
from giftreview.pipeline import run as render

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"
PARAMS = """# %% tags=["parameters"]
raw: str = ""  # raw export
instrument: str = ""  # instrument file
wave: str = ""  # wave label
processed: str = ""  # cleaned-wave folder
group_by: str = ""  # grouping question id
confidence: float = 0.95  # interval level
k: int = 5  # suppression threshold
weights: bool = False  # weights on or off
output: str = ""  # output folder
"""
CELL = """
# %%
import os
from IPython.display import HTML

if os.environ.get("GR_TEST_FAIL") == {section}:
    raise ValueError("planted failure")
HTML("<h2>{name}</h2><p>" + str({section}) + "</p>")
"""


def _write_trivial(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overview.py").write_text(PARAMS + CELL.format(name="overview", section="'overview'"))
    (folder / "methods.py").write_text(PARAMS + CELL.format(name="methods", section="'methods'"))
    part = (
        PARAMS
        + 'section: str = ""  # report section\n'
        + CELL.format(name="part", section="section")
    )
    (folder / "part.py").write_text(part)
    return folder


@pytest.fixture
def trivial(tmp_path, monkeypatch) -> render.RunSettings:
    """Settings for a run of trivial notebooks on the small fixture, all inside ``tmp_path``."""
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    # the package source is part of every cache key; pin it so edits elsewhere in a working
    # tree during the test cannot invalidate the cache (the key logic is tested on its own)
    monkeypatch.setattr(render, "library_sha256", lambda: "pinned")
    return render.RunSettings(
        raw=FIXTURE,
        wave="small",
        out=tmp_path / "reports",
        formats=("html",),
        notebooks_dir=_write_trivial(tmp_path / "notebooks"),
    )


# ---- fast -------------------------------------------------------------------------------------
def test_unknown_parameter_is_an_error_naming_the_known_ones(tmp_path):
    src = _write_trivial(tmp_path) / "overview.py"
    with pytest.raises(
        ArgumentError,
        match=r"unknown parameter\(s\) colour for notebook overview.py; known parameters: raw, instrument, wave",
    ):
        render.check_parameters(src, {"raw": "x", "colour": "red"})
    render.check_parameters(src, {"raw": "x", "k": 3})  # known names pass


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    src = tmp_path / "bare.py"
    src.write_text("# %%\nx = 1\n")
    with pytest.raises(ReportError, match="no cell tagged 'parameters'"):
        render.check_parameters(src, {"x": 2})


def test_read_notebook_gives_stable_cell_ids_and_our_kernel():
    nb = render.read_notebook(paths.PACKAGE_DIR.parents[1] / "notebooks" / "part.py")
    assert [c["id"] for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    assert nb.metadata["kernelspec"]["name"] == render.KERNEL_NAME


def test_kernelspec_runs_this_python(tmp_path):
    render.write_kernelspec(tmp_path)
    spec = json.loads((tmp_path / "kernels" / render.KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["env"]["MPLBACKEND"] == "Agg"


def test_normalise_notebook_strips_times_and_makes_paths_relative():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nb.cells[0].metadata = {
        "execution": {"iopub.status.busy": "2026-01-01"},
        "papermill": {"start_time": "t", "end_time": "t", "duration": 1.0, "status": "completed"},
    }
    nb.metadata["papermill"] = {
        "start_time": "t",
        "end_time": "t",
        "duration": 2.0,
        "input_path": "/tmp/x/part.ipynb",
        "output_path": "/tmp/y/a.ipynb",
    }
    render.normalise_notebook(nb, Path("notebooks/part.py"), Path("/r/notebooks/part_a.ipynb"))
    assert nb.metadata["papermill"] == {
        "input_path": "notebooks/part.py",
        "output_path": "notebooks/part_a.ipynb",
    }
    assert nb.cells[0].metadata == {"papermill": {"status": "completed"}}
    assert nb.cells[0]["id"] == "cell-0"


def test_reproducible_pdf_replaces_dates_keeping_length(monkeypatch):
    pdf = b"%PDF-1.4\n<< /CreationDate (D:20261130132519+00'00') /ModDate (D:20261130132519+00'00') >>\n"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert render.reproducible_pdf(pdf) == pdf
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    fixed = render.reproducible_pdf(pdf)
    assert len(fixed) == len(pdf)  # xref offsets stay valid
    assert fixed.count(b"(D:20231114221320+00'00')") == 2  # date -u -d @1700000000


def test_bad_source_date_epoch_is_named(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArgumentError, match="SOURCE_DATE_EPOCH='yesterday' is not an integer"):
        render.run_date()


def test_pdf_header_is_escaped_and_pages_are_numbered():
    opts = render.pdf_options("A <b>crime</b> – 🔼")
    assert "A &lt;b&gt;crime&lt;/b&gt; – 🔼" in opts["headerTemplate"]
    assert 'class="pageNumber"' in opts["footerTemplate"]
    assert 'class="totalPages"' in opts["footerTemplate"]
    assert opts["displayHeaderFooter"] is True


def test_missing_chromium_says_how_to_install(monkeypatch):
    monkeypatch.delenv("GIFTREVIEW_CHROMIUM", raising=False)
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match=r"(?s)apt-get install chromium.*--formats html"):
        render.find_chromium()


def test_missing_chromium_fails_before_any_work(trivial, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    settings = render.RunSettings(**{**trivial.__dict__, "formats": ("html", "pdf")})
    with pytest.raises(ReportError, match="apt-get install chromium"):
        render.run_report(settings)
    assert not Path(trivial.out).exists()


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"formats": ("html", "docx")},
            ArgumentError,
            r"unknown format\(s\) \['docx'\]; choose from html,pdf",
        ),
        ({"out": paths.DATA_RAW / "x"}, ArgumentError, "data/raw is read-only"),
        ({"confidence": 95.0}, ArgumentError, "confidence 95.0: give a level between 0 and 1"),
        ({"raw": Path("nope.csv")}, InputFileError, "raw file not found"),
    ],
)
def test_bad_settings_are_named(trivial, change, error, message):
    with pytest.raises(error, match=message):
        render.run_report(render.RunSettings(**{**trivial.__dict__, **change}))


def test_cache_key_depends_on_parameters_and_notebook_source(tmp_path):
    src = _write_trivial(tmp_path) / "overview.py"
    inputs = {"raw": "a", "library": "b"}
    job = render.NotebookJob("overview", src, "t", {"k": 5})
    key = render.cache_key(inputs, job)
    assert key == render.cache_key(inputs, render.NotebookJob("overview", src, "t", {"k": 5}))
    assert key != render.cache_key(inputs, render.NotebookJob("overview", src, "t", {"k": 3}))
    assert key != render.cache_key({**inputs, "raw": "c"}, job)
    src.write_text(src.read_text() + "\n# %%\n1\n")
    assert key != render.cache_key(inputs, job)


def test_offline_template_loads_nothing_from_the_network():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("$x^2$"), nbformat.v4.new_code_cell("1")]
    html = render.notebook_to_html(nb, "t")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?https?:", html)
    assert "cdnjs" not in html and "mathjax" not in html.lower().replace("mathjax_url", "")


# ---- slow: the pipeline with trivial notebooks -------------------------------------------------
@pytest.mark.slow
def test_run_caches_reruns_one_changed_part_and_forces(trivial):
    first = render.run_report(trivial)
    names = [j.name for j in first.jobs]
    assert names[0] == "overview" and names[-1] == "methods"
    assert {j.status for j in first.jobs} == {"done"}
    out = Path(trivial.out)
    for name in names:
        assert (out / f"{name}.html").exists() and (out / "notebooks" / f"{name}.ipynb").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [n["name"] for n in manifest["notebooks"]] == names
    assert "index.html" in {p.name for p in out.iterdir()}

    # Nothing is executed again (how long that takes is measured by benchmarks/bench_run.py,
    # not asserted here: timings on a shared machine are noise).
    again = render.run_report(trivial)
    assert again.cached
    assert {j.status for j in again.jobs} == {"cached"}

    src = Path(trivial.notebooks_dir) / "overview.py"
    src.write_text(src.read_text() + "\n# %%\n2\n")
    third = render.run_report(trivial)
    assert {j.name: j.status for j in third.jobs if j.status == "done"} == {"overview": "done"}

    forced = render.run_report(render.RunSettings(**{**trivial.__dict__, "force": True}))
    assert {j.status for j in forced.jobs} == {"done"}


@pytest.mark.slow
def test_failing_cell_names_notebook_cell_and_partial_and_keeps_others(trivial, monkeypatch):
    monkeypatch.setenv("GR_TEST_FAIL", "part_b_open")
    with pytest.raises(ReportError) as info:
        render.run_report(trivial)
    msg = str(info.value)
    assert re.search(r"notebook part.py \(part_b_open\) failed in cell \d+", msg)
    assert "ValueError: planted failure" in msg
    partial = Path(trivial.out) / "notebooks" / "part_b_open.ipynb"
    assert str(partial) in msg and partial.exists()
    out = Path(trivial.out)
    assert (out / "part_a.html").exists() and (out / "methods.html").exists()
    assert not (out / "part_b_open.html").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    status = {n["name"]: n["status"] for n in manifest["notebooks"]}
    assert status["part_b_open"] == "failed" and status["part_a"] == "done"
    monkeypatch.delenv("GR_TEST_FAIL")
    rerun = render.run_report(trivial)  # only the failed part runs again
    assert [j.name for j in rerun.jobs if j.status == "done"] == ["part_b_open"]


def test_cli_run_reports_a_bad_format_without_traceback(capsys):
    from giftreview.cli.app import main

    with pytest.raises(SystemExit) as info:
        main(["run", str(FIXTURE), "--formats", "html,docx", "--out", "reports/never"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown format(s) ['docx']" in err and "Traceback" not in err


def test_cli_run_failure_message_is_printed_verbatim_with_exit_code_6(monkeypatch, capsys):
    from giftreview.cli.app import main

    def fail(settings, progress=None):
        raise ReportError("notebook part.py (part_a) failed: KeyError: '[/tmp/x]' [red]")

    monkeypatch.setattr(render, "run_report", fail)
    with pytest.raises(SystemExit) as info:
        main(["run", str(FIXTURE), "--formats", "html"])
    assert info.value.code == 6
    err = capsys.readouterr().err
    assert "KeyError: '[/tmp/x]' [red]" in err and "Traceback" not in err


@pytest.mark.slow
def test_unknown_parameter_stops_the_run_before_any_notebook(trivial):
    src = Path(trivial.notebooks_dir) / "methods.py"
    src.write_text(src.read_text().replace("output: str", "outfolder: str"))
    with pytest.raises(
        ArgumentError, match=r"unknown parameter\(s\) output for notebook methods.py"
    ):
        render.run_report(trivial)
    assert not list((Path(trivial.out) / "notebooks").glob("*.ipynb"))
