"""Answer key of the tiny test assignment."""

import time

import numpy as np


def scale(x, factor):
    return x * factor


def slow_total(x):
    time.sleep(1.0)  # stands for a slow check (a real assignment's training): its result is cached
    return np.sum(x)
