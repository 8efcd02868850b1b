"""A class graded as an instructor grades it: figures, not a pass/fail test.

A synthetic chapter-2 class of 40 (by default): half of it the course text's code (the
reference, byte for byte, under different names), half varied (the corpus's right answers in
other styles, specific bugs, vectorised shortcuts, and one that hangs). ``autograder grade``
runs on it at ``--jobs 1``, ``2`` and ``4``; for each run this prints submissions per minute,
core-seconds per submission (CPU time of the command, its workers and their kernels), training
checks run versus served from the cache, and the peak memory of each worker (its own process,
and with its kernel: what ``grade --jobs`` must fit, ``engine/capacity.py``). ``--kill-after N`` adds a run at ``--jobs 2`` whose whole
process group is SIGKILLed once N submissions are finished, then the same command again; it
prints both times and checks the rows equal the uninterrupted run's.

    python benchmarks/class_benchmark.py [--size 40] [--jobs 1 2 4] [--kill-after 15] [--mnist PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from autograder import assignment as registry  # noqa: E402
from autograder import mnist  # noqa: E402
from autograder.targets.build import student_and_solution  # noqa: E402
from corpus import ch02 as corpus, materialize  # noqa: E402


def make_class(folder: Path, size: int) -> None:
    ch02 = registry.get("ch02")
    student, solution = student_and_solution(ch02)
    varied = [v for v in corpus.VARIANTS if not v.needs_kernel and v.name != "reference"]
    hanging = next(v for v in corpus.VARIANTS if v.name == "infinite-loop-in-function")
    reference = materialize(next(v for v in corpus.VARIANTS if v.name == "reference"), student, solution, folder)
    for number in range(size // 2 - 1):
        shutil.copyfile(reference, folder / f"course-text-{number:02d}.ipynb")
    chosen = [hanging] + [varied[i % len(varied)] for i in range(size - size // 2 - 1)]
    for number, variant in enumerate(chosen):
        path = materialize(variant, student, solution, folder)
        path.rename(folder / f"varied-{number:02d}-{variant.name}.ipynb")


class Peaks:
    """Samples the grading command every quarter second: peak RSS of each worker alone and of
    each worker with its kernel, and the CPU time of every process of the command (the last
    sample of each: a kernel's last quarter second may be missed)."""

    def __init__(self, pid: int):
        self.pid, self.alone, self.with_kernel, self.cpu, self.done = pid, {}, {}, {}, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done:
            try:
                command = psutil.Process(self.pid)
                for process in [command, *command.children(recursive=True)]:
                    try:
                        times = process.cpu_times()
                        self.cpu[process.pid] = times.user + times.system
                    except psutil.Error:
                        pass
                for worker in command.children():
                    own = worker.memory_info().rss
                    tree = own + sum(c.memory_info().rss for c in worker.children(recursive=True))
                    self.alone[worker.pid] = max(self.alone.get(worker.pid, 0), own)
                    self.with_kernel[worker.pid] = max(self.with_kernel.get(worker.pid, 0), tree)
            except psutil.Error:
                pass
            time.sleep(0.25)

    @property
    def core_seconds(self) -> float:
        return sum(self.cpu.values())

    def stop(self):
        self.done = True
        self.thread.join()


def grade(folder: Path, out: Path, jobs: int, kill_after: int | None = None) -> dict:
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out", str(out),
               "--assignment", "ch02", "--jobs", str(jobs)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    peaks = Peaks(process.pid)
    killed = False
    while process.poll() is None:
        if kill_after and len(list(out.glob("*/result.json"))) >= kill_after:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    process.wait()
    peaks.stop()
    seconds = time.monotonic() - started
    records = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/result.json")]
    return {"seconds": seconds, "killed": killed, "records": records, "peaks": peaks,
            "trained": sum("q8_from_scratch:train" not in r["cached"] for r in records),
            "served": sum("q8_from_scratch:train" in r["cached"] for r in records)}


def rows(out: Path) -> dict:
    with open(out / "grades.csv", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kill-after", type=int, default=None)
    parser.add_argument("--mnist", default=None)
    args = parser.parse_args()
    os.environ[mnist.ENV_VAR] = str(mnist.resolve(args.mnist))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        folder.mkdir()
        make_class(folder, args.size)
        print(f"class of {args.size}: {args.size // 2} with the course text's code, {args.size - args.size // 2} varied "
              "(one hangs)\n")
        print("| jobs | time | submissions/min | core-s per submission | training checks run | served from cache "
              "| peak RSS per worker (alone / with kernel) |\n|---|---|---|---|---|---|---|")
        outs = {}
        for jobs in args.jobs:
            outs[jobs] = Path(scratch) / f"out-{jobs}"
            run = grade(folder, outs[jobs], jobs)
            mib = lambda values: ", ".join(f"{v / 2**20:.0f}" for v in values.values())
            count = max(1, len(run['records']))
            print(f"| {jobs} | {run['seconds']:.0f} s | {len(run['records']) / run['seconds'] * 60:.1f} | "
                  f"{run['peaks'].core_seconds / count:.1f} | {run['trained']} | {run['served']} | "
                  f"{mib(run['peaks'].alone)} MiB / {mib(run['peaks'].with_kernel)} MiB "
                  f"(max {max(run['peaks'].with_kernel.values(), default=0) / 2**20:.0f}) |", flush=True)
        if args.kill_after:
            out = Path(scratch) / "out-killed"
            first = grade(folder, out, 2, kill_after=args.kill_after)
            second = grade(folder, out, 2)
            same = rows(out) == rows(outs[max(outs)]) if outs else None
            print(f"\nkill and resume at --jobs 2: killed after {first['seconds']:.0f} s with {len(first['records'])} "
                  f"finished; the same command then took {second['seconds']:.0f} s for the rest; "
                  f"rows equal to an uninterrupted run: {same}")


if __name__ == "__main__":
    main()
