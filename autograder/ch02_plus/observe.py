"""How "2장 심화" looks at a graded function: the observations its hidden probes send back and its
self-checks judge, made by the same code on either side.

- ``calls``: groups of calls of one function (one group per case) under one time limit, none
  after a call that overran it (each call on fresh copies of its inputs; its result or error
  and which array arguments it changed, bit for bit);
- ``autodiff``: one call of ``dense_backward`` while ``tf.GradientTape`` is watched, with the
  function's source (and its helpers') for the static ban;
- ``numeric_gradient``: groups of calls ``numeric_gradient(f, x, ...)`` with smooth test functions
  built here from their parameters (``test_function``; their analytic gradients, ``gradient``,
  are what the judges compare with);
- ``momentum``: groups of steps of ``update_weights_momentum`` on fresh ``tf.Variable`` objects.

Kernel-side (sent as text with the probes, and in the notebook's setup cell for the self-checks:
standard library and NumPy; TensorFlow inside the functions that need it). Nothing here is an
answer: the known-good classes of the training check stay in ``probes.py``.
"""

import math
from contextlib import contextmanager

import numpy as np

from ..kernel_side.runtime import (ProbeTimeout, Unsupported, collect_sources, decode, describe_error, encode,
                                   encode_array, lookup, quiet)

MAX_POINTS = 200  # points a recording test function keeps


def _tf():
    import tensorflow as tf

    return tf


def decode_arg(payload):
    """An argument of a call: the runtime's plain data, or a string (``{"t": "str"}``)."""
    if payload.get("t") == "str":
        return str(payload["v"])
    return decode(payload)


def _snapshot(value):
    return encode_array(value) if type(value) is np.ndarray else None


def observe(func, args, kwargs=None):
    """One call: its result (plain data) or error, and which array arguments it changed.
    No time limit of its own: the probe's limit covers all its calls (the probes run no call
    after one that overran it)."""
    snapshots = [_snapshot(a) for a in args]
    observation = {}
    try:
        with quiet():
            result = func(*args, **(kwargs or {}))
        observation["result"] = encode(result)
    except ProbeTimeout as error:
        observation["error"] = {"type": "Timeout", "message": str(error)}
    except Unsupported as error:
        observation["error"] = {"type": "Unsupported", "message": str(error)}
    except Exception as error:
        observation["error"] = describe_error(error)
    observation["mutated"] = [s is not None and _snapshot(a) != s for a, s in zip(args, snapshots)]
    return observation


def timed_out(observation):
    return (observation.get("error") or {}).get("type") == "Timeout"


SKIPPED = {"error": {"type": "Timeout", "message": "앞선 호출이 시간 제한을 넘겨 실행하지 않았습니다"}}


def in_groups(spec, run, skipped):
    """``run(item)`` for each item of each group of ``spec["groups"]`` in turn; once one overruns
    the probe's limit, the others get ``skipped(item)`` instead and are not run."""
    groups, last = {}, {}
    for name, items in spec["groups"].items():
        groups[name] = []
        for item in items:
            if timed_out(last):
                groups[name].append(skipped(item))
                continue
            last = run(item)
            groups[name].append(last)
    return {"groups": groups}


def probe_calls(namespace, spec):
    """Each call of each group in turn (``in_groups``)."""
    func = lookup(namespace, spec["object"])
    return in_groups(spec, lambda call: observe(func, [decode_arg(a) for a in call["args"]],
                                                {k: decode_arg(v) for k, v in call.get("kwargs", {}).items()}),
                     lambda call: {**SKIPPED, "mutated": [False] * len(call["args"])})


@contextmanager
def tapes_entered():
    """Counts the ``tf.GradientTape`` objects entered inside (whatever name the class goes by)."""
    tf = _tf()
    opened, original = [], tf.GradientTape.__enter__

    def watched(self):
        opened.append(1)
        return original(self)

    tf.GradientTape.__enter__ = watched
    try:
        yield opened
    finally:
        tf.GradientTape.__enter__ = original


def probe_autodiff(namespace, spec):
    """A call with ``tf.GradientTape`` watched, and the sources the static ban reads."""
    func = lookup(namespace, spec["object"])
    with tapes_entered() as opened:
        call = observe(func, [decode_arg(a) for a in spec["args"]])
    return {"tapes": len(opened), "call": call, "sources": collect_sources(func, namespace)}


# ------------------------------------------------------------------ numeric_gradient


