"""Grading one submission: execute it in its own kernel, probe each question there, judge
the observations here against the answer key's, and collect points and reasons."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from ..kernel_side import runtime
from . import files, submission
from . import outcomes
from .cache import ProbeCache, closure, code_key, graded_cells
from .cases import KIT_ERROR, CaseResult, Question, judge_question
from .kernel import KernelSession, KernelSetup, Limits, ProbeFailed
from .outcomes import CellError, CellStatus, Problem, status_text

GRADER_ERROR = "채점 도구 오류"  # status prefix; the traceback is saved beside the results
NO_SANDBOX = "샌드박스 없이 채점함"  # every row graded without engine.sandbox says so


@dataclass
class SubmissionResult:
    submission: str  # the name used in grades.csv and as the output folder
    path: str
    cases: list[CaseResult]
    status: str  # "ok", or the problems (Korean) joined by "; " (``outcomes.status_text``), for people
    cell_errors: list[CellError] = field(default_factory=list)  # for the feedback
    seconds: float = 0.0
    grader_error: str = ""  # traceback(s) of the kit's own errors; empty when there were none
    cached: list[str] = field(default_factory=list)  # "question:probe" served from the cache
    assignment: str = ""
    code_hashes: dict = field(default_factory=dict)  # graded name -> normalized code (similar-code report)
    file_sha256: str = ""  # of the file graded: a resumed batch grades a changed file again
    problems: list[Problem] = field(default_factory=list)  # what ``status`` says, typed

    def __post_init__(self):
        # Made without typed problems (a whole-run reason, an older record): the status is one.
        if not self.problems and self.status != "ok":
            self.problems = [Problem(None, outcomes.OTHER, self.status)]
        self.cell_errors = [e if isinstance(e, CellError) else CellError.from_dict(e) for e in self.cell_errors]

    @property
    def student_problems(self) -> list[Problem]:
        """The problems a student reads (not the instructor's: sandbox, the kit's own errors)."""
        return [problem for problem in self.problems if problem.for_student]

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
        data = dict(data)
        cases = [CaseResult(**case) for case in data.pop("cases")]
        cell_errors = [CellError.from_dict(error) for error in data.pop("cell_errors", [])]
        problems = [Problem.from_dict(problem) for problem in data.pop("problems", [])]
        return cls(cases=cases, cell_errors=cell_errors, problems=problems, **data)


# ---------------------------------------------------------------- the answer key's side


def probe_table(assignment) -> dict:
    """The probe functions of an assignment: the generic ones and its own modules'."""
    table = dict(runtime.GENERIC_PROBES)
    for name in assignment.probe_modules:
        table.update(getattr(importlib.import_module(name), "PROBES", {}))
    return table


_expected_cache: dict[tuple[str, str], dict] = {}


def expected_observations(assignment) -> dict[str, dict]:
    """The answer key's observations on every probe that needs one, per question (computed
    once per process, in this process: no student code ever runs here)."""
    namespace, table = None, None
    for question in assignment.questions:
        if (assignment.id, question.id) not in _expected_cache:
            if namespace is None:
                namespace, table = assignment.answer_key_namespace(), probe_table(assignment)
            _expected_cache[assignment.id, question.id] = {
                key: runtime.run_probe(question.probes[key].spec, namespace, table) for key in question.reference_keys}
    return {q.id: _expected_cache[assignment.id, q.id] for q in assignment.questions}


# ---------------------------------------------------------------- the kit's own code


@lru_cache(maxsize=None)
def kit_dirs(roots: tuple[str, ...]) -> tuple[str, ...]:
    """Folders of the kit's packages and modules: a graded object defined in there came from the kit."""
    found = []
    for root in roots:
        spec = importlib.util.find_spec(root)
        if spec is None:
            continue
        for location in (spec.submodule_search_locations or [os.path.dirname(spec.origin or "")]):
            if location:
                found.append(os.path.realpath(location) + os.sep)
    return tuple(found)


