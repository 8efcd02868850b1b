"""q4 (2.4): ``numeric_gradient(f, x, eps=1e-5)``: central differences on a float64 copy of x.

The test functions are smooth and couple the entries of x (log-sum-exp, a quadratic form,
exp(wᵀx)) besides one separable cubic: a numeric gradient that forgets to restore an entry is
exact on separable functions only. The kernel builds them from their parameters
(``observe.test_function``); the judges (``judges.py``) compare with their analytic gradients
(``observe.gradient``). CS231n's relative error in float64 must stay below 1e-7.
The self-check (``selfchecks.numeric_gradient``) runs the same probe on public test functions and
points and the hidden cases' judges: the relative error on float64, float32, integer and 3-D
inputs, a reshaped x, the steps f is called at (default and given eps), and x unchanged.

Gate: on the relative-error inputs the function returns finite arrays of x's shape; otherwise
no case of the question is judged. The relative-error case passes ``eps=1e-5`` explicitly, so a
wrong default costs the eps case only; n-dimensional and integer inputs are compared with the
function's own results on a 2-D reshaping and on a float64 copy."""

from __future__ import annotations

import numpy as np

from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..kernel_side import runtime
from . import judges
from .common import CALLS_SECONDS, Group, calls_of, gated, public_rng, rng, shared

ID = "q4_numeric_gradient"
NAME = "numeric_gradient"
SHAPES = [(1, 1), (1, 5), (4, 1), (3, 4)]
KINDS = ("logsumexp", "quadratic", "cubic", "exp_dot")
BAR = 1e-7  # CS231n: a central difference in float64 on a smooth function
EPS_CALLS = [(1e-5, {}), (1e-2, {"eps": 1e-2}), (1e-3, {"eps": 1e-3})]  # (step, keywords)

CALLS = ProbeKey(NAME, "calls")
RELERR, EPS, NDIM, INTS, UNCHANGED = (Group(CALLS, name) for name in ("relerr", "eps", "ndim", "ints", "unchanged"))


def point(generator, shape) -> np.ndarray:
    """|x_i| in [0.5, 1.5], random signs: no gradient near 0 (the relative error stays meaningful)."""
    return generator.uniform(0.5, 1.5, size=shape) * generator.choice([-1.0, 1.0], size=shape)


def function_spec(generator, kind: str, size: int) -> dict:
    """A test function's parameters, as the kernel builds it (``observe.test_function``)."""
    if kind == "quadratic":
        A = generator.normal(size=(size, size))
        return {"kind": kind, "A": runtime.encode(A @ A.T / size + np.eye(size)),
                "c": runtime.encode(5.0 + generator.uniform(size=size))}
    if kind == "exp_dot":
        return {"kind": kind, "w": runtime.encode(generator.uniform(0.5, 1.5, size=size))}
    return {"kind": kind}


def numgrad_probe(groups: dict[str, list[dict]]) -> Probe:
    """One probe of every group of calls (a function that hangs costs one time limit, not five)."""
    return Probe({"op": "numeric_gradient", "groups": groups, "limit": CALLS_SECONDS}, reference=False)


def call(function: dict, x: np.ndarray, **extra) -> dict:
    return {"function": function, "x": runtime.encode(x), **extra}


