"""q3 (2.4): ``dense_backward(x, W, b, grad_out, activation)`` returns ``(dx, dW, db)`` of
``activation(x @ W + b)`` for ``"relu"`` or ``None``, by hand: automatic differentiation is
forbidden (a static ban on its names, and no ``tf.GradientTape`` may be entered during a call).

dx, dW and db are compared with the answer key's (which ``tests/test_ch02_plus_assignment.py``
compares with ``GradientTape``) on inputs where z > 0 everywhere, activation None, batch 1 and
non-square shapes included. The relu cases compare the function with itself: the relu backward
is the linear backward of the masked upstream gradient, whatever the linear part does.
The self-check (``selfchecks.dense_backward``) compares (dx, dW, db) with the answer key's on
public inputs (relu with z = 0 in places, None, float32), and checks the inputs unchanged and the
same ban on automatic differentiation.

Gate: at least one of dx, dW, db is right; otherwise no case of the question is judged."""

from __future__ import annotations

import numpy as np

from ..kernel_side import naive_rule, show
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from .common import (CALLS_SECONDS, Group, arg, calls_of, calls_probe, close, failed, gated, got_text, public_rng, rng,
                     shown, value_of)

ID = "q3_dense_backward"
NAME = "dense_backward"
ARGS = ("x", "W", "b", "grad_out", "activation")
PARTS = ("dx", "dW", "db")
GRAD_SHAPES = [(1, 1, 1), (1, 4, 3), (5, 2, 7), (3, 3, 3), (8, 6, 2)]  # (batch, inputs, units)
RELU_SHAPES = [(1, 3, 4), (4, 5, 3), (6, 2, 2)]
NONE_SHAPES = [(3, 4, 5), (2, 2, 3)]
DTYPE_SHAPES = [(3, 4, 2), (1, 2, 5)]

# Automatic differentiation, by name: TensorFlow's tapes and gradient functions, JAX, PyTorch.
AUTODIFF_RULE = naive_rule.Rule(
    modules=frozenset({"jax", "torch", "autograd"}),
    attributes=frozenset({"GradientTape", "gradient", "gradients", "jacobian", "batch_jacobian", "custom_gradient",
                          "autodiff", "compute_gradient", "ForwardAccumulator", "grad", "vjp", "jvp",
                          "value_and_grad", "autograd", "backward"}),
    names=frozenset({"GradientTape", "custom_gradient", "ForwardAccumulator", "compute_gradient", "value_and_grad"}))

CALLS = ProbeKey(NAME, "calls")
GRADS, RELU, NONPOSITIVE, NO_MASK, DTYPES, UNCHANGED = (
    Group(CALLS, name) for name in ("grads", "relu", "nonpositive", "no_mask", "dtypes", "unchanged"))
AUTODIFF = ProbeKey(NAME, "autodiff")


def three(call: dict) -> list[np.ndarray] | None:
    """``(dx, dW, db)`` as three arrays (their own dtypes), or None."""
    value = value_of(call)
    if not isinstance(value, list) or len(value) != 3:
        return None
    try:
        return [np.asarray(item) for item in value]
    except (TypeError, ValueError):
        return None


def same_three(got, want) -> bool:
    return (got is not None and want is not None
            and all(close(g, w, atol=1e-12 * (1 + float(np.abs(w).max(initial=0)))) for g, w in zip(got, want)))


