"""The shape of a hidden check: questions made of cases, each worth points.

A case names the probes it needs (plain specs run by ``runtime``) and a judge that turns the
student's observations, and the reference's on the same probes, into a verdict. Every
front-end (``autograder grade``, otter, nbgrader) runs the probes where the student's code
lives and calls the same judges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

Observations = Mapping[str, dict]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str = ""  # Korean; on failure: what was given, expected and got, shapes first


@dataclass(frozen=True)
class Case:
    name: str  # Korean, shown to the student
    points: float
    probes: tuple[str, ...]  # keys into the question's probe specs
    judge: Callable[[Observations, Observations], Verdict]


@dataclass(frozen=True)
class Question:
    id: str
    title: str  # Korean
    objects: tuple[str, ...]  # the graded names it exercises
    specs: Mapping[str, dict]  # probe key -> probe spec
    cases: tuple[Case, ...]
    reference_probes: frozenset[str] = field(default_factory=frozenset)  # run on solutions too

    @property
    def points(self) -> float:
        return sum(case.points for case in self.cases)


@dataclass(frozen=True)
class CaseResult:
    question: str
    name: str
    points: float
    max_points: float
    message: str

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points


def judge_question(question: Question, observed: Observations | None,
                   expected: Observations, reason: str | None = None) -> list[CaseResult]:
    """Score every case; ``observed`` is None when the probes could not run (``reason`` says why)."""
    results = []
    for case in question.cases:
        if observed is None:
            verdict = Verdict(False, reason or "채점 코드를 실행하지 못했습니다.")
        else:
            try:
                verdict = case.judge(observed, expected)
            except Exception as error:  # a malformed observation must not stop grading
                verdict = Verdict(False, f"결과를 해석할 수 없습니다 ({type(error).__name__}: {error}).")
        results.append(CaseResult(question.id, case.name, case.points if verdict.passed else 0.0,
                                  case.points, verdict.message))
    return results
