"""The corpus of "2장 심화" (ch02_plus) submissions, each with the verdict it must get (see ``corpus``).

A variant starts from the built solution (or student) notebook and replaces stub cells
(``replace``: graded object -> new source of its cell); ``expect`` gives the points per question
where they differ from the base (solution: full marks, ``FULL``; student: zero); ``status`` a
fragment the status column must hold ("ok" when nothing went wrong). Variants that only rewrite
stub cells are judged in-process (``tests/test_corpus_inprocess.py``, the training check from
``recorded/ch02_plus/``); the four at the end need a kernel (``tests/test_corpus_kernel.py``).

The expected points follow the case design (``autograder/ch02_plus/qN_*.py``; the table is in the
README): one mistake, one deduction, except where one mistake visibly breaks two graded
properties (named in a comment).
"""

from __future__ import annotations

from . import Variant

FULL = {"q1_softmax": 15, "q2_crossentropy": 15, "q3_dense_backward": 22,
        "q4_numeric_gradient": 14, "q5_momentum": 34}

VARIANTS = [
    Variant("reference", "right"),

    # ============================================================== q1_softmax (15)
    # ------------------------------------------------------------------ right
    Variant("softmax-right-logsumexp", "right", replace={"naive_softmax": """
def naive_softmax(x):
    assert x.ndim == 2
    out = np.zeros(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
    for i in range(x.shape[0]):
        m = max(float(v) for v in x[i])
        log_total = m + math.log(sum(math.exp(float(v) - m) for v in x[i]))
        for j in range(x.shape[1]):
            out[i, j] = math.exp(float(x[i, j]) - log_total)
    return out
"""}),
    Variant("softmax-right-comprehensions", "right", replace={"naive_softmax": """
def naive_softmax(x):
    rows = []
    for row in x.tolist():
        top = max(row)
        exps = [math.exp(v - top) for v in row]
        total = sum(exps)
        rows.append([e / total for e in exps])
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    return np.array(rows, dtype=dtype).reshape(x.shape)
"""}),
    Variant("softmax-right-while-shifted-copy", "right", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = x.astype(np.float64)          # a float copy: ints and float32 are converted, x untouched
    i = 0
    while i < z.shape[0]:
        biggest = z[i, 0]
        for j in range(z.shape[1]):
            if z[i, j] > biggest:
                biggest = z[i, j]
        total = 0.0
        for j in range(z.shape[1]):
            z[i, j] = math.exp(z[i, j] - biggest)
            total = total + z[i, j]
        for j in range(z.shape[1]):
            z[i, j] /= total
        i += 1
    return z.astype(np.float32) if x.dtype == np.float32 else z
"""}),
    # ------------------------------------------------------------------ wrong
    Variant("softmax-unstable", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        total = 0.
        for j in range(x.shape[1]):
            z[i, j] = np.exp(x[i, j])
            total += z[i, j]
        for j in range(x.shape[1]):
            z[i, j] = z[i, j] / total
    return z.astype(np.float32) if x.dtype == np.float32 else z
"""}, expect={"q1_softmax": 10}),  # stability only
    Variant("softmax-wrong-axis", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)
    for j in range(x.shape[1]):
        column_max = x[0, j]
        for i in range(x.shape[0]):
            column_max = max(column_max, x[i, j])
        total = 0.
        for i in range(x.shape[0]):
            z[i, j] = math.exp(float(x[i, j]) - float(column_max))
            total += z[i, j]
        for i in range(x.shape[0]):
            z[i, j] = z[i, j] / total
    return z.astype(np.float32) if x.dtype == np.float32 else z
