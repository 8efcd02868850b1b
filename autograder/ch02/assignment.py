"""The chapter-2 assignment: "신경망의 수학적 구성 요소" (Deep Learning with Python, 2nd ed.)."""

from __future__ import annotations

from ..assignment import ROOT, Assignment
from ..engine.kernel import Limits
from ..mnist import MNIST
from . import (q1_keras_mnist, q2_tensor_slicing, q3_elementwise, q4_broadcasting, q5_dot, q6_transpose,
               q7_gradient_tape, q8_from_scratch)

QUESTIONS = (q1_keras_mnist, q2_tensor_slicing, q3_elementwise, q4_broadcasting, q5_dot, q6_transpose,
             q7_gradient_tape, q8_from_scratch)


def questions():
    """All questions, in notebook order: the same checks on every machine (100 points)."""
    return tuple(module.question() for module in QUESTIONS)


ASSIGNMENT = Assignment(
    id="ch02",
    title="2장 신경망의 수학적 구성 요소",
    module=__name__,
    notebook=ROOT / "assignments" / "ch02" / "ch02.ipynb",
    answer_key="solutions.ch02",
    questions_factory=questions,
    probe_modules=("autograder.ch02.observe", "autograder.ch02.probes"),
    datasets=(MNIST,),
    selfcheck_modules=("autograder.ch02.observe", "autograder.ch02.judges"),
    preload=("tensorflow",),
    # One compute thread per kernel: the training check's eager steps (128 rows through a 784x512
    # layer) are too small to split. On two idle cores a second thread took the same time and 23-27 %
    # more CPU (benchmarks/threads.py), CPU another worker of the batch could use.
    limits=Limits(threads=1),
)
