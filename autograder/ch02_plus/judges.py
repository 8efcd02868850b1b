"""One judge per property of "2장 심화"'s graded functions that are not a plain function on inputs
(``dense_backward``, ``numeric_gradient``, ``update_weights_momentum``), for the hidden cases (in
the grader's process, wrapped into a ``Verdict``) and the notebook's self-checks (in the
student's kernel, shown as an ``Outcome``) alike: a self-check on public inputs passes or fails
for the same reason as the hidden case on hidden inputs.

A judge is a pure function of ``(calls, got, want)``: the probe's call specs (plain JSON, as
``observe.py`` runs them), the student's observations of them and the answer key's (None where
the property needs none). It returns None when the property holds, else a ``Problem``.
Also the helpers that read an observation, and CS231n's ``rel_error``.

Kernel-side (sent as text in the notebook's setup cell; standard library and NumPy only).
"""

import math
from typing import NamedTuple

import numpy as np

from ..kernel_side import compare, naive_rule, runtime, show
from .observe import DESCRIPTION, decode_arg, gradient


class Problem(NamedTuple):
    """Why a property does not hold, on which call (its index in ``calls``), what was given,
    expected and got (Korean, shapes first)."""

    why: str
    inputs: tuple = ()
    expected: str | None = None
    got: str | None = None
    index: int | None = None

    def message(self):
        """The hidden case's message."""
        if self.expected is None and self.got is None:
            return "\n".join([self.why] + [f"- 입력 {text}" for text in self.inputs])
        return show.mismatch(self.inputs, self.expected, self.got, self.why)

    def details(self):
        """The self-check's lines under the headline ``why``."""
        lines = [f"- 입력 {text}" for text in self.inputs]
        if self.expected is not None:
            lines.append(f"- 기대값: {self.expected}")
        if self.got is not None:
            lines.append(f"- 받은 값: {self.got}")
        return lines


# ------------------------------------------------------------------ reading observations


def failed(call):
    """The Korean reason a call failed, or None."""
    if "error" in call or "result" not in call:
        return show.error(call)
    return None


def value_of(call):
    """The returned value decoded (arrays as NumPy), or None when the call failed."""
    if failed(call):
        return None
    return runtime.decode(call["result"])


def array_of(call):
    """The returned value as a float64 array, or None (failed, or not numbers)."""
    value = value_of(call)
    if value is None or call["result"]["t"] in ("none", "bool"):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def dtype_of(call):
    """The dtype of a returned array or tensor, or None for any other value."""
    if failed(call) or call["result"]["t"] not in ("ndarray", "tensor", "variable"):
        return None
    return np.dtype(call["result"]["dtype"])


def close(got, want, rtol=1e-9, atol=1e-12):
    """Same shape, finite, and equal within the tolerances (float64 cases: 1e-9 relative)."""
    if got is None or want is None:
        return False
    try:
        got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return (got.shape == want.shape and bool(np.all(np.isfinite(got)))
            and bool(np.allclose(got, want, rtol=rtol, atol=atol)))


def shown(names, args):
    """The inputs of a call as ``show.mismatch`` lists them (shapes first)."""
    return [f"{name}: {value if isinstance(value, str) or value is None else show.value(value)}"
            for name, value in zip(names, args)]


def got_text(call):
    problem = failed(call)
    return problem if problem else show.value(call["result"])


def listed(arrays):
    return "[" + "; ".join(show.value(np.asarray(a)) for a in arrays) + "]"


# ------------------------------------------------------------------ dense_backward

ARGS = ("x", "W", "b", "grad_out", "activation")
PARTS = ("dx", "dW", "db")


def arguments(call):
    return [decode_arg(a) for a in call["args"]]


def three(call):
    """``(dx, dW, db)`` as three arrays (their own dtypes), or None."""
    value = value_of(call)
    if not isinstance(value, list) or len(value) != 3:
        return None
    try:
        return [np.asarray(item) for item in value]
    except (TypeError, ValueError):
        return None


def same_gradient(got, want):
    """float64: 1e-9 relative (the key is exact); the key's float32: the kit's rule (``compare``)."""
    if got is None or want is None:
        return False
    if want.dtype == np.float32:
        return got.shape == want.shape and compare.close(got, want)
    return close(got, want, atol=1e-12 * (1 + float(np.abs(want).max(initial=0))))


