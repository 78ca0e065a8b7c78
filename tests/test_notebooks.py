"""Smoke-run every report notebook under papermill on a small fixture in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest
from markupsafe import escape  # what the templates' autoescape applies

from giftreview import report
from giftreview.data.instrument import load_instrument
from giftreview.paths import DEFAULT_INSTRUMENT, PACKAGE_DIR, portable_path
from giftreview.pipeline import execute, plan

NOTEBOOKS = PACKAGE_DIR.parents[1] / "notebooks"
REPO = PACKAGE_DIR.parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"
OURS = ("overview", "part", "methods")


def test_parameters_cells_are_typed_commented_and_identical_where_shared(tmp_path):
    seen = {}
    for name in OURS:
        path = tmp_path / f"{name}.ipynb"
        import nbformat

        nbformat.write(execute.read_notebook(NOTEBOOKS / f"{name}.py"), path)
        params = papermill.inspect_notebook(str(path))
        for p in params.values():
            assert p["inferred_type_name"] != "None", f"{name}.{p['name']} has no type"
            assert p["help"], f"{name}.{p['name']} has no comment"
        seen[name] = {k: v["default"] for k, v in params.items()}
    shared = set(seen["overview"])
    assert shared == set(seen["methods"]) == set(seen["part"]) - {"section"}
    # the defaults open the first bundled wave, so each notebook runs by hand in JupyterLab
    assert (REPO / eval(seen["part"]["raw"])).exists()  # noqa: S307 - a string literal default
    assert (REPO / eval(seen["part"]["instrument"])).exists()  # noqa: S307


@pytest.fixture(scope="module")
def wave(tmp_path_factory, request):
    """The fixture cleaned into a temporary project root, with its test family."""
    root = tmp_path_factory.mktemp("root")
    processed = root / "data" / "processed" / "small"
    inst = load_instrument(DEFAULT_INSTRUMENT)
    report.prepare(FIXTURE, inst, wave="small", processed=processed, group_by="", confidence=0.95)
    return root, processed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "section"), [("overview", None), ("part", "part_b_open"), ("methods", None)]
)
def test_notebook_runs_under_papermill_and_records_its_parameters(wave, name, section, monkeypatch):
    root, processed = wave
    monkeypatch.setenv("GIFTREVIEW_ROOT", str(root))
    params = {
        "raw": str(FIXTURE.resolve()),
        "instrument": str(DEFAULT_INSTRUMENT),
        "wave": "small",
        "processed": str(processed),
        "k": 3,
        "output": str(root / "reports" / "small"),
        "sources": json.dumps({"k": "cli"}),  # as giftreview run writes it (only k recorded here)
    }
    if section:
        params["section"] = section
    job = plan.NotebookJob(section or name, NOTEBOOKS / f"{name}.py", "t", params)
    execute.check_parameters(job.source, params)
    out = root / "reports" / f"{job.name}.ipynb"
    with execute.private_kernel() as kernel:
        nb = execute.execute_notebook(job, out, kernel, cwd=root)
    # the output folder is recorded by its portable form (here its name: it lies outside the
    # project root of this process) and appears nowhere else; the rest as given
    recorded = {**params, "output": portable_path(params["output"])}
    assert nb.metadata["papermill"]["parameters"] == recorded
    assert params["output"] not in json.dumps(nb)
    assert "start_time" not in nb.metadata["papermill"]
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "Provenance" in html
    # each parameter with its source: k from the command line, confidence (not injected, no
    # source recorded) from the notebook's own parameters cell
    assert '<tr><th scope="row">k</th><td>3</td><td>command line</td></tr>' in html
    assert (
        '<tr><th scope="row">confidence</th><td>0.95</td><td>notebook parameters cell</td></tr>'
        in html
    )
    if section:
        inst = load_instrument(DEFAULT_INSTRUMENT)
        for qid in inst.report_sections()[2].questions:
            assert escape(report.heading(inst.question(qid))) in html
    assert "<script" not in html
