"""Answer key of the tiny test assignment."""

import time

import numpy as np


def scale(x, factor):
    return x * factor


def slow_total(x):
    # Slow where a student's code runs (a notebook's cell, a kernel: ``__main__``), standing for a
    # real assignment's training, whose result is cached. The grader's own copy (the answer key's
    # observations, computed by every `grade` and `build`) need not wait.
    if __name__ == "__main__":
        time.sleep(1.0)
    return np.sum(x)
