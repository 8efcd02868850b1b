"""The probes of "2장 심화" (ch02_plus): calls of the graded functions on inputs the grader chose,
plain results back.

- ``calls``: groups of calls of one function (one group per case) under one time limit, none
  after a call that overran it (each call on fresh copies of its inputs; its result or error
  and which array arguments it changed, bit for bit);
- ``autodiff``: one call of ``dense_backward`` while ``tf.GradientTape`` is watched, with the
  function's source (and its helpers') for the static ban;
- ``numeric_gradient``: groups of calls ``numeric_gradient(f, x, ...)`` with smooth test functions
  built here from their parameters (the grader computes their analytic gradients itself);
- ``momentum``: groups of steps of ``update_weights_momentum`` on fresh ``tf.Variable`` objects;
- ``train``: the chapter's from-scratch MNIST model, built from known-good classes of this
  module, trained with the student's ``update_weights_momentum`` (the recipe of
  ``benchmarks/momentum_seed_study.py``, which calls ``train_model`` below), trained weights back
  (the grader predicts the test classes itself).

Kernel-side: sent into the student's kernel as text with the generic runtime (standard library
and NumPy; TensorFlow imported inside the probes that need it); imported normally in the
grader's process, where the same probes run on the answer key.
"""

import math
import time

import numpy as np

from ..kernel_side import train
from ..kernel_side.mnist_file import initial_weights
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


def probe_calls(namespace, spec):
    """Each call of each group in turn; once one overruns the probe's limit, no other is run."""
    func = lookup(namespace, spec["object"])
    groups, last = {}, {}
    for name, calls in spec["groups"].items():
        groups[name] = []
        for call in calls:
            if timed_out(last):
                groups[name].append({**SKIPPED, "mutated": [False] * len(call["args"])})
                continue
            last = observe(func, [decode_arg(a) for a in call["args"]],
                           {k: decode_arg(v) for k, v in call.get("kwargs", {}).items()})
            groups[name].append(last)
    return {"groups": groups}


def probe_autodiff(namespace, spec):
    """A call with ``tf.GradientTape`` watched (any tape entered is counted, whatever name the
    class goes by), and the sources the static ban reads."""
    tf = _tf()
    func = lookup(namespace, spec["object"])
    opened = []
    original = tf.GradientTape.__enter__

    def watched(self):
        opened.append(1)
        return original(self)

    tf.GradientTape.__enter__ = watched
    try:
        call = observe(func, [decode_arg(a) for a in spec["args"]])
    finally:
        tf.GradientTape.__enter__ = original
    return {"tapes": len(opened), "call": call, "sources": collect_sources(func, namespace)}


# ------------------------------------------------------------------ numeric_gradient


def test_function(spec):
    """The scalar function a ``numeric_gradient`` call is given (the grader knows its gradient)."""
    kind = spec["kind"]
    if kind == "logsumexp":
        def f(v):
            v = np.asarray(v, dtype=np.float64).ravel()
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
    else:
        raise ValueError(f"unknown test function {kind!r}")
    if spec.get("shape"):  # called on a reshaping of the input: the function sees its own shape
        inner, shape = f, tuple(spec["shape"])

        def f(v):
            return inner(np.reshape(v, shape))
    return f


def probe_numeric_gradient(namespace, spec):
    """Each call ``numeric_gradient(f, x, **kwargs)`` of each group in turn (none after one
    overruns the probe's limit); with ``"record": true`` the points ``f`` was called at come back too."""
    func = lookup(namespace, "numeric_gradient")
    groups, last = {}, {}
    for name, calls in spec["groups"].items():
        groups[name] = []
        for call in calls:
            if timed_out(last):
                groups[name].append({**SKIPPED, "mutated": [False, False]})
                continue
            f, points = test_function(call["function"]), []
            if call.get("record"):
                inner = f

                def f(v, inner=inner, points=points):
                    if len(points) < MAX_POINTS:
                        points.append(encode_array(np.array(v, dtype=np.float64)))
                    return inner(v)
            last = observe(func, [f, decode(call["x"])], {k: decode(v) for k, v in call.get("kwargs", {}).items()})
            if call.get("record"):
                last["points"] = points
            groups[name].append(last)
    return {"groups": groups}


# ------------------------------------------------------------------ update_weights_momentum


