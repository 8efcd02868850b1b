"""Grading one submission: execute it in its own kernel, probe each question there, judge
the observations here against the reference's, and collect points and reasons."""

from __future__ import annotations

import contextlib
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from . import runtime, submission
from .cache import CACHED_PROBES, ProbeCache, code_key
from .cases import CaseResult, Question, judge_question
from .kernel import KIT_PACKAGES, KernelSession, Limits, ProbeFailed

# The kit's own package folders: a graded object defined in there came from the kit.
KIT_DIRS = tuple(str(Path(__file__).resolve().parents[1].parent / package) + "/"
                 for package in KIT_PACKAGES)


@dataclass
class SubmissionResult:
    submission: str  # the name used in grades.csv and as the output folder
    path: str
    cases: list[CaseResult]
    status: str  # "ok", or the reasons (Korean) joined by "; "
    cell_errors: list[str] = field(default_factory=list)  # Korean, for the feedback
    seconds: float = 0.0
    grader_error: str = ""  # traceback(s) of the kit's own errors; empty when there were none
    cached: list[str] = field(default_factory=list)  # "question:probe" served from the cache

    def score(self, question_id: str) -> float:
        return sum(c.points for c in self.cases if c.question == question_id)

    def possible(self, question_id: str | None = None) -> float:
        return sum(c.max_points for c in self.cases if question_id in (None, c.question))

    @property
    def total(self) -> float:
        return sum(c.points for c in self.cases)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        cases = [CaseResult(**case) for case in data.pop("cases")]
        return cls(cases=cases, **data)


_expected_cache: dict[str, dict] = {}


def expected_observations(questions: Sequence[Question]) -> dict[str, dict]:
    """The reference's observations on every probe that needs one (computed once)."""
    import solutions.ch02 as reference

    namespace = vars(reference)
    for question in questions:
        if question.id not in _expected_cache:
            _expected_cache[question.id] = {
                key: runtime.run_probe(question.specs[key], namespace)
                for key in sorted(question.reference_probes)}
    return {q.id: _expected_cache[q.id] for q in questions}


GRADER_ERROR = "채점 도구 오류"  # status prefix; the traceback is saved beside the results


def grader_error_status(error: BaseException) -> str:
    return f"{GRADER_ERROR} ({type(error).__name__}: {str(error)[:200]}) — 자세한 내용은 traceback.txt"


def grade_notebook(path: Path, name: str, questions: Sequence[Question], mnist_path: Path | None,
                   limits: Limits = Limits(), probe_cache: ProbeCache = ProbeCache(None),
                   expected: dict[str, dict] | None = None) -> SubmissionResult:
    """Grade one notebook. Never raises for a fault of the submission or of the kit: a kit
    error becomes the result's ``grader_error`` (traceback) and a status, and the questions it
    kept from being graded score 0 with that reason."""
    started = time.monotonic()
    expected = expected if expected is not None else expected_observations(questions)
    try:
        notebook = submission.read(path)
    except (submission.UnreadableSubmission, OSError) as error:
        reason = str(error) if isinstance(error, submission.UnreadableSubmission) else f"파일을 읽을 수 없습니다: {error}"
        cases = [r for q in questions for r in judge_question(q, None, expected[q.id], reason)]
        return SubmissionResult(name, str(path), cases, reason, seconds=time.monotonic() - started)

    status: list[str] = []
    cell_errors: list[str] = []
    cases: list[CaseResult] = []
    graded: set[str] = set()
    cached: list[str] = []
    errors: list[str] = []

    def kit_failed(error: BaseException, question: Question | None = None) -> None:
        errors.append(traceback.format_exc())
        status.append(f"{question.id}: " + grader_error_status(error) if question else grader_error_status(error))

    try:
        with tempfile.TemporaryDirectory(prefix="autograder-grade-") as workdir, \
                KernelSession(notebook.cells, Path(workdir), mnist_path, limits) as session:
            for outcome in session.run_cells():
                label = f"코드 셀 {outcome.index + 1}"
                if outcome.status in ("timeout", "died", "stuck", "skipped"):
                    status.append(f"{label}: {outcome.error}")
                elif outcome.status == "error":
                    if outcome.error.startswith(("SyntaxError", "IndentationError", "TabError")):
                        status.append(f"{label}: 문법 오류")
                    cell_errors.append(f"{label}: {outcome.error}")
            origins = _origins(session, questions)
            for question in questions:
                try:
                    cases += _grade_question(session, question, notebook, origins, expected[question.id],
                                             probe_cache, status, cached)
                except Exception as error:  # a bug of the kit costs this question, not the batch
                    kit_failed(error, question)
                    cases += judge_question(question, None, expected[question.id],
                                            f"{GRADER_ERROR}로 이 문제를 채점하지 못했습니다.")
                graded.add(question.id)
    except Exception as error:  # the kernel could not start, or the kit failed outside a question
        kit_failed(error)
        for question in questions:
            if question.id not in graded:
                cases += judge_question(question, None, expected[question.id],
                                        f"{GRADER_ERROR}로 이 문제를 채점하지 못했습니다.")
    return SubmissionResult(name, str(path), cases, "; ".join(status) or "ok", cell_errors,
                            time.monotonic() - started, grader_error="\n".join(errors), cached=cached)


