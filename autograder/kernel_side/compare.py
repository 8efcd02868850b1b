"""When a returned value counts as the expected one: the one tolerance rule of the kit.

Kernel-side (sent as text, NumPy only): the self-checks compare in the student's kernel, the
hidden checks in the grader's process, with the same rule.
"""

import numpy as np

from . import runtime, show


def result_array(observation):
    """The returned value of a ``call`` observation as an array, or None with a Korean reason."""
    if not observation.get("ok", True) or "error" in observation:
        return None, show.error(observation)
    payload = observation["result"]
    if payload["t"] in ("list", "tuple", "none", "bool"):
        return None, f"어레이나 숫자가 아닌 값을 반환했습니다: {show.value(payload)}"
    return np.asarray(runtime.decode(payload)), None


def close(got, expected):
    """Same shape and values: exact for integers, else within a tolerance relative to the
    largest value (a loop accumulating in float32 is as right as one in float64)."""
    if got.shape != expected.shape:
        return False
    if not np.issubdtype(got.dtype, np.number) and got.dtype != np.bool_:
        return False
    if np.issubdtype(expected.dtype, np.integer) and np.issubdtype(got.dtype, np.integer):
        return bool(np.array_equal(got, expected))
    tolerance = 1e-3 if np.float32 in (got.dtype, expected.dtype) else 1e-6
    want = expected.astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    return bool(np.allclose(got.astype(np.float64), want, rtol=tolerance, atol=tolerance * scale))
