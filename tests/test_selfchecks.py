"""The notebook's self-checks (``grader.check``), run here as the setup cell builds them: the
reference passes every one, typical wrong answers each fail theirs with a Korean report that
shows what was called, what was expected and what came back (shapes first), an untouched stub
gives one clean line, and no public input is a hidden one. Chapter 2 and "2장 심화" (ch02_plus)
alike; ch02_plus's wrong answers come from its corpus (``corpus/ch02_plus.py``)."""

from __future__ import annotations

import importlib
import json
import linecache
from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from autograder import assignment as registry
from autograder.engine.function_cases import public_check, Call
from autograder.kernel_side import runtime
from autograder.targets import notebooks, selfcheck
from autograder.targets.build import assignment_answer_key_file

# Typical wrong answers: (object's question, the object, its wrong definition or the name of the corpus
# variant that holds it, a word the report must hold).
WRONG = [
    ("q3_elementwise", "naive_relu", """
def naive_relu(x):
    assert len(x.shape) == 2
    return x.copy()
""", "결과 값이 다릅니다"),  # returns its input
    ("q3_elementwise", "naive_relu", "relu-vectorised", "np.maximum"),  # vectorised
    ("q3_elementwise", "naive_relu", "relu-mutates-input", "입력 어레이를 직접 수정"),  # no copy
    ("q3_elementwise", "naive_relu", """
def naive_relu(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[i, j] = max(x[i, j], 0)
    return z
""", "dtype"),  # loses the input's dtype
    ("q3_elementwise", "naive_add", "add-without-asserts", "assert"),  # no asserts
    ("q3_elementwise", "naive_add", """
def naive_add(x, y):
    assert len(x.shape) == 2 and x.shape == y.shape
    return x + y
""", "반복문"),  # whole-array arithmetic
    ("q4_broadcasting", "naive_add_matrix_and_vector", """
def naive_add_matrix_and_vector(x, y):
    assert len(x.shape) == 2 and len(y.shape) == 1 and x.shape[1] == y.shape[0]
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[i % len(y)]
    return x
""", "결과 값이 다릅니다"),  # adds along the wrong axis
    ("q5_dot", "naive_vector_dot", """
def naive_vector_dot(x, y):
    assert len(x.shape) == 1 and len(y.shape) == 1 and x.shape[0] == y.shape[0]
    z = 0.
    for i in range(x.shape[0] - 1):
        z += x[i] * y[i]
    return z
""", "결과 값이 다릅니다"),  # off by one
    ("q5_dot", "naive_matrix_vector_dot", """
def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2 and len(y.shape) == 1 and x.shape[1] == y.shape[0]
    z = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        z[i] = (x[i] * y).sum()
    return z
""", ".sum"),  # whole rows
    ("q5_dot", "naive_matrix_dot", """
def naive_matrix_dot(x, y):
    assert len(x.shape) == 2 and len(y.shape) == 2 and x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if j < y.shape[1]:
                z[i, j] = naive_vector_dot(x[i, :], y[:, j])
    return z
""", "결과 값이 다릅니다"),  # loops over the wrong axis
    ("q6_transpose", "naive_transpose", """
def naive_transpose(x):
    assert len(x.shape) == 2
    return x.copy()
""", "모양"),  # returns its input
    ("q6_transpose", "naive_transpose", "transpose-loses-dtype", "dtype"),  # loses the input's dtype
    ("q1_keras_mnist", "preprocess_images", "preprocess-forgets-scaling", "결과 값이 다릅니다"),  # forgets to scale
    ("q1_keras_mnist", "preprocess_images", """
def preprocess_images(images):
    return images.reshape((len(images), 28 * 28)) / 255
""", "float32"),  # float64
    ("q1_keras_mnist", "build_model", "model-not-compiled", "컴파일하지 않았습니다"),  # never compiled
    ("q1_keras_mnist", "build_model", "model-with-sgd", "옵티마이저"),
    ("q2_tensor_slicing", "crop_center", "crop-center-off-by-one", "모양"),
    ("q2_tensor_slicing", "get_batch", "get-batch-ignores-batch-size", "결과"),  # ignores batch_size
    ("q7_gradient_tape", "grad_quadratic", """
def grad_quadratic(x0):
    x = tf.Variable(0.)
    with tf.GradientTape() as tape:
        y = x**2 + 2*x + 3
    return tape.gradient(y, x)
""", "결과 값이 다릅니다"),  # always at 0
    ("q7_gradient_tape", "grad_dense", """
def grad_dense(x, W, b):
    W, b = tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    return tape.gradient(y, W)
""", "리스트"),  # the wrong return format
    ("q8_from_scratch", "NaiveDense", "dense-zero-init", "균등분포"),
    ("q8_from_scratch", "NaiveSequential", """
class NaiveSequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def weights(self):
        return self.layers[0].weights
""", "weights"),
    ("q8_from_scratch", "BatchGenerator", """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = len(images) // batch_size

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels
""", "num_batches"),  # floor instead of ceil
    ("q8_from_scratch", "update_weights", """
def update_weights(gradients, weights):
    for g, w in zip(gradients, model.weights):
        w.assign_sub(g * learning_rate)
""", "전역 변수 model"),  # the course text's slip
    ("q8_from_scratch", "one_training_step", """
def one_training_step(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels_batch, predictions))
    return loss
""", "update_weights"),  # forgets the update
    ("q8_from_scratch", "fit", """
def fit(model, images, labels, epochs, batch_size=128):
    for epoch_counter in range(epochs):
        batch_generator = BatchGenerator(images, labels)
        for batch_counter in range(batch_generator.num_batches):
            images_batch, labels_batch = batch_generator.next()
            loss = one_training_step(model, images_batch, labels_batch)
""", "batch_size"),  # the course text's slip
    ("q8_from_scratch", "fit", """
def fit(model, images, labels, epochs, batch_size=128):
    batch_generator = BatchGenerator(images, labels, batch_size)
    for batch_counter in range(batch_generator.num_batches):
        images_batch, labels_batch = batch_generator.next()
        loss = one_training_step(model, images_batch, labels_batch)
""", "epochs번"),  # one epoch only
    ("q8_from_scratch", "NaiveDense", "dense-forgets-activation", "activation(matmul(inputs, W) + b)"),  # forgets the activation
    ("q8_from_scratch", "BatchGenerator", """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        return images, labels
""", "다음 배치"),  # never moves on
    ("q8_from_scratch", "update_weights", """
def update_weights(gradients, weights):
    for g, w in zip(gradients, weights):
        w.assign_sub(g * 1e-2)
""", "learning_rate=0.001"),  # another learning rate
    ("q8_from_scratch", "one_training_step", """
def one_training_step(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        loss = tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(labels_batch, predictions))
    gradients = tape.gradient(loss, model.weights)
    update_weights(gradients, model.weights)
    return loss
""", "평균 손실"),  # the sum, not the mean
    ("q1_keras_mnist", "build_model", """
def build_model():
    model = keras.Sequential([layers.Dense(256, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
""", "유닛 수"),
]


