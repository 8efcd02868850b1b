"""Shared fixtures: the assignments (chapter 2 and the tiny test assignment), MNIST for offline
runs, the built notebooks, and the environment of the kit's subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from autograder import assignment as registry
from autograder import mnist

TESTS = Path(__file__).resolve().parent

# Hypothesis: in CI (env CI set) a fixed seed, so a run that fails fails again and a landing is
# never blocked at random; locally random, so new examples keep being found. An example found
# that way goes into its test as an ``@example``.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
ROOT = TESTS.parent

# The tiny test assignment lives in tests/tiny and is registered like any assignment kept
# outside the kit. Subprocesses (the CLI, otter, nbgrader, workers) find it the same way.
os.environ[registry.EXTRA_ENV] = ",".join(
    filter(None, [os.environ.get(registry.EXTRA_ENV), "tiny.assignment"]))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(TESTS), os.environ.get("PYTHONPATH")]))


# The longest test files first (`--durations`, in order): `make test` gives each xdist worker one
# file at a time, so a long file started last would run alone at the end. Order only.
LONGEST_FIRST = ("test_batch.py", "test_corpus_kernel.py", "test_gradescope.py", "test_nbgrader.py",
                 "test_sandbox.py", "test_notebooks.py", "test_limits.py", "test_forgers.py",
                 "test_notebook_ch02_plus.py", "test_build_offline.py", "test_assignment_unit.py",
                 "test_instructor_day.py", "test_corpus_inprocess.py", "test_ch02_plus_assignment.py", "test_colab.py")


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the order within a file holds


def subprocess_env(drop=(), **extra) -> dict:
    """The environment of the kit's subprocesses in tests, without the names in ``drop``."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def student_env(**extra) -> dict:
    """The environment of a notebook run as a student runs it: one compute thread (TensorFlow's
    and numpy's pools). Its results are the same (tests/test_notebooks.py: 0.9787 and 0.8126 with
    one thread or two); with several test files at a time a wider pool only costs CPU (68 -> 56
    core-s for the solution notebook). The kit's own kernels set their threads themselves."""
    from autograder.engine.kernel import THREAD_ENV

    return subprocess_env(**{name: "1" for name in THREAD_ENV}, **extra)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    try:
        return mnist.resolve(download=False)
    except mnist.MnistUnavailable:
        pytest.skip("MNIST not available offline: set MNIST_NPZ")


@pytest.fixture(scope="session")
def ch02():
    return registry.get("ch02")


@pytest.fixture(scope="session")
def tiny():
    return registry.get("tiny")


@pytest.fixture(scope="session")
def built_notebooks(ch02):
    """(student, solution) notebooks of chapter 2 as `autograder build` makes them."""
    from autograder.targets.build import student_and_solution

    return student_and_solution(ch02)


@pytest.fixture(scope="session")
def built_tiny(tiny):
    from autograder.targets.build import student_and_solution

    return student_and_solution(tiny)


def frozen(*arrays_):
    """Read-only copies (so any write to an input raises) plus snapshots to compare with."""
    import numpy as np

    out = []
    for a in arrays_:
        a = np.array(a)
        a.flags.writeable = False
        out.append(a)
    return out, [a.copy() for a in out]


def assert_unchanged(inputs, snapshots):
    import numpy as np

    for a, before in zip(inputs, snapshots):
        assert a.dtype == before.dtype and a.shape == before.shape
        np.testing.assert_array_equal(a, before, err_msg="an input was mutated")


def cell_text(cell) -> str:
    """Everything a cell printed or showed, as text."""
    import json

    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("evalue", ""))
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return "\n".join(parts)


def shared_folder(tmp_path_factory, name: str, fill) -> Path:
    """A folder that one test process of this run fills (``fill(folder)``) and the others reuse:
    pytest-xdist gives each worker its own session fixtures, and some cost a TensorFlow kernel."""
    import fcntl
    import shutil

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's, not the worker's
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait for the one filling it
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            fill(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def student_run(ch02, built_notebooks, tmp_path_factory, mnist_path):
    """The untouched student notebook alone in an empty folder, saved and run top to bottom as a
    student would (in a kernel where the kit cannot be imported, MNIST served locally); run once
    per test run, whichever worker needs it first."""
    import nbformat
    from nbclient import NotebookClient

    from autograder.engine.kernel import harness_source
    from autograder.targets.notebooks import write_notebook

    def executed(folder: Path) -> Path:  # beside the folder: the student's holds only their notebook
        return folder.parent / f"{folder.name}-executed.ipynb"

    def run(folder: Path) -> None:
        path = write_notebook(built_notebooks[0], folder / f"{ch02.id}.ipynb")
        nb = nbformat.read(str(path), as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(
            harness_source(ch02.kit_roots, 200_000, [mnist.keras_patch_source(mnist_path)])))
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute(cwd=str(folder), env=student_env())
        nbformat.write(nb, str(executed(folder)))

    folder = shared_folder(tmp_path_factory, "student-run", run)
    return folder, nbformat.read(str(executed(folder)), as_version=4)
