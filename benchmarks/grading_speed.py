"""Grading speed and memory of one submission, measured in one run on this machine (figures,
not a pass/fail test):

1. executing the solution notebook alone, top to bottom (nbclient, MNIST served locally);
2. grading the same notebook with ``autograder grade``'s engine, training check included and
   no cache, in the sandbox (bubblewrap) and without it;
3. the same grading again with a warm training-check cache (a class where many students kept
   the course text's code);

with the peak resident memory of the grading process and its kernels together (sampled every
0.2 s), for each.

    python benchmarks/grading_speed.py [--assignment ch02] [--mnist PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

from autograder import assignment as registry
from autograder import mnist
from autograder.engine import sandbox
from autograder.engine.cache import ProbeCache
from autograder.engine.grade import expected_observations, grade_notebook
from autograder.engine.kernel import Limits
from autograder.targets.build import student_and_solution
from autograder.targets.notebooks import write_notebook


class PeakMemory:
    """Peak RSS of this process and all its descendants together (MB), while in the block."""

    def __init__(self):
        self.peak, self._stop = 0, threading.Event()

    def _sample(self):
        me = psutil.Process(os.getpid())
        while not self._stop.wait(0.2):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = self.peak / 2**20


def execute_notebook(path: Path, data: Path) -> float:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(mnist.keras_patch_source(data)))
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignment", default="ch02")
    parser.add_argument("--mnist", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    assignment = registry.get(args.assignment)
    path_data = mnist.resolve(args.mnist)
    data = {mnist.MNIST: path_data}
    expected_observations(assignment)  # the answer key's side, computed once per run anyway
    sandboxed = sandbox.check() is None
    runs: dict[str, list[tuple[float, float]]] = {}

    def grade(label, path, **options):
        with PeakMemory() as memory:
            result = grade_notebook(assignment, path, "solution", data, **options)
        assert result.total == result.possible(), result.status
        runs.setdefault(label, []).append((result.seconds, memory.peak_mb))

    with tempfile.TemporaryDirectory() as folder:
        path = write_notebook(student_and_solution(assignment)[1], Path(folder) / "solution.ipynb")
        for attempt in range(args.repeat):
            with PeakMemory() as memory:
                seconds = execute_notebook(path, path_data)
            runs.setdefault("solution notebook executed alone", []).append((seconds, memory.peak_mb))
            if sandboxed:
                grade("graded in the sandbox, training run", path, limits=Limits(sandbox=True))
            grade("graded without the sandbox, training run", path, limits=Limits(sandbox=False))
            cache = ProbeCache(Path(folder) / f"cache-{attempt}")
            grade_notebook(assignment, path, "solution", data, probe_cache=cache, limits=Limits(sandbox=sandboxed))
            grade("graded, training served from the cache", path, probe_cache=cache, limits=Limits(sandbox=sandboxed))
    median = statistics.median
    print(f"{assignment.id}, {os.cpu_count()} cores, sandbox {'available' if sandboxed else 'NOT available: ' + str(sandbox.check())}")
    for label, values in runs.items():
        times = [t for t, _ in values]
        print(f"{label:42s}: {median(times):6.1f} s, peak {max(m for _, m in values):6.0f} MB"
              f"  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    executed = median(t for t, _ in runs["solution notebook executed alone"])
    key = "graded in the sandbox, training run" if sandboxed else "graded without the sandbox, training run"
    graded = median(t for t, _ in runs[key])
    print(f"{'ratio graded / executed':42s}: {graded / executed:6.2f}  (target <= 1.5; and graded <= 60 s)")
    if sandboxed:
        plain = median(t for t, _ in runs["graded without the sandbox, training run"])
        print(f"{'sandbox / no sandbox':42s}: {graded / plain:6.2f}")


if __name__ == "__main__":
    main()
