"""Reading a submitted notebook and preparing its code for grading.

Broken files are read as far as they can be: invalid JSON is a reason, not a crash; a
notebook that fails nbformat validation still gives up its code cells. Before execution,
the notebook's own demonstration training (``fit(...)``, ``model.fit(...)``) and its otter
calls (``grader.check(...)``) are stripped: the hidden checks train a fresh model anyway.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from IPython.core.inputtransformer2 import TransformerManager

MAX_BYTES = 50 * 1024 * 1024
STRIPPED_CALLS = {"fit"}  # fit(...) and anything.fit(...)
STRIPPED_OBJECTS = {"grader"}  # grader.check(...), grader.export(...)


class UnreadableSubmission(Exception):
    """The file is not a notebook; the message is Korean, for the status column."""


@dataclass
class Submission:
    path: Path
    cells: list[str]  # code cells, prepared for execution
    kit_imports: dict[int, list[str]] = field(default_factory=dict)  # cell -> kit modules named
    defined_in: dict[str, list[int]] = field(default_factory=dict)  # name -> cells defining it


def read(path: Path, kit_roots: tuple[str, ...] = ("autograder", "solutions")) -> Submission:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UnreadableSubmission(f"파일이 너무 큽니다 ({path.stat().st_size // 2**20} MB).")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UnreadableSubmission("UTF-8 텍스트 파일이 아닙니다.") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise UnreadableSubmission(f"노트북(JSON) 형식이 아닙니다: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise UnreadableSubmission("노트북에 cells 목록이 없습니다.")
    sources = []
    for cell in document["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(part for part in source if isinstance(part, str))
            if isinstance(source, str) and source.strip():
                sources.append(source)
    if not sources:
        raise UnreadableSubmission("코드 셀이 하나도 없습니다.")
    submission = Submission(path, [prepare(source) for source in sources])
    for index, source in enumerate(sources):
        tree = _parse(source)
        if tree is None:
            continue
        kit = kit_modules(tree, kit_roots)
        if kit:
            submission.kit_imports[index] = kit
        for name in defined_names(tree):
            submission.defined_in.setdefault(name, []).append(index)
    return submission


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def prepare(source: str) -> str:
    """The cell with top-level training and otter calls replaced by ``pass``."""
    python = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(python)
    except (SyntaxError, ValueError):
        return source  # the kernel reports the syntax error for this cell alone
    lines = python.splitlines()
    stripped = False
    for node in tree.body:
        call = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
        if isinstance(call, ast.Call) and _is_stripped(call.func):
            for number in range(node.lineno - 1, node.end_lineno):
                lines[number] = ""
            lines[node.lineno - 1] = "pass  # 채점 중 생략: 데모 훈련/자가 점검 호출"
            stripped = True
    return "\n".join(lines) + "\n" if stripped else source


def _is_stripped(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in STRIPPED_CALLS
    if isinstance(func, ast.Attribute):
        base = func.value
        return func.attr in STRIPPED_CALLS or (isinstance(base, ast.Name) and base.id in STRIPPED_OBJECTS)
    return False


def kit_modules(tree: ast.Module, roots: tuple[str, ...]) -> list[str]:
    """Kit modules a cell imports, by statement or by name in a string (importlib, __import__)."""
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        found += [name for name in names if name.split(".")[0] in roots]
    return sorted(set(found))


def bound_names(node: ast.stmt, imports: bool = True) -> list[str]:
    """Top-level names one statement binds: definitions, assignments and (unless ``imports``
    is false) imports."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if imports and isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return []
    return [sub.id for target in targets for sub in ast.walk(target) if isinstance(sub, ast.Name)]


def defined_names(tree: ast.Module) -> set[str]:
    return {name for node in tree.body for name in bound_names(node)}
