"""Limits a kernel cannot get around: tasks, memory (its whole footprint) and disk.

Where the grader can make a control group (cgroup v2 with the ``pids`` and ``memory``
controllers delegated, or the v1 ``pids`` and ``memory`` hierarchies, as root usually can),
each kernel gets one: ``pids.max`` stops thread and fork bombs, the memory limit counts
everything the kernel's processes charge (anonymous memory, ``memfd`` and other shared
memory, its tmpfs files), and the kernel is moved there before it runs a single instruction
(``enter``, in the forked child before ``exec``). Where none can be had, the same limits hold
through ``RLIMIT_NPROC`` set inside the sandbox's own user namespace (``rlimit_prefix``) and
the watcher in ``engine.kernel``, which sums the kernel tree's resident memory and its
``memfd`` files (``footprint``) and counts its tasks.

Control groups are named ``agk-<grader pid>-<random>``; one whose grader is gone is removed
by the next grader that makes one (a ``kill -9`` leaves nothing behind for long).
"""

from __future__ import annotations

import os
import signal
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PREFIX = "agk-"
CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_cgroups() -> dict[str, str]:
    """Hierarchy (controller name, or "" for v2) -> this process's cgroup path in it."""
    found = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        for name in controllers.split(",") if controllers else [""]:
            found[name] = path
    return found


def _cgroup_mounts() -> list[tuple[str, list[str], str, Path]]:
    """Each cgroup mount: ("cgroup2" or "cgroup", its v1 controllers, the hierarchy's path it
    shows, its mount point)."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or not extra or extra[0] not in ("cgroup2", "cgroup"):
            continue
        options = extra[2].split(",") if extra[0] == "cgroup" and len(extra) >= 3 else []
        found.append((extra[0], options, fields[3], Path(fields[4])))
    return found


def _mounts() -> dict[str, Path]:
    """Hierarchy ("" for v2, else a v1 controller) -> its mount point."""
    found: dict[str, Path] = {}
    for kind, options, _, point in _cgroup_mounts():
        if kind == "cgroup2":
            found.setdefault("", point)
        for option in options:
            if option in ("pids", "memory"):
                found.setdefault(option, point)
    return found


def cpu_quota() -> float | None:
    """The CPUs this process's control groups allow it (the smallest ``cpu.max`` of v2, or
    ``cpu.cfs_quota_us`` of v1, on its own group and every group above it), or None when none
    limits it. A container's quota (Gradescope's half a CPU) is not in ``os.cpu_count``."""
    own, quotas = _own_cgroups(), []
    for kind, options, root, point in _cgroup_mounts():
        if kind == "cgroup2" and "" in own:
            hierarchy, read = own[""], _v2_quota
        elif "cpu" in options and "cpu" in own:
            hierarchy, read = own["cpu"], _v1_quota
        else:
            continue
        inside = os.path.relpath(hierarchy, root) if hierarchy.startswith(root) else "."
        group = (point / inside).resolve() if inside != "." else point
        while True:  # the group and each one above it, up to the mount
            quota = read(group)
            if quota is not None:
                quotas.append(quota)
            if group == point or point not in group.parents:
                break
            group = group.parent
    return min(quotas) if quotas else None


def _v2_quota(group: Path) -> float | None:
    try:
        limit, period = (group / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        return None


def _v1_quota(group: Path) -> float | None:
    try:
        limit = int((group / "cpu.cfs_quota_us").read_text())
        period = int((group / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if limit <= 0 or period <= 0 else limit / period


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path) -> None:
    """Remove the empty groups of graders that died (their pid is in the name)."""
    try:
        children = list(parent.glob(PREFIX + "*"))
    except OSError:
        return
    for child in children:
        parts = child.name.split("-")
        if len(parts) >= 3 and parts[1].isdigit() and not _alive(int(parts[1])):
            _kill_members(child)
            try:
                child.rmdir()
            except OSError:
                pass


def _kill_members(group: Path) -> None:
    for _ in range(50):
        try:
            if (group / "cgroup.kill").exists():
                (group / "cgroup.kill").write_text("1")
            pids = [int(p) for p in (group / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


@dataclass
class Confinement:
    """One kernel's control groups (none in ``watch`` mode: rlimits and the watcher only)."""

    tasks: int
    memory_bytes: int
    kind: str = "watch"  # cgroup2 | cgroup1 | watch
    groups: list[Path] = field(default_factory=list)  # every group the kernel is put in
    memory_group: Path | None = None
    pids_group: Path | None = None

    @classmethod
    def create(cls, tasks: int, memory_bytes: int, use_cgroups: bool = True) -> "Confinement":
        confinement = cls(tasks, memory_bytes)
        if use_cgroups and os.environ.get("AUTOGRADER_NO_CGROUP") != "1":
            confinement._make_groups()
        return confinement

    def _make_groups(self) -> None:
        own, mounts = _own_cgroups(), _mounts()
        name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        if "" in mounts and "" in own:  # v2: below our own group (delegated), else below the root (root may)
            for parent in dict.fromkeys([mounts[""] / own[""].lstrip("/"), mounts[""]]):
                try:
                    enabled = (parent / "cgroup.subtree_control").read_text().split()
                except OSError:
                    continue
                if not {"pids", "memory"} <= set(enabled):
                    _write(parent / "cgroup.subtree_control", "+pids +memory")  # refused where processes live
                group = self._make(parent, name, ("pids.max", "memory.max"))
                if group is None:
                    continue
                if _write(group / "pids.max", str(self.tasks)) and _write(group / "memory.max", str(self.memory_bytes)):
                    _write(group / "memory.swap.max", "0")
                    self.kind, self.groups, self.memory_group, self.pids_group = "cgroup2", [group], group, group
                    return
                self._remove([group])
        if "pids" in mounts and "memory" in mounts and "pids" in own and "memory" in own:  # v1
            pids = self._make(mounts["pids"] / own["pids"].lstrip("/"), name, ("pids.max",))
            memory = self._make(mounts["memory"] / own["memory"].lstrip("/"), name, ("memory.limit_in_bytes",))
            made = [group for group in (pids, memory) if group is not None]
            if pids is not None and memory is not None and _write(pids / "pids.max", str(self.tasks)) \
                    and _write(memory / "memory.limit_in_bytes", str(self.memory_bytes)):
                _write(memory / "memory.memsw.limit_in_bytes", str(self.memory_bytes))  # no swapping around it
                self.kind, self.groups, self.memory_group, self.pids_group = "cgroup1", made, memory, pids
                return
            self._remove(made)

    @staticmethod
    def _make(parent: Path, name: str, needed: tuple[str, ...]) -> Path | None:
        if not parent.is_dir():
            return None
        _remove_stale(parent)
        group = parent / name
        try:
            group.mkdir()
        except OSError:
            return None
        if all((group / file).exists() for file in needed):
            return group
        Confinement._remove([group])
        return None

    @staticmethod
    def _remove(groups) -> None:
        for group in groups:
            _kill_members(group)
            for _ in range(50):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)

    def enter(self) -> None:
        """In the kernel's process after fork, before exec: into the groups."""
        for group in self.groups:
            with open(group / "cgroup.procs", "w") as handle:
                handle.write(str(os.getpid()))

    # -------------------------------------------------------------- what happened

    def _counter(self, file: Path | None, key: str) -> int:
        if file is None:
            return 0
        try:
            for line in file.read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def oom_kills(self) -> int:
        if self.memory_group is None:
            return 0
        if self.kind == "cgroup2":
            return self._counter(self.memory_group / "memory.events", "oom_kill")
        return self._counter(self.memory_group / "memory.oom_control", "oom_kill") or \
            (1 if self._counter(self.memory_group / "memory.oom_control", "under_oom") else 0)

    def task_refusals(self) -> int:
        """How often a fork or a new thread was refused for the task limit."""
        return 0 if self.pids_group is None else self._counter(self.pids_group / "pids.events", "max")

    def kill_all(self) -> None:
        for group in self.groups:
            _kill_members(group)

    def close(self) -> None:
        self._remove(self.groups)
        self.groups = []


