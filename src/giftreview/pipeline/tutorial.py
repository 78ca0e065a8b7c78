"""Render the teaching notebook (notebooks/tutorial.py) in a student and a teacher version.

The notebook is executed once with papermill (the report pipeline's private kernel, see
:mod:`giftreview.pipeline.execute`); each version is then exported to HTML with nbconvert, code
shown. Cells tagged ``solution`` are removed from the student version by nbconvert's
``TagRemovePreprocessor`` and kept, under a "Solution" label, in the teacher version.

The execution is cached with the pipeline's one key (:mod:`giftreview.pipeline.cache`): the files
the parameters name (raw waves, instrument and its codebooks), the library, the parameters and
the notebook source. An unchanged rerun only exports the HTML again.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbconvert.preprocessors import TagRemovePreprocessor

from giftreview import paths
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError
from giftreview.pipeline import cache
from giftreview.pipeline.execute import check_parameters, execute_notebook, private_kernel
from giftreview.pipeline.html import html_exporter
from giftreview.pipeline.plan import NotebookJob, notebooks_dir

__all__ = [
    "NOTEBOOK",
    "SOLUTION_TAG",
    "TITLE",
    "Version",
    "label_solutions",
    "tutorial_html",
    "render_tutorial",
]

NOTEBOOK = "tutorial"
SOLUTION_TAG = "solution"
TITLE = "Analysing a recurring stakeholder survey with giftreview"
Version = Literal["student", "teacher", "both"]


def _versions(version: str) -> tuple[str, ...]:
    if version == "both":
        return ("student", "teacher")
    if version in ("student", "teacher"):
        return (version,)
    raise ArgumentError(f"`--version` {version!r}: use student, teacher or both")


def label_solutions(nb):
    """A copy of ``nb`` with a "Solution" label before every cell tagged ``solution``."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            label = nbformat.v4.new_markdown_cell("**Solution**")
            label.metadata["tags"] = [SOLUTION_TAG]
            cells.append(label)
        cells.append(cell)
    out.cells = cells
    for i, cell in enumerate(out.cells):  # stable ids keep the HTML reproducible
        cell["id"] = f"cell-{i}"
    return out


def tutorial_html(nb, version: str) -> str:
    """HTML of the executed tutorial, code shown; ``student`` drops the solution cells."""
    exporter = html_exporter(hide_code=False)
    remove = TagRemovePreprocessor(enabled=True)
    remove.remove_cell_tags = {SOLUTION_TAG} if version == "student" else set()
    remove.remove_input_tags = {"injected-parameters"}
    exporter.register_preprocessor(remove, enabled=True)
    source = label_solutions(nb) if version == "teacher" else nb
    title = f"{TITLE} ({version} version)"
    source.metadata["title"] = title
    body, _ = exporter.from_notebook_node(source, resources={"metadata": {"name": title}})
    return body


def _inputs(declared: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The cache inputs of the tutorial: every file a parameter names (defaults or given)."""
    values = {}
    for name, info in declared.items():
        try:
            values[name] = ast.literal_eval(info.get("default", "None"))
        except (ValueError, SyntaxError):
            values[name] = None
    values |= params
    files = {
        name: paths.from_root(v)
        for name, v in values.items()
        if isinstance(v, str) and v and paths.from_root(v).is_file()
    }
    yaml = [p for p in files.values() if p.suffix in (".yaml", ".yml")]
    return cache.input_hashes(
        [p for p in files.values() if p not in yaml], load_instrument(yaml[0] if yaml else None)
    )


def render_tutorial(
    version: Version = "both", *, out: Path | None = None, parameters: dict | None = None
) -> dict[str, Path]:
    """Execute notebooks/tutorial.py and write ``tutorial_<version>.html`` into ``out``.

    Parameters
    ----------
    version
        ``student`` (solutions removed), ``teacher`` (solutions shown) or ``both``.
    out
        Output folder; default ``reports/tutorial``.
    parameters
        Notebook parameters to override (checked against the notebook's ``parameters`` cell).

    Returns
    -------
    dict
        Written files: ``ipynb`` (the executed notebook) and one entry per version.
    """
    versions = _versions(version)
    out = Path(out) if out is not None else paths.REPORTS / NOTEBOOK
    params = dict(parameters or {})
    source = notebooks_dir() / f"{NOTEBOOK}.py"
    declared = check_parameters(source, params)
    key = cache.cache_key(_inputs(declared, params), params, source)
    written = {"ipynb": out / f"{NOTEBOOK}.ipynb"}
    if cache.is_current(out, NOTEBOOK, key) and written["ipynb"].exists():
        nb = nbformat.read(written["ipynb"], as_version=4)
    else:
        job = NotebookJob(NOTEBOOK, source, TITLE, params)
        with private_kernel() as kernel:
            nb = execute_notebook(job, written["ipynb"], kernel, paths.PROJ_ROOT)
        cache.record(out, NOTEBOOK, key)
    for v in versions:
        written[v] = out / f"{NOTEBOOK}_{v}.html"
        written[v].write_text(tutorial_html(nb, v), encoding="utf-8")
    return written
