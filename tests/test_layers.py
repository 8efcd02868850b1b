"""The import rules of docs/architecture.md, read from the code: every ``import`` (at module
level or inside a function: a lazy import is still a dependency) is resolved to the kit's part
it names, and each part may depend only on the parts the document allows."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from conftest import ROOT

KIT = ROOT / "autograder"
GENERIC = {"engine", "kernel_side", "targets", "frontends", "reports"}
# registry: the Assignment type and the registry; data: the datasets it names
TOP_MODULES = {"assignment": "registry", "datasets": "data", "mnist": "data", "platform_names": "names",
               "course": "course", "intake": "intake", "training": "training", "cli": "cli", "__init__": "package"}

# part -> the kit's parts it may import (itself and the bare package ``autograder`` always allowed)
ALLOWED = {
    "kernel_side": set(),
    "data": {"kernel_side", "engine"},
    "names": set(),
    "course": set(),  # course.toml: plain settings
    "intake": {"engine"},  # which files are submissions, and when they were submitted
    "training": {"data", "engine", "kernel_side"},  # the MNIST training check's grader side, shared
    "engine": {"kernel_side"},
    "registry": {"engine", "data"},
    "targets": {"engine", "kernel_side", "registry", "data", "names", "course"},
    "frontends": {"engine", "kernel_side", "registry", "names"},
    "reports": {"engine", "course", "intake"},
    "assignment": {"engine", "kernel_side", "registry", "data", "training"},
    "cli": {"engine", "kernel_side", "registry", "data", "targets", "frontends", "reports", "names", "course",
            "intake"},
    "package": set(),
}
# What kernel-side code may import besides itself: it reaches a kernel as text.
KERNEL_SIDE_THIRD_PARTY = {"numpy", "tensorflow", "keras", "IPython"}


def _part(module: str) -> str | None:
    """The kit's part a dotted module name belongs to (None: not the kit)."""
    parts = module.split(".")
    if parts[0] == "solutions":
        return "answer key"
    if parts[0] != "autograder":
        return None
    if len(parts) == 1:
        return "package"
    head = parts[1]
    if head in GENERIC:
        return head
    if head in TOP_MODULES:
        return TOP_MODULES[head]
    if (KIT / head / "assignment.py").is_file():
        return "assignment"
    return head


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file; ``from . import x`` gives ``pkg.x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module:
                found.append((node.lineno, module))
            else:  # from . import a, b: each is a module of the package
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _kit_files():
    return sorted(p for p in KIT.rglob("*.py") if "__pycache__" not in p.parts)


def _edges():
    for path in _kit_files():
        source = _part(_module_name(path))
        for line, module in _imports(path):
            yield path, line, source, module, _part(module)


def test_each_part_imports_only_what_the_architecture_allows():
    wrong = [f"{path.relative_to(ROOT)}:{line}: {source} imports {module} ({target})"
             for path, line, source, module, target in _edges()
             if target not in (None, source, "package") and target not in ALLOWED.get(source, set())]
    assert wrong == []


def test_kernel_side_code_imports_the_standard_library_numpy_and_itself_only():
    """It is sent into the student's kernel as text, where the kit cannot be imported."""
    kernel_side = [p for p in _kit_files() if "kernel_side" in p.parts or (
        p.parent.name not in GENERIC and p.name in ("probes.py", "observe.py", "selfchecks.py", "judges.py"))]
    assert len(kernel_side) >= 8
    wrong = []
    for path in kernel_side:
        for line, module in _imports(path):
            top = module.split(".")[0]
            own = module.startswith("autograder.kernel_side") or (
                path.parent.name != "kernel_side" and module.startswith(_module_name(path.parent)))
            if top == "autograder" and not own:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
            elif top not in sys.stdlib_module_names and top != "autograder" and top not in KERNEL_SIDE_THIRD_PARTY:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert wrong == []


def test_answer_keys_import_nothing_of_the_kit():
    keys = sorted((ROOT / "solutions").glob("*.py"))
    assert keys
    wrong = [f"{path.name}:{line}: {module}" for path in keys for line, module in _imports(path)
             if module.split(".")[0] in ("autograder", "solutions")]
    assert wrong == []


def test_the_parts_form_no_import_cycle():
    graph: dict[str, set[str]] = {}
    for _, _, source, _, target in _edges():
        if target is not None and target != source:
            graph.setdefault(source, set()).add(target)
    order, visiting, done = [], set(), set()

    def visit(node, trail):
        if node in done:
            return
        assert node not in visiting, f"import cycle: {' -> '.join(trail + [node])}"
        visiting.add(node)
        for successor in sorted(graph.get(node, ())):
            visit(successor, trail + [node])
        visiting.discard(node)
        done.add(node)
        order.append(node)

    for node in sorted(graph):
        visit(node, [])
    assert {"engine", "targets", "frontends", "reports", "cli"} <= set(order)


@pytest.mark.parametrize("source,module,allowed", [
    ("engine", "autograder.reports.similar", False),
    ("targets", "autograder.frontends.otter", False),
    ("engine", "autograder.assignment", False),
    ("reports", "autograder.engine.code_hash", True),
])
def test_the_rules_themselves_catch_what_they_forbid(source, module, allowed):
    """The checker is not vacuous: the imports this round removed would be caught."""
    assert (_part(module) in ALLOWED[source]) is allowed
