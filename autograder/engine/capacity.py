"""How many submissions a machine can grade at once (``grade --jobs``) without workers dying.

Each worker holds a grading process and the kernel of the submission it grades (TensorFlow
loaded, the notebook's arrays, the training check's model). ``benchmarks/class_benchmark.py``
measures that peak per worker; ``WORKER_MB`` is what it gave, rounded up. A ``--jobs`` whose
workers do not fit in the memory available now is refused before grading starts, instead of
the kernel's memory limit or the system killing workers half-way.
"""

from __future__ import annotations

import psutil

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
