"""A submission's code, executing in its own Jupyter kernel with limits.

The kernel runs a harness cell first (output cap, the kit made unimportable, MNIST served
from a local file), then the student's cells one by one. A cell that overruns its time
limit is interrupted; a cell that kills the kernel or leaves it unresponsive is skipped and
the kernel is started again with the cells before it replayed, so the questions whose code
is intact are still graded. Probes then run in the same kernel and come back as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .. import mnist
from . import runtime

RUNTIME_SOURCE = Path(runtime.__file__).read_text(encoding="utf-8")
KIT_PACKAGES = ("solutions", "autograder")
LIVE_KERNELS: set[int] = set()  # pids of this process's running kernels (see kill_live_kernels)


def kill_live_kernels() -> None:
    """Kill every kernel this process started, and their children: a grading worker that is
    told to stop must not leave kernels running (they live in sessions of their own)."""
    for pid in list(LIVE_KERNELS):
        try:
            process = psutil.Process(pid)
            for child in process.children(recursive=True):
                child.kill()
            process.kill()
        except psutil.Error:
            pass
        LIVE_KERNELS.discard(pid)


@dataclass(frozen=True)
class Limits:
    cell_seconds: int = 120  # one notebook cell
    notebook_seconds: int = 900  # all notebook cells together
    memory_mb: int = 4096  # resident memory of the kernel and its children
    output_chars: int = 200_000  # printed text kept per stream
    restarts: int = 3


@dataclass
class CellOutcome:
    index: int  # position among the submission's code cells
    status: str  # ok | error | timeout | died | stuck | skipped
    error: str = ""


class ProbeFailed(Exception):
    """The probes of a question could not report (timeout, dead kernel); message in Korean."""


def harness_source(mnist_path: Path | None, output_chars: int) -> str:
    """First cell of every graded kernel. Sent as text: the kernel never imports the kit."""
    lines = [
        "import sys as _sys",
        "class _ChO2Capped:",
        "    def __init__(self, stream, limit):",
        "        self._stream, self._limit, self._used = stream, limit, 0",
        "    def write(self, text):",
        "        if self._used < self._limit:",
        "            self._stream.write(text[: self._limit - self._used])",
        "            if self._used + len(text) >= self._limit:",
        "                self._stream.write('\\n[출력이 너무 길어 이후 출력은 생략합니다]\\n')",
        "        self._used += len(text)",
        "        return len(text)",
        "    def __getattr__(self, name):",
        "        return getattr(self._stream, name)",
        f"_sys.stdout = _ChO2Capped(_sys.stdout, {output_chars})",
        f"_sys.stderr = _ChO2Capped(_sys.stderr, {output_chars})",
        "class _ChO2Blocker:",
        f"    blocked = {KIT_PACKAGES!r}",
        "    def find_spec(self, name, path=None, target=None):",
        "        if name.split('.')[0] in self.blocked:",
        "            raise ImportError(f'채점 중에는 {name} 모듈을 불러올 수 없습니다 (채점 도구의 모듈입니다).')",
        "        return None",
        "_sys.meta_path.insert(0, _ChO2Blocker())",
        "del _ChO2Capped, _ChO2Blocker, _sys",
    ]
    source = "\n".join(lines) + "\n"
    if mnist_path is not None:
        source += mnist.keras_patch_source(mnist_path)
    return source


def probe_source(specs: list[dict], out_path: Path) -> str:
    return (
        "def _ch02_probe(namespace):\n"
        "    runtime = {'__name__': 'ch02_runtime'}\n"
        f"    exec(compile({RUNTIME_SOURCE!r}, {runtime.RUNTIME_FILENAME!r}, 'exec'), runtime)\n"
        f"    runtime['main'](namespace, runtime['json'].loads({json.dumps(specs)!r}), {str(out_path)!r})\n"
        "_ch02_probe(globals())\n"
        "del _ch02_probe\n"
    )


def _error_text(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', '')}: {str(output.get('evalue', ''))[:300]}"
    return ""


@dataclass
class KernelSession:
    cells: list[str]
    workdir: Path
    mnist_path: Path | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self):
        self.outcomes: dict[int, CellOutcome] = {}
        self.skip: set[int] = set()
        self.notes: list[str] = []  # Korean, for the status column
        self.memory_exceeded = False
        self._client: NotebookClient | None = None
        self._watcher: threading.Thread | None = None
        self._restarts = 0

    # ------------------------------------------------------------------ kernel life

    def _start(self) -> None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", MPLBACKEND="Agg",
                   PYTHONWARNINGS="ignore")
        if self.mnist_path is not None:
            env[mnist.ENV_VAR] = str(self.mnist_path)
        notebook = nbformat.v4.new_notebook()
        client = NotebookClient(
            notebook, timeout=self.limits.cell_seconds, kernel_name="python3", allow_errors=True,
            interrupt_on_timeout=True, record_timing=False, iopub_timeout=10,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "시간 제한 초과", "traceback": []},
            resources={"metadata": {"path": str(self.workdir)}})
        client.km = client.create_kernel_manager()
        client.start_new_kernel(cwd=str(self.workdir), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.start_new_kernel_client()
        self._client = client
        pid = self._pid(client)
        if pid is not None:
            LIVE_KERNELS.add(pid)
        self._watcher = threading.Thread(target=self._watch_memory, args=(client,), daemon=True)
        self._watcher.start()
        self._execute(harness_source(self.mnist_path, self.limits.output_chars), 120)

    def _pid(self, client) -> int | None:
        process = getattr(getattr(client.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def _watch_memory(self, client) -> None:
        pid = self._pid(client)
        if pid is None:
            return
        limit = self.limits.memory_mb * 1024 * 1024
        try:
            process = psutil.Process(pid)
            while self._client is client and process.is_running():
                used = process.memory_info().rss + sum(
                    child.memory_info().rss for child in process.children(recursive=True))
                if used > limit:
                    self.memory_exceeded = True
                    for child in process.children(recursive=True):
                        child.kill()
                    process.kill()
                    return
                time.sleep(0.2)
        except psutil.Error:
            return

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        pid = self._pid(client)
        try:
            client._cleanup_kernel()  # stops the channels and shuts down the kernel it owns
        except Exception:
            pass
        LIVE_KERNELS.discard(pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------------ execution

    def _execute(self, source: str, timeout: float):
        """Run one cell; returns (status, error text)."""
        cell = nbformat.v4.new_code_cell(source)
        self._client.nb.cells.append(cell)
        index = len(self._client.nb.cells) - 1
        self._client.timeout = int(timeout)
        started = time.monotonic()
        try:
            self._client.execute_cell(cell, index)
        except DeadKernelError:
            return "died", ""
        finally:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if time.monotonic() - started >= timeout:
            return ("timeout" if self._responsive() else "stuck"), "시간 제한 초과"
        error = _error_text(cell)
        return ("error" if error else "ok"), error

    def _responsive(self) -> bool:
        """After an interrupt, does the kernel answer again?"""
        cell = nbformat.v4.new_code_cell("pass")
        self._client.nb.cells.append(cell)
        self._client.timeout = 10
        started = time.monotonic()
        try:
            self._client.execute_cell(cell, len(self._client.nb.cells) - 1)
        except DeadKernelError:
            return False
        return time.monotonic() - started < 10

    def run_cells(self) -> list[CellOutcome]:
        """Execute the notebook; cells that kill or hang the kernel are skipped on replay."""
        while True:
            self.close()
            self._start()
            budget_end = time.monotonic() + self.limits.notebook_seconds
            broken = None
            for index, source in enumerate(self.cells):
                if index in self.skip:
                    continue
                if time.monotonic() > budget_end:
                    self.outcomes[index] = CellOutcome(index, "skipped", "노트북 전체 시간 제한 초과")
                    continue
                status, error = self._execute(source, self.limits.cell_seconds)
                if status in ("died", "stuck"):
                    broken = CellOutcome(index, status, self._death_reason(status))
                    break
                self.outcomes[index] = CellOutcome(index, status, error)
            if broken is None:
                return [self.outcomes[i] for i in sorted(self.outcomes)]
            self.outcomes[broken.index] = broken
            self.skip.add(broken.index)
            self._restarts += 1
            if self._restarts > self.limits.restarts:
                for index in range(broken.index + 1, len(self.cells)):
                    self.outcomes[index] = CellOutcome(index, "skipped", "커널 재시작 횟수 초과")
                    self.skip.add(index)

    def _death_reason(self, status: str) -> str:
        if status == "stuck":
            return "시간 제한을 넘긴 뒤 중단되지 않아 커널을 다시 시작했습니다"
        if self.memory_exceeded:
            self.memory_exceeded = False
            return f"메모리 한도({self.limits.memory_mb} MB)를 넘어 커널이 종료되었습니다"
        return "커널이 종료되었습니다"

    def probe(self, specs: dict[str, dict]) -> dict[str, dict]:
        """Run probes in the kernel; keys of ``specs`` map to observations."""
        if self._client is None:
            raise ProbeFailed("커널이 실행 중이 아닙니다.")
        out_path = self.workdir / f".probe-{uuid.uuid4().hex}.json"
        keys = list(specs)
        seconds = 30 + sum(spec.get("limit", spec.get("seconds", runtime.CALL_SECONDS))
                           for spec in specs.values())
        status, error = self._execute(probe_source([specs[k] for k in keys], out_path), seconds)
        if status in ("died", "stuck"):
            reason = self._death_reason(status)
            self._recover()
            raise ProbeFailed(f"채점 중 {reason}.")
        if status == "timeout":
            raise ProbeFailed("채점 중 시간 제한을 넘겼습니다.")
        try:
            observations = json.loads(out_path.read_text(encoding="utf-8"))
            out_path.unlink()
        except (OSError, ValueError) as problem:
            raise ProbeFailed(f"채점 결과를 받지 못했습니다 ({error or problem}).") from None
        if not isinstance(observations, list) or len(observations) != len(keys):
            raise ProbeFailed("채점 결과의 형식이 올바르지 않습니다.")
        return dict(zip(keys, observations))

    def _recover(self) -> None:
        """A fresh kernel with the notebook replayed, for the questions still to grade."""
        if self._restarts >= self.limits.restarts:
            self.close()
            return
        self._restarts += 1
        self.close()
        self._start()
        for index, source in enumerate(self.cells):
            if index not in self.skip:
                status, _ = self._execute(source, self.limits.cell_seconds)
                if status in ("died", "stuck"):
                    self.close()
                    return
