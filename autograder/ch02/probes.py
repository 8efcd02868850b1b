"""The chapter-2 assignment's own probes: the Keras model of 2.1 and the from-scratch model of
2.5 (known-good stand-ins, so each class and function is checked on its own, and the
training check).

Kernel-side: sent into the student's kernel as text with the generic runtime; imported
normally in the grader's process, where the same probes run on the answer key. The
known-good stand-ins here are answers of a sort: this module is never put in a student
notebook (the self-checks use ``observe.py`` and ``selfchecks.py`` only).
"""

import math

import numpy as np

from ..kernel_side import train
from ..kernel_side.mnist_file import initial_weights
from ..kernel_side.runtime import STAND_IN, decode, encode, encode_array, globals_of, lookup, swapped
from . import observe


def _tf():
    import tensorflow as tf

    return tf


def probe_keras_model(namespace, spec):
    """Structure of ``build_model()`` and its output on a small batch."""
    _tf().keras.utils.set_random_seed(0)  # the same initial weights every time: a reproducible output
    return observe.keras_model(lookup(namespace, "build_model")(), decode(spec["batch"]))


class _Layer:
    """A known-good dense layer, so NaiveSequential can be checked on its own."""

    def __init__(self, W, b, activation):
        tf = _tf()
        self.W, self.b, self.activation = tf.Variable(W), tf.Variable(b), activation

    def __call__(self, inputs):
        return self.activation(_tf().matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


class _Model:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs

    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]


def _step(found, key, run):
    """``found[key] = run()``, or the error as ``found[key + "_error"]``: each property is
    observed on its own, so a bug in one step costs that step's cases only."""
    try:
        found[key] = run()
    except Exception as error:
        found[key + "_error"] = observe.step_error(error)


def probe_naive_dense(namespace, spec):
    """The layer built (a failure here stops everything, said once), then its weights and its
    output observed apart."""
    tf = _tf()
    tf.random.set_seed(spec["seed"])
    layer = lookup(namespace, "NaiveDense")(
        input_size=spec["input_size"], output_size=spec["output_size"], activation=tf.nn.relu)
    found = {}
    _step(found, "weights", lambda: observe.weights_payload(list(layer.weights)))
    _step(found, "output", lambda: encode_array(np.asarray(layer(decode(spec["inputs"])))))
    return found


def _activation(name):
    tf = _tf()
    return {"relu": tf.nn.relu, "softmax": tf.nn.softmax}[name]


def _known_model(spec):
    return _Model([_Layer(decode(l["W"]), decode(l["b"]), _activation(l["activation"]))
                   for l in spec["layers"]])


def probe_naive_sequential(namespace, spec):
    known = _known_model(spec)
    model = lookup(namespace, "NaiveSequential")(known.layers)
    found = {}
    _step(found, "weights", lambda: observe.weights_payload(list(model.weights)))
    _step(found, "same_objects", lambda: [any(w is k for k in known.weights) for w in model.weights])
    _step(found, "output", lambda: encode_array(np.asarray(model(decode(spec["inputs"])))))
    return found


def probe_batch_generator(namespace, spec):
    images, labels = decode(spec["images"]), decode(spec["labels"])
    return observe.batches(lookup(namespace, "BatchGenerator"), images, labels, spec.get("batch_size"),
                           spec.get("next_calls"))


def fresh_optimizers(namespace):
    """New copies of Keras optimizers found in the namespace: a Keras 3 optimizer only
    updates the variables it was first built with, and the probes use new variables."""
    tf = _tf()
    fresh = {}
    for name, value in list(namespace.items()):
        if isinstance(value, tf.keras.optimizers.Optimizer):
            fresh[name] = type(value).from_config(value.get_config())
    return fresh


def probe_update_weights(namespace, spec):
    """``update_weights`` on given weights while the global ``model`` holds those same weights
    ("given": only the update itself is judged) or a decoy ("decoy": it must stay as it was)."""
    update = lookup(namespace, "update_weights")
    scope = globals_of(update, namespace)
    decoy = _known_model(spec["decoy"]) if spec.get("global_model") == "decoy" else None
    with swapped(scope, fresh_optimizers(scope)):
        # Raw values only: the comparison happens in the grader's process, out of reach of a
        # patched NumPy in this one.
        return observe.update(update, scope, [decode(w) for w in spec["weights"]],
                              [decode(g) for g in spec["gradients"]], decoy)


def probe_public_training_step(namespace, spec):
    """The self-check's training step (``observe.training_step``), on the answer key."""
    step = lookup(namespace, "one_training_step")
    return observe.training_step(step, globals_of(step, namespace), *observe.decoded(spec, "W", "images", "labels"))


def probe_public_fit(namespace, spec):
    """The self-check's ``fit`` (``observe.fit_calls``), on the answer key."""
    fit = lookup(namespace, "fit")
    return observe.fit_calls(fit, globals_of(fit, namespace), *observe.decoded(spec, "images", "labels"),
                             spec["epochs"], spec["batch_size"], spec["num_batches"])


