"""``autograder build``: everything an instructor hands out for one assignment, from its one
source notebook, its answer key and its hidden checks."""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from . import gradescope, nbgrader_course, notebooks, points, selfcheck


def student_and_solution(assignment, course=None) -> tuple[NotebookNode, NotebookNode]:
    """The two notebooks, with the setup cell holding the public self-checks, the points cell its
    table, and (in the student's) each stub cell the cases and points it is graded on.
    ``course`` (``course.Course``): its file-name rule and submission place go into the export
    cell and the paragraph above it."""
    setup = selfcheck.setup_source(assignment)
    source = notebooks.load_source(assignment.notebook)
    answer_key = assignment_answer_key_file(assignment)
    table = points.table(assignment)
    student = notebooks.student_notebook(source, setup, assignment.id, table, stub_headers(assignment, source))
    solution = notebooks.student_notebook(notebooks.solution_notebook(source, answer_key), setup, assignment.id, table)
    if course is not None and course.source:
        for notebook in (student, solution):
            with_submission_rule(notebook, course)
    return student, solution


def with_submission_rule(notebook: NotebookNode, course) -> None:
    """The course's file-name rule and place in the export cell's call and in the markdown
    paragraph above it (written with the defaults in the source notebook)."""
    from ..course import DEFAULT_FILE_NAME, DEFAULT_PLACE

    for index, cell in enumerate(notebook.cells):
        if notebooks.cell_role(cell) != "export":
            continue
        cell.source = f"grader.export(pdf=False, file_name={course.file_name!r}, place={course.place!r})"
        if index and notebook.cells[index - 1].cell_type == "markdown":
            above = notebook.cells[index - 1]
            above.source = above.source.replace(DEFAULT_FILE_NAME, course.file_name).replace(DEFAULT_PLACE, course.place)


def stub_headers(assignment, source: NotebookNode) -> dict[str, str]:
    """Each stub cell's header (by cell id): the cases of the objects it defines."""
    owner = {name: question for question in assignment.questions for name in question.objects}
    stubs = notebooks.cells_with_role(source, "stub")
    last = {}
    for cell in stubs:
        for name in notebooks.stub_objects(cell):
            if name in owner:
                last[owner[name].id] = cell.get("id")
    headers = {}
    for cell in stubs:
        names = [name for name in notebooks.stub_objects(cell) if name in owner]
        if names:
            question = owner[names[0]]
            headers[cell.get("id")] = points.stub_header(question, names, last.get(question.id) == cell.get("id"))
    return headers


def assignment_answer_key_file(assignment) -> Path:
    import importlib.util

    return Path(importlib.util.find_spec(assignment.answer_key).origin)


def build_all(assignment, out: Path, data: dict, course=None) -> list[Path]:
    """Write every artefact below ``out/<id>`` and return their paths. ``data``: the
    datasets this machine has (dataset -> file), bundled into the Gradescope zip."""
    root = out / assignment.id
    student, solution = student_and_solution(assignment, course)
    written = [
        notebooks.write_notebook(student, root / "student" / f"{assignment.id}.ipynb"),
        notebooks.write_notebook(solution, root / "solution" / f"{assignment.id}.ipynb"),
    ]
    written.append(gradescope.build_zip(assignment, root, data))
    written += nbgrader_course.build_course(assignment, root)
    return written
