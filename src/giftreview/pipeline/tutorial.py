"""Render the teaching notebook (notebooks/tutorial.py) in a student and a teacher version.

The notebook is executed once with papermill (the report pipeline's private kernel, see
:mod:`giftreview.pipeline.run`); each version is then exported to HTML with nbconvert, code shown.
Cells tagged ``solution`` are removed from the student version by nbconvert's
``TagRemovePreprocessor`` and kept, under a "Solution" label, in the teacher version.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Literal

from giftreview import paths
from giftreview.errors import ArgumentError

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
    import nbformat

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
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    from giftreview.pipeline.run import TEMPLATE_DIR

    exporter = HTMLExporter(template_name="giftreview", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    remove = TagRemovePreprocessor(enabled=True)
    remove.remove_cell_tags = {SOLUTION_TAG} if version == "student" else set()
    remove.remove_input_tags = {"injected-parameters"}
    exporter.register_preprocessor(remove, enabled=True)
    source = label_solutions(nb) if version == "teacher" else nb
    title = f"{TITLE} ({version} version)"
    source.metadata["title"] = title
    body, _ = exporter.from_notebook_node(source, resources={"metadata": {"name": title}})
    return body


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
    from giftreview.pipeline import run as render

    versions = _versions(version)
    out = Path(out) if out is not None else paths.REPORTS / NOTEBOOK
    params = dict(parameters or {})
    source = render.notebooks_dir() / f"{NOTEBOOK}.py"
    render.check_parameters(source, params)
    job = render.NotebookJob(NOTEBOOK, source, TITLE, params)
    written = {"ipynb": out / f"{NOTEBOOK}.ipynb"}
    with render.private_kernel() as kernel:
        nb = render.execute_notebook(job, written["ipynb"], kernel, paths.PROJ_ROOT)
    for v in versions:
        written[v] = out / f"{NOTEBOOK}_{v}.html"
        written[v].write_text(tutorial_html(nb, v), encoding="utf-8")
    return written
