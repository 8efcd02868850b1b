"""The hidden checks, driven from inside a notebook kernel (otter's and nbgrader's test cells).

``autograder grade`` runs the same probes in the student's kernel but judges them in its own
process; here, where otter and nbgrader already run their tests in the student's kernel, the
probes run on the notebook's globals and are judged in place. Results are cached per
question, so a test file with one doctest per case runs the probes once.

    >>> from autograder.inline import case_passed
    >>> case_passed("q3_elementwise", 0, globals())
    True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

from .ch02.questions import questions
from .engine import runtime
from .engine.cases import CaseResult, judge_question
from .engine.grade import expected_observations, origin_problem

# question id -> (the graded objects judged, their results). Keyed on the objects, not the
# namespace: otter hands each doctest a fresh copy of the notebook's globals.
_cache: dict[str, tuple[tuple, list[CaseResult]]] = {}


@lru_cache(maxsize=None)
def _question(question_id: str):
    for question in questions():
        if question.id == question_id:
            return question
    raise KeyError(f"unknown question {question_id!r}")


def _kit_origin(question, namespace: Mapping) -> str | None:
    for name in question.objects:
        problem = origin_problem(name, runtime.origin(namespace[name])) if name in namespace else None
        if problem:
            return problem + " 이 문제는 0점입니다."
    return None


def results(question_id: str, namespace: Mapping) -> list[CaseResult]:
    """Every case of a question, judged on the objects in ``namespace``."""
    question = _question(question_id)
    objects = tuple(namespace.get(name) for name in question.objects)
    cached = _cache.get(question_id)
    if cached is None or any(a is not b for a, b in zip(cached[0], objects)):
        expected = expected_observations([question])[question.id]
        reason = _kit_origin(question, namespace)
        observed = None if reason else {k: runtime.run_probe(spec, namespace) for k, spec in question.specs.items()}
        _cache[question_id] = (objects, judge_question(question, observed, expected, reason))
    return _cache[question_id][1]


def case_passed(question_id: str, index: int, namespace: Mapping) -> bool:
    """One case; prints its Korean message when it fails (otter shows it)."""
    case = results(question_id, namespace)[index]
    if not case.passed and case.message:
        print(case.message)
    return case.passed


def points(question_id: str, namespace: Mapping) -> float:
    """Points earned on a question, with a Korean report (nbgrader's partial credit)."""
    earned = 0.0
    for case in results(question_id, namespace):
        mark = "통과" if case.passed else "실패"
        print(f"[{mark}] {case.name} ({case.points:g}/{case.max_points:g})")
        if not case.passed and case.message:
            print("    " + case.message.replace("\n", "\n    "))
        earned += case.points
    return earned


def clear_cache() -> None:
    _cache.clear()