def origin_problem(name: str, where: dict, roots: tuple[str, ...]) -> str | None:
    """A reason when a graded object was not written in the notebook: it comes from the kit's
    own modules, or from code run with ``exec`` (how a copied answer key would arrive)."""
    module, file = str(where.get("module", "")), str(where.get("file", ""))
    if module.split(".")[0] in roots or (file and os.path.realpath(file).startswith(kit_dirs(roots))):
        return f"{name}이(가) 채점 도구의 모듈({module or file})에서 왔습니다."
    if file == "<string>":
        return f"{name}이(가) 노트북 셀이 아니라 exec 등으로 실행한 문자열 코드에서 정의되었습니다."
    return None


def kit_violation(question: Question, notebook: submission.Submission, origins: dict,
                  roots: tuple[str, ...]) -> str | None:
    """A reason when a graded object of the question comes from the kit itself."""
    for name in question.objects:
        problem = origin_problem(name, origins.get(name) or {}, roots)
        if problem:
            return problem
        for cell in notebook.defined_in.get(name, []):
            if cell in notebook.kit_imports:
                modules = ", ".join(notebook.kit_imports[cell])
                return f"{name}을(를) 정의한 {notebook.label(cell)}이 채점 도구 모듈({modules})을 불러옵니다."
    return None


# ---------------------------------------------------------------- grading


def grader_error_status(error: BaseException) -> str:
    return f"{GRADER_ERROR} ({type(error).__name__}: {str(error)[:200]}) — 자세한 내용은 traceback.txt"


NOT_GRADED = f"{GRADER_ERROR}로 이 문제를 채점하지 못했습니다."  # a question the kit's own error kept from grading


@dataclass
class Execution:
    """What the execute half found, for the judge half: per question the observations of its
    probes (probe key -> observation) or the reason it has none, and what happened on the way.
    Student code never runs where this is judged: it is plain data."""

    observed: dict[str, dict] = field(default_factory=dict)  # question id -> its observations
    reasons: dict[str, str] = field(default_factory=dict)  # question id -> why it has none (Korean)
    status: list[Problem] = field(default_factory=list)  # for the status column (and, the student's, the feedback)
    cell_errors: list[CellError] = field(default_factory=list)  # for the feedback
    cached: list[str] = field(default_factory=list)  # "question:probe" served from the cache
    errors: list[str] = field(default_factory=list)  # tracebacks of the kit's own errors
    code_hashes: dict = field(default_factory=dict)
    notebook: submission.Submission | None = None  # as read (to explain a missing object by its cells)

    def kit_failed(self, error: BaseException, question: Question | None = None) -> None:
        """Record a fault of the kit (called from the ``except`` that caught it)."""
        self.errors.append(traceback.format_exc())
        self.status.append(Problem(question.id if question else None, outcomes.GRADER_ERROR,
                                   grader_error_status(error)))

    def not_graded(self, question_ids, reason: str) -> None:
        """These questions have no observations, for ``reason``."""
        for question_id in question_ids:
            self.observed.pop(question_id, None)
            self.reasons[question_id] = reason


def kit_reasons(assignment, notebook: submission.Submission, origins: dict) -> dict[str, tuple[str, str]]:
    """Per question whose graded objects come from the kit: (status, reason for its cases)."""
    found = {}
    for question in assignment.questions:
        kit = kit_violation(question, notebook, origins, assignment.kit_roots)
        if kit:
            found[question.id] = (Problem(question.id, outcomes.KIT_RULE, kit), kit + " 이 문제는 0점입니다.")
    return found


def judge(assignment, execution: Execution, expected: dict) -> list[CaseResult]:
    """The judge half: every question's cases, from the execution's observations (or its reason
    for having none) and the answer key's. A judge that fails is the kit's fault, not the
    student's: that case alone is lost, and ``execution`` records it for the instructor. A case
    lost because an object is missing says why, from the notebook's cells."""
    cases = []
    for question in assignment.questions:
        judged = judge_question(question, execution.observed.get(question.id), expected[question.id],
                                execution.reasons.get(question.id))
        for case in judged:
            if KIT_ERROR in case.detail:
                execution.errors.append(case.detail.pop(KIT_ERROR))
                execution.status.append(Problem(question.id, outcomes.GRADER_ERROR,
                                                f"{GRADER_ERROR} ({case.name}) — 자세한 내용은 traceback.txt"))
        if execution.notebook is not None:
            outcomes.explain_missing(judged, execution.notebook, execution.cell_errors)
        cases += judged
    return cases


