"""The answer key of "2장 심화" (``solutions/ch02_plus.py``) against TensorFlow, Keras and NumPy.

Property tests (hypothesis): ``naive_softmax`` against ``tf.nn.softmax`` (rows near +-1000
included), ``naive_sparse_categorical_crossentropy`` against
``keras.losses.sparse_categorical_crossentropy`` (probabilities of exactly 0 and 1 included),
``dense_backward`` against ``GradientTape`` (batch 1, non-square, relu and None),
``numeric_gradient`` against analytic gradients with CS231n's relative error (< 1e-7, float64),
``update_weights_momentum`` against ``keras.optimizers.SGD(momentum=...)`` step by step.
Every test runs in seconds.
"""

from __future__ import annotations

import ast
import builtins as builtins_module
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorflow import keras

from conftest import assert_unchanged, frozen
from solutions import ch02_plus as key

PROPS = settings(max_examples=50, deadline=None)
FEW = settings(max_examples=25, deadline=None)
EPSILON = 1e-7  # keras.config.epsilon()


def rel_error(x, y):
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


side = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


# -------------------------------------------------------------------- the key itself


def test_key_is_self_contained_apart_from_its_imports():
    """Each definition uses only its own names, builtins and the module's imports (the build
    copies definitions one by one into the notebook)."""
    source = Path(key.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = {alias.asname or alias.name for node in tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported <= {"math", "np", "tf", "keras"}
    builtins = set(dir(builtins_module))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        local = {a.arg for a in node.args.args}
        local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        outside = used - local - imported - builtins
        assert not outside, f"{node.name} uses {outside}"


def test_key_defines_the_five_graded_objects_in_order():
    names = [name for name, obj in vars(key).items() if inspect.isfunction(obj) and obj.__module__ == key.__name__]
    assert names == ["naive_softmax", "naive_sparse_categorical_crossentropy", "dense_backward",
                     "numeric_gradient", "update_weights_momentum"]


def test_naive_functions_use_no_vectorised_routine():
    """The naive rule, read off the source: the only library calls are scalar math.exp/log,
    np.zeros (allocation) and astype (the float32 copy of the result)."""
    for function in (key.naive_softmax, key.naive_sparse_categorical_crossentropy):
        tree = ast.parse(inspect.getsource(function))
        attributes = {f"{n.value.id}.{n.attr}" if isinstance(n.value, ast.Name) else f".{n.attr}"
                      for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        allowed = {"math.exp", "math.log", "np.zeros", "np.float32", "z.astype", "x.shape", "x.dtype",
                   "labels.shape", "probs.shape"}
        assert attributes <= allowed, attributes - allowed
        assert not any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) for n in ast.walk(tree))


def test_dense_backward_uses_no_automatic_differentiation():
    source = inspect.getsource(key.dense_backward)
    for name in ("GradientTape", "gradient", "jacobian", "tf.", "keras", "autodiff", "jax", "torch"):
        assert name not in source


# ---------------------------------------------------------------------- q1 naive_softmax


@st.composite
def logit_matrices(draw, dtype=np.float64, low=-50.0, high=50.0):
    shape = (draw(side), draw(side))
    width = 32 if dtype == np.float32 else 64
    return draw(hnp.arrays(dtype, shape, elements=st.floats(
        low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)))


@PROPS
@given(logit_matrices())
@example(np.array([[0.0]]))
@example(np.array([[1.0, 2.0, 3.0]]))
@example(np.array([[-1.0], [4.0]]))
@example(np.zeros((3, 4)))
def test_softmax_matches_tf_nn_softmax(x):
    (x,), snap = frozen(x)
    got = key.naive_softmax(x)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == x.shape
    np.testing.assert_allclose(got, tf.nn.softmax(x).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)
    assert_unchanged([x], snap)


@st.composite
def far_rows(draw):
    """Rows near +1000 or -1000 (a different offset per row), moderate spread inside a row."""
    base = draw(logit_matrices(low=-5.0, high=5.0))
    offsets = draw(hnp.arrays(np.float64, (base.shape[0], 1),
                              elements=st.sampled_from([1000.0, -1000.0, 999.5, -1000.25, 0.0])))
    return base + offsets


@PROPS
@given(far_rows())
@example(np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]]))
@example(np.array([[1000.0]]))
@example(np.array([[-1000.0, -1000.0]]))
@example(np.array([[1000.0, -1000.0]]))
def test_softmax_is_stable_near_plus_minus_1000(x):
    with np.errstate(all="raise"):  # no overflow, no 0/0 on the way
        got = key.naive_softmax(x)
    assert np.all(np.isfinite(got)) and np.all(got >= 0) and np.all(got <= 1)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(got, tf.nn.softmax(x).numpy(), rtol=1e-12, atol=1e-15)
    # shift invariance, row by row: softmax(x + c) == softmax(x)
    np.testing.assert_allclose(got, key.naive_softmax(x - x.max(axis=1, keepdims=True)), rtol=1e-12, atol=0)


