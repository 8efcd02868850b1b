"""One judge per property of the Keras model (2.1) and of the from-scratch network (2.5), for
the hidden cases (``q1_keras_mnist.py``, ``q8_from_scratch.py``) and the notebook's self-checks
(``kernel_side.selfcheck.probe_check``) alike: the same reason to pass or fail on both sides.

Kernel-side (sent as text; standard library and NumPy). ``judge(spec, got, want)``: the probe's
spec (its inputs), the student's observation and the answer key's (None if not run on it) ->
``(passed, message, detail)``, the message in Korean: the input, expected, got, shapes first.
"""

import difflib

import numpy as np

from ..kernel_side import runtime, show
from .observe import nested_weights

PASS = (True, "", {})
LEARNING_RATE = 1e-3
ACCURACY_NAMES = {"accuracy", "acc", "sparse_categorical_accuracy"}  # what Keras resolves "accuracy" to


def _fail(message, detail=None):
    return False, message, dict(detail or {})


def _check(passed, message):
    """The message only on failure: a passing case says nothing."""
    return PASS if passed else _fail(message)


def _lines(why, given, expected, got):
    """A failure's message: why, then what was given, expected and got (one line each)."""
    return "\n".join([why] + [f"- {text}" for text in given] + [f"- 기대값: {expected}", f"- 받은 값: {got}"])


def call(spec):
    """The probed call in words, for the message of a probe that could not run."""
    op = spec["op"]
    if op == "keras_model":
        return "build_model()"
    if op == "naive_dense":
        return f"NaiveDense(input_size={spec['input_size']}, output_size={spec['output_size']}, activation=tf.nn.relu)"
    if op in ("naive_sequential", "scaled_sequential"):
        return "NaiveSequential([층1, 층2])"
    if op == "batch_generator":
        size = f", batch_size={spec['batch_size']}" if spec.get("batch_size") else ""
        return f"BatchGenerator({len(runtime.decode(spec['labels']))}개{size})"
    if op == "update_weights":
        return "update_weights(gradients, weights)"
    if op in ("training_step", "softmax_training_step"):
        return "one_training_step(model, images_batch, labels_batch)"
    if op in ("fit", "fit_first_batches"):
        return f"fit(model, images, labels, epochs={spec['epochs']}, batch_size={spec['batch_size']})"
    return op


def first_difference(got, want, atol):
    """Index and arrays of the first weight that differs, or None."""
    for index, (have, ref) in enumerate(zip(got, want)):
        have, ref = runtime.decode_array(have), runtime.decode_array(ref)
        if have.shape != ref.shape or not np.allclose(have, ref, atol=atol):
            return index, have, ref
    return None


# ----------------------------------------------------------------------------- 2.1 build_model


def structure(spec, got, want):
    kinds = [layer["class"] for layer in got["layers"]]
    if not got["is_sequential"] or kinds != ["Dense", "Dense"]:
        return _fail(f"Sequential 모델에 Dense 층 2개가 있어야 합니다: 받은 {got['class']}, 층 {kinds}")
    return PASS


def units(spec, got, want):
    found, expected = [layer["units"] for layer in got["layers"]], [layer["units"] for layer in want["layers"]]
    return _check(found == expected, f"층의 유닛 수: 기대 {expected}, 받은 {found}")


def activations(spec, got, want):
    found = [layer["activation"] for layer in got["layers"]]
    expected = [layer["activation"] for layer in want["layers"]]
    return _check(found == expected, f"활성화 함수: 기대 {expected}, 받은 {found}")


def _compiled(check):
    """A compile setting: one message for the three of them when compile was never called."""
    def judge(spec, got, want):
        if not got["compiled"] or got["optimizer"] is None:
            return _fail("build_model: 모델을 컴파일하지 않았습니다. model.compile(...)을 호출한 뒤 반환하세요.",
                         {"cause": "not_compiled", "object": "build_model"})
        return check(spec, got, want)
    judge.__name__ = judge.__qualname__ = check.__name__  # found by its name in the notebook
    return judge


@_compiled
def optimizer(spec, got, want):
    return _check(got["optimizer"] == want["optimizer"], f"옵티마이저: 기대 {want['optimizer']}, 받은 {got['optimizer']}")


@_compiled
def loss(spec, got, want):
    return _check(got["loss"] == want["loss"], f"손실 함수: 기대 {want['loss']}, 받은 {got['loss']}")


