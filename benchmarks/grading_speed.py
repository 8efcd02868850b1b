"""Grading speed of one chapter-2 submission, measured in one run on this machine (figures,
not a pass/fail test):

1. executing the solution notebook alone, top to bottom (nbclient, MNIST served locally);
2. grading the same notebook with ``autograder grade``'s engine, training check included
   and no cache;
3. the same grading again with a warm training-check cache (a class where many students
   kept the course text's code).

    python benchmarks/grading_speed.py [--mnist PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder import assignment as registry
from autograder import mnist
from autograder.engine.cache import ProbeCache
from autograder.engine.grade import expected_observations, grade_notebook
from autograder.targets.build import student_and_solution
from autograder.targets.notebooks import write_notebook


def execute_notebook(path: Path, data: Path) -> float:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(mnist.keras_patch_source(data)))
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mnist", default=None)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    ch02 = registry.get("ch02")
    path_data = mnist.resolve(args.mnist)
    data = {mnist.MNIST: path_data}
    expected_observations(ch02)  # the answer key's side, computed once per run anyway
    with tempfile.TemporaryDirectory() as folder:
        path = write_notebook(student_and_solution(ch02)[1], Path(folder) / "solution.ipynb")
        executed, graded, cached = [], [], []
        for _ in range(args.repeat):
            executed.append(execute_notebook(path, path_data))
            result = grade_notebook(ch02, path, "solution", data)
            assert result.total == result.possible(), result.status
            graded.append(result.seconds)
            cache = ProbeCache(Path(folder) / "cache")
            grade_notebook(ch02, path, "solution", data, probe_cache=cache)  # fills it
            cached.append(grade_notebook(ch02, path, "solution", data, probe_cache=cache).seconds)
    median = statistics.median
    print(f"solution notebook executed alone : {median(executed):6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in executed)})")
    print(f"graded, training check run       : {median(graded):6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in graded)})")
    print(f"graded, training check cached    : {median(cached):6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in cached)})")
    print(f"ratio graded / executed          : {median(graded) / median(executed):6.2f}  (target <= 1.5; and graded <= 60 s)")


if __name__ == "__main__":
    main()