@FEW
@given(logit_matrices(dtype=np.float32, low=-20.0, high=20.0))
@example(np.array([[1000.0, 999.0]], dtype=np.float32))
def test_softmax_keeps_float32(x):
    got = key.naive_softmax(x)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, tf.nn.softmax(x).numpy(), rtol=1e-5, atol=1e-7)


@FEW
@given(hnp.arrays(st.sampled_from([np.int32, np.int64]), st.tuples(side, side),
                  elements=st.integers(-1000, 1000)))
@example(np.array([[1, 2, 3]]))
def test_softmax_of_integers_is_float64(x):
    (x,), snap = frozen(x)
    got = key.naive_softmax(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, tf.nn.softmax(x.astype(np.float64)).numpy(), rtol=1e-12, atol=1e-15)
    assert_unchanged([x], snap)


# -------------------------------------------------- q2 naive_sparse_categorical_crossentropy


@st.composite
def batches(draw, dtype=np.float64):
    n, classes = draw(st.integers(1, 8)), draw(st.integers(2, 10))
    rng = np.random.default_rng(draw(seeds))
    logits = rng.normal(0, draw(st.sampled_from([0.5, 2.0, 5.0])), (n, classes))
    probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(dtype)
    labels = rng.integers(0, classes, n).astype(draw(st.sampled_from([np.int64, np.int32, np.uint8])))
    return labels, probs


def keras_mean(labels, probs):
    return float(np.mean(keras.losses.sparse_categorical_crossentropy(labels, probs).numpy()))


@PROPS
@given(batches())
def test_crossentropy_matches_keras_on_random_batches(batch):
    (labels, probs), snap = frozen(*batch)
    got = key.naive_sparse_categorical_crossentropy(labels, probs)
    assert isinstance(got, float)
    assert math.isclose(got, keras_mean(labels, probs), rel_tol=1e-6, abs_tol=1e-5)
    # the mean of -log p[label] exactly, clipped to [1e-7, 1 - 1e-7]
    want = -np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], EPSILON, 1 - EPSILON)))
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-15)
    assert_unchanged([labels, probs], snap)


@FEW
@given(batches(dtype=np.float32))
def test_crossentropy_of_float32_probabilities(batch):
    labels, probs = batch
    got = key.naive_sparse_categorical_crossentropy(labels, probs)
    assert math.isclose(got, keras_mean(labels, probs), rel_tol=1e-5, abs_tol=1e-5)


@st.composite
def hard_rows(draw):
    """Rows with probabilities of exactly 0 and 1: one-hot rows, and rows with some zeros."""
    n, classes = draw(st.integers(1, 6)), draw(st.integers(2, 10))
    rng = np.random.default_rng(draw(seeds))
    probs = np.zeros((n, classes))
    for i in range(n):
        if rng.random() < 0.5:
            probs[i, rng.integers(classes)] = 1.0
        else:
            kept = rng.random(classes) < 0.5
            kept[rng.integers(classes)] = True
            weights = rng.random(classes) * kept
            probs[i] = weights / weights.sum()
    labels = rng.integers(0, classes, n)
    return labels, probs


