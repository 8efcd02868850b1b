"""``autograder build``: everything an instructor hands out for one assignment, from its one
source notebook, its answer key and its hidden checks."""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from ..engine.grade import expected_observations
from . import gradescope, nbgrader_course, notebooks, selfcheck


def student_and_solution(assignment) -> tuple[NotebookNode, NotebookNode]:
    """The two notebooks, with the setup cell holding the public self-checks."""
    setup = selfcheck.setup_source(assignment, expected_observations(assignment))
    source = notebooks.load_source(assignment.notebook)
    answer_key = assignment_answer_key_file(assignment)
    student = notebooks.student_notebook(source, setup, assignment.id)
    solution = notebooks.student_notebook(notebooks.solution_notebook(source, answer_key), setup, assignment.id)
    return student, solution


def assignment_answer_key_file(assignment) -> Path:
    import importlib.util

    return Path(importlib.util.find_spec(assignment.answer_key).origin)


def build_all(assignment, out: Path, data: dict) -> list[Path]:
    """Write every artefact below ``out/<id>`` and return their paths. ``data``: the
    datasets this machine has (dataset -> file), bundled into the Gradescope zip."""
    root = out / assignment.id
    student, solution = student_and_solution(assignment)
    written = [
        notebooks.write_notebook(student, root / "student" / f"{assignment.id}.ipynb"),
        notebooks.write_notebook(solution, root / "solution" / f"{assignment.id}.ipynb"),
    ]
    written.append(gradescope.build_zip(assignment, root, data))
    written += nbgrader_course.build_course(assignment, root)
    return written
