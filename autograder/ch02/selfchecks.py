"""The chapter-2 self-checks that are not a plain function on inputs: the Keras model of 2.1
and the from-scratch classes and functions of 2.5.

Kernel-side (sent as text in the notebook's setup cell; NumPy, TensorFlow only inside the
checks). Each check looks at the student's object the way the hidden probes do
(``observe.py``), on inputs of its own, and compares with the answer key's observations made
when the notebook was built (``spec["expected"]``). Messages are Korean, shapes first.
"""

import difflib
import types

import numpy as np

from ..kernel_side import show
from ..kernel_side.runtime import decode, decode_array, globals_of
from ..kernel_side.selfcheck import Outcome
from . import observe

LEARNING_RATE = 1e-3


def _tf():
    import tensorflow as tf

    return tf


def _run(name, namespace, action):
    """``action()`` on the student's object: an Outcome with one cause when it is missing or
    still the stub, else None and the result."""
    if name not in namespace:
        return Outcome(name, cause="not_defined"), None
    try:
        return None, action()
    except NotImplementedError:
        return Outcome(name, cause="not_implemented"), None
    except Exception as error:
        return Outcome(name, problems=[(f"실행 중 {type(error).__name__} 예외가 발생했습니다: {str(error)[:300]}", [])]), None


def keras_model(spec, namespace):
    """``build_model()``: two Dense layers (512 relu, 10 softmax), compiled with rmsprop,
    sparse_categorical_crossentropy and accuracy, softmax outputs."""
    batch = decode(spec["batch"])
    stopped, got = _run("build_model", namespace, lambda: observe.keras_model(namespace["build_model"](), batch))
    if stopped:
        return stopped
    want = spec["expected"][0]
    problems = []
    kinds = [layer["class"] for layer in got["layers"]]
    if not got["is_sequential"] or kinds != ["Dense", "Dense"]:
        problems.append(("keras.Sequential 모델에 Dense 층 2개가 있어야 합니다.",
                         ["- 기대: Sequential, 층 ['Dense', 'Dense']", f"- 받은 값: {got['class']}, 층 {kinds}"]))
    for key, label in (("units", "층의 유닛 수"), ("activation", "활성화 함수")):
        found, wanted = [layer[key] for layer in got["layers"]], [layer[key] for layer in want["layers"]]
        if found != wanted:
            problems.append((f"{label}가 다릅니다.", [f"- 기대값: {wanted}", f"- 받은 값: {found}"]))
    if not got["compiled"] or got["optimizer"] is None:
        problems.append(("모델을 컴파일하지 않았습니다. model.compile(...)을 호출한 뒤 반환하세요.",
                         ["- 옵티마이저, 손실 함수, 지표 세 항목이 컴파일 설정으로 채점됩니다."]))
    else:
        for key, label in (("optimizer", "옵티마이저"), ("loss", "손실 함수")):
            if got[key] != want[key]:
                problems.append((f"{label}가 다릅니다.", [f"- 기대값: {want[key]}", f"- 받은 값: {got[key]}"]))
        if len(got["metrics"]) != 1 or got["metrics"][0] not in ("accuracy", "acc", "sparse_categorical_accuracy"):
            problems.append(("모니터링 지표가 다릅니다.", [f"- 기대값: {want['metrics']}", f"- 받은 값: {got['metrics']}"]))
    output = decode_array(got["output"])
    if output.shape != (len(batch), 10) or not np.allclose(output.sum(axis=1), 1, atol=1e-4):
        problems.append(("출력이 샘플마다 10개 범주의 확률(합 1)이 아닙니다.",
                         [f"- 입력: shape {batch.shape}", f"- 기대: shape ({len(batch)}, 10), 각 행의 합 1",
                          f"- 받은 값: {show.value(output)}"]))
    checked = ["층 구조", "유닛 수", "활성화 함수", "컴파일 설정", "출력"]
    return Outcome("build_model", checked, problems)


