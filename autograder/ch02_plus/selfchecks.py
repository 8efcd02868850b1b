"""The self-checks of "2장 심화" that are not a plain function on inputs: ``dense_backward`` (three
gradients, and no automatic differentiation), ``numeric_gradient`` (called with test functions)
and ``update_weights_momentum`` (one step on ``tf.Variable`` objects). ``naive_softmax`` and
``naive_sparse_categorical_crossentropy`` use the generic ``function_check``.

Kernel-side (sent as text in the notebook's setup cell; NumPy, TensorFlow only inside the
checks). Each check looks at what the hidden cases look at, on public inputs of its own, and
compares with the answer key's observations made when the notebook was built
(``spec["expected"]``), or, for ``numeric_gradient``, with the analytic gradients of its test
functions. Nothing here is an answer: the known-good stand-ins of ``probes.py`` are never
shipped. The self-checks never train. Messages are Korean, shapes first.
"""

import math

import numpy as np

from ..kernel_side import compare, naive_rule, show
from ..kernel_side.runtime import collect_sources, decode, decode_array
from ..kernel_side.selfcheck import Outcome


def _tf():
    import tensorflow as tf

    return tf


class _NotImplemented(Exception):
    """The graded function is still the stub."""


def _call(func, args, kwargs=None):
    """``(result, error, changed)``: the call's value or exception, and which array arguments it
    changed, bit for bit. A stub raises ``_NotImplemented``."""
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    result, error = None, None
    try:
        result = func(*args, **(kwargs or {}))
    except NotImplementedError:
        raise _NotImplemented() from None
    except Exception as exception:
        error = exception
    changed = [b is not None and (a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes())
               for a, b in zip(args, before)]
    return result, error, changed


def _raised(error):
    return f"{type(error).__name__} 예외가 발생했습니다: {str(error)[:300]}"


# ----------------------------------------------------------------------------- dense_backward

ARGS = ("x", "W", "b", "grad_out")
PARTS = ("dx", "dW", "db")


def _arg(payload):
    """A call argument: the runtime's plain data, or a string (``{"t": "str"}``)."""
    return str(payload["v"]) if payload.get("t") == "str" else decode(payload)


def dense_backward(spec, namespace):
    """``dense_backward(x, W, b, grad_out, activation)``: (dx, dW, db) of the answer key (which are
    GradientTape's) for relu (z = 0 included) and None, their dtype (float32 kept), the inputs
    unchanged, and no automatic differentiation (no tape entered, no name of the ban)."""
    name = "dense_backward"
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    func, tf = namespace[name], _tf()
    calls = [[_arg(a) for a in call["args"]] for call in spec["calls"]]
    wanted = [[np.asarray(decode(item)) for item in observation["result"]["items"]]
              for observation in spec["expected"][0]["groups"]["public"]]
    opened, original = [], tf.GradientTape.__enter__

    def watched(self):
        opened.append(1)
        return original(self)

    tf.GradientTape.__enter__ = watched
    try:
        made = [_call(func, args) for args in calls]
    except _NotImplemented:
        return Outcome(name, cause="not_implemented")
    finally:
        tf.GradientTape.__enter__ = original

    def described(args):
        return ([f"호출: {name}(x, W, b, grad_out, activation={args[4]!r})"]
                + [f"- 입력 {text}" for text in show.arguments(args[:4], names=ARGS)])

    problems = []
    for call, args, (result, error, _), want in zip(spec["calls"], calls, made, wanted):
        got = None if error else result
        if error or not isinstance(got, (tuple, list)) or len(got) != 3:
            problems.append(("튜플 (dx, dW, db)를 반환해야 합니다." if not error else "호출하자 예외가 발생했습니다.",
                             described(args) + ["- 기대: 튜플 (dx, dW, db)",
                                                f"- 받은 값: {_raised(error) if error else show.value(got)}"]))
            break
        parts = [np.asarray(item) for item in got]
        wrong = [i for i in range(3) if parts[i].shape != want[i].shape or not compare.close(parts[i], want[i])]
        if wrong:
            i = wrong[0]
            headline = (f"{PARTS[i]}의 모양(shape)이 다릅니다." if parts[i].shape != want[i].shape
                        else f"{PARTS[i]}가 그레이디언트 테이프의 값과 다릅니다.")
            if i == 2:
                headline += " db는 배치 전체에 대해 합해서 (유닛 수,) 모양입니다."
            problems.append((headline, described(args) + [f"- 기대값 {PARTS[i]}: {show.value(want[i])}",
                                                          f"- 받은 값 {PARTS[i]}: {show.value(parts[i])}", call["note"]]))
            break
    if not problems:
        for args, (result, _, _), want in zip(calls, made, wanted):
            kinds, expected = [str(np.asarray(item).dtype) for item in result], [str(w.dtype) for w in want]
            if kinds != expected:
                problems.append((f"dx, dW, db의 자료형이 입력과 같아야 합니다: 기대 {expected}, 받은 {kinds}.",
                                 described(args)))
                break
    for args, (_, _, changed) in zip(calls, made):
        if any(changed):
            problems.append((f"입력 어레이를 직접 수정했습니다: {', '.join(n for n, c in zip(ARGS, changed) if c)}.",
                             described(args) + ["- 입력은 어느 것도 바꾸지 않습니다. 새 어레이에 계산하세요."]))
            break
    found = naive_rule.findings(collect_sources(func, namespace), naive_rule.Rule.from_json(spec["rule"]))
    if opened:
        found.append(f"tf.GradientTape (호출 중 {len(opened)}번 사용)")
    if found:
        problems.append(("자동 미분 없이 연쇄 법칙으로 직접 계산해야 합니다.", [f"자동 미분이 보입니다: {', '.join(found)}"]))
    return Outcome(name, ["relu와 None에서 dx, dW, db", "자료형", "입력 보존", "자동 미분 금지"], problems)


