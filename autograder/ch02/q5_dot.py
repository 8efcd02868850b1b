"""q5 (2.3): the three naive dot products.

``naive_matrix_vector_dot`` and ``naive_matrix_dot`` may call ``naive_vector_dot`` (the notebook
suggests it): their value probes run with a known-good one in its place, so a bug in the
student's ``naive_vector_dot`` costs its own cases only."""

from __future__ import annotations

from ..engine.cases import Question
from ..engine.function_cases import Call, function_cases
from .common import mixed, public_rng, rng

ID = "q5_dot"
POINTS = {"values": 2, "shape": 1, "unchanged": 1, "asserts": 1, "naive": 1}
HELPER = ("naive_vector_dot",)


def question() -> Question:
    generator, public = rng("q5"), public_rng("q5")
    m = lambda shape, kind="float64": mixed(generator, shape, kind)
    p = lambda shape, kind="float64": mixed(public, shape, kind)
    vector = function_cases(
        "naive_vector_dot",
        [Call((m((n,), k), m((n,), k))) for n, k in [(1, "float64"), (7, "float64"), (5, "int64"), (32, "float32")]],
        points=POINTS, bad_calls=[Call((m((3,)), m((5,)))), Call((m((2, 3)), m((2, 3))))],
        naive=Call((m((40,)), m((40,)))),
        public=[Call((p((4,), "int64"), p((4,), "int64"))), Call((p((6,)), p((6,))))],
        public_bad=[Call((p((4,)), p((6,))))], public_naive=Call((p((30,)), p((30,)))))
    matrix_vector = function_cases(
        "naive_matrix_vector_dot",
        [Call((m((a, b), k), m((b,), k))) for a, b, k in
         [(1, 1, "float64"), (2, 3, "float64"), (4, 2, "int64"), (3, 6, "float32")]],
        points=POINTS, bad_calls=[Call((m((2, 3)), m((4,)))), Call((m((3,)), m((3,))))],
        naive=Call((m((6, 7)), m((7,)))), stand_ins=HELPER,
        public=[Call((p((3, 4)), p((4,)))), Call((p((2, 5), "int64"), p((5,), "int64")))],
        public_bad=[Call((p((3, 2)), p((4,))))], public_naive=Call((p((5, 8)), p((8,)))))
    matrix = function_cases(
        "naive_matrix_dot",
        [Call((m((a, b), k), m((b, c), k))) for a, b, c, k in
         [(1, 1, 1, "float64"), (2, 3, 4, "float64"), (5, 2, 1, "int64"), (3, 3, 3, "float32")]],
        points=POINTS, bad_calls=[Call((m((2, 3)), m((4, 2)))), Call((m((3,)), m((3, 2))))],
        naive=Call((m((4, 5)), m((5, 6)))), stand_ins=HELPER,
        public=[Call((p((2, 3)), p((3, 4)))), Call((p((3, 2), "int64"), p((2, 5), "int64")))],
        public_bad=[Call((p((2, 3)), p((4, 2))))], public_naive=Call((p((3, 4)), p((4, 5)))))
    parts = (vector, matrix_vector, matrix)
    return Question(ID, "2.3 텐서 점곱", ("naive_vector_dot", "naive_matrix_vector_dot", "naive_matrix_dot"),
                    {key: probe for part in parts for key, probe in part.probes.items()},
                    tuple(case for part in parts for case in part.cases), tuple(part.public for part in parts))
