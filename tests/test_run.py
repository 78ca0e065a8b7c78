"""Tests of giftreview.pipeline.run: parameters, kernel, caching, failures, reproducible outputs.

The pipeline tests (marked slow) run ``run_report`` on the small hostile fixture with *trivial*
notebooks that declare the real notebooks' parameters, so caching and failure handling are
checked in seconds; the real notebooks are exercised by tests/test_notebooks.py and
tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from giftreview import paths
from giftreview.errors import ArgumentError, InputFileError, ReportError
from giftreview.pipeline import cache, pdf, plan, run

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"


@pytest.fixture
def trivial(tmp_path, monkeypatch, trivial_notebooks) -> plan.RunSettings:
    """Settings for a run of trivial notebooks on the small fixture, all inside ``tmp_path``."""
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    # the package source is part of every cache key; pin it so edits elsewhere in a working
    # tree during the test cannot invalidate the cache (the key logic is tested on its own)
    monkeypatch.setattr(cache, "library_sha256", lambda: "pinned")
    return plan.RunSettings(
        raw=FIXTURE,
        wave="small",
        out=tmp_path / "reports",
        formats=("html",),
        notebooks_dir=trivial_notebooks,
    )


# ---- fast -------------------------------------------------------------------------------------
def test_missing_chromium_fails_before_any_work(trivial, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    settings = plan.RunSettings(**{**trivial.__dict__, "formats": ("html", "pdf")})
    with pytest.raises(ReportError, match="apt-get install chromium"):
        run.run_report(settings)
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
        run.run_report(plan.RunSettings(**{**trivial.__dict__, **change}))


# ---- slow: the pipeline with trivial notebooks -------------------------------------------------
@pytest.mark.slow
def test_run_caches_reruns_one_changed_part_and_forces(trivial):
    first = run.run_report(trivial)
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
    again = run.run_report(trivial)
    assert again.cached
    assert {j.status for j in again.jobs} == {"cached"}

    src = Path(trivial.notebooks_dir) / "overview.py"
    src.write_text(src.read_text() + "\n# %%\n2\n")
    third = run.run_report(trivial)
    assert {j.name: j.status for j in third.jobs if j.status == "done"} == {"overview": "done"}

    forced = run.run_report(plan.RunSettings(**{**trivial.__dict__, "force": True}))
    assert {j.status for j in forced.jobs} == {"done"}


@pytest.mark.slow
def test_failing_cell_names_notebook_cell_and_partial_and_keeps_others(trivial, monkeypatch):
    monkeypatch.setenv("GR_TEST_FAIL", "part_b_open")
    with pytest.raises(ReportError) as info:
        run.run_report(trivial)
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
    rerun = run.run_report(trivial)  # only the failed part runs again
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

    monkeypatch.setattr(run, "run_report", fail)
    with pytest.raises(SystemExit) as info:
        main(["run", str(FIXTURE), "--formats", "html"])
    assert info.value.code == 6
    err = capsys.readouterr().err
    assert "KeyError: '[/tmp/x]' [red]" in err and "Traceback" not in err


def test_cli_cell_timeout_reaches_the_settings(monkeypatch):
    from giftreview.cli.app import main

    seen = []

    def record(settings, progress=None):
        seen.append(settings)
        raise ReportError("stop here")

    monkeypatch.setattr(run, "run_report", record)
    with pytest.raises(SystemExit):
        main(["run", str(FIXTURE), "--formats", "html", "--cell-timeout", "2.5"])
    assert seen[0].cell_timeout == 2.5
    assert plan.RunSettings(raw=FIXTURE).cell_timeout == 600  # the default


def test_a_cell_timeout_that_is_not_positive_is_named(trivial):
    with pytest.raises(ArgumentError, match=r"--cell-timeout 0: give the seconds a cell may run"):
        run.run_report(plan.RunSettings(**{**trivial.__dict__, "cell_timeout": 0}))


@pytest.mark.slow
def test_unknown_parameter_stops_the_run_before_any_notebook(trivial):
    src = Path(trivial.notebooks_dir) / "methods.py"
    src.write_text(src.read_text().replace("output: str", "outfolder: str"))
    with pytest.raises(
        ArgumentError, match=r"unknown parameter\(s\) output for notebook methods.py"
    ):
        run.run_report(trivial)
    assert not list((Path(trivial.out) / "notebooks").glob("*.ipynb"))
