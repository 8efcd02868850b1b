"""Answer key for chapter 2 ("신경망의 수학적 구성 요소").

Every graded object of the assignment, in the order of the course text. The code is the
course text's own, with its three slips fixed (each marked "fix:"):

- ``update_weights`` updates the ``weights`` it is given (the text reads the global ``model``);
- ``fit`` passes ``batch_size`` on to ``BatchGenerator`` (the text always uses 128);
- the last batch is partial: 60000 = 468 x 128 + 96, so an epoch has 469 batches.

The build copies these definitions, source and all, into the solution notebook, so each
function is self-contained apart from the imports below.
"""

import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------- 2.1 q1_keras_mnist


def preprocess_images(images):
    images = images.reshape((len(images), 28 * 28))
    return images.astype("float32") / 255


def build_model():
    model = keras.Sequential([
        layers.Dense(512, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------- 2.2 q2_tensor_slicing


def crop_bottom_right(images):
    return images[:, 14:, 14:]


def crop_center(images):
    return images[:, 7:-7, 7:-7]


def get_batch(images, n, batch_size=128):
    return images[batch_size * n:batch_size * (n + 1)]


# ---------------------------------------------------------------- 2.3 q3_elementwise


def naive_relu(x):
    assert len(x.shape) == 2
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x


def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[i, j]
    return x


# ---------------------------------------------------------------- 2.3 q4_broadcasting


def naive_add_matrix_and_vector(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    x = x.copy()
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] += y[j]
    return x


# ---------------------------------------------------------------- 2.3 q5_dot


def naive_vector_dot(x, y):
    assert len(x.shape) == 1
    assert len(y.shape) == 1
    assert x.shape[0] == y.shape[0]
    z = 0.
    for i in range(x.shape[0]):
        z += x[i] * y[i]
    return z


def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    z = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[i] += x[i, j] * y[j]
    return z


def naive_matrix_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 2
    assert x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            row_x = x[i, :]
            column_y = y[:, j]
            z[i, j] = naive_vector_dot(row_x, column_y)
    return z


# ---------------------------------------------------------------- 2.3 q6_transpose


def naive_transpose(x):
    assert len(x.shape) == 2
    z = np.zeros((x.shape[1], x.shape[0]), dtype=x.dtype)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            z[j, i] = x[i, j]
    return z


# ---------------------------------------------------------------- 2.4 q7_gradient_tape


def grad_quadratic(x0):
    x = tf.Variable(float(x0))
    with tf.GradientTape() as tape:
        y = x**2 + 2*x + 3
    return tape.gradient(y, x)


def grad_square_plus_3(x):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = x**2 + 3
    return tape.gradient(y, x)


def grad_dense(x, W, b):
    W = tf.Variable(W)
    b = tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.matmul(x, W) + b
    return tape.gradient(y, [W, b])


# ---------------------------------------------------------------- 2.5 q8_from_scratch


class NaiveDense:
    def __init__(self, input_size, output_size, activation):
        self.activation = activation

        w_shape = (input_size, output_size)
        w_initial_value = tf.random.uniform(w_shape, minval=0, maxval=1e-1)
        self.W = tf.Variable(w_initial_value)

        b_shape = (output_size,)
        b_initial_value = tf.zeros(b_shape)
        self.b = tf.Variable(b_initial_value)

    def __call__(self, inputs):
        return self.activation(tf.matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


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
            weights += layer.weights
        return weights


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
        self.index += self.batch_size
        return images, labels


def one_training_step(model, images_batch, labels_batch):
    with tf.GradientTape() as tape:
        predictions = model(images_batch)
        per_sample_losses = tf.keras.losses.sparse_categorical_crossentropy(
            labels_batch, predictions)
        average_loss = tf.reduce_mean(per_sample_losses)
    gradients = tape.gradient(average_loss, model.weights)
    update_weights(gradients, model.weights)
    return average_loss


learning_rate = 1e-3


def update_weights(gradients, weights):
    for g, w in zip(gradients, weights):  # fix: the text zips with model.weights
        w.assign_sub(g * learning_rate)


def fit(model, images, labels, epochs, batch_size=128):
    for epoch_counter in range(epochs):
        print(f"Epoch {epoch_counter}")
        batch_generator = BatchGenerator(images, labels, batch_size)  # fix: pass batch_size on
        for batch_counter in range(batch_generator.num_batches):
            images_batch, labels_batch = batch_generator.next()
            loss = one_training_step(model, images_batch, labels_batch)
            if batch_counter % 100 == 0:
                print(f"loss at batch {batch_counter}: {loss:.2f}")
