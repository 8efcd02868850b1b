"""q1 (2.3): ``naive_softmax(x)``, row by row in Python loops, stable near +-1000.

The self-check (``public_check``) looks at the same properties on public inputs: the answer
key's values (rows near +-1000 included) and dtypes, x unchanged, and the same naive rule.

Gate: on the value inputs the function returns tables of probabilities (x's shape, finite, in
[0, 1], rows or columns summing to 1); otherwise no case of the question is judged. Stability,
integer input and the naive rule compare the function with itself, so a mistake in the formula
costs the value case only."""

from __future__ import annotations

import numpy as np

from ..kernel_side import show
from ..engine.cases import Case, ProbeKey, Question, Verdict
from ..engine.cases import PublicCheck
from ..engine.function_cases import Call, naive_probe, naive_verdict, public_check
from .common import (NAIVE_RULE, Group, array_of, calls_of, calls_probe, close, dtype_of, gated, got_text, public_rng,
                     rng, shown)

ID = "q1_softmax"
NAME = "naive_softmax"
VALUE_SHAPES = [(1, 1), (1, 7), (6, 1), (3, 4), (5, 10), (8, 3)]
NAIVE_SHAPE = (6, 7)
PUBLIC_NAIVE_SHAPE = (5, 8)
STABILITY_NOTE = "값이 1000이나 -1000 근처인 행에서도 nan 없이 계산하려면 행마다 그 행의 최댓값을 빼세요."
INTEGER_NOTE = "정수 입력이면 float64로 계산해야 합니다 (정수 어레이에 확률을 써 넣으면 잘립니다)."  # hidden and self-check

CALLS = ProbeKey(NAME, "calls")
VALUES, STABLE, DTYPES, INTS, UNCHANGED = (Group(CALLS, name) for name in ("values", "stable", "dtypes", "ints",
                                                                          "unchanged"))


