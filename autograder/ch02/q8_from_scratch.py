"""q8 (2.5): the from-scratch network (NaiveDense, NaiveSequential, BatchGenerator,
one_training_step, update_weights, fit) and the training check.

Cases are independent where they can be: ``one_training_step`` is checked with a known-good
update, ``fit`` with a known-good ``BatchGenerator``, ``NaiveSequential`` with known-good
layers, so one bug costs its own points (the probes are in ``probes.py``). One property per
case: ``num_batches`` (rounded up) and the batches ``next()`` returns are judged apart, the
default batch size on a length where rounding does not matter; the update itself and "the
weights given, not the global ``model``" apart; and the training check trains with the global
``model`` bound to the model being trained, as in the notebook. The training check tests the
whole model: a bug that breaks training also costs it.

Each case is one judge of ``judges.py``; the self-check of its object runs the same judge on
public inputs in the student's kernel (``public_checks``)."""

from __future__ import annotations

import numpy as np

from .. import training
from ..engine.cases import Case, Probe, ProbeKey, PublicCheck, Question, Verdict
from ..kernel_side import runtime, show
from . import judges
from .common import judged_case, public_rng, rng, self_check

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


def question() -> Question:
    generator = rng("q8")
    inputs = generator.uniform(-1, 1, (4, 5)).astype(np.float32)  # negatives: relu must matter
    layers = [_layer_spec(generator, 6, 4, "relu"), _layer_spec(generator, 4, 3, "softmax")]
    seq_inputs = generator.uniform(0, 1, (5, 6)).astype(np.float32)
    step_images = generator.uniform(0, 1, (8, 6)).astype(np.float32)
    step_labels = generator.integers(0, 3, 8).astype(np.uint8)
    decoy = _layer_spec(generator, 3, 2, "relu")
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
        UPDATE_DECOY: Probe({"op": "update_weights", "global_model": "decoy", "decoy": [decoy["W"], decoy["b"]],
                             **update_inputs}),
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

    specs = {key: probe.spec for key, probe in probes.items()}

    def case(name, points, key, judge, **extra):
        return judged_case(name, points, key, specs[key], judge, **extra)

    cases = (
        case("NaiveDense: W (input_size, output_size), b (output_size,) tf.Variable", 1, DENSE, judges.dense_weights),
        case("NaiveDense: 초기값 (W 균등분포 0~0.1, b 0)", 1, DENSE, judges.dense_init),
        case("NaiveDense: 출력 activation(xW + b)", 2, DENSE, judges.dense_output),
        case("NaiveSequential: 가중치 4개 [W1, b1, W2, b2]", 1, SEQUENTIAL, judges.sequential_weights),
        case("NaiveSequential: 층을 차례로 적용한 출력", 2, SEQUENTIAL, judges.sequential_output),
        case("BatchGenerator: num_batches는 올림(math.ceil)", 2, BATCHES_64, judges.batch_count),
        case("BatchGenerator: next()가 batch_size개씩 차례로, 마지막 배치는 남은 샘플", 1, BATCHES_64, judges.batches),
        case("BatchGenerator: 기본 batch_size=128", 1, BATCHES_DEFAULT, judges.batches),
        case("update_weights: w - learning_rate * g로 갱신", 2, UPDATE, judges.updated),
        case("update_weights: 인자 weights 사용 (전역 model이 아님)", 2, UPDATE_DECOY, judges.not_global,
             requires="인자 weights가 바뀌어야"),
        case("one_training_step: 평균 손실 반환", 1, STEP, judges.step_loss),
        case("one_training_step: 가중치 한 번 갱신", 2, STEP, judges.step_weights),
        case("fit: epochs만큼 반복", 2, FIT, judges.fit_epochs),
        case("fit: batch_size를 BatchGenerator에 전달", 2, FIT, judges.fit_batch_size),
        Case(f"훈련: {TRAINING_EPOCHS} 에포크 후 테스트 정확도 ≥ {TRAINING_BAR}", 10, (TRAIN,),
             lambda o, e: training_verdict(o[TRAIN]), featured=True),
    )
    return Question(ID, "2.5 밑바닥부터 구현한 신경망",
                    ("NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step", "update_weights", "fit"),
                    probes, cases, public_checks())


