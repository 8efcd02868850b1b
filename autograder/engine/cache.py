"""Caching the training check by the code it exercises.

Grading is deterministic, and in a class many submissions carry the course text's code
unchanged: the training check (the one that takes seconds, not milliseconds) then runs once.
The key is the probe spec plus the source of every cell that defines a question's graded
objects or, transitively, any global name those cells read, in notebook order. A change
anywhere in that code, or in the kit's probe runtime, gives a new key.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import symtable
import time
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

from . import files, submission
from .kernel import RUNTIME_SOURCE

CACHED_PROBES = {"train"}


def _reads(source: str) -> set[str]:
    """Global names a cell reads: at top level, or from inside its functions and classes
    (parameters and local variables are not globals, so they do not widen the key)."""
    try:
        top = symtable.symtable(TransformerManager().transform_cell(source), "<cell>", "exec")
    except (SyntaxError, ValueError):
        return set()
    names, tables = set(), [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (table is top or symbol.is_global()):
                names.add(symbol.get_name())
        tables.extend(table.get_children())
    return names


def code_key(spec: dict, objects: tuple[str, ...], notebook: submission.Submission) -> str:
    cells, names, frontier = set(), set(), set(objects)
    while frontier:
        name = frontier.pop()
        names.add(name)
        for index in notebook.defined_in.get(name, []):
            if index not in cells:
                cells.add(index)
                frontier |= _reads(notebook.cells[index]) - names
    digest = hashlib.sha256()
    digest.update(RUNTIME_SOURCE.encode())
    digest.update(json.dumps(spec, sort_keys=True).encode())
    for index in sorted(cells):
        digest.update(f"\0{index}\0".encode() + notebook.cells[index].encode())
    return digest.hexdigest()


class ProbeCache:
    """Observations on disk, one JSON file per key, shared by every worker of a batch.

    Writes are atomic (``files.write_text``); a file that does not parse is a miss and is
    written again. ``claim`` lets one worker compute a key while the others wanting the same
    key wait for its result instead of computing it too."""

    def __init__(self, folder: Path | None, wait_seconds: float = 1800):
        self.folder = folder
        self.wait_seconds = wait_seconds  # longer than the slowest cached probe, then compute anyway

    def get(self, key: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            observation = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, or truncated by a writer of an older kit: computed again
        return observation if isinstance(observation, dict) and observation.get("ok") else None

    def put(self, key: str, observation: dict) -> None:
        if self.folder is None or not observation.get("ok"):
            return  # failures (timeouts, dead kernels) are not worth keeping
        files.write_text(self.folder / f"{key}.json", json.dumps(observation))

    @contextlib.contextmanager
    def claim(self, key: str):
        """Yields the cached observation, or None while holding the key's lock: the caller then
        computes and ``put``s it. A worker that finds the lock taken waits, then reads what the
        holder wrote. The lock is an ``flock``, so a holder that dies (even SIGKILL) releases it
        and a waiter takes over; past ``wait_seconds`` the waiter computes without it."""
        hit = self.get(key)
        if hit is not None or self.folder is None:
            yield hit
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{key}.lock", "a") as lock:
            deadline = time.monotonic() + self.wait_seconds
            locked = False
            while not locked and time.monotonic() < deadline:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                except BlockingIOError:
                    time.sleep(0.2)
            try:
                yield self.get(key)  # the holder we waited for may have written it
            finally:
                if locked:
                    fcntl.flock(lock, fcntl.LOCK_UN)
