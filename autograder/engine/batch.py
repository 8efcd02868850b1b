"""Grading many submissions: unique names, resuming, worker processes, one CSV.

The parent process hands submissions to worker processes (one submission at a time each) and
writes every result the moment it arrives: the submission's folder, then ``grades.csv``, each
file atomically. Nothing a worker does can lose what is already written:

- a fault of the kit while grading one submission is that submission's row (``grade_notebook``);
- a worker that dies (SIGKILL, the OOM killer, a segfault) costs only the submission it held:
  a new worker takes its place and the submission is tried once more, then gets a status
  saying what happened;
- Ctrl-C or SIGTERM stops the workers and their kernels, keeps every finished submission,
  and the same command later grades only the rest (a SIGKILL of everything keeps them too).
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from multiprocessing import get_context
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable

import psutil

from . import capacity, files, outcomes, records, sandbox
from .cache import ProbeCache
from .cases import judge_question
from .grade import GRADER_ERROR, SubmissionResult, expected_observations, grade_notebook, reference_hashes
from .kernel import Limits, kill_live_kernels

DUPLICATE = "중복 제출"  # starts the status note of a file with the same bytes as another submission
WORKER_STOP_SECONDS = 10  # after SIGTERM, a worker has this long to stop its kernels


def names_for(paths: list[Path]) -> dict[Path, str]:
    """A folder-safe name per submission: the file stem, made unique with a suffix."""
    names, used = {}, set()
    for path in paths:
        base = files.output_name(path.stem)  # never one of the kit's own names in the grades folder
        name, counter = base, 2
        while name in used:
            name, counter = f"{base}-{counter}", counter + 1
        used.add(name)
        names[path] = name
    return names


def _duplicates(paths: list[Path], names: dict[Path, str]) -> dict[Path, list[str]]:
    """Submission -> the names of the others with the same bytes (SHA-256). Each is still graded
    and keeps its row; the status says what it is a copy of."""
    by_digest: dict[str, list[Path]] = {}
    for path in paths:
        key = files.digest(path)
        if key:
            by_digest.setdefault(key, []).append(path)
    return {Path(str(path)): [names[other] for other in group if other != path]
            for group in by_digest.values() if len(group) > 1 for path in group}


@dataclass(frozen=True)
class Job:
    path: Path
    name: str
    attempt: int = 1


@dataclass(frozen=True)
class Settings:
    """What every worker needs, the same for every submission (sent once per worker)."""

    assignment_module: str  # the module defining the Assignment (workers import it)
    data: dict  # dataset -> file
    limits: Limits
    cache: Path | None
    expected: dict  # the answer key's observations, computed once in the parent


class Interrupted(Exception):
    """The batch was stopped (Ctrl-C, SIGTERM); finished submissions are kept."""


# ---------------------------------------------------------------- the worker process


def _stop_worker(signum, frame):
    kill_live_kernels()
    os._exit(128 + signum)


def _worker(connection, settings: Settings) -> None:
    """Grade jobs from ``connection`` until told to stop (``None``) or killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, _stop_worker)
    assignment = importlib.import_module(settings.assignment_module).ASSIGNMENT  # by name: the engine imports no registry
    cache = ProbeCache(settings.cache)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        result = grade_notebook(assignment, job.path, job.name, settings.data, settings.limits, cache,
                                settings.expected)
        connection.send(result.to_dict())


@dataclass
class _Worker:
    process: object
    connection: object
    job: Job | None = None
    started: float = 0.0

    @classmethod
    def start(cls, context, settings: Settings) -> "_Worker":
        parent, child = context.Pipe()
        process = context.Process(target=_worker, args=(child, settings), daemon=True)
        process.start()
        child.close()
        return cls(process, parent)

    def give(self, job: Job) -> None:
        self.job, self.started = job, time.monotonic()
        self.connection.send(job)


def _stop(workers: list[_Worker]) -> None:
    """Stop every worker and whatever it started (kernels live in sessions of their own)."""
    for worker in workers:
        if worker.process.is_alive():
            worker.process.terminate()  # SIGTERM: the worker kills its kernels, then exits
    deadline = time.monotonic() + WORKER_STOP_SECONDS
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.process.is_alive():
            try:
                for child in psutil.Process(worker.process.pid).children(recursive=True):
                    child.kill()
            except psutil.Error:
                pass
            worker.process.kill()
            worker.process.join(5)
        worker.connection.close()


def _died(job: Job, exitcode: int | None, seconds: float, possible: Callable[[Job, str], SubmissionResult]):
    how = f"신호 {-exitcode}" if exitcode is not None and exitcode < 0 else f"종료 코드 {exitcode}"
    reason = (f"{GRADER_ERROR}: 채점 프로세스가 비정상 종료되었습니다({how}, 메모리 부족 또는 충돌). "
              "두 번 시도했습니다.")
    result = possible(job, reason)
    result.grader_error = f"worker process died twice ({how}) while grading {job.path}"
    result.seconds = seconds
    return result


def _overran(busy: list[_Worker], seconds: float) -> list[_Worker]:
    """Workers whose submission has taken longer than ``seconds`` (and has not just finished)."""
    now = time.monotonic()
    late = []
    for worker in busy:
        if seconds and now - worker.started > seconds:
            try:
                done = worker.connection.poll()
            except (EOFError, OSError):
                done = False
            if not done:
                late.append(worker)
    return late


