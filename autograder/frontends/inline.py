"""The hidden checks, driven from inside a notebook kernel (otter's and nbgrader's test cells).

``autograder grade`` runs the probes in the student's kernel but judges them in its own
process; here, where otter and nbgrader already run their tests in the student's kernel, the
probes run on the notebook's globals and are judged in place. Results are cached per
question, so a test file with one doctest per case runs the probes once.

    >>> from autograder.frontends.inline import case_passed
    >>> case_passed("<assignment id>", "q3_elementwise", 0, globals())
    True
"""

from __future__ import annotations

from typing import Mapping

from .. import assignment as registry
from ..engine.cases import CaseResult, judge_question
from ..engine.grade import GRADER_ERROR, expected_observations, origin_problem, probe_table
from ..kernel_side import runtime

# (assignment, question) -> (the graded objects judged, their results). Keyed on the objects,
# not the namespace: otter hands each doctest a fresh copy of the notebook's globals.
_cache: dict[tuple[str, str], tuple[tuple, list[CaseResult]]] = {}


def _kit_origin(assignment, question, namespace: Mapping) -> str | None:
    for name in question.objects:
        if name in namespace:
            problem = origin_problem(name, runtime.origin(namespace[name]), assignment.kit_roots)
            if problem:
                return problem + " 이 문제는 0점입니다."
    return None


def results(assignment_id: str, question_id: str, namespace: Mapping) -> list[CaseResult]:
    """Every case of a question, judged on the objects in ``namespace``."""
    assignment = registry.get(assignment_id)
    question = assignment.question(question_id)
    objects = tuple(namespace.get(name) for name in question.objects)
    cached = _cache.get((assignment_id, question_id))
    if cached is None or any(a is not b for a, b in zip(cached[0], objects)):
        expected = expected_observations(assignment)[question.id]
        reason = _kit_origin(assignment, question, namespace)
        table = probe_table(assignment)
        observed = None if reason else {key: runtime.run_probe(spec, namespace, table)
                                        for key, spec in question.specs.items()}
        try:
            judged = judge_question(question, observed, expected, reason)
        except Exception as error:  # the kit's own fault: every case fails, saying so
            judged = judge_question(question, None, expected,
                                    f"{GRADER_ERROR} ({type(error).__name__}: {error}): 강사에게 알려 주세요.")
        _cache[assignment_id, question_id] = (objects, judged)
    return _cache[assignment_id, question_id][1]


def case_passed(assignment_id: str, question_id: str, index: int, namespace: Mapping) -> bool:
    """One case; prints its Korean message when it fails (otter shows it)."""
    case = results(assignment_id, question_id, namespace)[index]
    if not case.passed and case.message:
        print(case.message)
    return case.passed


def points(assignment_id: str, question_id: str, namespace: Mapping) -> float:
    """Points earned on a question, with a Korean report (nbgrader's partial credit)."""
    earned = 0.0
    for case in results(assignment_id, question_id, namespace):
        mark = "통과" if case.passed else "실패"
        print(f"[{mark}] {case.name} ({case.points:g}/{case.max_points:g})")
        if not case.passed and case.message:
            print("    " + case.message.replace("\n", "\n    "))
        earned += case.points
    return earned


def clear_cache() -> None:
    _cache.clear()
