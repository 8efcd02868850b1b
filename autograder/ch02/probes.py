"""The chapter-2 assignment's probes that need a known-good stand-in (so each class and
function of 2.5 is checked on its own) and the training check; the others are in ``observe.py``.

Kernel-side: sent into the student's kernel as text with the generic runtime; imported
normally in the grader's process, where the same probes run on the answer key. The
known-good stand-ins here are answers of a sort: this module is never put in a student
notebook (the self-checks use ``observe.py`` and ``judges.py`` only).
"""

import math

from ..kernel_side import train
from ..kernel_side.mnist_file import initial_weights
from ..kernel_side.runtime import STAND_IN, decode, globals_of, lookup, swapped
from . import observe
from .observe import fresh_optimizers


def _tf():
    import tensorflow as tf

    return tf


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


def _activation(name):
    tf = _tf()
    return {"relu": tf.nn.relu, "softmax": tf.nn.softmax}[name]


def _known_model(spec):
    return _Model([_Layer(decode(l["W"]), decode(l["b"]), _activation(l["activation"]))
                   for l in spec["layers"]])


def probe_naive_sequential(namespace, spec):
    """``NaiveSequential`` on known-good dense layers (``observe.sequential``)."""
    return observe.sequential(lookup(namespace, "NaiveSequential"), _known_model(spec).layers, decode(spec["inputs"]))


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
    """``one_training_step`` on a known-good model, with a known-good ``update_weights``
    (``observe.training_step``)."""
    step = lookup(namespace, "one_training_step")
    return observe.training_step(step, globals_of(step, namespace), _known_model(spec), _sgd_update,
                                 decode(spec["images"]), decode(spec["labels"]))


class _Batches:
    """A known-good BatchGenerator, so ``fit`` is checked on its own."""

    def __init__(self, images, labels, batch_size=128):
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        start, self.index = self.index, self.index + self.batch_size
        return self.images[start:self.index], self.labels[start:self.index]


def probe_fit(namespace, spec):
    """The batch sizes ``fit`` hands to ``one_training_step`` with a known-good ``BatchGenerator``
    (``observe.fit_sizes``: recorded, not trained on)."""
    fit = lookup(namespace, "fit")
    return observe.fit_sizes(fit, globals_of(fit, namespace), _Model([]), _Batches, decode(spec["images"]),
                             decode(spec["labels"]), spec["epochs"], spec["batch_size"])


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
    "naive_sequential": probe_naive_sequential,
    "training_step": probe_training_step,
    "fit": probe_fit,
    "train": probe_train,
    STAND_IN + "naive_vector_dot": _naive_vector_dot,
}


