"""How the chapter-2 objects are looked at, for the hidden probes and the notebook's
self-checks alike: a Keras model's structure and compile settings, a layer's weights and
output, a batch generator's batches, what an update, a training step and ``fit`` do. The probes
that need no stand-in are here (``PROBES``), and the self-checks' variants of those that do,
with neutral stand-ins: the same observations, judged by the same judges (``judges.py``).

Kernel-side (sent as text; NumPy, TensorFlow only inside the functions that need it). Nothing
here is an answer: it only calls the graded objects (the student's, or the answer key's when
the expected observations are made) and records what they do, in plain data. The self-checks
ship this module in the student notebook; the known-good stand-ins of ``probes.py`` never are.
"""

import types

import numpy as np

from ..kernel_side.runtime import (decode, describe_error, encode, encode_array, globals_of, lookup, swapped,
                                   tensor_kind_of)


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


def sequential(cls, layers, inputs):
    """``cls(layers)``: its weights (each kind and values), whether they are the layers' own
    objects, and its output on ``inputs``, observed apart (a failure costs its own cases only)."""
    model = cls(layers)
    own = [w for layer in layers for w in layer.weights]
    found = {}
    step(found, "weights", lambda: weights_payload(list(model.weights)))
    step(found, "same_objects", lambda: [any(w is k for k in own) for w in model.weights])
    step(found, "output", lambda: encode_array(np.asarray(model(inputs))))
    return found


def step(found, key, run):
    """``found[key] = run()``, or the error as ``found[key + "_error"]``: each property is
    observed on its own, so a bug in one step costs that step's cases only."""
    try:
        found[key] = run()
    except Exception as error:
        found[key + "_error"] = step_error(error)


def training_step(one_training_step, scope, model, update, images, labels):
    """One ``one_training_step(model, images, labels)`` with the global ``update_weights``
    replaced by ``update``: the loss returned and the model's weights afterwards."""
    with swapped(scope, {"update_weights": update}):
        loss = one_training_step(model, images, labels)
    return {"loss": encode(loss), "weights": [encode_array(np.asarray(w)) for w in model.weights]}


def fit_sizes(fit, scope, model, generator, images, labels, epochs, batch_size):
    """The batch sizes ``fit`` hands to ``one_training_step`` (a counter, nothing trained),
    with ``BatchGenerator`` replaced by ``generator``."""
    sizes = []

    def record_step(model, images_batch, labels_batch):
        sizes.append(int(len(images_batch)))
        if len(sizes) > 10_000:
            raise RuntimeError("one_training_step가 너무 많이 호출되었습니다")
        return _tf().constant(0.5)

    with swapped(scope, {"one_training_step": record_step, "BatchGenerator": generator}):
        fit(model, images, labels, epochs=epochs, batch_size=batch_size)
    return {"sizes": sizes}


def fresh_optimizers(namespace):
    """New copies of Keras optimizers found in the namespace: a Keras 3 optimizer only
    updates the variables it was first built with, and the probes use new variables."""
    tf = _tf()
    fresh = {}
    for name, value in list(namespace.items()):
        if isinstance(value, tf.keras.optimizers.Optimizer):
            fresh[name] = type(value).from_config(value.get_config())
    return fresh


# ----------------------------------------------------------------------------- the probes
# Probes with no stand-in run the same on the hidden inputs and on the self-checks' public ones;
# ``probes.py`` adds those that need a known-good stand-in (never sent to a student notebook).


def probe_keras_model(namespace, spec):
    """Structure of ``build_model()`` and its output on a small batch."""
    _tf().keras.utils.set_random_seed(0)  # the same initial weights every time: a reproducible output
    # float32 as the model takes it: the self-check's batch travels as bytes (0-255)
    return keras_model(lookup(namespace, "build_model")(), np.asarray(decode(spec["batch"]), dtype=np.float32))


def probe_naive_dense(namespace, spec):
    """The layer built (a failure here stops everything, said once), then its weights and its
    output observed apart."""
    tf = _tf()
    tf.random.set_seed(spec["seed"])
    layer = lookup(namespace, "NaiveDense")(
        input_size=spec["input_size"], output_size=spec["output_size"], activation=tf.nn.relu)
    found = {}
    step(found, "weights", lambda: weights_payload(list(layer.weights)))
    step(found, "output", lambda: encode_array(np.asarray(layer(decode(spec["inputs"])))))
    return found