def same_three(got, want):
    return got is not None and want is not None and all(same_gradient(g, w) for g, w in zip(got, want))


def gradient_part(index, calls, got, want):
    """``dense_backward``'s dx, dW or db (``index``) is the answer key's on every call."""
    for i, (call, mine, key) in enumerate(zip(calls, got, want)):
        parts, wanted = three(mine), three(key)
        if parts is None:
            return Problem("세 그레이디언트를 튜플 (dx, dW, db)로 반환해야 합니다.", shown(ARGS, arguments(call)),
                           "튜플 (dx, dW, db)", got_text(mine), i)
        if not same_gradient(parts[index], wanted[index]):
            name = PARTS[index]
            why = (f"{name}의 모양(shape)이 다릅니다." if parts[index].shape != wanted[index].shape
                   else f"{name}가 그레이디언트 테이프의 값과 다릅니다.")
            if index == 2:
                why += " db는 배치 전체에 대해 합해서 (유닛 수,) 모양입니다."
            return Problem(why, shown(ARGS, arguments(call)), show.value(wanted[index]), show.value(parts[index]), i)
    return None


def dtypes_kept(calls, got, want=None):
    """dx, dW, db have the dtypes of x, W, b (float32 stays float32)."""
    for i, (call, mine) in enumerate(zip(calls, got)):
        args = arguments(call)
        wanted = [str(np.asarray(a).dtype) for a in args[:3]]
        parts = three(mine)
        if parts is None or [str(p.dtype) for p in parts] != wanted:
            return Problem(f"dx, dW, db의 자료형이 입력과 같아야 합니다 ({wanted[0]} 입력이면 {wanted[0]}).",
                           shown(ARGS, args), f"{wanted[0]} 어레이 세 개", got_text(mine), i)
    return None


def inputs_kept(calls, got, want=None):
    """No array argument changed, bit for bit."""
    for i, (call, mine) in enumerate(zip(calls, got)):
        changed = [name for name, mutated in zip(ARGS, mine.get("mutated", [])) if mutated]
        if changed:
            return Problem(f"입력 어레이를 직접 수정했습니다: {', '.join(changed)}. 입력은 어느 것도 바꾸지 않고 "
                           "새 어레이에 계산하세요.", shown(ARGS, arguments(call)), index=i)
    return None


def no_autodiff(rule, observation):
    """No name of the ban (``rule``) in the sources and no ``tf.GradientTape`` entered during the
    call (``observe.probe_autodiff``)."""
    if failed(observation["call"]):
        return Problem(failed(observation["call"]))
    found = naive_rule.findings(observation.get("sources") or [], rule)
    if observation.get("tapes"):
        found.append(f"tf.GradientTape (호출 중 {observation['tapes']}번 사용)")
    if found:
        return Problem(f"dense_backward은(는) 자동 미분 없이 연쇄 법칙으로 직접 계산해야 합니다. "
                       f"자동 미분이 보입니다: {', '.join(found)}")
    return None


# ------------------------------------------------------------------ numeric_gradient

DEFAULT_EPS = 1e-5


def rel_error(analytic, numeric):
    """CS231n: max |a - n| / max(|a| + |n|, 1e-8)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def eps_of(call):
    """The eps a call passes (None: the default)."""
    given = call.get("kwargs", {}).get("eps")
    return None if given is None else float(runtime.decode(given))


def described(call):
    """The call as the messages show it: f, x and a given eps."""
    eps = eps_of(call)
    return ([f"f: {DESCRIPTION[call['function']['kind']]}", f"x: {show.value(runtime.decode(call['x']))}"]
            + ([f"eps={eps!r}"] if eps is not None else []))


def gradient_shape(calls, got, want=None):
    """Every call returns a finite array of x's shape."""
    for i, (call, mine) in enumerate(zip(calls, got)):
        x, value = runtime.decode(call["x"]), array_of(mine)
        if value is None or value.shape != np.shape(x) or not np.all(np.isfinite(value)):
            return Problem("x와 같은 모양의 유한한 어레이(그레이디언트)를 반환해야 합니다.", described(call),
                           f"x와 같은 모양 {np.shape(x)}의 유한한 어레이", got_text(mine), i)
    return None


