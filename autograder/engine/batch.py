"""Grading many submissions: unique names, resuming, parallel workers, one CSV."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable

from . import report
from .cache import ProbeCache
from .grade import SubmissionResult, grade_notebook
from .kernel import Limits


def find_notebooks(paths: Iterable[Path]) -> list[Path]:
    """``.ipynb`` files given directly or found below folders (checkpoints skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    unique, seen = [], set()
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def names_for(paths: list[Path]) -> dict[Path, str]:
    """A folder-safe name per submission: the file stem, made unique with a suffix."""
    names, used = {}, set()
    for path in paths:
        base = re.sub(r"[^\w.-]+", "_", path.stem, flags=re.UNICODE).strip("._") or "submission"
        name, counter = base, 2
        while name in used:
            name, counter = f"{base}-{counter}", counter + 1
        used.add(name)
        names[path] = name
    return names


@dataclass(frozen=True)
class Job:
    path: Path
    name: str
    mnist: Path | None
    limits: Limits
    cache: Path | None


def _grade(job: Job) -> SubmissionResult:
    from ..ch02.questions import questions

    return grade_notebook(job.path, job.name, questions(), job.mnist, job.limits, ProbeCache(job.cache))


def grade_all(paths: list[Path], out: Path, mnist: Path | None, jobs: int = 1, force: bool = False,
              limits: Limits = Limits(), cache: Path | None = None,
              on_result: Callable[[SubmissionResult, bool], None] | None = None) -> list[SubmissionResult]:
    """Grade every submission into ``out``; finished ones are kept and skipped unless ``force``.
    ``cache`` is a folder for the training check's results, keyed by the code it ran.
    ``on_result(result, reused)`` is called as each one is done (progress display)."""
    from ..ch02.questions import questions

    question_list = questions()
    out.mkdir(parents=True, exist_ok=True)
    names = names_for(paths)
    results: list[SubmissionResult] = []
    pending: list[Job] = []
    for path, name in names.items():
        previous = None if force else report.read_record(out / name)
        if previous is not None and previous.path == str(path):
            results.append(previous)
            if on_result:
                on_result(previous, True)
        else:
            pending.append(Job(path, name, mnist, limits, cache))

    def finish(result: SubmissionResult) -> None:
        report.write_submission(result, question_list, out / result.submission)
        results.append(result)
        report.write_grades(results, question_list, out / "grades.csv")
        if on_result:
            on_result(result, False)

    if jobs <= 1 or len(pending) <= 1:
        for job in pending:
            finish(_grade(job))
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_grade, job) for job in pending]
            for future in as_completed(futures):
                finish(future.result())
    report.write_grades(results, question_list, out / "grades.csv")
    return results
