"""q7 (2.4): gradients with TensorFlow's GradientTape."""

from __future__ import annotations

import numpy as np

from ..engine.cases import Case, Question, Verdict
from ..engine.function_cases import Call, call_probes, function_cases, not_running, public_check, values_verdict
from ..kernel_side import runtime, show
from .common import public_rng, rng

ID = "q7_gradient_tape"


def question() -> Question:
    generator, public = rng("q7"), public_rng("q7")
    f32 = lambda *shape: generator.uniform(-1, 1, size=shape).astype(np.float32)
    p32 = lambda *shape: public.uniform(-1, 1, size=shape).astype(np.float32)
    points = [Call((0.0,), names=("x0",)), Call((1.5,), names=("x0",)), Call((-2.0,), names=("x0",))]  # x0 = 0 is the course text's example (2)
    quadratic_probes = call_probes("grad_quadratic", points)
    quadratic = Case("grad_quadratic: 값 (x0 = 0을 포함한 여러 점에서 2x0 + 2)", 2, tuple(quadratic_probes),
                     lambda o, e: values_verdict("grad_quadratic", points, tuple(quadratic_probes), o, e))
    square = function_cases(
        "grad_square_plus_3", [Call((f32(1, 1),)), Call((f32(2, 2),)), Call((f32(3, 1),))],
        points={"values": 2, "shape": 1}, public=[Call((p32(2, 3),)), Call((p32(1, 4),))])

    dense_calls = [Call((f32(2, 2), f32(2, 2), np.zeros(2, np.float32)), names=("x", "W", "b")),
                   Call((f32(3, 2), f32(2, 4), f32(4)), names=("x", "W", "b"))]
    dense_probes = call_probes("grad_dense", dense_calls)
    dense_keys = tuple(dense_probes)

    def gradient(index, label):
        """The gradient for W (item 0; a lone tensor counts as W's) or for b (item 1)."""
        def judge(observed, expected):
            stopped = not_running("grad_dense", [observed[key] for key in dense_keys])
            if stopped:
                return stopped
            for call, key in zip(dense_calls, dense_keys):
                got = observed[key]
                if not got.get("ok") or "error" in got:
                    return Verdict(False, show.mismatch(call.shown(), "[dW, db]", show.error(got)))
                result = got["result"]
                items = result["items"] if result["t"] in ("list", "tuple") else [result]
                want = runtime.decode(expected[key]["result"]["items"][index])
                if index >= len(items):
                    return Verdict(False, show.mismatch(call.shown(), f"[dW, db]의 {label}: {show.value(want)}",
                                                        show.value(result), "리스트 [dW, db]를 반환해야 합니다."))
                item = items[index]
                if item["t"] == "none":
                    return Verdict(False, show.mismatch(call.shown(), show.value(want), "None",
                                                        f"{label}이(가) None입니다 (테이프가 변수를 보지 못했습니다)."))
                have = np.asarray(runtime.decode(item))
                if have.shape != want.shape or not np.allclose(have, want, atol=1e-4):
                    return Verdict(False, show.mismatch(call.shown(), show.value(want), show.value(have),
                                                        f"{label}이(가) 다릅니다."))
            return Verdict(True)
        return judge

    dense = (
        Case("grad_dense: W에 대한 그레이디언트 (리스트의 첫 항목)", 2, dense_keys, gradient(0, "W에 대한 그레이디언트")),
        Case("grad_dense: b에 대한 그레이디언트 (리스트의 둘째 항목)", 1, dense_keys, gradient(1, "b에 대한 그레이디언트")),
    )
    checks = (
        public_check("grad_quadratic", [Call((3.0,)), Call((-0.5,))], shape=False),
        square.public,
        public_check("grad_dense", [Call((p32(1, 3), p32(3, 2), p32(2))), Call((p32(4, 2), p32(2, 3), p32(3)))],
                     shape=False),
    )
    return Question(ID, "2.4 그레이디언트 테이프", ("grad_quadratic", "grad_square_plus_3", "grad_dense"),
                    {**quadratic_probes, **square.probes, **dense_probes}, (quadratic,) + square.cases + dense,
                    checks)
