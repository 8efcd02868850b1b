"""The answer key (``solutions/ch02.py``) against trusted NumPy/TensorFlow equivalents.

Property tests (hypothesis) for the ``naive_*`` functions of 2.3; fixed values from the course
text for the gradients of 2.4; structural checks for the Keras model of 2.1, the slicing of
2.2 and the from-scratch pieces of 2.5; and one short training smoke test on real MNIST.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorflow import keras

from autograder import mnist
from conftest import assert_unchanged, frozen
from solutions import ch02

INT_DTYPES = (np.int32, np.int64)
FLOAT_DTYPES = (np.float32, np.float64)
DTYPES = INT_DTYPES + FLOAT_DTYPES

PROPS = settings(max_examples=50, deadline=None)
FEW = settings(max_examples=30, deadline=None)


# ------------------------------------------------------------------------- strategies


def elements(dtype):
    if np.issubdtype(dtype, np.integer):
        return st.integers(-1000, 1000)
    return st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False, width=np.dtype(dtype).itemsize * 8)


def arrays(dtype, shape):
    return hnp.arrays(dtype, shape, elements=elements(dtype))


side = st.integers(1, 6)
dtypes = st.sampled_from(DTYPES)


@st.composite
def matrices(draw):
    return draw(arrays(draw(dtypes), (draw(side), draw(side))))


@st.composite
def same_shape_pairs(draw):
    dtype, shape = draw(dtypes), (draw(side), draw(side))
    return draw(arrays(dtype, shape)), draw(arrays(dtype, shape))


@st.composite
def matrix_and_vector(draw):
    dtype, rows, cols = draw(dtypes), draw(side), draw(side)
    return draw(arrays(dtype, (rows, cols))), draw(arrays(dtype, (cols,)))


@st.composite
def vector_pairs(draw):
    dtype, n = draw(dtypes), draw(st.integers(1, 10))
    return draw(arrays(dtype, (n,))), draw(arrays(dtype, (n,)))


@st.composite
def matmul_pairs(draw):
    dtype, n, k, m = draw(dtypes), draw(side), draw(side), draw(side)
    return draw(arrays(dtype, (n, k))), draw(arrays(dtype, (k, m)))


def assert_matches(got, want, dtype, msg=""):
    """Exact for int inputs; a tight relative tolerance for float inputs."""
    got = np.asarray(got)
    assert got.shape == np.shape(want), f"{msg} shape {got.shape} != {np.shape(want)}"
    if np.issubdtype(dtype, np.integer):
        np.testing.assert_array_equal(got, want, err_msg=msg)
    else:
        rtol = 1e-6 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, err_msg=msg)


def assert_dot_matches(got, want, abs_products, k, dtype, msg=""):
    """Dot products: exact for ints (|values| <= 1000, so float64 holds them exactly);
    for floats the error bound of a length-k sum, scaled by sum(|x_i * y_i|)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{msg} shape {got.shape} != {want.shape}"
    if np.issubdtype(dtype, np.integer):
        np.testing.assert_array_equal(got, want, err_msg=msg)
        return
    eps = np.finfo(dtype).eps
    bound = 4 * (k + 1) * eps * np.asarray(abs_products, dtype=np.float64) + 1e-30
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert np.all(err <= bound), f"{msg} max error {err.max()} > bound; got {got}, want {want}"


# ------------------------------------------------------------- 2.3 q3 elementwise


@PROPS
@given(matrices())
@example(np.array([[-3]], dtype=np.int32))
@example(np.array([[-1.5, 0.0, 2.5]], dtype=np.float64))
@example(np.array([[-1], [7]], dtype=np.int64))
def test_naive_relu_matches_np_maximum(x):
    (x,), snap = frozen(x)
    got = ch02.naive_relu(x)
    assert isinstance(got, np.ndarray)
    assert got.dtype == x.dtype
    assert_matches(got, np.maximum(x, 0), x.dtype, "naive_relu")
    assert np.all(got >= 0)
    assert_unchanged([x], snap)