def probe_batch_generator(namespace, spec):
    images, labels = decode(spec["images"]), decode(spec["labels"])
    return batches(lookup(namespace, "BatchGenerator"), images, labels, spec.get("batch_size"),
                   spec.get("next_calls"))


class Holder:
    """A global ``model`` that only holds weights (the decoy of ``update_weights``)."""

    def __init__(self, weights):
        self.weights = weights


def probe_update_weights(namespace, spec):
    """``update_weights`` on given weights while the global ``model`` holds those same weights
    ("given": only the update itself is judged) or a decoy ("decoy": it must stay as it was)."""
    function = lookup(namespace, "update_weights")
    scope = globals_of(function, namespace)
    decoy = Holder([_tf().Variable(decode(w)) for w in spec["decoy"]]) if spec.get("global_model") == "decoy" else None
    with swapped(scope, fresh_optimizers(scope)):
        # Raw values only: the comparison happens in the grader's process, out of reach of a
        # patched NumPy in this one.
        return update(function, scope, [decode(w) for w in spec["weights"]],
                      [decode(g) for g in spec["gradients"]], decoy)


# The self-checks' stand-ins: neutral helpers, not answers, so the same observations as the
# hidden probes' can be made in a student notebook.


class ScaleLayer:
    """A layer that is not a dense layer: x * factor + shift, with weights of its own (unused)."""

    def __init__(self, factor, shift, shapes):
        tf = _tf()
        self.factor, self.shift = factor, shift
        self._weights = [tf.Variable(np.full(shape, 0.5, np.float32)) for shape in shapes]

    def __call__(self, x):
        return np.asarray(x) * self.factor + self.shift

    @property
    def weights(self):
        return self._weights


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


def write_gradients(gradients, weights):
    """Not an update: each weight takes its gradient's value, so the weights afterwards show
    which gradients reached which weights."""
    for gradient, weight in zip(gradients, weights):
        weight.assign(gradient)


class FirstBatches:
    """Not a batch generator: ``len(images) // batch_size`` batches, each the first
    ``batch_size`` samples, so the sizes ``fit`` trains on show the batch size it asked for."""

    def __init__(self, images, labels, batch_size=128):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.num_batches = len(images) // batch_size

    def next(self):
        return self.images[:self.batch_size], self.labels[:self.batch_size]


def probe_scaled_sequential(namespace, spec):
    """``NaiveSequential`` (as ``probes.probe_naive_sequential``) on ``ScaleLayer``s."""
    layers = [ScaleLayer(layer["factor"], layer["shift"], layer["shapes"]) for layer in spec["layers"]]
    return sequential(lookup(namespace, "NaiveSequential"), layers, decode(spec["inputs"]))


def probe_softmax_training_step(namespace, spec):
    """``one_training_step`` (as ``probes.probe_training_step``) on a ``SoftmaxModel``, with
    ``write_gradients`` as ``update_weights``."""
    function = lookup(namespace, "one_training_step")
    return training_step(function, globals_of(function, namespace), SoftmaxModel(decode(spec["W"])),
                         write_gradients, decode(spec["images"]), decode(spec["labels"]))


def probe_fit_first_batches(namespace, spec):
    """``fit`` (as ``probes.probe_fit``) with ``FirstBatches`` as ``BatchGenerator``."""
    function = lookup(namespace, "fit")
    return fit_sizes(function, globals_of(function, namespace), Holder([]), FirstBatches, decode(spec["images"]),
                     decode(spec["labels"]), spec["epochs"], spec["batch_size"])


PROBES = {
    "keras_model": probe_keras_model,
    "naive_dense": probe_naive_dense,
    "batch_generator": probe_batch_generator,
    "update_weights": probe_update_weights,
    "scaled_sequential": probe_scaled_sequential,
    "softmax_training_step": probe_softmax_training_step,
    "fit_first_batches": probe_fit_first_batches,
}


def decoded(spec, *names):
    return [decode(spec[name]) for name in names]
