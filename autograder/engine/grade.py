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
from .cache import ProbeCache, closure, code_key
from .cases import CaseResult, Question, judge_question
from .kernel import KernelSession, KernelSetup, Limits, ProbeFailed

GRADER_ERROR = "채점 도구 오류"  # status prefix; the traceback is saved beside the results
CELL_ERROR_SEPARATOR = " — "  # between a cell's label and its error (a label may hold ": ")
NO_SANDBOX = "샌드박스 없이 채점함"  # every row graded without engine.sandbox says so


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
    assignment: str = ""
    code_hashes: dict = field(default_factory=dict)  # graded name -> normalized code (similar-code report)
    file_sha256: str = ""  # of the file graded: a resumed batch grades a changed file again

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
        return cls(cases=cases, **data)


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


def grade_notebook(assignment, path: Path, name: str, data: Mapping, limits: Limits = Limits(),
                   probe_cache: ProbeCache = ProbeCache(None), expected: dict | None = None) -> SubmissionResult:
    """Grade one notebook. ``data`` maps each of the assignment's datasets to its file.

    Never raises for a fault of the submission or of the kit: a kit error becomes the
    result's ``grader_error`` (traceback) and a status, and the questions it kept from being
    graded score 0 with that reason."""
    started = time.monotonic()
    questions = assignment.questions
    expected = expected if expected is not None else expected_observations(assignment)
    roots = assignment.kit_roots

    file_sha256 = files.digest(path)

    def result(cases, status, **extra):
        return SubmissionResult(name, str(path), cases, status, seconds=time.monotonic() - started,
                                assignment=assignment.id, file_sha256=file_sha256, **extra)

    try:
        notebook = submission.read(path, roots)
    except (submission.UnreadableSubmission, OSError) as error:
        reason = str(error) if isinstance(error, submission.UnreadableSubmission) else f"파일을 읽을 수 없습니다: {error}"
        return result([r for q in questions for r in judge_question(q, None, expected[q.id], reason)], reason)

    status, cell_errors, cases, cached, errors = [], [], [], [], []
    if not limits.sandbox and not limits.run_as:
        status.append(f"{NO_SANDBOX} (학생 코드가 채점 도구의 파일을 읽을 수 있었습니다)")
    graded: set[str] = set()
    hashes = code_hashes(notebook, [name for question in questions for name in question.objects])

    def kit_failed(error: BaseException, question: Question | None = None) -> None:
        errors.append(traceback.format_exc())
        status.append((f"{question.id}: " if question else "") + grader_error_status(error))

    try:
        setup = KernelSetup.for_assignment(assignment, data, limits)
        training_setup = KernelSetup.for_assignment(assignment, data, limits, "training")  # no test set
        with tempfile.TemporaryDirectory(prefix="autograder-grade-") as workdir:
            observed, reasons = {}, {}  # question -> its observations, or why it has none
            with KernelSession(notebook.cells, Path(workdir) / "notebook", setup, limits) as session:
                for outcome in session.run_cells():
                    label = notebook.label(outcome.index)
                    if outcome.status in ("timeout", "died", "stuck", "skipped"):
                        status.append(f"{label}: {outcome.error}")
                    elif outcome.status == "error":
                        if outcome.error.startswith(("SyntaxError", "IndentationError", "TabError")):
                            status.append(f"{label}: 문법 오류")
                        cell_errors.append(f"{label}{CELL_ERROR_SEPARATOR}{outcome.error}")
                origins = _objects_probe(session, "origins", {name for q in questions for name in q.objects})
                fingerprints = _objects_probe(session, "fingerprints", {
                    name for q in questions if any(p.cached for p in q.probes.values()) for name in q.objects})
                broken = {o.index for o in session.outcomes.values() if o.status in ("timeout", "died", "stuck", "skipped")}
                for question in questions:
                    kit = kit_violation(question, notebook, origins, roots)
                    if kit:
                        status.append(f"{question.id}: {kit}")
                        reasons[question.id] = kit + " 이 문제는 0점입니다."
                        continue
                    quick = {key: spec for key, spec in question.specs.items() if not question.probes[key].cached}
                    try:
                        observed[question.id] = session.probe(quick) if quick else {}
                    except ProbeFailed as failure:
                        status.append(f"{question.id}: {failure}")
                        reasons[question.id] = str(failure)
            # The slow probes (the training check) last, each question's in a fresh kernel that runs
            # only the code they exercise: the cells their cache key is made of, nothing else held.
            for question in questions:
                if question.id in observed:
                    try:
                        observed[question.id].update(_slow_probes(question, notebook, training_setup, limits,
                                                                  Path(workdir) / question.id, probe_cache,
                                                                  cached, status, fingerprints, broken))
                    except Exception as error:  # a bug of the kit costs this question, not the batch
                        kit_failed(error, question)
                        del observed[question.id]
                        reasons[question.id] = f"{GRADER_ERROR}로 이 문제를 채점하지 못했습니다."
        for question in questions:
            try:
                cases += judge_question(question, observed.get(question.id), expected[question.id],
                                        reasons.get(question.id))
            except Exception as error:  # a judge that fails is the kit's fault, not the student's
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
    return result(cases, "; ".join(status) or "ok", cell_errors=cell_errors, grader_error="\n".join(errors),
                  cached=cached, code_hashes=hashes)