def grade_notebook(assignment, path: Path, name: str, data: Mapping, limits: Limits = Limits(),
                   probe_cache: ProbeCache = ProbeCache(None), expected: dict | None = None,
                   sliced: bool = True) -> SubmissionResult:
    """Grade one notebook: ``execute`` it, then ``judge`` what it gave. ``data`` maps each of the
    assignment's datasets to its file.

    Never raises for a fault of the submission or of the kit: a kit error becomes the
    result's ``grader_error`` (traceback) and a status, and the questions it kept from being
    graded score 0 with that reason."""
    started = time.monotonic()
    expected = expected if expected is not None else expected_observations(assignment)
    file_sha256 = files.digest(path)
    execution = execute(assignment, path, data, limits, probe_cache, sliced)
    cases = judge(assignment, execution, expected)
    return SubmissionResult(name, str(path), cases, status_text(execution.status),
                            cell_errors=execution.cell_errors, seconds=time.monotonic() - started,
                            grader_error="\n".join(execution.errors), cached=execution.cached,
                            assignment=assignment.id, code_hashes=execution.code_hashes, file_sha256=file_sha256,
                            problems=list(execution.status))


def execute(assignment, path: Path, data: Mapping, limits: Limits = Limits(),
            probe_cache: ProbeCache = ProbeCache(None), sliced: bool = True) -> Execution:
    """The execute half: read the notebook, run the cells grading needs in a kernel with
    ``limits`` (``cache.graded_cells``; every cell when that reading cannot follow the notebook,
    or without ``sliced``), and probe every question there (the slow probes from ``probe_cache``
    or in kernels of their own). Never raises: a fault of the kit leaves the questions it kept
    from being observed ``NOT_GRADED``."""
    questions = assignment.questions
    execution = Execution()
    try:
        notebook = submission.read(path, assignment.kit_roots)
    except (submission.UnreadableSubmission, OSError) as error:
        reason = str(error) if isinstance(error, submission.UnreadableSubmission) else f"파일을 읽을 수 없습니다: {error}"
        execution.status.append(Problem(None, outcomes.UNREADABLE, reason))
        execution.not_graded([q.id for q in questions], reason)
        return execution
    if not limits.sandbox and not limits.run_as:
        execution.status.append(Problem(None, outcomes.NO_SANDBOX,
                                        f"{NO_SANDBOX} (학생 코드가 채점 도구의 파일을 읽을 수 있었습니다)"))
    execution.notebook = notebook
    execution.code_hashes = code_hashes(notebook, [name for question in questions for name in question.objects])
    try:
        setup = KernelSetup.for_assignment(assignment, data, limits)
        training_setup = KernelSetup.for_assignment(assignment, data, limits, "training")  # no test set
        with tempfile.TemporaryDirectory(prefix=files.temporary_prefix("autograder-grade-")) as workdir:
            _Run(assignment, notebook, setup, training_setup, limits, Path(workdir), probe_cache, execution,
                 sliced=sliced).observe()
    except Exception as error:  # the kernel could not start, or the kit failed outside a question
        execution.kit_failed(error)
        execution.not_graded([q.id for q in questions], NOT_GRADED)
    return execution


def code_hashes(notebook: submission.Submission, names) -> dict:
    """Per graded name, the hash of its (last) definition with names, comments and layout
    normalized: the class report groups submissions with the same code by it."""
    from .code_hash import normalized_hash

    return {name: normalized_hash(notebook.cells[notebook.defined_in[name][-1]], name)
            if name in notebook.defined_in else None for name in names}


