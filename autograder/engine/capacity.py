"""How many submissions a machine can grade at once (``grade --jobs``) without workers dying.

Each worker holds a grading process and the kernel of the submission it grades (TensorFlow
loaded, the notebook's arrays, the training check's model). ``benchmarks/class_benchmark.py``
measures that peak per worker; ``WORKER_MB`` is what it gave, rounded up. A ``--jobs`` whose
workers do not fit in the memory available now is refused before grading starts, instead of
the kernel's memory limit or the system killing workers half-way.
"""

from __future__ import annotations

import os

import psutil

from . import confine

WORKER_MB = 1536  # peak resident memory of one worker with its kernel (class_benchmark.py: 1.13 GB), rounded up


def fitting_jobs(worker_mb: int = WORKER_MB, available_bytes: int | None = None) -> int:
    """The most workers that fit in the memory available (at least 1)."""
    available = psutil.virtual_memory().available if available_bytes is None else available_bytes
    return max(1, int(available // (worker_mb * 2**20)))


def jobs_problem(jobs: int, worker_mb: int = WORKER_MB, available_bytes: int | None = None) -> str | None:
    """Why ``--jobs`` cannot run on this machine, or None when it fits. One job always may."""
    available = psutil.virtual_memory().available if available_bytes is None else available_bytes
    fit = fitting_jobs(worker_mb, available)
    if jobs <= fit:
        return None
    return (f"--jobs {jobs} needs about {jobs * worker_mb / 1024:.1f} GB of memory ({worker_mb / 1024:.1f} GB "
            f"per worker, measured by benchmarks/class_benchmark.py), but {available / 2**30:.1f} GB is "
            f"available: use --jobs {fit} or fewer")


def cpus_available() -> float:
    """The CPUs this grader may use: its affinity, and its control groups' CPU quota."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = confine.cpu_quota()
    return count if quota is None else min(count, quota)


def kernel_threads(jobs: int = 1, cpus: float | None = None) -> int:
    """The compute threads each kernel gets (TensorFlow's and numpy's pools) when ``jobs``
    kernels share the CPUs: their share, at least one. By default TensorFlow starts a pool as
    wide as the machine in every kernel; two kernels on two cores, or one under a half-CPU
    quota, then fight over the cores and spend the fight's time on switching and throttling."""
    cpus = cpus_available() if cpus is None else cpus
    return max(1, int(cpus // max(1, jobs)))