@PROPS
@given(hard_rows())
@example((np.array([3]), np.eye(10)[[3]]))   # p = 1 on the label
@example((np.array([0]), np.eye(10)[[3]]))   # p = 0 on the label
@example((np.array([0, 1]), np.array([[0.0, 1.0], [0.0, 1.0]])))
def test_crossentropy_matches_keras_with_exact_zeros_and_ones(batch):
    (labels, probs), snap = frozen(*batch)
    got = key.naive_sparse_categorical_crossentropy(labels, probs)
    assert math.isfinite(got)
    # Keras renormalises the clipped row: the two differ by at most (classes - 1) * 1e-7.
    assert math.isclose(got, keras_mean(labels, probs), rel_tol=1e-6, abs_tol=1e-5)
    p = np.clip(probs[np.arange(len(labels)), labels], EPSILON, 1 - EPSILON)
    assert math.isclose(got, float(-np.mean(np.log(p))), rel_tol=1e-12, abs_tol=1e-15)
    assert_unchanged([labels, probs], snap)


def test_crossentropy_clips_at_1e_minus_7_on_both_sides():
    zero = key.naive_sparse_categorical_crossentropy(np.array([0]), np.array([[0.0, 1.0]]))
    one = key.naive_sparse_categorical_crossentropy(np.array([1]), np.array([[0.0, 1.0]]))
    assert zero == -math.log(1e-7)          # 16.118..., not inf
    assert one == -math.log(1 - 1e-7)       # 1.0000000494e-07, not 0
    assert math.isclose(keras_mean(np.array([0]), np.array([[0.0, 1.0]])), zero, rel_tol=1e-6)


# ------------------------------------------------------------------- q3 dense_backward


def tape_gradients(x, W, b, grad_out, activation):
    x, W, b = (tf.Variable(a) for a in (x, W, b))
    with tf.GradientTape() as tape:
        z = tf.matmul(x, W) + b
        y = tf.nn.relu(z) if activation == "relu" else z
    return [g.numpy() for g in tape.gradient(y, [x, W, b], output_gradients=tf.constant(grad_out))]


@st.composite
def layers(draw, dtype=np.float64):
    batch = draw(st.sampled_from([1, 1, 2, 3, 5, 8]))
    inputs, units = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(seeds))
    x = rng.normal(size=(batch, inputs)).astype(dtype)
    W = rng.normal(size=(inputs, units)).astype(dtype)
    b = rng.normal(size=units).astype(dtype)
    grad_out = rng.normal(size=(batch, units)).astype(dtype)
    return x, W, b, grad_out, draw(st.sampled_from(["relu", None]))


def check_dense_backward(x, W, b, grad_out, activation, rtol):
    (x, W, b, grad_out), snap = frozen(x, W, b, grad_out)
    got = key.dense_backward(x, W, b, grad_out, activation)
    assert isinstance(got, tuple) and len(got) == 3
    dx, dW, db = got
    assert dx.shape == x.shape and dW.shape == W.shape and db.shape == (W.shape[1],)
    assert dx.dtype == dW.dtype == db.dtype == x.dtype
    for name, mine, want in zip(("dx", "dW", "db"), got, tape_gradients(x, W, b, grad_out, activation)):
        scale = np.abs(want).max() + 1.0
        np.testing.assert_allclose(mine, want, rtol=rtol, atol=rtol * scale, err_msg=name)
    assert_unchanged([x, W, b, grad_out], snap)


@PROPS
@given(layers())
def test_dense_backward_matches_gradient_tape(layer):
    check_dense_backward(*layer, rtol=1e-10)


@FEW
@given(layers(dtype=np.float32))
def test_dense_backward_float32_matches_gradient_tape(layer):
    check_dense_backward(*layer, rtol=1e-5)


@pytest.mark.parametrize("activation", ["relu", None])
@pytest.mark.parametrize("shape", [(1, 1, 1), (1, 4, 3), (5, 2, 7), (3, 3, 3)], ids=str)
def test_dense_backward_batch_one_and_non_square(shape, activation):
    batch, inputs, units = shape
    rng = np.random.default_rng(sum(shape))
    x, W = rng.normal(size=(batch, inputs)), rng.normal(size=(inputs, units))
    b, grad_out = rng.normal(size=units), rng.normal(size=(batch, units))
    check_dense_backward(x, W, b, grad_out, activation, rtol=1e-10)


