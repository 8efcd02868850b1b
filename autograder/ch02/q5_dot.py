"""q5 (2.3): the three naive dot products."""

from __future__ import annotations

from ..engine.cases import Question
from ..engine.function_cases import Call, function_cases
from .common import mixed, rng

ID = "q5_dot"
POINTS = {"values": 2, "shape": 1, "unchanged": 1, "asserts": 1, "naive": 1}


def question() -> Question:
    generator = rng("q5")
    m = lambda shape, kind="float64": mixed(generator, shape, kind)
    vector = function_cases(
        "naive_vector_dot",
        [Call((m((n,), k), m((n,), k))) for n, k in [(1, "float64"), (7, "float64"), (5, "int64"), (32, "float32")]],
        points=POINTS, bad_calls=[Call((m((3,)), m((5,)))), Call((m((2, 3)), m((2, 3))))],
        naive=Call((m((40,)), m((40,)))), naive_work=40)
    matrix_vector = function_cases(
        "naive_matrix_vector_dot",
        [Call((m((a, b), k), m((b,), k))) for a, b, k in
         [(1, 1, "float64"), (2, 3, "float64"), (4, 2, "int64"), (3, 6, "float32")]],
        points=POINTS, bad_calls=[Call((m((2, 3)), m((4,)))), Call((m((3,)), m((3,))))],
        naive=Call((m((6, 7)), m((7,)))), naive_work=42)
    matrix = function_cases(
        "naive_matrix_dot",
        [Call((m((a, b), k), m((b, c), k))) for a, b, c, k in
         [(1, 1, 1, "float64"), (2, 3, 4, "float64"), (5, 2, 1, "int64"), (3, 3, 3, "float32")]],
        points=POINTS, bad_calls=[Call((m((2, 3)), m((4, 2)))), Call((m((3,)), m((3, 2))))],
        naive=Call((m((4, 5)), m((5, 6)))), naive_work=120)
    probes = {key: probe for part in (vector, matrix_vector, matrix) for key, probe in part[0].items()}
    cases = vector[1] + matrix_vector[1] + matrix[1]
    return Question(ID, "2.3 텐서 점곱", ("naive_vector_dot", "naive_matrix_vector_dot", "naive_matrix_dot"),
                    probes, cases)
