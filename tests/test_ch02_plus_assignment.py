""""2장 심화" (ch02_plus) as an assignment of the kit: its questions and self-checks, and one build
through the same command as chapter 2 (``autograder build --assignment ch02_plus``), whose zip,
notebooks and nbgrader course are checked here; the slow test runs that zip with otter on the
built solution notebook (100/100).

Its corpus is judged with every other corpus (``test_corpus_inprocess.py``, ``test_corpus_kernel.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import assignment as registry
from autograder import mnist
from autograder.engine.cases import judge_question
from autograder.engine.grade import expected_observations, probe_table
from autograder.kernel_side import runtime
from autograder.ch02_plus import q5_momentum
from autograder.targets import gradescope, notebooks, points
from conftest import subprocess_env

ID = "ch02_plus"
POINTS = {"q1_softmax": 15, "q2_crossentropy": 15, "q3_dense_backward": 22, "q4_numeric_gradient": 14,
          "q5_momentum": 34}


@pytest.fixture(scope="module")
def plus():
    return registry.get(ID)


# ---------------------------------------------------------------- the questions (fast)


def test_points_table_and_notebook_order(plus):
    from corpus.ch02_plus import FULL

    assert {q.id: q.points for q in plus.questions} == POINTS == FULL
    assert plus.points == 100 and [q.id for q in plus.questions] == list(POINTS)
    assert all(case.points > 0 for q in plus.questions for case in q.cases)
    [training] = [case for case in plus.question("q5_momentum").cases if case.name.startswith("훈련")]
    assert training.points == q5_momentum.TRAINING_POINTS <= points.MAX_TRAINING_POINTS
    source = notebooks.load_source(plus.notebook)
    assert [c.metadata["autograder"]["question"] for c in notebooks.cells_with_role(source, "check")] == list(POINTS)
    assert [notebooks.stub_objects(c) for c in notebooks.cells_with_role(source, "stub")] == \
        [list(q.objects) for q in plus.questions]


def test_the_answer_key_passes_every_case_in_process(plus):
    """The hidden checks on the answer key itself: full marks (training: see the corpus)."""
    namespace, table = plus.answer_key_namespace(), probe_table(plus)
    expected = expected_observations(plus)
    for question in plus.questions:
        observed = {key: runtime.run_probe(spec, namespace, table) if spec["op"] != "train" else {"ok": False}
                    for key, spec in question.specs.items()}
        failures = [(r.name, r.message[:300]) for r in judge_question(question, observed, expected[question.id])
                    if not r.passed and not r.name.startswith("훈련")]
        assert failures == [], question.id


def test_dense_backward_is_compared_with_gradient_tape(plus):
    """The answer key's gradients, which the dx/dW/db cases compare with, are GradientTape's."""
    import tensorflow as tf

    from autograder.ch02_plus.q3_dense_backward import GRADS

    question = plus.question("q3_dense_backward")
    calls = question.specs[GRADS.key]["groups"][GRADS.name]
    expected = expected_observations(plus)[question.id][GRADS.key]["groups"][GRADS.name]
    shapes = set()
    for call, observation in zip(calls, expected):
        x, W, b, g = (runtime.decode(a) for a in call["args"][:4])
        assert call["args"][4] == {"t": "none"} and (x @ W + b > 0).all()
        variables = [tf.Variable(a) for a in (x, W, b)]
        with tf.GradientTape() as tape:
            y = tf.matmul(variables[0], variables[1]) + variables[2]
        tape_grads = tape.gradient(y, variables, output_gradients=tf.constant(g))
        for got, want in zip(runtime.decode(observation["result"]), tape_grads):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
        shapes.add(x.shape + W.shape[1:])
    assert (1, 1, 1) in shapes and any(batch == 1 for batch, _, _ in shapes)
    assert any(inputs != units for _, inputs, units in shapes)  # non-square


def test_every_object_has_a_self_check_whose_modules_hold_no_probe(plus):
    """One self-check per graded object (run and judged in ``test_selfchecks.py``); the notebook
    carries its kernel-side self-check module, never the probes and their known-good stand-ins."""
    from autograder.targets import selfcheck

    assert [[check.object for check in q.public] for q in plus.questions] == [list(q.objects) for q in plus.questions]
    assert plus.selfcheck_modules == ("autograder.ch02_plus.observe", "autograder.ch02_plus.judges",
                                      "autograder.ch02_plus.selfchecks")
    source = selfcheck.setup_source(plus)
    assert "autograder.ch02_plus.selfchecks" in source and "autograder.ch02_plus.probes" not in source
    assert "def train_model" not in source and "class Batches" not in source


def test_the_probes_stay_kernel_side(plus):
    """Standard library, NumPy and the kernel-side runtime only; TensorFlow inside functions."""
    import ast

    for name in plus.probe_modules:
        tree = ast.parse(Path(__import__("importlib").util.find_spec(name).origin).read_text(encoding="utf-8"))
        top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        modules = {(node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
                   for node in top for alias in node.names}
        assert modules <= {"math", "random", "time", "contextlib", "numpy", "kernel_side.mnist_file",
                           "kernel_side.runtime", "kernel_side", "observe"}, modules


def test_the_seed_study_trains_what_the_check_trains():
    """The benchmark imports the recipe and the training function of the check."""
    from autograder.ch02_plus import probes, q5_momentum

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import momentum_seed_study as study
    finally:
        sys.path.pop(0)
    assert (study.EPOCHS, study.BAR, study.RETRY_FLOOR, study.SEEDS) == \
        (q5_momentum.EPOCHS, q5_momentum.BAR, q5_momentum.RETRY_FLOOR, q5_momentum.SEEDS) == (2, 0.80, 0.75, (0, 1, 2))
    assert "train_model" in Path(study.__file__).read_text(encoding="utf-8") and callable(probes.train_model)


# ---------------------------------------------------------------- one build (the same command as ch02)


@pytest.fixture(scope="module")
def built(tmp_path_factory, mnist_path):
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "autograder.cli", "build", "--assignment", ID, "--out", str(out),
                              "--mnist", str(mnist_path)], capture_output=True, text=True, env=subprocess_env(),
                             timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    print(f"\nautograder build --assignment {ID}: {time.monotonic() - started:.1f} s")
    return out / ID, process


def _zip_tests(zip_path: Path) -> dict:
    """question id -> [(case name, points, hidden)] as otter reads the zip's test files."""
    import tempfile

    from otter.test_files import OKTestFile

    found = {}
    with zipfile.ZipFile(zip_path) as archive, tempfile.TemporaryDirectory() as folder:
        for name in archive.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                test = OKTestFile.from_file(archive.extract(name, folder))
                found[test.name] = [(case.name, case.points, case.hidden) for case in test.test_cases]
    return found


