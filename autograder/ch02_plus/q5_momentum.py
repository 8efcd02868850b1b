"""q5 (2.5): ``update_weights_momentum(gradients, weights, velocities, learning_rate, momentum)``:
SGD with momentum in Keras's convention (``v <- momentum * v - learning_rate * g``, ``w <- w + v``),
in place; and the chapter's from-scratch model trained with it.

The training check is the recipe of the seed study (``benchmarks/momentum_seed_study.py``, which
trains through ``probes.train_model``; its table is in the README): the chapter's model built from
known-good classes, the loss from the logits, learning rate 1e-3, momentum 0.9, batch 128,
``EPOCHS`` epochs, seed 0 (then 1, 2 only while the accuracy is in [``RETRY_FLOOR``, ``BAR``)).
Correct code reaches 0.85-0.87; plain SGD (velocity never kept or never used) 0.60-0.67.
The self-check (``selfchecks.update_weights_momentum``) takes one step on public variables with
learning rate and momentum other than the notebook's, and compares the stored velocities and the
weights with the answer key's. It never trains.

Gate: one step returns without raising; otherwise no case of the question is judged."""

from __future__ import annotations

import numpy as np

from .. import training
from ..kernel_side import show
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..engine.judges import on_probe
from ..kernel_side import runtime
from .common import CALLS_SECONDS, Group, calls_of, close, failed, gated, public_rng, rng

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


def _arrays(step: dict, part: str) -> list[np.ndarray]:
    return [runtime.decode_array(item) for item in step[part]]


