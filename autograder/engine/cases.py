"""The shape of a hidden check: questions made of cases, each worth points.

A case names the probes it needs (plain specs that the kernel-side runtime runs where the
student's code lives) and a judge that turns the student's observations, and the answer
key's on the same probes, into a verdict. Every front-end (``autograder grade``, otter,
nbgrader) runs the probes and calls the same judges.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping


@dataclass(frozen=True, order=True)
class ProbeKey:
    """Names one probe of a question: the graded object (or probe family), what kind of
    probe, and its number among those (e.g. ``naive_relu`` / ``value`` / 2)."""

    target: str
    kind: str = ""
    index: int = 0

    def __str__(self) -> str:
        return ":".join([self.target, self.kind, str(self.index)] if self.kind else [self.target])


@dataclass(frozen=True)
class Probe:
    spec: dict  # plain JSON for the runtime: {"op": ..., ...}
    reference: bool = True  # also run on the answer key (the judges' "expected")
    cached: bool = False  # slow: its result is cached by the code it exercises
    # Run by the grader, not in one go: ``drive(run)`` calls ``run(spec)`` (one kernel call) as often
    # as it needs and returns the observation to keep, computed here from what the kernel sent.
    drive: Callable[[Callable[[dict], dict]], dict] | None = field(default=None, compare=False)

    def observe(self, run: Callable[[dict], dict]) -> dict:
        """The observation: ``run(spec)``, or what ``drive`` makes of one or more runs."""
        return self.drive(run) if self.drive is not None else run(self.spec)


Observations = Mapping[ProbeKey, dict]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""  # Korean; on failure: what was given, expected and got, shapes first
    detail: dict = field(default_factory=dict)  # plain data for reports (e.g. a measured accuracy)


@dataclass(frozen=True)
class Case:
    name: str  # Korean, shown to the student
    points: float
    probes: tuple[ProbeKey, ...]
    judge: Callable[[Observations, Observations], Verdict]
    requires: str = ""  # Korean: what must hold before this case counts ("값이 맞아야"), shown where it is graded
    featured: bool = False  # named in the notebook's points table (e.g. the training bar)
    kind: str = ""  # the property it checks, for function cases (``function_cases.CASE_KINDS``)
    object: str = ""  # the graded object it is about; "" for a case about the whole question (the training)
    # The kernel-side judge it wraps (``judge(spec, got, want)``), shared with the self-check of its object
    judged_by: Callable | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PublicCheck:
    """One self-check of the student notebook, run in the student's kernel by
    ``kernel_side.selfcheck`` on inputs no hidden case uses.

    ``check`` names the kernel-side function that runs it: ``"function"`` (a graded function
    called on inputs), ``"probes"`` (the assignment's own probes on public inputs, judged by the
    hidden cases' judges, ``judges``) or ``"<module>:<function>"`` of the assignment's kernel-side
    self-check module. ``spec`` is plain JSON for it; ``probes`` are probe specs run on the answer
    key when the notebook is built, their observations handed to the check as ``spec["expected"]``."""

    object: str  # the graded name it checks
    check: str
    spec: dict
    probes: tuple[dict, ...] = ()
    keep: tuple[str, ...] = ()  # the observation keys the check reads (default: all but timings)
    judges: tuple[Callable, ...] = field(default=(), compare=False)  # "probes": the kernel-side judges it runs


@dataclass(frozen=True)
class Question:
    id: str
    title: str  # Korean
    objects: tuple[str, ...]  # the graded names it exercises
    probes: Mapping[ProbeKey, Probe]
    cases: tuple[Case, ...]
    public: tuple[PublicCheck, ...] = ()  # the notebook's self-checks (no hidden input among them)

    def __post_init__(self):
        # A case named "<object>: ..." is about that object: said once, here, as a typed field.
        cases = tuple(case if case.object else replace(case, object=next(
            (name for name in self.objects if case.name.startswith(f"{name}:")), "")) for case in self.cases)
        object.__setattr__(self, "cases", cases)

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)

    @property
    def specs(self) -> dict[ProbeKey, dict]:
        return {key: probe.spec for key, probe in self.probes.items()}

    @property
    def reference_keys(self) -> list[ProbeKey]:
        return sorted(key for key, probe in self.probes.items() if probe.reference)


@dataclass
class CaseResult:
    question: str
    name: str
    points: float
    max_points: float
    message: str
    detail: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


KIT_ERROR = "kit_error"  # in a CaseResult's detail: the traceback of a judge that raised
KIT_ERROR_MESSAGE = "채점 도구 오류로 이 항목을 채점하지 못했습니다. 강사에게 알려 주세요."

# Verdict.detail["cause"] said once: the object is not implemented or not defined, a model never
# compiled, a question not graded, a step several cases need (a constructor, a method) raised.
ONE_CAUSE = {"not_implemented", "not_defined", "not_compiled", "question", "step"}


def one_cause(case: CaseResult) -> tuple | None:
    """What a failed case shares with its neighbours when one cause stopped them all (an
    object not implemented or not defined, a model never compiled, a question not graded)."""
    cause = case.detail.get("cause")
    if case.passed or cause not in ONE_CAUSE:
        return None
    return cause, case.detail.get("object"), case.message


def by_cause(cases: list[CaseResult]) -> list[list[CaseResult]]:
    """Consecutive cases that failed for the same cause, together; every other case alone."""
    groups: list[list[CaseResult]] = []
    for case in cases:
        cause = one_cause(case)
        if cause is not None and groups and one_cause(groups[-1][0]) == cause:
            groups[-1].append(case)
        else:
            groups.append([case])
    return groups


def judge_question(question: Question, observed: Observations | None,
                   expected: Observations, reason: str | None = None) -> list[CaseResult]:
    """Score every case; ``observed`` is None when the probes could not run (``reason`` says why).

    A judge that raises is a fault of the kit (observations are plain data the kit's runtime
    shapes), not of the student: that case alone scores 0 with a message saying so, its
    traceback in ``detail[KIT_ERROR]`` for the caller to report to the instructor; the other
    cases of the question keep their verdicts."""
    results = []
    for case in question.cases:
        if observed is None:
            verdict = Verdict(False, reason or "채점 코드를 실행하지 못했습니다.", {"cause": "question"})
        else:
            try:
                verdict = case.judge(observed, expected)
            except Exception:
                verdict = Verdict(False, KIT_ERROR_MESSAGE, {KIT_ERROR: traceback.format_exc()})
        results.append(CaseResult(question.id, case.name, case.points if verdict.passed else 0.0,
                                  case.points, verdict.message, dict(verdict.detail)))
    return results