"""}, expect={"q1_softmax": 10}),  # values only: it is a stable softmax, over the wrong axis
    Variant("softmax-global-max", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    biggest = x[0, 0]
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            biggest = max(biggest, x[i, j])
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        total = 0.
        for j in range(x.shape[1]):
            z[i, j] = math.exp(float(x[i, j]) - float(biggest))
            total += z[i, j]
        for j in range(x.shape[1]):
            z[i, j] = z[i, j] / total
    return z.astype(np.float32) if x.dtype == np.float32 else z
"""}, expect={"q1_softmax": 10}),  # stability only: a row 2000 below the top one is 0/0
    Variant("softmax-int-copy", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = x.copy()
    for i in range(x.shape[0]):
        row_max = x[i, 0]
        for j in range(1, x.shape[1]):
            row_max = max(row_max, x[i, j])
        total = 0.
        for j in range(x.shape[1]):
            total += math.exp(float(x[i, j]) - float(row_max))
        for j in range(x.shape[1]):
            z[i, j] = math.exp(float(x[i, j]) - float(row_max)) / total
    return z
"""}, expect={"q1_softmax": 14}),  # integer input only: probabilities written into an int copy
    Variant("softmax-always-float64", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        row_max = max(x[i, j] for j in range(x.shape[1]))
        total = 0.
        for j in range(x.shape[1]):
            z[i, j] = math.exp(x[i, j] - row_max)
            total += z[i, j]
        for j in range(x.shape[1]):
            z[i, j] /= total
    return z
"""}, expect={"q1_softmax": 14}),  # float32 kept: no
    Variant("softmax-overwrites-float-input", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = x if x.dtype.kind == "f" else x.astype(np.float64)  # no copy of float input
    for i in range(z.shape[0]):
        row_max = max(z[i, j] for j in range(z.shape[1]))
        total = 0.
        for j in range(z.shape[1]):
            z[i, j] = math.exp(z[i, j] - row_max)
            total += z[i, j]
        for j in range(z.shape[1]):
            z[i, j] /= total
    return z
"""}, expect={"q1_softmax": 14}),  # input unchanged: no
    Variant("softmax-forgets-to-normalise", "wrong", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    z = np.zeros(x.shape)
    for i in range(x.shape[0]):
        row_max = max(x[i, j] for j in range(x.shape[1]))
        for j in range(x.shape[1]):
            z[i, j] = math.exp(x[i, j] - row_max)
    return z.astype(np.float32) if x.dtype == np.float32 else z
"""}, expect={"q1_softmax": 0}),  # not a probability table: the other cases are not judged
    # ------------------------------------------------------------------ shortcuts
    Variant("softmax-vectorised", "shortcut", replace={"naive_softmax": """
def naive_softmax(x):
    assert len(x.shape) == 2
    shifted = x.astype(np.float64) - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    out = e / e.sum(axis=1, keepdims=True)
    return out.astype(np.float32) if x.dtype == np.float32 else out
"""}, expect={"q1_softmax": 13}),  # naive rule (2)
    Variant("softmax-tf-nn", "shortcut", replace={"naive_softmax": """
def naive_softmax(x):
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    return tf.nn.softmax(x.astype(dtype), axis=1).numpy()
"""}, expect={"q1_softmax": 13}),

    # ============================================================== q2_crossentropy (15)
    # ------------------------------------------------------------------ right
    Variant("crossentropy-right-while", "right", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    n = len(labels)
    total, i = 0.0, 0
    while i < n:
        p = probs[i][int(labels[i])]
        if p < 1e-7:
            p = 1e-7
        elif p > 1 - 1e-7:
            p = 1 - 1e-7
        total -= math.log(p)
        i += 1
    return float(total / n)
"""}),
    Variant("crossentropy-right-generator", "right", replace={"naive_sparse_categorical_crossentropy": """
EPS = 1e-7

def naive_sparse_categorical_crossentropy(labels, probs):
    losses = [-math.log(min(max(float(probs[i, labels[i]]), EPS), 1 - EPS)) for i in range(len(labels))]
    return sum(losses) / len(losses)
"""}),
    Variant("crossentropy-right-onehot-loop", "right", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    n, classes = probs.shape
    total = 0.0
    for i in range(n):
        for j in range(classes):
            target = 1.0 if j == labels[i] else 0.0
            if target:
                total += -target * math.log(min(max(probs[i, j], 1e-7), 1 - 1e-7))
    return total / n
"""}),
    # ------------------------------------------------------------------ wrong
    Variant("crossentropy-no-clipping", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    total = 0.
    for i in range(probs.shape[0]):
        total += -math.log(probs[i, labels[i]])
    return total / probs.shape[0]
"""}, expect={"q2_crossentropy": 11}),  # exact 0 and 1 only (math.log(0) raises)
    Variant("crossentropy-sum-not-mean", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    total = 0.
    for i in range(probs.shape[0]):
        total += -math.log(min(max(probs[i, labels[i]], 1e-7), 1 - 1e-7))
    return total
"""}, expect={"q2_crossentropy": 12}),  # batch mean only (batch 1 cannot tell)
    Variant("crossentropy-clips-input-in-place", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    for i in range(probs.shape[0]):
        for j in range(probs.shape[1]):
            if probs[i, j] < 1e-7:
                probs[i, j] = 1e-7
            elif probs[i, j] > 1 - 1e-7:
                probs[i, j] = 1 - 1e-7
    total = 0.
    for i in range(probs.shape[0]):
        total += -math.log(probs[i, labels[i]])
    return total / probs.shape[0]
"""}, expect={"q2_crossentropy": 14}),  # input unchanged only
    Variant("crossentropy-tiny-epsilon", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    total = 0.
    for i in range(probs.shape[0]):
        total += -math.log(min(max(probs[i, labels[i]], 1e-12), 1 - 1e-12))
    return total / probs.shape[0]
"""}, expect={"q2_crossentropy": 11}),  # exact 0: 27.6 instead of Keras's 16.1
    Variant("crossentropy-label-off-by-one", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    total = 0.
    for i in range(probs.shape[0]):
        total += -math.log(min(max(probs[i, labels[i] - 1], 1e-7), 1 - 1e-7))
    return total / probs.shape[0]
"""}, expect={"q2_crossentropy": 10}),  # one sample's loss only
    Variant("crossentropy-positive-log", "wrong", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    total = 0.
    for i in range(probs.shape[0]):
        total += math.log(min(max(probs[i, labels[i]], 1e-7), 1 - 1e-7))
    return total / probs.shape[0]
"""}, expect={"q2_crossentropy": 10}),  # one sample's loss only (its clipping is right)
    # ------------------------------------------------------------------ shortcuts
    Variant("crossentropy-vectorised", "shortcut", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    picked = np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(picked)))
