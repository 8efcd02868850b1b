"""``autograder build``: everything an instructor hands out, from the one source notebook,
``solutions/`` and the hidden checks."""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from .. import ASSIGNMENT
from ..ch02.questions import questions
from ..engine.grade import expected_observations
from . import gradescope, nbgrader_course, notebooks, selfcheck


def student_and_solution() -> tuple[NotebookNode, NotebookNode]:
    """The two notebooks, with the setup cell holding the public self-checks."""
    question_list = questions()
    setup = selfcheck.setup_source(question_list, expected_observations(question_list))
    source = notebooks.load_source()
    student = notebooks.student_notebook(source, setup)
    solution = notebooks.student_notebook(notebooks.solution_notebook(source), setup)
    return student, solution


def build_all(out: Path, mnist_path: Path | None = None) -> list[Path]:
    """Write every artefact below ``out/ch02`` and return their paths."""
    root = out / ASSIGNMENT
    student, solution = student_and_solution()
    written = [
        notebooks.write_notebook(student, root / "student" / f"{ASSIGNMENT}.ipynb"),
        notebooks.write_notebook(solution, root / "solution" / f"{ASSIGNMENT}.ipynb"),
    ]
    written.append(gradescope.build_zip(root, mnist_path))
    written += nbgrader_course.build_course(root, mnist_path)
    return written
