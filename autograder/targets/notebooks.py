"""Student and solution notebooks, built from an assignment's one source notebook.

The source notebook (``assignments/<id>/<id>.ipynb``) marks its cells with
``metadata["autograder"]["role"]``:

- ``setup``: the first code cell; the build fills it (e.g. ``grader = otter.Notebook()``);
- ``stub``: a graded object the student fills in; ``objects`` lists the top-level names the
  cell defines, in order;
- ``check``: a self-check ``grader.check("<question>")``; ``question`` names it;
- ``training``: a cell that trains a model (slow);
- ``export``: the last cell, ``grader.export(...)``.

The solution notebook replaces each stub cell's source with the reference definitions of its
``objects``, copied verbatim from the answer key (``solutions/<id>.py``), never by hand.
"""

from __future__ import annotations

import ast
import copy
import os
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from ..engine.submission import bound_names

META_KEY = "autograder"
ROLES = ("setup", "stub", "check", "training", "export")


class NotebookBuildError(ValueError):
    """The source notebook or the solutions module does not fit the build's contract."""


def load_source(path: str | os.PathLike) -> NotebookNode:
    """Read the source notebook (nbformat v4)."""
    return nbformat.read(str(path), as_version=4)


def cell_role(cell: NotebookNode) -> str | None:
    """The ``autograder.role`` of a cell, or None for ordinary cells."""
    return cell.get("metadata", {}).get(META_KEY, {}).get("role")


def cells_with_role(nb: NotebookNode, role: str) -> list[NotebookNode]:
    """The cells of ``nb`` whose ``metadata.autograder.role`` is ``role``, in notebook order."""
    if role not in ROLES:
        raise NotebookBuildError(f"unknown cell role {role!r}; expected one of {ROLES}")
    return [cell for cell in nb.cells if cell_role(cell) == role]


# ------------------------------------------------------------------ reading the reference


def _segment(source: str, node: ast.stmt) -> str:
    """The exact source text of a top-level statement, decorators included."""
    text = ast.get_source_segment(source, node)
    if text is None:  # pragma: no cover - only without position information
        raise NotebookBuildError(f"no source position for line {node.lineno}")
    decorators = getattr(node, "decorator_list", [])
    if decorators:
        lines = source.splitlines(keepends=True)
        # Lines from the first decorator's "@" up to the "def"/"class" keyword.
        first = decorators[0]
        prefix = "".join(lines[first.lineno - 1:node.lineno - 1])
        prefix = prefix[first.col_offset - 1:] if first.col_offset else prefix
        text = prefix + lines[node.lineno - 1][:node.col_offset] + text
    return text


def reference_definitions(module_path: str | os.PathLike) -> dict[str, str]:
    """Map each name defined at the top level of the solutions module to its source text."""
    source = Path(module_path).read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(module_path))
    definitions: dict[str, str] = {}
    for node in tree.body:
        for name in bound_names(node, imports=False):
            if name in definitions:
                raise NotebookBuildError(
                    f"{module_path}: {name!r} is defined more than once at top level; "
                    "the build cannot tell which definition is the reference")
            definitions[name] = _segment(source, node)
    return definitions


def reference_source(names: list[str], module_path: str | os.PathLike) -> str:
    """Source of the reference definitions of ``names``, in that order, two blank lines apart."""
    definitions = reference_definitions(module_path)
    unknown = [name for name in names if name not in definitions]
    if unknown:
        raise NotebookBuildError(
            f"{module_path} has no top-level definition of {unknown}; "
            f"known names: {sorted(definitions)}")
    return "\n\n\n".join(definitions[name] for name in names)


def reference_imports(module_path: str | os.PathLike) -> set[str]:
    """Names the solutions module binds by top-level imports (``np``, ``tf``, ``math``...)."""
    tree = ast.parse(Path(module_path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


# ------------------------------------------------------------------ checks on the source


def _parse_cell(source: str) -> ast.Module | None:
    """Parse a code cell; IPython-only syntax (``!cmd``, ``%magic``) makes it unparsable."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def stub_objects(cell: NotebookNode) -> list[str]:
    """The ``objects`` a stub cell declares in its metadata."""
    objects = cell.metadata[META_KEY].get("objects")
    if not objects or not all(isinstance(name, str) for name in objects):
        raise NotebookBuildError(f"stub cell {cell.get('id')!r} has no list of objects")
    return list(objects)


def _check_stub(cell: NotebookNode) -> None:
    """A stub cell must define exactly the names its metadata lists."""
    tree = _parse_cell(cell.source)
    if tree is None:
        raise NotebookBuildError(f"stub cell {cell.get('id')!r} is not plain Python")
    defined = [name for node in tree.body for name in bound_names(node, imports=False)]
    declared = stub_objects(cell)
    if sorted(defined) != sorted(declared):
        raise NotebookBuildError(
            f"stub cell {cell.get('id')!r} defines {defined} but its metadata lists {declared}")


def _check_imports_before_stubs(nb: NotebookNode, module_path: str | os.PathLike) -> None:
    """Every module-level import a reference definition uses must be made by an earlier cell."""
    imported = reference_imports(module_path)
    definitions = reference_definitions(module_path)
    available: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell_role(cell) == "stub":
            for name in stub_objects(cell):
                used = {node.id for node in ast.walk(ast.parse(definitions[name]))
                        if isinstance(node, ast.Name)}
                missing = sorted((used & imported) - available)
                if missing:
                    raise NotebookBuildError(
                        f"the reference {name!r} uses {missing}, which no code cell before "
                        f"stub cell {cell.get('id')!r} imports")
            continue
        tree = _parse_cell(cell.source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    available.add(alias.asname or alias.name.split(".")[0])


# ------------------------------------------------------------------ the two notebooks


def solution_notebook(nb: NotebookNode, module_path: str | os.PathLike) -> NotebookNode:
    """A copy of ``nb`` whose stub cells hold the reference definitions (metadata kept)."""
    stubs = cells_with_role(nb, "stub")
    if not stubs:
        raise NotebookBuildError("the source notebook has no stub cells")
    for cell in stubs:
        _check_stub(cell)
    _check_imports_before_stubs(nb, module_path)
    solved = copy.deepcopy(nb)
    for cell in cells_with_role(solved, "stub"):
        cell.source = reference_source(stub_objects(cell), module_path)
    return solved


def student_notebook(nb: NotebookNode, setup_source: str, assignment_id: str) -> NotebookNode:
    """A copy of ``nb`` with the setup cell's source replaced by ``setup_source``."""
    setups = cells_with_role(nb, "setup")
    if len(setups) != 1:
        raise NotebookBuildError(f"expected exactly one setup cell, found {len(setups)}")
    student = copy.deepcopy(nb)
    cells_with_role(student, "setup")[0].source = setup_source
    # otter's assignment name: the Gradescope zip refuses a notebook of another assignment
    student.metadata.setdefault("otter", {})["assignment_name"] = assignment_id
    return student


def clear_outputs(nb: NotebookNode) -> NotebookNode:
    """``nb`` itself, with every code cell's outputs and execution count removed."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def write_notebook(nb: NotebookNode, path: str | os.PathLike) -> Path:
    """Validate ``nb`` and write it to ``path`` (parent folders are created)."""
    nbformat.validate(nb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