def public_checks() -> tuple[PublicCheck, ...]:
    """The self-checks of 2.5: the hidden cases' probes (or, where those need a known-good
    stand-in, the same observations with a neutral one, ``observe.py``) on inputs of their own,
    judged by the hidden cases' judges."""
    generator = public_rng("q8")
    encode = runtime.encode

    def floats(*shape):
        return encode(generator.normal(size=shape).astype(np.float32))

    dense = {"op": "naive_dense", "seed": 11, "input_size": 4, "output_size": 2,
             "inputs": encode(generator.uniform(-1, 1, (3, 4)).astype(np.float32))}  # some outputs < 0 before relu
    sequential = {"op": "scaled_sequential", "inputs": encode(generator.uniform(-1, 1, (3, 2)).astype(np.float32)),
                  "layers": [{"factor": 2.0, "shift": 1.0, "shapes": [[2, 2], [2]]},
                             {"factor": -1.0, "shift": 0.5, "shapes": [[2, 3], [3]]}]}
    sized = {"op": "batch_generator", "batch_size": 4, "next_calls": 3,  # 4 + 4 + 2
             "images": encode(np.arange(100, 120, dtype=np.int16).reshape(10, 2)),
             "labels": encode(np.arange(10, dtype=np.int16) * 3)}
    default = {"op": "batch_generator", "batch_size": None, "next_calls": 2,  # 2 x 128: no rounding
               "images": encode((np.arange(256) % 251).astype(np.uint8).reshape(256, 1)),  # one byte each:
               "labels": encode((np.arange(256) % 10).astype(np.uint8))}  # the notebook's setup cell stays small
    update = {"op": "update_weights", "weights": [floats(2, 2), floats(3)], "gradients": [floats(2, 2), floats(3)]}
    # the decoy global model has weights of the same shapes, so the course text's slip runs
    decoy = {**update, "global_model": "decoy", "decoy": [floats(2, 2), floats(3)]}
    step = {"op": "softmax_training_step", "W": encode(generator.uniform(-0.5, 0.5, (3, 2)).astype(np.float32)),
            "images": encode(generator.uniform(0, 1, (4, 3)).astype(np.float32)),
            "labels": encode(np.array([0, 1, 1, 0], dtype=np.uint8))}
    # 128 samples: batch_size 32 (4 batches) or the default 128 (1) trains on as many samples
    fit = {"op": "fit_first_batches", "epochs": 2, "batch_size": 32,  # nothing is trained: one byte per sample
           "images": encode(np.arange(128, dtype=np.uint8).reshape(128, 1)),
           "labels": encode((np.arange(128) % 2).astype(np.uint8))}
    return (
        self_check("NaiveDense", [(dense, [(judges.dense_weights, "weights 모양과 tf.Variable"),
                                           (judges.dense_init, "초기값"), (judges.dense_output, "출력")], False)]),
        self_check("NaiveSequential", [(sequential, [(judges.sequential_weights, "weights 순서"),
                                                     (judges.sequential_output, "출력")])], keep=("output",)),
        self_check("BatchGenerator", [(sized, [(judges.batch_count, "num_batches"),
                                               (judges.batches, "배치 크기와 순서")]),
                                      (default, [(judges.batches, "기본 batch_size=128")])]),
        self_check("one_training_step", [(step, [(judges.step_loss, "평균 손실"),
                                                 (judges.step_weights, "update_weights 호출")])]),
        self_check("update_weights", [({**update, "global_model": "given"}, [(judges.updated, "갱신한 값")]),
                                      (decoy, [(judges.not_global, "인자 weights 사용")], False)], keep=("weights",)),
        self_check("fit", [(fit, [(judges.fit_epochs, "에포크 수"), (judges.fit_batch_size, "batch_size 전달")])]),
    )


def training_verdict(observation: dict) -> Verdict:
    """Accuracy of the student's trained model, computed in this process from the trained weights
    with the known-good forward pass and the test labels it reads itself (``autograder.training``)."""
    detail = {"metric": "test_accuracy", "value": None, "bar": TRAINING_BAR}
    if not observation.get("ok"):
        return Verdict(False, f"모델 훈련 (NaiveDense, NaiveSequential, fit, {TRAINING_EPOCHS} 에포크) 실행 실패: "
                              + show.error(observation), detail)
    return training.verdict(observation, TRAINING_BAR, detail, "")