@_compiled
def metrics(spec, got, want):
    return _check(len(got["metrics"]) == 1 and got["metrics"][0] in ACCURACY_NAMES,
                  f"모니터링 지표: 기대 {want['metrics']}, 받은 {got['metrics']}")


def output(spec, got, want):
    batch = np.asarray(runtime.decode(spec["batch"]))
    array = runtime.decode_array(got["output"])
    if array.shape != (len(batch), 10) or not np.allclose(array.sum(axis=1), 1, atol=1e-4):
        return _fail(show.mismatch([f"입력: shape {batch.shape}"], f"shape ({len(batch)}, 10), 각 행의 합 1 (소프트맥스)",
                                   show.value(array)))
    return PASS


# ----------------------------------------------------------------------------- 2.5 NaiveDense


def _weights_of(got, call_text):
    """(W, b) as arrays, or a failed result saying why they cannot be read."""
    if "weights_error" in got:
        return _fail(f"{call_text}.weights 읽기 실패: " + show.error({"error": got["weights_error"]}))
    nested = nested_weights(got["weights"])
    if nested:
        return _fail(nested)
    if len(got["weights"]) != 2:
        return _fail(f"{call_text}.weights는 [W, b] 2개여야 합니다: 받은 {len(got['weights'])}개")
    return [runtime.decode_array(w) for w in got["weights"]]


def dense_weights(spec, got, want):
    found = _weights_of(got, "layer")
    if isinstance(found, tuple):
        return found
    n_in, n_out = spec["input_size"], spec["output_size"]
    shapes = [tuple(w["shape"]) for w in got["weights"]]
    kinds = [w["kind"] for w in got["weights"]]
    if shapes != [(n_in, n_out), (n_out,)]:
        return _fail(_lines("weights는 [W, b] 순서로 W: (input_size, output_size), b: (output_size,) 모양이어야 합니다.",
                            [f"호출: {call(spec)}"], [(n_in, n_out), (n_out,)], shapes))
    if kinds != ["variable", "variable"] or not all(w["trainable"] for w in got["weights"]):
        return _fail(f"W와 b는 tf.Variable이어야 합니다: 받은 {kinds}")
    return PASS


def dense_init(spec, got, want):
    found = _weights_of(got, "layer")
    if isinstance(found, tuple):
        return found
    W, b = found
    if not (W.size and W.min() >= 0 and W.max() <= 0.1 and W.std() > 0):
        return _fail(_lines("W는 0~0.1 사이 균등분포 난수로 초기화해야 합니다 (tf.random.uniform(..., minval=0, maxval=1e-1)).",
                            [f"호출: {call(spec)}"], "0 이상 0.1 이하의 서로 다른 난수", show.value(W)))
    if np.any(b != 0):
        return _fail(_lines("b는 0으로 초기화해야 합니다 (tf.zeros).", [f"호출: {call(spec)}"], "모두 0", show.value(b)))
    return PASS


def dense_output(spec, got, want):
    """Judged with the layer's own W and b, whatever their type (tf.Variable is its own case)."""
    if "output_error" in got:
        return _fail("layer(inputs) (__call__) 실행 실패: " + show.error({"error": got["output_error"]}))
    found = _weights_of(got, "layer")
    if isinstance(found, tuple):
        return _fail(found[1] + " (W와 b를 읽어야 출력을 확인할 수 있습니다)")
    W, b = found
    inputs = runtime.decode(spec["inputs"])
    have = runtime.decode_array(got["output"])
    try:
        want_output = np.maximum(inputs @ W + b, 0)
    except ValueError:
        return _fail(f"W {W.shape}, b {b.shape}로는 inputs {inputs.shape}의 출력을 계산할 수 없습니다.")
    if have.shape != want_output.shape or not np.allclose(have, want_output, atol=1e-5):
        return _fail(show.mismatch([f"inputs: {show.value(inputs)}"], show.value(want_output), show.value(have),
                                   "출력은 activation(matmul(inputs, W) + b)이어야 합니다."))
    return PASS


# ----------------------------------------------------------------------------- NaiveSequential


def _layer_shapes(spec):
    shapes = []
    for layer in spec["layers"]:
        if "shapes" in layer:  # a stand-in layer's weights
            shapes += [tuple(shape) for shape in layer["shapes"]]
        else:
            shapes += [np.shape(runtime.decode(layer["W"])), np.shape(runtime.decode(layer["b"]))]
    return shapes