def question() -> Question:
    generator = rng(ID)
    relerr = []  # (x, function spec), called with eps=1e-5
    for shape in SHAPES:
        x = point(generator, shape)
        relerr += [(x, function_spec(generator, kind, x.size)) for kind in KINDS]
    eps_x = point(generator, (2, 3))
    ndim = []  # (x, 2-D shape it is compared with)
    for shape, flat in [((5,), (1, 5)), ((2, 3, 2), (2, 6))]:
        ndim.append((point(generator, shape), flat))
    int_x = generator.integers(1, 4, size=(2, 3)) * generator.choice([-1, 1], size=(2, 3))
    int_f = function_spec(generator, "quadratic", int_x.size)
    unchanged = [generator.normal(size=(3, 4)), generator.normal(size=(5,)).astype(np.float32)]

    probes = {CALLS: numgrad_probe({
        RELERR.name: [call(f, x, kwargs={"eps": runtime.encode(1e-5)}) for x, f in relerr],
        EPS.name: [call({"kind": "cubic"}, eps_x, record=True, kwargs={k: runtime.encode(v) for k, v in kwargs.items()})
                   for _, kwargs in EPS_CALLS],
        NDIM.name: [c for x, flat in ndim for c in (
            call({"kind": "logsumexp"}, x), call({"kind": "logsumexp", "shape": list(x.shape)}, x.reshape(flat)))],
        INTS.name: [call(int_f, int_x), call(int_f, int_x.astype(np.float64))],
        UNCHANGED.name: [call({"kind": "cubic"}, x) for x in unchanged],
    })}

    groups = probes[CALLS].spec["groups"]

    def gate(observed, expected):
        verdict = shared("gradient_shape", RELERR, groups[RELERR.name])(observed, expected)
        if verdict.passed:
            return verdict
        return Verdict(False, f"{NAME}이(가) x와 같은 모양의 그레이디언트를 반환해야 이 문제의 항목들을 채점합니다. "
                              + verdict.message)

    def relative_error(observed, expected):
        calls, _ = calls_of(observed, RELERR)
        worst, problem = judges.relative_error(BAR, groups[RELERR.name], calls)
        detail = {"metric": "max_relative_error", "value": worst, "bar": BAR}
        if problem is None:
            return Verdict(True, f"최대 상대 오차 {worst:.1e}", detail)
        return Verdict(False, problem.message(), detail)
    relative_error.shared = "relative_error"

    every = (CALLS,)
    cases = (
        Case(f"{NAME}: 상대 오차 < 1e-7 (CS231n, float64)", 6, every, gated(gate, relative_error)),
        Case(f"{NAME}: eps 인자와 기본값 1e-5", 2, every, gated(gate, shared("step_sizes", EPS, groups[EPS.name]))),
        Case(f"{NAME}: n차원 입력", 2, every, gated(gate, shared("same_as_reshaped", NDIM, groups[NDIM.name]))),
        Case(f"{NAME}: 정수 입력", 2, every, gated(gate, shared("integer_input", INTS, groups[INTS.name]))),
        Case(f"{NAME}: 입력을 바꾸지 않음 (비트 하나까지)", 2, every,
             gated(gate, shared("x_kept", UNCHANGED, groups[UNCHANGED.name]))),
    )
    return Question(ID, "2.4 그레이디언트 점검 (중앙 차분)", (NAME,), probes, cases, (public(),))


def public() -> PublicCheck:
    """The self-check (``selfchecks.numeric_gradient``): the hidden probe on test functions and
    points of its own, judged by the hidden cases' judges (no answer key needed: the judges
    compare with the test functions' analytic gradients)."""
    generator = public_rng(ID)

    def quadratic(size):
        A = generator.normal(size=(size, size))
        return {"kind": "quadratic", "A": runtime.encode(A @ A.T / size + np.eye(size)),
                "c": runtime.encode(generator.uniform(-2, 2, size=size))}

    def sin_dot(size):
        return {"kind": "sin_dot", "w": runtime.encode(generator.uniform(0.5, 1.5, size=size))}

    restore = "- 바꾼 항목은 다음 항목으로 넘어가기 전에 원래 값으로 되돌리나요? 2·eps로 나누나요?"
    any_shape = "- x는 1D, 3D 등 어떤 모양이든 될 수 있습니다 (np.ndindex를 참고하세요)."
    int_x = generator.integers(1, 4, size=(2, 2)) * generator.choice([-1, 1], size=(2, 2))
    # eps given: not the hidden calls' 1e-5 (public and hidden inputs stay disjoint)
    values = [(quadratic(6), point(generator, (2, 3)), 2e-5, restore),
              (sin_dot(4), point(generator, (4,)), 2e-5, any_shape),
              (quadratic(3), point(generator, (3,)).astype(np.float32), None, "- float32 x도 float64 복사본에서 계산합니다."),
              (sin_dot(4), int_x, None, "- 정수 입력도 float64 복사본에서 계산해야 합니다 (정수 어레이에는 x + eps를 쓸 수 "
                                        "없습니다)."),
              (sin_dot(6), point(generator, (2, 1, 3)), None, any_shape)]
    step_x = point(generator, (3,))
    (f3, x3, _, _) = values[4]

    def call(function, x, eps=None, **extra):
        return {"function": function, "x": runtime.encode(x), **extra,
                **({"kwargs": {"eps": runtime.encode(eps)}} if eps is not None else {})}

    probe = {"op": "numeric_gradient", "limit": CALLS_SECONDS, "groups": {
        "values": [call(f, x, eps) for f, x, eps, _ in values],
        "ndim": [call(f3, x3), call({**f3, "shape": list(x3.shape)}, x3.reshape(2, 3))],
        "eps": [call({"kind": "cubic"}, step_x, eps, record=True) for eps in (None, 1e-4)],
    }}
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:numeric_gradient",
                       {"object": NAME, "bar": BAR, "probe": probe, "notes": [note for *_, note in values]})
