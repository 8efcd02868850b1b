"""Self-checks of "2장 심화", written out: small fixed inputs of their own (never the hidden ones),
the properties each stub's docstring promises. They never train."""

from __future__ import annotations

HANDWRITTEN = {
    "q1_softmax": [
        ("naive_softmax: tf.nn.softmax와 같은 값",
         ">>> import numpy as np, tensorflow as tf\n"
         ">>> _x = np.array([[1., 2., 3.], [3., 2., 1.]])\n"
         ">>> bool(np.allclose(naive_softmax(_x), tf.nn.softmax(_x).numpy()))\n"
         "True"),
        ("naive_softmax: 1000 근처의 행도 nan 없이",
         ">>> import numpy as np\n"
         ">>> np.round(np.asarray(naive_softmax(np.array([[1000., 1000.]])), dtype=float), 6).tolist()\n"
         "[[0.5, 0.5]]"),
    ],
    "q2_crossentropy": [
        ("naive_sparse_categorical_crossentropy: -log(정답의 확률)",
         ">>> import math, numpy as np\n"
         ">>> _loss = naive_sparse_categorical_crossentropy(np.array([1]), np.array([[0.25, 0.75]]))\n"
         ">>> bool(abs(float(_loss) + math.log(0.75)) < 1e-6)\n"
         "True"),
        ("naive_sparse_categorical_crossentropy: 확률 0은 1e-7로 클리핑",
         ">>> import numpy as np\n"
         ">>> round(float(naive_sparse_categorical_crossentropy(np.array([0]), np.array([[0., 0.5, 0.5]]))), 3)\n"
         "16.118"),
    ],
    "q3_dense_backward": [
        ("dense_backward: 그레이디언트 테이프와 같은 (dx, dW, db), relu와 None",
         ">>> import numpy as np, tensorflow as tf\n"
         ">>> _x, _b = np.array([[1., 2.]]), np.array([0.5, 0., 0.])\n"
         ">>> _W, _g = np.array([[1., -1., 0.5], [0.5, 0.25, -1.]]), np.array([[1., 2., 3.]])\n"
         ">>> def _tape(activation):\n"
         "...     _v = [tf.Variable(a) for a in (_x, _W, _b)]\n"
         "...     with tf.GradientTape() as _t:\n"
         "...         _z = tf.matmul(_v[0], _v[1]) + _v[2]\n"
         "...         _y = tf.nn.relu(_z) if activation == 'relu' else _z\n"
         "...     return [d.numpy() for d in _t.gradient(_y, _v, output_gradients=tf.constant(_g))]\n"
         ">>> [np.shape(m) == t.shape and bool(np.allclose(m, t)) for a in ('relu', None)\n"
         "...  for m, t in zip(dense_backward(_x, _W, _b, _g, a), _tape(a))]\n"
         "[True, True, True, True, True, True]"),
    ],
    "q4_numeric_gradient": [
        ("numeric_gradient: sum(v**2)의 그레이디언트 2v, 상대 오차 < 1e-7, x는 그대로",
         ">>> import numpy as np\n"
         ">>> _x = np.array([1., -2., 3.])\n"
         ">>> _n = np.asarray(numeric_gradient(lambda v: np.sum(v ** 2), _x), dtype=float)\n"
         ">>> _a = np.array([2., -4., 6.])\n"
         ">>> (_n.shape, bool(np.max(np.abs(_n - _a) / np.maximum(np.abs(_n) + np.abs(_a), 1e-8)) < 1e-7),\n"
         "...  _x.tolist())\n"
         "((3,), True, [1.0, -2.0, 3.0])"),
    ],
    "q5_momentum": [
        ("update_weights_momentum: 한 걸음 (속도, 가중치)",
         ">>> import numpy as np, tensorflow as tf\n"
         ">>> _w, _v = tf.Variable([1., 2.]), tf.Variable([0.1, -0.1])\n"
         ">>> _ = update_weights_momentum([tf.constant([1., 1.])], [_w], [_v], 0.1, 0.9)\n"
         ">>> ([round(float(a), 4) for a in _v.numpy()], [round(float(a), 4) for a in _w.numpy()])\n"
         "([-0.01, -0.19], [0.99, 1.81])"),
    ],
}


def public_checks(question, expected):
    """The written-out self-checks of ``question`` (every question has some)."""
    return HANDWRITTEN.get(question.id)
