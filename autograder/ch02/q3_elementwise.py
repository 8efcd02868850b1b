"""q3 (2.3): ``naive_relu`` and ``naive_add``, element by element in Python loops."""

from __future__ import annotations

from ..engine.cases import Question
from ..engine.function_cases import Call, function_cases
from .common import mixed, public_rng, rng

ID = "q3_elementwise"
SHAPES = [((1, 1), "float64"), ((3, 5), "float64"), ((4, 2), "int32"), ((5, 5), "float32")]
PUBLIC_SHAPES = [((2, 3), "int64"), ((4, 3), "float64")]  # non-square, int and float, negatives
POINTS = {"values": 2, "shape": 1, "unchanged": 1, "asserts": 1, "naive": 1}


def question() -> Question:
    generator, public = rng("q3"), public_rng("q3")
    relu = function_cases(
        "naive_relu", [Call((mixed(generator, s, k),)) for s, k in SHAPES], points=POINTS,
        bad_calls=[Call((mixed(generator, (4,), "float64"),)), Call((mixed(generator, (2, 2, 2), "float64"),))],
        keep_dtype=True, naive=Call((mixed(generator, (6, 7), "float64"),)),
        public=[Call((mixed(public, s, k),)) for s, k in PUBLIC_SHAPES],
        public_bad=[Call((mixed(public, (2, 3, 1), "float64"),))],  # no error without the assert
        public_naive=Call((mixed(public, (5, 8), "float64"),)))
    add = function_cases(
        "naive_add", [Call((mixed(generator, s, k), mixed(generator, s, k))) for s, k in SHAPES], points=POINTS,
        bad_calls=[Call((mixed(generator, (2, 3), "float64"), mixed(generator, (3, 4), "float64"))),
                   Call((mixed(generator, (3,), "float64"), mixed(generator, (3,), "float64")))],
        keep_dtype=True, naive=Call((mixed(generator, (6, 7), "float64"), mixed(generator, (6, 7), "float64"))),
        public=[Call((mixed(public, s, k), mixed(public, s, k))) for s, k in PUBLIC_SHAPES],
        public_bad=[Call((mixed(public, (2, 2), "float64"), mixed(public, (3, 3), "float64")))],
        public_naive=Call((mixed(public, (5, 8), "float64"), mixed(public, (5, 8), "float64"))))
    return Question(ID, "2.3 항목별 연산", ("naive_relu", "naive_add"), {**relu.probes, **add.probes},
                    relu.cases + add.cases, (relu.public, add.public))
