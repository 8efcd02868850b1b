"""Probe runtime: exercises graded objects and turns what happens into plain data.

This file runs in two places:

- inside a student's kernel, sent there as source text (it imports nothing from the kit,
  only the standard library, NumPy and, for some probes, TensorFlow), where ``main`` calls
  the student's objects and writes the observations to a JSON file;
- in the grader's own process, imported normally, where ``run_probe`` calls the reference
  objects on the same inputs and ``decode`` reads observations back.

A probe spec is plain JSON: ``{"op": ..., ...}``. An observation is plain JSON too, so nothing
the student's code creates (an object with a fake ``__eq__``, a patched NumPy) crosses over.
"""

import base64
import contextlib
import io
import json
import math
import os
import random
import signal
import sys
import time

import numpy as np

RUNTIME_FILENAME = "<ch02-runtime>"
CALL_SECONDS = 5  # one call of a graded function on a small input


class ProbeTimeout(BaseException):
    """Raised inside a probed call that overruns; BaseException so ``except Exception`` in
    student code does not swallow it."""


class Unsupported(Exception):
    pass


class TracingDisabled(Unsupported):
    pass


# ----------------------------------------------------------------------------- encoding


def encode_array(array):
    array = np.asarray(array)  # keeps 0-d arrays 0-d (ascontiguousarray would not)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes(order="C")).decode("ascii")}


def decode_array(payload):
    data = base64.b64decode(payload["data"])
    return np.frombuffer(data, dtype=np.dtype(payload["dtype"])).reshape(payload["shape"]).copy()


def encode(value, depth=0):
    """Plain-data form of a value, accepting only exact, known types."""
    if depth > 4:
        raise Unsupported("너무 깊게 중첩된 값")
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return {"t": "float", "v": repr(value)}
    if kind is np.ndarray:
        if value.dtype == object:
            raise Unsupported("dtype=object 배열")
        return {"t": "ndarray", **encode_array(value)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return {"t": "npscalar", **encode_array(np.asarray(value))}
    if kind in (list, tuple):
        if len(value) > 64:
            raise Unsupported("원소가 너무 많은 리스트")
        return {"t": kind.__name__, "items": [encode(item, depth + 1) for item in value]}
    tensor_kind = _tensor_kind(value)
    if tensor_kind:
        return {"t": tensor_kind, **encode_array(value.numpy())}
    raise Unsupported(f"지원하지 않는 반환 형식: {kind.__module__}.{kind.__qualname__}")


def _tensor_kind(value):
    module = type(value).__module__ or ""
    if not module.startswith("tensorflow"):
        return None
    name = type(value).__name__
    if name == "EagerTensor":
        return "tensor"
    if name in ("ResourceVariable", "UninitializedVariable") and hasattr(value, "numpy"):
        return "variable"
    return None


def decode(payload):
    """Inverse of ``encode``: NumPy arrays for array-like kinds, Python values otherwise."""
    kind = payload["t"]
    if kind == "none":
        return None
    if kind == "bool":
        return bool(payload["v"])
    if kind == "int":
        return int(payload["v"])
    if kind == "float":
        return float(payload["v"])
    if kind in ("ndarray", "npscalar", "tensor", "variable"):
        return decode_array(payload)
    if kind in ("list", "tuple"):
        return [decode(item) for item in payload["items"]]
    raise ValueError(f"unknown payload kind {kind!r}")


def describe_error(error):
    message = str(error)
    if len(message) > 500:
        message = message[:500] + "…"
    return {"type": type(error).__name__, "message": message}


# ----------------------------------------------------------------------------- guards


@contextlib.contextmanager
def time_limit(seconds):
    """SIGALRM-based limit for a call in the main thread (kernels run cells there).

    When the alarm fires, every further line of student code raises ``ProbeTimeout`` too, so
    a loop that catches the first one (``except BaseException: pass``) still ends."""
    import threading

    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def stop(frame, event, arg):
        if event == "exception":
            return stop  # raising here would switch tracing off before the handler runs
        if is_user_code(frame.f_code):
            raise ProbeTimeout(f"{seconds}초 시간 제한 초과")
        return None

    def on_alarm(signum, frame):
        sys.settrace(stop)  # frames entered from now on
        while frame is not None:  # and the student's frames already running
            if is_user_code(frame.f_code):
                frame.f_trace, frame.f_trace_lines = stop, True
            frame = frame.f_back
        raise ProbeTimeout(f"{seconds}초 시간 제한 초과")

    previous_handler, previous_trace = signal.signal(signal.SIGALRM, on_alarm), sys.gettrace()
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)  # and again every second until done
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        sys.settrace(previous_trace)