def question() -> Question:
    generator = rng(ID)
    values = [generator.normal(0, 3, size=shape) for shape in VALUE_SHAPES]
    base = generator.normal(0, 2, size=(4, 6))
    mixed = base + np.array([[1000.0], [-1000.0], [0.0], [999.5]])
    stable = [base, base + 1000.0, base - 1000.0, mixed]
    dtypes = [generator.normal(size=shape).astype(kind) for kind in ("float32", "float64") for shape in ((3, 5), (1, 4))]
    ints = [generator.integers(-5, 6, size=(2, 5)), generator.integers(-3, 4, size=(3, 3)).astype(np.int32)]
    ints = [x for pair in ((x, x.astype(np.float64)) for x in ints) for x in pair]
    unchanged = [generator.normal(size=(3, 4)), generator.normal(size=(2, 3)).astype(np.float32),
                 generator.integers(-3, 4, size=(2, 2))]
    naive = Call((generator.normal(size=NAIVE_SHAPE),))
    naive_key, naive_spec = naive_probe(NAME, naive)
    probes = {
        CALLS: calls_probe(NAME, {group.name: [(x,) for x in inputs] for group, inputs in
                                  [(VALUES, values), (STABLE, stable), (DTYPES, dtypes), (INTS, ints),
                                   (UNCHANGED, unchanged)]}),
        naive_key: naive_spec,
    }

    def gate(observed, expected):
        calls, problem = calls_of(observed, VALUES)
        if calls is None:
            return Verdict(False, f"{NAME} 실행 실패: {problem}")
        for x, call in zip(values, calls):
            got = array_of(call)
            reason = None
            if got is None:
                reason = "어레이를 반환하지 않았습니다."
            elif got.shape != x.shape:
                reason = "결과의 모양이 x와 다릅니다."
            elif not np.all(np.isfinite(got)):
                reason = "nan이나 inf가 있습니다."
            elif got.min() < -1e-9 or got.max() > 1 + 1e-9:
                reason = "0과 1 사이가 아닌 값이 있습니다."
            elif not (np.allclose(got.sum(axis=1), 1, atol=1e-9) or np.allclose(got.sum(axis=0), 1, atol=1e-9)):
                reason = "행의 합이 1이 아닙니다."
            if reason:
                return Verdict(False, show.mismatch(
                    shown(["x"], [x]), "x와 같은 모양의 확률표 (0~1, 각 행의 합 1)", got_text(call),
                    f"{NAME}이(가) 확률표를 반환해야 이 문제의 항목들을 채점합니다: {reason}"))
        return Verdict(True)

    def correct(observed, expected):
        calls, _ = calls_of(observed, VALUES)
        wanted, _ = calls_of(expected, VALUES)
        for x, call, want in zip(values, calls, wanted):
            if not close(array_of(call), array_of(want)):
                return Verdict(False, show.mismatch(shown(["x"], [x]), show.value(want["result"]), got_text(call),
                                                    "각 행(샘플)마다 소프트맥스를 계산해야 합니다 (tf.nn.softmax와 같은 값)."))
        return Verdict(True)

    def stability(observed, expected):
        calls, problem = calls_of(observed, STABLE)
        if calls is None:
            return Verdict(False, problem)
        own = array_of(calls[0])
        for name, x, call in zip(["x + 1000", "x - 1000"], stable[1:3], calls[1:3]):
            if not close(array_of(call), own):
                return Verdict(False, show.mismatch(
                    shown([name], [x]), f"{NAME}(x)와 같은 값 (행마다 같은 수를 빼도 소프트맥스는 같습니다): "
                    + (show.value(own) if own is not None else "?"), got_text(call),
                    "값이 1000이나 -1000 근처인 행에서도 안정적으로 계산해야 합니다 (행의 최댓값을 빼세요)."))
        got = array_of(calls[3])
        if got is None or not np.all(np.isfinite(got)):
            return Verdict(False, show.mismatch(
                shown(["x"], [mixed]), "nan이나 inf가 없는 확률표", got_text(calls[3]),
                "행마다 크기가 크게 다른 입력(1000, -1000, 0, 999.5 근처의 행)에서는 행마다 그 행의 최댓값을 빼야 합니다."))
        return Verdict(True)

    def float_dtype(observed, expected):
        calls, problem = calls_of(observed, DTYPES)
        if calls is None:
            return Verdict(False, problem)
        for x, call in zip(dtypes, calls):
            if call.get("result", {}).get("t") != "ndarray" or dtype_of(call) != x.dtype:
                return Verdict(False, show.mismatch(shown(["x"], [x]), f"{x.dtype} 넘파이 어레이", got_text(call),
                                                    "실수 입력이면 결과는 입력과 같은 자료형의 넘파이 어레이입니다."))
        return Verdict(True)

    def integer_input(observed, expected):
        calls, problem = calls_of(observed, INTS)
        if calls is None:
            return Verdict(False, problem)
        for x, call, as_float in zip(ints[::2], calls[::2], calls[1::2]):
            own = array_of(as_float)
            if call.get("result", {}).get("t") != "ndarray" or dtype_of(call) != np.float64 or not close(array_of(call), own):
                return Verdict(False, show.mismatch(
                    shown(["x"], [x]), f"float64 확률표, {NAME}(x.astype(np.float64))와 같은 값: "
                    + (show.value(own) if own is not None else got_text(as_float)), got_text(call),
                    INTEGER_NOTE))
        return Verdict(True)

    def unchanged_input(observed, expected):
        calls, problem = calls_of(observed, UNCHANGED)
        if calls is None:
            return Verdict(False, problem)
        for x, call in zip(unchanged, calls):
            if any(call["mutated"]):
                return Verdict(False, show.mismatch(shown(["x"], [x]), "x는 그대로", "x가 바뀌었습니다",
                                                    f"{NAME}이(가) 입력 x를 직접 수정했습니다. 새 어레이에 결과를 쓰세요."))
        return Verdict(True)

    def loops(observed, expected):
        return naive_verdict(NAME, naive, observed[naive_key], NAIVE_RULE)

    every = (CALLS,)
    cases = (
        Case(f"{NAME}: 값 (무작위 입력, tf.nn.softmax와 같은 값)", 5, every, gated(gate, correct)),
        Case(f"{NAME}: 큰 값에서도 안정 (1000, -1000 근처의 행)", 5, every, gated(gate, stability)),
        Case(f"{NAME}: 실수 자료형 유지 (float32 → float32, float64 → float64)", 1, every, gated(gate, float_dtype)),
        Case(f"{NAME}: 정수 입력 → float64 확률", 1, every, gated(gate, integer_input)),
        Case(f"{NAME}: 입력을 바꾸지 않음", 1, every, gated(gate, unchanged_input)),
        Case(f"{NAME}: 반복문 규칙", 2, every + (naive_key,), gated(gate, loops)),
    )
    return Question(ID, "2.3 소프트맥스", (NAME,), probes, cases, (public(),))


def public() -> PublicCheck:
    """The self-check: values and dtypes of the answer key on float64, integer and float32 inputs
    and on rows near +-1000, x unchanged, the naive rule of the hidden case."""
    generator = public_rng(ID)
    far = generator.normal(0, 2, size=(3, 5)) + np.array([[998.0], [-1001.0], [0.5]])
    calls = [Call((generator.normal(0, 3, size=(2, 5)),)), Call((generator.integers(-6, 7, size=(3, 4)),), note=INTEGER_NOTE),
             Call((generator.normal(size=(4, 3)).astype(np.float32),)), Call((far,), note=STABILITY_NOTE)]
    naive = Call((generator.normal(size=PUBLIC_NAIVE_SHAPE),))
    return public_check(NAME, calls, dtype="reference", unchanged=True,
                        naive=naive, rule=NAIVE_RULE)
