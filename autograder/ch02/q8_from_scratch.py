"""q8 (2.5): the from-scratch network (NaiveDense, NaiveSequential, BatchGenerator,
one_training_step, update_weights, fit) and the training check.

Cases are independent where they can be: ``one_training_step`` is checked with a known-good
update, ``fit`` with a known-good ``BatchGenerator``, ``NaiveSequential`` with known-good
layers, so one bug costs its own points (the probes are in ``probes.py``). One property per
case: ``num_batches`` (rounded up) and the batches ``next()`` returns are judged apart, the
default batch size on a length where rounding does not matter; the update itself and "the
weights given, not the global ``model``" apart; and the training check trains with the global
``model`` bound to the model being trained, as in the notebook. The training check tests the
whole model: a bug that breaks training also costs it."""

from __future__ import annotations

import difflib

import numpy as np

from .. import training
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..kernel_side import runtime, show
from . import observe
from .common import first_difference, on_probe, public_rng, rng

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
UPDATE_DECOY = ProbeKey("update_weights", "decoy")
STEP = ProbeKey("one_training_step", "step")
FIT = ProbeKey("fit", "fit")
TRAIN = ProbeKey("train")
TRAIN_SPEC = {"op": "train", "epochs": TRAINING_EPOCHS, "batch_size": TRAINING_BATCH, "limit": 900}


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
    update_inputs = {"weights": [runtime.encode(generator.normal(size=(3, 2)).astype(np.float32)),
                                 runtime.encode(generator.normal(size=(2,)).astype(np.float32))],
                     "gradients": [runtime.encode(generator.normal(size=(3, 2)).astype(np.float32)),
                                   runtime.encode(generator.normal(size=(2,)).astype(np.float32))]}
    probes = {
        # Random initial values: the student's layer is judged on its own outputs.
        DENSE: Probe({"op": "naive_dense", "seed": 7, "input_size": 5, "output_size": 3,
                      "inputs": runtime.encode(inputs)}, reference=False),
        SEQUENTIAL: Probe({"op": "naive_sequential", "layers": layers, "inputs": runtime.encode(seq_inputs)}),
        BATCHES_64: Probe({"op": "batch_generator", "batch_size": 64, "next_calls": 5,  # ceil(300 / 64)
                           "images": runtime.encode(np.arange(600, dtype=np.int64).reshape(300, 2)),
                           "labels": runtime.encode(np.arange(300, dtype=np.int64))}),
        # 1280 = 10 x 128: the default is judged where rounding down or up gives the same count.
        BATCHES_DEFAULT: Probe({"op": "batch_generator", "batch_size": None, "next_calls": 10,
                                "images": runtime.encode(np.arange(2560, dtype=np.int64).reshape(1280, 2)),
                                "labels": runtime.encode(np.arange(1280, dtype=np.int64))}),
        UPDATE: Probe({"op": "update_weights", "global_model": "given", **update_inputs}),
        UPDATE_DECOY: Probe({"op": "update_weights", "global_model": "decoy", "decoy": decoy, **update_inputs}),
        STEP: Probe({"op": "training_step", "layers": layers, "images": runtime.encode(step_images),
                     "labels": runtime.encode(step_labels)}),
        FIT: Probe({"op": "fit", "epochs": 2, "batch_size": 64,
                    "images": runtime.encode(np.zeros((300, 2), np.float32)),
                    "labels": runtime.encode(np.arange(300, dtype=np.int64))}),
        # MNIST is not named here: the kernel reads $MNIST_NPZ or Keras's own (hash-checked)
        # download, so the checks are the same whatever the building machine has.
        # One kernel call per seed; the grader predicts the test classes from the trained weights
        # and decides on a retry (``autograder.training``): the kernel never holds the test set.
        TRAIN: Probe(TRAIN_SPEC, reference=False, cached=True,
                     drive=training.driver(TRAINING_SEEDS, TRAINING_BAR, RETRY_FLOOR,
                                           lambda seed: {**TRAIN_SPEC, "seed": seed})),
    }

    dense_call = "NaiveDense(input_size=5, output_size=3, activation=tf.nn.relu)"

    def weights_of(got, call):
        """(W, b) as arrays, or a Verdict saying why they cannot be read."""
        if "weights_error" in got:
            return Verdict(False, f"{call}.weights 읽기 실패: " + show.error({"error": got["weights_error"]}))
        nested = observe.nested_weights(got["weights"])
        if nested:
            return Verdict(False, nested)
        if len(got["weights"]) != 2:
            return Verdict(False, f"{call}.weights는 [W, b] 2개여야 합니다: 받은 {len(got['weights'])}개")
        return _decoded_weights(got)

    @on_probe(DENSE, dense_call)
    def dense_weights(got, want):
        found = weights_of(got, "layer")
        if isinstance(found, Verdict):
            return found
        shapes = [tuple(w["shape"]) for w in got["weights"]]
        kinds = [w["kind"] for w in got["weights"]]
        if shapes != [(5, 3), (3,)]:
            return Verdict(False, f"weights는 [W, b] 순서로 W: (input_size, output_size), b: (output_size,) "
                                  f"모양이어야 합니다: 기대 [(5, 3), (3,)], 받은 {shapes}")
        if kinds != ["variable", "variable"] or not all(w["trainable"] for w in got["weights"]):
            return Verdict(False, f"W와 b는 tf.Variable이어야 합니다: 받은 {kinds}")
        return Verdict(True)

    @on_probe(DENSE, dense_call)
    def dense_init(got, want):
        found = weights_of(got, "layer")
        if isinstance(found, Verdict):
            return found
        W, b = found
        if not (W.size and W.min() >= 0 and W.max() <= 0.1 and W.std() > 0):
            return Verdict(False, f"W는 0~0.1 사이 균등분포로 초기화해야 합니다: 받은 {show.value(W)}")
        if np.any(b != 0):
            return Verdict(False, f"b는 0으로 초기화해야 합니다: 받은 {show.value(b)}")
        return Verdict(True)

    @on_probe(DENSE, dense_call)
    def dense_output(got, want):
        # Judged with the layer's own W and b, whatever their type (tf.Variable is its own case).
        if "output_error" in got:
            return Verdict(False, "layer(inputs) (__call__) 실행 실패: " + show.error({"error": got["output_error"]}))
        found = weights_of(got, "layer")
        if isinstance(found, Verdict):
            return Verdict(False, found.message + " (W와 b를 읽어야 출력을 확인할 수 있습니다)")
        W, b = found
        have = runtime.decode_array(got["output"])
        try:
            want_output = np.maximum(inputs @ W + b, 0)
        except ValueError:
            return Verdict(False, f"W {W.shape}, b {b.shape}로는 inputs {inputs.shape}의 출력을 계산할 수 없습니다.")
        if have.shape != want_output.shape or not np.allclose(have, want_output, atol=1e-5):
            return Verdict(False, show.mismatch([f"inputs: {show.value(inputs)}"], show.value(want_output),
                                                show.value(have), "출력은 activation(matmul(inputs, W) + b)이어야 합니다."))
        return Verdict(True)

    @on_probe(SEQUENTIAL, "NaiveSequential([층1, 층2])")
    def sequential_weights(got, want):
        if "weights_error" in got:
            return Verdict(False, "model.weights 읽기 실패: " + show.error({"error": got["weights_error"]}))
        nested = observe.nested_weights(got["weights"])
        if nested:
            return Verdict(False, "두 층 모델의 weights는 변수 4개 [W1, b1, W2, b2]가 한 줄로 늘어선 리스트여야 합니다. "
                                  + nested)
        shapes = [tuple(w["shape"]) for w in got["weights"]]
        if shapes != [(6, 4), (4,), (4, 3), (3,)] or not all(got.get("same_objects") or [False]):
            return Verdict(False, "두 층 모델의 weights는 층 순서대로 [W1, b1, W2, b2] (4개)여야 합니다: "
                                  f"기대 [(6, 4), (4,), (4, 3), (3,)], 받은 {shapes}")
        return Verdict(True)

    @on_probe(SEQUENTIAL, "NaiveSequential([층1, 층2])")
    def sequential_output(got, want):
        if "output_error" in got:
            return Verdict(False, "model(inputs) (__call__) 실행 실패: " + show.error({"error": got["output_error"]}))
        have, ref = runtime.decode_array(got["output"]), runtime.decode_array(want["output"])
        if have.shape != ref.shape or not np.allclose(have, ref, atol=1e-5):
            return Verdict(False, show.mismatch([f"inputs: {show.value(seq_inputs)}"], show.value(ref),
                                                show.value(have), "층을 순서대로 적용한 출력이 다릅니다."))
        return Verdict(True)

    def step_failed(got, step, call):
        """One message (the same for every case the step cost, so the feedback says it once)."""
        error = got[f"{step}_error"]
        names = [name for name in error.get("names", ()) if name not in ("num_batches",)]
        close = difflib.get_close_matches(step, names, n=1, cutoff=0.5)
        hint = f" 정의된 메서드는 {close[0]}입니다: 이름을 {step}(으)로 고치세요." if close else ""
        return Verdict(False, f"{call}.{step}() 실행 실패: " + show.error({"error": error}) + hint,
                       {"cause": "step", "object": "BatchGenerator"})

    @on_probe(BATCHES_64, "BatchGenerator(300개, batch_size=64)")
    def batch_count(got, want):
        if "num_batches_error" in got:
            return Verdict(False, "BatchGenerator(300개, batch_size=64).num_batches 읽기 실패: "
                                  + show.error({"error": got["num_batches_error"]}))
        return Verdict(got["num_batches"] == want["num_batches"],
                       f"BatchGenerator(300개, batch_size=64).num_batches: 기대 {want['num_batches']} "
                       f"(마지막의 짧은 배치도 세는 math.ceil), 받은 {got['num_batches']}")

    def batches(key, description):
        @on_probe(key, f"BatchGenerator({description})")
        def judge(got, want):
            wanted = [b["labels"]["shape"][0] for b in want["batches"]]
            if "next_error" in got:
                if key == BATCHES_DEFAULT and got.get("num_batches") == want["num_batches"]:
                    return Verdict(True, "next()를 부를 수 없어 num_batches로 기본 batch_size를 확인했습니다.")
                return step_failed(got, "next", "BatchGenerator")
            sizes = [b["labels"]["shape"][0] for b in got["batches"]]
            if sizes != wanted:
                return Verdict(False, f"BatchGenerator({description})의 next() {len(wanted)}번: 배치 크기 기대 "
                                      f"{wanted}, 받은 {sizes} (마지막 배치는 남은 샘플만 담습니다)"
                                      + (" (batch_size의 기본값은 128입니다)" if key == BATCHES_DEFAULT else ""))
            for index, (have, ref) in enumerate(zip(got["batches"], want["batches"])):
                for part in ("images", "labels"):
                    if not np.array_equal(runtime.decode_array(have[part]), runtime.decode_array(ref[part])):
                        return Verdict(False, f"{index}번째 배치의 {part}가 다릅니다: 기대 "
                                              f"{show.value(ref[part])}, 받은 {show.value(have[part])} "
                                              "(next()는 부를 때마다 다음 배치를 돌려줘야 합니다)")
            return Verdict(True)
        return judge

    @on_probe(UPDATE, "update_weights(gradients, weights)")
    def updated(got, want):
        difference = first_difference(got["weights"], want["weights"], atol=1e-6)
        if difference:
            index, have, ref = difference
            return Verdict(False, show.mismatch(
                [f"weights[{index}] - 1e-3 * gradients[{index}]"], show.value(ref), show.value(have),
                "update_weights는 전달받은 weights를 learning_rate=1e-3으로 갱신해야 합니다."))
        return Verdict(True)

    @on_probe(UPDATE_DECOY, "update_weights(gradients, weights)")
    def not_global(got, want):
        # The probe binds a decoy model to the global name ``model``; it must stay as it was.
        if first_difference(got["global"], [decoy["layers"][0]["W"], decoy["layers"][0]["b"]], atol=0):
            return Verdict(False, "update_weights가 인자로 받은 weights 대신 전역 변수 model의 가중치를 바꿨습니다.")
        if not first_difference(got["weights"], update_inputs["weights"], atol=0):
            return Verdict(False, "update_weights가 인자로 받은 weights를 바꾸지 않았습니다.",
                           {"cause": "needs_values", "object": "update_weights"})
        return Verdict(True)

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
        Case("BatchGenerator: num_batches는 올림(math.ceil)", 2, (BATCHES_64,), batch_count),
        Case("BatchGenerator: next()가 batch_size개씩 차례로, 마지막 배치는 남은 샘플", 1, (BATCHES_64,),
             batches(BATCHES_64, "300개, batch_size=64")),
        Case("BatchGenerator: 기본 batch_size=128", 1, (BATCHES_DEFAULT,), batches(BATCHES_DEFAULT, "1280개")),
        Case("update_weights: w - learning_rate * g로 갱신", 2, (UPDATE,), updated),
        Case("update_weights: 인자 weights 사용 (전역 model이 아님)", 2, (UPDATE_DECOY,), not_global,
             requires="인자 weights가 바뀌어야"),
        Case("one_training_step: 평균 손실 반환", 1, (STEP,), step_loss),
        Case("one_training_step: 가중치 한 번 갱신", 2, (STEP,), step_weights),
        Case("fit: epochs만큼 반복", 2, (FIT,), fit_epochs),
        Case("fit: batch_size를 BatchGenerator에 전달", 2, (FIT,), fit_batch_size),
        Case(f"훈련: {TRAINING_EPOCHS} 에포크 후 테스트 정확도 ≥ {TRAINING_BAR}", 10, (TRAIN,),
             lambda o, e: training_verdict(o[TRAIN]), featured=True),
    )
    return Question(ID, "2.5 밑바닥부터 구현한 신경망",
                    ("NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step", "update_weights", "fit"),
                    probes, cases, public_checks())