class _CappedText(io.TextIOBase):
    """Swallows what a probed call prints, keeping only its start."""

    def __init__(self, limit=2000):
        self.parts, self.size, self.limit = [], 0, limit

    def write(self, text):
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
        self.size += len(text)
        return len(text)

    def getvalue(self):
        return "".join(self.parts)


@contextlib.contextmanager
def quiet():
    sink = _CappedText()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield sink


def _library_roots():
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return tuple(os.path.realpath(root) + os.sep for root in roots if root)


_USER_CODE = {}


def is_user_code(code):
    """Code that is neither a library (below the interpreter's prefixes) nor this file."""
    filename = code.co_filename
    verdict = _USER_CODE.get(filename)
    if verdict is None:
        real = os.path.realpath(filename) if filename.startswith(os.sep) else filename
        verdict = not (filename in (RUNTIME_FILENAME, globals().get("__file__"))
                       or real.startswith(_library_roots()) or filename.startswith("<frozen"))
        _USER_CODE[filename] = verdict
    return verdict


class LoopCounter:
    """Counts Python line and call events in student code (``is_user_code``).

    Loop-based code runs at least one line per element it touches; code that hands the work
    to a vectorised routine runs a handful of lines whatever the input size."""

    def __init__(self):
        self.events = 0

    def _global(self, frame, event, arg):
        if event == "call" and is_user_code(frame.f_code):
            self.events += 1
            return self._local
        return None

    def _local(self, frame, event, arg):
        if event == "line":
            self.events += 1
        return self._local

    def __enter__(self):
        if type(sys.settrace).__name__ != "builtin_function_or_method":
            raise TracingDisabled("sys.settrace가 바뀌어 반복문 실행을 확인할 수 없습니다")
        self._previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return False


# ----------------------------------------------------------------------------- sources


def collect_sources(obj, namespace, limit=12):
    """Source of ``obj`` and of the user-defined functions it reaches by global name."""
    import inspect
    import types

    seen, sources, queue = set(), [], [obj]
    while queue and len(sources) < limit:
        current = queue.pop(0)
        code = getattr(current, "__code__", None)
        if code is None or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            source = inspect.getsource(current)
        except (OSError, TypeError):
            source = None
        sources.append({"name": getattr(current, "__name__", "?"), "source": source})
        codes = [code] + [c for c in code.co_consts if isinstance(c, types.CodeType)]
        names = {name for c in codes for name in c.co_names}
        for name in sorted(names):
            target = namespace.get(name)
            if isinstance(target, types.FunctionType) and id(target) not in seen:
                queue.append(target)
    return sources


def origin(obj):
    """Where an object was defined: module name and file, for the kit-import rule."""
    target = obj
    if isinstance(obj, type):
        target = next((v for v in vars(obj).values() if hasattr(v, "__code__")), obj)
    code = getattr(target, "__code__", None)
    return {"module": getattr(obj, "__module__", None) or "",
            "file": code.co_filename if code is not None else ""}


# ----------------------------------------------------------------------------- probes


def _lookup(namespace, name):
    if name not in namespace:
        raise NameError(f"{name}이(가) 정의되지 않았습니다")
    return namespace[name]