def sequential_weights(spec, got, want):
    if "weights_error" in got:
        return _fail("model.weights 읽기 실패: " + show.error({"error": got["weights_error"]}))
    nested = nested_weights(got["weights"])
    if nested:
        return _fail("두 층 모델의 weights는 변수 4개 [W1, b1, W2, b2]가 한 줄로 늘어선 리스트여야 합니다. " + nested)
    shapes, wanted = [tuple(w["shape"]) for w in got["weights"]], _layer_shapes(spec)
    if shapes != wanted or not all(got.get("same_objects") or [False]):
        return _fail(_lines("두 층 모델의 weights는 층 순서대로 [W1, b1, W2, b2] (4개)여야 합니다.",
                            [f"호출: {call(spec)}.weights"], f"모양 {wanted}, 층의 변수 그대로",
                            f"모양 {shapes}" + ("" if all(got.get("same_objects") or [False]) else ", 층의 변수가 아닌 것 있음")))
    return PASS


def sequential_output(spec, got, want):
    if "output_error" in got:
        return _fail("model(inputs) (__call__) 실행 실패: " + show.error({"error": got["output_error"]}))
    have, ref = runtime.decode_array(got["output"]), runtime.decode_array(want["output"])
    if have.shape != ref.shape or not np.allclose(have, ref, atol=1e-5):
        layers = [f"층{i + 1}(x) = {layer['factor']:g}x + {layer['shift']:g}"
                  for i, layer in enumerate(spec["layers"]) if "factor" in layer]
        return _fail(show.mismatch([f"inputs: {show.value(runtime.decode(spec['inputs']))}"]
                                   + ([", ".join(layers)] if layers else []),
                                   show.value(ref), show.value(have), "층을 순서대로 적용한 출력이 다릅니다."))
    return PASS


# ----------------------------------------------------------------------------- BatchGenerator


def step_failed(got, step, call_text):
    """One message (the same for every case the step cost, so the feedback says it once)."""
    error = got[f"{step}_error"]
    names = [name for name in error.get("names", ()) if name not in ("num_batches",)]
    close = difflib.get_close_matches(step, names, n=1, cutoff=0.5)
    hint = f" 정의된 메서드는 {close[0]}입니다: 이름을 {step}(으)로 고치세요." if close else ""
    return _fail(f"{call_text}.{step}() 실행 실패: " + show.error({"error": error}) + hint,
                 {"cause": "step", "object": "BatchGenerator"})


def batch_count(spec, got, want):
    if "num_batches_error" in got:
        return _fail(f"{call(spec)}.num_batches 읽기 실패: " + show.error({"error": got["num_batches_error"]}))
    return _check(got["num_batches"] == want["num_batches"],
                  _lines("num_batches는 마지막의 짧은 배치도 세야 합니다 (나눗셈의 몫이 아니라 math.ceil).",
                         [f"호출: {call(spec)}.num_batches"], want["num_batches"], got["num_batches"]))


def batches(spec, got, want):
    """``next()`` called as often as the answer key's batches: their sizes, then their contents;
    the default batch size (``spec["batch_size"]`` None) from num_batches when next() is missing."""
    default = not spec.get("batch_size")
    wanted = [b["labels"]["shape"][0] for b in want["batches"]]
    if "next_error" in got:
        if default and got.get("num_batches") == want["num_batches"]:
            return True, "next()를 부를 수 없어 num_batches로 기본 batch_size를 확인했습니다.", {}
        return step_failed(got, "next", "BatchGenerator")
    sizes = [b["labels"]["shape"][0] for b in got["batches"]]
    if sizes != wanted:
        return _fail(_lines("next()가 돌려준 배치의 크기가 다릅니다: 배치마다 batch_size개씩, 마지막 배치는 남은 샘플만 "
                            "담습니다" + (" (batch_size의 기본값은 128입니다)." if default else "."),
                            [f"호출: {call(spec)}의 next() {len(wanted)}번"], wanted, sizes))
    for index, (have, ref) in enumerate(zip(got["batches"], want["batches"])):
        for part in ("images", "labels"):
            if not np.array_equal(runtime.decode_array(have[part]), runtime.decode_array(ref[part])):
                return _fail(_lines(f"{index}번째 배치의 {part}가 다릅니다: next()는 부를 때마다 다음 배치를 돌려줘야 합니다.",
                                    [f"호출: {call(spec)}의 next() {index + 1}번째"], show.value(ref[part]),
                                    show.value(have[part])))
    return PASS


