"""The nbgrader course directory (``DIR/ch02/nbgrader/``): metadata, release, and grading that
gives the corpus's points.

The slow test runs the real pipeline offline: ``nbgrader generate_assignment``, submitted
copies (the solution, the untouched release and one with three specific bugs), ``nbgrader
autograde``, ``nbgrader export`` and ``nbgrader generate_feedback``, and compares each
question's score with the points the corpus says each must get.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import mnist
from autograder.targets import nbgrader_course, notebooks
from autograder.targets.build import assignment_answer_key_file
from conftest import subprocess_env

ASSIGNMENT = "ch02"
KIT_IMPORT = re.compile(r"^\s*(import|from)\s+(autograder|solutions)\b", re.M)  # the installed kit

# Three specific bugs, each a one-line change of the reference (the same edit as the course
# text's own mistakes or a classic slip): stub cell id -> (reference text, buggy text).
BUGS = {
    "bug_relu_mutates": ("stub-naive-relu", "    x = x.copy()\n", ""),
    "bug_global_model": ("stub-learning-rate-update-weights",
                         "zip(gradients, weights)", "zip(gradients, model.weights)"),
    "bug_fit_batch_size": ("stub-fit", "BatchGenerator(images, labels, batch_size)",
                           "BatchGenerator(images, labels)"),
}


def _mnist_path() -> Path:
    try:
        return mnist.resolve(download=False)
    except mnist.MnistUnavailable as error:
        pytest.skip(str(error))


def _env(**extra) -> dict:
    """Environment of nbgrader and the kernels it starts: the kit importable, the venv's
    executables (nbgrader runs ``alembic``) on PATH."""
    return subprocess_env(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
                          **extra)


def _nbgrader(course: Path, *args: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env or _env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def built(ch02, tmp_path_factory) -> Path:
    """A course directory written by the builder (``<out>/ch02/nbgrader``)."""
    root = tmp_path_factory.mktemp("build") / ASSIGNMENT
    written = nbgrader_course.build_course(ch02, root)
    course = root / "nbgrader"
    assert sorted(written) == sorted([course / "nbgrader_config.py",
                                      course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"])
    return course


@pytest.fixture(scope="module")
def source(built):
    return nbformat.read(str(built / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)


@pytest.fixture(scope="module")
def released(built, tmp_path_factory) -> Path:
    """A copy of the course after ``nbgrader generate_assignment`` (the build stays untouched)."""
    course = tmp_path_factory.mktemp("course") / "nbgrader"
    shutil.copytree(built, course)
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    return course


# ------------------------------------------------------------------------ (a) what is written


def test_config_sets_root_stub_the_kits_autograding_and_quiet_kernels(ch02, built, monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setattr(os, "environ", dict(os.environ))  # the config sets kernel variables
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(built)).load_config()
    assert Path(config.CourseDirectory.root) == built
    assert config.ClearSolutions.code_stub == {"python": ""}
    from nbgrader.preprocessors import Execute

    from autograder.frontends.nbgrader import KitAutograde

    assert KitAutograde in config.Autograde.autograde_preprocessors  # the kit grades, in its own kernel
    assert Execute not in config.Autograde.autograde_preprocessors  # nbgrader runs no student code
    assert config.KitAutograde.assignment == ASSIGNMENT
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["PYTHONWARNINGS"] == "ignore"


def test_source_metadata_is_valid(source):
    from nbgrader.nbgraderformat import MetadataValidator

    MetadataValidator().validate_nb(source)  # raises on bad or duplicate metadata
    nbformat.validate(source)


def test_solution_cells_wrap_the_reference(ch02, built_notebooks, source):
    student, solution = built_notebooks
    stubs = {c.id: c.source for c in notebooks.cells_with_role(student, "stub")}
    references = {c.id: c.source for c in notebooks.cells_with_role(solution, "stub")}
    cells = notebooks.cells_with_role(source, "stub")
    assert {c.id for c in cells} == set(stubs)
    for cell in cells:
        meta = _meta(cell)
        assert (meta["solution"], meta["grade"], meta["locked"]) == (True, False, False), cell.id
        assert cell.source == (f"{stubs[cell.id].rstrip()}\n### BEGIN SOLUTION\n"
                               f"{references[cell.id].rstrip()}\n### END SOLUTION"), cell.id
        assert references[cell.id] == notebooks.reference_source(notebooks.stub_objects(cell),
                                                                 assignment_answer_key_file(ch02))


def test_one_locked_test_cell_per_question_with_the_points_table(ch02, source):
    table = {q.id: q.points for q in ch02.questions}
    tests = [c for c in source.cells if _meta(c).get("grade")]
    assert [c.cell_type for c in tests] == ["code"] * len(table)
    found = {}
    for cell in tests:
        meta = _meta(cell)
        assert meta["locked"] is True and meta["solution"] is False
        question_id = meta["grade_id"].removeprefix("test_")
        assert cell.source.startswith(f"# 채점 셀: {question_id}") and "\n" not in cell.source.strip()
        # the checks live in the kit only: nothing of them is in the course
        found[question_id] = meta["points"]
    assert found == table
    assert sum(found.values()) == ch02.points
    # each test cell comes right after its question's self-check
    for index, cell in enumerate(source.cells):
        if _meta(cell).get("grade"):
            check = source.cells[index - 1]
            assert notebooks.cell_role(check) == "check"
            assert check.metadata[notebooks.META_KEY]["question"] == _meta(cell)["grade_id"].removeprefix("test_")


def test_instructions_setup_and_self_checks_are_read_only(source):
    for cell in source.cells:
        if cell.cell_type == "markdown" or notebooks.cell_role(cell) in ("setup", "check"):
            meta = _meta(cell)
            assert meta.get("locked") is True and not meta["grade"] and not meta["solution"], cell.id
    assert not notebooks.cells_with_role(source, "export")  # otter's zip export is not used here
    setup = notebooks.cells_with_role(source, "setup")[0].source
    assert "MNIST_NPZ" in setup and "import tensorflow" in setup and not KIT_IMPORT.search(setup)


# ------------------------------------------------------------------------ (b) the release


def test_release_has_no_solution_and_no_hidden_test(ch02, built_notebooks, released):
    release = nbformat.read(str(released / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    text = "\n".join(cell.source for cell in release.cells if cell.cell_type == "code")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text
    assert not KIT_IMPORT.search(text)  # the self-checks carry their own copies; the hub needs no kit
    student, solution = built_notebooks
    given = "\n".join(c.source for c in notebooks.cells_with_role(student, "stub"))
    for cell in notebooks.cells_with_role(solution, "stub"):
        for name in notebooks.stub_objects(cell):
            reference = notebooks.reference_source([name], assignment_answer_key_file(ch02))
            assert reference in given or reference not in text, name  # given lines (learning_rate) stay
    # students get exactly the stubs of the student notebook, and empty test cells
    stubs = {c.id: c.source for c in notebooks.cells_with_role(student, "stub")}
    for cell in notebooks.cells_with_role(release, "stub"):
        assert cell.source.rstrip() == stubs[cell.id].rstrip()
        assert cell.metadata.get("deletable") is False
    tests = [c for c in release.cells if _meta(c).get("grade")]
    assert len(tests) == len(ch02.questions)
    for cell in tests:
        assert cell.source.startswith("# 채점 셀") and "\n" not in cell.source.strip()
        assert cell.metadata.get("editable") is False


# ------------------------------------------------------------------------ (c) grading


def _submissions(release, solution) -> dict[str, tuple[nbformat.NotebookNode, dict]]:
    """Submitted copies with the points each must get: the solution, the untouched release, and
    one notebook carrying all three bugs (the points they cost are the corpus's)."""
    references = {c.id: c.source for c in notebooks.cells_with_role(solution, "stub")}

    def solved():
        notebook = copy.deepcopy(release)
        for cell in notebook.cells:
            if _meta(cell).get("solution"):
                cell.source = references[cell.id]
        return notebook

    buggy = solved()
    for cell_id, good, bad in BUGS.values():
        cell = next(c for c in buggy.cells if c.get("id") == cell_id)
        assert good in cell.source, cell_id
        cell.source = cell.source.replace(good, bad)
    return {"solution": (solved(), {}), "untouched": (copy.deepcopy(release), None),
            # relu mutating its input costs 1; the global model costs both update cases (4) and
            # the training (10); ignoring batch_size costs 2 (tests/corpus/ch02.py)
            "three_bugs": (buggy, {"q3_elementwise": 11, "q8_from_scratch": 28})}  # one mistake, one deduction: 2 + 2 in q8


def _nbgrader_scores(course: Path, students: list[str]) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {student: {grade.name.removeprefix("test_"): grade.score
                          for grade in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).grades}
                for student in students}


