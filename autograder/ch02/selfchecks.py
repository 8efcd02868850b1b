"""Self-checks of questions whose hidden cases are not plain calls (q1, q8), written out;
the others are generated from the hidden value cases (``targets.selfcheck``)."""

from __future__ import annotations

HANDWRITTEN = {
    "q1_keras_mnist": [
        ("preprocess_images: (n, 784) float32, 0~1",
         ">>> import numpy as np\n"
         ">>> _x = preprocess_images(np.full((2, 28, 28), 255, dtype=np.uint8))\n"
         ">>> (_x.shape, str(_x.dtype), float(_x.max()))\n"
         "((2, 784), 'float32', 1.0)"),
        ("build_model: Dense 512 relu, Dense 10 softmax",
         ">>> _m = build_model()\n"
         ">>> [(type(l).__name__, l.units, l.get_config()['activation']) for l in _m.layers]\n"
         "[('Dense', 512, 'relu'), ('Dense', 10, 'softmax')]"),
    ],
    "q8_from_scratch": [
        ("NaiveDense: W (5, 3), b (3,)",
         ">>> import tensorflow as tf\n"
         ">>> _layer = NaiveDense(input_size=5, output_size=3, activation=tf.nn.relu)\n"
         ">>> [tuple(w.shape) for w in _layer.weights]\n"
         "[(5, 3), (3,)]"),
        ("BatchGenerator: 300개, batch_size=64",
         ">>> import numpy as np\n"
         ">>> _gen = BatchGenerator(np.zeros((300, 2)), np.arange(300), batch_size=64)\n"
         ">>> (_gen.num_batches, [len(_gen.next()[1]) for _ in range(5)])\n"
         "(5, [64, 64, 64, 64, 44])"),
        ("update_weights: 전달받은 weights 갱신",
         ">>> import numpy as np, tensorflow as tf\n"
         ">>> _w = [tf.Variable(np.ones((2, 2), dtype='float32'))]\n"
         ">>> _ = update_weights([tf.ones((2, 2))], _w)\n"
         ">>> bool(np.allclose(_w[0].numpy(), 1 - 1e-3))\n"
         "True"),
    ],
}


def public_checks(question, expected):
    """The written-out self-checks of ``question``, or None to generate them."""
    return HANDWRITTEN.get(question.id)