@PROPS
@given(same_shape_pairs())
@example((np.array([[-3]], dtype=np.int32), np.array([[5]], dtype=np.int32)))
@example((np.array([[1.5, -2.0, 3.0]], dtype=np.float32),
          np.array([[-0.5, -1.0, 4.0]], dtype=np.float32)))
def test_naive_add_matches_numpy(pair):
    (x, y), snap = frozen(*pair)
    got = ch02.naive_add(x, y)
    assert got.dtype == x.dtype
    assert_matches(got, x + y, x.dtype, "naive_add")
    assert_unchanged([x, y], snap)


# ------------------------------------------------------------- 2.3 q4 broadcasting


@PROPS
@given(matrix_and_vector())
@example((np.array([[2]], dtype=np.int64), np.array([-7], dtype=np.int64)))
@example((np.arange(6, dtype=np.float64).reshape(3, 2) - 3, np.array([10.0, -20.0])))
def test_naive_add_matrix_and_vector_matches_broadcasting(pair):
    (x, y), snap = frozen(*pair)
    got = ch02.naive_add_matrix_and_vector(x, y)
    assert got.dtype == x.dtype
    assert_matches(got, x + y, x.dtype, "naive_add_matrix_and_vector")
    assert_unchanged([x, y], snap)


# ------------------------------------------------------------------------ 2.3 q5 dot


@PROPS
@given(vector_pairs())
@example((np.array([-4], dtype=np.int32), np.array([3], dtype=np.int32)))
@example((np.array([1.0, -2.0, 3.0]), np.array([4.0, 5.0, -6.0])))
def test_naive_vector_dot_matches_np_dot(pair):
    (x, y), snap = frozen(*pair)
    got = ch02.naive_vector_dot(x, y)
    assert np.ndim(got) == 0
    want = np.dot(x, y)
    assert_dot_matches(got, want, np.dot(np.abs(x), np.abs(y)), len(x), x.dtype,
                       "naive_vector_dot")
    assert_unchanged([x, y], snap)


@PROPS
@given(matrix_and_vector())
@example((np.array([[-2]], dtype=np.int64), np.array([9], dtype=np.int64)))
@example((np.arange(6, dtype=np.float32).reshape(2, 3) - 2, np.array([1.0, -1.0, 0.5], np.float32)))
def test_naive_matrix_vector_dot_matches_np_dot(pair):
    (x, y), snap = frozen(*pair)
    got = ch02.naive_matrix_vector_dot(x, y)
    assert isinstance(got, np.ndarray)
    want = np.dot(x, y)
    assert_dot_matches(got, want, np.dot(np.abs(x), np.abs(y)), x.shape[1], x.dtype,
                       "naive_matrix_vector_dot")
    assert_unchanged([x, y], snap)


@PROPS
@given(matmul_pairs())
@example((np.array([[3]], dtype=np.int32), np.array([[-5]], dtype=np.int32)))
@example((np.arange(6, dtype=np.int64).reshape(2, 3) - 3, np.arange(12, dtype=np.int64).reshape(3, 4) - 6))
@example((np.arange(4, dtype=np.float64).reshape(4, 1) - 1.5, np.array([[2.0, -3.0, 0.25]])))
def test_naive_matrix_dot_matches_np_dot(pair):
    (x, y), snap = frozen(*pair)
    got = ch02.naive_matrix_dot(x, y)
    assert isinstance(got, np.ndarray)
    assert got.shape == (x.shape[0], y.shape[1])
    want = np.dot(x, y)
    assert_dot_matches(got, want, np.dot(np.abs(x), np.abs(y)), x.shape[1], x.dtype,
                       "naive_matrix_dot")
    assert_unchanged([x, y], snap)


@FEW
@given(matmul_pairs().filter(lambda p: p[0].dtype == np.float32))
def test_naive_matrix_dot_matches_tf_matmul(pair):
    x, y = pair
    want = tf.matmul(tf.constant(x), tf.constant(y)).numpy()
    assert_dot_matches(ch02.naive_matrix_dot(x, y), want, np.abs(x) @ np.abs(y),
                       x.shape[1], np.float32, "naive_matrix_dot vs tf.matmul")