def _grade_question(session: KernelSession, question: Question, notebook: submission.Submission,
                    origins: dict, expected: dict, probe_cache: ProbeCache, status: list[str],
                    cached: list[str]) -> list[CaseResult]:
    kit = kit_violation(question, notebook, origins)
    if kit:
        status.append(f"{question.id}: {kit}")
        return judge_question(question, None, expected, kit + " 이 문제는 0점입니다.")
    try:
        observed, reason = _probe(session, question, notebook, probe_cache, cached), None
    except ProbeFailed as failure:
        observed, reason = None, str(failure)
        status.append(f"{question.id}: {reason}")
    return judge_question(question, observed, expected, reason)


def _probe(session: KernelSession, question: Question, notebook: submission.Submission,
           probe_cache: ProbeCache, cached: list[str]) -> dict:
    """The question's observations, slow probes served from the cache when the code is known.
    While this worker computes a slow probe, another worker that needs the same key waits
    for it (``ProbeCache.claim``) instead of computing it too."""
    specs, found, keys = dict(question.specs), {}, {}
    with contextlib.ExitStack() as claims:
        for name in sorted(CACHED_PROBES & specs.keys()):
            key = code_key(specs[name], question.objects, notebook)
            hit = claims.enter_context(probe_cache.claim(key))
            if hit is not None:
                del specs[name]
                found[name] = hit
                cached.append(f"{question.id}:{name}")
            else:
                keys[name] = key
        observed = session.probe(specs) if specs else {}
        for name, key in keys.items():
            if name in observed:
                probe_cache.put(key, observed[name])
    return {**observed, **found}


def _origins(session: KernelSession, questions: Sequence[Question]) -> dict:
    names = sorted({name for q in questions for name in q.objects})
    try:
        observation = session.probe({"origins": {"op": "origins", "objects": names}})["origins"]
    except ProbeFailed:
        return {}
    return observation.get("origins", {}) if observation.get("ok") else {}


def origin_problem(name: str, where: dict) -> str | None:
    """A reason when a graded object was not written in the notebook: it comes from the kit's
    own modules, or from code run with ``exec`` (how a copied reference file would arrive)."""
    module, file = str(where.get("module", "")), str(where.get("file", ""))
    if module.split(".")[0] in KIT_PACKAGES or file.startswith(KIT_DIRS):
        return f"{name}이(가) 채점 도구의 모듈({module or file})에서 왔습니다."
    if file == "<string>":
        return f"{name}이(가) 노트북 셀이 아니라 exec 등으로 실행한 문자열 코드에서 정의되었습니다."
    return None


def kit_violation(question: Question, notebook: submission.Submission, origins: dict) -> str | None:
    """A reason when a graded object of the question comes from the kit itself."""
    for name in question.objects:
        problem = origin_problem(name, origins.get(name) or {})
        if problem:
            return problem
        for cell in notebook.defined_in.get(name, []):
            if cell in notebook.kit_imports:
                modules = ", ".join(notebook.kit_imports[cell])
                return f"{name}을(를) 정의한 코드 셀 {cell + 1}이 채점 도구 모듈({modules})을 불러옵니다."
    return None