def naive_dense(spec, namespace):
    """``NaiveDense``: W (input_size, output_size) uniform in [0, 0.1], b zeros, both
    tf.Variable, ``weights`` = [W, b], output activation(inputs W + b)."""
    tf = _tf()
    inputs = decode(spec["inputs"])
    n_in, n_out = spec["input_size"], spec["output_size"]

    def make():
        tf.random.set_seed(spec["seed"])
        return namespace["NaiveDense"](input_size=n_in, output_size=n_out, activation=tf.nn.relu)

    stopped, layer = _run("NaiveDense", namespace, make)
    if stopped:
        return stopped
    call = f"NaiveDense(input_size={n_in}, output_size={n_out}, activation=tf.nn.relu)"
    problems = []
    # weights and the output looked at apart, as the hidden cases judge them
    stopped, weights = _run("NaiveDense", namespace, lambda: list(layer.weights))
    if stopped:
        if stopped.cause:
            return stopped
        problems.append(("layer.weights를 읽지 못했습니다.", [f"호출: {call}"] + stopped.problems[0][:1]))
        weights = None
    elif observe.nested_weights(observe.weights_payload(weights)) or \
            [tuple(np.shape(w)) for w in weights] != [(n_in, n_out), (n_out,)]:
        shapes = [tuple(np.shape(w)) if not isinstance(w, (list, tuple)) else "리스트" for w in weights]
        problems.append(("weights는 [W, b] 순서로 W: (input_size, output_size), b: (output_size,) 모양이어야 합니다.",
                         [f"호출: {call}", f"- 기대: [{(n_in, n_out)}, {(n_out,)}]", f"- 받은 값: {shapes}"]))
        weights = None
    else:
        if not all(isinstance(w, tf.Variable) for w in weights):
            kinds = [f"{type(w).__module__.split('.')[0]}.{type(w).__name__}" for w in weights]
            problems.append(("W와 b는 tf.Variable이어야 합니다.", [f"- 받은 값: {kinds}"]))
        W, b = (np.asarray(w) for w in weights)
        if not (W.min() >= 0 and W.max() <= 0.1 and W.std() > 0):
            problems.append(("W는 0과 0.1 사이의 균등분포 난수로 초기화해야 합니다.", [f"- 받은 W: {show.value(W)}"]))
        if np.any(b != 0):
            problems.append(("b는 0으로 초기화해야 합니다.", [f"- 받은 b: {show.value(b)}"]))
    stopped, output = _run("NaiveDense", namespace, lambda: np.asarray(layer(inputs)))
    if stopped:
        if stopped.cause:
            return stopped
        headline, details = stopped.problems[0]
        problems.append((f"layer(inputs) (__call__) {headline}", [f"호출: layer(inputs), {call}"] + details))
    elif weights is not None:
        W, b = (np.asarray(w) for w in weights)
        want = np.maximum(inputs @ W + b, 0)
        if output.shape != want.shape or not np.allclose(output, want, atol=1e-5):
            problems.append(("출력이 activation(tf.matmul(inputs, W) + b)와 다릅니다.",
                             [f"호출: layer(inputs), {call}", f"- 입력 inputs: {show.value(inputs)}",
                              f"- 기대값: {show.value(want)}", f"- 받은 값: {show.value(output)}"]))
    return Outcome("NaiveDense", ["weights 모양과 tf.Variable", "초기값", "출력"], problems)


class _Scale:
    """A stand-in layer that is not a Dense layer: x * factor + shift, with weights of its own."""

    def __init__(self, factor, shift, weights):
        self.factor, self.shift, self._weights = factor, shift, weights

    def __call__(self, x):
        return np.asarray(x) * self.factor + self.shift

    @property
    def weights(self):
        return self._weights


def naive_sequential(spec, namespace):
    """``NaiveSequential``: the layers applied in order, ``weights`` of all layers in order."""
    tf = _tf()
    inputs = decode(spec["inputs"])
    layers = [_Scale(2.0, 1.0, [tf.Variable(np.ones((2, 2), np.float32)), tf.Variable(np.zeros(2, np.float32))]),
              _Scale(-1.0, 0.5, [tf.Variable(np.ones((2, 3), np.float32)), tf.Variable(np.zeros(3, np.float32))])]
    stopped, model = _run("NaiveSequential", namespace, lambda: namespace["NaiveSequential"](layers))
    if stopped:
        return stopped
    expected_weights = layers[0].weights + layers[1].weights
    problems = []
    # weights and the output looked at apart, as the hidden cases judge them
    stopped, weights = _run("NaiveSequential", namespace, lambda: list(model.weights))
    if stopped:
        if stopped.cause:
            return stopped
        problems += stopped.problems
    else:
        nested = observe.nested_weights(observe.weights_payload(weights))
        if nested:
            problems.append(("weights는 변수 4개 [W1, b1, W2, b2]가 한 줄로 늘어선 리스트여야 합니다.",
                             [nested, f"- 받은 값: 길이 {len(weights)}인 리스트"]))
        elif len(weights) != 4 or not all(a is b for a, b in zip(weights, expected_weights)):
            problems.append(("weights는 모든 층의 weights를 층 순서대로 이어 붙인 리스트여야 합니다.",
                             ["- 기대: [층1의 W, 층1의 b, 층2의 W, 층2의 b] (4개)",
                              f"- 받은 값: 길이 {len(weights)}, 모양 {[tuple(np.shape(w)) for w in weights]}"]))
    stopped, output = _run("NaiveSequential", namespace, lambda: np.asarray(model(inputs)))
    if stopped:
        if stopped.cause:
            return stopped
        return Outcome("NaiveSequential", ["weights 순서", "출력"], problems + stopped.problems)
    want = (inputs * 2.0 + 1.0) * -1.0 + 0.5
    if output.shape != want.shape or not np.allclose(output, want):
        problems.append(("층을 차례대로 적용한 출력이 아닙니다.",
                         ["호출: NaiveSequential([층1, 층2])(inputs), 층1(x) = 2x + 1, 층2(x) = -x + 0.5",
                          f"- 입력 inputs: {show.value(inputs)}", f"- 기대값: {show.value(want)}",
                          f"- 받은 값: {show.value(output)}"]))
    return Outcome("NaiveSequential", ["weights 순서", "출력"], problems)


