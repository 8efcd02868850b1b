"""Student code cannot read or write what the grader keeps (the sandbox, engine.sandbox).

The thief corpus (corpus/thieves.py) hunts for the answer key through ``sys.path``, the
editable install's finder, package metadata, a walk of ``/`` and ``/proc`` of its parents,
plants files in the grades folder and the cache, reads other submissions and calls a listener
on this machine. In the sandbox every thief gets 0 for what it did not implement, and nothing
outside its kernel changes; without the sandbox the same cells do steal (so the corpus is real).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

from autograder.engine import sandbox
from autograder.targets.notebooks import write_notebook
from conftest import subprocess_env
from corpus import thieves

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.check() is not None, reason=f"no sandbox here: {sandbox.check()}")]

TINY_KEY = "tiny/answer_key.py"  # below tests/, on the grader's PYTHONPATH


class Listener:
    """A TCP server on this machine; what reached it is in ``received``."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.5)
        self.port, self.received, self.done = self.server.getsockname()[1], [], False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.done:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                self.received.append(connection.recv(1000))

    def close(self):
        self.done = True
        self.thread.join()
        self.server.close()


@pytest.fixture()
def listener():
    server = Listener()
    yield server
    server.close()


def _thief(student, hunt: str, key: str, port: int, path):
    nb = nbformat.from_dict(json.loads(json.dumps(student)))
    nb.cells.append(nbformat.v4.new_code_cell(thieves.cell(hunt, key, port)))
    return write_notebook(nb, path)


def _grade(folder, out, assignment, *extra):
    return subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(folder), "--out", str(out),
                           "--assignment", assignment, "--cell-timeout", "60", *extra],
                          capture_output=True, text=True, timeout=900, env=subprocess_env())


