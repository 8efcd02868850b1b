"""A grader no submission can stall, flood or crash: hostile kernels and hostile files.

Kernels: a thread bomb, a shell fork bomb, memory held in a ``memfd`` (no process's resident
memory shows it), memory grown beside short-lived child processes (the watcher must not stop
when one disappears), a huge ``fallocate`` in the working folder. Each ends with a status on the
cell that did it, the cells after it still run, and nothing is left running. The same cells run
with the control groups (where this machine gives them) and with the watcher alone.
Sizes are small where the mechanism is the same (a 1 GiB memfd against a 600 MB limit stands
for 6 GiB against 4 GB).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import psutil
import pytest

from autograder.engine import confine, sandbox
from autograder.engine.kernel import KernelSession, KernelSetup, Limits

needs_sandbox = pytest.mark.skipif(sandbox.check() is not None, reason=f"no sandbox here: {sandbox.check()}")


def _has_cgroups() -> bool:
    trial = confine.Confinement.create(64, 2**30)
    trial.close()
    return trial.kind != "watch"


HAS_CGROUPS = _has_cgroups()


def _cgroups_left() -> list[str]:
    """This process's control groups still on disk."""
    found = []
    for root in (confine.CGROUP_ROOT,):
        found += [str(p) for p in root.rglob(f"{confine.PREFIX}{os.getpid()}-*")] if root.is_dir() else []
    return found


@pytest.fixture(params=["cgroup", "watcher"])
def mode(request, monkeypatch):
    if request.param == "cgroup" and not HAS_CGROUPS:
        pytest.skip("no control group can be made here")
    if request.param == "watcher":
        monkeypatch.setenv("AUTOGRADER_NO_CGROUP", "1")
    return request.param


def _run(tiny, tmp_path, cells, **limits):
    limits = Limits(cell_seconds=30, **limits)
    setup = KernelSetup.for_assignment(tiny, {}, limits)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with KernelSession(cells, tmp_path / "work", setup, limits) as session:
        outcomes = session.run_cells()
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    return [(o.status, o.error) for o in outcomes], left


@pytest.mark.slow
@needs_sandbox
def test_a_thread_bomb_and_a_fork_bomb_are_stopped_and_nothing_is_left(tiny, tmp_path, mode):
    from corpus.limits import FORK_BOMB as fork_bomb, THREAD_BOMB as thread_bomb

    if mode == "watcher" and os.geteuid() == 0:
        # The kernel exempts root from RLIMIT_NPROC: only the watcher's poll bounds a bomb
        # (docs/limits.md), which is not a thing to set off on a shared test machine.
        pytest.skip("root without control groups: bombs bounded by the watcher's poll only")
    outcomes, left = _run(tiny, tmp_path, ["x = 1", thread_bomb, fork_bomb, "y = x + 1"], tasks=96)
    assert [status for status, _ in outcomes] == ["ok", "died", "died", "ok"], outcomes
    assert "프로세스·스레드 수 한도(96개)" in outcomes[1][1] and "96개" in outcomes[2][1]
    assert left == [] and _cgroups_left() == []


@pytest.mark.slow
@needs_sandbox
def test_memfd_and_short_lived_children_cannot_hide_memory(tiny, tmp_path, mode):
    from corpus.limits import growing_beside_children, memfd

    memfd, children = memfd(800), growing_beside_children(1600)
    outcomes, left = _run(tiny, tmp_path, ["x = 1", memfd, children, "y = x + 1"], memory_mb=600)
    assert [status for status, _ in outcomes] == ["ok", "died", "died", "ok"], outcomes
    assert all("메모리 한도(600 MB)" in error for _, error in outcomes[1:3]), outcomes
    assert left == [] and _cgroups_left() == []


@pytest.mark.slow
@needs_sandbox
def test_the_working_folder_is_capped_and_not_the_hosts_disk(tiny, tmp_path):
    from corpus.limits import FALLOCATE

    reserve = FALLOCATE + "assert len(failed) == 4, failed\nopen('small.txt', 'w').write('ok')\n"
    outcomes, left = _run(tiny, tmp_path, [reserve, "assert open('small.txt').read() == 'ok'"], disk_mb=64)
    assert outcomes == [("ok", ""), ("ok", "")], outcomes
    assert not any(path.stat().st_size > 2**20 for path in tmp_path.rglob("*") if path.is_file())
    assert left == []


