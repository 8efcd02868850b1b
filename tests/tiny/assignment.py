"""The tiny test assignment: ``scale`` and ``slow_total``, one question of 5 points."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from autograder.assignment import Assignment
from autograder.engine.cases import Case, Question
from autograder.engine.function_cases import Call, call_probes, function_cases, values_verdict

HERE = Path(__file__).resolve().parent


def question() -> Question:
    scale_calls = [Call((np.arange(6.0).reshape(2, 3), 2.0)), Call((np.array([[-1, 4], [2, 0]]), 3))]
    probes, (values, unchanged) = function_cases("scale", scale_calls, points={"values": 2, "unchanged": 1})
    total_calls = [Call((np.arange(5),)), Call((np.array([1.5, -2.0, 4.0]),))]
    total = {key: replace(probe, cached=True) for key, probe in call_probes("slow_total", total_calls).items()}
    total_case = Case("slow_total: 값", 2, tuple(total),
                      lambda o, e: values_verdict("slow_total", total_calls, tuple(total), o, e))
    return Question("q1_basics", "어레이 기초", ("scale", "slow_total"), {**probes, **total},
                    (values, unchanged, total_case))


ASSIGNMENT = Assignment(
    id="tiny",
    title="작은 테스트 과제",
    module=__name__,
    notebook=HERE / "tiny.ipynb",
    answer_key="tiny.answer_key",
    questions_factory=lambda: (question(),),
)
