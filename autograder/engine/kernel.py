"""A submission's code, executing in its own Jupyter kernel with limits.

The kernel runs a harness cell first (output cap, the kit made unimportable, datasets served
from local files), then the student's cells one by one. A cell that overruns its time limit
is interrupted; a cell that kills the kernel or leaves it unresponsive is skipped and the
kernel is started again with the cells before it replayed, so the questions whose code is
intact are still graded. Probes then run in the same kernel and come back as JSON.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from ..kernel_side import runtime
from ..kernel_side.channel import EVENT
from . import capacity, confine, files, kernel_code, sandbox

# What every graded kernel gets, whichever front-end starts it (``autograder grade``, the
# otter plugin, the nbgrader course's config): quiet TensorFlow, no warnings on stderr (nbgrader
# zeroes a test cell that writes there), a fixed hash seed, plots without a display.
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
# The width of the kernel's compute pools (TensorFlow's two, numpy's BLAS): its share of the CPUs
THREAD_ENV = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS")
# The notebook's self-check tool: imported by its setup cell, never needed to grade it (its
# calls are stripped), and slow to import; an inert stand-in takes its place in graded kernels.
SELF_CHECK_TOOLS = ("otter",)
PROBE_BYTES = 256 * 2**20  # the most a probe's result file may hold
AFTER_BUDGET_SECONDS = 10  # each cell's limit once the notebook's budget (Limits.notebook_seconds) is spent
# After an interrupt, a kernel that does not run ``pass`` within this is restarted: an
# interrupted kernel answers in milliseconds, and a stuck one would cost this on every hang
RESPONSIVE_SECONDS = 5
OUTPUT_SECONDS = 10  # after a cell's reply, its last outputs (an error) may still be on their way
AFTER_INTERRUPT_OUTPUT_SECONDS = 2  # a cell interrupted at its limit: the kernel sends what it has at once, or never
LIVE_KERNELS: set[int] = set()  # pids of this process's running kernels (see kill_live_kernels)


@dataclass(frozen=True)
class Limits:
    cell_seconds: int = 120  # one notebook cell
    notebook_seconds: int = 900  # all notebook cells together
    memory_mb: int = 4096  # the kernel's whole footprint: its processes, shared memory, memfd, its tmpfs files
    tasks: int = 512  # processes and threads of the kernel together (thread and fork bombs)
    disk_mb: int = 512  # its working folder (a tmpfs in the sandbox; else the largest file it may write)
    submission_seconds: int = 2400  # one submission in a batch, all kernels and probes together
    output_chars: int = 200_000  # printed text kept per stream
    restarts: int = 3
    device: str = "auto"  # where TensorFlow computes: auto (a GPU when it sees one) | cpu | gpu
    sandbox: bool = True  # the kernel in bubblewrap (engine.sandbox); without it, a note in the status
    run_as: str | None = None  # without the sandbox: run the kernel as this user (setpriv; grader is root)
    # compute threads per kernel; None: the CPUs this grader may use. A batch gives each kernel at
    # most its share; an assignment whose work gains no time from more threads sets fewer.
    threads: int | None = None

    # What a platform's configuration may set (the otter plugin's config, course files): the
    # limits themselves, never how the grader isolates kernels on the machine it runs on.
    CONFIGURABLE = ("cell_seconds", "notebook_seconds", "memory_mb", "tasks", "disk_mb", "submission_seconds",
                    "output_chars", "device")
    DEVICES = ("auto", "cpu", "gpu")

    def __post_init__(self):
        if self.device not in self.DEVICES:
            raise ValueError(f"device must be one of {', '.join(self.DEVICES)}, not {self.device!r}")
        for name in ("cell_seconds", "notebook_seconds", "memory_mb", "tasks", "disk_mb", "submission_seconds",
                     "output_chars", "threads"):
            value = getattr(self, name)
            if name == "threads" and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")

    def with_overrides(self, **overrides) -> "Limits":
        """These limits with each override that is given (not None): the one way an assignment's
        own limits meet a front end's settings (the CLI's options, the otter plugin's config,
        nbgrader's sandbox check), so every front end starts from the assignment's limits."""
        unknown = set(overrides) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def config(self) -> dict:
        """The configurable limits as plain data (what the build writes into a platform's config)."""
        return {name: getattr(self, name) for name in self.CONFIGURABLE}

    def from_config(self, config) -> "Limits":
        """These limits with a platform's config applied (only the configurable keys it holds)."""
        return self.with_overrides(**{k: config[k] for k in self.CONFIGURABLE if k in config})


@dataclass(frozen=True)
class KernelSetup:
    """What a graded kernel is given: its environment, its first cell, the kernel-side probe
    modules of the assignment."""

    env: Mapping[str, str]
    harness: str
    probe_modules: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()  # files the kernel may read (datasets), at their own path
    hidden: tuple[str, ...] = ()  # packages the kernel must not see (the kit, the answer key)

    @classmethod
    def for_assignment(cls, assignment, data: Mapping, limits: Limits, purpose: str = "notebook") -> "KernelSetup":
        """``data``: dataset -> file, as the grader resolved them; the kernel gets the dataset's
        kernel copy for ``purpose`` ("notebook" or "training": never the answers)."""
        files = {dataset: str(Path(dataset.kernel_copy(path, purpose) if dataset.kernel_copy else path).resolve())
                 for dataset, path in data.items()}
        env = dict(KERNEL_ENV, **{dataset.env_var: path for dataset, path in files.items()})
        if limits.device == "cpu":
            env["CUDA_VISIBLE_DEVICES"] = "-1"  # TensorFlow in the kernel sees no GPU
        threads = str(limits.threads or capacity.kernel_threads())
        env.update({name: threads for name in THREAD_ENV})
        patches = [dataset.kernel_patch(path) for dataset, path in files.items()]
        harness = (harness_source(assignment.kit_roots, limits.output_chars, patches, SELF_CHECK_TOOLS)
                   + channel_source(tuple(assignment.probe_modules)))
        return cls(env, harness,
                   tuple(assignment.probe_modules), tuple(files.values()), tuple(assignment.kit_roots))


@dataclass
class CellOutcome:
    index: int  # position among the submission's code cells
    status: str  # ok | error | timeout | died | stuck | skipped
    error: str = ""


class ProbeFailed(Exception):
    """The probes of a question could not report (timeout, dead kernel); message in Korean."""


def harness_source(blocked: tuple[str, ...], output_chars: int, patches: list[str] = (),
                   stand_ins: tuple[str, ...] = ()) -> str:
    """First cell of every graded kernel (sent as text: the kernel never imports the kit)."""
    body = (f"modules['autograder.kernel_side.harness'].install({output_chars!r}, {tuple(blocked)!r}, "
            f"{tuple(stand_ins)!r})")
    return kernel_code.cell(kernel_code.HARNESS, body) + "".join(patches)


KEY_FILE = ".autograder-key"  # in the kernel's working folder: read and deleted by the harness
CHANNEL = ("autograder.kernel_side.channel",)


def channel_source(probe_modules: tuple[str, ...]) -> str:
    """The harness's second part: the probe runtime and the assignment's probes, loaded before any
    student code runs and kept out of ``sys.modules``, behind the private channel
    (``kernel_side.channel``) that takes the kernel's key from ``KEY_FILE``."""
    body = (f"modules['autograder.kernel_side.channel'].install(modules['autograder.kernel_side.runtime'], "
            f"[getattr(modules[name], 'PROBES', {{}}) for name in {tuple(probe_modules)!r}], {KEY_FILE!r})")
    return kernel_code.cell(kernel_code.RUNTIME + tuple(probe_modules) + CHANNEL, body)


def probe_source(specs: list[dict], nonce: str, out_path: Path) -> str:
    """A probe cell: it only asks the channel, by its audit event, to run ``specs``."""
    return (f"__import__('sys').audit({EVENT!r}, {nonce!r}, {json.dumps(specs)!r}, {str(out_path)!r}, globals())\n")


class TamperedResult(ValueError):
    pass


def read_result(text: str, key: bytes, nonce: str, specs: list[dict]) -> list:
    """The observations of a probe cell, if the channel wrote them for this nonce and these specs."""
    header, _, body = text.partition("\n")
    envelope = json.loads(header)
    digest = hashlib.sha256(json.dumps(specs).encode()).hexdigest()
    mac = hmac.new(key, "\0".join([nonce, digest, body]).encode(), hashlib.sha256).hexdigest()
    if not (isinstance(envelope, dict) and envelope.get("nonce") == nonce and envelope.get("specs") == digest
            and hmac.compare_digest(str(envelope.get("mac")), mac)):
        raise TamperedResult("signature")
    return json.loads(body)


def kill_live_kernels() -> None:
    """Kill every kernel this process started (and anything they started): a grading worker
    that is told to stop must not leave kernels running. They live in sessions of their own,
    so a signal to the worker's group does not reach them; a kernel still starting is not yet
    in ``LIVE_KERNELS`` but is already a child of this process."""
    targets = set(LIVE_KERNELS)
    try:
        targets |= {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:
        pass
    for pid in targets:
        try:
            process = psutil.Process(pid)
            for child in process.children(recursive=True):
                child.kill()
            process.kill()
        except psutil.Error:
            pass
    LIVE_KERNELS.clear()


def _kill_tree(pid: int) -> None:
    """Kill a process and every descendant; ones already gone are skipped."""
    try:
        process = psutil.Process(pid)
        children = process.children(recursive=True)
    except psutil.Error:
        return
    for each in [process, *children]:
        try:
            each.kill()
        except psutil.Error:
            pass


def _read_plain_file(path: Path) -> str:
    """A file the kernel wrote, refusing a symbolic link, a FIFO or a device it might have put
    there instead (never blocking on one), and anything past ``PROBE_BYTES``."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > PROBE_BYTES:
            raise OSError("not a regular file of a probe's size")
        return handle.read(PROBE_BYTES + 1).decode("utf-8")


def _error_text(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', '')}: {str(output.get('evalue', ''))[:300]}"
    return ""


class _Client(NotebookClient):
    """nbclient, except that a cell interrupted at its time limit waits for its last outputs
    only briefly: a kernel that honours the interrupt sends them at once, and a stuck one never
    does (nbclient would wait ``iopub_timeout`` more on every hang)."""

    async def _async_handle_timeout(self, timeout, cell=None):
        self.iopub_timeout = AFTER_INTERRUPT_OUTPUT_SECONDS
        return await super()._async_handle_timeout(timeout, cell)


@dataclass
class KernelSession:
    cells: list[str]
    workdir: Path
    setup: KernelSetup
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.outcomes: dict[int, CellOutcome] = {}
        self.skip: set[int] = set()
        self.memory_exceeded = False
        self.tasks_exceeded = False
        self._confinement: confine.Confinement | None = None
        self._client: NotebookClient | None = None
        self._restarts = 0
        self._sockets: Path | None = None
        self._key = b""

    # ------------------------------------------------------------------ kernel life

    def _start(self) -> None:
        notebook = nbformat.v4.new_notebook()
        client = _Client(
            notebook, timeout=self.limits.cell_seconds, kernel_name="python3", allow_errors=True,
            interrupt_on_timeout=True, record_timing=False, iopub_timeout=OUTPUT_SECONDS,
            shutdown_kernel="immediate",  # nothing is left to save: a graceful TensorFlow exit costs 1.5-2.5 s
            error_on_timeout={"ename": "CellTimeoutError", "evalue": "시간 제한 초과", "traceback": []},
            resources={"metadata": {"path": str(self.workdir)}},
            kernel_manager_class=(sandbox.SandboxedKernelManager if self.limits.sandbox else
                                  sandbox.UserKernelManager if self.limits.run_as else sandbox.LimitedKernelManager))
        client.km = client.create_kernel_manager()
        self._confinement = confine.Confinement.create(self.limits.tasks, self.limits.memory_mb * 2**20)
        # RLIMIT_NPROC only where the kernel's tasks are counted apart (a user namespace of its
        # own, or a user of its own); elsewhere the control group and the watcher hold the limit
        own_count = self.limits.sandbox or bool(self.limits.run_as)
        client.km.limit(self._confinement, self.limits.tasks if own_count else None, self.limits.disk_mb * 2**20)
        if self.limits.run_as and not self.limits.sandbox:
            client.km.configure(self.limits.run_as, self.workdir)
        if self.limits.sandbox:
            # short (a socket path has 108 bytes), and named by its owner (a killed run's is removed)
            self._sockets = Path(tempfile.mkdtemp(prefix=files.temporary_prefix("agk-")))
            client.km.configure(sandbox.Sandbox(self.workdir, self._sockets, self.setup.read_only,
                                                dict(self.setup.env), self.setup.hidden,
                                                work_bytes=self.limits.disk_mb * 2**20))
            env = None  # the sandbox's own (bwrap --clearenv)
        else:  # never the grader's PYTHONPATH: the kit would be one import away
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | dict(self.setup.env)
        client.start_new_kernel(cwd=str(self.workdir), **({"env": env} if env else {}),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.start_new_kernel_client()
        self._client = client
        pid = self._pid(client)
        if pid is not None:
            LIVE_KERNELS.add(pid)
        self._baseline = (self._confinement.oom_kills(), self._confinement.task_refusals())
        threading.Thread(target=self._watch, args=(client, self._confinement), daemon=True).start()
        self._key = secrets.token_bytes(32)
        self._write_key()
        self._execute(self.setup.harness, 120)

    def _write_key(self) -> None:
        """This kernel's secret for the probe channel, in a file only the kernel's user reads; the
        harness reads it and deletes it before the first student cell."""
        folder = Path(self._client.km.inside(sandbox.WORKDIR)) if self.limits.sandbox else self.workdir  # its tmpfs
        path = folder / KEY_FILE
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(descriptor, self._key)
            owner = folder.stat()
            if (owner.st_uid, owner.st_gid) != (os.getuid(), os.getgid()):
                os.fchown(descriptor, owner.st_uid, owner.st_gid)  # a kernel run as another user
        finally:
            os.close(descriptor)

    def _pid(self, client) -> int | None:
        process = getattr(getattr(client.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def _watch(self, client, confinement: confine.Confinement) -> None:
        """Kill the kernel, and everything it started, past its memory or task limit. Counted
        from the outside, whatever the control groups already enforce: the whole tree's
        resident memory plus its memfd and shared-memory files, and its threads. A process
        that ends while being counted is skipped; the watch ends only with the kernel."""
        pid = self._pid(client)
        if pid is None:
            return
        limit = self.limits.memory_mb * 2**20
        tick = 0
        while self._client is client:
            tick += 1
            try:
                if not psutil.Process(pid).is_running():
                    return
                # With control groups the kernel enforces both limits and the counters tell; the
                # tree is then counted once a second, not five times (a scan of every process).
                counted = not confinement.groups or tick % 5 == 0
                used, tasks = confine.footprint(pid) if counted else (0, 0)
                over_memory = used > limit or confinement.oom_kills() > self._baseline[0]
                # at the limit counts: RLIMIT_NPROC refuses the next task without telling anyone
                over_tasks = tasks >= self.limits.tasks or confinement.task_refusals() > self._baseline[1]
                if over_memory or over_tasks:
                    self.memory_exceeded, self.tasks_exceeded = over_memory, over_tasks and not over_memory
                    _kill_tree(pid)
                    confinement.kill_all()
                    return
            except psutil.NoSuchProcess as gone:
                if gone.pid == pid:
                    return
            except Exception:  # never a reason to stop watching
                pass
            time.sleep(0.2)

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
        if self._confinement is not None:  # whatever the kernel left (daemons, a stuck fork bomb)
            self._confinement.close()
            self._confinement = None
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

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
        self._client.timeout, self._client.iopub_timeout = int(timeout), OUTPUT_SECONDS
        started = time.monotonic()
        try:
            self._client.execute_cell(cell, index)
        except DeadKernelError:
            return "died", ""
        except ValueError:  # a message cut short by a kill (jupyter_client: "Invalid Signature")
            pid = self._pid(self._client)
            if pid is not None:
                _kill_tree(pid)
            return "died", ""
        finally:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if self._limit_hit():  # this cell's doing, even when the kernel survived it
            return "died", ""
        if time.monotonic() - started >= timeout:
            return ("timeout" if self._responsive() else "stuck"), "시간 제한 초과"
        error = _error_text(cell)
        return ("error" if error else "ok"), error

    def _limit_hit(self) -> bool:
        """Did the kernel reach its memory or task limit (the control groups' counters)? If so,
        it is killed with everything it started."""
        confinement = self._confinement
        if confinement is None or not confinement.groups:
            return False
        memory = confinement.oom_kills() > self._baseline[0]
        tasks = confinement.task_refusals() > self._baseline[1]
        if not (memory or tasks):
            return False
        self.memory_exceeded, self.tasks_exceeded = memory, tasks and not memory
        pid = self._pid(self._client)
        if pid is not None:
            _kill_tree(pid)
        confinement.kill_all()
        return True

    def _responsive(self) -> bool:
        """After an interrupt, does the kernel answer again?"""
        cell = nbformat.v4.new_code_cell("pass")
        self._client.nb.cells.append(cell)
        self._client.timeout, self._client.iopub_timeout = RESPONSIVE_SECONDS, AFTER_INTERRUPT_OUTPUT_SECONDS
        started = time.monotonic()
        try:
            self._client.execute_cell(cell, len(self._client.nb.cells) - 1)
        except DeadKernelError:
            return False
        return time.monotonic() - started < RESPONSIVE_SECONDS

    def _replay(self) -> CellOutcome | None:
        """A fresh kernel running every cell not skipped, in order; returns the outcome of
        the first cell that kills or hangs the kernel (the run stops there), else None."""
        self.close()
        self._start()
        budget_end = time.monotonic() + self.limits.notebook_seconds
        for index, source in enumerate(self.cells):
            if index in self.skip:
                continue
            status, error = self._execute(source, self._cell_seconds(budget_end))
            if status == "timeout":
                self._remember_overran()
            if status in ("died", "stuck"):
                return CellOutcome(index, status, self._death_reason(status))
            self.outcomes[index] = CellOutcome(index, status, error)
        return None

    def _cell_seconds(self, budget_end: float) -> float:
        """A cell's limit: its own, and once the notebook's budget is spent a short one, so a
        notebook that spent it still runs the cells after (definitions take milliseconds) and
        the questions they define are graded."""
        if time.monotonic() < budget_end:
            return self.limits.cell_seconds
        return min(self.limits.cell_seconds, AFTER_BUDGET_SECONDS)

    def _remember_overran(self) -> None:
        """After a cell timed out: the student's functions it was running are not waited on again
        in later cells (``kernel_side.overran``)."""
        body = "modules['autograder.kernel_side.overran'].remember(get_ipython())"
        self._execute(kernel_code.cell(("autograder.kernel_side.overran",), body), 10)

    def run_cells(self) -> list[CellOutcome]:
        """Execute the notebook; cells that kill or hang the kernel are skipped on replay."""
        while True:
            broken = self._replay()
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
        confinement = self._confinement
        if confinement is not None and not (self.memory_exceeded or self.tasks_exceeded):
            time.sleep(0.1)  # the kernel's own counters, when it killed first
            self.memory_exceeded = confinement.oom_kills() > self._baseline[0]
            self.tasks_exceeded = not self.memory_exceeded and confinement.task_refusals() > self._baseline[1]
        if self.memory_exceeded:
            self.memory_exceeded = self.tasks_exceeded = False
            return f"메모리 한도({self.limits.memory_mb} MB)를 넘어 커널이 종료되었습니다"
        if self.tasks_exceeded:
            self.tasks_exceeded = False
            return f"프로세스·스레드 수 한도({self.limits.tasks}개)를 넘어 커널이 종료되었습니다"
        return "커널이 종료되었습니다"

    def probe(self, specs: dict) -> dict:
        """Run probes in the kernel; keys of ``specs`` map to observations."""
        if self._client is None:
            raise ProbeFailed("커널이 실행 중이 아닙니다.")
        nonce = uuid.uuid4().hex
        name = f".probe-{nonce}.json"
        out_path = Path(sandbox.WORKDIR) / name if self.limits.sandbox else self.workdir / name
        keys = list(specs)
        listed = [specs[k] for k in keys]
        seconds = 30 + sum(spec.get("limit", spec.get("seconds", runtime.CALL_SECONDS)) for spec in specs.values())
        status, error = self._execute(probe_source(listed, nonce, out_path), seconds)
        if status in ("died", "stuck"):
            reason = self._death_reason(status)
            self._recover()
            raise ProbeFailed(f"채점 중 {reason}.")
        if status == "timeout":
            raise ProbeFailed("채점 중 시간 제한을 넘겼습니다.")
        try:
            if self.limits.sandbox:  # its tmpfs, seen through the kernel's own root
                seen = Path(self._client.km.inside(str(out_path)))
                text = _read_plain_file(seen)
                seen.unlink()
            else:
                text = _read_plain_file(out_path)
                out_path.unlink()
            observations = read_result(text, self._key, nonce, listed)
        except TamperedResult:
            raise ProbeFailed("채점 결과가 채점 도구가 아닌 코드로 쓰이거나 바뀌었습니다 (서명 불일치).") from None
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
        if self._replay() is not None:
            self.close()
