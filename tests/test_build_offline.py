"""`autograder build` on a machine with no MNIST anywhere (no $MNIST_NPZ, an empty home, so no
Keras cache) makes the same checks as a build that has it: the zip always holds the training
case (100 points), its points equal the nbgrader course's and `autograder points`, case by
case, and nothing but the bundled file differs between the two builds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import mnist
from autograder.targets import gradescope
from conftest import subprocess_env

ASSIGNMENT = "ch02"


def _start_build(out: Path, home: Path, mnist_path: Path | None) -> subprocess.Popen:
    env = subprocess_env(drop=(mnist.ENV_VAR, "KERAS_HOME"), HOME=str(home))
    args = [sys.executable, "-m", "autograder.cli", "build", "--assignment", ASSIGNMENT, "--out", str(out)]
    if mnist_path:
        args += ["--mnist", str(mnist_path)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, mnist_path):
    """The two builds, run at the same time (they share nothing but the empty home)."""
    home = tmp_path_factory.mktemp("empty-home")
    bare = tmp_path_factory.mktemp("bare")
    with_data = tmp_path_factory.mktemp("with-mnist")
    started = {"bare": (bare, _start_build(bare, home, None)), "mnist": (with_data, _start_build(with_data, home, mnist_path))}
    return {name: (out, _finished(process)) for name, (out, process) in started.items()}


def _tests(zip_path: Path) -> dict:
    """question id -> [(case name, points, hidden)] as otter reads the zip's test files."""
    from otter.test_files import OKTestFile

    found = {}
    with zipfile.ZipFile(zip_path) as archive, __import__("tempfile").TemporaryDirectory() as folder:
        for name in archive.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                path = archive.extract(name, folder)
                test = OKTestFile.from_file(path)
                found[test.name] = [(case.name, case.points, case.hidden) for case in test.test_cases]
    return found


def test_a_bare_build_says_what_the_zip_does_for_mnist(builds):
    _, process = builds["bare"]
    assert "ch02/autograder.zip: MNIST not bundled: Gradescope's setup downloads it" in " ".join(process.stderr.split())
    _, process = builds["mnist"]
    assert "ch02/autograder.zip: MNIST bundled in the zip (" in process.stderr


def test_the_zip_always_holds_the_training_case_and_100_points(builds):
    out, _ = builds["bare"]
    tests = _tests(out / ASSIGNMENT / gradescope.ZIP_NAME)
    hidden = {qid: [(name, points) for name, points, is_hidden in cases if is_hidden] for qid, cases in tests.items()}
    assert sum(points for cases in hidden.values() for _, points in cases) == 100
    assert any(name.startswith("훈련") and points == 10 for name, points in hidden["q8_from_scratch"])


def test_zip_points_equal_the_points_table_and_the_nbgrader_course(builds):
    out, _ = builds["bare"]
    tests = _tests(out / ASSIGNMENT / gradescope.ZIP_NAME)
    printed = subprocess.run([sys.executable, "-m", "autograder.cli", "points", "--assignment", ASSIGNMENT],
                             capture_output=True, text=True, env=subprocess_env(), check=True).stdout
    table: dict[str, list] = {}
    for line in printed.splitlines():
        if not line.startswith("| ") or line.startswith(("| question", "|---")):
            continue
        question, case, points = (cell.strip() for cell in line.strip("|").split("|"))
        if not question.startswith("**"):
            table.setdefault(question, []).append((case, float(points)))
    zipped = {qid: [(name, points) for name, points, hidden in cases if hidden] for qid, cases in tests.items()}
    assert zipped == table
    course = nbformat.read(str(out / ASSIGNMENT / "nbgrader" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
                           as_version=4)
    graded = {cell.metadata["nbgrader"]["grade_id"].removeprefix("test_"): cell.metadata["nbgrader"]["points"]
              for cell in course.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    assert graded == {qid: sum(points for _, points in cases) for qid, cases in table.items()}


def _contents(root: Path) -> dict[str, bytes]:
    """Every built file's bytes; the zip by its members (otter stamps each with the time)."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    files[f"{relative}!{name}"] = archive.read(name)
        else:
            files[relative] = path.read_bytes()
    return files


def test_only_the_bundled_file_and_its_setup_step_depend_on_the_machine(builds):
    bare, with_data = (_contents(builds[kind][0]) for kind in ("bare", "mnist"))
    zipped = f"{ASSIGNMENT}/{gradescope.ZIP_NAME}!"
    assert set(with_data) - set(bare) == {zipped + "files/mnist.npz"}
    assert set(bare) == set(with_data) - {zipped + "files/mnist.npz"}
    differing = sorted(name for name in bare if bare[name] != with_data[name])
    assert differing == [zipped + "setup.sh"]
    assert b"resolve(download=True)" in bare[zipped + "setup.sh"]


@pytest.mark.slow
def test_offline_gradescope_run_of_a_bare_zip_fails_only_the_training_case(builds, tmp_path):
    """Where the download fails (no network here), the training case fails with a Korean
    reason and the other 90 points are still given."""
    out, _ = builds["bare"]
    home = tmp_path / "home"
    home.mkdir()
    env = subprocess_env(drop=(mnist.ENV_VAR, "KERAS_HOME"), HOME=str(home))
    process = subprocess.run(gradescope.otter_run_command(out / ASSIGNMENT / gradescope.ZIP_NAME,
                                                          out / ASSIGNMENT / "solution" / f"{ASSIGNMENT}.ipynb", tmp_path),
                             env=env, capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    questions = {test["name"]: test for test in results["tests"] if test["name"] != "Public Tests"}
    assert sum(test["max_score"] for test in questions.values()) == 100
    assert sum(test["score"] for test in questions.values()) == 90
    assert questions["q8_from_scratch"]["score"] == 22
    assert "MNIST" in questions["q8_from_scratch"]["output"] and "MNIST 데이터를 구할 수 없어" in questions["q8_from_scratch"]["output"]