def batch_generator(spec, namespace):
    """``BatchGenerator``: num_batches rounded up, batch_size samples per batch in order, the
    last batch holding what is left, batch_size 128 by default."""
    problems = []
    runs = [(spec["sized"], spec["expected"][0], spec["sized"]["batch_size"]),
            (spec["default"], spec["expected"][1], None)]
    for inputs, want, batch_size in runs:
        images, labels = decode(inputs["images"]), decode(inputs["labels"])
        call = f"BatchGenerator(images, labels{f', batch_size={batch_size}' if batch_size else ''})"
        described = [f"호출: {call}, 샘플 {len(images)}개"]
        stopped, got = _run("BatchGenerator", namespace,
                            lambda: observe.batches(namespace["BatchGenerator"], images, labels, batch_size,
                                                    len(want["batches"])))
        if stopped:
            return stopped
        if "num_batches_error" in got:
            problems.append(("num_batches 속성을 읽지 못했습니다.",
                             described + [f"- {show.error({'error': got['num_batches_error']})}"]))
        elif got["num_batches"] != want["num_batches"]:
            problems.append((f"num_batches가 다릅니다: 기대 {want['num_batches']}, 받은 {got['num_batches']}.",
                             described + ["- 마지막의 짧은 배치도 세야 합니다(나눗셈의 몫이 아니라 math.ceil)."]))
        if "next_error" in got:
            error = got["next_error"]
            close = difflib.get_close_matches("next", error.get("names", ()), n=1, cutoff=0.5)
            problems.append(("next()를 부르지 못했습니다.", described + [f"- {show.error({'error': error})}"]
                             + ([f"- 정의된 메서드는 {close[0]}입니다: 이름을 next로 고치세요."] if close else [])))
            break  # the same method fails on the second run too
        sizes = [b["labels"]["shape"][0] for b in got["batches"]]
        wanted = [b["labels"]["shape"][0] for b in want["batches"]]
        if sizes != wanted:
            problems.append(("next()가 돌려준 배치의 크기가 다릅니다.",
                             described + [f"- 기대값: {wanted}", f"- 받은 값: {sizes}",
                                          "- 배치마다 batch_size개씩, 마지막 배치는 남은 샘플만 담습니다."]))
            continue
        for index, (have, ref) in enumerate(zip(got["batches"], want["batches"])):
            if any(not np.array_equal(decode_array(have[part]), decode_array(ref[part])) for part in ("images", "labels")):
                problems.append((f"{index}번째 배치의 내용이 다릅니다.",
                                 described + [f"- 기대값(labels): {show.value(ref['labels'])}",
                                              f"- 받은 값(labels): {show.value(have['labels'])}"]))
                break
    once = {headline: details for headline, details in reversed(problems)}  # a cause seen in both runs, once
    problems = [(headline, once.pop(headline)) for headline, _ in problems if headline in once]
    return Outcome("BatchGenerator", ["num_batches", "배치 크기와 순서", "기본 batch_size=128"], problems)