def _run(pending: list[Job], settings: Settings, jobs: int, finish: Callable[[SubmissionResult], None],
         unfinished: Callable[[Job, str], SubmissionResult]) -> None:
    context = get_context("spawn")
    queue = deque(pending)
    workers: list[_Worker] = []
    try:
        while queue or any(worker.job for worker in workers):
            while queue and len(workers) < jobs:
                workers.append(_Worker.start(context, settings))
            for worker in workers:
                if worker.job is None and queue:
                    worker.give(queue.popleft())
            busy = [worker for worker in workers if worker.job]
            wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=1)
            for worker in _overran(busy, settings.limits.submission_seconds):
                job, seconds = worker.job, time.monotonic() - worker.started
                _stop([worker])  # the worker, its kernels and whatever they started
                workers.remove(worker)
                result = unfinished(job, f"채점 시간 한도({settings.limits.submission_seconds}초)를 넘어 이 제출물의 "
                                         "채점을 멈췄습니다.")
                result.seconds = seconds
                finish(result)
            busy = [worker for worker in busy if worker in workers]
            for worker in busy:
                data = None
                try:
                    if worker.connection.poll():
                        data = worker.connection.recv()
                except (EOFError, OSError):
                    data = None
                if data is not None:
                    worker.job = None
                    finish(SubmissionResult.from_dict(data))
                elif not worker.process.is_alive():
                    job, seconds = worker.job, time.monotonic() - worker.started
                    worker.connection.close()
                    workers.remove(worker)
                    if job.attempt == 1:
                        queue.appendleft(replace(job, attempt=2))  # once more, in a new worker
                    else:
                        finish(_died(job, worker.process.exitcode, seconds, unfinished))
    finally:
        _stop(workers)


def worker_limits(limits: Limits, jobs: int, cpus: float | None = None) -> Limits:
    """The limits each of ``jobs`` workers grades with: its kernels share the CPUs, so they
    compute with at most their share (fewer where the assignment's limits say so)."""
    share = capacity.kernel_threads(jobs, cpus)
    return limits.with_overrides(threads=min(limits.threads or share, share))


def grade_all(assignment, paths: list[Path], out: Path, data: dict, jobs: int = 1, force: bool = False,
              limits: Limits | None = None, cache: Path | None = None,
              on_result: Callable[[SubmissionResult, bool], None] | None = None) -> list[SubmissionResult]:
    """Grade every submission into ``out``, ``jobs`` at a time, each in a worker process.
    ``data`` maps each dataset of the assignment to its file.

    Finished submissions (a record in their folder) are kept and skipped unless ``force``;
    ones whose grading hit a kit error are graded again. ``cache`` is a folder for the slow
    probes' results, keyed by the code they ran. ``on_result(result, reused)`` is called as
    each one is done (progress display). Ctrl-C or SIGTERM raise ``Interrupted`` once the
    workers are stopped and everything finished is written."""
    question_list = assignment.questions
    limits = limits or assignment.limits
    limits = worker_limits(limits, jobs)
    if limits.sandbox and sandbox.check():
        raise sandbox.SandboxUnavailable(sandbox.check())
    out = out.resolve()  # the kernels see files by their absolute paths
    out.mkdir(parents=True, exist_ok=True)
    files.remove_orphans(out)  # left by a run that was killed mid-write
    files.remove_dead_temporaries()  # and its kernels' folders in the system's temporary folder
    data = {dataset: dataset.local_copy(path, out / ".data") if dataset.local_copy else path
            for dataset, path in data.items()}
    records.write_manifest(assignment, out, {"reference_hashes": reference_hashes(assignment)})
    names = names_for(paths)
    results: list[SubmissionResult] = []
    pending: list[Job] = []
    refused: dict[Path, str] = {path: reason for path in names if (reason := files.check_regular_file(path))}
    duplicates = _duplicates([path for path in names if path not in refused], names)
    for path, name in names.items():
        if path in refused:
            continue
        previous = None if force else records.read_record(out / name)
        if previous is not None and previous.path == str(path) and not previous.grader_error \
                and previous.file_sha256 == files.digest(path):
            results.append(previous)
            if on_result:
                on_result(previous, True)
        else:
            pending.append(Job(path, name))

    # grades.csv covers every record in ``out``, not only this run's submissions
    others = [record for folder in sorted(out.iterdir()) if folder.is_dir() and not folder.name.startswith(".")
              and folder.name not in set(names.values()) and (record := records.read_record(folder)) is not None]

    def finish(result: SubmissionResult) -> None:
        same = duplicates.get(Path(result.path))
        if same and not any(p.kind == outcomes.DUPLICATE for p in result.problems):
            note = f"{DUPLICATE}: {', '.join(same)}와(과) 내용이 같은 파일입니다"  # the instructor's to read
            result.problems.append(outcomes.Problem(None, outcomes.DUPLICATE, note))
            result.status = outcomes.status_text(result.problems)
        records.write_submission(result, assignment, out / result.submission)
        results.append(result)
        records.write_grades(others + results, question_list, out / "grades.csv")
        if on_result:
            on_result(result, False)

    def unfinished(job: Job, reason: str) -> SubmissionResult:
        cases = [r for q in question_list for r in judge_question(q, None, {}, reason)]
        return SubmissionResult(job.name, str(job.path), cases, reason, assignment=assignment.id,
                                file_sha256=files.digest(job.path))

    def terminated(signum, frame):
        raise Interrupted(f"signal {signum}")

    for path, reason in refused.items():  # a row with its reason; its file is never opened
        cases = [r for q in question_list for r in judge_question(q, None, {}, reason)]
        finish(SubmissionResult(names[path], str(path), cases, reason, assignment=assignment.id))

    main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = signal.signal(signal.SIGTERM, terminated) if main_thread else None
    try:
        if pending:
            settings = Settings(assignment.module, data, limits, cache, expected_observations(assignment))
            _run(pending, settings, max(1, jobs), finish, unfinished)
    except KeyboardInterrupt:
        raise Interrupted("Ctrl-C") from None
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
        records.write_grades(others + results, question_list, out / "grades.csv")
    return results
