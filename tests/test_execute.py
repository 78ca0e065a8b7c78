"""Tests of giftreview.pipeline.execute: notebooks read, parameters checked, kernels, timeouts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from giftreview import paths
from giftreview.errors import ArgumentError, ReportError
from giftreview.pipeline import execute, plan


def test_unknown_parameter_is_an_error_naming_the_known_ones(trivial_notebooks):
    src = trivial_notebooks / "overview.py"
    with pytest.raises(
        ArgumentError,
        match=r"unknown parameter\(s\) colour for notebook overview.py; known parameters: raw, instrument, wave",
    ):
        execute.check_parameters(src, {"raw": "x", "colour": "red"})
    execute.check_parameters(src, {"raw": "x", "k": 3})  # known names pass


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    src = tmp_path / "bare.py"
    src.write_text("# %%\nx = 1\n")
    with pytest.raises(ReportError, match="no cell tagged 'parameters'"):
        execute.check_parameters(src, {"x": 2})


def test_read_notebook_gives_stable_cell_ids_and_our_kernel():
    nb = execute.read_notebook(paths.PACKAGE_DIR.parents[1] / "notebooks" / "part.py")
    assert [c["id"] for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    assert nb.metadata["kernelspec"]["name"] == execute.KERNEL_NAME


def test_kernelspec_runs_this_python(tmp_path):
    execute.write_kernelspec(tmp_path)
    spec = json.loads((tmp_path / "kernels" / execute.KERNEL_NAME / "kernel.json").read_text())
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
    execute.normalise_notebook(nb, Path("notebooks/part.py"), Path("/r/notebooks/part_a.ipynb"))
    assert nb.metadata["papermill"] == {
        "input_path": "notebooks/part.py",
        "output_path": "notebooks/part_a.ipynb",
    }
    assert nb.cells[0].metadata == {"papermill": {"status": "completed"}}
    assert nb.cells[0]["id"] == "cell-0"


SLEEPY = """# %% tags=["parameters"]
seconds: float = 30  # how long the second cell sleeps

# %%
import time

time.sleep(seconds)
"""


@pytest.mark.slow
def test_a_cell_running_past_the_timeout_is_a_report_error_naming_notebook_and_cell(tmp_path):
    source = tmp_path / "sleepy.py"
    source.write_text(SLEEPY, encoding="utf-8")
    job = plan.NotebookJob("sleepy", source, "t", {"seconds": 30})
    out = tmp_path / "out" / "sleepy.ipynb"
    # cell 0 is the parameters cell, cell 1 the injected parameters, cell 2 the sleep
    message = (
        r"notebook sleepy.py \(sleepy\): cell 2 \(import time\) ran longer than 2 s and was "
        r"stopped\. Make it faster or allow more time with --cell-timeout; the partial notebook "
        r"is saved at .*sleepy\.ipynb"
    )
    with execute.private_kernel() as kernel:
        with pytest.raises(ReportError, match=message) as info:
            execute.execute_notebook(job, out, kernel, cwd=tmp_path, cell_timeout=2)
        assert info.value.cell_index == 2 and Path(info.value.partial) == out
        # the same in a warm kernel, which is then restarted and serves the next notebook
        warm = execute.WarmKernel(tmp_path)
        try:
            with pytest.raises(ReportError, match=message):
                execute.execute_notebook(job, out, kernel, tmp_path, warm.fresh(), cell_timeout=2)
            warm.restart()
            quick = plan.NotebookJob("sleepy", source, "t", {"seconds": 0})
            nb = execute.execute_notebook(job=quick, output=out, kernel=kernel, cwd=tmp_path,
                                          km=warm.fresh(), cell_timeout=2)  # fmt: skip
            assert nb.metadata["papermill"]["parameters"] == {"seconds": 0}
        finally:
            warm.shutdown()
