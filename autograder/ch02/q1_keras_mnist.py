"""q1 (2.1): ``preprocess_images`` and ``build_model`` of the Keras MNIST model."""

from __future__ import annotations

import numpy as np

from ..engine import show
from ..engine.cases import Case, Probe, ProbeKey, Question, Verdict
from ..engine.function_cases import Call, function_cases, result_array
from ..kernel_side import runtime
from .common import on_probe, rng

ID = "q1_keras_mnist"
MODEL = ProbeKey("build_model", "model")
ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}  # what Keras resolves "accuracy" to


def question() -> Question:
    generator = rng("q1")
    images = generator.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    probes, (values, shape, unchanged) = function_cases(
        "preprocess_images", [Call((images[:1],)), Call((images,))],
        points={"values": 2, "shape": 1, "unchanged": 1})
    value_keys = tuple(probes)

    def float32(observed, expected):
        for key in value_keys:
            got, problem = result_array(observed[key])
            if problem:
                return Verdict(False, problem)
            if got.dtype != np.float32:
                return Verdict(False, f"dtype이 float32이어야 합니다: 받은 값 {show.value(got)}")
        return Verdict(True)

    batch = generator.random((3, 784)).astype(np.float32)
    probes[MODEL] = Probe({"op": "keras_model", "batch": runtime.encode(batch), "limit": 60})
    judged = on_probe(MODEL, "build_model()")

    @judged
    def structure(got, want):
        kinds = [layer["class"] for layer in got["layers"]]
        if not got["is_sequential"] or kinds != ["Dense", "Dense"]:
            return Verdict(False, f"Sequential 모델에 Dense 층 2개가 있어야 합니다: 받은 {got['class']}, 층 {kinds}")
        return Verdict(True)

    @judged
    def units(got, want):
        found = [layer["units"] for layer in got["layers"]]
        expected = [layer["units"] for layer in want["layers"]]
        return Verdict(found == expected, f"층의 유닛 수: 기대 {expected}, 받은 {found}")

    @judged
    def activations(got, want):
        found = [layer["activation"] for layer in got["layers"]]
        expected = [layer["activation"] for layer in want["layers"]]
        return Verdict(found == expected, f"활성화 함수: 기대 {expected}, 받은 {found}")

    @judged
    def optimizer(got, want):
        return Verdict(got["optimizer"] == want["optimizer"],
                       f"옵티마이저: 기대 {want['optimizer']}, 받은 {got['optimizer']} (compile을 호출했나요?)")

    @judged
    def loss(got, want):
        return Verdict(got["loss"] == want["loss"], f"손실 함수: 기대 {want['loss']}, 받은 {got['loss']}")

    @judged
    def metrics(got, want):
        return Verdict(len(got["metrics"]) == 1 and got["metrics"][0] in ACCURACY_NAMES,
                       f"모니터링 지표: 기대 {want['metrics']}, 받은 {got['metrics']}")

    @judged
    def output(got, want):
        array = runtime.decode_array(got["output"])
        if array.shape != (3, 10) or not np.allclose(array.sum(axis=1), 1, atol=1e-4):
            return Verdict(False, show.mismatch([f"입력: shape {batch.shape}"],
                                                "shape (3, 10), 각 행의 합 1 (소프트맥스)", show.value(array)))
        return Verdict(True)

    cases = (
        values, shape,
        Case("preprocess_images: float32 자료형", 1, value_keys, float32),
        unchanged,
        Case("build_model: Sequential + Dense 2층", 1, (MODEL,), structure),
        Case("build_model: 유닛 수 512, 10", 1, (MODEL,), units),
        Case("build_model: 활성화 relu, softmax", 1, (MODEL,), activations),
        Case("build_model: 옵티마이저 rmsprop", 1, (MODEL,), optimizer),
        Case("build_model: 손실 sparse_categorical_crossentropy", 1, (MODEL,), loss),
        Case("build_model: 지표 accuracy", 1, (MODEL,), metrics),
        Case("build_model: 출력 모양과 확률", 1, (MODEL,), output),
    )
    return Question(ID, "2.1 케라스로 MNIST 분류하기", ("preprocess_images", "build_model"), probes, cases)
