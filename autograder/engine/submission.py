"""Reading a submitted notebook and preparing its code for grading.

Broken files are read as far as they can be: invalid JSON is a reason, not a crash; a
notebook that fails nbformat validation still gives up its code cells.

Nothing of a submission's size or shape is trusted: only a regular file is opened (never a
FIFO or a device), a code cell longer than ``MAX_CELL_LINES`` lines or ``MAX_CELL_CHARS``
characters is not parsed (it becomes a cell that fails with the reason, alone), IPython's
transforms (quadratic in the magics of a cell) and ``ast.parse`` (recursive: a 20,000-term
``1+1+...`` exhausts it) are each that cell's problem only, and the whole reading stops past
``READ_SECONDS``. Before execution,
the notebook's own demonstration training (``fit(...)``, ``model.fit(...)``) and its otter
calls (``grader.check(...)``) are stripped: the hidden checks train a fresh model anyway.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from IPython.core.inputtransformer2 import TRANSFORM_LOOP_LIMIT, TransformerManager

MAX_BYTES = 50 * 1024 * 1024
MAX_CELL_LINES = 5_000  # the course's longest cell has under 100
MAX_CELL_CHARS = 200_000
MAX_CODE_CELLS = 2_000
READ_SECONDS = 60  # reading and preparing a whole notebook (a course notebook: well under a second)
# A line IPython's token transforms rewrite, one per round (``!cmd``, ``%magic``, ``x = !cmd``,
# ``obj?``): each round re-tokenizes the whole cell, so a cell of n such lines costs n² and past
# TRANSFORM_LOOP_LIMIT of them IPython gives up anyway (600 lines: 30 s to learn that).
SPECIAL_LINE = re.compile(r"^\s*([!%?]|[\w.,\s\[\]()*]+=\s*[!%])|\?\s*$", re.MULTILINE)
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, RuntimeError, SystemError, OverflowError)
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
    positions: list[int] = field(default_factory=list)  # per code cell: its place among all cells (from 1)
    first_lines: list[str] = field(default_factory=list)  # per code cell: its def/class line, or first line
    refused: set[int] = field(default_factory=set)  # cells too big to read: run as a failing cell, always

    def label(self, index: int) -> str:
        """A code cell as the student finds it: its place among all cells (markdown included,
        as Jupyter and Colab list them) and the line it starts with, e.g.
        ``위에서 57번째 셀 (def naive_transpose(x):)``."""
        if not 0 <= index < len(self.positions):
            return f"코드 셀 {index + 1}"
        line = self.first_lines[index]
        return f"위에서 {self.positions[index]}번째 셀" + (f" ({line})" if line else "")


def _read_text(path: Path) -> str:
    """The file's text, if it is a regular file of at most ``MAX_BYTES`` (read without blocking)."""
    from .files import open_regular

    try:
        with open_regular(path) as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as problem:
        raise UnreadableSubmission(f"일반 파일로 읽을 수 없습니다 ({problem.strerror or problem}).") from None
    if len(data) > MAX_BYTES:
        raise UnreadableSubmission(f"파일이 너무 큽니다 ({MAX_BYTES // 2**20} MB 초과).")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableSubmission("UTF-8 텍스트 파일이 아닙니다.") from None


def too_big(source: str) -> str | None:
    """Why the grader does not parse a cell (Korean), or None."""
    if len(source) > MAX_CELL_CHARS:
        return f"셀이 너무 깁니다 ({len(source):,}자, 한도 {MAX_CELL_CHARS:,}자). 채점하지 않았습니다"
    lines = source.count("\n") + 1
    if lines > MAX_CELL_LINES:
        return f"셀이 너무 깁니다 ({lines:,}줄, 한도 {MAX_CELL_LINES:,}줄). 채점하지 않았습니다"
    return None


def refused_cell(reason: str) -> str:
    """What runs in place of a cell the grader refused: it fails with the reason, alone."""
    return f"raise RuntimeError({reason!r})\n"


@functools.lru_cache(maxsize=4096)
def python_of(source: str) -> str | None:
    """The cell as plain Python (IPython's transforms), or None when that is not possible or
    the cell is too big to try."""
    if too_big(source) or len(SPECIAL_LINE.findall(source)) > TRANSFORM_LOOP_LIMIT:
        return None
    try:
        return TransformerManager().transform_cell(source)
    except PARSE_ERRORS:
        return None


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree, or None (a syntax error, too big, too deeply nested)."""
    python = python_of(source)
    if python is None:
        return None
    try:
        return ast.parse(python)
    except PARSE_ERRORS:
        return None


def read(path: Path, kit_roots: tuple[str, ...] = ("autograder", "solutions")) -> Submission:
    deadline = time.monotonic() + READ_SECONDS
    text = _read_text(path)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise UnreadableSubmission(f"노트북(JSON) 형식이 아닙니다: {str(error)[:200]}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise UnreadableSubmission("노트북에 cells 목록이 없습니다.")
    sources, positions = [], []
    for position, cell in enumerate(document["cells"], start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(part for part in source if isinstance(part, str))
            if isinstance(source, str) and source.strip():
                sources.append(source)
                positions.append(position)
    if not sources:
        raise UnreadableSubmission("코드 셀이 하나도 없습니다.")
    if len(sources) > MAX_CODE_CELLS:
        raise UnreadableSubmission(f"코드 셀이 너무 많습니다 ({len(sources):,}개, 한도 {MAX_CODE_CELLS:,}개).")
    prepared, refused = [], set()
    for index, source in enumerate(sources):
        if time.monotonic() > deadline:
            raise UnreadableSubmission(f"노트북을 읽는 데 {READ_SECONDS}초가 넘게 걸려 채점하지 않았습니다.")
        reason = too_big(source)
        if reason:
            refused.add(index)
        prepared.append(refused_cell(reason) if reason else prepare(source))
    submission = Submission(path, prepared, positions=positions,
                            first_lines=[first_line(source[:MAX_CELL_CHARS]) for source in sources],
                            refused=refused)
    for index, source in enumerate(sources):
        if time.monotonic() > deadline:
            raise UnreadableSubmission(f"노트북을 읽는 데 {READ_SECONDS}초가 넘게 걸려 채점하지 않았습니다.")
        tree = parse_cell(source)
        if tree is None:
            continue
        kit = kit_modules(tree, kit_roots)
        if kit:
            submission.kit_imports[index] = kit
        for name in defined_names(tree):
            submission.defined_in.setdefault(name, []).append(index)
    return submission


def first_line(source: str, limit: int = 60) -> str:
    """The line a student knows a cell by: its first ``def``/``class`` line, else its first line
    that is not a comment."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith(("def ", "class ", "async def "))), None) \
        or next((line for line in lines if not line.startswith("#")), lines[0] if lines else "")
    return chosen if len(chosen) <= limit else chosen[: limit - 1] + "…"


def prepare(source: str) -> str:
    """The cell with top-level training and otter calls replaced by ``pass``."""
    python, tree = python_of(source), parse_cell(source)
    if python is None or tree is None:
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
