"""q1 (2.1): ``preprocess_images`` and ``build_model`` of the Keras MNIST model. Each case of
``build_model`` is one judge of ``judges.py``, which its self-check runs too, on a public batch."""

from __future__ import annotations

import numpy as np

from ..engine.cases import Case, Probe, ProbeKey, Question, Verdict
from ..engine.function_cases import Call, function_cases, not_running, result_array
from ..kernel_side import runtime, show
from . import judges
from .common import judged_case, public_rng, rng, self_check

ID = "q1_keras_mnist"
MODEL = ProbeKey("build_model", "model")


def question() -> Question:
    generator, public = rng("q1"), public_rng("q1")
    images = generator.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    public_images = public.integers(0, 256, size=(2, 28, 28)).astype(np.uint8)
    public_images[0, 0, 0], public_images[1, 5, 5] = 0, 255
    preprocess = function_cases(
        "preprocess_images", [Call((images[:1],), names=("images",)), Call((images,), names=("images",))],
        points={"values": 2, "shape": 1, "unchanged": 1},
        public=[Call((public_images[:1],)), Call((public_images,))], public_dtype="reference")
    probes, (values, shape, unchanged) = dict(preprocess.probes), preprocess.cases
    value_keys = tuple(probes)

    def float32(observed, expected):
        stopped = not_running("preprocess_images", [observed[key] for key in value_keys])
        if stopped:
            return stopped
        for key in value_keys:
            got, problem = result_array(observed[key])
            if problem:
                return Verdict(False, problem)
            if got.dtype != np.float32:
                return Verdict(False, f"dtype이 float32이어야 합니다: 받은 값 {show.value(got)}")
        return Verdict(True)

    batch = generator.random((3, 784)).astype(np.float32)
    probes[MODEL] = Probe({"op": "keras_model", "batch": runtime.encode(batch), "limit": 60})
    model_spec = probes[MODEL].spec
    model_cases = [judged_case(name, 1, MODEL, model_spec, judge) for name, judge in (
        ("build_model: Sequential + Dense 2층", judges.structure),
        ("build_model: 유닛 수 512, 10", judges.units),
        ("build_model: 활성화 relu, softmax", judges.activations),
        ("build_model: 옵티마이저 rmsprop", judges.optimizer),
        ("build_model: 손실 sparse_categorical_crossentropy", judges.loss),
        ("build_model: 지표 accuracy", judges.metrics),
        ("build_model: 출력 모양과 확률", judges.output))]
    cases = (
        values, shape,
        Case("preprocess_images: float32 자료형", 1, value_keys, float32),
        unchanged,
        *model_cases,
    )
    public_batch = public.integers(0, 256, (1, 784)).astype(np.uint8)  # one byte a pixel: the setup cell carries it
    labels = {judges.structure: "층 구조", judges.units: "유닛 수", judges.activations: "활성화 함수",
              judges.optimizer: "컴파일 설정", judges.loss: "컴파일 설정", judges.metrics: "컴파일 설정",
              judges.output: "출력"}
    model_check = self_check("build_model", [({"op": "keras_model", "batch": runtime.encode(public_batch)},
                                              list(labels.items()))],
                             keep=("layers", "optimizer", "loss", "metrics", "compiled"))
    return Question(ID, "2.1 케라스로 MNIST 분류하기", ("preprocess_images", "build_model"), probes, cases,
                    (preprocess.public, model_check))