def _naive_vector_dot(x, y):
    """A known-good ``naive_vector_dot``: the other dot products that call it are checked with
    this one, so a bug in the student's costs its own cases only."""
    assert len(x.shape) == 1 and len(y.shape) == 1 and x.shape[0] == y.shape[0]
    z = 0.
    for i in range(x.shape[0]):
        z += x[i] * y[i]
    return z


def _sgd_update(gradients, weights):
    for gradient, weight in zip(gradients, weights):
        weight.assign_sub(gradient * 1e-3)


def probe_training_step(namespace, spec):
    step = lookup(namespace, "one_training_step")
    model = _known_model(spec)
    images, labels = decode(spec["images"]), decode(spec["labels"])
    with swapped(globals_of(step, namespace), {"update_weights": _sgd_update}):
        loss = step(model, images, labels)
    return {"loss": encode(loss), "weights": [encode_array(np.asarray(w)) for w in model.weights]}


class _Batches:
    """A known-good BatchGenerator, so ``fit`` is checked on its own."""

    def __init__(self, images, labels, batch_size=128):
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        start, self.index = self.index, self.index + self.batch_size
        return self.images[start:self.index], self.labels[start:self.index]


def probe_fit(namespace, spec):
    """The batch sizes ``fit`` hands to ``one_training_step`` (recorded, not trained on)."""
    fit = lookup(namespace, "fit")
    sizes = []

    def record_step(model, images_batch, labels_batch):
        sizes.append(int(len(images_batch)))
        if len(sizes) > 10_000:
            raise RuntimeError("one_training_step가 너무 많이 호출되었습니다")
        return _tf().constant(0.5)

    images, labels = decode(spec["images"]), decode(spec["labels"])
    with swapped(globals_of(fit, namespace), {"one_training_step": record_step, "BatchGenerator": _Batches}):
        fit(_Model([]), images, labels, epochs=spec["epochs"], batch_size=spec["batch_size"])
    return {"sizes": sizes}


def start_from(weights, seed):
    """Sets the model's variables (found by shape, whatever their order) to ``initial_weights(seed)``."""
    start = initial_weights(seed)
    if len(weights) != len(start):
        raise ValueError(f"model.weights는 가중치 {len(start)}개(W, b, W, b)여야 합니다: 받은 {len(weights)}개")
    free = list(weights)
    for value in start:
        match = next((w for w in free if tuple(getattr(w, "shape", ())) == value.shape and hasattr(w, "assign")), None)
        if match is None:
            raise ValueError(f"model.weights에 모양 {value.shape}인 변수(tf.Variable)가 없습니다")
        free.remove(match)
        match.assign(_tf().cast(value, match.dtype))


def probe_train(namespace, spec):
    """One attempt of the course's experiment with the student's classes and functions: a fresh
    two-layer model started from ``initial_weights(seed)``, ``fit`` for the given epochs, and the
    trained weights back (``train.attempt``: seeded, ``tf.function`` when the step traces, about
    2.4x faster on CPU, else eagerly). The grader predicts the test classes itself
    (``autograder.training``), and decides on a retry with the next seed: the test set is never
    in this kernel."""
    tf = _tf()
    x_train, y_train = train.training_set()
    make_layer, make_model = lookup(namespace, "NaiveDense"), lookup(namespace, "NaiveSequential")
    fit, step = lookup(namespace, "fit"), lookup(namespace, "one_training_step")

    def trained(compiled):
        model = make_model([
            make_layer(input_size=28 * 28, output_size=512, activation=tf.nn.relu),
            make_layer(input_size=512, output_size=10, activation=tf.nn.softmax),
        ])
        start_from(list(model.weights), spec["seed"])
        chosen = tf.function(step, reduce_retracing=True) if compiled else step
        scope = globals_of(fit, namespace)
        # The global ``model`` is the model being trained, as in the notebook: the course
        # text's update_weights slip (model.weights) costs the update_weights cases only.
        update_scope = globals_of(namespace.get("update_weights"), namespace)
        with swapped(update_scope, {"model": model}), \
                swapped(scope, {"one_training_step": chosen, **fresh_optimizers(scope)}):
            fit(model, x_train, y_train, epochs=spec["epochs"], batch_size=spec["batch_size"])
        return model.weights

    return train.attempt(trained, spec["seed"])


PROBES = {
    "keras_model": probe_keras_model,
    "naive_dense": probe_naive_dense,
    "naive_sequential": probe_naive_sequential,
    "batch_generator": probe_batch_generator,
    "update_weights": probe_update_weights,
    "training_step": probe_training_step,
    "fit": probe_fit,
    "train": probe_train,
    "public_training_step": probe_public_training_step,
    "public_fit": probe_public_fit,
    STAND_IN + "naive_vector_dot": _naive_vector_dot,
}