# ch02_plus: (the object's question, the object, its corpus variant or wrong definition, a word the report must hold).
WRONG_PLUS = [
    ("q1_softmax", "naive_softmax", "softmax-unstable", "최댓값을 빼세요"),
    ("q1_softmax", "naive_softmax", "softmax-always-float64", "dtype이 float32"),
    ("q1_softmax", "naive_softmax", "softmax-overwrites-float-input", "입력 어레이를 직접 수정"),
    ("q1_softmax", "naive_softmax", """
def naive_softmax(x):
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        top = np.max(x[i])
        total = 0.
        for j in range(x.shape[1]):
            z[i, j] = math.exp(float(x[i, j]) - float(top))
            total += z[i, j]
        for j in range(x.shape[1]):
            z[i, j] /= total
    return z.astype(np.float32) if x.dtype == np.float32 else z
""", "np.max"),  # the assignment's stricter rule (chapter 2's allows np.max)
    ("q2_crossentropy", "naive_sparse_categorical_crossentropy", "crossentropy-sum-not-mean", "평균"),
    ("q2_crossentropy", "naive_sparse_categorical_crossentropy", "crossentropy-no-clipping", "1e-7"),
    ("q2_crossentropy", "naive_sparse_categorical_crossentropy", "crossentropy-vectorised", "np.mean"),
    ("q3_dense_backward", "dense_backward", "backward-db-not-summed", "db의 모양"),
    ("q3_dense_backward", "dense_backward", "backward-relu-mask-geq-zero", "z = 0 포함"),
    ("q3_dense_backward", "dense_backward", "backward-always-float64", "자료형"),
    ("q3_dense_backward", "dense_backward", "backward-mutates-grad-out", "직접 수정했습니다: grad_out"),
    ("q3_dense_backward", "dense_backward", "backward-tape-under-alias", "자동 미분"),
    ("q4_numeric_gradient", "numeric_gradient", "numgrad-forgets-to-restore", "상대 오차"),
    ("q4_numeric_gradient", "numeric_gradient", "numgrad-ignores-eps", "eps=0.0001"),
    ("q4_numeric_gradient", "numeric_gradient", "numgrad-restores-by-arithmetic", "비트 하나까지"),
    ("q4_numeric_gradient", "numeric_gradient", "numgrad-only-2d", "np.ndindex"),
    ("q5_momentum", "update_weights_momentum", "momentum-torch-convention", "케라스 SGD"),
    ("q5_momentum", "update_weights_momentum", "momentum-hardcoded-hyperparameters", "인자의 값을 사용"),
    ("q5_momentum", "update_weights_momentum", "momentum-rebinds-weights", "제자리에서"),
]