# ----------------------------------------------------------------------------- update_weights


def updated(spec, got, want):
    difference = first_difference(got["weights"], want["weights"], atol=1e-6)
    if difference:
        index, have, ref = difference
        given = [f"weights[{index}]: {show.value(runtime.decode(spec['weights'][index]))}",
                 f"gradients[{index}]: {show.value(runtime.decode(spec['gradients'][index]))}"]
        return _fail(show.mismatch(given, show.value(ref), show.value(have),
                                   f"update_weights는 전달받은 weights를 w - learning_rate * g "
                                   f"(learning_rate={LEARNING_RATE:g})로 갱신해야 합니다."))
    return PASS


def not_global(spec, got, want):
    """The probe binds a decoy model to the global name ``model``; it must stay as it was."""
    if first_difference(got["global"], spec["decoy"], atol=0):
        return _fail("update_weights가 인자로 받은 weights 대신 전역 변수 model의 가중치를 바꿨습니다. "
                     "for g, w in zip(gradients, weights)처럼 인자 weights를 사용하세요.")
    if not first_difference(got["weights"], spec["weights"], atol=0):
        return _fail("update_weights가 인자로 받은 weights를 바꾸지 않았습니다.",
                     {"cause": "needs_values", "object": "update_weights"})
    return PASS


# ----------------------------------------------------------------------------- one_training_step


def step_loss(spec, got, want):
    have = np.asarray(runtime.decode(got["loss"]), dtype=np.float64)
    ref = np.asarray(runtime.decode(want["loss"]), dtype=np.float64)
    if have.shape != () or not np.allclose(have, ref, atol=1e-5):
        return _fail(_lines("one_training_step은 배치의 평균 손실(스칼라)을 반환해야 합니다.", _batch(spec),
                            show.value(ref), show.value(have)))
    return PASS


def _batch(spec):
    return [f"입력 images_batch: {show.value(runtime.decode(spec['images']))}",
            f"입력 labels_batch: {show.value(runtime.decode(spec['labels']))}"]


def step_weights(spec, got, want):
    difference = first_difference(got["weights"], want["weights"], atol=1e-6)
    if not difference:
        return PASS
    index, have, ref = difference
    if spec["op"] == "softmax_training_step":  # update_weights replaced by one writing the gradients
        return _fail(_lines(f"update_weights에 넘긴 gradients[{index}]가 다릅니다: 평균 손실의 model.weights에 대한 "
                            "그레이디언트를 update_weights(gradients, model.weights)로 한 번 넘겨야 합니다.",
                            ["모델: softmax(matmul(images_batch, W)), weights = [W]"] + _batch(spec),
                            show.value(ref), show.value(have)))
    return _fail(_lines(f"훈련 한 단계 후 weights[{index}]가 다릅니다: 그레이디언트를 model.weights에 대해 계산하고 "
                        "update_weights(gradients, model.weights)를 호출했나요?", [f"입력 images_batch: "
                        f"{show.shape_of(runtime.decode(spec['images']))}"], show.value(ref), show.value(have)))


# ----------------------------------------------------------------------------- fit


def fit_epochs(spec, got, want):
    seen, wanted = sum(got["sizes"]), sum(want["sizes"])  # samples trained on, whatever the batch size
    epochs, samples = spec["epochs"], len(runtime.decode(spec["labels"]))
    return _check(seen == wanted, _lines("fit은 epochs번, 에포크마다 모든 배치로 훈련해야 합니다: 훈련에 쓴 샘플 수가 다릅니다.",
                                         [f"호출: {call(spec)}, 샘플 {samples}개"],
                                         f"{wanted} ({epochs} 에포크 × {wanted // epochs})", seen))


def fit_batch_size(spec, got, want):
    sizes, wanted = got["sizes"], want["sizes"]
    samples = len(runtime.decode(spec["labels"]))
    return _check(sizes == wanted, _lines("batch_size를 BatchGenerator에 넘겨야 합니다: one_training_step이 받은 배치의 "
                                          "크기가 다릅니다.", [f"호출: {call(spec)}, 샘플 {samples}개"], wanted, sizes))