# ------------------------------------------------------------------ 2.3 q6 transpose


@PROPS
@given(matrices())
@example(np.array([[42]], dtype=np.int32))
@example(np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)
def test_naive_transpose_matches_T(x):
    (x,), snap = frozen(x)
    got = ch02.naive_transpose(x)
    assert got.dtype == x.dtype
    assert got.shape == (x.shape[1], x.shape[0])
    np.testing.assert_array_equal(got, x.T)
    assert_unchanged([x], snap)


# --------------------------------------------------- 2.3 the course text's asserts


def _m(*shape):
    return np.ones(shape, dtype=np.float32)


@pytest.mark.parametrize("call", [
    pytest.param(lambda: ch02.naive_relu(_m(3)), id="relu-1d"),
    pytest.param(lambda: ch02.naive_relu(_m(2, 2, 2)), id="relu-3d"),
    pytest.param(lambda: ch02.naive_add(_m(3), _m(3)), id="add-1d"),
    pytest.param(lambda: ch02.naive_add(_m(2, 3), _m(3, 2)), id="add-shapes"),
    pytest.param(lambda: ch02.naive_add(_m(2, 3), _m(2, 4)), id="add-cols"),
    pytest.param(lambda: ch02.naive_add_matrix_and_vector(_m(2, 3), _m(2)), id="addmv-len"),
    pytest.param(lambda: ch02.naive_add_matrix_and_vector(_m(2, 3), _m(1, 3)), id="addmv-2d-y"),
    pytest.param(lambda: ch02.naive_add_matrix_and_vector(_m(3), _m(3)), id="addmv-1d-x"),
    pytest.param(lambda: ch02.naive_vector_dot(_m(3), _m(4)), id="vdot-len"),
    pytest.param(lambda: ch02.naive_vector_dot(_m(1, 3), _m(3)), id="vdot-2d"),
    pytest.param(lambda: ch02.naive_matrix_vector_dot(_m(2, 3), _m(2)), id="mvdot-len"),
    pytest.param(lambda: ch02.naive_matrix_vector_dot(_m(3), _m(3)), id="mvdot-1d-x"),
    pytest.param(lambda: ch02.naive_matrix_vector_dot(_m(2, 3), _m(3, 1)), id="mvdot-2d-y"),
    pytest.param(lambda: ch02.naive_matrix_dot(_m(2, 3), _m(4, 2)), id="mdot-(2,3)x(4,2)"),
    pytest.param(lambda: ch02.naive_matrix_dot(_m(2, 3), _m(3)), id="mdot-1d-y"),
    pytest.param(lambda: ch02.naive_transpose(_m(3)), id="transpose-1d"),
    pytest.param(lambda: ch02.naive_transpose(_m(2, 2, 2)), id="transpose-3d"),
])
def test_course_asserts_reject_bad_ranks_and_shapes(call):
    with pytest.raises(AssertionError):
        call()


# ------------------------------------------------------------ 2.4 q7 gradient tape


def test_grad_quadratic_at_zero_is_two():
    # The course text: the derivative of x**2 + 2x + 3 at 0 is 2.
    assert float(ch02.grad_quadratic(0)) == 2.0
    assert float(ch02.grad_quadratic(0.0)) == 2.0


@pytest.mark.parametrize("x0, want", [(1, 4.0), (-1, 0.0), (3.0, 8.0), (-2.5, -3.0)])
def test_grad_quadratic_fixed_points(x0, want):
    assert float(ch02.grad_quadratic(x0)) == want


@PROPS
@given(st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))
def test_grad_quadratic_is_2x_plus_2(x0):
    got = float(ch02.grad_quadratic(x0))
    assert math.isclose(got, 2 * x0 + 2, rel_tol=1e-5, abs_tol=1e-4), (x0, got)


