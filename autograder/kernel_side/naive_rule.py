"""The naive rule: a ``naive_*`` function does its work in Python loops.

Two signals, both needed to pass:

- dynamic: ``runtime.LoopCounter`` counts the Python lines run in student code; loop code
  runs at least one line per scalar operation (``work``), vectorised code a handful;
- static: the function's source (and its helpers') must not name a vectorised routine.
  Allocating (``np.zeros``), building (``np.array``) and calling other naive functions is fine.

Kernel-side (sent as text, standard library only): the self-checks apply the static part in the
student's kernel, the hidden checks in the grader's process; ``rule_lines`` words the rule for
the stubs, from the same lists.
"""

import ast
import textwrap

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


def findings(sources):
    """Human-readable names of the vectorised operations found, e.g. ``np.dot (3행)``."""
    found = []
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


def _forbidden(node):
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


def _dedent(source):
    return textwrap.dedent(source)


ALLOWED = ("np.zeros", "np.zeros_like", "np.empty", "np.empty_like", "np.array", "x.copy()", "x.shape", "len()",
           "range()", "파이썬 내장 max()", "다른 naive_ 함수")


def rule_lines(width=88):
    """The rule in Korean, every forbidden name listed (for the stubs' text)."""
    modules = "·".join(f"{name}." for name in sorted(ARRAY_MODULES, key=lambda n: (n != "np", n)))
    tensors = "·".join(f"{name}." for name in sorted(TENSOR_MODULES, key=lambda n: (n != "tf", n)))
    parts = [
        ("금지", f"@ 연산자; {tensors}로 시작하는 모든 것; {modules} 뒤의 " + ", ".join(sorted(VECTORISED))
         + " (from numpy import로 가져와도 금지); 어레이 메서드 "
         + ", ".join(f".{m}" if m in ("T", "mT") else f".{m}()" for m in sorted(VECTORISED_METHODS))
         + "; 어레이나 행 전체를 한 번에 계산하는 산술(x + y, x[i] * y 등)"),
        ("허용", ", ".join(ALLOWED)),
    ]
    lines = ["반복문 규칙: 항목 하나하나를 파이썬 반복문으로 계산한다. 파이썬 코드가 항목 수만큼 실행되는지 센다."]
    for label, text in parts:
        wrapped = textwrap.wrap(text, width - 8)
        lines.append(f"  {label}: {wrapped[0]}")
        lines += [f"        {line}" for line in wrapped[1:]]
    return lines
