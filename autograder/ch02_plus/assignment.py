""""2장 심화" (ch02_plus): what chapter 2 of Deep Learning with Python builds on but does not print."""

from __future__ import annotations

from ..assignment import ROOT, Assignment
from ..mnist import MNIST
from . import q1_softmax, q2_crossentropy, q3_dense_backward, q4_numeric_gradient, q5_momentum

QUESTIONS = (q1_softmax, q2_crossentropy, q3_dense_backward, q4_numeric_gradient, q5_momentum)


def questions():
    """All questions, in notebook order: the same checks on every machine (100 points)."""
    return tuple(module.question() for module in QUESTIONS)


ASSIGNMENT = Assignment(
    id="ch02_plus",
    title="2장 심화",
    module=__name__,
    notebook=ROOT / "assignments" / "ch02_plus" / "ch02_plus.ipynb",
    answer_key="solutions.ch02_plus",
    questions_factory=questions,
    probe_modules=("autograder.ch02_plus.observe", "autograder.ch02_plus.probes"),
    datasets=(MNIST,),  # the training check of q5
    selfcheck_modules=("autograder.ch02_plus.observe", "autograder.ch02_plus.judges",
                       "autograder.ch02_plus.selfchecks"),
    preload=("tensorflow",),
)