def public_checks() -> tuple[PublicCheck, ...]:
    """The self-checks of 2.5 (``selfchecks.py``), on inputs of their own."""
    generator = public_rng("q8")
    encode = runtime.encode

    def check(name, spec, *probes):
        return PublicCheck(name, f"autograder.ch02.selfchecks:{_check_name(name)}", {"object": name, **spec}, probes)

    sized = {"images": encode(np.arange(100, 120, dtype=np.int16).reshape(10, 2)),
             "labels": encode(np.arange(10, dtype=np.int16) * 3), "batch_size": 4}
    default = {"images": encode(np.arange(600, 730, dtype=np.int16).reshape(130, 1)),  # 128 + 2
               "labels": encode(np.arange(130, dtype=np.int16) * 2)}
    update = {"weights": [encode(generator.normal(size=(2, 2)).astype(np.float32)),
                          encode(generator.normal(size=(3,)).astype(np.float32))],
              "gradients": [encode(generator.normal(size=(2, 2)).astype(np.float32)),
                            encode(generator.normal(size=(3,)).astype(np.float32))]}
    step = {"W": encode(generator.uniform(-0.5, 0.5, (3, 2)).astype(np.float32)),
            "images": encode(generator.uniform(0, 1, (4, 3)).astype(np.float32)),
            "labels": encode(np.array([0, 1, 1, 0], dtype=np.uint8))}
    fit = {"images": encode(generator.uniform(0, 1, (20, 2)).astype(np.float32)),
           "labels": encode(np.arange(20, dtype=np.int64) % 2), "epochs": 2, "batch_size": 8, "num_batches": 3}
    return (
        check("NaiveDense", {"input_size": 4, "output_size": 2, "seed": 11,
                             "inputs": encode(generator.uniform(0, 1, (3, 4)).astype(np.float32))}),
        check("NaiveSequential", {"inputs": encode(generator.uniform(-1, 1, (3, 2)).astype(np.float32))}),
        check("BatchGenerator", {"sized": sized, "default": default},
              {"op": "batch_generator", **sized, "next_calls": 3}, {"op": "batch_generator", **default, "next_calls": 2}),
        check("one_training_step", step, {"op": "public_training_step", **step}),
        # the decoy global model has weights of the same shapes, so the course text's slip runs
        check("update_weights", {**update, "decoy": [encode(generator.normal(size=(2, 2)).astype(np.float32)),
                                                     encode(generator.normal(size=(3,)).astype(np.float32))]},
              {"op": "update_weights", "global_model": "given", **update}),
        check("fit", fit, {"op": "public_fit", **fit}),
    )


def _check_name(name: str) -> str:
    """The function of ``selfchecks.py`` that checks ``name`` (``NaiveDense`` -> ``naive_dense``)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def training_verdict(observation: dict) -> Verdict:
    """Accuracy of the student's trained model, computed in this process from the trained weights
    with the known-good forward pass and the test labels it reads itself (``autograder.training``)."""
    detail = {"metric": "test_accuracy", "value": None, "bar": TRAINING_BAR}
    if not observation.get("ok"):
        return Verdict(False, f"모델 훈련 (NaiveDense, NaiveSequential, fit, {TRAINING_EPOCHS} 에포크) 실행 실패: "
                              + show.error(observation), detail)
    return training.verdict(observation, TRAINING_BAR, detail, "")