@FEW
@given(arrays(np.float32, (2, 2)))
@example(np.array([[0.0, -1.0], [2.5, -3.0]], dtype=np.float32))
def test_grad_square_plus_3_is_2x(x):
    got = np.asarray(ch02.grad_square_plus_3(x))
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, 2 * x, rtol=1e-6, atol=0)


@FEW
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).flatmap(
    lambda shape: arrays(np.float32, shape)))
def test_grad_square_plus_3_other_shapes(x):
    got = np.asarray(ch02.grad_square_plus_3(x))
    assert got.shape == x.shape
    np.testing.assert_allclose(got, 2 * x, rtol=1e-6, atol=0)


def test_grad_square_plus_3_course_text_tensor():
    tf.random.set_seed(0)
    x = tf.random.uniform((2, 2))
    np.testing.assert_allclose(np.asarray(ch02.grad_square_plus_3(x)), 2 * x.numpy(), rtol=1e-6)


def _check_grad_dense(x, W, b):
    grads = ch02.grad_dense(x, W, b)
    assert len(grads) == 2, "grad_dense must return [dW, db]"
    dW, db = (np.asarray(g) for g in grads)
    x = np.asarray(x)
    n_rows, n_out = x.shape[0], np.shape(W)[1]
    assert dW.shape == np.shape(W)
    assert db.shape == np.shape(b)
    np.testing.assert_allclose(dW, np.tile(x.sum(axis=0)[:, None], (1, n_out)),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(db, np.full(n_out, float(n_rows)))


def test_grad_dense_non_square_shapes():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (3, 2)).astype(np.float32)
    W = rng.uniform(-1, 1, (2, 4)).astype(np.float32)
    b = np.zeros(4, dtype=np.float32)
    dW, db = (np.asarray(g) for g in ch02.grad_dense(x, W, b))
    assert dW.shape == (2, 4)
    assert db.shape == (4,)
    np.testing.assert_allclose(dW, np.tile(x.sum(0)[:, None], (1, 4)), rtol=1e-6)
    np.testing.assert_array_equal(db, [3.0, 3.0, 3.0, 3.0])


@FEW
@given(st.tuples(side, side, side).flatmap(lambda nkm: st.tuples(
    arrays(np.float32, (nkm[0], nkm[1])),
    arrays(np.float32, (nkm[1], nkm[2])),
    arrays(np.float32, (nkm[2],)))))
def test_grad_dense_random_shapes(xwb):
    _check_grad_dense(*xwb)


def test_grad_dense_course_text_tensors():
    tf.random.set_seed(1)
    x = tf.random.uniform((2, 2))
    W = tf.random.uniform((2, 2))
    b = tf.zeros((2,))
    _check_grad_dense(x, W, b)


# --------------------------------------------------------------- 2.1 q1 keras mnist


