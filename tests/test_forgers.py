"""Scores that student code cannot forge (issue 22).

- The training check scores trained weights in the grader's process (``autograder.training``):
  weights that never moved from the seeded start, or of other shapes, score nothing, whatever
  the kernel claims; the kernels' MNIST copies hold no test labels.
- The forger corpus (``corpus/forgers.py``), graded in kernels with the reference: every trick
  scores what the same code without it deserves, or is refused with a reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder import mnist, training
from autograder.engine.batch import grade_all
from autograder.engine.kernel import Limits
from autograder.kernel_side import runtime
from corpus import forgers, inprocess, materialize


def _weights(arrays):
    return {"ok": True, "compiled": True, "seconds": 1.0, "weights": [runtime.encode(a) for a in arrays]}


def test_the_grader_scores_weights_it_can_check_and_nothing_else(mnist_path):
    start = training.initial_weights(0)
    assert [a.shape for a in start] == list(training.SHAPES)
    assert all(np.array_equal(a, b) for a, b in zip(start, training.initial_weights(0)))  # seeded
    assert not np.array_equal(start[0], training.initial_weights(1)[0])
    unmoved = training.attempt_of(_weights(start), 0)
    assert "초기 가중치 그대로" in unmoved["problem"] and training.accuracy_of(unmoved) < 0.2
    assert not training.verdict({"attempts": [unmoved]}, 0.0, {}, "").passed  # never passes, whatever the bar
    assert "모양" in training.attempt_of(_weights(start[:2] + [start[3], start[2]]), 0)["problem"]
    unreadable = training.attempt_of({"ok": True, "weights": "labels"}, 0)
    assert "네 개" in unreadable["problem"] and training.accuracy_of(unreadable) is None
    # Weights that classify: the class of each test image is predicted here, with the known-good pass.
    images, labels = training.test_set()
    W1 = np.zeros((784, 512), np.float32)
    W1[:, :10] = np.stack([images[labels == c].mean(axis=0) for c in range(10)], axis=1)
    W2 = np.zeros((512, 10), np.float32)
    W2[:10, :10] = np.eye(10)
    moved = training.attempt_of(_weights([W1, np.full(512, 1e-3, np.float32), W2, np.ones(10, np.float32)]), 0)
    accuracy = training.accuracy_of(moved)
    assert 0.5 < accuracy < 0.95 and moved["moved"] > 0


def test_the_driver_retries_only_near_the_bar_and_keeps_no_weights(mnist_path):
    calls = []

    def run(spec):
        calls.append(spec)
        return _weights(training.initial_weights(spec["seed"]))  # never trained: accuracy 0

    drive = training.driver((0, 1, 2), 0.8, 0.7, lambda seed: {"op": "train", "seed": seed})
    observation = drive(run)
    assert [c["seed"] for c in calls] == [0] and len(observation["attempts"]) == 1
    assert "weights" not in str(observation)  # what is cached is what the grader computed
    failed = drive(lambda spec: {"ok": False, "error": {"type": "RuntimeError", "message": "x"}})
    assert failed["ok"] is False


def test_kernels_get_mnist_without_the_test_labels(mnist_path):
    (x_train, y_train), (x_test, y_test) = mnist.load(mnist_path)
    for purpose in ("notebook", "training"):
        (kx, ky), (kxt, kyt) = mnist.mnist_file.read(mnist.kernel_copy(mnist_path, purpose))
        assert np.array_equal(kx, x_train) and np.array_equal(ky, y_train)
        assert kyt.shape == y_test.shape and kyt.dtype == y_test.dtype
        assert np.mean(kyt == y_test) < 0.2  # stand-ins: chance agreement only
        assert np.array_equal(kxt, x_test) == (purpose == "notebook")  # the training kernel: no test images
    assert not mnist.kernel_copy(mnist_path, "training").stat().st_mode & 0o022


@pytest.mark.slow
def test_every_forger_scores_what_its_code_deserves(ch02, built_notebooks, mnist_path, tmp_path):
    student, solution = built_notebooks
    variants = [*forgers.VARIANTS, forgers.Variant("reference", "right")]
    paths = [materialize(variant, student, solution, tmp_path) for variant in variants]
    out = tmp_path / "grades"
    # trainings of recorded code are served, as in a class (the forgers' tricks are not training code)
    assert inprocess.seed_cache(ch02, paths, out / ".cache")
    results = {r.submission: r for r in grade_all(ch02, paths, out, {ch02.datasets[0]: mnist_path}, jobs=2,
                                                  limits=Limits(cell_seconds=30, memory_mb=3000), cache=out / ".cache")}
    wrong = {}
    for variant in variants:
        result = results[variant.name]
        scores = {question: result.score(question) for question in variant.expected(ch02)}
        if scores != variant.expected(ch02) or (variant.status == "ok") != (result.status == "ok") \
                or (variant.status not in ("ok", None) and variant.status not in result.status):
            wrong[variant.name] = (scores, result.status)
    assert not wrong, wrong