# ----------------------------------------------------------------------------- numeric_gradient


def _flat(v):
    return np.asarray(v, dtype=np.float64).ravel()


def test_function(spec):
    """A test function of the self-check and its analytic gradient. Both couple the entries of x:
    a numeric gradient that forgets to restore an entry is wrong on them."""
    if spec["kind"] == "quadratic":  # 0.5 vᵀAv + cᵀv, A symmetric
        A, c = decode(spec["A"]), decode(spec["c"])

        def f(v):
            return float(0.5 * _flat(v) @ A @ _flat(v) + c @ _flat(v))

        def gradient(v):
            return (A @ _flat(v) + c).reshape(np.shape(v))
    else:  # "sin_dot": sin(wᵀv) + Σ v²
        w = decode(spec["w"])

        def f(v):
            return math.sin(float(w @ _flat(v))) + float(np.sum(_flat(v) ** 2))

        def gradient(v):
            return (math.cos(float(w @ _flat(v))) * w + 2 * _flat(v)).reshape(np.shape(v))
    return f, gradient


DESCRIPTION = {"quadratic": "0.5 vᵀAv + cᵀv", "sin_dot": "sin(wᵀv) + Σ v²"}


def rel_error(analytic, numeric):
    """CS231n: max |a - n| / max(|a| + |n|, 1e-8)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def numeric_gradient(spec, namespace):
    """``numeric_gradient(f, x, eps=1e-5)``: relative error below the bar against the analytic
    gradient (float64, float32, integer and n-dimensional x), f called eps away from x (default
    1e-5 and a given eps), x unchanged bit for bit."""
    name = "numeric_gradient"
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    try:
        return _numeric_gradient(namespace[name], spec)
    except _NotImplemented:
        return Outcome(name, cause="not_implemented")


def _numeric_gradient(func, spec):
    name, bar = "numeric_gradient", spec["bar"]
    values, unchanged, steps = [], [], []
    for call in spec["calls"]:
        f, gradient = test_function(call["function"])
        x = decode(call["x"])
        kwargs = {"eps": call["eps"]} if call.get("eps") is not None else {}
        lines = [f"호출: {name}(f, x{', eps=' + repr(call['eps']) if kwargs else ''})",
                 f"- 입력 f: {DESCRIPTION[call['function']['kind']]}", f"- 입력 x: {show.value(x)}"]
        result, error, changed = _call(func, [f, x], kwargs)
        if changed[1] and not unchanged:
            unchanged.append(("x를 직접 바꿨습니다. 함수가 끝난 뒤 x의 모든 값이 비트 하나까지 그대로여야 합니다.",
                              lines + ["- x의 float64 복사본에서 계산하세요 (더하고 빼서 되돌리면 반올림 오차가 남습니다)."]))
        if values:
            continue
        want = gradient(x)
        try:
            got = None if error else np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            got = None
        if got is None or got.shape != x.shape or not np.all(np.isfinite(got)):
            values.append(("x와 같은 모양의 유한한 어레이를 반환해야 합니다.", lines + [
                f"- 기대값: {show.value(want)}", f"- 받은 값: {_raised(error) if error else show.value(result)}",
                call["note"]]))
        elif rel_error(want, got) >= bar:
            values.append((f"해석적 그레이디언트와의 상대 오차가 {rel_error(want, got):.1e}로 {bar:g} 이상입니다.", lines + [
                f"- 기대값: {show.value(want)}", f"- 받은 값: {show.value(got)}", call["note"]]))
    x = decode(spec["step_x"])
    for eps in spec["step_sizes"]:  # None: the default
        points = []

        def recording(v, points=points):  # Σ v³/3, and the points it is called at
            if len(points) < 200:
                points.append(np.array(v, dtype=np.float64))
            return float(np.sum(_flat(v) ** 3) / 3)

        _, error, _ = _call(func, [recording, x], {} if eps is None else {"eps": eps})
        shown, step = f"{name}(f, x{'' if eps is None else f', eps={eps!r}'})", 1e-5 if eps is None else eps
        moves = [float(np.max(np.abs(p - x))) for p in points if p.shape == x.shape and not np.array_equal(p, x)]
        if error:
            steps.append((f"{shown}: 호출하자 예외가 발생했습니다.", [_raised(error)]))
        elif not moves or not all(math.isclose(move, step, rel_tol=0.1) for move in moves):
            seen = sorted({float(f"{m:.2g}") for m in moves})[:5]
            steps.append((f"{shown}: f를 부른 점은 x에서 eps={step:g}만큼 떨어져 있어야 합니다.",
                          [f"- 입력 x: {show.value(x)}", f"- 받은 간격: {seen or '없음'}",
                           "- eps 인자와 기본값 1e-5를 사용하세요."]))
        if steps:
            break
    return Outcome(name, ["상대 오차 < 1e-7 (float64, float32, 정수, n차원 x)", "eps 인자와 기본값", "입력 보존"],
                   values + steps + unchanged)


# ----------------------------------------------------------------------------- update_weights_momentum


def _listed(arrays):
    return "[" + "; ".join(show.value(np.asarray(a)) for a in arrays) + "]"


def update_weights_momentum(spec, namespace):
    """``update_weights_momentum``: one step in place on tf.Variable objects; the velocities stored
    and the weights afterwards, as the answer key leaves them (Keras's SGD with momentum)."""
    name = "update_weights_momentum"
    if name not in namespace:
        return Outcome(name, cause="not_defined")
    tf = _tf()
    weights = [tf.Variable(decode(w)) for w in spec["weights"]]
    velocities = [tf.Variable(decode(v)) for v in spec["velocities"]]
    gradients = [tf.constant(decode(g)) for g in spec["gradients"]]
    rate, momentum = spec["learning_rate"], spec["momentum"]
    lines = [f"호출: {name}(gradients, weights, velocities, learning_rate={rate}, momentum={momentum})"]
    lines += [f"- 입력 {part}: {_listed([decode(item) for item in spec[part]])}"
              for part in ("gradients", "weights", "velocities")]
    try:
        _, error, _ = _call(namespace[name], [gradients, weights, velocities, rate, momentum])
    except _NotImplemented:
        return Outcome(name, cause="not_implemented")
    if error:
        return Outcome(name, problems=[("호출하자 예외가 발생했습니다.", lines + [_raised(error)])])
    [step] = spec["expected"][0]["groups"]["step"]
    unused = _unused_arguments(namespace[name], spec)
    arguments = [f"- learning_rate={rate}, momentum={momentum}로 호출했습니다: {', '.join(unused)}의 값이 결과에 "
                 "영향을 주지 않습니다. 전역 변수나 고정된 값이 아니라 인자의 값을 사용하세요."] if unused else []
    problems = []
    for part, variables, headline in (
            ("velocities", velocities, "velocities에 새 속도 v <- momentum·v - learning_rate·g를 저장해야 합니다 "
                                       "(케라스 SGD의 약속)."),
            ("weights", weights, "가중치를 w <- w + v (v는 새로 계산한 속도)로 제자리에서 바꿔야 합니다.")):
        want = [decode_array(item) for item in step[part]]
        got = [np.asarray(variable.numpy()) for variable in variables]
        if any(g.shape != w.shape or not compare.close(g, w) for g, w in zip(got, want)):
            kept = ["- 새 속도를 지역 변수에만 계산하고 v.assign(...)으로 velocities에 저장하지 않으면 다음 걸음에 "
                    "쓰이지 않습니다."] if part == "velocities" and not unused else []
            problems.append((headline, lines + [f"- 기대값 ({part}): {_listed(want)}", f"- 받은 값 ({part}): {_listed(got)}"]
                             + kept + arguments))
    return Outcome(name, ["한 걸음 후 속도", "한 걸음 후 가중치"], problems)


def _unused_arguments(func, spec):
    """The names among learning_rate and momentum whose value changes nothing the step leaves
    (weights and velocities), each tried at another value from the same start."""
    tf = _tf()

    def after(rate, momentum):
        weights = [tf.Variable(decode(w)) for w in spec["weights"]]
        velocities = [tf.Variable(decode(v)) for v in spec["velocities"]]
        gradients = [tf.constant(decode(g)) for g in spec["gradients"]]
        _, error, _ = _call(func, [gradients, weights, velocities, rate, momentum])
        return None if error else [np.asarray(x.numpy()) for x in weights + velocities]

    rate, momentum = spec["learning_rate"], spec["momentum"]
    base = after(rate, momentum)
    if base is None:
        return []
    unused = []
    for label, changed in (("learning_rate", after(rate * 2, momentum)), ("momentum", after(rate, momentum / 2))):
        if changed is not None and all(np.array_equal(a, b) for a, b in zip(base, changed)):
            unused.append(label)
    return unused
