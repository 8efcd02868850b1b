"""q5 (2.5): ``update_weights_momentum(gradients, weights, velocities, learning_rate, momentum)``:
SGD with momentum in Keras's convention (``v <- momentum * v - learning_rate * g``, ``w <- w + v``),
in place; and the chapter's from-scratch model trained with it.

The training check is the recipe of the seed study (``benchmarks/momentum_seed_study.py``, which
trains through ``probes.train_model``; its table is in the README): the chapter's model built from
known-good classes, the loss from the logits, learning rate 1e-3, momentum 0.9, batch 128,
``EPOCHS`` epochs, seed 0 (then 1, 2 only while the accuracy is in [``RETRY_FLOOR``, ``BAR``)).
Correct code reaches 0.85-0.87; plain SGD (velocity never kept or never used) 0.60-0.67.
The self-check (``selfchecks.update_weights_momentum``) takes one step on public variables with
learning rate and momentum other than the notebook's, and pairs of steps that change one of them,
judged by the hidden cases' judges (``judges.py``) against the answer key's step. It never trains.

Gate: one step returns without raising; otherwise no case of the question is judged."""

from __future__ import annotations

import numpy as np

from .. import training
from ..kernel_side import show
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..engine.judges import on_probe
from ..kernel_side import runtime
from . import judges
from .common import CALLS_SECONDS, Group, gated, public_rng, rng, shared

ID = "q5_momentum"
NAME = "update_weights_momentum"
# The recipe of the training check (the seed study imports these).
EPOCHS = 2
BATCH_SIZE = 128
LEARNING_RATE = 1e-3  # the chapter's
MOMENTUM = 0.9
BAR = 0.80  # test accuracy the momentum model must reach (the chapter's own bar)
RETRY_FLOOR = 0.75  # retry with the next seed only for accuracies in [RETRY_FLOOR, BAR)
SEEDS = (0, 1, 2)  # at most three attempts
TRAINING_LIMIT = 300  # seconds: three eager attempts take about 30 on 2 cores

SHAPES = [(3, 2), (2,)]
STEPS = ProbeKey(NAME, "steps")
STEP, ARGUMENTS = Group(STEPS, "step"), Group(STEPS, "arguments")
TRAIN = ProbeKey("train")
TRAIN_SPEC = {"op": "train", "epochs": EPOCHS, "batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
              "momentum": MOMENTUM, "limit": TRAINING_LIMIT}


def _step(weights, velocities, gradients, learning_rate, momentum) -> dict:
    return {"weights": [runtime.encode(w) for w in weights], "velocities": [runtime.encode(v) for v in velocities],
            "gradients": [runtime.encode(g) for g in gradients], "learning_rate": learning_rate, "momentum": momentum}