def probe_call(namespace, spec):
    """Call one object on given arguments; record result, error, mutation and loop count."""
    func = _lookup(namespace, spec["object"])
    args = [decode(a) for a in spec["args"]]
    kwargs = {k: decode(v) for k, v in spec.get("kwargs", {}).items()}
    snapshot = [encode(a) for a in args]
    observation = {"object": spec["object"]}
    counter = LoopCounter() if spec.get("trace") else contextlib.nullcontext()
    started = time.perf_counter()
    try:
        with quiet(), time_limit(spec.get("seconds", CALL_SECONDS)), counter:
            result = func(*args, **kwargs)
        observation["result"] = encode(result)
    except ProbeTimeout as error:
        observation["error"] = {"type": "Timeout", "message": str(error)}
    except Unsupported as error:
        observation["error"] = {"type": "Unsupported", "message": str(error)}
    except Exception as error:
        observation["error"] = describe_error(error)
    observation["seconds"] = time.perf_counter() - started
    observation["mutated"] = [encode(a) != s for a, s in zip(args, snapshot)]
    if spec.get("trace"):
        observation["events"] = counter.events
        observation["sources"] = collect_sources(func, namespace)
    return observation


def probe_origins(namespace, spec):
    return {"origins": {name: origin(namespace[name]) for name in spec["objects"]
                        if name in namespace}}


def _tf():
    import tensorflow as tf

    return tf


def probe_keras_model(namespace, spec):
    """Structure of ``build_model()`` and its output on a small batch."""
    tf = _tf()
    model = _lookup(namespace, "build_model")()
    batch = decode(spec["batch"])
    info = {"class": f"{type(model).__module__}.{type(model).__name__}",
            "is_sequential": isinstance(model, tf.keras.Sequential)}
    layers = []
    for layer in getattr(model, "layers", []):
        activation = getattr(layer, "activation", None)  # keras.activations.relu or tf.nn.relu
        layers.append({"class": type(layer).__name__, "units": getattr(layer, "units", None),
                       "activation": (_name_of(activation) or "").removesuffix("_v2")})  # tf.nn.softmax
    info["layers"] = layers
    optimizer = getattr(model, "optimizer", None)
    info["optimizer"] = type(optimizer).__name__ if optimizer is not None else None
    info["loss"] = _name_of(getattr(model, "loss", None))
    metrics = []
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None:
        metrics = compile_config.config.get("metrics") or []
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    info["metrics"] = [_name_of(m) for m in metrics]
    info["compiled"] = bool(getattr(model, "compiled", False))
    output = model(batch)
    info["output"] = encode_array(np.asarray(output))
    return info


def _name_of(thing):
    """``"relu"`` for "relu", keras.activations.relu, tf.nn.relu or a Loss/Metric object."""
    if thing is None or isinstance(thing, str):
        return thing
    name = getattr(thing, "name", None) or getattr(thing, "__name__", None)
    return name if isinstance(name, str) else repr(thing)[:80]


class _Layer:
    """A known-good dense layer, so NaiveSequential can be checked on its own."""

    def __init__(self, W, b, activation):
        tf = _tf()
        self.W, self.b, self.activation = tf.Variable(W), tf.Variable(b), activation

    def __call__(self, inputs):
        return self.activation(_tf().matmul(inputs, self.W) + self.b)

    @property
    def weights(self):
        return [self.W, self.b]


class _Model:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, inputs):
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs

    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]


def _weights_payload(weights):
    return [{"kind": _tensor_kind(w) or type(w).__name__,
             "trainable": bool(getattr(w, "trainable", False)),
             **encode_array(np.asarray(w))} for w in weights]


def probe_naive_dense(namespace, spec):
    tf = _tf()
    tf.random.set_seed(spec["seed"])
    layer = _lookup(namespace, "NaiveDense")(
        input_size=spec["input_size"], output_size=spec["output_size"], activation=tf.nn.relu)
    weights = list(layer.weights)
    x = decode(spec["inputs"])
    return {"weights": _weights_payload(weights), "output": encode_array(np.asarray(layer(x)))}


def _activation(name):
    tf = _tf()
    return {"relu": tf.nn.relu, "softmax": tf.nn.softmax}[name]


def _known_model(spec):
    return _Model([_Layer(decode(l["W"]), decode(l["b"]), _activation(l["activation"]))
                   for l in spec["layers"]])


def probe_naive_sequential(namespace, spec):
    known = _known_model(spec)
    model = _lookup(namespace, "NaiveSequential")(known.layers)
    weights = list(model.weights)
    return {"weights": _weights_payload(weights),
            "same_objects": [any(w is k for k in known.weights) for w in weights],
            "output": encode_array(np.asarray(model(decode(spec["inputs"]))))}