def _snapshot(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_thieves_get_nothing_and_change_nothing_in_the_sandbox(built_tiny, tmp_path, listener):
    student, solution = built_tiny
    folder = tmp_path / "class"
    folder.mkdir()
    for hunt in [*thieves.HUNTS, "all"]:
        _thief(student, hunt, TINY_KEY, listener.port, folder / f"thief-{hunt}.ipynb")
    write_notebook(solution, folder / "victim.ipynb")
    out = tmp_path / "grades"
    first = _grade(folder / "victim.ipynb", out, "tiny")  # graded first: the thieves come later
    assert first.returncode == 0, first.stderr[-2000:]
    before = _snapshot(out)
    process = _grade(folder, out, "tiny")
    assert process.returncode == 0, process.stderr[-3000:]
    rows = {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*/result.json")}
    for hunt in [*thieves.HUNTS, "all"]:
        row = rows[f"thief-{hunt}"]
        assert sum(c["points"] for c in row["cases"]) == 0, (hunt, row["status"])
        assert row["status"] == "ok", (hunt, row["status"])
    after = _snapshot(out)
    for name, data in before.items():  # the victim's record and the cache are as they were
        if not name.startswith(("grades.csv", "assignment.json", "intake.json")):  # rewritten by each run
            assert after[name] == data, name
    assert not [name for name in after if "PLANTED" in name or name.startswith(("victim/result.json.",))]
    assert listener.received == []


def test_without_the_sandbox_the_same_thief_steals(built_tiny, tmp_path, listener):
    """The corpus is real: with the sandbox off (and a warning), the thief takes full marks,
    plants a file next to the grades and reaches the listener, and every row says so."""
    student, _ = built_tiny
    folder = tmp_path / "class"
    folder.mkdir()
    _thief(student, "all", TINY_KEY, listener.port, folder / "thief.ipynb")
    out = tmp_path / "grades"
    process = _grade(folder, out, "tiny", "--no-sandbox")
    assert process.returncode == 0, process.stderr[-3000:]
    assert "WITHOUT the sandbox" in process.stderr
    row = json.loads((out / "thief" / "result.json").read_text(encoding="utf-8"))
    assert sum(c["points"] for c in row["cases"]) == 5
    assert "샌드박스 없이 채점함" in row["status"]
    assert (out / "PLANTED.txt").exists() and listener.received


def test_require_sandbox_refuses_where_there_is_none(tmp_path):
    env = subprocess_env(PATH="/nonexistent")  # no bwrap on this PATH
    notebook = tmp_path / "x.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    process = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(notebook), "--assignment", "tiny",
                              "--require-sandbox", "--out", str(tmp_path / "out")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert process.returncode == 2 and "bwrap is not installed" in process.stderr


def test_a_chapter_two_thief_gets_nothing(ch02, built_notebooks, mnist_path, tmp_path, listener):
    student, _ = built_notebooks
    folder = tmp_path / "class"
    folder.mkdir()
    _thief(student, "all", "solutions/ch02.py", listener.port, folder / "thief.ipynb")
    out = tmp_path / "grades"
    process = _grade(folder, out, "ch02", "--mnist", str(mnist_path))
    assert process.returncode == 0, process.stderr[-3000:]
    row = json.loads((out / "thief" / "result.json").read_text(encoding="utf-8"))
    assert sum(c["points"] for c in row["cases"]) == 0, row["status"]
    assert not (out / "PLANTED.txt").exists() and listener.received == []


def test_the_sandbox_hides_the_kit_and_keeps_the_kernels_limits(tiny, tmp_path):
    """What the kernel can see, checked from inside; the memory and time limits still hold."""
    from autograder.engine.kernel import THREAD_ENV, KernelSession, KernelSetup, Limits
    from conftest import ROOT

    limits = Limits(cell_seconds=10, memory_mb=600, threads=1)  # its share of the CPUs reaches it
    setup = KernelSetup.for_assignment(tiny, {}, limits)
    probe = (
        "import os, sys\n"
        "seen = {'kit': any(os.path.exists(p) for p in %r), 'pids': len([p for p in os.listdir('/proc') if p.isdigit()]),\n"
        "        'path': [p for p in sys.path if 'dev' in p or 'tests' in p],\n"
        "        'threads': {os.environ.get(name) for name in %r}}\n"
        "try:\n    import autograder\n    seen['import'] = True\nexcept ImportError:\n    seen['import'] = False\n"
        "try:\n    open('/etc/x', 'w')\n    seen['write'] = True\nexcept OSError:\n    seen['write'] = False\n"
        "open('mine.txt', 'w').write('ok')\n"
        "assert seen == {'kit': False, 'pids': seen['pids'], 'path': [], 'threads': {'1'}, 'import': False, 'write': False}, seen\n"
        "assert seen['pids'] <= 3, seen\n") % ([str(ROOT / "autograder" / "__init__.py"), str(ROOT / "solutions" / "ch02.py")],
                                                THREAD_ENV)
    # The hang waits rather than spins: the time limit stops it the same way (an interrupt through
    # the sandbox, then the next cell), without a core for 10 s; spinning hangs in sandboxed kernels
    # are the chapter-2 corpus's (tests/test_corpus_kernel.py).
    cells = [probe, "import time\nwhile True:\n    time.sleep(0.05)", "import time\nhog = b'x' * (900 * 2**20)\ntime.sleep(2)",
             "x = 1"]
    with KernelSession(cells, tmp_path, setup, limits) as session:
        outcomes = session.run_cells()
    assert [o.status for o in outcomes] == ["ok", "timeout", "died", "ok"], [(o.status, o.error) for o in outcomes]
    assert "메모리" in outcomes[2].error
    assert not (tmp_path / "mine.txt").exists()  # its private working folder is a tmpfs of its own


def test_a_sandbox_whose_grader_died_while_bwrap_set_it_up_never_starts_the_kernel():
    """bwrap drops the parent-death signal while it sets the sandbox up and arms its own only
    after: the kernel's command first checks its lifeline, a pipe only the grader writes to."""
    from autograder.engine.confine import rlimit_prefix

    for grader_alive in (True, False):
        read, write = os.pipe()
        if not grader_alive:
            os.close(write)
        started = subprocess.run([*rlimit_prefix(sys.executable, None, 2**20, lifeline=read), "echo", "started"],
                                 pass_fds=(read,), capture_output=True, text=True, timeout=30)
        os.close(read)
        if grader_alive:
            os.close(write)
            assert (started.returncode, started.stdout) == (0, "started\n"), started.stderr
        else:
            assert (started.returncode, started.stdout) == (1, ""), started.stderr


def test_a_kernel_dies_with_the_grader_that_started_it_from_fork_on():
    """What runs between fork and exec of every kernel: from then on the kernel is killed with
    its grader, even before bwrap or ipykernel watch their parent (a grader killed in that
    moment left a kernel running), and a grader already gone means no kernel at all."""
    import signal as signals

    import psutil

    from autograder.engine.sandbox import _in_the_kernels_process

    grader = subprocess.Popen([sys.executable, "-c", (
        "import functools, os, subprocess, sys, time\n"
        "from autograder.engine.sandbox import _in_the_kernels_process\n"
        "kernel = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],\n"
        "                          preexec_fn=functools.partial(_in_the_kernels_process, os.getpid(), None))\n"
        "print(kernel.pid, flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True, env=subprocess_env())
    kernel = psutil.Process(int(grader.stdout.readline()))
    assert kernel.is_running()
    grader.send_signal(signals.SIGKILL)
    grader.wait()
    gone, _ = psutil.wait_procs([kernel], timeout=5)
    assert gone, "the kernel outlived its killed grader"
    late = subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True,
                          preexec_fn=lambda: _in_the_kernels_process(-1, None))
    assert late.returncode == 1 and late.stdout == ""  # its grader is not its parent any more: never runs