def probe_momentum(namespace, spec):
    """Steps on fresh variables, in groups: each ``update_weights_momentum(gradients, weights,
    velocities, learning_rate, momentum)``, then the weights' and velocities' values."""
    tf = _tf()
    update = lookup(namespace, "update_weights_momentum")
    groups, last = {}, {}
    for name, steps in spec["groups"].items():
        groups[name] = []
        for step in steps:
            if timed_out(last):
                groups[name].append(dict(SKIPPED))
                continue
            weights = [tf.Variable(decode(w)) for w in step["weights"]]
            velocities = [tf.Variable(decode(v)) for v in step["velocities"]]
            gradients = [tf.constant(decode(g)) for g in step["gradients"]]
            last = observe(update, [gradients, weights, velocities, step["learning_rate"], step["momentum"]])
            del last["mutated"]
            last["weights"] = [encode_array(np.asarray(w.numpy())) for w in weights]
            last["velocities"] = [encode_array(np.asarray(v.numpy())) for v in velocities]
            groups[name].append(last)
    return {"groups": groups}


# ------------------------------------------------------------------ the training check


class Dense:
    """The chapter's ``NaiveDense`` (known good): ``activation(inputs @ W + b)``, W uniform in
    [0, 0.1), b zeros."""

    def __init__(self, input_size, output_size, activation):
        tf = _tf()
        self.activation = activation
        self.W = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))
        self.b = tf.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return self.activation(_tf().matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


class Sequential:
    """The chapter's ``NaiveSequential`` (known good)."""

    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs

    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]


class Batches:
    """The chapter's ``BatchGenerator`` (known good): in order, the last batch partial."""

    def __init__(self, images, labels, batch_size=128):
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        start, self.index = self.index, self.index + self.batch_size
        return self.images[start:self.index], self.labels[start:self.index]


def train_model(update, seed, data, epochs, batch_size, learning_rate, momentum, compiled=True):
    """A fresh chapter model trained with ``update``; returns (the model, seconds).

    ``data`` is ``(x_train, y_train)``, (n, 784) float32 in [0, 1]. The model starts from
    ``initial_weights(seed)`` (the grader recomputes them). The step is the chapter's
    ``one_training_step`` with ``update(gradients, weights, velocities, learning_rate,
    momentum)`` in place of ``update_weights``, one velocity variable per weight (zeros). The last
    layer outputs logits and the loss takes them (``from_logits=True``): compiled and eager steps
    then train alike (see the seed study). The step runs under ``tf.function`` when ``compiled``."""
    tf = _tf()
    x_train, y_train = data[:2]
    train.seed_everything(seed)
    model = Sequential([Dense(28 * 28, 512, tf.nn.relu), Dense(512, 10, tf.identity)])
    for weight, value in zip(model.weights, initial_weights(seed)):
        weight.assign(value)
    velocities = [tf.Variable(tf.zeros_like(w)) for w in model.weights]

    def one_training_step(images_batch, labels_batch):
        with tf.GradientTape() as tape:
            logits = model(images_batch)
            losses = tf.keras.losses.sparse_categorical_crossentropy(labels_batch, logits, from_logits=True)
            average_loss = tf.reduce_mean(losses)
        gradients = tape.gradient(average_loss, model.weights)
        update(gradients, model.weights, velocities, learning_rate, momentum)
        return average_loss

    step = tf.function(one_training_step, reduce_retracing=True) if compiled else one_training_step
    started = time.perf_counter()
    for _ in range(epochs):
        batches = Batches(x_train, y_train, batch_size)
        for _ in range(batches.num_batches):
            step(*batches.next())
    return model, time.perf_counter() - started


def probe_train(namespace, spec):
    """One attempt of the recipe with the student's ``update_weights_momentum`` (the seed the
    grader asks for; ``train.attempt``: under ``tf.function``, eagerly when the update does not
    trace); the trained weights back. The grader predicts the test classes and decides on a retry."""
    data = train.training_set()
    update = lookup(namespace, "update_weights_momentum")

    def trained(compiled):
        model, _ = train_model(update, spec["seed"], data, spec["epochs"], spec["batch_size"], spec["learning_rate"],
                               spec["momentum"], compiled)
        return model.weights

    return train.attempt(trained, spec["seed"])


PROBES = {
    "calls": probe_calls,
    "autodiff": probe_autodiff,
    "numeric_gradient": probe_numeric_gradient,
    "momentum": probe_momentum,
    "train": probe_train,
}