def question() -> Question:
    generator = rng(ID)
    w0 = [generator.normal(size=shape) for shape in SHAPES]
    v0 = [0.01 * generator.normal(size=shape) for shape in SHAPES]
    g = [generator.normal(size=shape) for shape in SHAPES]
    zeros = [np.zeros(shape) for shape in SHAPES]
    new_velocity = [MOMENTUM * v - LEARNING_RATE * gradient for v, gradient in zip(v0, g)]
    # (changed argument, first value, second value, ratio of the steps, velocities, gradients)
    argument_pairs = [("learning_rate", (1e-3, 0.9), (0.05, 0.9), 50.0, zeros, g),
                      ("momentum", (1e-3, 0.9), (1e-3, 0.5), 5 / 9, v0, zeros)]
    probes = {
        # The notebook's own values (lr 1e-3, momentum 0.9): hard-coding them costs the arguments case only.
        STEPS: Probe({"op": "momentum", "limit": CALLS_SECONDS, "groups": {
            STEP.name: [_step(w0, v0, g, LEARNING_RATE, MOMENTUM)],
            ARGUMENTS.name: [_step(w0, velocities, gradients, *values)
                             for _, first, second, _, velocities, gradients in argument_pairs for values in (first, second)],
        }}),
        # MNIST is not named here: the kernel reads $MNIST_NPZ or Keras's own (hash-checked) download.
        # One kernel call per seed; the grader predicts the test classes from the trained weights
        # and decides on a retry (``autograder.training``): the kernel never holds the test set.
        TRAIN: Probe(TRAIN_SPEC, reference=False, cached=True,
                     drive=training.driver(SEEDS, BAR, RETRY_FLOOR, lambda seed: {**TRAIN_SPEC, "seed": seed})),
    }
    def listed(arrays):
        return "[" + "; ".join(show.value(a) for a in arrays) + "]"

    inputs = [f"weights: {listed(w0)}", f"velocities: {listed(v0)}", f"gradients: {listed(g)}",
              f"learning_rate={LEARNING_RATE}, momentum={MOMENTUM}"]

    @on_probe(STEPS, f"{NAME}(gradients, weights, velocities, {LEARNING_RATE}, {MOMENTUM})")
    def gate(got, want):
        [step] = got["groups"][STEP.name]
        problem = failed(step)
        if problem:
            return Verdict(False, f"{NAME}이(가) 실행되어야 이 문제의 항목들을 채점합니다: {problem}")
        return Verdict(True)

    def weights(observed, expected):
        [step], _ = calls_of(observed, STEP)
        moved = [w1 - w for w1, w in zip(_arrays(step, "weights"), w0)]
        if not all(close(m, s, atol=1e-15) for m, s in zip(moved, new_velocity)):
            return Verdict(False, show.mismatch(inputs, "가중치의 변화 = 새 속도 momentum·v - learning_rate·g: "
                                                        + listed(new_velocity), "가중치의 변화: " + listed(moved),
                                                "w <- w + v (v는 새로 계산한 속도)로 가중치를 제자리에서 바꿔야 합니다."))
        return Verdict(True)

    def velocity(observed, expected):
        [step], _ = calls_of(observed, STEP)
        stored = _arrays(step, "velocities")
        if not all(close(v, s, atol=1e-15) for v, s in zip(stored, new_velocity)):
            return Verdict(False, show.mismatch(inputs, listed(new_velocity), listed(stored),
                                                "velocities에 새 속도 v <- momentum·v - learning_rate·g를 저장해야 합니다 "
                                                "(케라스 SGD의 약속)."))
        return Verdict(True)

    def arguments(observed, expected):
        steps, _ = calls_of(observed, ARGUMENTS)
        for index, (name, first, second, ratio, _, _) in enumerate(argument_pairs):
            a, b = steps[2 * index], steps[2 * index + 1]
            if failed(a) or failed(b):
                return Verdict(False, failed(a) or failed(b))
            moved_a = [w1 - w for w1, w in zip(_arrays(a, "weights"), w0)]
            moved_b = [w1 - w for w1, w in zip(_arrays(b, "weights"), w0)]
            by_weights = (all(np.abs(m).max() > 0 for m in moved_a)
                          and all(close(mb, ratio * ma, atol=1e-15) for ma, mb in zip(moved_a, moved_b)))
            va, vb = _arrays(a, "velocities"), _arrays(b, "velocities")
            by_velocities = (all(np.abs(v).max() > 0 for v in va)
                             and all(close(y, ratio * x, atol=1e-15) for x, y in zip(va, vb)))
            if not (by_weights or by_velocities):
                which = 0 if name == "learning_rate" else 1
                return Verdict(False, f"{name}={first[which]:g}일 때와 {second[which]:g}일 때 걸음(또는 속도)의 비가 "
                                      f"{ratio:.4g}이어야 합니다: 인자로 받은 {name}를 사용하세요 "
                                      "(전역 변수나 고정된 값이 아니라).")
        return Verdict(True)

    every = (STEPS,)
    cases = (
        # The parts weigh more than the training that confirms they work together (docs/points.md).
        Case(f"{NAME}: 한 걸음 후 가중치 (w + 새 속도)", 10, every, gated(gate, weights)),
        Case(f"{NAME}: 한 걸음 후 속도 (momentum·v - learning_rate·g)", 9, every, gated(gate, velocity)),
        Case(f"{NAME}: 인자 learning_rate, momentum 사용", 5, every, gated(gate, arguments)),
        Case(f"훈련: 모멘텀 SGD로 {EPOCHS} 에포크 후 테스트 정확도 ≥ {BAR}", TRAINING_POINTS, every + (TRAIN,),
             gated(gate, lambda observed, expected: training_verdict(observed[TRAIN]))),
    )
    return Question(ID, "2.5 모멘텀을 사용한 SGD", (NAME,), probes, cases, (public(),))


TRAINING_POINTS = 10  # at most MAX_TRAINING_POINTS (targets.points): a training check confirms, it does not decide


def public() -> PublicCheck:
    """The self-check (``selfchecks.update_weights_momentum``): one step from non-zero velocities
    with learning_rate 0.05 and momentum 0.8; the answer key's step comes with the spec."""
    generator = public_rng(ID)
    shapes = [(2, 3), (3,)]
    step = _step([generator.normal(size=s) for s in shapes], [0.1 * generator.normal(size=s) for s in shapes],
                 [generator.normal(size=s) for s in shapes], 0.05, 0.8)
    probe = {"op": "momentum", "limit": CALLS_SECONDS, "groups": {STEP.name: [step]}}
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:update_weights_momentum", {"object": NAME, **step},
                       (probe,))


def training_verdict(observation: dict) -> Verdict:
    """Accuracy of the model trained with the student's update, computed in this process from the
    trained weights and the test labels it reads itself (``autograder.training``)."""
    detail = {"metric": "test_accuracy", "value": None, "bar": BAR}
    if not observation.get("ok"):
        return Verdict(False, f"모델 훈련 ({NAME}, {EPOCHS} 에포크) 실행 실패: " + show.error(observation), detail)
    return training.verdict(observation, BAR, detail,
                            f" (일반 SGD는 {EPOCHS} 에포크에 0.60~0.67, 올바른 모멘텀은 0.85~0.87)")
