"""q2 (2.4): ``naive_sparse_categorical_crossentropy(labels, probs)``: the batch mean of
``-log(clip(p[label], 1e-7, 1 - 1e-7))``, in a Python loop over the samples.

The self-check (``public_check``) looks at the same properties on public inputs: the answer
key's values on one sample, on batches and on exact 0/1 probabilities, the inputs unchanged,
and the same naive rule.

Gate: on the one-sample inputs the function returns a finite real number; otherwise no case of
the question is judged. The batch mean is judged against the function's own one-sample losses,
and exact 0/1 probabilities against Keras's value or the function's own value at the clipping
boundary, so a mistake in the per-sample formula costs the one-sample case only."""

from __future__ import annotations

import math

import numpy as np

from ..kernel_side import show
from ..engine.cases import Case, ProbeKey, Question, Verdict
from ..engine.cases import PublicCheck
from ..engine.function_cases import Call, naive_probe, naive_verdict, public_check
from .common import (NAIVE_RULE, Group, calls_of, calls_probe, gated, got_text, public_rng, rng, scalar_of, shown,
                     softmax)

ID = "q2_crossentropy"
NAME = "naive_sparse_categorical_crossentropy"
EPSILON = 1e-7  # keras.config.epsilon()
SINGLES = [(2, 0), (3, 2), (10, 7), (10, 0), (7, 6)]  # (classes, label), batch 1
BATCHES = [(2, np.int64), (5, np.uint8), (32, np.int32), (64, np.int64)]  # (samples, label dtype), 10 classes
NAIVE_SAMPLES = 30
PUBLIC_NAIVE_SAMPLES = 25
MEAN_NOTE = "배치의 손실은 샘플마다 구한 손실의 합이 아니라 평균입니다."
CLIP_NOTE = "확률이 정확히 0이나 1이면 로그를 취하기 전에 [1e-7, 1 - 1e-7] 구간으로 잘라냅니다(케라스와 같습니다)."
ARGS = ("labels", "probs")

CALLS = ProbeKey(NAME, "calls")
ONE, MEAN, ZERO_ONE, UNCHANGED = (Group(CALLS, name) for name in ("one", "mean", "zero_one", "unchanged"))


def same(got: float | None, want: float | None, rel: float = 1e-6, abs_: float = 1e-5) -> bool:
    """Equal within the tolerance Keras's renormalisation of a clipped row imposes."""
    return got is not None and want is not None and math.isclose(got, want, rel_tol=rel, abs_tol=abs_)