"""}, expect={"q2_crossentropy": 13}),  # naive rule (2)
    Variant("crossentropy-keras-inside", "shortcut", replace={"naive_sparse_categorical_crossentropy": """
def naive_sparse_categorical_crossentropy(labels, probs):
    return float(tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, probs)))
"""}, expect={"q2_crossentropy": 13}),

    # ============================================================== q3_dense_backward (22)
    # ------------------------------------------------------------------ right
    Variant("backward-right-einsum-where", "right", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = np.einsum("ni,ik->nk", x, W) + b
    grad_z = np.where(z > 0, grad_out, 0).astype(grad_out.dtype) if activation == "relu" else grad_out
    return (np.einsum("nk,ik->ni", grad_z, W),
            np.einsum("ni,nk->ik", x, grad_z),
            np.einsum("nk->k", grad_z))
"""}),
    Variant("backward-right-loops", "right", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    batch, inputs = x.shape
    units = W.shape[1]
    grad_z = grad_out.copy()
    if activation == "relu":
        for n in range(batch):
            for k in range(units):
                z = b[k]
                for i in range(inputs):
                    z += x[n, i] * W[i, k]
                if not z > 0:
                    grad_z[n, k] = 0
    dx = np.zeros_like(x)
    dW = np.zeros_like(W)
    db = np.zeros_like(b)
    for n in range(batch):
        for k in range(units):
            db[k] += grad_z[n, k]
            for i in range(inputs):
                dx[n, i] += grad_z[n, k] * W[i, k]
                dW[i, k] += x[n, i] * grad_z[n, k]
    return dx, dW, db
"""}),
    Variant("backward-right-mask-from-output", "right", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    if activation == "relu":
        y = np.maximum(z, 0)
        grad_z = grad_out * (y > 0)      # the mask taken after the activation, with > 0: same thing
    else:
        grad_z = grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}),
    Variant("backward-right-tf-ops", "right", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = tf.matmul(x, W) + b
    grad_z = tf.constant(grad_out)
    if activation == "relu":
        grad_z = grad_z * tf.cast(z > 0, grad_z.dtype)
    dx = tf.matmul(grad_z, W, transpose_b=True)
    dW = tf.matmul(x, grad_z, transpose_a=True)
    db = tf.reduce_sum(grad_z, axis=0)
    return dx.numpy(), dW.numpy(), db.numpy()
"""}),
    # ------------------------------------------------------------------ wrong
    Variant("backward-dW-transposed", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * (z > 0) if activation == "relu" else grad_out
    return grad_z @ W.T, grad_z.T @ x, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 18}),  # dW only
    Variant("backward-db-not-summed", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * (z > 0) if activation == "relu" else grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z
"""}, expect={"q3_dense_backward": 18}),  # db only (shape (batch, units))
    Variant("backward-relu-mask-after-activation", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    if activation == "relu":
        a = np.maximum(z, 0)
        grad_z = grad_out * (a >= 0)     # a >= 0 everywhere: no mask at all
    else:
        grad_z = grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 17}),  # relu (4) and z <= 0 (1): no mask is also wrong at z = 0
    Variant("backward-relu-mask-geq-zero", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * (z >= 0) if activation == "relu" else grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 21}),  # relu at z == 0 only
    Variant("backward-relu-grad-is-output", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * np.maximum(z, 0) if activation == "relu" else grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 18}),  # relu (z != 0) only
    Variant("backward-dx-skips-relu-mask", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * (z > 0) if activation == "relu" else grad_out
    return grad_out @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 17}),  # relu (4) and z <= 0 (1): dx ignores the mask everywhere
    Variant("backward-mutates-grad-out", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    if activation == "relu":
        grad_out[x @ W + b <= 0] = 0     # masks the caller's array in place
    return grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0)
"""}, expect={"q3_dense_backward": 21}),  # input unchanged only
    Variant("backward-always-float64", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    x, W, b, grad_out = (np.asarray(a, dtype=np.float64) for a in (x, W, b, grad_out))
    z = x @ W + b
    grad_z = grad_out * (z > 0) if activation == "relu" else grad_out
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 21}),  # dtype only
    Variant("backward-relu-always", "wrong", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    z = x @ W + b
    grad_z = grad_out * (z > 0)          # applies relu' whatever the activation
    return grad_z @ W.T, x.T @ grad_z, grad_z.sum(axis=0)
"""}, expect={"q3_dense_backward": 21}),  # activation None: no mask, only
    # ------------------------------------------------------------------ shortcuts
    Variant("backward-gradient-tape", "shortcut", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation):
    x_, W_, b_ = tf.Variable(x), tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        z = tf.matmul(x_, W_) + b_
        y = tf.nn.relu(z) if activation == "relu" else z
    return tuple(g.numpy() for g in tape.gradient(y, [x_, W_, b_], output_gradients=tf.constant(grad_out)))
"""}, expect={"q3_dense_backward": 20}),  # automatic differentiation (2)
    Variant("backward-tape-under-alias", "shortcut", replace={"dense_backward": """
from tensorflow import GradientTape as _Recorder

def dense_backward(x, W, b, grad_out, activation):
    variables = [tf.Variable(a) for a in (x, W, b)]
    with _Recorder() as rec:
        z = tf.matmul(variables[0], variables[1]) + variables[2]
        y = tf.nn.relu(z) if activation == "relu" else z
    return tuple(g.numpy() for g in rec.gradient(y, variables, output_gradients=tf.constant(grad_out)))
"""}, expect={"q3_dense_backward": 20}),

    # ============================================================== q4_numeric_gradient (14)
    # ------------------------------------------------------------------ right
    Variant("numgrad-right-flat-view", "right", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    point = np.array(x, dtype=np.float64)
    flat = point.reshape(-1)          # a view: writing to flat changes point
    grad = np.zeros(flat.shape)
    for k in range(flat.size):
        saved = flat[k]
        flat[k] = saved + eps
        up = float(f(point))
        flat[k] = saved - eps
        down = float(f(point))
        flat[k] = saved
        grad[k] = (up - down) / (2 * eps)
    return grad.reshape(point.shape)
"""}),
    Variant("numgrad-right-nditer", "right", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + eps
        fxph = f(x)
        x[ix] = old - eps
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (float(fxph) - float(fxmh)) / (2 * eps)
        it.iternext()
    return grad
"""}),
    Variant("numgrad-right-fresh-copies", "right", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    base = np.asarray(x, dtype=np.float64)
    grad = np.empty(base.shape, dtype=np.float64)
    for index in np.ndindex(*base.shape):
        plus, minus = base.copy(), base.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (float(f(plus)) - float(f(minus))) / (2 * eps)
    return grad
"""}),
    # ------------------------------------------------------------------ wrong
    Variant("numgrad-one-sided", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    fx = float(f(x))
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        grad[index] = (float(f(x)) - fx) / eps
        x[index] = old
    return grad
"""}, expect={"q4_numeric_gradient": 8}),  # relative error only (about 1e-5)
    Variant("numgrad-divides-by-eps", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = float(f(x))
        x[index] = old - eps
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / eps
    return grad
"""}, expect={"q4_numeric_gradient": 8}),
    Variant("numgrad-forgets-to-restore", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps
        f_plus = float(f(x))
        x[index] -= 2 * eps
        f_minus = float(f(x))
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 8}),  # relative error only (on its own copy)
    Variant("numgrad-float32", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float32)
    grad = np.zeros(x.shape, dtype=np.float32)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = float(f(x))
        x[index] = old - eps
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 8}),  # relative error only (float32 steps of 1e-5)
    Variant("numgrad-default-eps-1e-3", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-3):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = float(f(x))
        x[index] = old - eps
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 12}),  # eps only
    Variant("numgrad-ignores-eps", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    h = 1e-5
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        f_plus = float(f(x))
        x[index] = old - h
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
"""}, expect={"q4_numeric_gradient": 12}),  # eps only
    Variant("numgrad-only-2d", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            old = x[i, j]
            x[i, j] = old + eps
            f_plus = float(f(x))
            x[i, j] = old - eps
            f_minus = float(f(x))
            x[i, j] = old
            grad[i, j] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 12}),  # n-dimensional input only
    Variant("numgrad-no-float-copy", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    x = x.copy()
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        f_plus = float(f(x))
        x[index] = old - eps
        f_minus = float(f(x))
        x[index] = old
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 12}),  # integer input only
    Variant("numgrad-restores-by-arithmetic", "wrong", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    if x.dtype != np.float64:
        x = x.astype(np.float64)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps                  # works on the caller's float64 array
        f_plus = float(f(x))
        x[index] -= 2 * eps
        f_minus = float(f(x))
        x[index] += eps                  # back, up to rounding
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
"""}, expect={"q4_numeric_gradient": 12}),  # input unchanged only

    # ============================================================== q5_momentum (34)
    # ------------------------------------------------------------------ right
    Variant("momentum-right-assign", "right", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(v * momentum - g * learning_rate)
        w.assign(w + v)
"""}),
    Variant("momentum-right-index-loop", "right", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for i in range(len(weights)):
        new_velocity = momentum * velocities[i] - learning_rate * gradients[i]
        velocities[i].assign(new_velocity)
        weights[i].assign_sub(-new_velocity)
"""}),
    Variant("momentum-right-numpy-roundtrip", "right", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    # .numpy() does not trace: the check trains eagerly (slower, same result)
    for g, w, v in zip(gradients, weights, velocities):
        new_v = momentum * v.numpy() - learning_rate * np.asarray(g)
        v.assign(new_v)
        w.assign(w.numpy() + new_v)
"""}),
    # ------------------------------------------------------------------ wrong
    Variant("momentum-wrong-sign", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v - learning_rate * g)
        w.assign_sub(v)                  # climbs the loss
