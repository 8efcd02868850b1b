"""q3 (2.4): ``dense_backward(x, W, b, grad_out, activation)`` returns ``(dx, dW, db)`` of
``activation(x @ W + b)`` for ``"relu"`` or ``None``, by hand: automatic differentiation is
forbidden (a static ban on its names, and no ``tf.GradientTape`` may be entered during a call).

dx, dW and db are compared with the answer key's (which ``tests/test_ch02_plus_assignment.py``
compares with ``GradientTape``) on inputs where z > 0 everywhere, activation None, batch 1 and
non-square shapes included. The relu cases compare the function with itself: the relu backward
is the linear backward of the masked upstream gradient, whatever the linear part does.
The self-check (``selfchecks.dense_backward``) judges (dx, dW, db), their dtypes, the inputs
unchanged and the ban on automatic differentiation with the hidden cases' judges (``judges``) on
public inputs (relu with z = 0 in places, None, float32), against the answer key's observations.

Gate: at least one of dx, dW, db is right; otherwise no case of the question is judged."""

from __future__ import annotations

import numpy as np

from ..kernel_side import naive_rule, show
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from . import judges
from .common import CALLS_SECONDS, Group, arg, calls_of, calls_probe, gated, got_text, public_rng, rng, shared, shown
from .judges import ARGS, same_three, three

ID = "q3_dense_backward"
NAME = "dense_backward"
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

    def part_right(index: int):
        return shared("gradient_part", GRADS, probes[CALLS].spec["groups"][GRADS.name], index)

    def gate(observed, expected):
        verdicts = [part_right(index)(observed, expected) for index in range(3)]
        if any(verdict.passed for verdict in verdicts):
            return Verdict(True)
        return Verdict(False, "dx, dW, db 가운데 하나는 맞아야 이 문제의 항목들을 채점합니다. " + verdicts[0].message)

    def part(index):
        return gated(gate, part_right(index))

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

    def group(name):
        return probes[CALLS].spec["groups"][name]

    def no_autodiff(observed, expected):
        observation = observed[AUTODIFF]
        if not observation.get("ok"):
            return Verdict(False, show.error(observation))
        problem = judges.no_autodiff(AUTODIFF_RULE, observation)
        return Verdict(True) if problem is None else Verdict(False, problem.message())

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
        Case(f"{NAME}: 자료형 유지 (float32 → float32)", 1, every,
             gated(gate, shared("dtypes_kept", DTYPES, group(DTYPES.name)))),
        Case(f"{NAME}: 입력을 바꾸지 않음", 1, every, gated(gate, shared("inputs_kept", UNCHANGED, group(UNCHANGED.name)))),
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
    autodiff = {"op": "autodiff", "object": NAME, "args": probe["groups"]["public"][1]["args"], "limit": CALLS_SECONDS}
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:dense_backward",
                       {"object": NAME, "probe": probe, "autodiff": autodiff, "notes": [note for _, note in calls],
                        "rule": AUTODIFF_RULE.to_json()}, (probe,))
