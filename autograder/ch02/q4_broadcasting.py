"""q4 (2.3): ``naive_add_matrix_and_vector``, broadcasting by hand."""

from __future__ import annotations

from ..engine.cases import Question
from ..engine.function_cases import Call, function_cases
from .common import mixed, public_rng, rng

ID = "q4_broadcasting"


def question() -> Question:
    generator, public = rng("q4"), public_rng("q4")
    shapes = [((1, 1), "float64"), ((3, 5), "float64"), ((4, 2), "int64"), ((2, 6), "float32")]
    public_shapes = [((2, 4), "int64"), ((3, 2), "float64")]
    add = function_cases(
        "naive_add_matrix_and_vector",
        [Call((mixed(generator, s, k), mixed(generator, s[1:], k))) for s, k in shapes],
        points={"values": 2, "shape": 1, "unchanged": 1, "asserts": 1, "naive": 1},
        bad_calls=[Call((mixed(generator, (2, 3), "float64"), mixed(generator, (4,), "float64"))),
                   Call((mixed(generator, (2, 3), "float64"), mixed(generator, (1, 3), "float64")))],
        keep_dtype=True, naive=Call((mixed(generator, (6, 7), "float64"), mixed(generator, (7,), "float64"))),
        public=[Call((mixed(public, s, k), mixed(public, s[1:], k))) for s, k in public_shapes],
        public_bad=[Call((mixed(public, (3, 2), "float64"), mixed(public, (3,), "float64")))],
        public_naive=Call((mixed(public, (5, 8), "float64"), mixed(public, (8,), "float64"))))
    return Question(ID, "2.3 브로드캐스팅", ("naive_add_matrix_and_vector",), add.probes, add.cases, (add.public,))