@pytest.mark.slow
def test_autograde_export_and_feedback_give_the_expected_points(ch02, built_notebooks, released):
    data = _mnist_path()
    course = released
    release = nbformat.read(str(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    copies = _submissions(release, built_notebooks[1])
    for student, (notebook, _) in copies.items():
        submitted = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        submitted.parent.mkdir(parents=True)
        nbformat.write(notebook, str(submitted))
    # A course's cache (AUTOGRADER_CACHE): each training nbgrader's run computes is kept there.
    # The solution's training is served from it, as in a course that graded the same code before
    # (recorded by the in-process corpus: nbgrader's release places the cells elsewhere, the key
    # is the same); the three bugs' training runs here.
    from autograder.engine.cache import CACHE_ENV
    from corpus import inprocess

    cache = course / ".autograder-cache"
    solution = course / "submitted" / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert inprocess.seed_cache(ch02, sorted(course.glob("submitted/*/*/*.ipynb")), cache) == [solution]
    served = {entry.name for entry in cache.glob("*.json")}
    env = _env(**{mnist.ENV_VAR: str(data), CACHE_ENV: str(cache)})
    started = time.monotonic()
    _nbgrader(course, "autograde", ASSIGNMENT, env=env)  # every submitted notebook, as a course does
    seconds = time.monotonic() - started
    kept = {entry.name for entry in cache.glob("*.json")} - served
    assert len(kept) == 2  # the three bugs' and the untouched one's (NotImplementedError: its code's own failure)
    _nbgrader(course, "export", env=env)
    with open(course / "grades.csv", encoding="utf-8") as handle:
        exported = {row["student_id"]: row for row in csv.DictReader(handle)}
    scores = _nbgrader_scores(course, list(copies))
    print(f"\nnbgrader autograde of {len(copies)} submissions: {seconds:.0f} s")
    table = {q.id: q.points for q in ch02.questions}
    for student, (_, expect) in copies.items():
        want = {qid: 0.0 for qid in table} if expect is None else {**table, **expect}
        assert {qid: scores[student][qid] for qid in table} == pytest.approx(want), student
        assert float(exported[student]["score"]) == pytest.approx(sum(want.values()))
        assert float(exported[student]["max_score"]) == ch02.points

    # feedback: one HTML page per student
    _nbgrader(course, "generate_feedback", ASSIGNMENT, env=env)
    for student in copies:
        page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.is_file(), page
        html = page.read_text(encoding="utf-8")
        assert "<html" in html[:2000].lower() and ("[통과]" in html or "[실패]" in html)  # the kit's Korean report
        assert "샌드박스 없이" not in html and "Traceback (most recent call last)" not in html  # the instructor's, never the student's (the page's CSS names a "Generic.Traceback" style)