def test_dense_backward_relu_derivative_is_zero_at_zero_like_tensorflow():
    x = np.array([[0.0, 0.0], [1.0, -2.0]])
    W = np.array([[1.0, -1.0, 2.0], [0.5, 0.0, 1.0]])
    b = np.array([0.0, 0.0, 0.0])          # z[0] == 0 exactly, and z[1, 1] == -1 + 0
    grad_out = np.ones((2, 3))
    z = x @ W + b
    assert np.any(z == 0)
    check_dense_backward(x, W, b, grad_out, "relu", rtol=0)
    _, _, db = key.dense_backward(x, W, b, grad_out, "relu")
    np.testing.assert_array_equal(db, (z > 0).sum(axis=0))


def test_dense_backward_rejects_unknown_activation():
    x, W, b, g = np.ones((1, 2)), np.ones((2, 3)), np.zeros(3), np.ones((1, 3))
    with pytest.raises(ValueError):
        key.dense_backward(x, W, b, g, "softmax")
    with pytest.raises(ValueError):
        key.dense_backward(x, W, b, g, tf.nn.relu)


# ----------------------------------------------------------------- q4 numeric_gradient

# Smooth functions with their analytic gradients; on the sampled inputs (|x_i| in [0.5, 2])
# no gradient entry is near 0, so the relative error is meaningful.
SMOOTH = {
    "sum exp": (lambda x: np.sum(np.exp(x)), lambda x: np.exp(x)),
    "cubic": (lambda x: np.sum(x**3) / 3 + np.sum(x), lambda x: x**2 + 1),
    "log cosh": (lambda x: np.sum(np.log(np.cosh(x))), lambda x: np.tanh(x)),
    "sin plus square": (lambda x: np.sum(np.sin(x)) + np.sum(x**2), lambda x: np.cos(x) + 2 * x),
}


@st.composite
def points(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    magnitude = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.5, 2.0)))
    sign = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return magnitude * sign


@PROPS
@given(st.sampled_from(sorted(SMOOTH)), points())
def test_numeric_gradient_relative_error_below_1e_minus_7(name, x):
    f, grad = SMOOTH[name]
    if name == "sin plus square":  # cos(x) + 2x has a root near -0.45: keep x >= 0.5 there
        x = np.abs(x)
    (x,), snap = frozen(x)
    got = key.numeric_gradient(f, x)
    assert got.dtype == np.float64 and got.shape == x.shape
    assert rel_error(got, grad(x)) < 1e-7
    assert_unchanged([x], snap)


def test_numeric_gradient_of_dense_backward_loss():
    """The worked example of the notebook: a gradient check of dense_backward (None)."""
    rng = np.random.default_rng(0)
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)

    def loss(W_):
        return np.sum(np.sin(x @ W_ + b))

    _, dW, _ = key.dense_backward(x, W, b, np.cos(x @ W + b), None)
    assert rel_error(key.numeric_gradient(loss, W), dW) < 1e-7


def test_numeric_gradient_uses_eps_and_its_default():
    seen = []

    def f(v):
        seen.append(v.copy())
        return float(np.sum(v**3))

    x = np.array([1.0, -2.0])
    for eps, kwargs in ((1e-5, {}), (1e-2, {"eps": 1e-2}), (1e-3, {"eps": 1e-3})):
        seen.clear()
        got = key.numeric_gradient(f, x, **kwargs)
        assert len(seen) == 2 * x.size
        steps = sorted({round(float(np.max(np.abs(v - x))) / eps, 6) for v in seen})
        assert steps == [1.0]
        np.testing.assert_allclose(got, 3 * x**2 + eps**2, rtol=1e-6)  # central difference of x^3


def test_numeric_gradient_of_integer_input_is_float64():
    (x,), snap = frozen(np.array([[1, -2], [3, 4]]))
    got = key.numeric_gradient(lambda v: np.sum(v**2), x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, 2 * x, rtol=1e-9)
    assert_unchanged([x], snap)


def test_numeric_gradient_accepts_tensor_valued_f():
    got = key.numeric_gradient(lambda v: tf.reduce_sum(tf.constant(v) ** 2), np.array([0.5, -1.5]))
    np.testing.assert_allclose(got, [1.0, -3.0], rtol=1e-9)


