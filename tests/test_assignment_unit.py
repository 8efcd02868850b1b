"""One assignment is one unit: the generic kit names no assignment, and the tiny test
assignment (tests/tiny, nothing of it anywhere else) is built, graded by otter and nbgrader,
graded by ``autograder grade`` and reported through the same commands as chapter 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import assignment as registry
from conftest import ROOT, TESTS, subprocess_env

KIT = ROOT / "autograder"


def _assignment_folders() -> set[Path]:
    return {path.parent for path in KIT.glob("*/assignment.py")}


def test_the_generic_kit_names_no_assignment():
    """Outside ``autograder/<id>/``, no file of the kit mentions an assignment's id."""
    ids = set(registry.all_assignments())
    assert {"ch02", "tiny"} <= ids
    own = _assignment_folders()
    found = []
    for path in KIT.rglob("*.py"):
        if "__pycache__" in path.parts or any(folder in path.parents for folder in own):
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {identifier}" for identifier in ids if identifier in text]
    assert found == []


def test_the_registry_finds_assignments_and_explains_a_wrong_id():
    assert registry.get("tiny").module == "tiny.assignment"
    assert registry.get("tiny.faults").module == "tiny.faults"
    with pytest.raises(registry.UnknownAssignment, match="known: .*ch02"):
        registry.get("ch99")
    with pytest.raises(registry.UnknownAssignment, match="--assignment"):
        registry.get(None)


def test_the_tiny_assignment_is_one_folder():
    tiny = registry.get("tiny")
    folder = TESTS / "tiny"
    assert tiny.notebook.parent == folder
    for module in (tiny.module, tiny.answer_key):
        assert Path(__import__("importlib").util.find_spec(module).origin).parent == folder


def _run(args, cwd=None, env=None, timeout=900):
    process = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                             env=env or subprocess_env())
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-3000:]
    return process


@pytest.mark.slow
def test_the_tiny_assignment_goes_through_every_front_end(tmp_path):
    cli = [sys.executable, "-m", "autograder.cli"]
    _run([*cli, "build", "--assignment", "tiny", "--out", str(tmp_path / "dist")])
    built = tmp_path / "dist" / "tiny"
    for written in ("student/tiny.ipynb", "solution/tiny.ipynb", "autograder.zip",
                    "nbgrader/nbgrader_config.py", "nbgrader/source/tiny/tiny.ipynb"):
        assert (built / written).is_file(), written

    # Gradescope: otter runs the zip on the solution (the wheel carries the tiny package); plain
    # `otter run` here, the kit first elsewhere (gradescope.otter_run_command): both must grade
    _run([sys.executable, "-m", "otter", "run", "-a", str(built / "autograder.zip"), str(built / "solution" / "tiny.ipynb"),
          "-o", str(tmp_path), "--no-logo"])
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    [question] = [test for test in results["tests"] if test["name"] == "q1_basics"]
    assert (question["score"], question["max_score"]) == (5, 5)

    # JupyterHub: nbgrader releases it and autogrades a submitted solution
    course = tmp_path / "course"
    shutil.copytree(built / "nbgrader", course)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env = subprocess_env(PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    _run([*nbgrader, "generate_assignment", "tiny"], cwd=course, env=env)
    submitted = course / "submitted" / "alice" / "tiny"
    submitted.mkdir(parents=True)
    import nbformat

    release = nbformat.read(str(course / "release" / "tiny" / "tiny.ipynb"), as_version=4)
    solution = nbformat.read(str(built / "solution" / "tiny.ipynb"), as_version=4)
    answers = {cell.get("id"): cell.source for cell in solution.cells}
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[cell.get("id")]
    nbformat.write(release, str(submitted / "tiny.ipynb"))
    _run([*nbgrader, "autograde", "tiny", "--student", "alice"], cwd=course, env=env)
    _run([*nbgrader, "export"], cwd=course, env=env)
    exported = (course / "grades.csv").read_text(encoding="utf-8")
    assert ",5.0,5.0" in exported or ",5,5" in exported, exported

    # autograder grade, then the class report and the gradebook export
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(built / "solution" / "tiny.ipynb", folder / "s001.ipynb")
    shutil.copy(built / "student" / "tiny.ipynb", folder / "s002.ipynb")
    _run([*cli, "grade", str(folder), "--assignment", "tiny", "--out", str(tmp_path / "grades")])
    _run([*cli, "report", str(tmp_path / "grades"), "--out", str(tmp_path / "report.html")])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "작은 테스트 과제" in page and "q1_basics" in page
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns001,가\ns002,나\ns003,다\n", encoding="utf-8")
    _run([*cli, "export", str(tmp_path / "grades"), "--roster", str(roster), "--format", "csv",
          "--out", str(tmp_path / "gradebook.csv")])
    assert (tmp_path / "gradebook.csv").is_file()
