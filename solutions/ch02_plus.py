"""Answer key for "2장 심화" (assignment ``ch02_plus``): what chapter 2 builds on but does not print.

The chapter shows how a layer computes ``activation(dot(input, W) + b)`` and lets
``GradientTape`` and ``optimizers.SGD`` do the rest. These five exercises open those boxes:

- q1 ``naive_softmax(x)``: the second layer's activation, row by row, in Python loops, stable
  for rows near +-1000 (subtract each row's maximum before ``exp``);
- q2 ``naive_sparse_categorical_crossentropy(labels, probs)``: the chapter's loss, mean over the
  batch, probabilities clipped to ``[1e-7, 1 - 1e-7]`` as Keras clips them;
- q3 ``dense_backward(x, W, b, grad_out, activation)``: the gradients ``GradientTape`` computes
  for one dense layer, by hand with the chain rule;
- q4 ``numeric_gradient(f, x, eps=1e-5)``: central differences, to check q3 (gradient check);
- q5 ``update_weights_momentum(...)``: SGD with momentum, the chapter's ``update_weights`` with
  a velocity.

Exact semantics (what the hidden checks judge):

``naive_softmax(x)``
    ``x``: 2-D array ``(samples, classes)``, any real dtype. Returns a new array of ``x``'s shape,
    ``float32`` when ``x`` is ``float32`` and ``float64`` otherwise (``float64`` and integer
    input), each row ``exp(x[i] - max(x[i])) / sum(exp(x[i] - max(x[i])))``: finite, in
    ``[0, 1]``, summing to 1, also for rows near +-1000. Computed in Python floats; ``x`` is never
    modified. Naive rule: Python loops over the entries; the scalar ``math.exp`` is the only
    library routine (no ``np.exp`` of a row, ``np.max``, ``.sum()``, ``tf.nn.softmax``...).
``naive_sparse_categorical_crossentropy(labels, probs)``
    Argument order of Keras (``y_true, y_pred``). ``labels``: 1-D integer array ``(samples,)``;
    ``probs``: 2-D array ``(samples, classes)`` whose rows are probability distributions. Returns a
    Python ``float``: ``mean_i -log(clip(probs[i, labels[i]], 1e-7, 1 - 1e-7))``. Keras
    (``keras.losses.sparse_categorical_crossentropy``, TensorFlow backend) clips the same way and
    then renormalises the clipped row; for rows that sum to 1 the two differ by
    ``log(sum of the clipped row)``, at most ``(classes - 1) * 1e-7`` (9e-7 for 10 classes, at
    one-hot rows), which is why the tests compare with ``atol=1e-5``. Inputs are never modified.
    Naive rule: a Python loop over the samples, scalar ``math.log``, ``min``/``max``.
``dense_backward(x, W, b, grad_out, activation)``
    The layer is ``y = activation(x @ W + b)`` with ``x`` ``(batch, inputs)``, ``W``
    ``(inputs, units)``, ``b`` ``(units,)``, and ``activation`` the string ``"relu"`` or ``None``
    (the identity), as in ``keras.layers.Dense(units, activation=...)``; a string rather than a
    callable, because the backward pass needs to know which derivative to apply, and a callable
    such as ``tf.nn.relu`` cannot say so reliably. Any other value raises ``ValueError``.
    ``grad_out`` ``(batch, units)`` is dL/dy for some scalar loss L. Returns the tuple
    ``(dx, dW, db)`` = (dL/dx, dL/dW, dL/db) of shapes ``x.shape``, ``W.shape`` and ``(units,)``
    (``db`` summed over the batch), NumPy arrays of the inputs' dtype (all four share one float
    dtype, ``float32`` or ``float64``). The derivative of relu is 1 where ``z = x @ W + b > 0`` and
    0 elsewhere, *including* ``z == 0``, as TensorFlow's relu gradient. Inputs are never
    modified. Vectorised NumPy is fine here; automatic differentiation is not: no
    ``GradientTape``, ``tape.gradient``/``jacobian``, ``tf.gradients``, ``tf.custom_gradient``,
    ``tf.autodiff``, ``tf.test.compute_gradient``, JAX or PyTorch autograd.
``numeric_gradient(f, x, eps=1e-5)``
    ``f`` maps an array of ``x``'s shape to a real scalar (a Python/NumPy float or a 0-d tensor;
    the result is read with ``float``). ``x``: array of any shape and any real dtype. Returns a
    new ``float64`` array of ``x``'s shape whose entry at ``i`` is
    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, evaluated on a ``float64`` copy of ``x`` (so
    integer and ``float32`` inputs work) that is perturbed one entry at a time and restored by
    assignment; the caller's ``x`` is never modified. ``f`` is called ``2 * x.size`` times.
``update_weights_momentum(gradients, weights, velocities, learning_rate, momentum)``
    Three lists of the same length: gradients (tensors), weights and velocities
    (``tf.Variable`` of matching shapes; velocities start at zeros). For each triple, in place:
    ``v <- momentum * v - learning_rate * g`` then ``w <- w + v``. Returns ``None``. This is
    exactly ``keras.optimizers.SGD(learning_rate, momentum=momentum)`` (``nesterov=False``):
    Keras stores the same ``m = m * momentum - g * learning_rate`` in its momentum slot and adds
    it to the variable, and the tests find the two identical step by step. ``momentum=0`` is the
    chapter's ``update_weights`` (``w -= learning_rate * g``).

Like ``solutions/ch02.py``, each definition is self-contained apart from the imports below:
the build copies them, source and all, into the solution notebook.
"""