def test_one_sided_difference_would_fail_the_relative_error_test():
    """The 1e-7 bar separates central from forward differences (so it judges the method)."""
    x = np.array([0.7, -1.2, 1.9])
    f, grad = SMOOTH["sum exp"]
    forward = np.array([(f(x + 1e-5 * e) - f(x)) / 1e-5 for e in np.eye(3)])
    assert rel_error(forward, grad(x)) > 1e-6
    assert rel_error(key.numeric_gradient(f, x), grad(x)) < 1e-9


# ---------------------------------------------------------------- q5 update_weights_momentum


@st.composite
def momentum_runs(draw):
    rng = np.random.default_rng(draw(seeds))
    rows, cols = draw(side), draw(side)
    shapes = [(rows, cols), (cols,)]
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    weights = [rng.normal(size=s).astype(dtype) for s in shapes]
    steps = [[rng.normal(size=s).astype(dtype) for s in shapes] for _ in range(draw(st.integers(1, 6)))]
    learning_rate = draw(st.sampled_from([1e-3, 0.01, 0.1, 0.5]))
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9, 0.99]))
    return weights, steps, learning_rate, momentum


def _momentum_bound(initial, steps, learning_rate, momentum):
    """Per step, per weight and velocity: how far two correct implementations of the momentum
    update may be apart, derived from the arithmetic they do. Keras keeps the learning rate in a
    float32 variable (``backend.floatx()``), so it steps with float32(learning_rate): a difference
    of |lr - float32(lr)|·|g| per step even in float64; and it casts the momentum, a Python float,
    through a float32 tensor (``ops.cast``): |m - float32(m)|·|v| more. Each implementation rounds every operation
    (multiplications, the subtraction, the addition; fused or not) to within its dtype's eps of
    the magnitudes involved. Errors in the velocity carry into later velocities (times momentum)
    and into the weights (added up): a weight that nearly cancels (w + v ≈ 0) may differ by many
    times its own size, never by more than this bound."""
    eps = 2 * float(np.finfo(initial[0].dtype).eps)  # both implementations round, each by up to eps
    lr_error = abs(learning_rate - float(np.float32(learning_rate)))
    momentum_error = abs(momentum - float(np.float32(momentum)))
    w = [np.asarray(x, np.float64) for x in initial]
    v = [np.zeros_like(x) for x in w]
    error_w, error_v, bounds = [np.zeros_like(x) for x in w], [np.zeros_like(x) for x in w], []
    for gradients in steps:
        g = [np.abs(np.asarray(x, np.float64)) for x in gradients]
        new_v = [momentum * vi - learning_rate * np.asarray(gi, np.float64) for vi, gi in zip(v, gradients)]
        error_v = [momentum * e + lr_error * gi + momentum_error * np.abs(vi) + eps * (momentum * np.abs(vi) + learning_rate * gi + np.abs(nv))
                   for e, gi, vi, nv in zip(error_v, g, v, new_v)]
        new_w = [wi + nv for wi, nv in zip(w, new_v)]
        error_w = [e + ev + eps * (np.abs(wi) + np.abs(nv) + np.abs(nw))
                   for e, ev, wi, nv, nw in zip(error_w, error_v, w, new_v, new_w)]
        w, v = new_w, new_v
        bounds.append((error_w, error_v))
    return bounds


def _cancelling_run(dtype, learning_rate, momentum, gradient):
    """Two steps whose second brings the weight back to about 0 (w + v ≈ 0): the weight's
    relative difference from Keras is then large, its absolute one tiny."""
    w0, g1 = np.array([[0.7]], dtype), np.array([[gradient]], dtype)
    v1 = -learning_rate * g1.astype(np.float64)
    g2 = ((momentum * v1 + w0 + v1) / learning_rate).astype(dtype)
    b = np.array([0.3], dtype)
    return [w0, b], [[g1, b], [g2, b]], learning_rate, momentum


@PROPS
@given(momentum_runs())
@example(_cancelling_run(np.float64, 0.1, 0.9, 100.0))  # failed rtol=1e-6, atol=1e-7 (Keras's float32 learning rate)
@example(([np.array([[0.12573022]]), np.array([-0.13210486])],  # failed a bound without the float32 momentum
          [[np.array([[0.64042265]]), np.array([0.10490012])], [np.array([[-0.53566937]]), np.array([0.36159505])]],
          0.001, 0.99))