def rlimit_prefix(python: str, tasks: int | None, file_bytes: int, lifeline: int | None = None) -> list[str]:
    """A command prefix that sets RLIMIT_NPROC and RLIMIT_FSIZE, then runs the rest.

    ``lifeline``: the read end of a pipe whose only writer is the grader (it never writes). At
    end of file the grader is gone, and the kernel is not started: bwrap loses the parent-death
    signal set before its exec while it sets the sandbox up, and arms its own only after, so a
    grader killed in between left the sandbox running.

    Run inside the sandbox, after bwrap made its user namespace: the task count is then that
    namespace's own (the grader's other processes do not use it up). It binds a grader that is
    not root; for root the control group does it (the kernel exempts root from RLIMIT_NPROC).
    ``tasks`` None: no task rlimit (a kernel outside any namespace of its own would share the
    count with every process of the grader's user)."""
    code = ("import os,resource,select,sys;"
            + (f"os._exit(1) if select.select([{lifeline}],[],[],0)[0] else os.close({lifeline});"
               if lifeline is not None else "")
            + (f"resource.setrlimit(resource.RLIMIT_NPROC,({tasks},{tasks}));" if tasks else "") +
            f"resource.setrlimit(resource.RLIMIT_FSIZE,({file_bytes},{file_bytes}));"
            "os.execvp(sys.argv[1],sys.argv[1:])")
    return [python, "-c", code]


# ------------------------------------------------------------------ the watcher's view


PAGE = os.sysconf("SC_PAGE_SIZE")


def _resident(pid: int) -> int:
    """Resident memory of one process (``/proc/<pid>/statm``: cheap, unlike ``smaps_rollup``,
    which walks every mapping under the process's memory lock and slowed TensorFlow's training).
    Mapped shared memory is in it; a ``memfd`` only written to is not (``_shared_files``)."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _shared_files(pid: int, seen: set) -> int:
    """Bytes held in memory-backed files a process has open (``memfd``, ``/dev/shm``), each
    file counted once: pages no process's resident memory shows."""
    total = 0
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        try:
            target = os.readlink(f"{folder}/{name}")
            if not (target.startswith("/memfd:") or target.startswith("/dev/shm/")):
                continue
            info = os.stat(f"{folder}/{name}")
        except OSError:
            continue
        key = (info.st_dev, info.st_ino)
        if stat.S_ISREG(info.st_mode) and key not in seen:
            seen.add(key)
            total += info.st_blocks * 512
    return total


def footprint(root_pid: int) -> tuple[int, int]:
    """(bytes, tasks) of a process and all its descendants. A process that ends while it is
    looked at is skipped, never the end of the count."""
    try:
        processes = [psutil.Process(root_pid)]
        processes += processes[0].children(recursive=True)
    except psutil.Error:
        return 0, 0
    used, tasks, seen = 0, 0, set()
    for process in processes:
        try:
            tasks += process.num_threads()
        except psutil.Error:
            continue
        used += _resident(process.pid) + _shared_files(process.pid, seen)
    return used, tasks
