"""q7 (2.4): gradients with TensorFlow's GradientTape."""

from __future__ import annotations

import numpy as np

from ..engine import show
from ..engine.cases import Case, Question, Verdict
from ..engine.function_cases import Call, call_probes, function_cases, values_verdict
from ..kernel_side import runtime
from .common import rng

ID = "q7_gradient_tape"


def question() -> Question:
    generator = rng("q7")
    f32 = lambda *shape: generator.uniform(-1, 1, size=shape).astype(np.float32)
    course, others = [Call((0.0,))], [Call((1.5,)), Call((-2.0,))]
    course_probes = call_probes("grad_quadratic", course)  # value 0: the self-check uses it
    other_probes = call_probes("grad_quadratic", others, kind="other")
    quadratic = (
        Case("grad_quadratic: x=0에서 2 (강의 노트 값)", 1, tuple(course_probes),
             lambda o, e: values_verdict("grad_quadratic", course, tuple(course_probes), o, e)),
        Case("grad_quadratic: 다른 점에서 2x+2", 1, tuple(other_probes),
             lambda o, e: values_verdict("grad_quadratic", others, tuple(other_probes), o, e)),
    )
    square_probes, square = function_cases(
        "grad_square_plus_3", [Call((f32(1, 1),)), Call((f32(2, 2),)), Call((f32(3, 1),))],
        points={"values": 2, "shape": 1})

    dense_calls = [Call((f32(2, 2), f32(2, 2), np.zeros(2, np.float32))), Call((f32(3, 2), f32(2, 4), f32(4)))]
    dense_probes = call_probes("grad_dense", dense_calls)
    dense_keys = tuple(dense_probes)

    def gradients(index, label):
        def judge(observed, expected):
            for call, key in zip(dense_calls, dense_keys):
                got = observed[key]
                if not got.get("ok") or "error" in got:
                    return Verdict(False, show.mismatch(call.shown(), "[dW, db]", show.error(got)))
                result = got["result"]
                if result["t"] not in ("list", "tuple") or len(result["items"]) != 2:
                    return Verdict(False, show.mismatch(call.shown(), "[W에 대한 그레이디언트, b에 대한 그레이디언트]",
                                                        show.value(result), "길이 2인 리스트를 반환해야 합니다."))
                if index is None:
                    continue
                want = runtime.decode(expected[key]["result"]["items"][index])
                item = result["items"][index]
                if item["t"] == "none":
                    return Verdict(False, show.mismatch(call.shown(), show.value(want), "None",
                                                        f"{label}에 대한 그레이디언트가 None입니다 (테이프가 변수를 보지 못했습니다)."))
                have = np.asarray(runtime.decode(item))
                if have.shape != want.shape or not np.allclose(have, want, atol=1e-4):
                    return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(have),
                                                        f"{label}에 대한 그레이디언트가 다릅니다."))
            return Verdict(True)
        return judge

    dense = (
        Case("grad_dense: [dW, db] 리스트 반환", 1, dense_keys, gradients(None, "")),
        Case("grad_dense: W에 대한 그레이디언트", 1, dense_keys, gradients(0, "W")),
        Case("grad_dense: b에 대한 그레이디언트", 1, dense_keys, gradients(1, "b")),
    )
    return Question(ID, "2.4 그레이디언트 테이프", ("grad_quadratic", "grad_square_plus_3", "grad_dense"),
                    {**course_probes, **other_probes, **square_probes, **dense_probes},
                    quadratic + square + dense)
