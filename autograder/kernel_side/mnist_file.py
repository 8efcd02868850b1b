"""Reading an MNIST file in Keras's layout: the one reader of the kit; and where the training
check's model starts.

Kernel-side (sent as text, NumPy only): the training check reads MNIST's training set with it
inside the student's kernel, and the grader reads the test set with it in its own process.
"""

import numpy as np

KEYS = ("x_train", "y_train", "x_test", "y_test")


def read(path):
    """``(x_train, y_train), (x_test, y_test)`` exactly as ``keras.datasets.mnist.load_data()``."""
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in KEYS if key not in data]
        if missing:
            raise ValueError(f"{path}: not a Keras-layout mnist.npz (missing {missing})")
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


# The training check's model: Dense(512, relu), Dense(10); weights W1, b1, W2, b2.
MODEL_SHAPES = ((28 * 28, 512), (512,), (512, 10), (10,))


def initial_weights(seed):
    """The chapter's initialisation (W uniform in [0, 0.1), b zeros), drawn from ``seed`` with
    NumPy: every model the training check trains starts here, and the grader recomputes it to see
    that training moved the weights."""
    generator = np.random.default_rng([20260903, seed])
    return [generator.uniform(0, 0.1, shape).astype(np.float32) if len(shape) == 2 else np.zeros(shape, np.float32)
            for shape in MODEL_SHAPES]
