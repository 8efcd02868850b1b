"""The probes' private channel: installed by the harness, before any student code runs.

Kernel-side (sent as text with the harness, standard library only). ``install`` reads the
kernel's secret key from a file the grader wrote for it and deletes the file, then registers an
audit hook (``sys.addaudithook``: it cannot be removed, and nothing names it). A probe cell only
raises the event ``autograder.probe`` with a nonce, the specs and where to write; the hook runs the
probes with the runtime loaded at harness time (kept here, not in ``sys.modules``), writes the
observations with references taken at harness time (C functions: a cell that patches ``json``,
``open``, ``os``, ``hmac`` or the builtins changes nothing here), and signs them: HMAC-SHA256 with
the key over the nonce, the digest of the specs it ran and the observations. The grader checks
the signature, the nonce and the digest (``engine.kernel``): a file edited or written by anyone
else, an old result, or probes run on other specs are refused.

What this cannot do: code running in the same process can still walk the stack up from a probed
call (``sys._getframe().f_back``) or from a thread of its own to the hook's frame and its locals.
The hook refuses the garbage collector's object lists and other threads' frames
(``gc.get_objects``/``get_referrers``/``get_referents``, ``sys._current_frames``), the plain ways
to find it; docs/architecture.md says what remains.
"""

EVENT = "autograder.probe"
REFUSED = ("gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames")


def _writer():
    """A JSON writer made only of references taken now (C functions and builtin types' own
    methods, which no cell can replace afterwards)."""
    from _json import encode_basestring_ascii as quote

    str_, int_, float_, list_, tuple_, dict_ = str, int, float, list, tuple, dict
    isinstance_, enumerate_, join, items = isinstance, enumerate, "".join, dict.items
    int_repr, float_repr = int.__repr__, float.__repr__
    inf = float("inf")

    def write(value, parts, depth=0):
        if depth > 64:
            raise ValueError("too deep")
        if value is None:
            parts.append("null")
        elif value is True:
            parts.append("true")
        elif value is False:
            parts.append("false")
        elif isinstance_(value, str_):
            parts.append(quote(value))
        elif isinstance_(value, int_):
            parts.append(int_repr(value))
        elif isinstance_(value, float_):
            parts.append("NaN" if value != value else "Infinity" if value == inf else
                         "-Infinity" if value == -inf else float_repr(value))
        elif isinstance_(value, dict_):
            parts.append("{")
            for index, (key, item) in enumerate_(items(value)):
                if index:
                    parts.append(",")
                parts.append(quote(key if isinstance_(key, str_) else str_(key)))
                parts.append(":")
                write(item, parts, depth + 1)
            parts.append("}")
        elif isinstance_(value, (list_, tuple_)):
            parts.append("[")
            for index, item in enumerate_(value):
                if index:
                    parts.append(",")
                write(item, parts, depth + 1)
            parts.append("]")
        else:
            raise TypeError("not plain data")

    def dumps(value):
        parts = []
        write(value, parts)
        return join(parts)

    return dumps


def install(runtime, tables, key_path):
    """Read and delete the key file, then hook the probe event. Without a key file (a kernel the
    grader did not start: a test, a student's own Jupyter) nothing is installed."""
    import os
    import sys
    from _hashlib import hmac_digest, openssl_sha256
    from _json import make_scanner

    try:
        with open(key_path, "rb") as handle:
            key = handle.read()
        os.unlink(key_path)
    except OSError:
        return False
    if len(key) < 32:
        return False
    import json

    scan = make_scanner(json.JSONDecoder())  # C scanner: how the specs are read, fixed now
    dumps = _writer()
    posix_open, posix_write, posix_close = os.open, os.write, os.close
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    run_all = runtime.run_all
    probe_tables = [dict(table) for table in tables]
    refused, event_name, str_, len_, memoryview_ = REFUSED, EVENT, str, len, memoryview

    def hook(event, args):
        if event in refused:
            raise RuntimeError("채점 중에는 쓸 수 없는 기능입니다 (gc 객체 목록, 다른 스레드의 프레임).")
        if event != event_name:
            return
        nonce, specs_text, out_path, namespace = args
        digest = openssl_sha256(specs_text.encode()).hexdigest()
        observations = run_all(namespace, scan(specs_text, 0)[0], probe_tables)
        body = dumps(observations)
        mac = hmac_digest(key, "\0".join([str_(nonce), digest, body]).encode(), "sha256").hex()
        data = (dumps({"nonce": str_(nonce), "specs": digest, "mac": mac}) + "\n" + body).encode()
        descriptor = posix_open(out_path, flags, 0o600)
        try:
            view, written = memoryview_(data), 0
            while written < len_(data):
                written += posix_write(descriptor, view[written:])
        finally:
            posix_close(descriptor)

    hook.__cantrace__ = True  # CPython pauses tracing inside audit hooks unless told: the probes trace
    sys.addaudithook(hook)
    return True