def relative_error(bar, calls, got, want=None):
    """``(worst relative error, Problem or None)``: below ``bar`` against the analytic gradient
    of the test function on every call (``gradient_shape`` first)."""
    worst, at = 0.0, None
    for i, (call, mine) in enumerate(zip(calls, got)):
        error = rel_error(gradient(call["function"], runtime.decode(call["x"])), array_of(mine))
        if error > worst or at is None:
            worst, at = max(error, worst), i
    if worst < bar:
        return worst, None
    call = calls[at]
    return worst, Problem(
        f"해석적 그레이디언트와의 상대 오차가 {worst:.1e}로 {bar:g} 이상입니다 (중앙 차분을 float64로, 2·eps로 "
        "나누고, 바꾼 항목은 원래 값으로 되돌리나요?).", described(call),
        show.value(gradient(call["function"], runtime.decode(call["x"]))), got_text(got[at]), at)


def step_sizes(calls, got, want=None):
    """f is called eps away from x (the given eps, else 1e-5): calls recorded with ``record``."""
    for i, (call, mine) in enumerate(zip(calls, got)):
        eps, x = eps_of(call), runtime.decode(call["x"])
        step = DEFAULT_EPS if eps is None else eps
        shown_call = f"numeric_gradient(f, x{'' if eps is None else f', eps={eps!r}'})"
        if "error" in mine:
            return Problem(f"{shown_call}: {got_text(mine)}", index=i)
        points = [runtime.decode_array(p) for p in mine.get("points", [])]
        moves = [float(np.max(np.abs(p - x))) for p in points if p.shape == np.shape(x) and not np.array_equal(p, x)]
        if not moves or not all(math.isclose(move, step, rel_tol=0.1) for move in moves):
            seen = sorted({float(f"{m:.2g}") for m in moves})[:5]
            return Problem(f"{shown_call}: f를 부른 점은 x에서 eps={step:g}만큼 떨어져 있어야 합니다. "
                           f"받은 간격: {seen or '없음'} (eps 인자와 기본값 1e-5를 쓰나요?)", index=i)
    return None


def same_as_reshaped(calls, got, want=None):
    """Pairs of calls: x of any shape, then the same values reshaped (f reshapes them back): the
    same gradient, in x's shape."""
    for i in range(0, len(calls), 2):
        x = runtime.decode(calls[i]["x"])
        flat = np.shape(runtime.decode(calls[i + 1]["x"]))
        value, own = array_of(got[i]), array_of(got[i + 1])
        reshaped = None if own is None or own.size != x.size else own.reshape(x.shape)
        if value is None or value.shape != x.shape or not close(value, reshaped):
            return Problem("x는 1D, 3D 등 어떤 모양이든 될 수 있습니다 (np.ndindex를 참고하세요).",
                           (f"f: {DESCRIPTION[calls[i]['function']['kind']]}", f"x: {show.value(x)}"),
                           f"모양 {x.shape}, 같은 값을 {flat} 모양으로 바꿔 계산한 결과와 같은 값", got_text(got[i]), i)
    return None


def integer_input(calls, got, want=None):
    """Pairs of calls: an integer x, then its float64 copy: the same gradient."""
    for i in range(0, len(calls), 2):
        if not close(array_of(got[i]), array_of(got[i + 1])):
            return Problem("정수 입력도 float64 복사본에서 계산해야 합니다 (정수 어레이에는 x + eps를 쓸 수 없습니다).",
                           described(calls[i]), "x.astype(np.float64)에서 계산한 결과: " + got_text(got[i + 1]),
                           got_text(got[i]), i)
    return None


def x_kept(calls, got, want=None):
    """x unchanged, bit for bit, whatever the call returned."""
    for i, (call, mine) in enumerate(zip(calls, got)):
        if mine.get("mutated", [False, False])[1]:
            return Problem("x를 직접 바꿨습니다. 함수가 끝난 뒤 x의 모든 값이 비트 하나까지 그대로여야 합니다. x의 "
                           "float64 복사본에서 계산하세요 (더하고 빼서 되돌리면 반올림 오차가 남습니다).",
                           (f"x: {show.value(runtime.decode(call['x']))}",), index=i)
    return None


# ------------------------------------------------------------------ update_weights_momentum