def test_the_watcher_counts_a_memfd_once_and_survives_vanishing_children(tmp_path):
    """``footprint`` in this process: a memfd's pages are counted (once, however many fds),
    and a child that ends mid-count is skipped."""
    import subprocess

    fd = os.memfd_create("counted")
    os.write(fd, b"z" * (64 * 2**20))
    duplicate = os.dup(fd)
    try:
        children = [subprocess.Popen(["sleep", "0.01"]) for _ in range(20)]
        used, tasks = confine.footprint(os.getpid())
        baseline_fd_free = used
        assert used >= 64 * 2**20 and tasks >= 1
    finally:
        os.close(fd)
        os.close(duplicate)
        for child in children:
            child.wait()
    used_after, _ = confine.footprint(os.getpid())
    assert baseline_fd_free - used_after >= 60 * 2**20  # the memfd was counted once, now gone


# ---------------------------------------------------------------- notebooks of any size or shape


def _notebook_file(path, sources):
    import json

    cells = [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
             for source in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_huge_cell_is_refused_fast_with_its_reason_and_the_rest_read(tmp_path):
    import time

    from autograder.engine import submission

    huge = "".join(f"a = {i % 10}\n" for i in range(400_000))  # 3.2 MB in one cell
    path = _notebook_file(tmp_path / "huge.ipynb", ["def f():\n    return 1\n", huge, "b = f()\n"])
    started = time.monotonic()
    notebook = submission.read(path)
    assert time.monotonic() - started < 5
    assert "셀이 너무 깁니다" in notebook.cells[1] and notebook.cells[1].startswith("raise RuntimeError")
    assert notebook.defined_in == {"f": [0], "b": [2]}


def test_a_cell_too_deep_to_parse_is_that_cells_problem_only(tmp_path):
    from autograder.engine import cache, submission

    deep = "x = " + "+".join(["1"] * 20_000) + "\n"
    magics = "".join("a = !true\n" for _ in range(600))  # IPython gives up after 500 rounds
    path = _notebook_file(tmp_path / "deep.ipynb", ["def f():\n    return 1\n", deep, magics, "fit(model)\n", "y = f()\n"])
    notebook = submission.read(path)
    assert notebook.cells[1] == deep  # run as it is: the kernel reports it for this cell alone
    assert notebook.defined_in == {"f": [0], "y": [4]}
    assert notebook.cells[3].startswith("pass")  # demonstration training still stripped
    assert cache._reads(deep) == set() and cache.closure(("y",), notebook) == [0, 4]


def test_a_cell_past_ipythons_transform_limit_is_refused_without_transforming_it(monkeypatch):
    """IPython re-tokenizes the whole cell once per special line and gives up after
    TRANSFORM_LOOP_LIMIT of them: such a cell is known unparseable before its n² rounds."""
    from IPython.core.inputtransformer2 import TRANSFORM_LOOP_LIMIT, TransformerManager

    from autograder.engine import submission

    over = "".join(f"a{i} = !true\n" for i in range(TRANSFORM_LOOP_LIMIT + 1))
    under = "".join(f"a{i} = !true\n" for i in range(20)) + "%time x = 5 % 3\nprint?\n"

    def refuse(self, cell):
        raise AssertionError("transformed a cell IPython cannot finish")

    monkeypatch.setattr(TransformerManager, "transform_cell", refuse)
    assert submission.python_of(over) is None
    monkeypatch.undo()
    assert submission.python_of(under) == TransformerManager().transform_cell(under)


def test_the_naive_rule_scan_of_a_too_deep_function_is_a_finding_not_a_crash():
    from autograder.kernel_side import naive_rule

    deep = "def naive_relu(x):\n    return " + "+".join(["x"] * 20_000) + "\n"
    assert naive_rule.findings([{"name": "naive_relu", "source": deep}]) == \
        ["분석할 수 없을 만큼 깊게 중첩된 코드 (naive_relu)"]


# ---------------------------------------------------------------- files taken as what they are


def test_only_regular_files_are_read_and_nothing_blocks(tmp_path):
    import time

    from autograder.engine import files, submission

    real = _notebook_file(tmp_path / "real.ipynb", ["x = 1\n"])
    os.mkfifo(tmp_path / "fifo.ipynb")
    os.symlink("/dev/zero", tmp_path / "zero.ipynb")
    os.symlink(real, tmp_path / "link.ipynb")
    started = time.monotonic()
    assert files.check_regular_file(real) is None
    assert "일반 파일이 아니어서" in files.check_regular_file(tmp_path / "fifo.ipynb")
    assert "심볼릭 링크" in files.check_regular_file(tmp_path / "zero.ipynb")
    assert "심볼릭 링크" in files.check_regular_file(tmp_path / "link.ipynb")
    assert files.digest(tmp_path / "fifo.ipynb") == "" and files.digest(tmp_path / "zero.ipynb") == ""
    for name in ("fifo.ipynb", "zero.ipynb"):  # the otter and nbgrader front ends read directly
        with pytest.raises(submission.UnreadableSubmission, match="일반 파일"):
            submission.read(tmp_path / name)
    assert time.monotonic() - started < 2


def test_output_folders_never_take_the_kits_names():
    from autograder.engine.batch import names_for
    from autograder.engine.files import KIT_NAMES, output_name
    from pathlib import Path

    names = names_for([Path(f"{kit}.ipynb") for kit in ("grades.csv", "assignment.json", "report.html",
                                                        ".cache", "adjustments.csv", "홍길동 과제", "kim.minsu")])
    assert list(names.values()) == ["grades.csv_ipynb", "assignment.json_ipynb", "report.html_ipynb",
                                    "cache_ipynb", "adjustments.csv_ipynb", "홍길동_과제", "kim.minsu"]
    assert not any(output_name(name).casefold() in KIT_NAMES for name in KIT_NAMES)


def test_an_empty_or_short_signing_key_is_never_used(tmp_path):
    from autograder.engine.cache import ProbeCache

    (tmp_path / "secret.key").write_text("")
    first = ProbeCache(tmp_path).secret()
    assert len(first) == 32 and (tmp_path / "secret.key").read_text() == first.hex()
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "secret.key").write_text("abc")
    second = ProbeCache(tmp_path).secret()
    assert len(second) == 32 and second != first
    assert ProbeCache(tmp_path).secret() == second  # a whole key is kept


