"""Hidden checks of the chapter-2 assignment, one function per question id.

Inputs are drawn from a seeded generator when the questions are built, so grading is
deterministic and every front-end sees the same inputs. The points table in the README is
printed from ``QUESTIONS`` (``autograder points``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import mnist
from ..engine import runtime, show
from ..engine.cases import Case, Question, Verdict
from ..engine.function_cases import Call, function_cases, result_array, values_correct

SEED = 20260902
TRAINING_BAR = 0.80
TRAINING_SEEDS = (0, 1, 2)  # a retry only happens while accuracy is close to the bar
RETRY_FLOOR = 0.70


def _rng(question_id: str) -> np.random.Generator:
    return np.random.default_rng([SEED, sum(map(ord, question_id))])


def _question(qid, title, objects, parts, reference_keys=None):
    specs, cases = {}, []
    for part_specs, part_cases in parts:
        specs.update(part_specs)
        cases.extend(part_cases)
    keys = frozenset(k for k in specs if ":value:" in k) if reference_keys is None else reference_keys
    return Question(qid, title, tuple(objects), specs, tuple(cases), frozenset(keys))


def _mixed(rng, shape, kind):
    if kind == "int32":
        return rng.integers(-50, 50, size=shape).astype(np.int32)
    if kind == "int64":
        return rng.integers(-50, 50, size=shape).astype(np.int64)
    array = rng.normal(0, 10, size=shape)
    return array.astype(kind)


# ---------------------------------------------------------------------- q1 (2.1)


def q1_keras_mnist() -> Question:
    rng = _rng("q1")
    images = rng.integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    pre_specs, pre_cases = function_cases(
        "preprocess_images", [Call((images[:1],)), Call((images,))], keep_dtype=False)
    value_keys = tuple(k for k in pre_specs)

    def float32(observed, expected):
        for key in value_keys:
            got, problem = result_array(observed[key])
            if problem:
                return Verdict(False, problem)
            if got.dtype != np.float32:
                return Verdict(False, f"dtype이 float32이어야 합니다: 받은 값 {show.value(got)}")
        return Verdict(True)

    pre_cases = (pre_cases[0], pre_cases[1],
                 Case("preprocess_images: float32 자료형", 1.0, value_keys, float32), pre_cases[2])

    batch = rng.random((3, 784)).astype(np.float32)
    specs = {"model": {"op": "keras_model", "batch": runtime.encode(batch), "limit": 60}}

    model_check = on_probe("model", "build_model()")

    def structure(got, want):
        kinds = [layer["class"] for layer in got["layers"]]
        if not got["is_sequential"] or kinds != ["Dense", "Dense"]:
            return Verdict(False, f"Sequential 모델에 Dense 층 2개가 있어야 합니다: 받은 {got['class']}, 층 {kinds}")
        return Verdict(True)

    def units(got, want):
        found = [layer["units"] for layer in got["layers"]]
        expected = [layer["units"] for layer in want["layers"]]
        return Verdict(found == expected, f"층의 유닛 수: 기대 {expected}, 받은 {found}")

    def activations(got, want):
        found = [layer["activation"] for layer in got["layers"]]
        expected = [layer["activation"] for layer in want["layers"]]
        return Verdict(found == expected, f"활성화 함수: 기대 {expected}, 받은 {found}")

    def optimizer(got, want):
        return Verdict(got["optimizer"] == want["optimizer"],
                       f"옵티마이저: 기대 {want['optimizer']}, 받은 {got['optimizer']} (compile을 호출했나요?)")

    def loss(got, want):
        return Verdict(got["loss"] == want["loss"], f"손실 함수: 기대 {want['loss']}, 받은 {got['loss']}")

    def metrics(got, want):
        accuracy = {"accuracy", "acc", "sparse_categorical_accuracy"}  # what Keras resolves "accuracy" to here
        return Verdict(len(got["metrics"]) == 1 and got["metrics"][0] in accuracy,
                       f"모니터링 지표: 기대 {want['metrics']}, 받은 {got['metrics']}")

    def output(got, want):
        array = runtime.decode_array(got["output"])
        if array.shape != (3, 10) or not np.allclose(array.sum(axis=1), 1, atol=1e-4):
            return Verdict(False, show.mismatch([f"입력: shape {batch.shape}"],
                                                "shape (3, 10), 각 행의 합 1 (소프트맥스)", show.value(array)))
        return Verdict(True)

    model_cases = tuple(Case(f"build_model: {name}", 1.0, ("model",), model_check(check)) for name, check in [
        ("Sequential + Dense 2층", structure), ("유닛 수 512, 10", units), ("활성화 relu, softmax", activations),
        ("옵티마이저 rmsprop", optimizer), ("손실 sparse_categorical_crossentropy", loss),
        ("지표 accuracy", metrics), ("출력 모양과 확률", output)])
    return _question("q1_keras_mnist", "2.1 케라스로 MNIST 분류하기", ["preprocess_images", "build_model"],
                     [(pre_specs, pre_cases), (specs, model_cases)],
                     frozenset(value_keys) | {"model"})


# ---------------------------------------------------------------------- q2 (2.2)


def q2_tensor_slicing() -> Question:
    rng = _rng("q2")
    images = rng.integers(0, 256, size=(4, 28, 28)).astype(np.uint8)
    crops = []
    for name in ("crop_bottom_right", "crop_center"):
        specs, cases = function_cases(name, [Call((images[:1],)), Call((images,))], keep_dtype=True)
        crops.append((specs, (Case(cases[0].name + "과 모양", 2.0, cases[0].probes,
                                   lambda o, e, c=cases: _all(c[:2], o, e)),)))
    stack = np.arange(23 * 2, dtype=np.int64).reshape(23, 2)
    big = np.arange(300, dtype=np.int64)
    batch_calls = [Call((stack, 0), (("batch_size", 5),)), Call((stack, 2), (("batch_size", 5),))]
    partial_calls = [Call((stack, 4), (("batch_size", 5),)), Call((big, 1))]
    specs, _ = function_cases("get_batch", batch_calls + partial_calls)
    keys = tuple(specs)
    cases = (
        Case("get_batch: n번째 배치", 1.0, keys[:2],
             lambda o, e: values_correct("get_batch", batch_calls, o, e)),
        Case("get_batch: 마지막 배치와 기본 batch_size=128", 1.0, keys[2:],
             lambda o, e: values_correct("get_batch", partial_calls, _shift(o, 2), _shift(e, 2))),
    )
    return _question("q2_tensor_slicing", "2.2 텐서 슬라이싱과 배치",
                     ["crop_bottom_right", "crop_center", "get_batch"], crops + [(specs, cases)])


def _all(cases, observed, expected) -> Verdict:
    for case in cases:
        verdict = case.judge(observed, expected)
        if not verdict.passed:
            return verdict
    return Verdict(True)


def _shift(observations, by):
    """Renumber ``name:value:i`` keys so a sub-list of calls can reuse values_correct."""
    out = {}
    for key, value in observations.items():
        name, kind, index = key.rsplit(":", 2)
        if kind == "value" and int(index) >= by:
            out[f"{name}:value:{int(index) - by}"] = value
    return out


# ---------------------------------------------------------------------- q3-q6 (2.3)


def q3_elementwise() -> Question:
    rng = _rng("q3")
    shapes = [((1, 1), "float64"), ((3, 5), "float64"), ((4, 2), "int32"), ((5, 5), "float32")]
    relu_calls = [Call((_mixed(rng, s, k),)) for s, k in shapes]
    relu = function_cases(
        "naive_relu", relu_calls,
        bad_calls=[Call((_mixed(rng, (4,), "float64"),)), Call((_mixed(rng, (2, 2, 2), "float64"),))],
        keep_dtype=True, naive=Call((_mixed(rng, (6, 7), "float64"),)), naive_work=42)
    add_calls = [Call((_mixed(rng, s, k), _mixed(rng, s, k))) for s, k in shapes]
    add = function_cases(
        "naive_add", add_calls,
        bad_calls=[Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (3, 4), "float64"))),
                   Call((_mixed(rng, (3,), "float64"), _mixed(rng, (3,), "float64")))],
        keep_dtype=True, naive=Call((_mixed(rng, (6, 7), "float64"), _mixed(rng, (6, 7), "float64"))),
        naive_work=42)
    return _question("q3_elementwise", "2.3 항목별 연산", ["naive_relu", "naive_add"], [relu, add])


def q4_broadcasting() -> Question:
    rng = _rng("q4")
    shapes = [((1, 1), "float64"), ((3, 5), "float64"), ((4, 2), "int64"), ((2, 6), "float32")]
    calls = [Call((_mixed(rng, s, k), _mixed(rng, s[1:], k))) for s, k in shapes]
    part = function_cases(
        "naive_add_matrix_and_vector", calls,
        bad_calls=[Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (4,), "float64"))),
                   Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (1, 3), "float64")))],
        keep_dtype=True, naive=Call((_mixed(rng, (6, 7), "float64"), _mixed(rng, (7,), "float64"))),
        naive_work=42)
    return _question("q4_broadcasting", "2.3 브로드캐스팅", ["naive_add_matrix_and_vector"], [part])


def q5_dot() -> Question:
    rng = _rng("q5")
    vector = function_cases(
        "naive_vector_dot",
        [Call((_mixed(rng, (n,), k), _mixed(rng, (n,), k))) for n, k in
         [(1, "float64"), (7, "float64"), (5, "int64"), (32, "float32")]],
        bad_calls=[Call((_mixed(rng, (3,), "float64"), _mixed(rng, (5,), "float64"))),
                   Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (2, 3), "float64")))],
        naive=Call((_mixed(rng, (40,), "float64"), _mixed(rng, (40,), "float64"))), naive_work=40)
    matrix_vector = function_cases(
        "naive_matrix_vector_dot",
        [Call((_mixed(rng, (a, b), k), _mixed(rng, (b,), k))) for a, b, k in
         [(1, 1, "float64"), (2, 3, "float64"), (4, 2, "int64"), (3, 6, "float32")]],
        bad_calls=[Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (4,), "float64"))),
                   Call((_mixed(rng, (3,), "float64"), _mixed(rng, (3,), "float64")))],
        naive=Call((_mixed(rng, (6, 7), "float64"), _mixed(rng, (7,), "float64"))), naive_work=42)
    matrix = function_cases(
        "naive_matrix_dot",
        [Call((_mixed(rng, (a, b), k), _mixed(rng, (b, c), k))) for a, b, c, k in
         [(1, 1, 1, "float64"), (2, 3, 4, "float64"), (5, 2, 1, "int64"), (3, 3, 3, "float32")]],
        bad_calls=[Call((_mixed(rng, (2, 3), "float64"), _mixed(rng, (4, 2), "float64"))),
                   Call((_mixed(rng, (3,), "float64"), _mixed(rng, (3, 2), "float64")))],
        naive=Call((_mixed(rng, (4, 5), "float64"), _mixed(rng, (5, 6), "float64"))), naive_work=120)
    return _question("q5_dot", "2.3 텐서 점곱",
                     ["naive_vector_dot", "naive_matrix_vector_dot", "naive_matrix_dot"],
                     [vector, matrix_vector, matrix])


def q6_transpose() -> Question:
    rng = _rng("q6")
    part = function_cases(
        "naive_transpose",
        [Call((_mixed(rng, s, k),)) for s, k in
         [((1, 1), "float64"), ((3, 5), "float64"), ((4, 1), "int32"), ((2, 6), "float32")]],
        bad_calls=[Call((_mixed(rng, (4,), "float64"),)), Call((_mixed(rng, (2, 3, 2), "float64"),))],
        keep_dtype=True, naive=Call((_mixed(rng, (6, 7), "float64"),)), naive_work=42)
    return _question("q6_transpose", "2.3 행렬의 전치", ["naive_transpose"], [part])


# ---------------------------------------------------------------------- q7 (2.4)


def q7_gradient_tape() -> Question:
    rng = _rng("q7")
    f32 = lambda *shape: rng.uniform(-1, 1, size=shape).astype(np.float32)
    course = [Call((0.0,))]
    others = [Call((1.5,)), Call((-2.0,))]
    quad_specs, _ = function_cases("grad_quadratic", course + others)
    quad_keys = tuple(quad_specs)
    quad = (quad_specs, (
        Case("grad_quadratic: x=0에서 2 (교재 값)", 1.0, quad_keys[:1],
             lambda o, e: values_correct("grad_quadratic", course, o, e)),
        Case("grad_quadratic: 다른 점에서 2x+2", 1.0, quad_keys[1:],
             lambda o, e: values_correct("grad_quadratic", others, _shift(o, 1), _shift(e, 1))),
    ))
    square_specs, square_cases = function_cases(
        "grad_square_plus_3", [Call((f32(1, 1),)), Call((f32(2, 2),)), Call((f32(3, 1),))])
    square = (square_specs, (square_cases[0], square_cases[1]))

    dense_calls = [Call((f32(2, 2), f32(2, 2), np.zeros(2, np.float32))),
                   Call((f32(3, 2), f32(2, 4), f32(4)))]
    dense_specs, _ = function_cases("grad_dense", dense_calls)
    dense_keys = tuple(dense_specs)

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

    dense = (dense_specs, (
        Case("grad_dense: [dW, db] 리스트 반환", 1.0, dense_keys, gradients(None, "")),
        Case("grad_dense: W에 대한 그레이디언트", 1.0, dense_keys, gradients(0, "W")),
        Case("grad_dense: b에 대한 그레이디언트", 1.0, dense_keys, gradients(1, "b")),
    ))
    return _question("q7_gradient_tape", "2.4 그레이디언트 테이프",
                     ["grad_quadratic", "grad_square_plus_3", "grad_dense"], [quad, square, dense])


# ---------------------------------------------------------------------- q8 (2.5)


def _layer_spec(rng, n_in, n_out, activation):
    return {"W": runtime.encode(rng.uniform(-0.1, 0.1, (n_in, n_out)).astype(np.float32)),
            "b": runtime.encode(rng.uniform(-0.1, 0.1, (n_out,)).astype(np.float32)),
            "activation": activation}


def _decoded_weights(observation):
    return [runtime.decode_array(w) for w in observation["weights"]]


def on_probe(key: str, call: str):
    """A judge of one probe's observation: fails with the Korean reason when the probed code
    raised, otherwise hands ``check(got, want)`` the student's and the reference's data."""
    def wrap(check):
        def judge(observed, expected):
            got = observed[key]
            if not got.get("ok"):
                return Verdict(False, f"{call} 실행 실패: " + show.error(got))
            return check(got, expected.get(key))
        judge.check = check  # the bare check, for judges that build on another
        return judge
    return wrap


def _first_difference(got: list, want: list, atol: float):
    """Index and arrays of the first weight that differs, or None."""
    for index, (have, ref) in enumerate(zip(got, want)):
        have, ref = runtime.decode_array(have), runtime.decode_array(ref)
        if have.shape != ref.shape or not np.allclose(have, ref, atol=atol):
            return index, have, ref
    return None


def q8_from_scratch() -> Question:
    rng = _rng("q8")
    inputs = rng.uniform(0, 1, (4, 5)).astype(np.float32)
    layers = [_layer_spec(rng, 6, 4, "relu"), _layer_spec(rng, 4, 3, "softmax")]
    seq_inputs = rng.uniform(0, 1, (5, 6)).astype(np.float32)
    step_images = rng.uniform(0, 1, (8, 6)).astype(np.float32)
    step_labels = rng.integers(0, 3, 8).astype(np.uint8)
    decoy = {"layers": [_layer_spec(rng, 3, 2, "relu")]}
    specs = {
        "dense": {"op": "naive_dense", "seed": 7, "input_size": 5, "output_size": 3,
                  "inputs": runtime.encode(inputs)},
        "sequential": {"op": "naive_sequential", "layers": layers, "inputs": runtime.encode(seq_inputs)},
        "batches:300/64": {"op": "batch_generator", "batch_size": 64,
                           "images": runtime.encode(np.arange(600, dtype=np.int64).reshape(300, 2)),
                           "labels": runtime.encode(np.arange(300, dtype=np.int64))},
        "batches:1000/default": {"op": "batch_generator", "batch_size": None,
                                 "images": runtime.encode(np.arange(2000, dtype=np.int64).reshape(1000, 2)),
                                 "labels": runtime.encode(np.arange(1000, dtype=np.int64))},
        "update": {"op": "update_weights",
                   "weights": [runtime.encode(rng.normal(size=(3, 2)).astype(np.float32)),
                               runtime.encode(rng.normal(size=(2,)).astype(np.float32))],
                   "gradients": [runtime.encode(rng.normal(size=(3, 2)).astype(np.float32)),
                                 runtime.encode(rng.normal(size=(2,)).astype(np.float32))],
                   "decoy": decoy},
        "step": {"op": "training_step", "layers": layers, "images": runtime.encode(step_images),
                 "labels": runtime.encode(step_labels)},
        "fit": {"op": "fit", "epochs": 2, "batch_size": 64,
                "images": runtime.encode(np.zeros((300, 2), np.float32)),
                "labels": runtime.encode(np.arange(300, dtype=np.int64))},
    }
    # MNIST is not named here: the kernel reads $MNIST_NPZ or Keras's own (hash-checked)
    # download, so the checks are the same whatever the building machine has.
    specs["train"] = {"op": "train", "epochs": 10, "batch_size": 128, "seeds": list(TRAINING_SEEDS),
                      "bar": TRAINING_BAR, "retry_floor": RETRY_FLOOR, "limit": 900}

    @on_probe("dense", "NaiveDense(input_size=5, output_size=3, activation=tf.nn.relu)")
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
        W, b = _decoded_weights(observed["dense"])
        if not (W.min() >= 0 and W.max() <= 0.1 and W.std() > 0):
            return Verdict(False, f"W는 0~0.1 사이 균등분포로 초기화해야 합니다: 받은 {show.value(W)}")
        if np.any(b != 0):
            return Verdict(False, f"b는 0으로 초기화해야 합니다: 받은 {show.value(b)}")
        return Verdict(True)

    def dense_output(observed, expected):
        verdict = dense_weights(observed, expected)
        if not verdict.passed:
            return verdict
        W, b = _decoded_weights(observed["dense"])
        want = np.maximum(inputs @ W + b, 0)
        have = runtime.decode_array(observed["dense"]["output"])
        if have.shape != want.shape or not np.allclose(have, want, atol=1e-5):
            return Verdict(False, show.mismatch([f"inputs: {show.value(inputs)}"], show.value(want), show.value(have),
                                                "출력은 activation(matmul(inputs, W) + b)이어야 합니다."))
        return Verdict(True)

    @on_probe("sequential", "NaiveSequential([층1, 층2])")
    def sequential_weights(got, want):
        shapes = [tuple(w["shape"]) for w in got["weights"]]
        if shapes != [(6, 4), (4,), (4, 3), (3,)] or not all(got["same_objects"]):
            return Verdict(False, "두 층 모델의 weights는 층 순서대로 [W1, b1, W2, b2] (4개)여야 합니다: "
                                  f"기대 [(6, 4), (4,), (4, 3), (3,)], 받은 {shapes}")
        return Verdict(True)

    @on_probe("sequential", "NaiveSequential([층1, 층2])")
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

    @on_probe("update", "update_weights(gradients, weights)")
    def updated(got, want):
        difference = _first_difference(got["weights"], want["weights"], atol=1e-6)
        if difference:
            index, have, ref = difference
            return Verdict(False, show.mismatch(
                [f"weights[{index}] - 1e-3 * gradients[{index}]"], show.value(ref), show.value(have),
                "update_weights는 전달받은 weights를 learning_rate=1e-3으로 갱신해야 합니다 "
                "(교재처럼 전역 model.weights를 쓰면 안 됩니다)."))
        return Verdict(True)

    @on_probe("update", "update_weights(gradients, weights)")
    def not_global(got, want):
        # The probe binds a decoy model to the global name ``model``; it must stay as it was.
        if _first_difference(got["decoy"], [decoy["layers"][0]["W"], decoy["layers"][0]["b"]], atol=0):
            return Verdict(False, "update_weights가 인자로 받은 weights 대신 전역 변수 model의 가중치를 바꿨습니다.")
        return updated.check(got, want)

    @on_probe("step", "one_training_step(model, images_batch, labels_batch)")
    def step_loss(got, want):
        have = np.asarray(runtime.decode(got["loss"]), dtype=np.float64)
        ref = np.asarray(runtime.decode(want["loss"]), dtype=np.float64)
        if have.shape != () or not np.allclose(have, ref, atol=1e-5):
            return Verdict(False, f"one_training_step은 배치의 평균 손실(스칼라)을 반환해야 합니다: "
                                  f"기대 {show.value(ref)}, 받은 {show.value(have)}")
        return Verdict(True)

    @on_probe("step", "one_training_step(model, images_batch, labels_batch)")
    def step_weights(got, want):
        difference = _first_difference(got["weights"], want["weights"], atol=1e-6)
        if difference:
            index, have, ref = difference
            return Verdict(False, f"훈련 한 단계 후 weights[{index}]가 다릅니다 (그레이디언트를 model.weights에 "
                                  f"대해 계산하고 update_weights(gradients, model.weights)를 호출했나요?): "
                                  f"기대 {show.value(ref)}, 받은 {show.value(have)}")
        return Verdict(True)

    @on_probe("fit", "fit(model, images, labels, epochs=2, batch_size=64)")
    def fit_epochs(got, want):
        seen, wanted = sum(got["sizes"]), sum(want["sizes"])  # samples trained on, whatever the batch size
        return Verdict(seen == wanted, f"fit(300개 샘플, epochs=2): 훈련에 쓴 샘플 수 기대 {wanted} "
                                       f"(2 에포크 × 300), 받은 {seen}")

    @on_probe("fit", "fit(model, images, labels, epochs=2, batch_size=64)")
    def fit_batch_size(got, want):
        sizes, wanted = got["sizes"], want["sizes"]
        return Verdict(sizes == wanted, f"fit(300개 샘플, epochs=2, batch_size=64)의 배치 크기: 기대 {wanted}, "
                                        f"받은 {sizes} (batch_size를 BatchGenerator에 넘겨야 합니다)")

    cases = [
        Case("NaiveDense: W (input_size, output_size), b (output_size,) tf.Variable", 1.0, ("dense",), dense_weights),
        Case("NaiveDense: 초기값 (W 균등분포 0~0.1, b 0)", 1.0, ("dense",), dense_init),
        Case("NaiveDense: 출력 activation(xW + b)", 2.0, ("dense",), dense_output),
        Case("NaiveSequential: 가중치 4개 [W1, b1, W2, b2]", 1.0, ("sequential",), sequential_weights),
        Case("NaiveSequential: 층을 차례로 적용한 출력", 2.0, ("sequential",), sequential_output),
        Case("BatchGenerator: 300개, batch_size=64 (num_batches=ceil, 마지막 배치 44개)", 3.0,
             ("batches:300/64",), batches("batches:300/64", "300개, batch_size=64")),
        Case("BatchGenerator: 기본 batch_size=128", 1.0, ("batches:1000/default",),
             batches("batches:1000/default", "1000개")),
        Case("update_weights: 전달받은 weights 갱신", 3.0, ("update",), updated),
        Case("update_weights: 전역 model을 쓰지 않음", 1.0, ("update",), not_global),
        Case("one_training_step: 평균 손실 반환", 1.0, ("step",), step_loss),
        Case("one_training_step: 가중치 한 번 갱신", 2.0, ("step",), step_weights),
        Case("fit: epochs만큼 반복", 2.0, ("fit",), fit_epochs),
        Case("fit: batch_size를 BatchGenerator에 전달", 2.0, ("fit",), fit_batch_size),
    ]
    cases.append(Case(f"훈련: 10 에포크 후 테스트 정확도 ≥ {TRAINING_BAR}", 10.0, ("train",),
                      lambda o, e: training_verdict(o["train"])))
    reference = frozenset(k for k in specs if k not in ("dense", "train"))
    return _question("q8_from_scratch", "2.5 밑바닥부터 구현한 신경망",
                     ["NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step",
                      "update_weights", "fit"], [(specs, tuple(cases))], reference)


def training_verdict(observation: dict) -> Verdict:
    if not observation.get("ok"):
        return Verdict(False, "모델 훈련 (NaiveDense, NaiveSequential, fit, 10 에포크) 실행 실패: "
                              + show.error(observation))
    try:
        labels = _test_labels(str(mnist.resolve()))
    except mnist.MnistUnavailable as error:
        return Verdict(False, f"MNIST 데이터를 구할 수 없어 훈련 결과를 채점하지 못했습니다 ({error}).")
    lines = []
    for attempt in observation["attempts"]:
        outputs = runtime.decode_array(attempt["outputs"])
        if outputs.shape != (len(labels), 10):
            return Verdict(False, f"모델 출력의 모양이 다릅니다: 기대 ({len(labels)}, 10), 받은 {outputs.shape}")
        predictions = outputs.argmax(axis=1)
        accuracy = float(np.mean(predictions == labels))
        lines.append(f"시드 {attempt['seed']}: 테스트 정확도 {accuracy:.4f} ({attempt['seconds']:.0f}초"
                     f"{', tf.function' if attempt['compiled'] else ', 즉시 실행'})")
        if accuracy >= TRAINING_BAR:
            return Verdict(True, "\n".join(lines))
    return Verdict(False, f"테스트 정확도가 {TRAINING_BAR} 미만입니다.\n" + "\n".join(lines))


@lru_cache(maxsize=2)
def _test_labels(path: str) -> np.ndarray:
    with np.load(path, allow_pickle=False) as data:
        return data["y_test"].astype(np.int64)


def questions() -> tuple[Question, ...]:
    """All questions, in notebook order: the same checks on every machine (100 points)."""
    return (q1_keras_mnist(), q2_tensor_slicing(), q3_elementwise(), q4_broadcasting(),
            q5_dot(), q6_transpose(), q7_gradient_tape(), q8_from_scratch())