def question() -> Question:
    generator = rng(ID)
    w0 = [generator.normal(size=shape) for shape in SHAPES]
    v0 = [0.01 * generator.normal(size=shape) for shape in SHAPES]
    g = [generator.normal(size=shape) for shape in SHAPES]
    zeros = [np.zeros(shape) for shape in SHAPES]
    # (learning_rate, momentum) twice, changing one (the step, or the velocity, scales with it),
    # from velocities and gradients where that one alone moves the weights
    argument_pairs = [((1e-3, 0.9), (0.05, 0.9), zeros, g), ((1e-3, 0.9), (1e-3, 0.5), v0, zeros)]
    probes = {
        # The notebook's own values (lr 1e-3, momentum 0.9): hard-coding them costs the arguments case only.
        STEPS: Probe({"op": "momentum", "limit": CALLS_SECONDS, "groups": {
            STEP.name: [_step(w0, v0, g, LEARNING_RATE, MOMENTUM)],
            ARGUMENTS.name: [_step(w0, velocities, gradients, *values)
                             for first, second, velocities, gradients in argument_pairs for values in (first, second)],
        }}),
        # MNIST is not named here: the kernel reads $MNIST_NPZ or Keras's own (hash-checked) download.
        # One kernel call per seed; the grader predicts the test classes from the trained weights
        # and decides on a retry (``autograder.training``): the kernel never holds the test set.
        TRAIN: Probe(TRAIN_SPEC, reference=False, cached=True,
                     drive=training.driver(SEEDS, BAR, RETRY_FLOOR, lambda seed: {**TRAIN_SPEC, "seed": seed})),
    }
    groups = probes[STEPS].spec["groups"]
    # What the step must leave, by Keras's rule, computed here (the judges' "want"; the
    # self-check's is the answer key's observation recorded at build).
    new_velocity = [MOMENTUM * v - LEARNING_RATE * gradient for v, gradient in zip(v0, g)]
    rule = [{"weights": [runtime.encode_array(w + v) for w, v in zip(w0, new_velocity)],
             "velocities": [runtime.encode_array(v) for v in new_velocity]}]

    def by_rule(name):
        judge = shared(name, STEP, groups[STEP.name])

        def ruled(observed, expected):
            return judge(observed, {STEPS: {"ok": True, "groups": {STEP.name: rule}}})
        ruled.shared = name
        return ruled

    @on_probe(STEPS, f"{NAME}(gradients, weights, velocities, {LEARNING_RATE}, {MOMENTUM})")
    def gate(got, want):
        problem = judges.step_runs(groups[STEP.name], got["groups"][STEP.name])
        if problem:
            return Verdict(False, f"{NAME}이(가) 실행되어야 이 문제의 항목들을 채점합니다: {problem.why}")
        return Verdict(True)

    every = (STEPS,)
    cases = (
        # The parts weigh more than the training that confirms they work together (docs/points.md).
        Case(f"{NAME}: 한 걸음 후 가중치 (w + 새 속도)", 10, every,
             gated(gate, by_rule("weights_after"))),
        Case(f"{NAME}: 한 걸음 후 속도 (momentum·v - learning_rate·g)", 9, every,
             gated(gate, by_rule("velocities_after"))),
        Case(f"{NAME}: 인자 learning_rate, momentum 사용", 5, every,
             gated(gate, shared("arguments_used", ARGUMENTS, groups[ARGUMENTS.name]))),
        Case(f"훈련: 모멘텀 SGD로 {EPOCHS} 에포크 후 테스트 정확도 ≥ {BAR}", TRAINING_POINTS, every + (TRAIN,),
             gated(gate, lambda observed, expected: training_verdict(observed[TRAIN]))),
    )
    return Question(ID, "2.5 모멘텀을 사용한 SGD", (NAME,), probes, cases, (public(),))


TRAINING_POINTS = 10  # at most MAX_TRAINING_POINTS (targets.points): a training check confirms, it does not decide


def public() -> PublicCheck:
    """The self-check (``selfchecks.update_weights_momentum``): one step from non-zero velocities
    with learning_rate 0.05 and momentum 0.8, and pairs of steps that change one of them, judged by
    the hidden cases' judges; the answer key's step comes with the spec."""
    generator = public_rng(ID)
    shapes = [(2, 3), (3,)]
    w, v, g = ([scale * generator.normal(size=s) for s in shapes] for scale in (1.0, 0.1, 1.0))
    zeros = [np.zeros(s) for s in shapes]
    probe = {"op": "momentum", "limit": CALLS_SECONDS, "groups": {
        STEP.name: [_step(w, v, g, 0.05, 0.8)],
        # (learning_rate, momentum) pairs that change one: the step (or velocity) scales with it
        ARGUMENTS.name: [_step(w, zeros, g, 0.05, 0.8), _step(w, zeros, g, 0.2, 0.8),
                         _step(w, v, zeros, 0.05, 0.8), _step(w, v, zeros, 0.05, 0.4)]}}
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:update_weights_momentum", {"object": NAME, "probe": probe},
                       ({**probe, "groups": {STEP.name: probe["groups"][STEP.name]}},))


def training_verdict(observation: dict) -> Verdict:
    """Accuracy of the model trained with the student's update, computed in this process from the
    trained weights and the test labels it reads itself (``autograder.training``)."""
    detail = {"metric": "test_accuracy", "value": None, "bar": BAR}
    if not observation.get("ok"):
        return Verdict(False, f"모델 훈련 ({NAME}, {EPOCHS} 에포크) 실행 실패: " + show.error(observation), detail)
    return training.verdict(observation, BAR, detail,
                            f" (일반 SGD는 {EPOCHS} 에포크에 0.60~0.67, 올바른 모멘텀은 0.85~0.87)")