def corpus_source(assignment_id: str, name: str, plain: str) -> str:
    """An assignment's corpus variant's source of ``name``, by variant name (or ``plain`` itself,
    a definition written here)."""
    variants = importlib.import_module(f"corpus.{assignment_id}").VARIANTS
    found = [v.replace[name] for v in variants if v.name == plain]
    return found[0] if found else plain


ASSIGNMENTS = ["ch02", "ch02_plus"]
CASES = [("ch02", *wrong) for wrong in WRONG] + [("ch02_plus", *wrong) for wrong in WRONG_PLUS]


@pytest.fixture(scope="module")
def setup_cells(tmp_path_factory):
    """Per assignment: the setup cell's source, and the folder it runs in (it writes the test files there)."""
    @lru_cache(maxsize=None)
    def made(assignment_id):
        assignment = registry.get(assignment_id)
        return selfcheck.setup_source(assignment), tmp_path_factory.mktemp(f"selfcheck_{assignment_id}")
    return made


@pytest.fixture(scope="module")
def setup_cell(setup_cells):
    return setup_cells("ch02")


def run_cell(namespace: dict, source: str, filename: str) -> None:
    """Run ``source`` as a notebook cell would (its own file name, in linecache for getsource)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)


def fresh_notebook(setup, monkeypatch) -> dict:
    """A fresh namespace where the setup cell ``setup`` (source, folder) and the imports ran."""
    source, folder = setup
    monkeypatch.chdir(folder)
    namespace = {"__name__": "__main__"}
    run_cell(namespace, source, str(folder / "cell_setup.py"))
    run_cell(namespace, "import math\nimport numpy as np\nimport tensorflow as tf\nfrom tensorflow import keras\n"
                        "from tensorflow.keras import layers\n", str(folder / "cell_imports.py"))
    return namespace


@pytest.fixture
def notebook(setup_cell, monkeypatch):
    """A fresh chapter-2 namespace where the setup cell ran."""
    return fresh_notebook(setup_cell, monkeypatch)


@pytest.fixture(params=ASSIGNMENTS)
def any_notebook(request, setup_cells, monkeypatch):
    """(assignment, namespace where its setup cell ran, its folder), for each assignment."""
    setup = setup_cells(request.param)
    return registry.get(request.param), fresh_notebook(setup, monkeypatch), setup[1]


def with_answer_key(namespace, folder, assignment):
    run_cell(namespace, assignment_answer_key_file(assignment).read_text(encoding="utf-8"),
             str(folder / "cell_answers.py"))


def test_the_reference_passes_every_self_check(any_notebook):
    assignment, notebook, folder = any_notebook
    with_answer_key(notebook, folder, assignment)
    for question in assignment.questions:
        report = notebook["grader"].check(question.id, notebook)
        assert report.passed, report.text()
        assert len(report.outcomes) == len(question.public) and "모두 통과했습니다" in report.text()


@pytest.mark.parametrize("assignment_id, question_id, name, source, word", CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_a_typical_wrong_answer_fails_its_self_check(setup_cells, monkeypatch, assignment_id, question_id, name,
                                                     source, word):
    setup = setup_cells(assignment_id)
    notebook = fresh_notebook(setup, monkeypatch)
    with_answer_key(notebook, setup[1], registry.get(assignment_id))
    run_cell(notebook, corpus_source(assignment_id, name, source), str(setup[1] / f"cell_{name}.py"))
    report = notebook["grader"].check(question_id, notebook)
    [outcome] = [o for o in report.outcomes if o.name == name]
    text = "\n".join(outcome.lines())
    assert not outcome.passed and word in text, text
    # one cause, one message: the other objects pass, or (calling the wrong one) say they call it
    for other in report.outcomes:
        if other.name != name:
            assert other.passed or f"이 함수는 {name}을(를) 호출합니다" in "\n".join(other.lines()), report.text()


# Slips whose self-check used to mislead (issue "What a student reads is true"): (assignment, question, object,
# definition, words the report must hold, words it must not hold, the number of problems it reports).
IN_THE_STUDENTS_TERMS = [
    ("ch02", "q8_from_scratch", "NaiveSequential", """
class NaiveSequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        x = inputs
        for layer in self.layers:
            x = layer(x)
        return x

    @property
    def weights(self):
        weights = []
        for layer in self.layers:
            weights.append(layer.weights)
        return weights
""", ("한 줄로 늘어선", "append"), ("inhomogeneous", "예외가 발생했습니다"), 1),
    ("ch02", "q8_from_scratch", "update_weights", """
learning_rate = 1e-3

def update_weights(gradients, weights):
    for g, w in zip(gradients, model.weights):
        w.assign_sub(g * learning_rate)
""", ("전역 변수 model",), ("w - learning_rate * g로 바뀌지",), 1),  # the hidden check deducts it once
    ("ch02_plus", "q5_momentum", "update_weights_momentum", "momentum-velocity-not-kept",
     ("velocities에 새 속도", "저장하지 않으면"), ("인자의 값을 사용",), 1),
    ("ch02_plus", "q5_momentum", "update_weights_momentum", "momentum-hardcoded-hyperparameters",
     ("learning_rate, momentum의 값이 결과에 영향을 주지 않습니다",), ("저장하지 않으면",), None),
    ("ch02_plus", "q1_softmax", "naive_softmax", """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros_like(x)
    for i in range(x.shape[0]):
        top = x[i, 0]
        for j in range(x.shape[1]):
            top = max(top, x[i, j])
        total = 0.0
        for j in range(x.shape[1]):
            z[i, j] = math.exp(float(x[i, j]) - float(top))
            total += math.exp(float(x[i, j]) - float(top))
        for j in range(x.shape[1]):
            z[i, j] = z[i, j] / total
    return z
""", ("정수 어레이에 확률을 써 넣으면 잘립니다",), (), None),
]


@pytest.mark.parametrize("assignment_id, question_id, name, source, words, absent, count", IN_THE_STUDENTS_TERMS,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(IN_THE_STUDENTS_TERMS)])
def test_a_self_check_says_what_is_wrong_in_the_students_terms(setup_cells, monkeypatch, assignment_id, question_id,
                                                               name, source, words, absent, count):
    setup = setup_cells(assignment_id)
    notebook = fresh_notebook(setup, monkeypatch)
    with_answer_key(notebook, setup[1], registry.get(assignment_id))
    run_cell(notebook, corpus_source(assignment_id, name, source), str(setup[1] / f"cell_{name}.py"))
    report = notebook["grader"].check(question_id, notebook)
    [outcome] = [o for o in report.outcomes if o.name == name]
    text = "\n".join(outcome.lines())
    assert not outcome.passed and all(word in text for word in words), text
    assert not any(word in text for word in absent), text
    if count is not None:
        assert len(outcome.problems) == count, text


def test_the_helper_note_only_when_the_helper_failed(setup_cell, monkeypatch):
    """"이 함수는 naive_vector_dot을 호출합니다" is shown only when naive_vector_dot's own self-check
    failed; a bug of the caller alone gets no such note."""
    notebook = fresh_notebook(setup_cell, monkeypatch)
    with_answer_key(notebook, setup_cell[1], registry.get("ch02"))
    run_cell(notebook, """
