"""A whole class graded in parallel loses nothing (issue: the batch that lost a class).

A class of twenty notebooks of the tiny test assignment (nine byte-identical copies of the
reference, the rest right in another style, wrong in one way, hanging, dying, unreadable) is
graded with ``autograder grade`` as an instructor runs it: every run, whatever ``--jobs`` and
whatever the order, and a run killed with SIGKILL of its whole process group then started
again, must give each submission exactly its expected row. Also: a worker killed from outside
costs nothing, a bug of the kit and a crashing worker become rows with reasons, Ctrl-C and
SIGTERM leave no kernel behind (the cache under many writers: test_cache.py).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from autograder.engine.batch import DUPLICATE
from conftest import subprocess_env
from corpus import materialize
from corpus import tiny as corpus

pytestmark = pytest.mark.slow

CELL_SECONDS = 5  # no cell of the tiny notebook needs a second, even on a loaded machine; the hang costs this


def _class(tiny, built_tiny, folder: Path) -> dict[str, dict]:
    """The class on disk; returns the expected row of each submission."""
    student, solution = built_tiny
    expected = {}
    for variant in corpus.VARIANTS:
        materialize(variant, student, solution, folder)
        expected[variant.name] = {"points": variant.expected(tiny)["q1_basics"], "status": variant.status}
    for name in corpus.COPIES:
        shutil.copyfile(folder / "reference.ipynb", folder / f"{name}.ipynb")
        expected[name] = expected["reference"]
    return expected


@pytest.fixture(scope="module")
def klass(tiny, built_tiny, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    return folder, _class(tiny, built_tiny, folder)


@pytest.fixture(scope="module")
def small_class(klass, tmp_path_factory):
    """Every distinct submission of the class once, and one copy: the runs that check only
    that jobs and order change nothing grade this, not all twenty."""
    folder, expected = klass
    small = tmp_path_factory.mktemp("small")
    chosen = {name: row for name, row in expected.items() if name not in corpus.COPIES[1:]}
    for name in chosen:
        shutil.copyfile(folder / f"{name}.ipynb", small / f"{name}.ipynb")
    return small, chosen


def _command(paths, out: Path, jobs: int, *extra, assignment: str = "tiny") -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "grade", *map(str, paths), "--out", str(out),
            "--assignment", assignment, "--jobs", str(jobs), "--cell-timeout", str(CELL_SECONDS), *extra]


def _grade(paths, out: Path, jobs: int, *extra, assignment: str = "tiny") -> subprocess.CompletedProcess:
    return subprocess.run(_command(paths, out, jobs, *extra, assignment=assignment), capture_output=True,
                          text=True, timeout=600, env=subprocess_env())


def _rows(out: Path) -> dict[str, dict]:
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len({row["submission"] for row in rows}), "a submission has two rows"
    return {row["submission"]: row for row in rows}


def without_duplicate_note(status: str) -> str:
    """A status without the note that flags a copy of another submission (checked on its own)."""
    return "; ".join(part for part in status.split("; ") if not part.startswith(DUPLICATE)) or "ok"


def _check(rows: dict, expected: dict) -> None:
    assert sorted(rows) == sorted(expected)
    for name, want in expected.items():
        row = dict(rows[name], status=without_duplicate_note(rows[name]["status"]))
        assert float(row["q1_basics"]) == want["points"], (name, row["status"])
        assert float(row["possible"]) == 5
        if want["status"] == "ok":
            assert row["status"] == "ok", name
        elif want["status"]:
            assert want["status"] in row["status"], (name, row["status"])


def _kernels_of(pid: int) -> set[int]:
    """The kernels a grading command started (its workers' children)."""
    found = set()
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return found
    for child in children:
        try:
            if any("ipykernel_launcher" in part for part in child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.Error:
            pass
    return alive


def _describe(pids: set[int]) -> list[str]:
    """What a failure shows of the processes still alive: enough to tell which one and why."""
    shown = []
    for pid in sorted(pids):
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                shown.append(f"{pid} {process.name()} {process.status()} parent={process.ppid()} "
                             f"age={time.time() - process.create_time():.1f}s {' '.join(process.cmdline())[:160]}")
        except psutil.Error as error:
            shown.append(f"{pid}: {error!r}")
    return shown


def _records(out: Path) -> int:
    return len(list(out.glob("*/result.json")))


def test_two_workers_grade_the_class_each_submission_once(klass, tmp_path):
    folder, expected = klass
    process = _grade([folder], tmp_path / "out", 2)
    assert process.returncode == 0, process.stderr[-3000:]
    rows = _rows(tmp_path / "out")
    _check(rows, expected)
    assert all(DUPLICATE in rows[name]["status"] for name in ("reference", *corpus.COPIES))  # flagged, kept
    records = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "out").glob("*/result.json")]
    same = [r for r in records if r["submission"] in ("reference", *corpus.COPIES)]
    computed = [r["submission"] for r in same if "q1_basics:slow_total:value:0" not in r["cached"]]
    assert len(computed) == 1, computed  # nine identical submissions, the slow probe ran once
    assert not list((tmp_path / "out").rglob("*.tmp"))