def test_the_build_writes_every_artefact(built):
    root, process = built
    for written in (f"student/{ID}.ipynb", f"solution/{ID}.ipynb", "autograder.zip", "nbgrader/nbgrader_config.py",
                    f"nbgrader/source/{ID}/{ID}.ipynb"):
        assert (root / written).is_file(), written
    assert f"{ID}/autograder.zip: MNIST bundled in the zip" in " ".join(process.stderr.split() + process.stdout.split())
    for kind in ("student", "solution"):
        nb = nbformat.read(str(root / kind / f"{ID}.ipynb"), as_version=4)
        assert nb.metadata["otter"]["assignment_name"] == ID
    student = (root / "student" / f"{ID}.ipynb").read_text(encoding="utf-8")
    assert "def probe_train" not in student and "math.exp(float(x[i, j]) - float(row_max))" not in student


def test_the_zip_holds_100_points_with_the_training_case(plus, built):
    root, _ = built
    tests = _zip_tests(root / gradescope.ZIP_NAME)
    hidden = {qid: [(name, points) for name, points, is_hidden in cases if is_hidden] for qid, cases in tests.items()}
    assert hidden == {q.id: [(case.name, case.points) for case in q.cases] for q in plus.questions}
    assert sum(points for cases in hidden.values() for _, points in cases) == 100
    assert any(name.startswith("훈련") and value == q5_momentum.TRAINING_POINTS
               for name, value in hidden["q5_momentum"])


def test_the_zip_carries_this_assignment_and_no_answer_key(built, tmp_path):
    root, _ = built
    with zipfile.ZipFile(root / gradescope.ZIP_NAME) as archive:
        assert "files/mnist.npz" in archive.namelist()
        [wheel] = [name for name in archive.namelist() if name.startswith("files/") and name.endswith(".whl")]
        archive.extract(wheel, tmp_path)
    names = zipfile.ZipFile(tmp_path / wheel).namelist()
    for needed in ("autograder/ch02_plus/assignment.py", "autograder/ch02_plus/probes.py",
                   "autograder/kernel_side/naive_rule.py", "autograder/frontends/otter.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith("solutions/")]  # no answer key: its observations are recorded
    assert not [n for n in names if n.startswith(("autograder/ch02/", "tests/", "tiny/"))]


def test_the_nbgrader_course_points_equal_the_points_table(plus, built):
    root, _ = built
    printed = subprocess.run([sys.executable, "-m", "autograder.cli", "points", "--assignment", ID],
                             capture_output=True, text=True, env=subprocess_env(), check=True).stdout
    table: dict[str, float] = {}
    for line in printed.splitlines():
        if line.startswith("| **") and "합계" in line:
            question, _, points = (cell.strip(" *") for cell in line.strip("|").split("|"))
            table[question] = float(points)
    assert table == POINTS
    course = nbformat.read(str(root / "nbgrader" / "source" / ID / f"{ID}.ipynb"), as_version=4)
    graded = {cell.metadata["nbgrader"]["grade_id"].removeprefix("test_"): cell.metadata["nbgrader"]["points"]
              for cell in course.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    assert graded == POINTS


@pytest.mark.slow
def test_otter_gives_the_built_solution_100_points(built, tmp_path):
    """Gradescope's path end to end: ``otter run`` with the zip on the built solution notebook,
    offline (MNIST from the zip, nothing downloaded); public self-checks pass too."""
    root, _ = built
    keras_home = tmp_path / "keras"
    started = time.monotonic()
    process = subprocess.run(gradescope.otter_run_command(root / gradescope.ZIP_NAME, root / "solution" / f"{ID}.ipynb",
                                                          tmp_path),
                             capture_output=True, text=True, timeout=900,
                             env=subprocess_env(drop=(mnist.ENV_VAR,), KERAS_HOME=str(keras_home)))
    seconds = time.monotonic() - started
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    scores = {test["name"]: (test.get("score"), test.get("max_score")) for test in results["tests"]}
    assert {qid: scores[qid] for qid in POINTS} == {qid: (points, points) for qid, points in POINTS.items()}, \
        [test.get("output", "")[:500] for test in results["tests"] if test.get("score") != test.get("max_score")]
    public = next(test for test in results["tests"] if test["name"] == "Public Tests")
    assert public["output"].count("All test cases passed!") == len(POINTS), public["output"][:1000]
    assert not (keras_home / "datasets").exists()  # nothing downloaded
    print(f"\notter run ({ID} solution): {seconds:.1f} s")