def test_a_deeply_nested_record_is_skipped_not_a_crash(tmp_path):
    from autograder.engine import records
    from autograder.reports import load

    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "result.json").write_text("[" * 200_000 + "]" * 200_000)
    assert records.read_record(tmp_path / "nested") is None
    record, reason = load._read_record(tmp_path / "nested")
    assert record is None and "result.json" in reason


def test_a_killed_runs_temporary_folders_are_removed_by_the_next(tmp_path):
    import subprocess

    from autograder.engine import files

    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = tmp_path / f"autograder-grade-{os.getpid()}-abc"
    gone = tmp_path / f"agk-{dead.pid}-xyz"
    other = tmp_path / f"unrelated-{dead.pid}-x"
    for folder in (mine, gone, other):
        (folder / "inside").mkdir(parents=True)
    assert files.remove_dead_temporaries(tmp_path) == [gone]
    assert mine.exists() and other.exists() and not gone.exists()


# ---------------------------------------------------------------- a hostile class through `autograder grade`


def _cli(paths, out, *extra):
    import subprocess
    import sys

    from conftest import subprocess_env

    return subprocess.run([sys.executable, "-m", "autograder.cli", "grade", *map(str, paths), "--out", str(out),
                           "--assignment", "tiny", "--cell-timeout", "10", *extra],
                          capture_output=True, text=True, timeout=600, env=subprocess_env())


