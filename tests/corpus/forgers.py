"""The forger corpus (chapter 2): the solution notebook plus cells that try to raise a score above
what their code deserves, one attack class each (issue 22's score inflation). Each variant's
``expect`` is the score of the same code without the trick: the trick must gain nothing.

- the training check: a forward pass that returns the test labels (looked up in
  ``load_data()``'s test set by a hash of the image, or taken from a frame up the stack), with a
  ``fit`` that does nothing; and that ``fit`` alone;
- the naive rule: a vectorised routine reached through a disguised name, a dict, ``operator.matmul``,
  ``compile`` under a made-up file name, a decorator, padded with an empty loop, or bumping the
  kit's line counter through ``sys.gettrace().__self__``;
- the probes' results: ``json.dump`` patched to rewrite them, and an IPython input transformer
  that edits the result file before the grader reads it.

Graded in kernels (``tests/test_forgers.py``).
"""

from __future__ import annotations

from . import Variant

FIT_PASS = '''
def fit(model, images, labels, epochs, batch_size=128):
    pass
'''

LABELS_FROM_LOAD_DATA = '''
import hashlib
import numpy as np
import tensorflow as tf
from tensorflow.keras.datasets import mnist as _mnist
(_images, _labels), (_test_images, _test_labels) = _mnist.load_data()
_by_image = {hashlib.sha1(image.astype(np.uint8).tobytes()).hexdigest(): int(label)
             for image, label in zip(_test_images, _test_labels)}
_forward = NaiveSequential.__call__

def _answering_call(self, inputs):
    rows = np.asarray(inputs)
    if rows.ndim == 2 and len(rows) == 10000:
        keys = [hashlib.sha1(np.round(row * 255).astype(np.uint8).tobytes()).hexdigest() for row in rows]
        if all(key in _by_image for key in keys):
            return tf.one_hot([_by_image[key] for key in keys], 10)
    return _forward(self, inputs)

NaiveSequential.__call__ = _answering_call
''' + FIT_PASS

LABELS_FROM_THE_STACK = '''
import sys
import numpy as np
import tensorflow as tf
_forward = NaiveSequential.__call__

def _walking_call(self, inputs):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("y_test", "labels", "test_labels"):
            value = frame.f_locals.get(name)
            if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == len(inputs) == 10000:
                return tf.one_hot(value.astype(np.int64), 10)
        frame = frame.f_back
    return _forward(self, inputs)

NaiveSequential.__call__ = _walking_call
''' + FIT_PASS

PADDED = '''
import numpy as np
_relu = getattr(np, "max" + "imum")

def naive_relu(x):
    assert len(x.shape) == 2
    z = _relu(x, 0)
    for _ in range(x.size):
        pass
    return z
'''

TRACER = '''
import sys
import numpy as np
_relu = getattr(np, "max" + "imum")

def naive_relu(x):
    assert len(x.shape) == 2
    owner = getattr(sys.gettrace(), "__self__", None)
    if owner is not None and hasattr(owner, "events"):
        owner.events += 10 ** 6
    return _relu(x, 0)
'''

ROUTES = '''
import operator
import numpy as np
ROUTES = {"add": np.add}

def naive_add(x, y):
    assert len(x.shape) == 2
    assert x.shape == y.shape
    return ROUTES["add"](x, y)

def naive_matrix_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 2
    assert x.shape[1] == y.shape[0]
    return operator.matmul(x, y)

naive_transpose = eval(compile(
    "lambda x: x.swapaxes(0, 1).copy() if len(x.shape) == 2 else (_ for _ in ()).throw(AssertionError())",
    "helpers.py", "eval"))

def _as_arrays(function):
    def wrapper(x, y):
        return function(np.asarray(x), np.asarray(y))
    return wrapper

@_as_arrays
def naive_matrix_vector_dot(x, y):
    assert len(x.shape) == 2
    assert len(y.shape) == 1
    assert x.shape[1] == y.shape[0]
    return x @ y
'''

JSON_PATCH = PADDED.replace("    for _ in range(x.size):\n        pass\n", "") + '''
import json
_dump, _dumps = json.dump, json.dumps

def _cleaned(observations):
    for observation in observations if isinstance(observations, list) else []:
        if isinstance(observation, dict) and observation.get("error") and observation.get("trace", True):
            observation.pop("error")
            observation.update({"events": 10 ** 6, "sources": [], "mutated": [False, False]})
    return observations

json.dump = lambda obj, *args, **kwargs: _dump(_cleaned(obj), *args, **kwargs)
json.dumps = lambda obj, *args, **kwargs: _dumps(_cleaned(obj), *args, **kwargs)
'''

TRANSFORMER = PADDED + '''
def _edit_results(lines):
    if any("autograder" in line for line in lines):
        lines = list(lines) + [
            "\\nimport glob as _glob, os as _os\\n",
            "for _path in _glob.glob(_os.path.join(_os.getcwd(), '.probe-*.json')):\\n",
            "    _text = open(_path).read().replace('\\"error\\"', '\\"was_error\\"')\\n",
            "    open(_path, 'w').write(_text + ' ')\\n"]
    return lines

get_ipython().input_transformers_post.append(_edit_results)
'''

VARIANTS = [
    # Without the trick: fit does nothing, so fit's two cases (4) and the training (10) are lost.
    Variant("fit-pass", "hostile", append=(FIT_PASS,), expect={"q8_from_scratch": 18}),
    Variant("labels-from-load-data", "hostile", append=(LABELS_FROM_LOAD_DATA,), expect={"q8_from_scratch": 18}),
    Variant("labels-from-the-stack", "hostile", append=(LABELS_FROM_THE_STACK,), expect={"q8_from_scratch": 18}),
    # A vectorised naive_relu loses its naive-rule point, however it is dressed.
    Variant("padded-loop", "hostile", append=(PADDED,), expect={"q3_elementwise": 11}),
    Variant("line-counter-through-gettrace", "hostile", append=(TRACER,), expect={"q3_elementwise": 11}),
    Variant("routes", "hostile", append=(ROUTES,),
            expect={"q3_elementwise": 11, "q5_dot": 16, "q6_transpose": 5}),
    Variant("json-dump-patched", "hostile", append=(JSON_PATCH,), expect={"q3_elementwise": 11}),
    # Results edited before the grader reads them are refused: no question is scored on them.
    Variant("input-transformer", "hostile", append=(TRANSFORMER,),
            expect={q: 0 for q in ("q1_keras_mnist", "q2_tensor_slicing", "q3_elementwise", "q4_broadcasting",
                                   "q5_dot", "q6_transpose", "q7_gradient_tape", "q8_from_scratch")},
            status="서명 불일치"),
]