def question() -> Question:
    generator = rng(ID)

    def normal(*shape):
        return generator.normal(size=shape)

    grads = []  # activation None, z >= 0.5 everywhere (b chosen so): a relu would change nothing
    for batch, inputs, units in GRAD_SHAPES:
        x, W = normal(batch, inputs), normal(inputs, units)
        b = -(x @ W).min(axis=0) + generator.uniform(0.5, 1.5, size=units)
        grads.append((x, W, b, normal(batch, units), None))

    relu = []  # mixed-sign z, none within 1e-3 of 0: relu(g) against None(g * (z > 0))
    for batch, inputs, units in RELU_SHAPES:
        while True:
            x, W, b = normal(batch, inputs), normal(inputs, units), normal(units)
            z = x @ W + b
            if np.abs(z).min() > 1e-3 and (z > 0).any() and (z < 0).any():
                break
        g = normal(batch, units)
        relu += [(x, W, b, g, "relu"), (x, W, b, g * (z > 0), None)]

    x = np.abs(normal(4, 3))  # z <= 0 everywhere, exact zeros included: nothing flows back
    x[[0, 2]] = 0.0
    W, b = -np.abs(normal(3, 5)), np.array([0.0, -0.5, 0.0, -1.0, 0.0])
    g = normal(4, 5)
    assert (x @ W + b <= 0).all() and (x @ W + b == 0).any()
    nonpositive = [(x, W, b, g, "relu"), (x, W, b, np.zeros_like(g), None)]

    no_mask = []  # activation None: b cannot matter
    for batch, inputs, units in NONE_SHAPES:
        x, W, b, g = normal(batch, inputs), normal(inputs, units), normal(units), normal(batch, units)
        shift = -(x @ W + b).min(axis=0) + 1.0
        no_mask += [(x, W, b, g, None), (x, W, b + shift, g, None)]

    dtypes = []
    for batch, inputs, units in DTYPE_SHAPES:
        arrays = [normal(*shape).astype(np.float32) for shape in [(batch, inputs), (inputs, units), (units,), (batch, units)]]
        dtypes += [(*arrays, "relu"), (*arrays, None)]

    unchanged = [(*[normal(*shape) for shape in [(3, 4), (4, 2), (2,), (3, 2)]], activation)
                 for activation in ("relu", None)]
    autodiff = (*[normal(*shape) for shape in [(2, 3), (3, 2), (2,), (2, 2)]], "relu")

    probes = {
        CALLS: calls_probe(NAME, {GRADS.name: grads, RELU.name: relu, NONPOSITIVE.name: nonpositive,
                                  NO_MASK.name: no_mask, DTYPES.name: dtypes, UNCHANGED.name: unchanged}),
        AUTODIFF: Probe({"op": "autodiff", "object": NAME, "args": [arg(a) for a in autodiff], "limit": CALLS_SECONDS},
                        reference=False),
    }

    def part_right(observed, expected, index: int) -> Verdict:
        calls, problem = calls_of(observed, GRADS)
        if calls is None:
            return Verdict(False, f"{NAME} 실행 실패: {problem}")
        for args, call, want in zip(grads, calls, calls_of(expected, GRADS)[0]):
            got, wanted = three(call), three(want)
            if got is None:
                return Verdict(False, show.mismatch(shown(ARGS, args), "튜플 (dx, dW, db)", got_text(call),
                                                    "세 그레이디언트를 튜플 (dx, dW, db)로 반환해야 합니다."))
            if not close(got[index], wanted[index], atol=1e-12 * (1 + float(np.abs(wanted[index]).max(initial=0)))):
                return Verdict(False, show.mismatch(
                    shown(ARGS, args), show.value(wanted[index]), show.value(got[index]),
                    f"{PARTS[index]}가 그레이디언트 테이프의 값과 다릅니다."
                    + (" (db는 배치 전체에 대해 합해서 (유닛 수,) 모양입니다)" if index == 2 else "")))
        return Verdict(True)

    def gate(observed, expected):
        verdicts = [part_right(observed, expected, index) for index in range(3)]
        if any(verdict.passed for verdict in verdicts):
            return Verdict(True)
        return Verdict(False, "dx, dW, db 가운데 하나는 맞아야 이 문제의 항목들을 채점합니다. " + verdicts[0].message)

    def part(index):
        return gated(gate, lambda observed, expected: part_right(observed, expected, index))

    def pairs(key, calls, why):
        """Each pair of calls (one with the activation, one its linear equivalent) agrees."""
        def judge(observed, expected):
            got, problem = calls_of(observed, key)
            if got is None:
                return Verdict(False, problem)
            for index in range(0, len(calls), 2):
                first, second = got[index], got[index + 1]
                if not same_three(three(first), three(second)):
                    wanted = three(second)
                    return Verdict(False, show.mismatch(
                        shown(ARGS, calls[index]),
                        f"{NAME}({', '.join(shown(ARGS, calls[index + 1])[3:])}, ...)의 결과: "
                        + (show.value(second["result"]) if wanted is not None else got_text(second)),
                        got_text(first), why))
            return Verdict(True)
        return judge

    def float32_kept(observed, expected):
        calls, problem = calls_of(observed, DTYPES)
        if calls is None:
            return Verdict(False, problem)
        for args, call in zip(dtypes, calls):
            got = three(call)
            kinds = None if got is None else [str(item.dtype) for item in got]
            if kinds != ["float32"] * 3:
                return Verdict(False, show.mismatch(shown(ARGS, args), "float32 어레이 세 개", got_text(call),
                                                    "float32 입력이면 dx, dW, db도 float32여야 합니다."))
        return Verdict(True)

    def unchanged_inputs(observed, expected):
        calls, problem = calls_of(observed, UNCHANGED)
        if calls is None:
            return Verdict(False, problem)
        for args, call in zip(unchanged, calls):
            changed = [name for name, mutated in zip(ARGS, call["mutated"]) if mutated]
            if changed:
                return Verdict(False, show.mismatch(shown(ARGS, args), "입력은 그대로", f"{', '.join(changed)}가 바뀌었습니다",
                                                    "입력 어레이를 직접 수정하지 마세요."))
        return Verdict(True)

    def no_autodiff(observed, expected):
        observation = observed[AUTODIFF]
        if not observation.get("ok"):
            return Verdict(False, show.error(observation))
        if failed(observation["call"]):
            return Verdict(False, failed(observation["call"]))
        found = naive_rule.findings(observation.get("sources") or [], AUTODIFF_RULE)
        if observation.get("tapes"):
            found.append(f"tf.GradientTape (호출 중 {observation['tapes']}번 사용)")
        if found:
            return Verdict(False, f"{NAME}은(는) 자동 미분 없이 연쇄 법칙으로 직접 계산해야 합니다. "
                                  f"자동 미분이 보입니다: {', '.join(found)}")
        return Verdict(True)

    every = (CALLS,)
    cases = (
        Case(f"{NAME}: dx (∂L/∂x)", 4, every, part(0)),
        Case(f"{NAME}: dW (∂L/∂W)", 4, every, part(1)),
        Case(f"{NAME}: db (∂L/∂b, 배치에 대해 합)", 4, every, part(2)),
        Case(f"{NAME}: relu (z ≠ 0)", 4, every, gated(gate, pairs(
            RELU, relu, "relu의 도함수는 z > 0인 곳에서 1, 그 밖에서 0입니다: grad_out에 (z > 0)을 곱한 뒤 "
                        "활성화 함수가 없는 층처럼 역전파해야 합니다."))),
        Case(f"{NAME}: relu (z ≤ 0, z = 0 포함)에서 그레이디언트 0", 1, every, gated(gate, pairs(
            NONPOSITIVE, nonpositive, "z ≤ 0인 곳(z = 0 포함)에서는 relu의 도함수가 0이므로 그레이디언트가 흐르지 않습니다."))),
        Case(f"{NAME}: 활성화 None은 마스크 없음", 1, every, gated(gate, pairs(
            NO_MASK, no_mask, "activation이 None이면 도함수는 1입니다: b가 달라져도 그레이디언트는 같아야 합니다."))),
        Case(f"{NAME}: 자료형 유지 (float32 → float32)", 1, every, gated(gate, float32_kept)),
        Case(f"{NAME}: 입력을 바꾸지 않음", 1, every, gated(gate, unchanged_inputs)),
        Case(f"{NAME}: 자동 미분 금지 (GradientTape 등)", 2, every + (AUTODIFF,), gated(gate, no_autodiff)),
    )
    return Question(ID, "2.4 Dense 층의 역전파", (NAME,), probes, cases, (public(),))