def _flat(v):
    return np.asarray(v, dtype=np.float64).ravel()


def test_function(spec):
    """The scalar function a ``numeric_gradient`` call is given. Most couple the entries of x: a
    numeric gradient that forgets to restore an entry is exact on separable functions only."""
    kind = spec["kind"]
    if kind == "logsumexp":
        def f(v):
            v = _flat(v)
            top = v.max()
            return top + math.log(np.sum(np.exp(v - top)))
    elif kind == "quadratic":  # 0.5 vᵀAv + cᵀv
        A, c = decode(spec["A"]), decode(spec["c"])

        def f(v):
            flat = v.ravel()
            return 0.5 * flat @ A @ flat + c @ flat
    elif kind == "cubic":  # Σ v³/3 + Σ v
        def f(v):
            return np.sum(v ** 3) / 3 + np.sum(v)
    elif kind == "exp_dot":  # exp(0.3 wᵀv)
        w = decode(spec["w"])

        def f(v):
            return math.exp(0.3 * (w @ v.ravel()))
    elif kind == "sin_dot":  # sin(wᵀv) + Σ v²
        w = decode(spec["w"])

        def f(v):
            return math.sin(float(w @ _flat(v))) + float(np.sum(_flat(v) ** 2))
    else:
        raise ValueError(f"unknown test function {kind!r}")
    if spec.get("shape"):  # called on a reshaping of the input: the function sees its own shape
        inner, shape = f, tuple(spec["shape"])

        def f(v):
            return inner(np.reshape(v, shape))
    return f


def gradient(spec, x):
    """The analytic gradient of a test function at x (float64, x's shape)."""
    v = np.asarray(x, dtype=np.float64)
    flat = v.ravel()
    kind = spec["kind"]
    if kind == "logsumexp":
        e = np.exp(flat - flat.max())
        return (e / e.sum()).reshape(v.shape)
    if kind == "quadratic":
        A, c = decode(spec["A"]), decode(spec["c"])
        return (A @ flat + c).reshape(v.shape)
    if kind == "cubic":
        return v ** 2 + 1
    w = decode(spec["w"])
    if kind == "exp_dot":
        return (0.3 * w * math.exp(0.3 * (w @ flat))).reshape(v.shape)
    return (math.cos(float(w @ flat)) * w + 2 * flat).reshape(v.shape)  # sin_dot


DESCRIPTION = {"logsumexp": "log(Σ exp(v))", "quadratic": "0.5 vᵀAv + cᵀv", "cubic": "Σ v³/3 + Σ v",
               "exp_dot": "exp(0.3 wᵀv)", "sin_dot": "sin(wᵀv) + Σ v²"}


def probe_numeric_gradient(namespace, spec):
    """Each call ``numeric_gradient(f, x, **kwargs)`` of each group in turn (none after one
    overruns the probe's limit); with ``"record": true`` the points ``f`` was called at come back too."""
    func = lookup(namespace, "numeric_gradient")

    def run(call):
        f, points = test_function(call["function"]), []
        if call.get("record"):
            inner = f

            def f(v):
                if len(points) < MAX_POINTS:
                    points.append(encode_array(np.array(v, dtype=np.float64)))
                return inner(v)
        observation = observe(func, [f, decode(call["x"])], {k: decode(v) for k, v in call.get("kwargs", {}).items()})
        if call.get("record"):
            observation["points"] = points
        return observation

    return in_groups(spec, run, lambda call: {**SKIPPED, "mutated": [False, False]})


# ------------------------------------------------------------------ update_weights_momentum


def probe_momentum(namespace, spec):
    """Steps on fresh variables, in groups: each ``update_weights_momentum(gradients, weights,
    velocities, learning_rate, momentum)``, then the weights' and velocities' values."""
    tf = _tf()
    update = lookup(namespace, "update_weights_momentum")

    def run(step):
        weights = [tf.Variable(decode(w)) for w in step["weights"]]
        velocities = [tf.Variable(decode(v)) for v in step["velocities"]]
        gradients = [tf.constant(decode(g)) for g in step["gradients"]]
        observation = observe(update, [gradients, weights, velocities, step["learning_rate"], step["momentum"]])
        del observation["mutated"]
        observation["weights"] = [encode_array(np.asarray(w.numpy())) for w in weights]
        observation["velocities"] = [encode_array(np.asarray(v.numpy())) for v in velocities]
        return observation

    return in_groups(spec, run, lambda step: dict(SKIPPED))