def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2 and len(y.shape) == 1 and x.shape[1] == y.shape[0]
    z = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        z[i] = naive_vector_dot(x[i, :], y) + 1
    return z
""", str(setup_cell[1] / "cell_mv.py"))
    report = notebook["grader"].check("q5_dot", notebook)
    [outcome] = [o for o in report.outcomes if o.name == "naive_matrix_vector_dot"]
    assert not outcome.passed and "호출합니다" not in "\n".join(outcome.lines())


@pytest.mark.parametrize("assignment_id, wrong", [("ch02", WRONG), ("ch02_plus", WRONG_PLUS)])
def test_wrong_answers_cover_every_question_and_are_at_least_ten(assignment_id, wrong):
    assert len(wrong) >= 10
    assert {question_id for question_id, *_ in wrong} == {q.id for q in registry.get(assignment_id).questions}


def test_the_right_answers_of_the_ch02_plus_corpus_pass_their_self_checks(setup_cells, monkeypatch):
    """No false alarm: every answer the corpus calls right (in another style) passes."""
    from corpus.ch02_plus import VARIANTS

    plus = registry.get("ch02_plus")
    questions = {name: question.id for question in plus.questions for name in question.objects}
    setup = setup_cells("ch02_plus")
    notebook = fresh_notebook(setup, monkeypatch)
    right = [(name, source) for v in VARIANTS if v.kind == "right" for name, source in v.replace.items()]
    assert len(right) >= 10
    for name, source in right:
        run_cell(notebook, source, str(setup[1] / f"cell_{name}.py"))
        report = notebook["grader"].check(questions[name], notebook)
        assert report.passed, report.text()


def test_a_failure_shows_the_call_expected_and_got_shapes_first(ch02, notebook, setup_cell):
    with_answer_key(notebook, setup_cell[1], ch02)
    run_cell(notebook, WRONG[10][2], str(setup_cell[1] / "cell_transpose.py"))  # returns its input
    text = notebook["grader"].check("q6_transpose", notebook).text()
    lines = text.splitlines()
    assert lines[0] == "q6_transpose 자가 점검: 1개 중 0개 통과"
    assert lines[1] == "❌ naive_transpose: 결과의 모양(shape)이 다릅니다."
    details = [line for line in lines[2:] if line.startswith("    ") and not line.startswith("      ")]
    assert details[0] == "    호출: naive_transpose(x)"
    assert details[1].startswith("    - 입력 x: shape (2, 3), int64: ")
    assert details[2].startswith("    - 기대값: shape (3, 2), int64: ")
    assert details[3].startswith("    - 받은 값: shape (2, 3), int64: ")
    assert all(line.startswith(("❌", "    ")) for line in lines[1:])  # array rows stay inside the block


@lru_cache(maxsize=None)
def student_notebook(assignment_id):
    from autograder.targets.build import student_and_solution

    return student_and_solution(registry.get(assignment_id))[0]


def test_an_untouched_stub_gives_one_korean_line_per_object(any_notebook):
    assignment, notebook, folder = any_notebook
    for cell in notebooks.cells_with_role(student_notebook(assignment.id), "stub"):
        run_cell(notebook, cell.source, str(folder / f"cell_{cell.id}.py"))
    for question in assignment.questions:
        text = notebook["grader"].check(question.id, notebook).text()
        lines = text.splitlines()
        assert lines[1:] == [f"❌ {check.object}: 아직 구현하지 않았습니다." for check in question.public], text
        for noise in ("Trying", "Expected", "Got", "Traceback", "NameError", "_got", "doctest", "위의"):
            assert noise not in text


def test_an_object_not_yet_defined_says_so_once(ch02, notebook):
    text = notebook["grader"].check("q6_transpose", notebook).text()
    assert text.splitlines()[1:] == ["❌ naive_transpose: 정의되어 있지 않습니다. 정의하는 셀을 먼저 실행하세요."]


def test_a_name_missing_inside_the_function_is_shown_as_such(ch02, notebook, setup_cell):
    with_answer_key(notebook, setup_cell[1], ch02)
    run_cell(notebook, "def naive_transpose(x):\n    return numpy.zeros((x.shape[1], x.shape[0]))\n",
             str(setup_cell[1] / "cell_numpy.py"))
    text = notebook["grader"].check("q6_transpose", notebook).text()
    assert "❌ naive_transpose: 호출하자 예외가 발생했습니다." in text
    assert "정의되지 않은 이름이 있습니다: name 'numpy' is not defined" in text and "정의되어 있지 않습니다" not in text


def test_an_unknown_question_is_one_korean_line(notebook):
    assert "이런 이름의 문제가 없습니다" in notebook["grader"].check("q9_nothing", notebook).text()


# ---------------------------------------------------------------- the inputs


def _payloads(spec) -> list[dict]:
    if isinstance(spec, dict):
        if spec.get("t") == "str":  # a string argument (``activation="relu"``)
            return []
        if "t" in spec and ("data" in spec or "v" in spec) or {"dtype", "shape", "data"} <= set(spec):
            return [spec]
        return [found for value in spec.values() for found in _payloads(value)]
    if isinstance(spec, (list, tuple)):
        return [found for value in spec for found in _payloads(value)]
    return []


def _arrays(spec) -> list[np.ndarray]:
    found = []
    for payload in _payloads(spec):
        value = runtime.decode(payload) if "t" in payload else runtime.decode_array(payload)
        found.append(np.asarray(value))
    return found


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))


@pytest.mark.parametrize("assignment_id", ["ch02", "ch02_plus", "tiny"])
def test_public_and_hidden_inputs_are_disjoint(assignment_id):
    for question in registry.get(assignment_id).questions:
        hidden = [a for spec in question.specs.values() for a in _arrays(spec)]
        public = [a for check in question.public for a in _arrays([check.spec, list(check.probes)])]
        assert public, question.id
        shared = [p for p in public if p.size > 1 and any(_same(p, h) for h in hidden)]
        assert shared == [], question.id
        scalars = {float(h) for h in hidden if h.ndim == 0 and h.dtype.kind == "f"}
        assert not [float(p) for p in public if p.ndim == 0 and p.dtype.kind == "f" and float(p) in scalars]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_graded_object_has_a_self_check_on_two_inputs_or_more(assignment_id):
    for question in registry.get(assignment_id).questions:
        assert [check.object for check in question.public] == list(question.objects), question.id
        for check in question.public:
            if check.check == "function" or "calls" in check.spec:
                assert len(check.spec["calls"]) >= 2, check.object


def test_self_checks_of_naive_functions_take_int_and_float_negative_and_non_square(ch02):
    for question in ch02.questions:
        for check in question.public:
            if not check.object.startswith("naive_"):
                continue
            firsts = [np.asarray(runtime.decode(call["args"][0])) for call in check.spec["calls"]]
            assert {a.dtype.kind for a in firsts} == {"i", "f"}, check.object
            assert any((a < 0).any() for a in firsts), check.object
            assert any(a.ndim == 2 and a.shape[0] != a.shape[1] for a in firsts) or firsts[0].ndim == 1, check.object
            assert check.spec["bad_calls"] and check.spec["naive"], check.object


def test_a_self_check_needs_two_inputs():
    with pytest.raises(ValueError):
        public_check("f", [Call((np.zeros(2),))])


# ---------------------------------------------------------------- submitting (grader.export)


def test_export_in_colab_tells_how_to_download_and_writes_nothing(notebook, setup_cell, monkeypatch, capsys):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert notebook["grader"].export() is None
    printed = capsys.readouterr().out
    assert "파일 → 다운로드 → .ipynb 다운로드" in printed and "강의에서 안내한 제출처" in printed and "Gradescope" not in printed
    assert not list(setup_cell[1].glob("*.zip"))


def test_export_refuses_a_file_that_still_holds_stubs_the_session_filled_in(ch02, notebook, setup_cell,
                                                                             built_notebooks, capsys):
    student, _ = built_notebooks
    folder = setup_cell[1]
    notebooks.write_notebook(student, folder / "ch02.ipynb")  # saved before any work
    with_answer_key(notebook, folder, ch02)  # ... while the session has every answer
    run_cell(notebook, "naive_relu_result = grader.export()", str(folder / "cell_export.py"))
    printed = capsys.readouterr().out
    assert notebook["naive_relu_result"] is None and not list(folder.glob("*.zip"))
    assert printed.startswith("제출 파일을 만들지 않았습니다. 저장된 파일(ch02.ipynb)에는 preprocess_images, build_model,")
    assert "파일 → 저장(Ctrl+S)" in printed


def test_export_zips_a_saved_notebook(ch02, notebook, setup_cell, built_notebooks, capsys):
    import zipfile

    _, solution = built_notebooks
    folder = setup_cell[1]
    notebooks.write_notebook(solution, folder / "ch02.ipynb")
    with_answer_key(notebook, folder, ch02)
    run_cell(notebook, "grader.export()", str(folder / "cell_export.py"))
    [archive] = list(folder.glob("ch02_*.zip"))
    assert "ch02.ipynb" in zipfile.ZipFile(archive).namelist()
    archive.unlink()


def test_export_finds_the_running_notebook_by_its_session_name(tmp_path, monkeypatch):
    from autograder.kernel_side import notebook as submitting

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ch02.ipynb").write_text("{}")
    (tmp_path / "ch02 (1).ipynb").write_text("{}")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "ch02 (1).ipynb"))
    assert submitting.notebook_path({}, "ch02.ipynb") == "ch02 (1).ipynb"
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert submitting.notebook_path({"__vsc_ipynb_file__": str(tmp_path / "ch02 (1).ipynb")}) == "ch02 (1).ipynb"
    assert submitting.notebook_path({}, "ch02.ipynb") == "ch02.ipynb"
    assert submitting.notebook_path({}) is None  # two notebooks here and nothing says which


def test_a_rule_travels_as_plain_data():
    from autograder.ch02_plus.common import NAIVE_RULE
    from autograder.ch02_plus.q3_dense_backward import AUTODIFF_RULE
    from autograder.kernel_side import naive_rule

    for rule in (naive_rule.NAIVE, NAIVE_RULE, AUTODIFF_RULE):
        assert naive_rule.Rule.from_json(json.loads(json.dumps(rule.to_json()))) == rule


@pytest.mark.parametrize("judge, stand_in, kind", [
    ("value", lambda want, observation: ("같은 판정", "-"), "values"),
    ("input_kept", lambda observation: False, "unchanged"),
    ("refused", lambda observation: False, "asserts"),
    ("naive", lambda *args, **kwargs: ("같은 판정", []), "naive"),
])
def test_a_function_case_and_its_self_check_share_one_judge(ch02, monkeypatch, judge, stand_in, kind):
    """One judge per property: change the judge (``kernel_side.judging``) and the hidden case and
    the self-check both change, on the answer key itself."""
    from autograder.engine.cases import judge_question
    from autograder.engine.grade import expected_observations, probe_table
    from autograder.kernel_side import judging
    from autograder.kernel_side import selfcheck as kernel_selfcheck

    question = ch02.question("q6_transpose")
    namespace, table = ch02.answer_key_namespace(), probe_table(ch02)
    observed = {key: runtime.run_probe(spec, namespace, table) for key, spec in question.specs.items()}
    [(_, spec)] = selfcheck.public_specs(ch02, question)
    assert all(c.passed for c in judge_question(question, observed, expected_observations(ch02)[question.id]))
    assert kernel_selfcheck.function_check(spec, namespace).passed
    monkeypatch.setattr(judging, judge, stand_in)
    [name] = [c.name for c in question.cases if c.kind == kind]
    [case] = [c for c in judge_question(question, observed, expected_observations(ch02)[question.id]) if c.name == name]
    outcome = kernel_selfcheck.function_check(spec, namespace)
    assert not case.passed and not outcome.passed
    if judge in ("value", "naive"):
        assert "같은 판정" in case.message and "같은 판정" in "\n".join(outcome.lines())


def test_an_object_under_a_near_name_is_named(ch02, notebook, setup_cell):
    run_cell(notebook, "def native_relu(x):\n    return x\n", str(setup_cell[1] / "cell_native.py"))
    text = notebook["grader"].check("q3_elementwise", notebook).text()
    assert "native_relu이(가) 정의되어 있습니다. 채점하는 이름은 naive_relu입니다" in text, text


# ---------------------------------------------------------------- one check, one definition


@pytest.mark.parametrize("question_id", ["q1_keras_mnist", "q8_from_scratch"])
def test_each_case_and_the_self_check_of_its_object_share_one_judge(ch02, question_id):
    """Every case of the Keras model and of 2.5 (the training aside) wraps one judge of
    ``judges.py``, and the self-check of its object runs that same function, found in the
    notebook by the name its spec gives; a self-check runs no judge of its own."""
    from autograder.ch02 import judges

    question = ch02.question(question_id)
    checks = {check.object: check for check in question.public}
    shared = [case for case in question.cases if case.judged_by is not None]
    others = [case.name for case in question.cases if case.judged_by is None and case.object != "preprocess_images"]
    assert others == ([] if question_id == "q1_keras_mnist" else ["훈련: 10 에포크 후 테스트 정확도 ≥ 0.8"])
    for case in shared:
        assert case.judged_by.__module__ == judges.__name__, case.name
        assert case.judged_by in checks[case.object].judges, case.name
    for check in question.public:
        if check.check != "probes":
            continue
        assert set(check.judges) == {case.judged_by for case in shared if case.object == check.object}, check.object
        module, listed = check.spec["judges"]
        named = [getattr(importlib.import_module(module), name) for _, name, _ in listed]
        assert named == list(check.judges), check.object
        run_on_the_key = [probe for probe, used in zip(check.spec["probes"], check.spec["referenced"]) if used]
        assert run_on_the_key == list(check.probes), check.object


def test_a_judge_of_judges_py_decides_the_hidden_case_and_the_self_check(ch02, monkeypatch):
    """Change a judge and both sides change, on the answer key itself: the hidden case (built
    again) and the self-check of its object."""
    from autograder.ch02 import judges
    from autograder.engine.cases import judge_question
    from autograder.engine.grade import expected_observations, probe_table
    from autograder.kernel_side import selfcheck as kernel_selfcheck

    namespace, table = ch02.answer_key_namespace(), probe_table(ch02)
    question = ch02.question("q8_from_scratch")
    specs = {key: spec for key, spec in question.specs.items() if key.target == "BatchGenerator"}
    observed = {key: runtime.run_probe(spec, namespace, table) for key, spec in specs.items()}
    expected = expected_observations(ch02)["q8_from_scratch"]
    [(_, spec)] = [found for found in selfcheck.public_specs(ch02, question) if found[0] == "BatchGenerator"]

    def cases():
        from autograder.ch02 import q8_from_scratch

        rebuilt = q8_from_scratch.question()
        batch_cases = tuple(c for c in rebuilt.cases if c.object == "BatchGenerator")
        return judge_question(replace(rebuilt, cases=batch_cases), observed, expected)

    assert all(c.passed for c in cases()) and kernel_selfcheck.probe_check(spec, namespace).passed
    def batch_count(spec, got, want):
        return False, "같은 판정", {}

    batch_count.__module__ = judges.__name__  # as if written there
    monkeypatch.setattr(judges, "batch_count", batch_count)
    [count] = [c for c in cases() if "num_batches" in c.name]
    outcome = kernel_selfcheck.probe_check(spec, namespace)
    assert not count.passed and count.message == "같은 판정"
    assert not outcome.passed and outcome.problems == [("같은 판정", [])]


def test_the_notebook_carries_no_known_good_stand_in(ch02):
    """The self-checks ship the observation code and the judges; the probes with known-good
    stand-ins (answers of a sort) stay out of the student notebook, and only the answer key's
    observations of public probes travel with it."""
    source = selfcheck.setup_source(ch02)
    assert "autograder.ch02.judges" in source and "autograder.ch02.observe" in source
    assert "autograder.ch02.probes" not in source and "autograder.ch02.selfchecks" not in source
    for answer in ("class _Layer", "def _sgd_update", "class _Batches", "def _naive_vector_dot"):
        assert answer not in source


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_setup_cell_fits_the_graders_cell_limit(setup_cells, assignment_id):
    """A graded notebook runs its setup cell: one too long to read is not run (``submission``)."""
    from autograder.engine.submission import MAX_CELL_CHARS

    source, _ = setup_cells(assignment_id)
    assert len(source) < MAX_CELL_CHARS