def reference_hashes(assignment) -> dict:
    """The same hashes of the answer key's definitions ("the course text's code")."""
    import importlib.util

    from .code_hash import normalized_hash

    source = Path(importlib.util.find_spec(assignment.answer_key).origin).read_text(encoding="utf-8")
    return {name: normalized_hash(source, name) for q in assignment.questions for name in q.objects}


OBJECTS = "objects"  # in a cached observation: the fingerprints of the graded objects it ran with


@dataclass
class _Run:
    """One submission's execution: its kernel, then the slow probes, filling ``execution``."""

    assignment: object
    notebook: submission.Submission
    setup: KernelSetup
    training_setup: KernelSetup  # the slow probes' kernels: MNIST without its test set
    limits: Limits
    workdir: Path
    probe_cache: ProbeCache
    execution: Execution
    fingerprints: dict = field(default_factory=dict)  # graded name -> its fingerprint in the notebook's kernel
    broken: set = field(default_factory=set)  # cells that hung or killed the notebook's kernel
    sliced: bool = True  # run only the cells grading needs (``cache.graded_cells``), else every cell

    def observe(self) -> None:
        questions, notebook, execution = self.assignment.questions, self.notebook, self.execution
        cells = graded_cells(tuple(name for q in questions for name in q.objects), notebook) if self.sliced else None
        cells = list(range(len(notebook.cells))) if cells is None else cells  # position -> notebook cell
        with KernelSession([notebook.cells[index] for index in cells], self.workdir / "notebook", self.setup,
                           self.limits) as session:
            for outcome in session.run_cells():
                index = cells[outcome.index]
                label, ended = notebook.label(index), CellStatus(outcome.status)
                if ended.broke_kernel:
                    execution.status.append(Problem(None, outcomes.CELL, f"{label}: {outcome.error}"))
                elif ended is CellStatus.ERROR:
                    error = CellError.parse(label, outcome.error, index)
                    if error.type in ("SyntaxError", "IndentationError", "TabError"):
                        execution.status.append(Problem(None, outcomes.SYNTAX, f"{label}: 문법 오류"))
                    execution.cell_errors.append(error)
            found = _objects_probes(session, {
                "origins": {name for q in questions for name in q.objects},
                "fingerprints": {name for q in questions if any(p.cached for p in q.probes.values())
                                 for name in q.objects}})
            origins, self.fingerprints = found["origins"], found["fingerprints"]
            self.broken = {cells[o.index] for o in session.outcomes.values() if CellStatus(o.status).broke_kernel}
            kit = kit_reasons(self.assignment, notebook, origins)
            for question_id, (status, reason) in kit.items():
                execution.status.append(status)
                execution.reasons[question_id] = reason
            quick = {question.id: {key: spec for key, spec in question.specs.items() if not question.probes[key].cached}
                     for question in questions if question.id not in kit}
            self.quick_probes(session, quick)
        # The slow probes (the training check) last, each question's in a fresh kernel that runs
        # only the code they exercise: the cells their cache key is made of, nothing else held.
        for question in questions:
            if question.id in execution.observed:
                try:
                    execution.observed[question.id].update(self.slow_probes(question))
                except Exception as error:  # a bug of the kit costs this question, not the batch
                    execution.kit_failed(error, question)
                    execution.not_graded([question.id], NOT_GRADED)

    def quick_probes(self, session: KernelSession, quick: dict[str, dict]) -> None:
        """Every question's quick probes in one cell (one round trip, the kernel-side modules sent
        once). When that cell fails (a probe killed or hung the kernel), each question's probes
        again in a cell of their own, so the failure costs only the question that caused it."""
        batch = {(question_id, key): spec for question_id, specs in quick.items() for key, spec in specs.items()}
        try:
            observed = session.probe(batch) if batch else {}
        except ProbeFailed:
            observed = None
        for question_id, specs in quick.items():
            if observed is not None:
                self.execution.observed[question_id] = {key: observed[question_id, key] for key in specs}
                continue
            try:
                self.execution.observed[question_id] = session.probe(specs) if specs else {}
            except ProbeFailed as failure:
                self.execution.status.append(Problem(question_id, outcomes.PROBE, str(failure)))
                self.execution.reasons[question_id] = str(failure)

    def slow_probes(self, question: Question) -> dict:
        """The question's cached probes, run in a fresh kernel that holds only the cells they
        exercise (``cache.closure``) and keyed by exactly those cells, so another notebook with
        the same cells is served the result. The graded objects must be those the notebook's own
        kernel holds (``fingerprints``): when the closure's cells make other objects (a definition
        the static closure cannot see, e.g. through ``exec`` or ``globals()``), the whole notebook
        runs instead. Cells that hung or killed the notebook's kernel (``broken``) are left out."""
        everything = [index for index in range(len(self.notebook.cells)) if index not in self.broken]
        cells = [index for index in closure(question.objects, self.notebook) if index not in self.broken]
        if cells != everything:
            want = {name: self.fingerprints.get(name) for name in question.objects}
            found = self.slow_run(question, cells, want, self.workdir / question.id / "closure")
            if found is not None:
                return found
        return self.slow_run(question, everything, None, self.workdir / question.id / "notebook")

    def slow_run(self, question: Question, cells: list[int], want: dict | None, workdir: Path) -> dict | None:
        """The cached probes with ``cells`` run: from the cache, else computed and written to it.
        None when ``want`` is given and the objects ``cells`` make are not those. While this worker
        computes a key, another worker that needs it waits for it (``ProbeCache.claim``)."""
        notebook, execution = self.notebook, self.execution
        found, pending = {}, {}
        with contextlib.ExitStack() as claims:
            for probe_key in sorted(key for key, probe in question.probes.items() if probe.cached):
                key = code_key(question.specs[probe_key], question.objects, notebook, self.setup.probe_modules, cells)
                hit = claims.enter_context(self.probe_cache.claim(key))
                if hit is not None and want is not None and hit.get(OBJECTS) != want:
                    return None
                if hit is not None:
                    found[probe_key] = hit
                    execution.cached.append(f"{question.id}:{probe_key}")
                else:
                    pending[probe_key] = key
            if not pending:
                return found
            specs = {probe_key: question.specs[probe_key] for probe_key in pending}
            try:
                with KernelSession([notebook.cells[index] for index in cells], workdir, self.training_setup,
                                   self.limits) as session:
                    session.run_cells()
                    made = _objects_probe(session, "fingerprints", question.objects)
                    if want is not None and made != want:
                        return None
                    # a probe may take several calls (the training: one per seed, the grader deciding)
                    observed = {probe_key: question.probes[probe_key].observe(
                        lambda spec, probe_key=probe_key: session.probe({probe_key: spec})[probe_key])
                        for probe_key in specs}
            except ProbeFailed as failure:
                execution.status.append(Problem(question.id, outcomes.PROBE, str(failure)))
                error = {"type": "Failed", "message": str(failure)}
                return {**found, **{probe_key: {"ok": False, "error": error} for probe_key in pending}}
            for probe_key, key in pending.items():
                found[probe_key] = {**observed[probe_key], OBJECTS: made}
                self.probe_cache.put(key, found[probe_key])
        return found


def _objects_probes(session: KernelSession, names: dict[str, set]) -> dict[str, dict]:
    """Generic probes about graded objects in one cell: op ("origins", "fingerprints") -> name ->
    what it found ({} when it could not run)."""
    specs = {op: {"op": op, "objects": sorted(objects)} for op, objects in names.items() if objects}
    try:
        observations = session.probe(specs) if specs else {}
    except ProbeFailed:
        observations = {}
    return {op: observations[op].get(op, {}) if observations.get(op, {}).get("ok") else {} for op in names}


def _objects_probe(session: KernelSession, op: str, names) -> dict:
    """A generic probe about graded objects ("origins", "fingerprints"): name -> what it found,
    {} when it could not run."""
    if not names:
        return {}
    try:
        observation = session.probe({op: {"op": op, "objects": sorted(names)}})[op]
    except ProbeFailed:
        return {}
    return observation.get(op, {}) if observation.get("ok") else {}