@example(_cancelling_run(np.float32, 0.1, 0.99, 3.0))
@example(([np.array([[0.18905338], [-0.52274844]]), np.array([-0.41306354])],  # failed with one implementation's eps
          [[np.array([[-2.44146738], [1.79970738]]), np.array([1.14416587])],
           [np.array([[-0.32542284], [0.77380659]]), np.array([0.28121067])],
           [np.array([[-0.55382284], [0.97756745]]), np.array([-0.31055655])],
           [np.array([[-0.3288239], [-0.79214676]]), np.array([0.45495807])],
           [np.array([[-0.09919805], [0.54528871]]), np.array([-0.6071857])]], 0.001, 0.99))
def test_momentum_matches_keras_sgd_step_by_step(run):
    initial, steps, learning_rate, momentum = run
    mine = [tf.Variable(w) for w in initial]
    velocities = [tf.Variable(tf.zeros_like(w)) for w in mine]
    theirs = [tf.Variable(w) for w in initial]
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    for gradients, (bound_w, bound_v) in zip(steps, _momentum_bound(initial, steps, learning_rate, momentum)):
        tensors = [tf.constant(g) for g in gradients]
        assert key.update_weights_momentum(tensors, mine, velocities, learning_rate, momentum) is None
        optimizer.apply_gradients(zip(tensors, theirs))
        for a, b, bound in zip(mine, theirs, bound_w):
            assert np.all(np.abs(a.numpy() - b.numpy()) <= bound), (a.numpy(), b.numpy(), bound)
        if momentum:
            for v, m, bound in zip(velocities, optimizer.momentums, bound_v):
                assert np.all(np.abs(v.numpy() - m.numpy()) <= bound), (v.numpy(), m.numpy(), bound)


def test_the_momentum_bound_is_tight_enough_to_catch_a_wrong_step():
    """The derived tolerance still tells a wrong update from rounding: a velocity that forgets
    momentum once is far outside it."""
    initial, steps, learning_rate, momentum = _cancelling_run(np.float32, 0.1, 0.9, 3.0)
    (_, _), (bound_w, _) = _momentum_bound(initial, steps, learning_rate, momentum)
    w1 = initial[0] - learning_rate * steps[0][0]
    wrong = w1 - learning_rate * steps[1][0]  # second step without momentum
    right = w1 + momentum * (-learning_rate * steps[0][0]) - learning_rate * steps[1][0]
    assert np.all(np.abs(wrong - right) > 100 * bound_w[0])


def test_momentum_one_step_by_the_formula_in_place():
    w = tf.Variable([1.0, -2.0], dtype=tf.float64)
    v = tf.Variable([0.5, 0.25], dtype=tf.float64)
    g = tf.constant([2.0, 4.0], dtype=tf.float64)
    ids = (id(w), id(v))
    key.update_weights_momentum([g], [w], [v], 0.1, 0.9)
    assert (id(w), id(v)) == ids
    np.testing.assert_allclose(v.numpy(), [0.9 * 0.5 - 0.1 * 2.0, 0.9 * 0.25 - 0.1 * 4.0], rtol=1e-15)
    np.testing.assert_allclose(w.numpy(), [1.0 + 0.25, -2.0 - 0.175], rtol=1e-15)


def test_momentum_zero_is_the_chapters_update_weights():
    w = tf.Variable([[1.0, 2.0]])
    v = tf.Variable(tf.zeros_like(w))
    g = tf.constant([[10.0, -10.0]])
    key.update_weights_momentum([g], [w], [v], 1e-3, 0.0)
    np.testing.assert_allclose(w.numpy(), [[1.0 - 1e-2, 2.0 + 1e-2]], rtol=1e-7)


def test_momentum_traces_under_tf_function():
    w = tf.Variable([1.0, 2.0])
    v = tf.Variable([0.0, 0.0])

    @tf.function
    def step(g):
        key.update_weights_momentum([g], [w], [v], 0.1, 0.9)

    step(tf.constant([1.0, 1.0]))
    step(tf.constant([1.0, 1.0]))
    np.testing.assert_allclose(v.numpy(), [-0.19, -0.19], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.29, 2.0 - 0.29], rtol=1e-6)