def code_hashes(notebook: submission.Submission, names) -> dict:
    """Per graded name, the hash of its (last) definition with names, comments and layout
    normalized: the class report groups submissions with the same code by it."""
    from ..reports.similar import normalized_hash

    return {name: normalized_hash(notebook.cells[notebook.defined_in[name][-1]], name)
            if name in notebook.defined_in else None for name in names}


def reference_hashes(assignment) -> dict:
    """The same hashes of the answer key's definitions ("the course text's code")."""
    import importlib.util

    from ..reports.similar import normalized_hash

    source = Path(importlib.util.find_spec(assignment.answer_key).origin).read_text(encoding="utf-8")
    return {name: normalized_hash(source, name) for q in assignment.questions for name in q.objects}


OBJECTS = "objects"  # in a cached observation: the fingerprints of the graded objects it ran with


def _slow_probes(question: Question, notebook: submission.Submission, setup: KernelSetup, limits: Limits,
                 workdir: Path, probe_cache: ProbeCache, cached: list[str], status: list[str],
                 fingerprints: dict, broken: set[int]) -> dict:
    """The question's cached probes, run in a fresh kernel that holds only the cells they
    exercise (``cache.closure``) and keyed by exactly those cells, so another notebook with the
    same cells is served the result. ``fingerprints`` are the graded objects as the notebook's
    own kernel holds them: when the closure's cells make other objects (a definition the static
    closure cannot see, e.g. through ``exec`` or ``globals()``), the whole notebook runs instead.
    Cells that hung or killed the notebook's kernel (``broken``) are left out."""
    everything = [index for index in range(len(notebook.cells)) if index not in broken]
    cells = [index for index in closure(question.objects, notebook) if index not in broken]
    want = {name: fingerprints.get(name) for name in question.objects}
    if cells != everything:
        found = _slow_run(question, notebook, cells, want, setup, limits, workdir / "closure", probe_cache,
                          cached, status)
        if found is not None:
            return found
    return _slow_run(question, notebook, everything, None, setup, limits, workdir / "notebook", probe_cache,
                     cached, status)


def _slow_run(question: Question, notebook: submission.Submission, cells: list[int], want: dict | None,
              setup: KernelSetup, limits: Limits, workdir: Path, probe_cache: ProbeCache, cached: list[str],
              status: list[str]) -> dict | None:
    """The cached probes with ``cells`` run: from the cache, else computed and written to it.
    None when ``want`` is given and the objects ``cells`` make are not those. While this worker
    computes a key, another worker that needs it waits for it (``ProbeCache.claim``)."""
    found, pending = {}, {}
    with contextlib.ExitStack() as claims:
        for probe_key in sorted(key for key, probe in question.probes.items() if probe.cached):
            key = code_key(question.specs[probe_key], question.objects, notebook, setup.probe_modules, cells)
            hit = claims.enter_context(probe_cache.claim(key))
            if hit is not None and want is not None and hit.get(OBJECTS) != want:
                return None
            if hit is not None:
                found[probe_key] = hit
                cached.append(f"{question.id}:{probe_key}")
            else:
                pending[probe_key] = key
        if not pending:
            return found
        specs = {probe_key: question.specs[probe_key] for probe_key in pending}
        try:
            with KernelSession([notebook.cells[index] for index in cells], workdir, setup, limits) as session:
                session.run_cells()
                made = _objects_probe(session, "fingerprints", question.objects)
                if want is not None and made != want:
                    return None
                observed = {probe_key: question.probes[probe_key].observe(
                    lambda spec, probe_key=probe_key: session.probe({probe_key: spec})[probe_key]) for probe_key in specs}
        except ProbeFailed as failure:
            status.append(f"{question.id}: {failure}")
            error = {"type": "Failed", "message": str(failure)}
            return {**found, **{probe_key: {"ok": False, "error": error} for probe_key in pending}}
        for probe_key, key in pending.items():
            found[probe_key] = {**observed[probe_key], OBJECTS: made}
            probe_cache.put(key, found[probe_key])
    return found


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
