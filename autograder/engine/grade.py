"""Grading one submission: execute it in its own kernel, probe each question there, judge
the observations here against the reference's, and collect points and reasons."""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from .. import ASSIGNMENT
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


def grade_notebook(path: Path, name: str, questions: Sequence[Question], mnist_path: Path | None,
                   limits: Limits = Limits(), probe_cache: ProbeCache = ProbeCache(None)) -> SubmissionResult:
    started = time.monotonic()
    expected = expected_observations(questions)
    try:
        notebook = submission.read(path)
    except (submission.UnreadableSubmission, OSError) as error:
        reason = str(error) if isinstance(error, submission.UnreadableSubmission) else f"파일을 읽을 수 없습니다: {error}"
        cases = [r for q in questions for r in judge_question(q, None, expected[q.id], reason)]
        return SubmissionResult(name, str(path), cases, reason, seconds=time.monotonic() - started)

    status: list[str] = []
    cell_errors: list[str] = []
    cases: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix=f"{ASSIGNMENT}-grade-") as workdir, \
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
            kit = kit_violation(question, notebook, origins)
            if kit:
                status.append(f"{question.id}: {kit}")
                cases += judge_question(question, None, expected[question.id], kit + " 이 문제는 0점입니다.")
                continue
            try:
                observed, reason = _probe(session, question, notebook, probe_cache), None
            except ProbeFailed as failure:
                observed, reason = None, str(failure)
                status.append(f"{question.id}: {reason}")
            cases += judge_question(question, observed, expected[question.id], reason)
    return SubmissionResult(name, str(path), cases, "; ".join(status) or "ok", cell_errors,
                            time.monotonic() - started)


def _probe(session: KernelSession, question: Question, notebook: submission.Submission,
           probe_cache: ProbeCache) -> dict:
    """The question's observations, slow probes served from the cache when the code is known."""
    specs, found, keys = dict(question.specs), {}, {}
    for name in CACHED_PROBES & specs.keys():
        keys[name] = code_key(specs[name], question.objects, notebook)
        hit = probe_cache.get(keys[name])
        if hit is not None:
            del specs[name]
            found[name] = hit
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
