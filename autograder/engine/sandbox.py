"""Student kernels in a sandbox: bubblewrap (``bwrap``, Debian's ``bubblewrap``).

The kernel sees the Python installation and its packages read-only, without the kit's own
(``autograder``, the answer keys, the editable install's finder and ``.pth``, the console
script); the dataset files read-only; a private writable working folder, ``/tmp`` and a home,
each on a size-capped tmpfs, the working folder too (``/submission``); ``/proc`` of its own processes only; no
network. So a cell cannot read the answer key, the grades, the cache or other submissions,
whatever it tries (``sys.path``, the finder, ``/proc/<parent>``, a walk of ``/``).

The kernel talks to the grader over Unix sockets (jupyter_client's ``ipc`` transport) in a
tmpfs of its own (``/kernel``), which the grader reaches through ``/proc/<kernel>/root``, so no
folder of the host is writable from inside; bwrap's options reach it through a pipe
(``--args FD``), so ``/proc/1/cmdline`` inside names no host path. ``--die-with-parent``
ends the kernel with the worker that started it (even SIGKILL).
"""

from __future__ import annotations

import ctypes
import functools
import glob
import importlib.metadata
import json
import os
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from jupyter_client.manager import AsyncKernelManager

from . import confine

HOME = "/home/student"
# The whole environment of a sandboxed kernel, with the kernel environment and the datasets'
# variables added: nothing of the grader's (no PYTHONPATH, no JPY_PARENT_PID: inside a pid
# namespace ipykernel would take its parent for dead and exit).
BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
            "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONNOUSERSITE": "1"}
TMP_BYTES = 256 * 2**20  # /tmp and the home: tmpfs pages are in no process's memory, so capped here
SHM_BYTES = 64 * 2**20
WORK_BYTES = 512 * 2**20  # the working folder's default size (Limits.disk_mb)
WORKDIR = "/submission"  # the kernel's working folder, inside the sandbox
SOCKETS = "/kernel"  # the kernel's connection file and Unix sockets, inside the sandbox
SOCKETS_BYTES = 2**20
INSIDE_CONNECTION = "inside.json"  # the connection file as the kernel reads it (beside the grader's)
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
                "/etc/group", "/etc/nsswitch.conf", "/etc/alternatives", "/etc/fonts", "/etc/mime.types", "/etc/ssl")


class SandboxUnavailable(RuntimeError):
    pass


def bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def check() -> str | None:
    """None when bwrap can make the sandbox here, else why not (once per process: ~10 ms)."""
    program = bwrap()
    if program is None:
        return "bwrap is not installed (Debian/Ubuntu: apt install bubblewrap)"
    try:
        done = subprocess.run([program, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                               "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as problem:
        return f"bwrap could not start: {problem}"
    if done.returncode != 0:
        return (done.stderr.strip() or f"bwrap exited with {done.returncode}") + \
            " (user namespaces may be disabled on this machine)"
    return None


def _site_dirs() -> list[str]:
    return [path for path in site.getsitepackages() if os.path.isdir(path)]


def _python_roots() -> list[str]:
    """Folders holding the interpreter, its standard library and the packages."""
    roots = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    return sorted(roots)


@functools.lru_cache(maxsize=None)
def kit_masks(roots: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What of the kit's installed distributions the Python installation holds: (files to
    cover with /dev/null, folders to cover with an empty tmpfs). Reading every distribution's
    file list takes a few tenths of a second: once per process."""
    names = {name for root in roots for name in importlib.metadata.packages_distributions().get(root, [])}
    files, folders = set(), set()
    for name in names:
        distribution = importlib.metadata.distribution(name)
        # absolute: a checkout's own .egg-info is found through a relative sys.path entry ("")
        base = Path(distribution.locate_file("")).resolve()
        folders.add(str(Path(distribution._path).resolve()))  # its .dist-info (direct_url.json names the checkout)
        for relative in distribution.files or ():
            path = Path(os.path.normpath(base / relative))
            if relative.parts and relative.parts[0] in roots:  # a regular install: the whole package
                folders.add(str(base / relative.parts[0]))
            elif path.is_file():
                files.add(str(path))
    for directory in _site_dirs():  # any editable-install finder and .pth, and their bytecode
        for pattern in ("__editable__*", "__pycache__/__editable__*"):
            files.update(glob.glob(os.path.join(directory, pattern)))
    files = {f for f in files if not any(f.startswith(folder + os.sep) for folder in folders)}
    return tuple(sorted(files)), tuple(sorted(folders))


@dataclass(frozen=True)
class Sandbox:
    """What one kernel sees."""

    workdir: Path  # the grader's folder for this kernel (its working folder when not sandboxed)
    sockets: Path  # the connection file and the Unix sockets
    read_only: tuple[str, ...] = ()  # files bound at their own path (datasets)
    env: dict = field(default_factory=dict)
    roots: tuple[str, ...] = ("autograder", "solutions")  # packages hidden from the kernel
    work_bytes: int = WORK_BYTES  # the size of its working folder (a tmpfs: the host's disk is never used)

    def options(self) -> list[str]:
        """bwrap's options (the command comes after them)."""
        options = ["--unshare-user", "--disable-userns",  # no namespaces of its own for student code
                   "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "grader",
                   "--ro-bind", "/usr", "/usr"]
        for link in ("bin", "lib", "lib64", "sbin"):
            target = "/" + link
            if os.path.islink(target):
                options += ["--symlink", os.readlink(target), target]
            elif os.path.isdir(target):
                options += ["--ro-bind", target, target]
        for path in SYSTEM_FILES:
            options += ["--ro-bind-try", path, path]
        options += ["--proc", "/proc", "--dev", "/dev",
                    "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
                    "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
                    "--size", str(TMP_BYTES), "--tmpfs", HOME, "--dir", "/tmp/matplotlib"]
        site_dirs = _site_dirs()
        for root in _python_roots():
            options += ["--ro-bind", root, root]
        if sys.prefix != sys.base_prefix:  # a venv: the base interpreter's own packages stay unseen
            base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]
            if os.path.isdir(base) and base not in site_dirs:
                options += ["--tmpfs", base, "--remount-ro", base]
        files, folders = kit_masks(self.roots)
        for folder in folders:
            options += ["--tmpfs", folder, "--remount-ro", folder]
        for file in files:
            options += ["--ro-bind", "/dev/null", file]
        for path in self.read_only:
            options += ["--ro-bind", path, path]
        # The working folder is a tmpfs at a fixed path whose parent is the read-only root: the
        # kernel cannot fill the host's disk, nor swap the folder for a link (the grader reads
        # probe results through /proc/<kernel>/root, see ``inside``).
        # The kernel's sockets, too, live in a tmpfs of its own: nothing of the host is writable
        # from inside. Its connection file (naming them by their inside path) is bound read-only;
        # the grader connects through /proc/<kernel>/root (``SandboxedKernelManager``).
        options += ["--size", str(self.work_bytes), "--tmpfs", WORKDIR,
                    "--size", str(SOCKETS_BYTES), "--tmpfs", SOCKETS,
                    "--ro-bind", str(self.sockets / INSIDE_CONNECTION), f"{SOCKETS}/kernel.json",
                    "--remount-ro", "/", "--chdir", WORKDIR, "--clearenv"]
        for key, value in {**BASE_ENV, **self.env}.items():
            options += ["--setenv", key, str(value)]
        return options


class LimitedKernelManager(AsyncKernelManager):
    """A kernel started in its control groups (``confine.Confinement``, entered between fork
    and exec) and under its rlimits (set by a prefix of its command, see ``limit``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.confinement: confine.Confinement | None = None
        self.rlimits: tuple[int | None, int] | None = None  # (tasks, bytes per file)
        self.lifeline: int | None = None  # the kernel's end of its lifeline (see confine.rlimit_prefix)

    def limit(self, confinement: "confine.Confinement", tasks: int | None, file_bytes: int) -> None:
        self.confinement, self.rlimits = confinement, (tasks, file_bytes)

    def _limited(self, command: list[str]) -> list[str]:
        if self.rlimits is None:
            return command
        return [*confine.rlimit_prefix(sys.executable, *self.rlimits, lifeline=self.lifeline), *command]

    def format_kernel_cmd(self, extra_arguments=None):
        return self._limited(super().format_kernel_cmd(extra_arguments))

    async def _async_launch_kernel(self, kernel_cmd, **kwargs):
        groups = self.confinement if self.confinement is not None and self.confinement.groups else None
        kwargs["preexec_fn"] = functools.partial(_in_the_kernels_process, os.getpid(), groups)
        await super()._async_launch_kernel(kernel_cmd, **kwargs)


PR_SET_PDEATHSIG = 1  # linux/prctl.h
try:  # looked up here, in the grader: a forked child of a threaded process must not load libraries
    _PRCTL = ctypes.CDLL(None).prctl
except (OSError, AttributeError):
    _PRCTL = None  # not Linux: the later watches only


def _in_the_kernels_process(grader: int, confinement: "confine.Confinement | None") -> None:
    """Between fork and exec. The kernel (or bwrap before it) dies with the grader that started
    it, from this moment on: bwrap's own ``--die-with-parent`` and ipykernel's parent watch start
    later, and a grader killed in between left the kernel running. Then into its control groups."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != grader:
        os._exit(1)  # the grader died before the signal was set
    if confinement is not None:
        confinement.enter()


class SandboxedKernelManager(LimitedKernelManager):
    """A kernel manager whose kernel runs inside bwrap, over Unix sockets."""

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)
        self.sandbox: Sandbox | None = None
        self._options_fd: int | None = None
        self._lifeline_writer: int | None = None
        self._sandboxed: int | None = None

    def configure(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.connection_file = str(sandbox.sockets / "kernel.json")  # the sockets are named after it

    def format_kernel_cmd(self, extra_arguments=None):
        self._close_lifeline()
        self.lifeline, self._lifeline_writer = os.pipe()  # the grader holds the writer until the kernel ends
        command = super().format_kernel_cmd(extra_arguments)  # with the rlimits' prefix: run inside
        # the connection file is written by now: the kernel's copy names its sockets inside
        with open(self.connection_file, encoding="utf-8") as handle:
            info = json.load(handle)
        info["ip"] = f"{SOCKETS}/kernel-ipc"
        inside = self.sandbox.sockets / INSIDE_CONNECTION
        inside.write_text(json.dumps(info), encoding="utf-8")
        inside.chmod(0o600)
        command = [f"{SOCKETS}/kernel.json" if part == self.connection_file else part for part in command]
        read, write = os.pipe()  # bwrap --args FD: NUL-separated options (a pipe holds 64 KiB)
        os.write(write, b"".join(option.encode() + b"\0" for option in self.sandbox.options()))
        os.close(write)
        self._options_fd = read
        return [bwrap(), "--args", str(read), "--", *command]

    async def _async_launch_kernel(self, kernel_cmd, **kwargs):
        kwargs["pass_fds"] = tuple(fd for fd in (self._options_fd, self.lifeline) if fd is not None)
        try:
            await super()._async_launch_kernel(kernel_cmd, **kwargs)
        finally:
            for fd in (self._options_fd, self.lifeline):
                if fd is not None:
                    os.close(fd)
            self._options_fd = self.lifeline = None
        # From now on the grader reaches the sockets through the kernel's own root.
        pid = await self._sandboxed_pid()
        if pid is not None:
            self.ip = f"/proc/{pid}/root{SOCKETS}/kernel-ipc"

    def _close_lifeline(self) -> None:
        if self._lifeline_writer is not None:
            os.close(self._lifeline_writer)
            self._lifeline_writer = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._close_lifeline()
        await super()._async_cleanup_resources(restart=restart)

    cleanup_resources = _async_cleanup_resources

    async def _sandboxed_pid(self, seconds: float = 30) -> int | None:
        """The first process bwrap starts in the sandbox, once the sandbox is set up (its
        root is then the sandbox's): the kernel, below bwrap's two processes."""
        import asyncio

        process = getattr(self.provisioner, "process", None)
        deadline = time.monotonic() + seconds
        while process is not None and time.monotonic() < deadline:
            try:
                for child in psutil.Process(process.pid).children():
                    grandchildren = child.children()
                    if grandchildren:
                        self._sandboxed = grandchildren[0].pid
                        return self._sandboxed
            except psutil.Error:
                return None
            await asyncio.sleep(0.01)
        return None

    def inside(self, path: str) -> str:
        """Where the grader reads a file of the kernel's own folders (its tmpfs)."""
        pid = getattr(self, "_sandboxed", None) or self.kernel_pid()
        if pid is None:
            raise OSError("the kernel is not running")
        return f"/proc/{pid}/root{path}"

    def kernel_pid(self) -> int | None:
        """The kernel's own pid, below bwrap's two processes."""
        process = getattr(self.provisioner, "process", None)
        try:
            for child in psutil.Process(process.pid).children(recursive=True):
                if child.name() != "bwrap" and "ipykernel_launcher" in child.cmdline():
                    return child.pid
        except (psutil.Error, AttributeError):
            return None
        return None

    async def _async_signal_kernel(self, signum: int) -> None:
        # jupyter_client signals the launched process group: bwrap would die of a SIGINT and
        # take the kernel with it. An interrupt goes to the kernel itself.
        pid = self.kernel_pid() if signum == signal.SIGINT else None
        if pid is not None:
            os.kill(pid, signum)
            return
        await super()._async_signal_kernel(signum)

    signal_kernel = _async_signal_kernel


class UserKernelManager(LimitedKernelManager):
    """A kernel run as another user (``setpriv``), where bubblewrap cannot run (a container
    that forbids user namespaces, like Gradescope's): the kit's files must then be readable by
    root only, which the Gradescope zip's ``setup.sh`` arranges. The grader runs as root."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user: str | None = None

    def configure(self, user: str, workdir: Path) -> None:
        import pwd

        entry = pwd.getpwnam(user)
        self.user = user
        os.chown(workdir, entry.pw_uid, entry.pw_gid)  # its private working folder
        self.connection_file = str(workdir / ".kernel.json")

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)  # the rlimits as that user, below setpriv
        return ["setpriv", f"--reuid={self.user}", f"--regid={self.user}", "--init-groups", "--", *command]

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        os.chmod(self.connection_file, 0o644)  # the kernel, as the other user, reads it