def probe_batch_generator(namespace, spec):
    images, labels = decode(spec["images"]), decode(spec["labels"])
    cls = _lookup(namespace, "BatchGenerator")
    kwargs = {"batch_size": spec["batch_size"]} if spec.get("batch_size") else {}
    generator = cls(images, labels, **kwargs)
    num_batches = generator.num_batches
    if type(num_batches) not in (int, np.int64, np.int32) or not 0 <= num_batches <= 10_000:
        return {"num_batches": repr(num_batches)[:80], "batches": []}
    batches = []
    for _ in range(int(num_batches)):
        batch_images, batch_labels = generator.next()
        batches.append({"images": encode_array(np.asarray(batch_images)),
                        "labels": encode_array(np.asarray(batch_labels))})
    return {"num_batches": int(num_batches), "batches": batches}


@contextlib.contextmanager
def swapped(namespace, replacements):
    """Temporarily rebind names in the student's namespace (restored even on error)."""
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def globals_of(func, namespace):
    """The namespace a function reads its global names from (a front-end may hand the
    probes a copy of the notebook's globals; rebinding must reach the real one)."""
    scope = getattr(func, "__globals__", None)
    return scope if isinstance(scope, dict) else namespace


def fresh_optimizers(namespace):
    """New copies of Keras optimizers found in the namespace: a Keras 3 optimizer only
    updates the variables it was first built with, and the probes use new variables."""
    tf = _tf()
    fresh = {}
    for name, value in list(namespace.items()):
        if isinstance(value, tf.keras.optimizers.Optimizer):
            fresh[name] = type(value).from_config(value.get_config())
    return fresh


def probe_update_weights(namespace, spec):
    tf = _tf()
    update = _lookup(namespace, "update_weights")
    weights = [tf.Variable(decode(w)) for w in spec["weights"]]
    gradients = [tf.constant(decode(g)) for g in spec["gradients"]]
    decoy = _known_model(spec["decoy"])
    scope = globals_of(update, namespace)
    with swapped(scope, {"model": decoy, **fresh_optimizers(scope)}):
        update(gradients, weights)
    # Raw values only: the comparison happens in the grader's process, out of reach of a
    # patched NumPy in this one.
    return {"weights": [encode_array(np.asarray(w)) for w in weights],
            "decoy": [encode_array(np.asarray(w)) for w in decoy.weights]}


def _sgd_update(gradients, weights):
    for gradient, weight in zip(gradients, weights):
        weight.assign_sub(gradient * 1e-3)


def probe_training_step(namespace, spec):
    step = _lookup(namespace, "one_training_step")
    model = _known_model(spec)
    images, labels = decode(spec["images"]), decode(spec["labels"])
    with swapped(globals_of(step, namespace), {"update_weights": _sgd_update}):
        loss = step(model, images, labels)
    return {"loss": encode(loss), "weights": [encode_array(np.asarray(w)) for w in model.weights]}


class _Batches:
    """A known-good BatchGenerator, so ``fit`` is checked on its own."""

    def __init__(self, images, labels, batch_size=128):
        self.index, self.images, self.labels, self.batch_size = 0, images, labels, batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        start, self.index = self.index, self.index + self.batch_size
        return self.images[start:self.index], self.labels[start:self.index]


def probe_fit(namespace, spec):
    """The batch sizes ``fit`` hands to ``one_training_step`` (recorded, not trained on)."""
    fit = _lookup(namespace, "fit")
    sizes = []

    def record_step(model, images_batch, labels_batch):
        sizes.append(int(len(images_batch)))
        if len(sizes) > 10_000:
            raise RuntimeError("one_training_step가 너무 많이 호출되었습니다")
        return _tf().constant(0.5)

    images, labels = decode(spec["images"]), decode(spec["labels"])
    with swapped(globals_of(fit, namespace), {"one_training_step": record_step, "BatchGenerator": _Batches}):
        fit(_Model([]), images, labels, epochs=spec["epochs"], batch_size=spec["batch_size"])
    return {"sizes": sizes}