def update_weights(spec, namespace):
    """``update_weights(gradients, weights)``: each w becomes w - learning_rate * g, for the
    weights it is given, not those of the global ``model``."""
    tf = _tf()
    weights, gradients = [decode(w) for w in spec["weights"]], [decode(g) for g in spec["gradients"]]
    decoy = types.SimpleNamespace(weights=[tf.Variable(decode(w)) for w in spec["decoy"]])
    before = [np.asarray(w).copy() for w in decoy.weights]
    stopped, got = _run("update_weights", namespace, lambda: observe.update(
        namespace["update_weights"], globals_of(namespace["update_weights"], namespace), weights, gradients, decoy))
    if stopped:
        return stopped
    want = spec["expected"][0]
    problems = []
    if any(not np.array_equal(decode_array(after), old) for after, old in zip(got["global"], before)):
        # one slip, one message: the weights given stay as they were for the same reason
        return Outcome("update_weights", ["갱신한 값", "인자 weights 사용"], [(
            "인자로 받은 weights가 아니라 전역 변수 model의 가중치를 바꿨습니다.",
            ["- for g, w in zip(gradients, weights)처럼 인자 weights를 사용하세요."])])
    for index, (have, ref) in enumerate(zip(got["weights"], want["weights"])):
        have, ref = decode_array(have), decode_array(ref)
        if have.shape != ref.shape or not np.allclose(have, ref, atol=1e-6):
            problems.append((f"weights[{index}]가 w - learning_rate * g로 바뀌지 않았습니다.",
                             [f"- 입력 weights[{index}]: {show.value(weights[index])}",
                              f"- 입력 gradients[{index}]: {show.value(gradients[index])}",
                              f"- 기대값: {show.value(ref)}", f"- 받은 값: {show.value(have)}"]))
            break
    return Outcome("update_weights", ["갱신한 값", "인자 weights 사용"], problems)


def one_training_step(spec, namespace):
    """``one_training_step``: the batch's mean loss returned, and one update_weights call with
    the gradients of that loss for model.weights."""
    W, images, labels = observe.decoded(spec, "W", "images", "labels")
    stopped, got = _run("one_training_step", namespace, lambda: observe.training_step(
        namespace["one_training_step"], globals_of(namespace["one_training_step"], namespace), W, images, labels))
    if stopped:
        return stopped
    want = spec["expected"][0]
    problems = []
    loss, expected_loss = np.asarray(decode(got["loss"]), np.float64), np.asarray(decode(want["loss"]), np.float64)
    if loss.shape != () or not np.allclose(loss, expected_loss, atol=1e-5):
        problems.append(("배치의 평균 손실(스칼라)을 반환해야 합니다.",
                         [f"- 기대값: {show.value(expected_loss)}", f"- 받은 값: {show.value(loss)}"]))
    if len(got["calls"]) != 1:
        problems.append((f"update_weights를 한 번 호출해야 하는데 {len(got['calls'])}번 호출했습니다.", []))
    else:
        call, ref = got["calls"][0], want["calls"][0]
        if not call["same_weights"]:
            problems.append(("update_weights에 model.weights를 넘겨야 합니다.", []))
        gradients = call["gradients"]
        if len(gradients) != len(ref["gradients"]) or any(
                g is None or not np.allclose(decode_array(g), decode_array(r), atol=1e-5)
                for g, r in zip(gradients, ref["gradients"])):
            problems.append(("update_weights에 넘긴 그레이디언트가 평균 손실의 model.weights에 대한 그레이디언트가 아닙니다.",
                             [f"- 기대값: {show.value(decode_array(ref['gradients'][0]))}",
                              f"- 받은 값: {'None' if not gradients or gradients[0] is None else show.value(decode_array(gradients[0]))}"]))
    return Outcome("one_training_step", ["평균 손실", "update_weights 호출"], problems)


def fit(spec, namespace):
    """``fit``: a new BatchGenerator(images, labels, batch_size) per epoch, and
    one_training_step for each of its num_batches batches."""
    images, labels = observe.decoded(spec, "images", "labels")
    epochs, batch_size = spec["epochs"], spec["batch_size"]
    stopped, got = _run("fit", namespace, lambda: observe.fit_calls(
        namespace["fit"], globals_of(namespace["fit"], namespace), images, labels, epochs, batch_size,
        spec["num_batches"]))
    if stopped:
        return stopped
    want = spec["expected"][0]
    call = [f"호출: fit(model, images, labels, epochs={epochs}, batch_size={batch_size})"]
    problems = []
    if len(got["generators"]) != len(want["generators"]):
        problems.append((f"에포크마다 BatchGenerator를 새로 만들어야 합니다: 기대 {len(want['generators'])}번, "
                         f"받은 {len(got['generators'])}번.", call))
    elif got["generators"] != want["generators"]:
        problems.append(("BatchGenerator에 batch_size를 넘기지 않았습니다.",
                         call + [f"- 기대: BatchGenerator(..., batch_size={batch_size})",
                                 f"- 받은 값: batch_size={got['generators'][0]}"]))
    if got["steps"] != want["steps"]:
        problems.append((f"one_training_step을 epochs × num_batches번 호출해야 합니다: 기대 {want['steps']}번, "
                         f"받은 {got['steps']}번.", call))
    return Outcome("fit", ["에포크 수", "batch_size 전달", "배치마다 훈련"], problems)
