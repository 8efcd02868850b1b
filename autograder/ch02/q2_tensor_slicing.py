"""q2 (2.2): slicing images and taking the n-th batch."""

from __future__ import annotations

import numpy as np

from ..engine.cases import Case, Question
from ..engine.function_cases import Call, call_probes, function_cases, values_verdict
from .common import rng

ID = "q2_tensor_slicing"


def question() -> Question:
    generator = rng("q2")
    images = generator.integers(0, 256, size=(4, 28, 28)).astype(np.uint8)
    probes, cases = {}, []
    for name in ("crop_bottom_right", "crop_center"):
        crop_probes, (values,) = function_cases(name, [Call((images[:1],)), Call((images,))],
                                                points={"values": 2})  # a wrong shape is a wrong value
        probes.update(crop_probes)
        cases.append(values)

    stack = np.arange(23 * 2, dtype=np.int64).reshape(23, 2)
    middle = [Call((stack, 0), (("batch_size", 5),)), Call((stack, 2), (("batch_size", 5),))]
    last_and_default = [Call((stack, 4), (("batch_size", 5),)), Call((np.arange(300, dtype=np.int64), 1))]
    middle_probes = call_probes("get_batch", middle, kind="nth")
    last_probes = call_probes("get_batch", last_and_default, kind="last")
    probes.update(middle_probes)
    probes.update(last_probes)
    cases += [
        Case("get_batch: n번째 배치", 1, tuple(middle_probes),
             lambda o, e: values_verdict("get_batch", middle, tuple(middle_probes), o, e)),
        Case("get_batch: 마지막 배치와 기본 batch_size=128", 1, tuple(last_probes),
             lambda o, e: values_verdict("get_batch", last_and_default, tuple(last_probes), o, e)),
    ]
    return Question(ID, "2.2 텐서 슬라이싱과 배치", ("crop_bottom_right", "crop_center", "get_batch"),
                    probes, tuple(cases))
