"""Probe runtime: exercises graded objects and turns what happens into plain data.

Kernel-side: it runs inside a student's kernel, sent there as text with the harness (standard
library and NumPy; TensorFlow only where a probe needs it) and loaded before any student code
runs, where ``run_all`` calls the student's objects and ``channel`` writes the observations; and in the grader's own process, imported normally,
where ``run_probe`` calls the answer key on the same inputs and ``decode`` reads
observations back.

A probe spec is plain JSON: ``{"op": ..., ...}``. An observation is plain JSON too, so nothing
the student's code creates (an object with a fake ``__eq__``, a patched NumPy) crosses over.
``op`` names a probe function: the generic ones here (``call``, ``origins``) or an
assignment's own, from its probe module's ``PROBES`` table.
"""

import base64
import contextlib
import hashlib
import io
import operator
import sys
import time
import types
import weakref

import numpy as np

from . import limits

CALL_SECONDS = 5  # one call of a graded function on a small input
PROBE_SECONDS = 60  # any other probe, unless its spec says "limit"


class ProbeTimeout(BaseException):
    """Raised inside a probed call that overruns; BaseException so ``except Exception`` in
    student code does not swallow it."""


class Unsupported(Exception):
    pass


def time_limit(seconds):
    return limits.time_limit(seconds, lambda: ProbeTimeout(f"{seconds}초 시간 제한 초과"))


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
            raise Unsupported("dtype=object 어레이")
        return {"t": "ndarray", **encode_array(value)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return {"t": "npscalar", **encode_array(np.asarray(value))}
    if kind in (list, tuple):
        if len(value) > 64:
            raise Unsupported("항목이 너무 많은 리스트")
        return {"t": kind.__name__, "items": [encode(item, depth + 1) for item in value]}
    tensor_kind = tensor_kind_of(value)
    if tensor_kind:
        return {"t": tensor_kind, **encode_array(value.numpy())}
    raise Unsupported(f"지원하지 않는 반환 형식: {kind.__module__}.{kind.__qualname__}")


def tensor_kind_of(value):
    """"tensor" or "variable" for TensorFlow's eager tensors and variables, else None."""
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


def describe_error(error, limit=1500):
    """The error's type and message; a long message (TensorFlow's) is cut at a line's end."""
    message = str(error)
    if len(message) > limit:
        cut = message.rfind("\n", 0, limit)
        message = message[:cut if cut > limit // 3 else limit].rstrip() + "\n…"
    return {"type": type(error).__name__, "message": message}


# ----------------------------------------------------------------------------- guards


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


ELEMENT_ACCESS = "항목별 접근만 되는 입력"  # how the naive rule's input is named in messages


def _element_type():
    """The naive rule's input: an array that only gives its elements one at a time.

    It has ``shape``, ``ndim``, ``dtype``, ``size``, ``len()``, iteration, integer and slice
    indexing (an integer index of full rank gives a NumPy scalar; anything shorter, or with
    slices, a view of the same kind, as ``x[i, :]`` or ``y[:, j]``), assignment of one scalar
    to one element, ``copy()`` and ``astype()`` (copies of the same kind), ``tolist()``, and
    ``np.zeros_like``/``np.empty_like``/``np.ones_like``/``np.full_like``/``np.shape``/``np.ndim``.
    Everything else refuses it: NumPy's and TensorFlow's routines (no conversion to an array,
    no ufuncs), arithmetic on the whole array or a row, fancy and boolean indexing. So a
    function that hands the work to a vectorised routine fails however the routine is reached
    (an alias, a dict, ``operator.matmul``, ``compile``, a decorator), and loop code written as
    in the course text runs unchanged. The array it wraps is kept in this closure, not in an
    attribute of the object."""
    store = weakref.WeakKeyDictionary()
    scalar_kinds = (int, float, bool, np.generic)
    likes = {np.zeros_like, np.empty_like, np.ones_like, np.full_like}
    sizes = {np.shape: lambda a: a.shape, np.ndim: lambda a: a.ndim, np.size: lambda a: a.size}

    def refuse(what):
        return TypeError(f"{ELEMENT_ACCESS}에는 {what}을(를) 쓸 수 없습니다: 항목을 하나씩 꺼내 반복문으로 계산하세요")

    def plain_key(key):
        parts = key if type(key) is tuple else (key,)
        checked = []
        for part in parts:
            if type(part) is slice:
                checked.append(part)
            elif isinstance(part, (bool, np.bool_)) or not hasattr(type(part), "__index__"):
                raise refuse("어레이·리스트·불리언 인덱싱")
            else:
                checked.append(operator.index(part))
        return tuple(checked)

    class Elements:
        __slots__ = ("__weakref__",)
        __array_ufunc__ = None  # NumPy's ufuncs and operators refuse it

        def __init__(self, array):
            store[self] = array

        @property
        def shape(self):
            return store[self].shape

        @property
        def ndim(self):
            return store[self].ndim

        @property
        def dtype(self):
            return store[self].dtype

        @property
        def size(self):
            return store[self].size

        def __len__(self):
            return len(store[self])

        def __iter__(self):
            for index in range(len(store[self])):
                yield self[index]

        def __getitem__(self, key):
            key = plain_key(key)
            array = store[self]
            if len(key) == array.ndim and all(type(part) is int for part in key):
                return array[key]  # one element: a NumPy scalar
            return Elements(array[key])  # a row, a column, a slice: a view of the same kind

        def __setitem__(self, key, value):
            key = plain_key(key)
            array = store[self]
            if len(key) != array.ndim or any(type(part) is not int for part in key):
                raise refuse("행이나 구간 전체에 값을 넣는 대입")
            if not isinstance(value, scalar_kinds) or np.ndim(value) != 0:
                raise refuse("스칼라가 아닌 값의 대입")
            array[key] = value

        def copy(self):
            return Elements(store[self].copy())

        def astype(self, dtype, *args, **kwargs):
            return Elements(store[self].astype(dtype, *args, **kwargs))

        def tolist(self):  # Python lists of Python numbers: loop code over lists is loop code
            return store[self].tolist()

        def __copy__(self):
            return self.copy()

        def __deepcopy__(self, memo):
            return self.copy()

        def __array__(self, *args, **kwargs):
            raise refuse("넘파이 어레이로의 변환")

        def __array_function__(self, func, types, args, kwargs):
            if func in likes:
                return func(np.empty(self.shape, self.dtype), *args[1:], **kwargs)
            if func in sizes:
                return sizes[func](store[self])
            raise refuse(f"np.{getattr(func, '__name__', '?')}")

        def __bool__(self):
            raise refuse("참·거짓 판단")

        def __reduce_ex__(self, protocol):
            raise refuse("pickle")

        def __repr__(self):
            return f"<{ELEMENT_ACCESS} shape={self.shape} dtype={self.dtype}>"

    def unwrap(value):
        """A result as plain data: an ``Elements`` becomes a copy of the array it holds."""
        if type(value) is Elements:
            return store[value].copy()
        if type(value) in (list, tuple):
            return type(value)(unwrap(item) for item in value)
        return value

    return Elements, unwrap


Elements, unwrap_elements = _element_type()


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


# ----------------------------------------------------------------------------- helpers for probes


MISSING = "이(가) 정의되지 않았습니다"  # how a missing graded object is reported (show.cause)


def lookup(namespace, name):
    if name not in namespace:
        raise NameError(f"{name}{MISSING}")
    return namespace[name]


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


def training_device():
    """Where TensorFlow will train, as a label ("CPU" or "GPU (...)"). On a GPU, op determinism
    is switched on: the same seeds then give the same accuracy every time a submission is
    graded on that machine (GPU kernels may otherwise sum in any order). A CPU run already is."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")  # TensorFlow places the ops there when it sees one
    if not gpus:
        return "CPU"
    tf.config.experimental.enable_op_determinism()
    return f"GPU ({gpus[0].name}, 결정적 연산)"


# ----------------------------------------------------------------------------- generic probes


STAND_IN = "stand_in:"  # a probe table's known-good helpers: "stand_in:<name>" -> function
_OVERRAN = weakref.WeakSet()  # graded functions that overran their limit once: not called again


def probe_call(namespace, spec, probes=None):
    """Call one object on given arguments; record result, error and mutation. With
    ``spec["trace"]`` (the naive rule) the array arguments are given as ``Elements`` (element
    access only), then the same call on plain arrays follows (``plain``: its result or error),
    and the function's source and its helpers' come back for the static rule.

    ``spec["stand_ins"]`` names helpers the object may call that are replaced, during the call,
    by the known-good ones of the probe table (``"stand_in:<name>"``). A function that overran
    its time limit once is not called again: it would most likely hang again, and each call
    would spend its whole limit."""
    func = lookup(namespace, spec["object"])
    args = [decode(a) for a in spec["args"]]
    kwargs = {k: decode(v) for k, v in spec.get("kwargs", {}).items()}
    stand_ins = {name: (probes or {})[STAND_IN + name] for name in spec.get("stand_ins", ())}
    snapshot = [encode(a) for a in args]
    observation = {"object": spec["object"]}
    elementwise = bool(spec.get("trace"))  # the naive rule: arrays given element by element only
    given = [Elements(a) if elementwise and type(a) is np.ndarray else a for a in args]
    started = time.perf_counter()
    try:
        if func in _OVERRAN:
            raise ProbeTimeout("앞선 호출이 시간 제한을 넘겨 다시 호출하지 않았습니다")
        with quiet(), time_limit(spec.get("seconds", CALL_SECONDS)), \
                swapped(globals_of(func, namespace), stand_ins):
            result = func(*given, **kwargs)
        observation["result"] = encode(unwrap_elements(result) if elementwise else result)
    except ProbeTimeout as error:
        observation["error"] = {"type": "Timeout", "message": str(error)}
        try:
            _OVERRAN.add(func)
        except TypeError:  # not weakly referable: called again next time
            pass
    except Unsupported as error:
        observation["error"] = {"type": "Unsupported", "message": str(error)}
    except Exception as error:
        observation["error"] = describe_error(error)
    observation["seconds"] = time.perf_counter() - started
    observation["mutated"] = [encode(a) != s for a, s in zip(args, snapshot)]
    if elementwise:
        observation["element_access"] = True
        observation["sources"] = collect_sources(func, namespace)
        # The same call on plain arrays, after (a result remembered from it cannot serve the
        # element-wise call): the naive rule asks for the same values both ways.
        plain = probe_call(namespace, {key: value for key, value in spec.items() if key != "trace"}, probes)
        observation["plain"] = {key: plain[key] for key in ("result", "error") if key in plain}
    return observation


def probe_origins(namespace, spec):
    return {"origins": {name: origin(namespace[name]) for name in spec["objects"]
                        if name in namespace}}


def fingerprint(obj):
    """A digest of what an object's code is: functions (bytecode, names, constants, defaults,
    closures), classes (bases and every attribute), recursively. Two kernels that defined an
    object from the same source give the same digest; anything else counts by its type only."""
    digest = hashlib.sha256()

    def feed(thing, depth):
        if depth > 8:
            return
        if isinstance(thing, types.CodeType):
            digest.update(thing.co_code + repr((thing.co_names, thing.co_varnames)).encode())
            for const in thing.co_consts:
                feed(const, depth + 1)
        elif isinstance(thing, types.FunctionType):
            feed(thing.__code__, depth + 1)
            for value in (thing.__defaults__ or ()) + tuple((thing.__kwdefaults__ or {}).items()):
                feed(value, depth + 1)
            for cell in thing.__closure__ or ():
                try:
                    feed(cell.cell_contents, depth + 1)
                except ValueError:  # an empty cell
                    pass
        elif isinstance(thing, (staticmethod, classmethod)):
            feed(thing.__func__, depth + 1)
        elif isinstance(thing, property):
            for part in (thing.fget, thing.fset, thing.fdel):
                feed(part, depth + 1)
        elif isinstance(thing, type):
            digest.update(repr([thing.__qualname__, *(base.__qualname__ for base in thing.__bases__)]).encode())
            for name, value in sorted(vars(thing).items()):
                if name not in ("__dict__", "__weakref__", "__module__", "__doc__"):
                    digest.update(name.encode())
                    feed(value, depth + 1)
        elif thing is None or isinstance(thing, (bool, int, float, complex, str, bytes)):
            digest.update(repr(thing).encode())
        elif isinstance(thing, (tuple, list)) and len(thing) <= 100:
            for item in thing:
                feed(item, depth + 1)
        else:
            digest.update(type(thing).__qualname__.encode())

    feed(obj, 0)
    return digest.hexdigest()


def probe_fingerprints(namespace, spec):
    return {"fingerprints": {name: fingerprint(namespace[name]) if name in namespace else None
                             for name in spec["objects"]}}


GENERIC_PROBES = {"call": probe_call, "origins": probe_origins, "fingerprints": probe_fingerprints}


def run_probe(spec, namespace, probes=GENERIC_PROBES):
    """One probe; never raises for a fault of the probed code."""
    try:
        if spec["op"] == "call":  # has its own, per-call limit
            return {"ok": True, **probe_call(namespace, spec, probes)}
        with time_limit(spec.get("limit", PROBE_SECONDS)), quiet():
            return {"ok": True, **probes[spec["op"]](namespace, spec)}
    except ProbeTimeout as error:
        return {"ok": False, "error": {"type": "Timeout", "message": str(error)}}
    except Unsupported as error:
        return {"ok": False, "error": {"type": "Unsupported", "message": str(error)}}
    except Exception as error:
        return {"ok": False, "error": describe_error(error)}


def run_all(namespace, specs, tables=()):
    """Kernel entry point (``channel``'s hook calls it): every probe, observations in order.
    ``tables`` are the ``PROBES`` of the assignment's probe modules. A function that overran
    its limit is not called again within these probes."""
    _OVERRAN.clear()
    probes = dict(GENERIC_PROBES)
    for table in tables:
        probes.update(table)
    return [run_probe(spec, namespace, probes) for spec in specs]
