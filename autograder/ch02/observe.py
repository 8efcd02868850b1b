"""How the chapter-2 objects are looked at, for the hidden probes (``probes.py``) and the
notebook's self-checks (``selfchecks.py``) alike: a Keras model's structure and compile
settings, a batch generator's batches, what an update, a training step and ``fit`` do.

Kernel-side (sent as text; NumPy, TensorFlow only inside the functions that need it). Nothing
here is an answer: it only calls the graded objects (the student's, or the answer key's when
the expected observations are made) and records what they do, in plain data. The self-checks
ship this module in the student notebook; the known-good stand-ins of ``probes.py`` never are.
"""

import types

import numpy as np

from ..kernel_side.runtime import decode, describe_error, encode, encode_array, swapped, tensor_kind_of


def _tf():
    import tensorflow as tf

    return tf


def name_of(thing):
    """``"relu"`` for "relu", keras.activations.relu, tf.nn.relu or a Loss/Metric object."""
    if thing is None or isinstance(thing, str):
        return thing
    name = getattr(thing, "name", None) or getattr(thing, "__name__", None)
    return name if isinstance(name, str) else repr(thing)[:80]


def keras_model(model, batch):
    """Structure, compile settings and output on ``batch`` of a Keras model."""
    tf = _tf()
    info = {"class": f"{type(model).__module__}.{type(model).__name__}",
            "is_sequential": isinstance(model, tf.keras.Sequential)}
    layers = []
    for layer in getattr(model, "layers", []):
        activation = getattr(layer, "activation", None)  # keras.activations.relu or tf.nn.relu
        layers.append({"class": type(layer).__name__, "units": getattr(layer, "units", None),
                       "activation": (name_of(activation) or "").removesuffix("_v2")})  # tf.nn.softmax
    info["layers"] = layers
    optimizer = getattr(model, "optimizer", None)
    info["optimizer"] = type(optimizer).__name__ if optimizer is not None else None
    info["loss"] = name_of(getattr(model, "loss", None))
    metrics = []
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None:
        metrics = compile_config.config.get("metrics") or []
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    info["metrics"] = [name_of(m) for m in metrics]
    info["compiled"] = bool(getattr(model, "compiled", False))
    output = model(batch)
    info["output"] = encode_array(np.asarray(output))
    return info


def step_error(error):
    """A step's error as plain data; an AttributeError also lists the object's public names
    (a misnamed method: ``next_batch`` where ``next`` is called)."""
    found = describe_error(error)
    target = getattr(error, "obj", None)
    if isinstance(error, AttributeError) and target is not None:
        found["names"] = sorted(name for name in dir(target)
                                if not name.startswith("_") and callable(getattr(target, name, None)))[:40]
    return found


def weights_payload(weights):
    """Each weight's kind and values; an item that is itself a list (``weights.append(layer.weights)``
    makes a list of lists) is recorded as such, with its length."""
    found = []
    for w in weights:
        if isinstance(w, (list, tuple)):
            found.append({"kind": "list", "trainable": False, "length": len(w), "shape": None})
        else:
            kind = tensor_kind_of(w) or f"{type(w).__module__.split('.')[0]}.{type(w).__name__}"
            found.append({"kind": kind,
                          "trainable": bool(getattr(w, "trainable", False)), **encode_array(np.asarray(w))})
    return found


def nested_weights(payload):
    """A Korean sentence when ``weights`` is a list of lists (``append`` instead of ``extend``),
    else None."""
    nested = [w["length"] for w in payload if w.get("kind") == "list"]
    if not nested:
        return None
    return (f"weights가 리스트의 리스트입니다(항목 {len(payload)}개 중 {len(nested)}개가 리스트). "
            "층마다 weights를 append하면 이렇게 됩니다. 변수들을 한 줄로 이어 붙인 리스트여야 하므로 "
            "extend나 +=로 더하세요.")


