"""Reading an MNIST file in Keras's layout: the one reader of the kit.

Kernel-side (sent as text, NumPy only): the training check reads MNIST with it inside the
student's kernel, and the grader reads the test labels with it in its own process.
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
