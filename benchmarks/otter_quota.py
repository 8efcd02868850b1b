"""`otter run` of the built Gradescope zip under a CPU quota (Gradescope's default container has
0.5 vCPU), against local grading of the same submissions: the scores must be equal; the times
are printed. Figures and a check, not part of the test suite (each run trains the model). otter
starts the way the zip's ``run_otter.py`` starts it on Gradescope: the kit imported first
(``gradescope.otter_run_command``).

The quota is a cgroup (v1 ``cpu.cfs_quota_us`` or v2 ``cpu.max``) made for the run when this
process may create one (root in a container usually may); otherwise ``taskset`` pins the run to
one core and the output says so.

    python benchmarks/otter_quota.py [--cpus 0.5] [--variants reference naive-relu-hangs] [--mnist PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from autograder import assignment as registry  # noqa: E402
from autograder import mnist  # noqa: E402
from autograder.engine.cache import ProbeCache  # noqa: E402
from autograder.engine.grade import grade_notebook  # noqa: E402
from autograder.targets import gradescope  # noqa: E402
from autograder.targets.build import student_and_solution  # noqa: E402
from corpus import ch02 as corpus, materialize  # noqa: E402


def cpu_cgroup(cpus: float) -> tuple[Path | None, str]:
    """A cgroup limited to ``cpus`` cores, and how the limit is applied."""
    name = f"autograder-quota-{uuid.uuid4().hex[:8]}"
    v2, v1 = Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu")
    try:
        if (v2 / "cgroup.controllers").is_file():
            group = v2 / name
            group.mkdir()
            (group / "cpu.max").write_text(f"{int(cpus * 100000)} 100000")
            return group, f"cgroup v2 cpu.max = {cpus} CPU"
        if (v1 / "cpu.cfs_quota_us").is_file():
            group = v1 / name
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text("100000")
            (group / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))
            return group, f"cgroup v1 cpu.cfs_quota_us = {cpus} CPU"
    except OSError:
        pass
    return None, "no writable cgroup: taskset to one core (not a half-core quota)"


def peak_rss(pid: int, into: list, stop: threading.Event) -> None:
    while not stop.wait(0.25):
        try:
            process = psutil.Process(pid)
            into[0] = max(into[0], sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]))
        except psutil.Error:
            pass


def otter_run(zip_path: Path, submission: Path, out: Path, group: Path | None, env: dict) -> tuple[dict, float, float]:
    out.mkdir(parents=True, exist_ok=True)
    command = gradescope.otter_run_command(zip_path, submission, out)
    if group is None:
        command = ["taskset", "-c", "0", *command]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if group is not None:
        (group / "cgroup.procs").write_text(str(process.pid))  # before it starts its kernels: they inherit it
    peak, stop = [0], threading.Event()
    threading.Thread(target=peak_rss, args=(process.pid, peak, stop), daemon=True).start()
    _, stderr = process.communicate(timeout=2400)
    stop.set()
    seconds = time.monotonic() - started
    assert process.returncode == 0, stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {t["name"]: t.get("score") for t in results["tests"]}, seconds, peak[0] / 2**30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cpus", type=float, default=0.5)
    parser.add_argument("--variants", nargs="+", default=["reference", "naive-relu-hangs"])
    parser.add_argument("--mnist", default=None)
    args = parser.parse_args()
    ch02 = registry.get("ch02")
    data = {mnist.MNIST: mnist.resolve(args.mnist)}
    group, how = cpu_cgroup(args.cpus)
    env = {k: v for k, v in os.environ.items() if k != mnist.ENV_VAR}  # MNIST only from the zip, as on Gradescope
    try:
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            zip_path = gradescope.build_zip(ch02, root / "dist" / "ch02", data)
            student, solution = student_and_solution(ch02)
            by_name = {v.name: v for v in corpus.VARIANTS}
            cache = ProbeCache(root / "cache")
            print(f"otter run of {zip_path.name} with {how}\n")
            print("| submission | otter run s | peak GB | otter = local | local = expected |\n|---|---|---|---|---|")
            for name in args.variants:
                path = materialize(by_name[name], student, solution, root)
                scores, seconds, peak = otter_run(zip_path, path, root / "otter" / name, group,
                                                  dict(env, KERAS_HOME=str(root / "keras")))
                local = grade_notebook(ch02, path, name, data, probe_cache=cache)
                mine = {q.id: local.score(q.id) for q in ch02.questions}
                theirs = {q.id: float(scores[q.id]) for q in ch02.questions}
                print(f"| {name} | {seconds:.0f} | {peak:.2f} | {theirs == mine} | "
                      f"{mine == by_name[name].expected(ch02)} |", flush=True)
                if theirs != mine:
                    print(f"  otter {theirs}\n  local {mine}")
    finally:
        if group is not None:
            group.rmdir()


if __name__ == "__main__":
    main()
