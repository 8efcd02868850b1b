"""Caching slow probes (the training check) by the code they exercise.

Grading is deterministic, and in a class many submissions carry the course text's code
unchanged: the training check (the one that takes seconds, not milliseconds) then runs once.
The key is the probe spec plus the source of every cell that defines a question's graded
objects or, transitively, any global name those cells read, in notebook order. A change
anywhere in that code, or in the kit's kernel-side probes, gives a new key.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import symtable
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import files, kernel_code, submission

CACHE_ENV = "AUTOGRADER_CACHE"


@lru_cache(maxsize=8192)
def _reads(source: str) -> frozenset[str]:
    """Global names a cell reads from elsewhere: inside its functions (read when called, so
    every definition in the notebook matters), and at top level unless an earlier statement of
    the same cell bound the name (``x = ...`` then ``print(x)`` reads its own ``x``).
    Parameters and local variables are not globals, so they do not widen the key."""
    python = submission.python_of(source)
    if python is None:
        return frozenset()
    try:
        tree, top = ast.parse(python), symtable.symtable(python, "<cell>", "exec")
    except submission.PARSE_ERRORS:  # a syntax error, or too deep to parse: the cell's own problem
        return frozenset()
    names, tables = set(), list(top.get_children())
    while tables:  # functions (and the methods of classes), read when called
        table = tables.pop()
        if table.get_type() == "function":
            names |= {symbol.get_name() for symbol in table.get_symbols()
                      if symbol.is_referenced() and symbol.is_global()}
        tables.extend(table.get_children())
    bound: set[str] = set()
    for statement in tree.body:  # top level, in order
        loads, stores = _names_now(statement)
        names |= loads - bound
        bound |= stores
    return frozenset(names)


def _names_now(statement: ast.stmt) -> tuple[set[str], set[str]]:
    """Names a statement reads and binds when it runs (function bodies run later)."""
    loads, stores, stack = set(), set(), [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
            stack += node.decorator_list + getattr(node, "bases", []) + getattr(node, "keywords", [])
            if isinstance(node, ast.ClassDef):
                stack += [n for n in node.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            else:
                stack += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
            continue
        if isinstance(node, ast.Lambda):
            stack += node.args.defaults
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            stores |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return loads, stores


def closure(objects: tuple[str, ...], notebook: submission.Submission) -> list[int]:
    """The cells that define ``objects`` or, transitively, a global name those cells read, in
    notebook order: all the code the objects can run."""
    cells, names, frontier = set(), set(), set(objects)
    while frontier:
        name = frontier.pop()
        names.add(name)
        for index in notebook.defined_in.get(name, []):
            if index not in cells:
                cells.add(index)
                frontier |= _reads(notebook.cells[index]) - names
    return sorted(cells)


# ---------------------------------------------------------------- the cells grading needs

# Code whose effect on the notebook's names a static reading cannot tell: strings run as code,
# the namespace or the interpreter reached through a back door, names bound by a star import.
OPAQUE_NAMES = frozenset({"exec", "eval", "globals", "locals", "vars", "setattr", "delattr", "__import__",
                          "get_ipython", "__builtins__", "builtins", "__main__", "importlib", "runpy", "sys"})
OPAQUE_ATTRIBUTES = frozenset({"__dict__", "__globals__", "__code__", "__defaults__", "__kwdefaults__",
                               "__closure__", "__class__", "__builtins__", "f_globals", "f_locals", "user_ns",
                               "_getframe", "modules"})
# IPython commands that run no Python code in the notebook's namespace (``%matplotlib inline``, ``!cmd``).
SAFE_MAGICS = frozenset({"matplotlib", "pip", "config"})
SAFE_IPYTHON_CALLS = frozenset({"system", "getoutput"})


@dataclass(frozen=True)
class CellFacts:
    """What one cell does to names, as far as a static reading sees."""

    parsed: bool  # False: the kernel will report its syntax error
    opaque: bool  # it may bind or change names in ways the reading cannot see (``OPAQUE_NAMES``...)
    binds: frozenset  # names it binds at top level, in any block (``if``, ``try``, ``for``, ``with``)
    changes: frozenset  # names whose object its top-level code changes in place (``x.a = ``, ``x[i] = ``, ``del``, ``x.m()``)
    changes_later: frozenset  # the same, or ``global`` rebinding, in its functions (when they are called)


@lru_cache(maxsize=8192)
def cell_facts(source: str) -> CellFacts:
    python = submission.python_of(source)
    try:
        if python is None:
            raise SyntaxError("not readable as Python")
        tree, top = ast.parse(python), symtable.symtable(python, "<cell>", "exec")
    except submission.PARSE_ERRORS:  # a syntax error, or too big or deep to parse: the cell's own problem
        return CellFacts(False, False, frozenset(), frozenset(), frozenset())
    binds = frozenset(symbol.get_name() for symbol in top.get_symbols()
                      if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace())
    safe = set()  # get_ipython() calls that only run a safe magic or a shell command
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Name) \
                and node.func.value.func.id == "get_ipython" and _safe_ipython(node):
            safe.add(id(node.func.value.func))
    opaque = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in OPAQUE_NAMES and id(node) not in safe:
            opaque = True
        elif isinstance(node, ast.Attribute) and node.attr in OPAQUE_ATTRIBUTES:
            opaque = True
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            opaque = True
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                (alias.name or "").split(".")[0] in OPAQUE_NAMES for alias in node.names):
            opaque = True
    now, later = _changes(tree)
    tables, declared = list(top.get_children()), set()
    while tables:
        table = tables.pop()
        if table.get_type() == "function":
            declared |= {symbol.get_name() for symbol in table.get_symbols()
                         if symbol.is_declared_global() and symbol.is_assigned()}
        tables.extend(table.get_children())
    return CellFacts(True, opaque, binds, frozenset(now), frozenset(later | declared))


def _safe_ipython(call: ast.Call) -> bool:
    attribute = call.func.attr
    if attribute in SAFE_IPYTHON_CALLS:
        return True
    first = call.args[0] if call.args else None
    return attribute == "run_line_magic" and isinstance(first, ast.Constant) and first.value in SAFE_MAGICS


def _root(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _changes(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(names changed in place by top-level code, names changed in place inside functions)."""
    now, later = set(), set()
    stack = [(statement, False) for statement in tree.body]
    while stack:
        node, inside = stack.pop()
        found = None
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found = _root(node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
            found = node.id
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            found = _root(node.func)
            found = "." + found if found else None  # a method call: counts unless the name is a module
        if found:
            (later if inside else now).add(found)
        body = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            stack.append((child, inside or (body and child not in getattr(node, "decorator_list", ()))))
    return now, later


def graded_cells(objects: tuple[str, ...], notebook: submission.Submission) -> list[int] | None:
    """The cells grading needs, in notebook order, or None when the whole notebook must run.

    The first code cell (the setup cell: the self-check tool), the cells defining ``objects``
    and, transitively, every global name they read (``closure``, with bindings inside blocks
    too), every cell that changes one of those names' objects in place at top level, and every
    cell that does not parse or is too big to read (its error is reported as in a whole run). Demonstration
    cells (loading data, printing, calling the functions on examples) are left out. The whole
    notebook runs when a cell after the first does what this reading cannot follow (``exec``,
    ``globals()``, a star import, ``get_ipython()``...), or a function outside these cells
    changes one of the names when it is called."""
    facts = [cell_facts(source) for source in notebook.cells]
    if any(fact.opaque for fact in facts[1:]):
        return None
    binders: dict[str, list[int]] = {}
    imported = set()
    for index, fact in enumerate(facts):
        for name in fact.binds:
            binders.setdefault(name, []).append(index)
    for name, places in notebook.defined_in.items():
        for index in places:
            if index not in binders.setdefault(name, []):
                binders[name].append(index)
    for index, source in enumerate(notebook.cells):  # names bound by imports: methods of modules change nothing of ours
        imported |= _imported_names(source)
    cells, names = set(), set()
    frontier, extra = set(objects), {0} | notebook.refused | {index for index, fact in enumerate(facts) if not fact.parsed}
    while True:
        for index in extra - cells:
            cells.add(index)
            frontier |= _reads(notebook.cells[index]) - names
        while frontier:
            name = frontier.pop()
            names.add(name)
            for index in binders.get(name, []):
                if index not in cells:
                    cells.add(index)
                    frontier |= _reads(notebook.cells[index]) - names
        touched = names | {"." + name for name in names - imported}
        extra = {index for index, fact in enumerate(facts) if index not in cells and fact.changes & touched}
        if any(fact.changes_later & touched for index, fact in enumerate(facts) if index not in cells):
            return None
        if not extra:
            return sorted(cells)


@lru_cache(maxsize=8192)
def _imported_names(source: str) -> frozenset[str]:
    tree = submission.parse_cell(source)
    if tree is None:
        return frozenset()
    return frozenset((alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names)


def code_key(spec: dict, objects: tuple[str, ...], notebook: submission.Submission,
             probe_modules: tuple[str, ...] = (), cells: list[int] | None = None) -> str:
    """The key of a slow probe's observation: the probe, the kit's kernel-side code and the cells
    that run (``closure(objects)`` unless ``cells`` are given), in order. Not their places in the
    notebook: the slow probe's kernel runs those cells alone, so a notebook with a cell added
    above them (a student's scratch cell, nbgrader's test cells) is served the same result."""
    digest = hashlib.sha256()
    digest.update(kernel_code.digest(kernel_code.RUNTIME + tuple(probe_modules)).encode())
    digest.update(json.dumps(spec, sort_keys=True).encode())
    for index in closure(objects, notebook) if cells is None else cells:
        source = notebook.cells[index].encode()
        digest.update(f"\0{len(source)}\0".encode() + source)  # the length: where one cell ends
    return digest.hexdigest()


def _valid_key(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
        return bytes.fromhex(text) if len(text) == 64 else None
    except (OSError, ValueError):
        return None


# Errors the code itself raises, whatever the machine: the same cells raise them again (an
# untouched stub's NotImplementedError, a student's TypeError). A week-one class has many
# notebooks with the training's stubs untouched: their training fails once, not once each.
CODE_ERRORS = frozenset({"NotImplementedError", "NameError", "UnboundLocalError", "TypeError", "ValueError",
                         "AttributeError", "IndexError", "KeyError", "AssertionError", "ZeroDivisionError"})


def keeps(observation: dict) -> bool:
    """Whether an observation is kept: a result, or a failure of the code's own making. Failures
    of the machine or its limits (a timeout, a dead kernel, memory, MNIST missing) are computed
    again: another run may not meet them."""
    if observation.get("ok"):
        return True
    error = observation.get("error")
    return isinstance(error, dict) and error.get("type") in CODE_ERRORS


class ProbeCache:
    """Observations on disk, one JSON file per key, shared by every worker of a batch.

    Writes are atomic (``files.write_text``); a file that does not parse is a miss and is
    written again. Each entry is signed (HMAC-SHA256 over the key and the observation) with a
    secret only the grader holds, ``secret.key`` in the cache folder (mode 600): an entry
    written by anyone else, or copied from another key, fails the check, is ignored and
    computed again. ``claim`` lets one worker compute a key while the others wanting the same
    key wait for its result instead of computing it too."""

    FORMAT = 1
    SECRET = "secret.key"

    def __init__(self, folder: Path | None, wait_seconds: float = 1800):
        self.folder = folder
        self.wait_seconds = wait_seconds  # longer than the slowest cached probe, then compute anyway
        self._secret: bytes | None = None

    def secret(self) -> bytes:
        """The signing key, made on first use (by whichever worker comes first). A key file that
        is not 64 hex digits (empty or cut short by a full disk) is never used: it is replaced,
        under a lock and by an atomic rename, so every worker ends up with the same whole key."""
        if self._secret is None:
            path = self.folder / self.SECRET
            self.folder.mkdir(parents=True, exist_ok=True)
            folder = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)  # the lock: no file of its own
            try:
                fcntl.flock(folder, fcntl.LOCK_EX)
                key = _valid_key(path)
                if key is None:
                    files.write_text(path, secrets.token_hex(32), mode=0o600)
                    key = _valid_key(path)
                if key is None:
                    raise OSError(f"the cache's signing key {path} cannot be written")
            finally:
                os.close(folder)  # and the lock with it
            self._secret = key
        return self._secret

    def _mac(self, key: str, body: str) -> str:
        message = json.dumps([self.FORMAT, key, body]).encode()
        return hmac.new(self.secret(), message, hashlib.sha256).hexdigest()

    def get(self, key: str) -> dict | None:
        if self.folder is None:
            return None
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            body, mac = entry["observation"], entry["mac"]
            if not (isinstance(body, str) and hmac.compare_digest(str(mac), self._mac(key, body))):
                return None  # not written by this grader for this key: computed again
            observation = json.loads(body)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, or truncated by a writer of an older kit: computed again
        return observation if isinstance(observation, dict) and keeps(observation) else None

    def put(self, key: str, observation: dict) -> None:
        if self.folder is None or not keeps(observation):
            return
        body = json.dumps(observation, sort_keys=True)
        files.write_text(self.folder / f"{key}.json",
                         json.dumps({"format": self.FORMAT, "observation": body, "mac": self._mac(key, body)}))

    @classmethod
    def from_environment(cls) -> "ProbeCache":
        """The platform front ends' cache (``otter run``, ``nbgrader autograde``): the folder named
        by ``$AUTOGRADER_CACHE``, shared by every grading on the machine, else none (Gradescope
        grades each submission in a fresh container, where a cache would never be read)."""
        folder = os.environ.get(CACHE_ENV)
        return cls(Path(folder) if folder else None)

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