@FEW
@given(st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_preprocess_images(n, seed):
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[-1, -1, -1] = 0, 255
    (images,), snap = frozen(images)
    got = ch02.preprocess_images(images)
    assert got.shape == (n, 784)
    assert got.dtype == np.float32
    assert got.min() >= 0.0 and got.max() <= 1.0
    assert got[0, 0] == 0.0 and got[-1, -1] == 1.0
    np.testing.assert_allclose(got, images.reshape(n, 784).astype(np.float32) / 255,
                               rtol=1e-7, atol=0)
    assert_unchanged([images], snap)


def test_build_model_structure_and_compile():
    model = ch02.build_model()
    assert isinstance(model, keras.Sequential)
    assert len(model.layers) == 2
    assert all(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    assert [layer.units for layer in model.layers] == [512, 10]
    assert [layer.get_config()["activation"] for layer in model.layers] == ["relu", "softmax"]
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert model.loss == "sparse_categorical_crossentropy"
    assert model.get_compile_config()["metrics"] == ["accuracy"]


def test_build_model_outputs_probabilities():
    model = ch02.build_model()
    batch = np.random.default_rng(0).uniform(0, 1, (7, 784)).astype(np.float32)
    out = np.asarray(model(batch))
    assert out.shape == (7, 10)
    assert model.layers[0].kernel.shape == (784, 512)
    assert np.all(out >= 0)
    np.testing.assert_allclose(out.sum(axis=1), np.ones(7), atol=1e-5)


def test_build_model_returns_a_fresh_model_each_call():
    a, b = ch02.build_model(), ch02.build_model()
    assert a is not b
    a(np.zeros((1, 784), np.float32))
    b(np.zeros((1, 784), np.float32))
    assert not np.array_equal(a.layers[0].kernel.numpy(), b.layers[0].kernel.numpy())


# ------------------------------------------------------------ 2.2 q2 tensor slicing


@FEW
@given(st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_crops_equal_the_course_slices(n, seed):
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    br = ch02.crop_bottom_right(images)
    c = ch02.crop_center(images)
    assert br.shape == (n, 14, 14)
    assert c.shape == (n, 14, 14)
    np.testing.assert_array_equal(br, images[:, 14:, 14:])
    np.testing.assert_array_equal(c, images[:, 7:-7, 7:-7])


def test_crops_pick_the_right_pixels():
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28)
    assert ch02.crop_bottom_right(images)[1, 0, 0] == images[1, 14, 14]
    assert ch02.crop_bottom_right(images)[0, -1, -1] == images[0, 27, 27]
    assert ch02.crop_center(images)[0, 0, 0] == images[0, 7, 7]
    assert ch02.crop_center(images)[1, -1, -1] == images[1, 20, 20]


@PROPS
@given(st.integers(1, 400).flatmap(lambda total: st.tuples(
    st.just(total),
    st.integers(1, 150).flatmap(lambda bs: st.tuples(
        st.just(bs), st.integers(0, math.ceil(total / bs) - 1))))))
def test_get_batch_equals_slice(args):
    total, (bs, n) = args
    images = np.arange(total * 4).reshape(total, 2, 2)
    got = ch02.get_batch(images, n, batch_size=bs)
    np.testing.assert_array_equal(got, images[bs * n: bs * (n + 1)])
    assert len(got) == min(bs, total - bs * n)


def test_get_batch_default_size_and_partial_last_batch():
    images = np.arange(300 * 28 * 28, dtype=np.int64).reshape(300, 28, 28)
    np.testing.assert_array_equal(ch02.get_batch(images, 1), images[128:256])
    last = ch02.get_batch(images, 2)
    assert last.shape == (44, 28, 28)
    np.testing.assert_array_equal(last, images[256:])


# ------------------------------------------------------------ 2.5 q8 from scratch


@FEW
@given(st.integers(1, 40), st.integers(1, 40))
def test_naive_dense_shapes_and_call(n_in, n_out):
    tf.random.set_seed(n_in * 100 + n_out)
    layer = ch02.NaiveDense(input_size=n_in, output_size=n_out, activation=tf.nn.relu)
    assert isinstance(layer.W, tf.Variable) and isinstance(layer.b, tf.Variable)
    assert tuple(layer.W.shape) == (n_in, n_out)
    assert tuple(layer.b.shape) == (n_out,)
    assert len(layer.weights) == 2
    assert layer.weights[0] is layer.W and layer.weights[1] is layer.b
    # The course text's initialisation: W uniform in [0, 0.1), b zeros.
    W = layer.W.numpy()
    assert W.min() >= 0.0 and W.max() < 0.1
    np.testing.assert_array_equal(layer.b.numpy(), np.zeros(n_out))
    x = np.random.default_rng(n_in).uniform(-1, 1, (3, n_in)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(layer(x)), np.maximum(x @ W + layer.b.numpy(), 0),
                               rtol=1e-5, atol=1e-5)


def _course_model():
    return ch02.NaiveSequential([
        ch02.NaiveDense(input_size=28 * 28, output_size=512, activation=tf.nn.relu),
        ch02.NaiveDense(input_size=512, output_size=10, activation=tf.nn.softmax),
    ])


def test_naive_sequential_weights_and_call():
    tf.random.set_seed(0)
    model = _course_model()
    assert len(model.weights) == 4
    l1, l2 = model.layers
    assert [w is v for w, v in zip(model.weights, [l1.W, l1.b, l2.W, l2.b])] == [True] * 4
    x = np.random.default_rng(0).uniform(0, 1, (5, 784)).astype(np.float32)
    out = np.asarray(model(x))
    assert out.shape == (5, 10)
    np.testing.assert_allclose(out, np.asarray(l2(l1(x))), rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=1), np.ones(5), atol=1e-5)


def _drain(gen):
    batches = [gen.next() for _ in range(gen.num_batches)]
    return [len(i) for i, _ in batches], batches


def test_batch_generator_mnist_sizes():
    images = np.zeros((60000, 1), dtype=np.uint8)
    labels = np.arange(60000)
    gen = ch02.BatchGenerator(images, labels, batch_size=128)
    assert gen.num_batches == 469
    sizes, batches = _drain(gen)
    assert sizes[:-1] == [128] * 468
    assert sizes[-1] == 96
    np.testing.assert_array_equal(batches[-1][1], np.arange(59904, 60000))


def test_batch_generator_default_batch_size_is_128():
    gen = ch02.BatchGenerator(np.zeros((300, 1)), np.zeros(300))
    assert gen.num_batches == 3
    assert _drain(gen)[0] == [128, 128, 44]


def test_batch_generator_300_by_64():
    images = np.arange(300 * 2).reshape(300, 2)
    labels = np.arange(300) % 10
    gen = ch02.BatchGenerator(images, labels, batch_size=64)
    assert gen.num_batches == 5
    sizes, batches = _drain(gen)
    assert sizes == [64, 64, 64, 64, 44]
    np.testing.assert_array_equal(np.concatenate([i for i, _ in batches]), images)
    np.testing.assert_array_equal(np.concatenate([lab for _, lab in batches]), labels)


@PROPS
@given(st.integers(1, 500), st.integers(1, 200))
def test_batch_generator_covers_everything_once(total, bs):
    images, labels = np.arange(total), np.arange(total) * 7
    gen = ch02.BatchGenerator(images, labels, batch_size=bs)
    assert gen.num_batches == math.ceil(total / bs)
    sizes, batches = _drain(gen)
    assert all(s == bs for s in sizes[:-1]) and 1 <= sizes[-1] <= bs
    np.testing.assert_array_equal(np.concatenate([i for i, _ in batches]), images)
    np.testing.assert_array_equal(np.concatenate([lab for _, lab in batches]), labels)


def test_batch_generator_rejects_mismatched_lengths():
    with pytest.raises(AssertionError):
        ch02.BatchGenerator(np.zeros((10, 2)), np.zeros(9))


class _OtherModel:
    def __init__(self):
        self.weights = [tf.Variable(np.full((3, 2), 5.0, np.float32)),
                        tf.Variable(np.full((2,), -5.0, np.float32))]


def test_learning_rate_is_the_course_value():
    assert ch02.learning_rate == 1e-3


def test_update_weights_updates_exactly_the_given_weights(monkeypatch):
    other = _OtherModel()
    other_before = [w.numpy().copy() for w in other.weights]
    monkeypatch.setattr(ch02, "model", other, raising=False)
    rng = np.random.default_rng(0)
    weights = [tf.Variable(rng.normal(size=(3, 2)).astype(np.float32)),
               tf.Variable(rng.normal(size=(2,)).astype(np.float32))]
    grads = [tf.constant(rng.normal(size=(3, 2)).astype(np.float32)),
             tf.constant(rng.normal(size=(2,)).astype(np.float32))]
    before = [w.numpy().copy() for w in weights]
    ch02.update_weights(grads, weights)
    for w, b0, g in zip(weights, before, grads):
        np.testing.assert_allclose(w.numpy(), b0 - 1e-3 * g.numpy(), rtol=1e-6, atol=1e-7)
        assert not np.array_equal(w.numpy(), b0)
    for w, b0 in zip(other.weights, other_before):
        np.testing.assert_array_equal(w.numpy(), b0, err_msg="update_weights touched global model")


def test_one_training_step_returns_loss_and_takes_a_gradient_step():
    tf.random.set_seed(0)
    model = ch02.NaiveSequential([
        ch02.NaiveDense(input_size=6, output_size=5, activation=tf.nn.relu),
        ch02.NaiveDense(input_size=5, output_size=3, activation=tf.nn.softmax),
    ])
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (8, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    with tf.GradientTape() as tape:
        want_loss = tf.reduce_mean(
            tf.keras.losses.sparse_categorical_crossentropy(y, model(x)))
    grads = [g.numpy() for g in tape.gradient(want_loss, model.weights)]
    before = [w.numpy().copy() for w in model.weights]
    loss = ch02.one_training_step(model, x, y)
    assert math.isclose(float(loss), float(want_loss), rel_tol=1e-6)
    for w, b0, g in zip(model.weights, before, grads):
        np.testing.assert_allclose(w.numpy(), b0 - 1e-3 * g, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("total, epochs, batch_size", [
    (300, 1, 64), (300, 2, 64), (300, 3, 128), (300, 1, 300), (300, 2, 7), (1, 2, 5),
])
def test_fit_honours_epochs_and_batch_size(monkeypatch, total, epochs, batch_size):
    calls = []

    def recorder(model, images_batch, labels_batch):
        calls.append((model, np.asarray(images_batch).copy(), np.asarray(labels_batch).copy()))
        return 0.0

    monkeypatch.setattr(ch02, "one_training_step", recorder)
    images = np.arange(total * 3).reshape(total, 3)
    labels = np.arange(total) % 10
    sentinel = object()
    ch02.fit(sentinel, images, labels, epochs=epochs, batch_size=batch_size)
    per_epoch = math.ceil(total / batch_size)
    assert len(calls) == epochs * per_epoch
    assert all(m is sentinel for m, _, _ in calls)
    last = total - (per_epoch - 1) * batch_size
    sizes = [len(i) for _, i, _ in calls]
    assert sizes == ([batch_size] * (per_epoch - 1) + [last]) * epochs
    for e in range(epochs):
        epoch = calls[e * per_epoch:(e + 1) * per_epoch]
        np.testing.assert_array_equal(np.concatenate([i for _, i, _ in epoch]), images)
        np.testing.assert_array_equal(np.concatenate([lab for _, _, lab in epoch]), labels)


def test_fit_default_batch_size_is_128(monkeypatch):
    sizes = []
    monkeypatch.setattr(ch02, "one_training_step",
                        lambda model, images, labels: sizes.append(len(images)) or 0.0)
    ch02.fit(None, np.zeros((300, 2)), np.zeros(300), epochs=2)
    assert sizes == [128, 128, 44] * 2


# ------------------------------------------------------------ training smoke test


@pytest.fixture(scope="module")
def mnist_6000():
    try:
        mnist.resolve(download=False)
    except mnist.MnistUnavailable as error:
        pytest.skip(f"MNIST unavailable offline: {error}")
    (x_train, y_train), _ = mnist.load()
    return ch02.preprocess_images(x_train[:6000]), y_train[:6000]


def _average_loss(model, images, labels):
    return float(tf.reduce_mean(
        tf.keras.losses.sparse_categorical_crossentropy(labels, model(images))))


def test_from_scratch_fit_one_epoch_lowers_the_loss(mnist_6000):
    images, labels = mnist_6000
    tf.random.set_seed(0)
    model = _course_model()
    before = _average_loss(model, images, labels)
    ch02.fit(model, images, labels, epochs=1, batch_size=128)
    after = _average_loss(model, images, labels)
    assert after < before, f"loss before {before:.3f}, after {after:.3f}"


def test_keras_model_one_epoch_lowers_the_loss(mnist_6000):
    images, labels = mnist_6000
    keras.utils.set_random_seed(0)
    model = ch02.build_model()
    before = _average_loss(model, images, labels)
    model.fit(images, labels, epochs=1, batch_size=128, verbose=0)
    after = _average_loss(model, images, labels)
    assert after < before, f"loss before {before:.3f}, after {after:.3f}"