RELU_NOTE = "- relu의 도함수는 z = x·W + b > 0인 곳에서 1, 그 밖(z = 0 포함)에서 0입니다: grad_out에 곱한 뒤 역전파하세요."
NONE_NOTE = "- activation이 None이면 도함수는 1입니다(마스크 없음)."


def public() -> PublicCheck:
    """The self-check (``selfchecks.dense_backward``): activation None, relu where some z are
    exactly 0 (a zero row of x meets zeros of b) and float32 with batch 1; the answer key's
    (dx, dW, db) on them come with the spec."""
    generator = public_rng(ID)

    def normal(*shape, dtype=np.float64):
        return generator.normal(size=shape).astype(dtype)

    x = normal(3, 2)
    x[1] = 0.0
    calls = [((normal(2, 3), normal(3, 4), normal(4), normal(2, 4), None), NONE_NOTE),
             ((x, normal(2, 4), np.array([0.0, 0.3, -0.2, 0.0]), normal(3, 4), "relu"), RELU_NOTE),
             ((*(normal(*shape, dtype=np.float32) for shape in [(1, 3), (3, 2), (2,), (1, 2)]), "relu"), RELU_NOTE)]
    probe = calls_probe(NAME, {"public": [args for args, _ in calls]}).spec
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:dense_backward",
                       {"object": NAME, "calls": [{"args": [arg(a) for a in args], "note": note} for args, note in calls],
                        "rule": AUTODIFF_RULE.to_json()}, (probe,))
