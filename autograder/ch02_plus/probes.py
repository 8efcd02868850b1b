"""The probes of "2장 심화" (ch02_plus): the observations of ``observe.py`` (calls, autodiff,
numeric_gradient, momentum), and the training check: the chapter's from-scratch MNIST model,
built from known-good classes of this module, trained with the student's
``update_weights_momentum`` (the recipe of ``benchmarks/momentum_seed_study.py``, which calls
``train_model`` below), trained weights back (the grader predicts the test classes itself).

Kernel-side: sent into the student's kernel as text with the generic runtime (standard library
and NumPy; TensorFlow imported inside the probes that need it); imported normally in the
grader's process, where the same probes run on the answer key. The known-good classes are
answers of a sort: this module is never put in a student notebook.
"""

import math
import time

from ..kernel_side import train
from ..kernel_side.mnist_file import initial_weights
from ..kernel_side.runtime import lookup
from .observe import probe_autodiff, probe_calls, probe_momentum, probe_numeric_gradient


def _tf():
    import tensorflow as tf

    return tf


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
