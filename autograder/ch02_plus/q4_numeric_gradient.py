"""q4 (2.4): ``numeric_gradient(f, x, eps=1e-5)``: central differences on a float64 copy of x.

The test functions are smooth and couple the entries of x (log-sum-exp, a quadratic form,
exp(wᵀx)) besides one separable cubic: a numeric gradient that forgets to restore an entry is
exact on separable functions only. The kernel builds them from their parameters; their analytic
gradients are computed here. CS231n's relative error in float64 must stay below 1e-7.
The self-check (``selfchecks.numeric_gradient``) calls the function with test functions of its
own (their analytic gradients are computed in the student's kernel): the relative error on
float64, float32, integer and 3-D inputs, the steps f is called at (default and given eps), and x
unchanged.

Gate: on the relative-error inputs the function returns finite arrays of x's shape; otherwise
no case of the question is judged. The relative-error case passes ``eps=1e-5`` explicitly, so a
wrong default costs the eps case only; n-dimensional and integer inputs are compared with the
function's own results on a 2-D reshaping and on a float64 copy."""

from __future__ import annotations

import math

import numpy as np

from ..kernel_side import show
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..kernel_side import runtime
from .common import CALLS_SECONDS, Group, array_of, calls_of, close, gated, got_text, public_rng, rng

ID = "q4_numeric_gradient"
NAME = "numeric_gradient"
SHAPES = [(1, 1), (1, 5), (4, 1), (3, 4)]
KINDS = ("logsumexp", "quadratic", "cubic", "exp_dot")
BAR = 1e-7  # CS231n: a central difference in float64 on a smooth function
EPS_CALLS = [(1e-5, {}), (1e-2, {"eps": 1e-2}), (1e-3, {"eps": 1e-3})]  # (step, keywords)

CALLS = ProbeKey(NAME, "calls")
RELERR, EPS, NDIM, INTS, UNCHANGED = (Group(CALLS, name) for name in ("relerr", "eps", "ndim", "ints", "unchanged"))

DESCRIPTION = {"logsumexp": "log(Σ exp(v))", "quadratic": "0.5 vᵀAv + cᵀv", "cubic": "Σ v³/3 + Σ v",
               "exp_dot": "exp(0.3 wᵀv)"}


def point(generator, shape) -> np.ndarray:
    """|x_i| in [0.5, 1.5], random signs: no gradient near 0 (the relative error stays meaningful)."""
    return generator.uniform(0.5, 1.5, size=shape) * generator.choice([-1.0, 1.0], size=shape)


def function_spec(generator, kind: str, size: int) -> dict:
    """A test function's parameters, as the kernel builds it (``probes.test_function``)."""
    if kind == "quadratic":
        A = generator.normal(size=(size, size))
        return {"kind": kind, "A": runtime.encode(A @ A.T / size + np.eye(size)),
                "c": runtime.encode(5.0 + generator.uniform(size=size))}
    if kind == "exp_dot":
        return {"kind": kind, "w": runtime.encode(generator.uniform(0.5, 1.5, size=size))}
    return {"kind": kind}


def gradient(spec: dict, x: np.ndarray) -> np.ndarray:
    """The analytic gradient of a test function at x (here, never in the student's kernel)."""
    v = np.asarray(x, dtype=np.float64)
    flat = v.ravel()
    if spec["kind"] == "logsumexp":
        e = np.exp(flat - flat.max())
        return (e / e.sum()).reshape(v.shape)
    if spec["kind"] == "quadratic":
        A, c = runtime.decode(spec["A"]), runtime.decode(spec["c"])
        return (A @ flat + c).reshape(v.shape)
    if spec["kind"] == "cubic":
        return v ** 2 + 1
    w = runtime.decode(spec["w"])
    return (0.3 * w * math.exp(0.3 * (w @ flat))).reshape(v.shape)