def _mnist():
    """MNIST as the grader provides it ($MNIST_NPZ), else through Keras (its cache or its own
    download, checked against Keras's hash)."""
    path = os.environ.get("MNIST_NPZ")
    try:
        if path:
            with np.load(path, allow_pickle=False) as data:
                x_train, y_train = data["x_train"], data["y_train"]
                x_test, y_test = data["x_test"], data["y_test"]
        else:
            from keras.datasets import mnist

            (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as error:
        raise RuntimeError(f"MNIST 데이터를 불러올 수 없습니다 ({type(error).__name__}: {error})") from None
    prepare = lambda x: x.reshape((len(x), 28 * 28)).astype("float32") / 255
    return prepare(x_train), y_train, prepare(x_test), y_test


def _seed_everything(seed):
    tf = _tf()
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)


def probe_train(namespace, spec):
    """The course's experiment with the student's classes and functions: a fresh two-layer
    model, ``fit`` for the given epochs, predictions on the test set.

    The training step is compiled with ``tf.function`` when it traces (about 2.4x faster on
    CPU); otherwise it runs eagerly. Attempts are retried with the next seed only while
    the accuracy is close to the bar, so an unlucky correct model is not failed."""
    tf = _tf()
    x_train, y_train, x_test, y_test = _mnist()
    make_layer, make_model = _lookup(namespace, "NaiveDense"), _lookup(namespace, "NaiveSequential")
    fit, step = _lookup(namespace, "fit"), _lookup(namespace, "one_training_step")
    attempts, compiled = [], True
    for seed in spec["seeds"]:
        while True:
            _seed_everything(seed)
            model = make_model([
                make_layer(input_size=28 * 28, output_size=512, activation=tf.nn.relu),
                make_layer(input_size=512, output_size=10, activation=tf.nn.softmax),
            ])
            chosen = tf.function(step, reduce_retracing=True) if compiled else step
            started = time.perf_counter()
            try:
                scope = globals_of(fit, namespace)
                with quiet(), swapped(scope, {"one_training_step": chosen, **fresh_optimizers(scope)}):
                    fit(model, x_train, y_train, epochs=spec["epochs"], batch_size=spec["batch_size"])
            except ProbeTimeout:
                raise
            except Exception:
                if compiled:
                    compiled = False  # tracing failed: the same attempt again, eagerly
                    continue
                raise
            break
        outputs = np.asarray(model(x_test), dtype=np.float32)  # argmax is taken by the grader
        attempts.append({"seed": seed, "compiled": compiled,
                         "seconds": time.perf_counter() - started,
                         "outputs": encode_array(outputs)})
        accuracy = float(np.mean(outputs.argmax(axis=1) == y_test))  # only decides on a retry
        if accuracy >= spec["bar"] or accuracy < spec["retry_floor"]:
            break
    return {"attempts": attempts}


PROBES = {
    "call": probe_call,
    "origins": probe_origins,
    "keras_model": probe_keras_model,
    "naive_dense": probe_naive_dense,
    "naive_sequential": probe_naive_sequential,
    "batch_generator": probe_batch_generator,
    "update_weights": probe_update_weights,
    "training_step": probe_training_step,
    "fit": probe_fit,
    "train": probe_train,
}


def run_probe(spec, namespace):
    """One probe; never raises for a fault of the probed code."""
    try:
        if spec["op"] == "call":  # has its own, per-call limit
            return {"ok": True, **probe_call(namespace, spec)}
        with time_limit(spec.get("limit", 60)), quiet():
            return {"ok": True, **PROBES[spec["op"]](namespace, spec)}
    except ProbeTimeout as error:
        return {"ok": False, "error": {"type": "Timeout", "message": str(error)}}
    except Unsupported as error:
        return {"ok": False, "error": {"type": "Unsupported", "message": str(error)}}
    except Exception as error:
        return {"ok": False, "error": describe_error(error)}


def main(namespace, specs, out_path):
    """Kernel entry point: run every probe, then write the observations in one go."""
    observations = [run_probe(spec, namespace) for spec in specs]
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(observations, handle)
