"""How values and failures are shown to students: shapes first, then a few values.

Kernel-side (sent as text, standard library and NumPy): the self-checks in the student's kernel
and the hidden checks in the grader's process word their messages with the same helpers.
"""

import numpy as np

from . import runtime

NOT_IMPLEMENTED = "아직 구현하지 않았습니다."
NOT_DEFINED = "정의되어 있지 않습니다. 정의하는 셀을 먼저 실행하세요."


def value(payload_or_array, max_chars=300):
    """``shape (2, 3), int32: [...]``: shape and dtype first, then the (truncated) values.
    Never raises: a message must not cost the verdict it explains."""
    try:
        return _value(payload_or_array, max_chars)
    except Exception:
        if isinstance(payload_or_array, dict) and "shape" in payload_or_array:
            return f"shape {tuple(payload_or_array['shape'])}, {payload_or_array.get('dtype', '?')}"
        text = repr(payload_or_array)
        return text if len(text) <= max_chars else text[:max_chars] + " …"


def _value(payload_or_array, max_chars):
    array = payload_or_array
    if isinstance(payload_or_array, dict):
        kind = payload_or_array.get("t")
        if kind is None and "data" in payload_or_array:  # a bare array payload (``runtime.encode_array``)
            return value(runtime.decode_array(payload_or_array), max_chars)
        if kind in ("list", "tuple"):
            items = [value(item, max_chars // 2) for item in payload_or_array["items"]]
            return f"{kind} (길이 {len(items)}): [" + "; ".join(items) + "]"
        array = runtime.decode(payload_or_array)
        if kind in ("tensor", "variable"):
            return f"tf {'Tensor' if kind == 'tensor' else 'Variable'} " + value(array, max_chars)
    if isinstance(array, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=40, edgeitems=3, linewidth=100):
            text = np.array2string(array, separator=", ")
        if len(text) > max_chars:
            text = text[:max_chars] + " …"
        return f"shape {tuple(array.shape)}, {array.dtype}: {text}"
    text = repr(array)
    return text if len(text) <= max_chars else text[:max_chars] + " …"


def shape_of(payload_or_array):
    """``(2, 3) float64``: the shape and dtype alone."""
    array = payload_or_array
    if isinstance(payload_or_array, dict):
        array = runtime.decode(payload_or_array) if "t" in payload_or_array else runtime.decode_array(payload_or_array)
    array = np.asarray(array)
    return f"{tuple(array.shape)} {array.dtype}"


def cause(observation):
    """"not_implemented" or "not_defined" when the probed object raised NotImplementedError or
    was missing (one message for all its cases), else None. A NameError raised inside the
    object (a name it uses is missing) is an error like any other."""
    error = observation.get("error") or {}
    if error.get("type") == "NotImplementedError":
        return "not_implemented"
    if error.get("type") == "NameError" and str(error.get("message", "")).endswith(runtime.MISSING):
        return "not_defined"
    return None


def stopped(name, cause):
    """One cause that stops every check of an object: ``"naive_relu: 아직 구현하지 않았습니다."``."""
    return f"{name}: {NOT_IMPLEMENTED if cause == 'not_implemented' else NOT_DEFINED}"


def one_cause(message, cost, total=None):
    """The lines of one cause and the cases it cost, as every report words it (``feedback.md``,
    Gradescope, nbgrader's cell output, ``grader.check``): the message's first line with what it
    cost (``cost``: (case label, points) pairs; ``total`` their points), then the message's other
    lines (a long error), to be shown under it."""
    first, *rest = str(message).splitlines() or [""]
    if cost:
        total = sum(points for _, points in cost) if total is None else total
        first += f" (0/{total:g}점: " + ", ".join(f"{label} {points:g}" for label, points in cost) + ")"
    return [first] + rest


def error(observation):
    """Korean sentence for an observation that ended in an error."""
    err = observation.get("error") or {}
    kind, message = err.get("type", "?"), err.get("message", "")
    if kind == "NotImplementedError":
        return NOT_IMPLEMENTED
    if kind == "NameError":
        return f"정의되지 않은 이름이 있습니다: {message}"
    if kind == "Timeout":
        return f"시간 제한을 넘겼습니다 ({message}). 무한 루프가 없는지 확인하세요."
    if kind == "Unsupported":
        return f"반환값을 채점할 수 없습니다: {message}"
    return f"{kind} 예외가 발생했습니다: {message}"


def mismatch(inputs, expected, got, why=""):
    """The failure of one call: why, then the inputs, the expected value and the value got."""
    lines = [why] if why else []
    lines += [f"- 입력 {text}" for text in inputs]
    lines += [f"- 기대값: {expected}", f"- 받은 값: {got}"]
    return "\n".join(lines)


def parameter_names(func=None, count=0):
    """The names of a function's first ``count`` parameters; x, y, z, w (then arg4...) where
    they cannot be read."""
    names = []
    try:
        import inspect

        names = [p.name for p in inspect.signature(func).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        pass
    defaults = ["x", "y", "z", "w"] + [f"arg{i}" for i in range(4, max(count, 4))]
    return names[:count] + defaults[len(names[:count]):count] if count else names


def arguments(args, kwargs=(), names=()):
    """``x: shape (2, 3), int64: [...]`` per argument, named by ``names`` (default x, y, z, w...)."""
    names = list(names) or parameter_names(None, len(args))
    parts = [f"{names[i] if i < len(names) else f'arg{i}'}: {value(a)}" for i, a in enumerate(args)]
    return parts + [f"{k}={v!r}" for k, v in kwargs]