def _csv_rows(out):
    import csv

    with open(out / "grades.csv", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def test_a_broken_grades_folder_is_one_message_and_exit_2(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "bad.ipynb").write_text("not a notebook", encoding="utf-8")  # graded without a kernel: a row with its reason
    out = tmp_path / "out"
    (out / "grades.csv").mkdir(parents=True)  # what a submission named grades.csv.ipynb once made
    process = _cli([folder], out)
    assert process.returncode == 2, process.stderr[-2000:]
    said = process.stdout + process.stderr
    assert "cannot write the grades folder" in said and "grades.csv" in said and "Traceback" not in said
    assert (out / "bad" / "result.json").is_file()  # what was finished is kept
    process = _cli([folder], "/proc/no-such-grades")
    assert process.returncode == 2 and "cannot write the grades folder" in process.stderr, process.stderr


def test_finding_the_assignment_never_opens_a_fifo_or_a_device(tmp_path):
    import subprocess
    import sys

    from conftest import subprocess_env

    folder = tmp_path / "class"
    folder.mkdir()
    os.mkfifo(folder / "fifo.ipynb")
    os.symlink("/dev/zero", folder / "zero.ipynb")
    (folder / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    process = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out",
                              str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                             env=subprocess_env())
    if process.returncode == 2:  # several assignments registered: none named by these files
        assert "--assignment" in process.stderr and "Traceback" not in process.stderr
    else:  # one assignment: every file is a row with its reason
        assert process.returncode == 0, process.stderr[-2000:]


@pytest.mark.slow
@needs_sandbox
def test_a_hostile_class_is_graded_row_for_row_and_reruns(tiny, built_tiny, tmp_path):
    """Links, a FIFO, /dev/zero, kit names, copies, a cell too deep to parse, a cell too long,
    and a submission past its wall clock: every file is a row with its score and reason, the
    honest work keeps its points, a rerun changes nothing, and nothing is left running."""
    import shutil

    import nbformat

    from corpus import Variant, materialize

    student, solution = built_tiny
    folder, outside = tmp_path / "class", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    reference = materialize(Variant("reference", "right"), student, solution, folder)
    from corpus.limits import DEEP_EXPRESSION, LONG_CELL

    materialize(Variant("deep", "right", append=(DEEP_EXPRESSION, LONG_CELL)), student, solution, folder)
    # six cells of 4 s, each within the cell limit, 24 s in all: past the submission's 20 s
    materialize(Variant("slow", "right", append=("import time\ntime.sleep(4)",) * 6), student, solution, folder)
    hidden = materialize(Variant("theirs", "right"), student, solution, outside)
    for kit_name in ("grades.csv", "assignment.json"):
        shutil.copyfile(reference, folder / f"{kit_name}.ipynb")
    os.symlink("reference.ipynb", folder / "link.ipynb")
    os.symlink(hidden, folder / "outside.ipynb")
    os.symlink("/dev/zero", folder / "zero.ipynb")
    os.mkfifo(folder / "fifo.ipynb")
    assert nbformat.read(str(folder / "deep.ipynb"), 4)  # a valid notebook: its cells are the problem
    out = tmp_path / "out"

    process = _cli([folder], out, "--submission-timeout", "20")
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    rows = _csv_rows(out)
    # links and the FIFO are never opened: listed as not graded, with the reason, not given a row
    assert sorted(rows) == sorted(["reference", "deep", "slow", "grades.csv_ipynb", "assignment.json_ipynb"])
    not_graded = {Path(e["path"]).name: e["reason"]
                  for e in json.loads((out / "intake.json").read_text(encoding="utf-8"))["not_graded"]}
    for name in ("reference", "deep", "grades.csv_ipynb", "assignment.json_ipynb"):
        assert float(rows[name]["total"]) == 5, (name, rows[name]["status"])
    assert "중복 제출" in rows["grades.csv_ipynb"]["status"] and "중복 제출" in rows["reference"]["status"]
    assert "셀이 너무 깁니다" in rows["deep"]["status"] or "셀이 너무 깁니다" in \
        (out / "deep" / "result.json").read_text(encoding="utf-8")
    assert "채점 시간 한도(20초)" in rows["slow"]["status"] and float(rows["slow"]["total"]) == 0
    for name in ("link", "outside", "zero"):
        assert "심볼릭 링크" in not_graded[f"{name}.ipynb"]
    assert "일반 파일이 아니어서" in not_graded["fifo.ipynb"]
    assert all(f"{name}.ipynb" in process.stdout + process.stderr for name in ("link", "outside", "zero", "fifo"))
    assert (out / "grades.csv").is_file() and (out / "assignment.json").is_file()

    again = _cli([folder], out, "--submission-timeout", "20")
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert {n: r["total"] for n, r in _csv_rows(out).items()} == {n: r["total"] for n, r in rows.items()}
    assert _orphan_kernels() == []


def _orphan_kernels() -> list[int]:
    """Kernels whose grader is gone (the pid in their connection folder's name is dead)."""
    import re

    found = []
    for process in psutil.process_iter(["cmdline"]):
        for part in process.info["cmdline"] or ():
            match = re.search(r"/agk-(\d+)-", part)
            if match and not psutil.pid_exists(int(match.group(1))):
                found.append(process.pid)
    return found


def test_under_otter_a_failure_of_the_kit_is_still_a_result(tiny, monkeypatch, tmp_path):
    """The Gradescope plugin: whatever ``grade_notebook`` raises, otter gets a result (every case
    at 0 with the kit's error as the reason), so ``results.json`` is written."""
    import nbformat

    from autograder.engine import grade, records
    from autograder.engine.kernel import Limits
    from autograder.frontends.otter import AutograderPlugin
    from autograder.platform_names import KIT_FIRST

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded during ast construction")

    monkeypatch.setattr(grade, "grade_notebook", broken)
    plugin = AutograderPlugin(str(tmp_path / "submission.ipynb"), {}, {"assignment": "tiny"})
    plugin._limits = Limits()
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "before"))  # the plugin sets it for otter's kernel: restored after
    returned = plugin.before_execution(nbformat.v4.new_notebook())
    assert returned.cells == []
    startup = Path(os.environ["IPYTHONDIR"]) / "profile_default" / "startup" / "00-kit-first.py"
    assert startup.read_text(encoding="utf-8") == KIT_FIRST  # otter's kernel still gets the kit first
    shutil.rmtree(plugin._ipython_dir)  # after_grading's part
    result = plugin._result
    assert result.cases and all(case.points == 0 for case in result.cases)
    assert result.status.startswith(grade.GRADER_ERROR) and "RecursionError" in result.status
    assert "RecursionError" in result.grader_error
    assert "RecursionError" in records.feedback_markdown(result, tiny.questions, tiny.title)
