"""q6 (2.3): ``naive_transpose``, a new exercise beside the course text's reshaping."""

from __future__ import annotations

from ..engine.cases import Question
from ..engine.function_cases import Call, function_cases
from .common import mixed, public_rng, rng

ID = "q6_transpose"


def question() -> Question:
    generator, public = rng("q6"), public_rng("q6")
    transpose = function_cases(
        "naive_transpose",
        [Call((mixed(generator, s, k),)) for s, k in
         [((1, 1), "float64"), ((3, 5), "float64"), ((4, 1), "int32"), ((2, 6), "float32")]],
        points={"values": 2, "shape": 1, "unchanged": 1, "asserts": 1, "naive": 1},
        bad_calls=[Call((mixed(generator, (4,), "float64"),)), Call((mixed(generator, (2, 3, 2), "float64"),))],
        keep_dtype=True, naive=Call((mixed(generator, (6, 7), "float64"),)),
        public=[Call((mixed(public, s, k),)) for s, k in [((2, 3), "int64"), ((4, 2), "float32")]],
        public_bad=[Call((mixed(public, (2, 3, 1), "float64"),))],  # no error without the assert
        public_naive=Call((mixed(public, (5, 8), "float64"),)))
    return Question(ID, "2.3 행렬의 전치", ("naive_transpose",), transpose.probes, transpose.cases,
                    (transpose.public,))