def question() -> Question:
    generator = rng(ID)
    singles = [(np.array([label]), softmax(generator.normal(0, 2, size=(1, classes)))) for classes, label in SINGLES]
    batches = []
    for samples, dtype in BATCHES:
        probs = softmax(generator.normal(0, 2, size=(samples, 10)))
        batches.append((generator.integers(0, 10, size=samples).astype(dtype), probs))
    mean_calls = []  # per batch: the whole batch, then each of its rows alone
    for labels, probs in batches:
        mean_calls += [(labels, probs)] + [(labels[i:i + 1], probs[i:i + 1]) for i in range(len(labels))]
    hard = [(np.array([3]), np.eye(10)[[3]]), (np.array([0]), np.eye(10)[[3]]),
            (np.array([1]), np.array([[0.3, 0.0, 0.7]])), (np.array([0]), np.array([[0.0, 1.0]])),
            (np.array([0]), np.array([[1.0, 0.0]]))]
    boundary = [(labels, np.where(p == 0.0, EPSILON, np.where(p == 1.0, 1 - EPSILON, p))) for labels, p in hard]
    zero_one_calls = [call for pair in zip(hard, boundary) for call in pair]
    unchanged = [(np.array([1, 0, 2]), np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0], [0.1, 0.1, 0.8]])),
                 (generator.integers(0, 4, size=6), softmax(generator.normal(size=(6, 4))))]
    naive = Call((generator.integers(0, 10, size=NAIVE_SAMPLES), softmax(generator.normal(size=(NAIVE_SAMPLES, 10)))))
    naive_key, naive_spec = naive_probe(NAME, naive)
    probes = {
        CALLS: calls_probe(NAME, {ONE.name: singles, MEAN.name: mean_calls, ZERO_ONE.name: zero_one_calls,
                                  UNCHANGED.name: unchanged}),
        naive_key: naive_spec,
    }

    def gate(observed, expected):
        calls, problem = calls_of(observed, ONE)
        if calls is None:
            return Verdict(False, f"{NAME} 실행 실패: {problem}")
        for args, call in zip(singles, calls):
            if scalar_of(call) is None:
                return Verdict(False, show.mismatch(
                    shown(ARGS, args), "유한한 실수 하나 (배치의 평균 손실)", got_text(call),
                    f"{NAME}이(가) 유한한 실수를 반환해야 이 문제의 항목들을 채점합니다."))
        return Verdict(True)

    def one_sample(observed, expected):
        calls, _ = calls_of(observed, ONE)
        for args, call, want in zip(singles, calls, calls_of(expected, ONE)[0]):
            if not same(scalar_of(call), scalar_of(want)):
                return Verdict(False, show.mismatch(shown(ARGS, args), f"{scalar_of(want):.7g}", got_text(call),
                                                    "샘플 하나의 손실은 -log(정답 범주의 확률)입니다."))
        return Verdict(True)

    def batch_mean(observed, expected):
        calls, problem = calls_of(observed, MEAN)
        if calls is None:
            return Verdict(False, problem)
        start = 0
        for labels, probs in batches:
            whole, rows = calls[start], calls[start + 1:start + 1 + len(labels)]
            start += 1 + len(labels)
            losses = [scalar_of(row) for row in rows]
            got = scalar_of(whole)
            if any(loss is None for loss in losses):
                bad = next(row for row in rows if scalar_of(row) is None)
                return Verdict(False, f"샘플 하나짜리 배치에서 실패했습니다: {got_text(bad)}")
            want = float(np.mean(losses))
            if got is None or not same(got, want, 1e-9, 1e-12):
                return Verdict(False, show.mismatch(
                    shown(ARGS, (labels, probs)), f"{want:.7g} (샘플마다 따로 구한 손실 {len(labels)}개의 평균)",
                    got_text(whole), "배치의 손실은 샘플 손실의 합이 아니라 평균입니다."))
        return Verdict(True)

    def zero_one(observed, expected):
        calls, problem = calls_of(observed, ZERO_ONE)
        if calls is None:
            return Verdict(False, problem)
        keys, _ = calls_of(expected, ZERO_ONE)
        for index, args in enumerate(hard):
            got, own, want = (scalar_of(calls[2 * index]), scalar_of(calls[2 * index + 1]),
                              scalar_of(keys[2 * index]))
            if got is None or not (same(got, want) or same(got, own)):
                return Verdict(False, show.mismatch(
                    shown(ARGS, args), f"{want:.7g} (케라스와 같이 확률을 [1e-7, 1 - 1e-7]로 클리핑)",
                    got_text(calls[2 * index]), "확률이 정확히 0이나 1이어도 유한한 값이 나와야 합니다."))
        return Verdict(True)

    def unchanged_input(observed, expected):
        calls, problem = calls_of(observed, UNCHANGED)
        if calls is None:
            return Verdict(False, problem)
        for args, call in zip(unchanged, calls):
            for name, mutated in zip(ARGS, call["mutated"]):
                if mutated:
                    return Verdict(False, show.mismatch(shown(ARGS, args), f"{name}는 그대로", f"{name}가 바뀌었습니다",
                                                        "입력 어레이를 직접 수정하지 마세요 (클리핑은 꺼낸 스칼라에 합니다)."))
        return Verdict(True)

    def loops(observed, expected):
        return naive_verdict(NAME, naive, observed[naive_key], NAIVE_RULE)

    every = (CALLS,)
    cases = (
        Case(f"{NAME}: 샘플 하나의 손실", 5, every, gated(gate, one_sample)),
        Case(f"{NAME}: 배치 평균 (합이 아니라 평균)", 3, every, gated(gate, batch_mean)),
        Case(f"{NAME}: 정확히 0과 1인 확률 (클리핑)", 4, every, gated(gate, zero_one)),
        Case(f"{NAME}: 입력을 바꾸지 않음", 1, every, gated(gate, unchanged_input)),
        Case(f"{NAME}: 반복문 규칙", 2, every + (naive_key,), gated(gate, loops)),
    )
    return Question(ID, "2.4 희소 범주형 크로스엔트로피", (NAME,), probes, cases, (public(),))


def public() -> PublicCheck:
    """The self-check: the answer key's values on one sample, on batches (int64 and int32 labels)
    and on exact 0/1 probabilities, the inputs unchanged, the naive rule of the hidden case."""
    generator = public_rng(ID)
    calls = [Call((np.array([2]), softmax(generator.normal(0, 2, size=(1, 4))))),
             Call((generator.integers(0, 5, size=6), softmax(generator.normal(0, 2, size=(6, 5)))),
                  note=MEAN_NOTE),
             Call((generator.integers(0, 3, size=4).astype(np.int32), softmax(generator.normal(size=(4, 3)))),
                  note=MEAN_NOTE),
             Call((np.array([0, 2, 1]), np.array([[0.0, 0.4, 0.6], [0.0, 0.0, 1.0], [0.25, 0.75, 0.0]])),
                  note=CLIP_NOTE)]
    naive = Call((generator.integers(0, 7, size=PUBLIC_NAIVE_SAMPLES),
                  softmax(generator.normal(size=(PUBLIC_NAIVE_SAMPLES, 7)))))
    return public_check(NAME, calls, unchanged=True, naive=naive, rule=NAIVE_RULE)