def batches(cls, images, labels, batch_size=None, next_calls=None):
    """``num_batches`` of a batch generator and what ``next()`` returns, ``next_calls`` times
    (by default ``num_batches`` times), observed apart: a generator without ``num_batches`` is
    still asked for its batches, and one whose ``next`` is missing still has its count."""
    kwargs = {"batch_size": batch_size} if batch_size else {}
    generator = cls(images, labels, **kwargs)
    found, valid = {"batches": []}, False
    try:
        num_batches = generator.num_batches
        valid = type(num_batches) in (int, np.int64, np.int32) and 0 <= num_batches <= 10_000
        found["num_batches"] = int(num_batches) if valid else repr(num_batches)[:80]
    except Exception as error:
        found["num_batches_error"] = step_error(error)
    count = next_calls if next_calls is not None else (found["num_batches"] if valid else 0)
    try:
        for _ in range(count):
            batch_images, batch_labels = generator.next()
            found["batches"].append({"images": encode_array(np.asarray(batch_images)),
                                     "labels": encode_array(np.asarray(batch_labels))})
    except Exception as error:
        found["next_error"] = step_error(error)
    return found


def update(update_weights, scope, weights, gradients, global_model):
    """Call ``update_weights(gradients, weights)`` while the global name ``model`` is
    ``global_model`` (an object with ``weights``); the values of both afterwards."""
    tf = _tf()
    variables = [tf.Variable(w) for w in weights]
    model = global_model if global_model is not None else types.SimpleNamespace(weights=variables)
    with swapped(scope, {"model": model}):
        update_weights([tf.constant(g) for g in gradients], variables)
    return {"weights": [encode_array(np.asarray(w)) for w in variables],
            "global": [encode_array(np.asarray(w)) for w in model.weights]}


class SoftmaxModel:
    """A one-matrix model, softmax(x W), for checking a training step on its own."""

    def __init__(self, W):
        self.W = _tf().Variable(W)

    def __call__(self, inputs):
        tf = _tf()
        return tf.nn.softmax(tf.matmul(inputs, self.W))

    @property
    def weights(self):
        return [self.W]


def training_step(step, scope, W, images, labels):
    """One ``one_training_step(model, images, labels)`` on a ``SoftmaxModel``, with
    ``update_weights`` replaced by a recorder: the loss returned and the update asked for."""
    model = SoftmaxModel(W)
    calls = []

    def record(gradients, weights):
        calls.append({"gradients": [None if g is None else encode_array(np.asarray(g)) for g in gradients],
                      "same_weights": len(weights) == len(model.weights)
                      and all(a is b for a, b in zip(weights, model.weights))})

    with swapped(scope, {"update_weights": record}):
        loss = step(model, images, labels)
    return {"loss": encode(loss), "calls": calls}


def fit_calls(fit, scope, images, labels, epochs, batch_size, num_batches):
    """``fit(model, images, labels, epochs, batch_size)`` with ``BatchGenerator`` replaced by a
    recorder of the batch sizes asked for (each giving ``num_batches`` one-sample batches) and
    ``one_training_step`` by a counter."""
    generators, steps = [], []

    class Recorder:
        def __init__(self, images, labels, batch_size=128):
            generators.append(int(batch_size))
            self.images, self.labels, self.num_batches = images, labels, num_batches

        def next(self):
            return self.images[:1], self.labels[:1]

    def step(model, images_batch, labels_batch):
        steps.append(int(len(images_batch)))
        if len(steps) > 10_000:
            raise RuntimeError("one_training_step가 너무 많이 호출되었습니다")
        return _tf().constant(0.5)

    with swapped(scope, {"BatchGenerator": Recorder, "one_training_step": step}):
        fit(types.SimpleNamespace(weights=[]), images, labels, epochs=epochs, batch_size=batch_size)
    return {"generators": generators, "steps": len(steps)}


def decoded(spec, *names):
    return [decode(spec[name]) for name in names]