"""}, expect={"q5_momentum": 14}),  # weights (10) and training (10)
    Variant("momentum-velocity-sign", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v + learning_rate * g)
        w.assign_add(v)
"""}, expect={"q5_momentum": 5}),  # weights (10), velocity (9) and training (10): both are wrong
    Variant("momentum-velocity-not-kept", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        new_v = momentum * v - learning_rate * g   # computed, never stored: v stays 0
        w.assign_add(new_v)
"""}, expect={"q5_momentum": 15}),  # velocity (9) and training (10): it trains as plain SGD
    Variant("momentum-hardcoded-hyperparameters", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(0.9 * v - 1e-3 * g)
        w.assign_add(v)
"""}, expect={"q5_momentum": 29}),  # arguments (5) only
    Variant("momentum-torch-convention", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v + g)       # PyTorch's buffer: not the velocity the spec asks for
        w.assign_sub(learning_rate * v)
"""}, expect={"q5_momentum": 15}),  # weights (10) and velocity (9): given a velocity in the spec's
    # (Keras's) units, its step and its stored state both differ; from rest it trains like the key
    Variant("momentum-moves-by-gradient", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v - learning_rate * g)
        w.assign_sub(learning_rate * g)  # the velocity is kept but never used
"""}, expect={"q5_momentum": 14}),  # weights (10) and training (10)
    Variant("momentum-rebinds-weights", "wrong", replace={"update_weights_momentum": """
def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w, v in zip(gradients, weights, velocities):
        v.assign(momentum * v - learning_rate * g)
        w = w + v                        # a new tensor: the variable is not changed
"""}, expect={"q5_momentum": 14}),  # weights (10) and training (10)
    Variant("momentum-own-velocity-store", "wrong", replace={"update_weights_momentum": """
_velocity_store = {}

def update_weights_momentum(gradients, weights, velocities, learning_rate, momentum):
    for g, w in zip(gradients, weights):
        key = w.ref()
        if key not in _velocity_store:
            _velocity_store[key] = tf.Variable(tf.zeros_like(w))
        v = _velocity_store[key]
        v.assign(momentum * v - learning_rate * g)
        w.assign_add(v)
"""}, expect={"q5_momentum": 10}),  # ignores `velocities`: weights, velocity, arguments; trains

    # ============================================================== whole notebook
    Variant("imports-the-key", "shortcut", replace={"naive_softmax": """
from solutions.ch02_plus import naive_softmax
"""}, expect={"q1_softmax": 0}, status="채점 도구", kernel=True),
    Variant("infinite-loop-in-numeric-gradient", "broken", replace={"numeric_gradient": """
def numeric_gradient(f, x, eps=1e-5):
    while True:
        pass
"""}, expect={"q4_numeric_gradient": 0}),  # its demonstration cells are not run: only its own cases time out
    Variant("syntax-error-in-dense-backward", "broken", replace={"dense_backward": """
def dense_backward(x, W, b, grad_out, activation)
    return x
"""}, expect={"q3_dense_backward": 0}, status="문법 오류"),
    Variant("untouched-stubs", "broken", base="student"),
]