def rel_error(analytic, numeric) -> float:
    """CS231n: max |a - n| / max(|a| + |n|, 1e-8)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


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

    def described(x, spec, extra=""):
        return [f"f: {DESCRIPTION[spec['kind']]}", f"x: {show.value(x)}"] + ([extra] if extra else [])

    def gate(observed, expected):
        calls, problem = calls_of(observed, RELERR)
        if calls is None:
            return Verdict(False, f"{NAME} 실행 실패: {problem}")
        for (x, spec), observation in zip(relerr, calls):
            got = array_of(observation)
            if got is None or got.shape != x.shape or not np.all(np.isfinite(got)):
                return Verdict(False, show.mismatch(
                    described(x, spec, "eps=1e-5"), f"x와 같은 모양 {x.shape}의 유한한 어레이", got_text(observation),
                    f"{NAME}이(가) x와 같은 모양의 그레이디언트를 반환해야 이 문제의 항목들을 채점합니다."))
        return Verdict(True)

    def relative_error(observed, expected):
        calls, _ = calls_of(observed, RELERR)
        worst, at = 0.0, None
        for (x, spec), observation in zip(relerr, calls):
            error = rel_error(gradient(spec, x), array_of(observation))
            if error > worst or at is None:
                worst, at = max(error, worst), (x, spec, observation)
        detail = {"metric": "max_relative_error", "value": worst, "bar": BAR}
        if worst < BAR:
            return Verdict(True, f"최대 상대 오차 {worst:.1e}", detail)
        x, spec, observation = at
        return Verdict(False, show.mismatch(
            described(x, spec, "eps=1e-5"), show.value(gradient(spec, x)), got_text(observation),
            f"해석적 그레이디언트와의 상대 오차가 {worst:.1e}로 {BAR:g} 이상입니다 (중앙 차분을 float64로, "
            "2·eps로 나누고, 바꾼 항목은 원래 값으로 되돌리나요?)."), detail)

    def step_sizes(observed, expected):
        calls, problem = calls_of(observed, EPS)
        if calls is None:
            return Verdict(False, problem)
        for (eps, kwargs), observation in zip(EPS_CALLS, calls):
            shown_call = f"{NAME}(f, x{', eps=' + repr(kwargs['eps']) if kwargs else ''})"
            if "error" in observation:
                return Verdict(False, f"{shown_call}: {got_text(observation)}")
            points = [runtime.decode_array(p) for p in observation.get("points", [])]
            moves = [float(np.max(np.abs(p - eps_x))) for p in points if p.shape == eps_x.shape
                     and not np.array_equal(p, eps_x)]
            if not moves or not all(math.isclose(move, eps, rel_tol=0.1) for move in moves):
                seen = sorted({float(f"{m:.2g}") for m in moves})[:5]
                return Verdict(False, f"{shown_call}: f를 부른 점은 x에서 eps={eps:g}만큼 떨어져 있어야 합니다. "
                                      f"받은 간격: {seen or '없음'} (eps 인자와 기본값 1e-5를 쓰나요?)")
        return Verdict(True)

    def n_dimensional(observed, expected):
        calls, problem = calls_of(observed, NDIM)
        if calls is None:
            return Verdict(False, problem)
        for index, (x, flat) in enumerate(ndim):
            got, own = array_of(calls[2 * index]), array_of(calls[2 * index + 1])
            want = None if own is None or own.size != x.size else own.reshape(x.shape)
            if got is None or got.shape != x.shape or not close(got, want):
                return Verdict(False, show.mismatch(
                    [f"f: {DESCRIPTION['logsumexp']}", f"x: {show.value(x)}"],
                    f"모양 {x.shape}, 같은 값을 {flat} 모양으로 바꿔 계산한 결과와 같은 값",
                    got_text(calls[2 * index]), "x는 1D, 3D 등 어떤 모양이든 될 수 있습니다 (np.ndindex를 참고하세요)."))
        return Verdict(True)

    def integer_input(observed, expected):
        calls, problem = calls_of(observed, INTS)
        if calls is None:
            return Verdict(False, problem)
        got, own = array_of(calls[0]), array_of(calls[1])
        if not close(got, own):
            return Verdict(False, show.mismatch(
                described(int_x, int_f), "x.astype(np.float64)에서 계산한 결과: " + got_text(calls[1]),
                got_text(calls[0]), "정수 입력도 float64 복사본에서 계산해야 합니다 (정수 어레이에는 x + eps를 쓸 수 없습니다)."))
        return Verdict(True)

    def unchanged_input(observed, expected):
        calls, problem = calls_of(observed, UNCHANGED)
        if calls is None:
            return Verdict(False, problem)
        for x, observation in zip(unchanged, calls):  # whatever it returned (another case judges that)
            if observation["mutated"][1]:
                return Verdict(False, show.mismatch(
                    [f"x: {show.value(x)}"], "x는 비트 하나까지 그대로", "x가 바뀌었습니다",
                    "x를 직접 바꾸지 말고 float64 복사본에서 계산하세요 (더하고 빼서 되돌리면 반올림 오차가 남습니다)."))
        return Verdict(True)

    every = (CALLS,)
    cases = (
        Case(f"{NAME}: 상대 오차 < 1e-7 (CS231n, float64)", 6, every, gated(gate, relative_error)),
        Case(f"{NAME}: eps 인자와 기본값 1e-5", 2, every, gated(gate, step_sizes)),
        Case(f"{NAME}: n차원 입력", 2, every, gated(gate, n_dimensional)),
        Case(f"{NAME}: 정수 입력", 2, every, gated(gate, integer_input)),
        Case(f"{NAME}: 입력을 바꾸지 않음 (비트 하나까지)", 2, every, gated(gate, unchanged_input)),
    )
    return Question(ID, "2.4 그레이디언트 점검 (중앙 차분)", (NAME,), probes, cases, (public(),))


def public() -> PublicCheck:
    """The self-check (``selfchecks.numeric_gradient``): test functions of its own on public
    points; the analytic gradients are computed in the student's kernel (no answer key needed)."""
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
    calls = [(quadratic(6), point(generator, (2, 3)), 1e-5, restore),
             (sin_dot(4), point(generator, (4,)), 1e-5, any_shape),
             (quadratic(3), point(generator, (3,)).astype(np.float32), None, "- float32 x도 float64 복사본에서 계산합니다."),
             (sin_dot(4), int_x, None, "- 정수 입력도 float64 복사본에서 계산해야 합니다 (정수 어레이에는 x + eps를 쓸 수 없습니다)."),
             (sin_dot(6), point(generator, (2, 1, 3)), None, any_shape)]
    return PublicCheck(NAME, "autograder.ch02_plus.selfchecks:numeric_gradient", {
        "object": NAME, "bar": BAR, "step_x": runtime.encode(point(generator, (3,))), "step_sizes": [None, 1e-3],
        "calls": [{"function": f, "x": runtime.encode(x), "eps": eps, "note": note} for f, x, eps, note in calls]})
