"""The cost of one submission whose training is served from the cache, against its floor: a
kernel started the way grading starts it (sandbox, harness cell) that imports TensorFlow and
does nothing else. Measured in one run, so the ratio holds even on a busy machine.

For each: wall seconds and core-seconds (this process and its kernels), median of ``--repeat``
runs; and for the graded submission where its time goes (starting kernels, running cells,
probes). The notebook is graded twice: running only the cells grading needs (``sliced``, the
default) and every cell (as before, ``--whole`` shows it).

    python benchmarks/floor.py [--assignment ch02] [--repeat 3] [--mnist PATH] [--no-whole]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psutil

from autograder import assignment as registry
from autograder import mnist
from autograder.engine import sandbox
from autograder.engine.cache import ProbeCache
from autograder.engine.grade import expected_observations, grade_notebook
from autograder.engine.kernel import KernelSession, KernelSetup, Limits
from autograder.targets.build import student_and_solution
from autograder.targets.notebooks import write_notebook


class CoreSeconds:
    """CPU seconds (user + system) of this process and every process it starts while in the
    block (kernels, the sandbox, their children), sampled every 0.1 s: a kernel's time counts up
    to its last sample before it ends (a kernel in the sandbox is never waited for by this
    process, so ``RUSAGE_CHILDREN`` would miss it)."""

    def __init__(self):
        self.children: dict[int, float] = {}
        self._stop = threading.Event()

    @staticmethod
    def _cpu(process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def _sample(self):
        me = psutil.Process()
        while True:
            for child in me.children(recursive=True):
                try:
                    self.children[child.pid] = self._cpu(child)
                except psutil.Error:
                    pass
            if self._stop.wait(0.1):
                return

    def __enter__(self):
        self._own = self._cpu(psutil.Process())
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seconds = self._cpu(psutil.Process()) - self._own + sum(self.children.values())


@contextlib.contextmanager
def measured(into: list):
    wall = time.perf_counter()
    with CoreSeconds() as cpu:
        yield
    into.append((time.perf_counter() - wall, cpu.seconds))


class Breakdown:
    """Wall time spent in each KernelSession step while grading (patched in for the benchmark)."""

    STEPS = ("_start", "run_cells", "probe", "close")

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)

    @contextlib.contextmanager
    def patched(self):
        originals = {name: getattr(KernelSession, name) for name in self.STEPS}

        def timed(name, method):
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - started
                    self.calls[name] += 1
            return wrapper

        for name, method in originals.items():
            setattr(KernelSession, name, timed(name, method))
        try:
            yield self
        finally:
            for name, method in originals.items():
                setattr(KernelSession, name, method)


LABELS = {"_start": "kernel start + harness", "run_cells": "running cells (start included)",
          "probe": "probe cells", "close": "closing kernels"}


def floor_once(assignment, data, limits: Limits, folder: Path) -> None:
    setup = KernelSetup.for_assignment(assignment, data, limits)
    with KernelSession(["import tensorflow"], folder, setup, limits) as session:
        [outcome] = session.run_cells()
        assert outcome.status == "ok", outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignment", default="ch02")
    parser.add_argument("--mnist", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-whole", action="store_true", help="skip grading with every cell run")
    args = parser.parse_args()
    assignment = registry.get(args.assignment)
    data = {mnist.MNIST: mnist.resolve(args.mnist)}
    expected = expected_observations(assignment)
    sandboxed = sandbox.check() is None
    limits = Limits(sandbox=sandboxed)
    runs: dict[str, list] = defaultdict(list)
    breakdowns: dict[str, Breakdown] = defaultdict(Breakdown)
    modes = [("sliced", True)] + ([] if args.no_whole else [("whole", False)])
    with tempfile.TemporaryDirectory() as scratch:
        path = write_notebook(student_and_solution(assignment)[1], Path(scratch) / "solution.ipynb")
        cache = ProbeCache(Path(scratch) / "cache")
        for sliced in (True, False) if not args.no_whole else (True,):  # warm the cache: training runs once per key
            grade_notebook(assignment, path, "solution", data, limits, cache, expected, sliced=sliced)
        for attempt in range(args.repeat):  # interleaved, so a busy moment costs each the same
            with measured(runs["floor"]):
                floor_once(assignment, data, limits, Path(scratch) / f"floor-{attempt}")
            for label, sliced in modes:
                with measured(runs[label]), breakdowns[label].patched():
                    result = grade_notebook(assignment, path, "solution", data, limits, cache, expected, sliced=sliced)
                assert result.total == result.possible() and result.cached, (result.status, result.cached)
    median = statistics.median
    floor_wall, floor_cpu = median(w for w, _ in runs["floor"]), median(c for _, c in runs["floor"])
    print(f"{assignment.id}: {os.cpu_count()} cores, sandbox {'on' if sandboxed else 'OFF: ' + str(sandbox.check())}, "
          f"{args.repeat} runs each (median)")
    print("| what | wall s | core-s | × floor (wall) | × floor (core) |\n|---|---|---|---|---|")
    print(f"| floor: kernel importing TensorFlow | {floor_wall:.1f} | {floor_cpu:.1f} | 1.00 | 1.00 |")
    for label, _ in modes:
        wall, cpu = median(w for w, _ in runs[label]), median(c for _, c in runs[label])
        print(f"| submission, training served, {label} | {wall:.1f} | {cpu:.1f} | {wall / floor_wall:.2f} | "
              f"{cpu / floor_cpu:.2f} |")
    for label, _ in modes:
        parts = ", ".join(f"{LABELS[name]} {seconds / args.repeat:.1f} s ({breakdowns[label].calls[name] // args.repeat}×)"
                          for name, seconds in breakdowns[label].seconds.items())
        print(f"{label}: per submission {parts}")


if __name__ == "__main__":
    main()
