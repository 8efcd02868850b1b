"""The naive rule: a ``naive_*`` function does its work in Python loops.

Two signals, both needed to pass:

- dynamic: ``runtime.LoopCounter`` counts the Python lines run in student code; loop code
  runs at least one line per scalar operation (``work``), vectorised code a handful;
- static: the function's source (and its helpers') must not name a vectorised routine.
  Allocating (``np.zeros``), building (``np.array``) and calling other naive functions is fine.
"""

from __future__ import annotations

import ast

ARRAY_MODULES = {"np", "numpy", "jnp", "torch"}
TENSOR_MODULES = {"tf", "tensorflow", "keras"}
# NumPy routines that do a whole exercise (or a whole row of it) in one call.
VECTORISED = {
    "dot", "matmul", "einsum", "tensordot", "inner", "outer", "vdot", "kron",
    "maximum", "minimum", "fmax", "fmin", "clip", "where", "add", "subtract", "multiply",
    "sum", "cumsum", "prod", "transpose", "swapaxes", "moveaxis", "rollaxis", "vectorize",
    "frompyfunc", "apply_along_axis", "apply_over_axes", "broadcast_to", "linalg", "heaviside",
}
# Array methods with the same effect.
VECTORISED_METHODS = {"dot", "transpose", "swapaxes", "clip", "sum", "max", "min", "prod", "T", "mT"}


def findings(sources: list[dict]) -> list[str]:
    """Human-readable names of the vectorised operations found, e.g. ``np.dot (3행)``."""
    found: list[str] = []
    for entry in sources:
        source = entry.get("source")
        if not source:
            continue
        try:
            tree = ast.parse(_dedent(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            name = _forbidden(node)
            if name:
                label = f"{name} ({entry.get('name', '?')} {getattr(node, 'lineno', '?')}행)"
                if label not in found:
                    found.append(label)
    return found


def _forbidden(node: ast.AST) -> str | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return "@ 연산자"
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.MatMult):
        return "@= 연산자"
    if isinstance(node, ast.Attribute):
        base = node.value
        if isinstance(base, ast.Name) and base.id in TENSOR_MODULES:
            return f"{base.id}.{node.attr}"
        if isinstance(base, ast.Name) and base.id in ARRAY_MODULES:
            return f"{base.id}.{node.attr}" if node.attr in VECTORISED else None
        if node.attr in VECTORISED_METHODS:
            return f".{node.attr}"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        module = node.module if isinstance(node, ast.ImportFrom) else None
        names = [alias.name for alias in node.names]
        if module and module.split(".")[0] in TENSOR_MODULES | ARRAY_MODULES | {"numpy"}:
            bad = [n for n in names if n in VECTORISED or module.split(".")[0] in TENSOR_MODULES]
            if bad:
                return f"from {module} import {', '.join(bad)}"
        if any(n.split(".")[0] in TENSOR_MODULES for n in names):
            return f"import {', '.join(names)}"
    return None


def _dedent(source: str) -> str:
    import textwrap

    return textwrap.dedent(source)
