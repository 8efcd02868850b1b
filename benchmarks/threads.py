"""What a kernel's compute threads buy: the solution graded with its training run (no cache) at
1, 2, … TensorFlow/numpy threads, interleaved so a busy moment costs each the same. Prints the
median wall and core-seconds (this process and its kernels) per thread count.

An assignment whose training gains no time from a second thread sets ``Limits(threads=1)``
(chapter 2 does): the second thread only spends CPU another worker could use.

    python benchmarks/threads.py [--assignment ch02] [--threads 1 2] [--repeat 2] [--mnist PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

from floor import measured

from autograder import assignment as registry
from autograder import mnist
from autograder.engine import sandbox
from autograder.engine.cache import ProbeCache
from autograder.engine.grade import expected_observations, grade_notebook
from autograder.targets.build import student_and_solution
from autograder.targets.notebooks import write_notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assignment", default="ch02")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--mnist", default=None)
    args = parser.parse_args()
    assignment = registry.get(args.assignment)
    data = {mnist.MNIST: mnist.resolve(args.mnist)}
    expected = expected_observations(assignment)
    base = assignment.limits.with_overrides(sandbox=sandbox.check() is None)
    runs: dict[int, list] = defaultdict(list)
    with tempfile.TemporaryDirectory() as scratch:
        path = write_notebook(student_and_solution(assignment)[1], Path(scratch) / "solution.ipynb")
        for _ in range(args.repeat):
            for threads in args.threads:
                with measured(runs[threads]):
                    result = grade_notebook(assignment, path, "solution", data,
                                            base.with_overrides(threads=threads), ProbeCache(None), expected)
                assert result.total == result.possible() and not result.cached, (result.status, result.cached)
    print(f"{assignment.id}: the solution graded with its training, {os.cpu_count()} cores, "
          f"{args.repeat} runs each (median); the assignment sets threads={assignment.limits.threads}")
    print("| threads | wall s | core-s |\n|---|---|---|")
    for threads in args.threads:
        wall = statistics.median(w for w, _ in runs[threads])
        cpu = statistics.median(c for _, c in runs[threads])
        print(f"| {threads} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
