"""The naive rule: a ``naive_*`` function does its work in Python loops; and, more generally,
static rules that forbid some routines in a graded function's source.

The naive rule has two signals, both needed to pass:

- behaviour: the function runs on arrays that give their elements one at a time only
  (``runtime.Elements``) and must give the right values there; every vectorised routine refuses
  such an input, however it is reached (an alias, a dict, ``operator.matmul``, ``compile``, a
  decorator), and loop code written as in the course text runs unchanged;
- static, a second opinion: the function's source (and its helpers') must not name a vectorised
  routine. Allocating (``np.zeros``), building (``np.array``) and calling other naive functions is fine.

Kernel-side (sent as text, standard library only): the self-checks apply the static part in the
student's kernel, the hidden checks in the grader's process; ``rule_lines`` words the rule for
the stubs, from the same lists.

The static part is a ``Rule``: what a function's source may not name. ``NAIVE`` is the naive
rule's; an assignment makes its own (``NAIVE.extended(...)`` for a stricter naive rule, or a new
``Rule`` for another ban, e.g. automatic differentiation) and passes it to ``findings``.
"""

import ast
import textwrap
from dataclasses import dataclass, field, fields, replace

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


@dataclass(frozen=True)
class Rule:
    """What a graded function's source may not name.

    - ``modules``: module aliases of which every attribute (``tf.nn``) and every import is forbidden;
    - ``array_modules`` and ``routines``: ``np.dot`` is forbidden when ``np`` is an array module and
      ``dot`` a routine (also as ``from numpy import dot``); other routines of those modules are fine;
    - ``attributes``: attribute names forbidden on anything else (``x.sum()``, ``tape.gradient``);
    - ``names``: bare names forbidden (``GradientTape(...)``), also when imported by name;
    - ``matmul``: the ``@`` and ``@=`` operators.
    """

    modules: frozenset = field(default_factory=frozenset)
    array_modules: frozenset = field(default_factory=frozenset)
    routines: frozenset = field(default_factory=frozenset)
    attributes: frozenset = field(default_factory=frozenset)
    names: frozenset = field(default_factory=frozenset)
    matmul: bool = False

    def extended(self, **more) -> "Rule":
        """This rule with more forbidden names: ``NAIVE.extended(routines={"mean"})``."""
        return replace(self, **{key: getattr(self, key) | frozenset(values) for key, values in more.items()})

    def to_json(self) -> dict:
        """Plain data for a self-check's spec (sorted lists); ``from_json`` reads it back."""
        return {f.name: sorted(value) if isinstance(value := getattr(self, f.name), frozenset) else value
                for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict) -> "Rule":
        return cls(**{key: frozenset(value) if isinstance(value, list) else value for key, value in data.items()})

    def forbidden(self, node: ast.AST) -> str | None:
        """A label for the forbidden thing ``node`` names, or None."""
        if self.matmul and isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return "@ 연산자"
        if self.matmul and isinstance(node, ast.AugAssign) and isinstance(node.op, ast.MatMult):
            return "@= 연산자"
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in self.modules:
                return f"{base.id}.{node.attr}"
            if isinstance(base, ast.Name) and base.id in self.array_modules:
                return f"{base.id}.{node.attr}" if node.attr in self.routines else None
            if node.attr in self.attributes:
                return f".{node.attr}"
        if isinstance(node, ast.Name) and node.id in self.names:
            return node.id
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [alias.name for alias in node.names]
            if module:
                root = module.split(".")[0]
                bad = [n for n in names if n in self.names
                       or (root in self.array_modules | self.modules and (n in self.routines or root in self.modules))]
                if bad:
                    return f"from {module} import {', '.join(bad)}"
            if any(n.split(".")[0] in self.modules for n in names):
                return f"import {', '.join(names)}"
        return None


NAIVE = Rule(modules=frozenset(TENSOR_MODULES), array_modules=frozenset(ARRAY_MODULES),
             routines=frozenset(VECTORISED), attributes=frozenset(VECTORISED_METHODS), matmul=True)


def findings(sources: list[dict], rule: Rule = NAIVE) -> list[str]:
    """Human-readable names of the forbidden operations found, e.g. ``np.dot (f 3행)``."""
    found: list[str] = []
    for entry in sources:
        source = entry.get("source")
        if not source:
            continue
        try:
            tree = ast.parse(_dedent(source))
        except SyntaxError:
            continue
        except (RecursionError, MemoryError, SystemError):  # too deep to check: cannot pass the rule
            label = f"분석할 수 없을 만큼 깊게 중첩된 코드 ({entry.get('name', '?')})"
            if label not in found:
                found.append(label)
            continue
        for node in ast.walk(tree):
            name = rule.forbidden(node)
            if name:
                label = f"{name} ({entry.get('name', '?')} {getattr(node, 'lineno', '?')}행)"
                if label not in found:
                    found.append(label)
    return found


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
    lines = ["반복문 규칙: 항목 하나하나를 파이썬 반복문으로 계산한다. 항목을 하나씩만 꺼낼 수 있는 입력으로 실행해 본다."]
    for label, text in parts:
        wrapped = textwrap.wrap(text, width - 8)
        lines.append(f"  {label}: {wrapped[0]}")
        lines += [f"        {line}" for line in wrapped[1:]]
    return lines