import math

import numpy as np

# ---------------------------------------------------------------- 2.3 q1_softmax


def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)  # float64 while computing
    for i in range(x.shape[0]):
        row_max = x[i, 0]
        for j in range(1, x.shape[1]):
            row_max = max(row_max, x[i, j])
        total = 0.
        for j in range(x.shape[1]):
            # exp of a number <= 0: at most 1, never overflows
            z[i, j] = math.exp(float(x[i, j]) - float(row_max))
            total += z[i, j]
        for j in range(x.shape[1]):
            z[i, j] = z[i, j] / total
    if x.dtype == np.float32:
        return z.astype(np.float32)
    return z


# ---------------------------------------------------------------- 2.4 q2_crossentropy


def naive_sparse_categorical_crossentropy(labels, probs):
    assert len(labels.shape) == 1
    assert len(probs.shape) == 2
    assert labels.shape[0] == probs.shape[0]
    epsilon = 1e-7  # keras.config.epsilon()
    total = 0.
    for i in range(probs.shape[0]):
        p = float(probs[i, labels[i]])
        p = min(max(p, epsilon), 1 - epsilon)  # clipping, as Keras does: log(0) is -inf
        total += -math.log(p)
    return total / probs.shape[0]


# ---------------------------------------------------------------- 2.4 q3_dense_backward


def dense_backward(x, W, b, grad_out, activation):
    z = np.dot(x, W) + b
    if activation == "relu":
        grad_z = grad_out * (z > 0)  # relu'(z) is 1 where z > 0, else 0 (also at z == 0)
    elif activation is None:
        grad_z = grad_out
    else:
        raise ValueError(f"activation must be 'relu' or None, not {activation!r}")
    dx = np.dot(grad_z, W.T)  # z[n, k] = sum_i x[n, i] W[i, k] + b[k]
    dW = np.dot(x.T, grad_z)
    db = grad_z.sum(axis=0)   # b is added to every sample of the batch
    return dx, dW, db


# ---------------------------------------------------------------- 2.4 q4_numeric_gradient


def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)  # a float64 copy: the caller's x stays as it was
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old_value = x[index]
        x[index] = old_value + eps
        f_plus = float(f(x))
        x[index] = old_value - eps
        f_minus = float(f(x))
        x[index] = old_value  # restore by assignment, not by arithmetic
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


# ---------------------------------------------------------------- 2.5 q5_momentum


def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v - learning_rate * g)
        w.assign_add(v)
