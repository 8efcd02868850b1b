"""q8 (2.5): the from-scratch network (NaiveDense, NaiveSequential, BatchGenerator,
one_training_step, update_weights, fit) and the training check.

Cases are independent where they can be: ``one_training_step`` is checked with a known-good
update, ``fit`` with a known-good ``BatchGenerator``, ``NaiveSequential`` with known-good
layers, so one bug costs its own points (the probes are in ``probes.py``)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import mnist
from ..engine import show
from ..engine.cases import Case, Probe, ProbeKey, Question, Verdict
from ..kernel_side import runtime
from .common import first_difference, on_probe, rng

ID = "q8_from_scratch"
TRAINING_BAR = 0.80
TRAINING_SEEDS = (0, 1, 2)  # a retry only happens while accuracy is close to the bar
RETRY_FLOOR = 0.70
TRAINING_EPOCHS, TRAINING_BATCH = 10, 128

DENSE = ProbeKey("NaiveDense", "dense")
SEQUENTIAL = ProbeKey("NaiveSequential", "sequential")
BATCHES_64 = ProbeKey("BatchGenerator", "batches", 64)
BATCHES_DEFAULT = ProbeKey("BatchGenerator", "batches", 128)
UPDATE = ProbeKey("update_weights", "update")
STEP = ProbeKey("one_training_step", "step")
FIT = ProbeKey("fit", "fit")
TRAIN = ProbeKey("train")


def _layer_spec(generator, n_in, n_out, activation):
    return {"W": runtime.encode(generator.uniform(-0.1, 0.1, (n_in, n_out)).astype(np.float32)),
            "b": runtime.encode(generator.uniform(-0.1, 0.1, (n_out,)).astype(np.float32)),
            "activation": activation}


def _decoded_weights(observation):
    return [runtime.decode_array(w) for w in observation["weights"]]


def question() -> Question:
    generator = rng("q8")
    inputs = generator.uniform(0, 1, (4, 5)).astype(np.float32)
    layers = [_layer_spec(generator, 6, 4, "relu"), _layer_spec(generator, 4, 3, "softmax")]
    seq_inputs = generator.uniform(0, 1, (5, 6)).astype(np.float32)
    step_images = generator.uniform(0, 1, (8, 6)).astype(np.float32)
    step_labels = generator.integers(0, 3, 8).astype(np.uint8)
    decoy = {"layers": [_layer_spec(generator, 3, 2, "relu")]}
    probes = {
        # Random initial values: the student's layer is judged on its own outputs.
        DENSE: Probe({"op": "naive_dense", "seed": 7, "input_size": 5, "output_size": 3,
                      "inputs": runtime.encode(inputs)}, reference=False),
        SEQUENTIAL: Probe({"op": "naive_sequential", "layers": layers, "inputs": runtime.encode(seq_inputs)}),
        BATCHES_64: Probe({"op": "batch_generator", "batch_size": 64,
                           "images": runtime.encode(np.arange(600, dtype=np.int64).reshape(300, 2)),
                           "labels": runtime.encode(np.arange(300, dtype=np.int64))}),
        BATCHES_DEFAULT: Probe({"op": "batch_generator", "batch_size": None,
                                "images": runtime.encode(np.arange(2000, dtype=np.int64).reshape(1000, 2)),
                                "labels": runtime.encode(np.arange(1000, dtype=np.int64))}),
        UPDATE: Probe({"op": "update_weights",
                       "weights": [runtime.encode(generator.normal(size=(3, 2)).astype(np.float32)),
                                   runtime.encode(generator.normal(size=(2,)).astype(np.float32))],
                       "gradients": [runtime.encode(generator.normal(size=(3, 2)).astype(np.float32)),
                                     runtime.encode(generator.normal(size=(2,)).astype(np.float32))],
                       "decoy": decoy}),
        STEP: Probe({"op": "training_step", "layers": layers, "images": runtime.encode(step_images),
                     "labels": runtime.encode(step_labels)}),
        FIT: Probe({"op": "fit", "epochs": 2, "batch_size": 64,
                    "images": runtime.encode(np.zeros((300, 2), np.float32)),
                    "labels": runtime.encode(np.arange(300, dtype=np.int64))}),
        # MNIST is not named here: the kernel reads $MNIST_NPZ or Keras's own (hash-checked)
        # download, so the checks are the same whatever the building machine has.
        TRAIN: Probe({"op": "train", "epochs": TRAINING_EPOCHS, "batch_size": TRAINING_BATCH,
                      "seeds": list(TRAINING_SEEDS), "bar": TRAINING_BAR, "retry_floor": RETRY_FLOOR,
                      "limit": 900}, reference=False, cached=True),
    }

    @on_probe(DENSE, "NaiveDense(input_size=5, output_size=3, activation=tf.nn.relu)")
    def dense_weights(got, want):
        shapes = [tuple(w["shape"]) for w in got["weights"]]
        kinds = [w["kind"] for w in got["weights"]]
        if shapes != [(5, 3), (3,)]:
            return Verdict(False, f"weights는 [W, b] 순서로 W: (input_size, output_size), b: (output_size,) "
                                  f"모양이어야 합니다: 기대 [(5, 3), (3,)], 받은 {shapes}")
        if kinds != ["variable", "variable"] or not all(w["trainable"] for w in got["weights"]):
            return Verdict(False, f"W와 b는 tf.Variable이어야 합니다: 받은 {kinds}")
        return Verdict(True)

    def dense_init(observed, expected):
        verdict = dense_weights(observed, expected)
        if not verdict.passed:
            return verdict
        W, b = _decoded_weights(observed[DENSE])
        if not (W.min() >= 0 and W.max() <= 0.1 and W.std() > 0):
            return Verdict(False, f"W는 0~0.1 사이 균등분포로 초기화해야 합니다: 받은 {show.value(W)}")
        if np.any(b != 0):
            return Verdict(False, f"b는 0으로 초기화해야 합니다: 받은 {show.value(b)}")
        return Verdict(True)

    def dense_output(observed, expected):
        verdict = dense_weights(observed, expected)
        if not verdict.passed:
            return verdict
        W, b = _decoded_weights(observed[DENSE])
        want = np.maximum(inputs @ W + b, 0)
        have = runtime.decode_array(observed[DENSE]["output"])
        if have.shape != want.shape or not np.allclose(have, want, atol=1e-5):
            return Verdict(False, show.mismatch([f"inputs: {show.value(inputs)}"], show.value(want), show.value(have),
                                                "출력은 activation(matmul(inputs, W) + b)이어야 합니다."))
        return Verdict(True)

    @on_probe(SEQUENTIAL, "NaiveSequential([층1, 층2])")
    def sequential_weights(got, want):
        shapes = [tuple(w["shape"]) for w in got["weights"]]
        if shapes != [(6, 4), (4,), (4, 3), (3,)] or not all(got["same_objects"]):
            return Verdict(False, "두 층 모델의 weights는 층 순서대로 [W1, b1, W2, b2] (4개)여야 합니다: "
                                  f"기대 [(6, 4), (4,), (4, 3), (3,)], 받은 {shapes}")
        return Verdict(True)

    @on_probe(SEQUENTIAL, "NaiveSequential([층1, 층2])")
    def sequential_output(got, want):
        have, ref = runtime.decode_array(got["output"]), runtime.decode_array(want["output"])
        if have.shape != ref.shape or not np.allclose(have, ref, atol=1e-5):
            return Verdict(False, show.mismatch([f"inputs: {show.value(seq_inputs)}"], show.value(ref),
                                                show.value(have), "층을 순서대로 적용한 출력이 다릅니다."))
        return Verdict(True)

    def batches(key, description):
        @on_probe(key, f"BatchGenerator({description})")
        def judge(got, want):
            if got["num_batches"] != want["num_batches"]:
                return Verdict(False, f"BatchGenerator({description}).num_batches: 기대 {want['num_batches']} "
                                      f"(math.ceil), 받은 {got['num_batches']}")
            sizes = [b["labels"]["shape"][0] for b in got["batches"]]
            wanted = [b["labels"]["shape"][0] for b in want["batches"]]
            if sizes != wanted:
                return Verdict(False, f"BatchGenerator({description}) 배치 크기: 기대 {wanted}, 받은 {sizes} "
                                      "(마지막 배치는 남은 샘플만 담습니다)")
            for index, (have, ref) in enumerate(zip(got["batches"], want["batches"])):
                for part in ("images", "labels"):
                    if not np.array_equal(runtime.decode_array(have[part]), runtime.decode_array(ref[part])):
                        return Verdict(False, f"{index}번째 배치의 {part}가 다릅니다: 기대 "
                                              f"{show.value(ref[part])}, 받은 {show.value(have[part])}")
            return Verdict(True)
        return judge

    @on_probe(UPDATE, "update_weights(gradients, weights)")
    def updated(got, want):
        difference = first_difference(got["weights"], want["weights"], atol=1e-6)
        if difference:
            index, have, ref = difference
            return Verdict(False, show.mismatch(
                [f"weights[{index}] - 1e-3 * gradients[{index}]"], show.value(ref), show.value(have),
                "update_weights는 전달받은 weights를 learning_rate=1e-3으로 갱신해야 합니다 "
                "(강의 노트처럼 전역 model.weights를 쓰면 안 됩니다)."))
        return Verdict(True)

    @on_probe(UPDATE, "update_weights(gradients, weights)")
    def not_global(got, want):
        # The probe binds a decoy model to the global name ``model``; it must stay as it was.
        if first_difference(got["decoy"], [decoy["layers"][0]["W"], decoy["layers"][0]["b"]], atol=0):
            return Verdict(False, "update_weights가 인자로 받은 weights 대신 전역 변수 model의 가중치를 바꿨습니다.")
        return updated.check(got, want)

    @on_probe(STEP, "one_training_step(model, images_batch, labels_batch)")
    def step_loss(got, want):
        have = np.asarray(runtime.decode(got["loss"]), dtype=np.float64)
        ref = np.asarray(runtime.decode(want["loss"]), dtype=np.float64)
        if have.shape != () or not np.allclose(have, ref, atol=1e-5):
            return Verdict(False, f"one_training_step은 배치의 평균 손실(스칼라)을 반환해야 합니다: "
                                  f"기대 {show.value(ref)}, 받은 {show.value(have)}")
        return Verdict(True)

    @on_probe(STEP, "one_training_step(model, images_batch, labels_batch)")
    def step_weights(got, want):
        difference = first_difference(got["weights"], want["weights"], atol=1e-6)
        if difference:
            index, have, ref = difference
            return Verdict(False, f"훈련 한 단계 후 weights[{index}]가 다릅니다 (그레이디언트를 model.weights에 "
                                  f"대해 계산하고 update_weights(gradients, model.weights)를 호출했나요?): "
                                  f"기대 {show.value(ref)}, 받은 {show.value(have)}")
        return Verdict(True)

    @on_probe(FIT, "fit(model, images, labels, epochs=2, batch_size=64)")
    def fit_epochs(got, want):
        seen, wanted = sum(got["sizes"]), sum(want["sizes"])  # samples trained on, whatever the batch size
        return Verdict(seen == wanted, f"fit(300개 샘플, epochs=2): 훈련에 쓴 샘플 수 기대 {wanted} "
                                       f"(2 에포크 × 300), 받은 {seen}")

    @on_probe(FIT, "fit(model, images, labels, epochs=2, batch_size=64)")
    def fit_batch_size(got, want):
        sizes, wanted = got["sizes"], want["sizes"]
        return Verdict(sizes == wanted, f"fit(300개 샘플, epochs=2, batch_size=64)의 배치 크기: 기대 {wanted}, "
                                        f"받은 {sizes} (batch_size를 BatchGenerator에 넘겨야 합니다)")

    cases = (
        Case("NaiveDense: W (input_size, output_size), b (output_size,) tf.Variable", 1, (DENSE,), dense_weights),
        Case("NaiveDense: 초기값 (W 균등분포 0~0.1, b 0)", 1, (DENSE,), dense_init),
        Case("NaiveDense: 출력 activation(xW + b)", 2, (DENSE,), dense_output),
        Case("NaiveSequential: 가중치 4개 [W1, b1, W2, b2]", 1, (SEQUENTIAL,), sequential_weights),
        Case("NaiveSequential: 층을 차례로 적용한 출력", 2, (SEQUENTIAL,), sequential_output),
        Case("BatchGenerator: 300개, batch_size=64 (num_batches=ceil, 마지막 배치 44개)", 3,
             (BATCHES_64,), batches(BATCHES_64, "300개, batch_size=64")),
        Case("BatchGenerator: 기본 batch_size=128", 1, (BATCHES_DEFAULT,), batches(BATCHES_DEFAULT, "1000개")),
        Case("update_weights: 전달받은 weights 갱신", 3, (UPDATE,), updated),
        Case("update_weights: 전역 model을 쓰지 않음", 1, (UPDATE,), not_global),
        Case("one_training_step: 평균 손실 반환", 1, (STEP,), step_loss),
        Case("one_training_step: 가중치 한 번 갱신", 2, (STEP,), step_weights),
        Case("fit: epochs만큼 반복", 2, (FIT,), fit_epochs),
        Case("fit: batch_size를 BatchGenerator에 전달", 2, (FIT,), fit_batch_size),
        Case(f"훈련: {TRAINING_EPOCHS} 에포크 후 테스트 정확도 ≥ {TRAINING_BAR}", 10, (TRAIN,),
             lambda o, e: training_verdict(o[TRAIN])),
    )
    return Question(ID, "2.5 밑바닥부터 구현한 신경망",
                    ("NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step", "update_weights", "fit"),
                    probes, cases)


def training_verdict(observation: dict) -> Verdict:
    """Accuracy of the student's trained model, computed here from the predicted classes and
    the test labels this process reads itself."""
    if not observation.get("ok"):
        return Verdict(False, f"모델 훈련 (NaiveDense, NaiveSequential, fit, {TRAINING_EPOCHS} 에포크) 실행 실패: "
                              + show.error(observation), {"metric": "test_accuracy", "value": None, "bar": TRAINING_BAR})
    try:
        labels = _test_labels(str(mnist.resolve()))
    except mnist.MnistUnavailable as error:
        return Verdict(False, f"MNIST 데이터를 구할 수 없어 훈련 결과를 채점하지 못했습니다 ({error}).",
                       {"metric": "test_accuracy", "value": None, "bar": TRAINING_BAR})
    lines, attempts, best = [], [], None
    for attempt in observation["attempts"]:
        shape = tuple(attempt["output_shape"])
        if shape != (len(labels), 10):
            return Verdict(False, f"모델 출력의 모양이 다릅니다: 기대 ({len(labels)}, 10), 받은 {shape}",
                           {"metric": "test_accuracy", "value": None, "bar": TRAINING_BAR})
        accuracy = float(np.mean(runtime.decode_array(attempt["predictions"]) == labels))
        best = accuracy if best is None else max(best, accuracy)
        attempts.append({"seed": attempt["seed"], "accuracy": accuracy, "seconds": round(attempt["seconds"], 1),
                         "compiled": attempt["compiled"]})
        lines.append(f"시드 {attempt['seed']}: 테스트 정확도 {accuracy:.4f} ({attempt['seconds']:.0f}초"
                     f"{', tf.function' if attempt['compiled'] else ', 즉시 실행'})")
    device = observation.get("device", "CPU")
    detail = {"metric": "test_accuracy", "value": best, "bar": TRAINING_BAR, "attempts": attempts, "device": device}
    lines.append(f"훈련 장치: {device}")
    if best is not None and best >= TRAINING_BAR:
        return Verdict(True, "\n".join(lines), detail)
    return Verdict(False, f"테스트 정확도가 {TRAINING_BAR} 미만입니다.\n" + "\n".join(lines), detail)


@lru_cache(maxsize=2)
def _test_labels(path: str) -> np.ndarray:
    (_, _), (_, y_test) = mnist.mnist_file.read(path)
    return y_test.astype(np.uint8)