@pytest.mark.parametrize("jobs", [1, 3])
def test_the_same_rows_whatever_the_jobs_and_the_order(small_class, tmp_path, jobs):
    folder, expected = small_class
    paths = sorted(folder.glob("*.ipynb"), reverse=True)
    process = _grade(paths, tmp_path / "out", jobs, "--no-cache")
    assert process.returncode == 0, process.stderr[-3000:]
    _check(_rows(tmp_path / "out"), expected)


def test_killing_the_whole_batch_then_running_it_again_loses_nothing(klass, tmp_path):
    folder, expected = klass
    out = tmp_path / "out"
    batch = subprocess.Popen(_command([folder], out, 2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=subprocess_env(), start_new_session=True)
    deadline = time.monotonic() + 300
    while _records(out) < 6 and batch.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert batch.poll() is None, "the batch finished before it could be killed"
    kernels = _kernels_of(batch.pid)
    workers = {child.pid for child in psutil.Process(batch.pid).children()} | {batch.pid}
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    kept = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    assert 6 <= len(kept) < len(expected)
    for path in out.glob("*/result.json"):
        json.loads(path.read_text(encoding="utf-8"))  # whole, wherever the kill landed
    time.sleep(3)
    assert not _alive(kernels), f"kernels outlived their killed worker: {_describe(_alive(kernels))}"
    again = _grade([folder], out, 2)
    assert again.returncode == 0, again.stderr[-3000:]
    _check(_rows(out), expected)
    assert {name: (out / name / "result.json").stat().st_mtime_ns for name in kept} == kept  # kept, not regraded
    assert not list(out.rglob("*.tmp"))
    # the killed run's temporary folders and control groups were removed by the rerun
    leaked = [path for pid in workers for pattern in (f"autograder-grade-{pid}-*", f"agk-{pid}-*")
              for path in Path(tempfile.gettempdir()).glob(pattern)]
    leaked += [path for pid in workers for path in Path("/sys/fs/cgroup").glob(f"*/**/agk-{pid}-*")]
    assert leaked == []
    # A student resubmits under the same name: that file, and only it, is graded again.
    changed = next(name for name in kept if expected[name]["points"] == 5)
    other = next(name for name in expected if expected[name]["points"] < 5)
    before = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    original = (folder / f"{changed}.ipynb").read_bytes()
    shutil.copyfile(folder / f"{other}.ipynb", folder / f"{changed}.ipynb")
    try:
        third = _grade([folder], out, 2)
        assert third.returncode == 0, third.stderr[-3000:]
        assert float(_rows(out)[changed]["q1_basics"]) == expected[other]["points"]
        after = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
        assert [name for name in after if after[name] != before[name]] == [changed]
    finally:
        (folder / f"{changed}.ipynb").write_bytes(original)  # the class is shared by the other tests


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_ctrl_c_and_sigterm_stop_the_batch_and_leave_no_kernel(small_class, tmp_path, stop):
    folder, expected = small_class
    out = tmp_path / "out"
    batch = subprocess.Popen(_command([folder], out, 2), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=subprocess_env(), start_new_session=True)
    running = set()
    while (_records(out) < 3 or not running) and batch.poll() is None:
        running = _kernels_of(batch.pid)
        time.sleep(0.1)
    assert running, "no kernel was running when the batch was stopped"
    if stop == signal.SIGINT:
        os.killpg(batch.pid, signal.SIGINT)  # Ctrl-C at a terminal reaches the whole group
    else:
        batch.send_signal(signal.SIGTERM)
    _, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130, stderr[-2000:]
    assert "run the same command again" in stderr
    assert not _alive(running), "a kernel outlived the batch"
    _check({k: v for k, v in _rows(out).items()}, {k: expected[k] for k in _rows(out)})
    again = _grade([folder], out, 2)
    assert again.returncode == 0
    _check(_rows(out), expected)


def test_a_worker_killed_from_outside_costs_nothing(small_class, tmp_path):
    folder, expected = small_class
    out = tmp_path / "out"
    batch = subprocess.Popen(_command([folder], out, 2), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=subprocess_env())
    victim = None
    while victim is None and batch.poll() is None:
        kernels = _kernels_of(batch.pid)
        if kernels and _records(out) >= 2:
            try:  # the worker grading that kernel's submission: the batch's child above it (bwrap between)
                victim = next(p for p in psutil.Process(next(iter(kernels))).parents() if p.ppid() == batch.pid)
            except (psutil.Error, StopIteration):
                pass
        time.sleep(0.1)
    assert victim is not None
    victim.kill()
    _, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 0, stderr[-3000:]  # tried once more, in a new worker
    _check(_rows(out), expected)


def test_a_bug_of_the_kit_and_a_crashing_worker_become_rows_with_reasons(built_tiny, tmp_path):
    from tiny.faults import BUG, CRASH

    student, solution = built_tiny
    folder = tmp_path / "class"
    folder.mkdir()
    names = {"fine": None, "trips-a-bug": BUG, "crashes-the-worker": CRASH}
    for name, value in names.items():
        replace = {} if value is None else {"slow_total": f"def slow_total(x):\n    return {value}\n"}
        materialize(corpus.Variant(name, "planted", replace=replace), student, solution, folder)
    out = tmp_path / "out"
    process = _grade([folder], out, 2, assignment="tiny.faults")
    assert process.returncode == 1, process.stderr[-3000:]  # scripts notice
    assert "hit an error of the grading kit" in process.stderr
    rows = _rows(out)
    assert sorted(rows) == sorted(names)
    assert rows["fine"]["status"] == "ok" and float(rows["fine"]["total"]) == 5
    bug = rows["trips-a-bug"]
    # the judges that raised cost their own cases only (slow_total's); scale's keep their verdicts
    from tiny.faults import faulty_question

    kept_points = sum(case.points for case in faulty_question().cases if not case.name.startswith("slow_total"))
    assert "채점 도구 오류" in bug["status"] and float(bug["total"]) == kept_points > 0
    assert "planted in the kit" in (out / "trips-a-bug" / "traceback.txt").read_text(encoding="utf-8")
    crash = rows["crashes-the-worker"]
    assert "비정상 종료" in crash["status"] and "두 번" in crash["status"]
    assert (out / "crashes-the-worker" / "traceback.txt").is_file()
    # a rerun grades the two again (the kit may have been fixed) and keeps the good one
    kept = (out / "fine" / "result.json").stat().st_mtime_ns
    _grade([folder], out, 1, assignment="tiny.faults")
    assert (out / "fine" / "result.json").stat().st_mtime_ns == kept


def test_the_terminal_shows_people_lines_not_tensorflows(built_notebooks, ch02, tmp_path, mnist_path):
    """No absl/oneDNN/cpu_feature_guard lines: only progress, a line per submission, a summary."""
    from autograder.targets.notebooks import write_notebook

    student, _ = built_notebooks
    path = write_notebook(student, tmp_path / "student.ipynb")
    process = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(path), "--out",
                              str(tmp_path / "out"), "--assignment", "ch02", "--mnist", str(mnist_path)],
                             capture_output=True, text=True, timeout=600, env=subprocess_env())
    assert process.returncode == 0, process.stderr[-3000:]
    text = process.stdout + process.stderr
    for noise in ("absl", "oneDNN", "cpu_feature_guard", "TensorFlow binary", "I0000", "W0000"):
        assert noise not in text, text[-2000:]
    assert "student: 0/100" in text and "wrote" in text
