"""q2 (2.2): slicing images and taking the n-th batch."""

from __future__ import annotations

import numpy as np

from ..engine.cases import Case, Question
from ..engine.function_cases import Call, call_probes, function_cases, public_check, values_verdict
from .common import public_rng, rng

ID = "q2_tensor_slicing"


def question() -> Question:
    generator, public = rng("q2"), public_rng("q2")
    images = generator.integers(0, 256, size=(4, 28, 28)).astype(np.uint8)
    public_images = public.integers(0, 256, size=(2, 28, 28)).astype(np.uint8)
    probes, cases, checks = {}, [], []
    for name in ("crop_bottom_right", "crop_center"):
        crop = function_cases(name, [Call((images[:1],), names=("images",)), Call((images,), names=("images",))],
                              points={"values": 2},  # a wrong shape is a wrong value
                              public=[Call((public_images[:1],)), Call((public_images,))])
        probes.update(crop.probes)
        cases += crop.cases
        checks.append(crop.public)

    # One property per case: batch_size used (the n-th batch, the last one partial), and its
    # default. A get_batch that ignores batch_size loses the first only.
    stack = np.arange(23 * 2, dtype=np.int64).reshape(23, 2)
    batch = lambda *args, **kwargs: Call(args, tuple(kwargs.items()), names=("images", "n"))
    sized = [batch(stack, 0, batch_size=5), batch(stack, 2, batch_size=5), batch(stack, 4, batch_size=5)]
    default = [batch(np.arange(300, dtype=np.int64), 1)]
    sized_probes = call_probes("get_batch", sized, kind="nth")
    default_probes = call_probes("get_batch", default, kind="default")
    probes.update(sized_probes)
    probes.update(default_probes)
    cases += [
        Case("get_batch: batch_size 크기의 n번째 배치 (마지막 배치는 짧게)", 1, tuple(sized_probes),
             lambda o, e: values_verdict("get_batch", sized, tuple(sized_probes), o, e)),
        Case("get_batch: 기본 batch_size=128", 1, tuple(default_probes),
             lambda o, e: values_verdict("get_batch", default, tuple(default_probes), o, e)),
    ]
    public_stack = np.arange(13 * 3, dtype=np.int64).reshape(13, 3)
    checks.append(public_check("get_batch", [Call((public_stack, 1), (("batch_size", 4),)),
                                             Call((public_stack, 3), (("batch_size", 4),)),
                                             Call((np.arange(200, dtype=np.int64), 1))], shape=False))
    return Question(ID, "2.2 텐서 슬라이싱과 배치", ("crop_bottom_right", "crop_center", "get_batch"),
                    probes, tuple(cases), tuple(checks))
