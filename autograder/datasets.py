"""A dataset an assignment trains on: where the grader finds its file, and how a kernel's own
loader is made to read that file (so grading needs no network)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Dataset:
    name: str
    filename: str  # its file's name where a build bundles it (the Gradescope zip's files/)
    env_var: str  # names the file for kernels, workers and judges alike
    resolve: Callable[..., Path]  # resolve(path=None, download=True): the file, in contract order
    kernel_patch: Callable[[Path | None], str]  # source run in a kernel: its loader reads the file
    local_copy: Callable[[Path, Path], Path] | None = None  # (file, folder) -> a copy faster to read
    # (file, purpose) -> what a graded kernel is given instead of the file: "notebook" for the
    # notebook's own cells, "training" for the training check's kernel (no answers in either).
    kernel_copy: Callable[[Path, str], Path] | None = None
