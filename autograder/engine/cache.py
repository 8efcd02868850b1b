"""Caching the training check by the code it exercises.

Grading is deterministic, and in a class many submissions carry the course text's code
unchanged: the training check (the one that takes seconds, not milliseconds) then runs once.
The key is the probe spec plus the source of every cell that defines a question's graded
objects or, transitively, any global name those cells read, in notebook order. A change
anywhere in that code, or in the kit's probe runtime, gives a new key.
"""

from __future__ import annotations

import hashlib
import symtable
import json
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

from . import submission
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
    """Observations on disk, one JSON file per key."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def get(self, key: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, observation: dict) -> None:
        if self.folder is None or not observation.get("ok"):
            return  # failures (timeouts, dead kernels) are not worth keeping
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f"{key}.tmp"
        temporary.write_text(json.dumps(observation), encoding="utf-8")
        temporary.replace(self.folder / f"{key}.json")