def step_inputs(step):
    """A step's inputs as the messages show them."""
    return [f"{part}: {listed([runtime.decode(item) for item in step[part]])}"
            for part in ("weights", "velocities", "gradients")] + [
        f"learning_rate={step['learning_rate']}, momentum={step['momentum']}"]


def step_runs(steps, got, want=None):
    """The step returns without raising."""
    for i, mine in enumerate(got):
        if failed(mine):
            return Problem(failed(mine), step_inputs(steps[i]), index=i)
    return None


def _moved(step, observation):
    return [w1 - w for w1, w in zip(_arrays(observation, "weights"), _arrays(step, "weights"))]


def _arrays(holder, part):
    return [np.asarray(runtime.decode(item)) if "t" in item else runtime.decode_array(item) for item in holder[part]]


def weights_after(steps, got, want):
    """The weights moved as the answer key's did (by the new velocity), in place."""
    for i, (step, mine, key) in enumerate(zip(steps, got, want)):
        moved, wanted = _moved(step, mine), _moved(step, key)
        if not all(close(m, w, atol=1e-15) for m, w in zip(moved, wanted)):
            return Problem("w <- w + v (v는 새로 계산한 속도)로 가중치를 제자리에서 바꿔야 합니다.", step_inputs(step),
                           "가중치의 변화 = 새 속도 momentum·v - learning_rate·g: " + listed(wanted),
                           "가중치의 변화: " + listed(moved), i)
    return None


def velocities_after(steps, got, want):
    """The velocities hold the answer key's new velocity."""
    for i, (step, mine, key) in enumerate(zip(steps, got, want)):
        stored, wanted = _arrays(mine, "velocities"), _arrays(key, "velocities")
        if not all(close(v, w, atol=1e-15) for v, w in zip(stored, wanted)):
            return Problem("velocities에 새 속도 v <- momentum·v - learning_rate·g를 저장해야 합니다 (케라스 SGD의 약속). "
                           "새 속도를 지역 변수에만 계산하고 v.assign(...)으로 velocities에 저장하지 않으면 다음 걸음에 "
                           "쓰이지 않습니다.", step_inputs(step), listed(wanted), listed(stored), i)
    return None


def arguments_used(steps, got, want=None):
    """Pairs of steps from one start that differ in learning_rate or momentum only: the steps (or
    the velocities) scale with it, so the arguments' values are used."""
    unused, wrong = [], []
    for i in range(0, len(steps), 2):
        first, second = steps[i], steps[i + 1]
        name = "learning_rate" if first["learning_rate"] != second["learning_rate"] else "momentum"
        ratio = second[name] / first[name]
        a, b = got[i], got[i + 1]
        if failed(a) or failed(b):
            return Problem(failed(a) or failed(b), index=i)
        moved_a, moved_b = _moved(first, a), _moved(second, b)
        va, vb = _arrays(a, "velocities"), _arrays(b, "velocities")
        by_weights = (all(np.abs(m).max() > 0 for m in moved_a)
                      and all(close(mb, ratio * ma, atol=1e-15) for ma, mb in zip(moved_a, moved_b)))
        by_velocities = (all(np.abs(v).max() > 0 for v in va)
                         and all(close(y, ratio * x, atol=1e-15) for x, y in zip(va, vb)))
        if by_weights or by_velocities:
            continue
        same = all(np.array_equal(x, y) for x, y in zip(moved_a + va, moved_b + vb))
        (unused if same else wrong).append((name, first[name], second[name], ratio))
    if unused:
        names = ", ".join(name for name, *_ in unused)
        return Problem(f"{names}의 값이 결과에 영향을 주지 않습니다. 전역 변수나 고정된 값이 아니라 인자의 값을 사용하세요.",
                       tuple(f"{name}: {one:g}와 {other:g}로 한 번씩 불렀는데 가중치와 속도가 똑같았습니다"
                             for name, one, other, _ in unused))
    if wrong:
        name, one, other, ratio = wrong[0]
        return Problem(f"{name}={one:g}일 때와 {other:g}일 때 걸음(또는 속도)의 비가 {ratio:.4g}이어야 합니다: "
                       f"전역 변수나 고정된 값이 아니라 인자의 값을 사용하세요.")
    return None
