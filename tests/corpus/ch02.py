"""The chapter-2 corpus: submissions with the verdicts they must get (see ``corpus``)."""

from __future__ import annotations

from . import Variant
from . import limits as machine

UPDATE_WEIGHTS_CELL = "learning_rate = 1e-3\n\n{}"

NAIVE_RELU = """def naive_relu(x):
    assert len(x.shape) == 2
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x
"""  # the course text's, for cells that define a graded name and then fail


VARIANTS = [
    # ------------------------------------------------------------------ right, in unusual styles
    Variant("reference", "right"),
    Variant("right-comprehensions", "right", replace={
        "naive_relu": """
def naive_relu(x):
    assert x.ndim == 2
    return np.array([[max(value, 0) for value in row] for row in x], dtype=x.dtype).reshape(x.shape)
""",
        "naive_add": """
def naive_add(x, y):
    assert len(x.shape) == 2 and x.shape == y.shape
    out = np.empty_like(x)
    i = 0
    while i < x.shape[0]:
        j = 0
        while j < x.shape[1]:
            out[i, j] = x[i, j] + y[i, j]
            j += 1
        i += 1
    return out
""",
        "naive_vector_dot": """
def naive_vector_dot(x, y):
    assert x.ndim == 1 and y.ndim == 1 and len(x) == len(y)
    return sum(a * b for a, b in zip(x, y))
""",
        "naive_matrix_dot": """
def naive_matrix_dot(x, y):
    assert x.ndim == 2 and y.ndim == 2
    assert x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            for k in range(x.shape[1]):
                z[i, j] += x[i, k] * y[k, j]
    return z
""",
        "naive_transpose": """
def naive_transpose(x):
    assert x.ndim == 2
    rows, cols = x.shape
    return np.array([[x[i, j] for i in range(rows)] for j in range(cols)], dtype=x.dtype).reshape(cols, rows)
""",
    }),
    Variant("right-accumulates-in-input-dtype", "right", replace={"naive_matrix_vector_dot": """
def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2 and len(y.shape) == 1 and x.shape[1] == y.shape[0]
    z = np.zeros(x.shape[0], dtype=np.result_type(x.dtype, y.dtype))
    for i in range(x.shape[0]):
        total = z[i]
        for j in range(x.shape[1]):
            total = total + x[i, j] * y[j]
        z[i] = total
    return z
"""}),
    Variant("right-keras-objects", "right", replace={
        "build_model": """
def build_model():
    model = keras.Sequential()
    model.add(keras.Input(shape=(28 * 28,)))
    model.add(layers.Dense(512, activation=tf.nn.relu))
    model.add(layers.Dense(10, activation=tf.nn.softmax))
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["acc"])
    return model
""",
        "preprocess_images": """
def preprocess_images(images):
    return (images.reshape(images.shape[0], -1) / 255.0).astype(np.float32)
""",
    }),
    Variant("right-tape-watch", "right", replace={
        "grad_quadratic": """
def grad_quadratic(x0):
    x = tf.constant(x0, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x + 2 * x + 3
    return float(tape.gradient(y, x))
""",
        "grad_dense": """
def grad_dense(x, W, b):
    W, b = tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    dW, db = tape.gradient(y, [W, b])
    return (dW.numpy(), db.numpy())
""",
    }),
    Variant("right-bias-first-optimizer", "right", replace={
        "NaiveDense": """
class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.bias = tf.Variable(tf.zeros((output_size,)))
        self.kernel = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))

    def __call__(self, inputs):
        return self.activation(inputs @ self.kernel + self.bias)

    @property
    def weights(self):
        return [self.kernel, self.bias]
""",
        "BatchGenerator": """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = -(-len(images) // batch_size)

    def next(self):
        start = self.index
        self.index += self.batch_size
        return self.images[start:self.index], self.labels[start:self.index]
""",
        "update_weights": UPDATE_WEIGHTS_CELL.format("""
optimizer = keras.optimizers.SGD(learning_rate=learning_rate)

def update_weights(gradients, weights):
    optimizer.apply_gradients(zip(gradients, weights))
"""),
        "fit": """
def fit(model, images, labels, epochs, batch_size=128):
    for epoch in range(epochs):
        generator = BatchGenerator(images, labels, batch_size=batch_size)
        losses = [one_training_step(model, *generator.next()) for _ in range(generator.num_batches)]
        print(f"epoch {epoch}: last loss {float(losses[-1]):.3f}")
""",
    }),

    # ------------------------------------------------------------------ wrong in one specific way
    Variant("relu-mutates-input", "wrong", replace={"naive_relu": """
def naive_relu(x):
    assert len(x.shape) == 2
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x
"""}, expect={"q3_elementwise": 11}),
    Variant("add-without-asserts", "wrong", replace={"naive_add": """
def naive_add(x, y):
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[i, j]
    return x
"""}, expect={"q3_elementwise": 11}),
    Variant("transpose-loses-dtype", "wrong", replace={"naive_transpose": """
def naive_transpose(x):
    assert len(x.shape) == 2
    z = np.zeros((x.shape[1], x.shape[0]))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[j, i] = x[i, j]
    return z
"""}, expect={"q6_transpose": 5}),
    Variant("vector-dot-off-by-one", "wrong", replace={"naive_vector_dot": """
def naive_vector_dot(x, y):
    assert len(x.shape) == 1
    assert len(y.shape) == 1
    assert x.shape[0] == y.shape[0]
    z = 0.
    for i in range(x.shape[0] - 1):
        z += x[i] * y[i]
    return z
"""}, expect={"q5_dot": 14}),  # vector_dot only: matrix_dot, which calls it, is checked with a good one
    Variant("broadcast-wrong-axis", "wrong", replace={"naive_add_matrix_and_vector": """
def naive_add_matrix_and_vector(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[j - 1]
    return x
"""}, expect={"q4_broadcasting": 2}),  # shape/dtype and no-mutation still hold
    Variant("crop-center-off-by-one", "wrong", replace={"crop_center": """
def crop_center(images):
    return images[:, 7:-6, 7:-6]
"""}, expect={"q2_tensor_slicing": 4}),
    Variant("get-batch-ignores-batch-size", "wrong", replace={"get_batch": """
def get_batch(images, n, batch_size=128):
    return images[128 * n:128 * (n + 1)]
"""}, expect={"q2_tensor_slicing": 5}),  # the default-size case still passes
    Variant("preprocess-forgets-scaling", "wrong", replace={"preprocess_images": """
def preprocess_images(images):
    return images.reshape((len(images), 28 * 28)).astype("float32")
"""}, expect={"q1_keras_mnist": 10}),
    Variant("model-with-sgd", "wrong", replace={"build_model": """
def build_model():
    model = keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""}, expect={"q1_keras_mnist": 11}),
    Variant("model-not-compiled", "wrong", replace={"build_model": """
def build_model():
    return keras.Sequential([layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
"""}, expect={"q1_keras_mnist": 9}),  # optimizer, loss, metric: one message
    Variant("grad-of-wrong-function", "wrong", replace={"grad_quadratic": """
def grad_quadratic(x0):
    x = tf.Variable(float(x0))
    with tf.GradientTape() as tape:
        y = x**2 + 3
    return tape.gradient(y, x)
"""}, expect={"q7_gradient_tape": 6}),
    Variant("grad-dense-only-W", "wrong", replace={"grad_dense": """
def grad_dense(x, W, b):
    W = tf.Variable(W)
    b = tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    return tape.gradient(y, W)
"""}, expect={"q7_gradient_tape": 7}),  # dW right, db missing
    Variant("update-weights-global-model", "wrong", replace={"update_weights": UPDATE_WEIGHTS_CELL.format("""
def update_weights(gradients, weights):
    for g, w in zip(gradients, model.weights):
        w.assign_sub(g * learning_rate)
""")}, expect={"q8_from_scratch": 30}),  # the "weights given, not model" case only
    Variant("fit-ignores-batch-size", "wrong", replace={"fit": """
def fit(model, images, labels, epochs, batch_size=128):
    for epoch_counter in range(epochs):
        print(f"Epoch {epoch_counter}")
        batch_generator = BatchGenerator(images, labels)
        for batch_counter in range(batch_generator.num_batches):
            images_batch, labels_batch = batch_generator.next()
            loss = one_training_step(model, images_batch, labels_batch)
"""}, expect={"q8_from_scratch": 30}),
    Variant("batches-floor", "wrong", replace={"BatchGenerator": """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.num_batches = len(images) // batch_size

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels
"""}, expect={"q8_from_scratch": 30}),  # num_batches only: next() and the default still pass
    # ------------------------------------------------------------------ one mistake, one deduction
    # Each observed property fails on its own; a step several cases need fails once.
    Variant("dense-bug-in-call", "wrong", replace={"NaiveDense": """
class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.W = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))
        self.b = tf.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return self.activation(tf.matmul(inputs, self.w) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]
"""}, expect={"q8_from_scratch": 20},
            fails=("NaiveDense: 출력 activation(xW + b)", "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")),
    # The activation left out: W and b start non-negative, so only negative inputs tell.
    Variant("dense-forgets-activation", "wrong", replace={"NaiveDense": """
class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.W = tf.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))
        self.b = tf.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return tf.matmul(inputs, self.W) + self.b

    @property
    def weights(self):
        return [self.W, self.b]
"""}, expect={"q8_from_scratch": 20},
            fails=("NaiveDense: 출력 activation(xW + b)", "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")),
    Variant("dense-keras-variable", "wrong", replace={"NaiveDense": """
class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.W = keras.Variable(tf.random.uniform((input_size, output_size), minval=0, maxval=1e-1))
        self.b = keras.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return self.activation(tf.matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]
"""}, expect={"q8_from_scratch": 31},
            fails=("NaiveDense: W (input_size, output_size), b (output_size,) tf.Variable",)),
    Variant("batches-next-misnamed", "wrong", replace={"BatchGenerator": """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next_batch(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels
"""}, expect={"q8_from_scratch": 21},
            fails=("BatchGenerator: next()가 batch_size개씩 차례로, 마지막 배치는 남은 샘플",
                   "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")),
    Variant("batches-without-num-batches", "wrong", replace={"BatchGenerator": """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels
""", "fit": """
def fit(model, images, labels, epochs, batch_size=128):
    for epoch_counter in range(epochs):
        batch_generator = BatchGenerator(images, labels, batch_size)
        for batch_counter in range(math.ceil(len(images) / batch_size)):
            images_batch, labels_batch = batch_generator.next()
            loss = one_training_step(model, images_batch, labels_batch)
"""}, expect={"q8_from_scratch": 30}, fails=("BatchGenerator: num_batches는 올림(math.ceil)",)),
    Variant("batches-never-advance", "wrong", replace={"BatchGenerator": """
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        return images, labels
"""}, expect={"q8_from_scratch": 20},
            fails=("BatchGenerator: next()가 batch_size개씩 차례로, 마지막 배치는 남은 샘플",
                   "BatchGenerator: 기본 batch_size=128", "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")),
    Variant("sequential-weights-appended", "wrong", replace={"NaiveSequential": """
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
            weights.append(layer.weights)  # a list of lists
        return weights
"""}, expect={"q8_from_scratch": 21},
            fails=("NaiveSequential: 가중치 4개 [W1, b1, W2, b2]", "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")),
    Variant("matrix-dot-wrong-loop-bound", "wrong", replace={"naive_matrix_dot": """
def naive_matrix_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 2
    assert x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(x.shape[0]):
            z[i, j] = naive_vector_dot(x[i, :], y[:, j])
    return z
"""}, expect={"q5_dot": 14},
            fails=("naive_matrix_dot: 값", "naive_matrix_dot: 랭크·모양 검사(assert)", "naive_matrix_dot: 반복문 규칙")),
    Variant("dense-zero-init", "wrong", replace={"NaiveDense": """
class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation
        self.W = tf.Variable(tf.zeros((input_size, output_size)))
        self.b = tf.Variable(tf.zeros((output_size,)))

    def __call__(self, inputs):
        return self.activation(tf.matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]
"""}, expect={"q8_from_scratch": 31}),  # the initial-values case only: the training check starts from its own seeded weights
    Variant("step-forgets-update", "wrong", replace={"one_training_step": """
def one_training_step(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        per_sample_losses = tf.keras.losses.sparse_categorical_crossentropy(labels_batch, predictions)
        average_loss = tf.reduce_mean(per_sample_losses)
    gradients = tape.gradient(average_loss, model.weights)
    return average_loss
"""}, expect={"q8_from_scratch": 20}),

    # ------------------------------------------------------------------ shortcuts
    Variant("relu-vectorised", "shortcut", replace={"naive_relu": """
def naive_relu(x):
    assert len(x.shape) == 2
    return np.maximum(x, 0).astype(x.dtype)
"""}, expect={"q3_elementwise": 11}),
    Variant("add-vectorised", "shortcut", replace={"naive_add": """
def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    return x + y
"""}, expect={"q3_elementwise": 11}),
    Variant("matrix-dot-np-dot", "shortcut", replace={"naive_matrix_dot": """
def naive_matrix_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 2
    assert x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            z[i, j] = np.dot(x[i, :], y[:, j])
    return z
"""}, expect={"q5_dot": 17}),
    Variant("matrix-vector-whole-rows", "shortcut", replace={"naive_matrix_vector_dot": """
def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    z = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        z[i] = (x[i] * y).sum()
    return z
"""}, expect={"q5_dot": 17}),
    Variant("transpose-dot-T", "shortcut", replace={"naive_transpose": """
def naive_transpose(x):
    assert len(x.shape) == 2
    return x.T.copy()
"""}, expect={"q6_transpose": 5}),
    Variant("relu-hidden-alias", "shortcut", replace={"naive_relu": """
from numpy import maximum as _elementwise_max

def naive_relu(x):
    assert len(x.shape) == 2
    return _elementwise_max(np.asarray(x), 0).astype(x.dtype)
"""}, expect={"q3_elementwise": 11}),
    Variant("imports-reference", "shortcut", replace={"naive_relu": """
from solutions.ch02 import naive_relu
"""}, expect={"q3_elementwise": 0}, status="채점 도구", kernel=True),
    Variant("execs-reference-file", "shortcut", prepend=("""
exec(open("{KIT}/solutions/ch02.py").read())
""",), replace={"naive_transpose": "# 위에서 이미 정의했습니다\n"}, expect={"q6_transpose": 0}, status=None),
    # (In the sandbox the file is not there to read; without it, the exec rule gives q6 0.)

    # ------------------------------------------------------------------ hostile
    Variant("fake-eq-object", "hostile", base="student", append=("""
class _AlwaysEqual:
    def __eq__(self, other):
        return True
    def __array__(self, *args, **kwargs):
        raise TypeError("no")

def naive_relu(x):
    return _AlwaysEqual()
""",)),
    Variant("patched-numpy-and-builtins", "hostile", base="student", append=("""
import builtins, math
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
builtins.isinstance = lambda *args: True
""",), status=None),
    Variant("patched-numpy-on-solution", "hostile", append=("""
np.allclose = lambda *args, **kwargs: False
np.array_equal = lambda *args, **kwargs: False
""",)),
    Variant("disables-tracing", "hostile", replace={"naive_add": """
import sys as _sys
_sys.settrace = lambda *args: None

def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    return x + y
"""}, expect={"q3_elementwise": 11}),  # naive_add's own naive case: the naive rule runs no tracer to disable
    Variant("prints-tens-of-megabytes", "hostile", append=("print('스팸' * 20_000_000)",)),
    # Cells grading needs (each defines a graded name) that hang, kill the kernel or eat memory
    # after the definition. A demonstration cell that does so is not run at all.
    # This hang waits rather than spins: the cell limit stops it the same way (an interrupt), without
    # a core for 15 s. Spinning hangs: naive-relu-hangs (in a cell grading needs, then in a probe),
    # unstoppable-loop-in-function and infinite-loop-in-function (in probes).
    Variant("infinite-loop-cell", "broken", append=(NAIVE_RELU + "import time\nwhile True:\n    time.sleep(0.05)",),
            status="시간 제한"),
    Variant("infinite-loop-in-a-demonstration", "broken", append=("while True:\n    pass",), status="ok"),
    Variant("infinite-loop-in-function", "broken", replace={"naive_add_matrix_and_vector": """
def naive_add_matrix_and_vector(x, y):
    while True:
        pass
"""}, expect={"q4_broadcasting": 0}),  # its demonstration cells are not run: only its own cases time out
    # A naive_relu that never returns, called at the end of two cells grading needs: the first
    # waits out its cell limit once, the second stops at once (a function that overran is not
    # waited on again), and only naive_relu's own cases are lost.
    Variant("naive-relu-hangs", "broken", replace={"naive_relu": """
def naive_relu(x):
    while True:
        pass
""", "naive_add": """
def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[i, j]
    return x

naive_relu(naive_add(np.ones((2, 2)), np.ones((2, 2))))
""", "naive_add_matrix_and_vector": """
def naive_add_matrix_and_vector(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[j]
    return x

naive_relu(naive_add_matrix_and_vector(np.ones((2, 2)), np.ones(2)))
"""}, expect={"q3_elementwise": 6}, status="시간 제한", kernel=True),
    Variant("unstoppable-loop-in-function", "broken", replace={"naive_transpose": """
def naive_transpose(x):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""}, expect={"q6_transpose": 0}),  # its demonstration cell (it hung the kernel) is not run
    Variant("memory-error-cell", "broken", append=("big = np.ones((10**6, 10**6))",)),
    Variant("memory-hog-cell", "broken", append=(NAIVE_RELU + "hog = []\nwhile True:\n    hog.append(bytearray(200 * 2**20))",),
            status="메모리"),
    Variant("kills-kernel", "broken", append=(NAIVE_RELU + "import os\nos._exit(3)",), status="커널"),
    Variant("syntax-error-in-one-cell", "broken", replace={"naive_transpose": """
def naive_transpose(x)
    return x
"""}, expect={"q6_transpose": 0}, status="문법 오류"),
    Variant("untouched-stubs", "broken", base="student"),
    Variant("invalid-json", "broken", raw=b'{"cells": [', status="JSON"),
    Variant("empty-notebook", "broken", raw=b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            status="코드 셀"),
    Variant("not-utf8", "broken", raw=b"\xff\xfe\x00binary", status="UTF-8"),
    # The grading machine attacked, the work right (issue 22): a thread bomb and a fork bomb stopped
    # at the task limit, 5 GiB reserved in every writable folder refused, a cell too deep to parse
    # and one too long to read: every question keeps its points.
    # Each attack sits in a cell grading needs (it rebinds a graded name), so it is run: a
    # demonstration cell is not run at all.
    Variant("attacks-the-machine", "hostile", append=tuple(
        "naive_relu = naive_relu  # 채점에 필요한 셀\n" + cell
        for cell in (machine.THREAD_BOMB, machine.FORK_BOMB, machine.FALLOCATE)) + (
        machine.DEEP_EXPRESSION, machine.LONG_CELL),
            status="프로세스·스레드 수 한도"),
]
