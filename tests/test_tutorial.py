"""The tutorial notebook: every step has an exercise and a solution; student/teacher rendering."""

from __future__ import annotations

import re

import nbformat
import pytest

from giftreview.errors import ArgumentError
from giftreview.paths import NOTEBOOKS
from giftreview.pipeline.tutorial import SOLUTION_TAG, render_tutorial, tutorial_html

SOURCE = NOTEBOOKS / "tutorial.py"


def _tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("**Exercise 1.** Add two and two."),
        nbformat.v4.new_code_cell("2 + 2", metadata={"tags": [SOLUTION_TAG]}),
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "4444"}, execution_count=1)
    ]
    return nb


def test_student_version_drops_solutions_teacher_keeps_them():
    nb = _tiny_notebook()
    student = tutorial_html(nb, "student")
    teacher = tutorial_html(nb, "teacher")
    assert "Exercise 1." in student and "Exercise 1." in teacher
    assert "4444" not in student and "2 + 2" not in student
    assert "4444" in teacher and "Solution" in teacher
    assert len(nb.cells) == 2  # the executed notebook itself is not changed


def test_unknown_version_is_named():
    with pytest.raises(ArgumentError, match="`--version` 'pupil': use student, teacher or both"):
        render_tutorial("pupil")


def test_every_step_ends_with_an_exercise_and_has_a_solution():
    import jupytext

    nb = jupytext.read(SOURCE)
    steps = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    exercises = [c for c in nb.cells if "**Exercise" in c.source]
    solutions = [c for c in nb.cells if SOLUTION_TAG in c.metadata.get("tags", [])]
    assert len(steps) == 11
    assert len(exercises) == len(steps) == len(solutions)
    numbers = [int(re.search(r"\*\*Exercise (\d+)\.", c.source).group(1)) for c in exercises]
    assert numbers == list(range(1, 12))
    # each solution follows its exercise (before the next step starts)
    order = {id(c): i for i, c in enumerate(nb.cells)}
    for ex, sol in zip(exercises, solutions, strict=True):
        assert order[id(ex)] < order[id(sol)]
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1


@pytest.mark.slow
def test_tutorial_runs_under_papermill_in_both_versions(tmp_path):
    written = render_tutorial("both", out=tmp_path)
    executed = nbformat.read(written["ipynb"], as_version=4)
    assert executed.metadata["papermill"]["parameters"] == {}
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    student = written["student"].read_text(encoding="utf-8")
    teacher = written["teacher"].read_text(encoding="utf-8")
    for page in (student, teacher):
        assert "Analysing a recurring stakeholder survey with giftreview" in page
        assert "Exercise 11." in page
    # printed only by solution cells:
    for marker in ("wilson coverage:", "accounting closes: True", "known parameters:"):
        assert marker not in student, marker
        assert marker in teacher, marker
    assert teacher.count("<strong>Solution</strong>") == 11
