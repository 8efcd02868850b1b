"""The training check's kernel side, for every assignment: the seeds, the training set, one
attempt (compiled with ``tf.function``, else eagerly) and the trained weights back as plain
arrays. The grader side (accuracy, the retry policy) is ``autograder/training.py``.

Kernel-side (sent as text, standard library and NumPy; TensorFlow inside the functions).
"""

import random
import time

import numpy as np

from .mnist_file import MODEL_SHAPES, read as read_mnist
from .runtime import ProbeTimeout, encode, quiet, training_device


def seed_everything(seed):
    """Python's, NumPy's and TensorFlow's generators: student code may draw from any of them."""
    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def flat_images(images):
    """(n, 28, 28) uint8 -> (n, 784) float32 in [0, 1], as the chapter prepares them."""
    return images.reshape((len(images), 28 * 28)).astype("float32") / 255


def mnist(path=None):
    """``(x_train, y_train), (x_test, y_test)`` from ``path`` or $MNIST_NPZ (the grader's copy:
    no test labels, and in the training kernel no test images), else through Keras."""
    import os

    path = path or os.environ.get("MNIST_NPZ")
    try:
        if path:
            return read_mnist(path)
        from keras.datasets import mnist as keras_mnist

        return keras_mnist.load_data()
    except Exception as error:
        raise RuntimeError(f"MNIST 데이터를 불러올 수 없습니다 ({type(error).__name__}: {error})") from None


def training_set():
    """MNIST's training set, (n, 784) float32 in [0, 1], and its labels."""
    (x_train, y_train), _ = mnist()
    return flat_images(x_train), y_train


def plain(weight):
    """A weight as an array, whatever variable holds it (``tf.Variable``, Keras 3's
    ``keras.Variable``): the grader checks the values, not the variable's type."""
    numpy = getattr(weight, "numpy", None)
    return encode(np.array(numpy()) if callable(numpy) else weight)


def trained_weights(weights):
    """The weights in W1, b1, W2, b2 order (found by shape, whatever the model's order), plain
    data; as they come when a shape is missing (the grader says which)."""
    free, chosen = list(weights), []
    for shape in MODEL_SHAPES:
        index = next((i for i, w in enumerate(free) if tuple(getattr(w, "shape", ())) == shape), None)
        if index is None:
            return [plain(w) for w in weights]
        chosen.append(free.pop(index))  # by position: == on variables compares elementwise
    return [plain(w) for w in chosen]


def attempt(train, seed):
    """One attempt of a training check: ``train(compiled)`` builds and trains a fresh model and
    returns its weights; it runs seeded, quietly, with the step under ``tf.function`` and, when
    tracing fails, once more eagerly. Returns the observation the grader's ``training`` reads."""
    device, compiled = training_device(), True
    while True:
        seed_everything(seed)
        started = time.perf_counter()
        try:
            with quiet():
                weights = list(train(compiled))
        except ProbeTimeout:
            raise
        except Exception:
            if compiled:
                compiled = False  # tracing failed: the same attempt again, eagerly
                continue
            raise
        break
    return {"seed": seed, "compiled": compiled, "seconds": time.perf_counter() - started, "device": device,
            "weights": trained_weights(weights)}
