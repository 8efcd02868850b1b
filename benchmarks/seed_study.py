"""Seed study for the training check (q8): the reference model, trained exactly as the
hidden check trains a submission, over many seeds and with its weights created in either
order (W then b, as in the course, and b then W). Prints one line per run and a summary.

    python benchmarks/seed_study.py --seeds 30 [--mnist PATH]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import numpy as np
import tensorflow as tf

import solutions.ch02 as reference
from autograder import mnist
from autograder.ch02 import probes
from autograder.ch02.q8_from_scratch import RETRY_FLOOR, TRAINING_BAR, TRAINING_BATCH, TRAINING_EPOCHS
from autograder.kernel_side import runtime


class BiasFirstDense(reference.NaiveDense):
    """The reference layer with its variables created in the other order."""

    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.b = tf.Variable(tf.zeros((output_size,)))
        self.W = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))


def accuracy(namespace, seed, labels):
    """The check's own probe (``probes.probe_train``) on the answer key, one seed, scored as the
    grader scores it (``autograder.training``: the known-good forward pass on the trained weights)."""
    from autograder import training

    spec = {"op": "train", "epochs": TRAINING_EPOCHS, "batch_size": TRAINING_BATCH, "seed": seed, "limit": 0}
    observation = runtime.run_probe(spec, namespace, {**runtime.GENERIC_PROBES, **probes.PROBES})
    assert observation["ok"], observation
    attempt = training.attempt_of(observation, seed)
    return training.accuracy_of(attempt), attempt["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--mnist", default=None)
    args = parser.parse_args()
    path = mnist.resolve(args.mnist)
    os.environ[mnist.ENV_VAR] = str(path)  # the probe reads MNIST where a kernel would
    labels = mnist.load(path)[1][1]
    namespace = vars(reference)
    results = {}
    for order, layer in (("W first", reference.NaiveDense), ("b first", BiasFirstDense)):
        values = []
        with runtime.swapped(namespace, {"NaiveDense": layer}):
            for seed in range(args.seeds):
                value, seconds = accuracy(namespace, seed, labels)
                values.append(value)
                print(f"{order:8s} seed {seed:3d}: accuracy {value:.4f} ({seconds:.1f} s)", flush=True)
        results[order] = values
    print()
    everything = [v for values in results.values() for v in values]
    for order, values in [*results.items(), ("all", everything)]:
        print(f"{order:8s}: n={len(values)} min={min(values):.4f} mean={statistics.mean(values):.4f} "
              f"sd={statistics.stdev(values):.4f} max={max(values):.4f} "
              f"below {TRAINING_BAR}: {sum(v < TRAINING_BAR for v in values)}")
    mean, sd = statistics.mean(everything), statistics.stdev(everything)
    z = (mean - TRAINING_BAR) / sd
    single = 0.5 * math.erfc(z / math.sqrt(2))
    print(f"normal model: one attempt fails with p = {single:.2e} (z = {z:.1f}); "
          f"with up to 3 seeds (retry while accuracy in [{RETRY_FLOOR}, {TRAINING_BAR})): p = {single ** 3:.2e}")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"took {time.time() - started:.0f} s")
