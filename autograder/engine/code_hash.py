"""A hash of one graded definition that survives renaming, comments and formatting: the
grader records it per graded name, and the class report groups submissions by it
(``reports.similar``).

``normalized_hash(source, name)`` is what the grader calls, once per graded name, on the
source of the cell that defines it (and on the answer key, for ``reference_hashes``). The
normalisation, decided here once:

- the source goes through IPython's ``TransformerManager().transform_cell`` first, so cells
  with ``%magics`` or ``!shell`` lines parse;
- the top-level ``def``/``class``/assignment of ``name`` is taken (the last one in the cell,
  as that is the one in effect); ``None`` when there is none, when the cell does not parse,
  or when the definition is still the untouched stub (every body only raises
  ``NotImplementedError``), so unfinished work never looks "identical";
- comments and formatting vanish with the AST; docstrings, string statements used as
  comments, type annotations and ``assert`` messages are dropped;
- every name bound inside a function (parameters, locals, loop and comprehension variables,
  nested functions, ``except ... as`` names, local imports) is renamed to ``_v0``, ``_v1``, …
  in order of appearance; names that are only read (globals, builtins, modules such as
  ``np``), keyword-argument names and the graded name itself are kept;
- in a class, attributes on the method's first parameter (``self.W``) are renamed to
  ``_a0``, ``_a1``, …, except the class's own members (methods, properties, class-level
  names: ``weights``, ``next``, ``__call__``) and dunders, which are the interface;
- the hash is the first 16 hex digits of SHA-256 of ``ast.dump`` of the result. It depends on
  the Python version's AST, so the reference and the submissions must be hashed by the same
  Python (the grader does both in one process).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import itertools
from typing import Iterable

HASH_CHARS = 16
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (*_FUNCTIONS, ast.ClassDef)


def normalized_hash(source: str, name: str) -> str | None:
    """Hash of the normalised top-level definition of ``name`` in a cell's ``source``."""
    definition = find_definition(source, name)
    if definition is None or is_stub(definition):
        return None
    try:
        dump = normalized_dump(definition)
    except (RecursionError, MemoryError):  # too deeply nested to compare: no hash, no crash
        return None
    return hashlib.sha256(dump.encode("utf-8")).hexdigest()[:HASH_CHARS]


def find_definition(source: str, name: str) -> ast.AST | None:
    """The last top-level def/class/assignment of ``name``; an assignment is returned as its value."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        python = TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython itself cannot read: try it as plain Python
        python = source
    try:
        module = ast.parse(python)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return None
    found = None
    for statement in module.body:
        if isinstance(statement, _DEFINITIONS) and statement.name == name:
            found = statement
        elif isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == name for target in statement.targets):
            found = statement.value
        elif (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
              and statement.target.id == name and statement.value is not None):
            found = statement.value
    return found


def is_stub(definition: ast.AST) -> bool:
    """A function whose body only raises NotImplementedError, or a class whose every method is one."""
    if isinstance(definition, _FUNCTIONS):
        body = [s for s in definition.body if not _is_string_statement(s) and not isinstance(s, ast.Pass)]
        return bool(body) and all(_raises_not_implemented(s) for s in body)
    if isinstance(definition, ast.ClassDef):
        methods = [s for s in definition.body if isinstance(s, _FUNCTIONS)]
        others = [s for s in definition.body if not isinstance(s, _FUNCTIONS)
                  and not _is_string_statement(s) and not isinstance(s, ast.Pass)]
        return bool(methods) and not others and all(is_stub(m) for m in methods)
    return False


def normalized_dump(definition: ast.AST) -> str:
    tree = copy.deepcopy(definition)
    tree = _Cleaner().visit(tree)
    if isinstance(tree, ast.ClassDef):
        _rename_self_attributes(tree)
    _rename_bound_names(tree)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _is_string_statement(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _raises_not_implemented(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.Raise) or statement.exc is None:
        return False
    exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


class _Cleaner(ast.NodeTransformer):
    """Drops what does not change what the code does: docstrings, string statements,
    annotations, assert messages."""

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                kept = [s for s in statements if not _is_string_statement(s)]
                setattr(node, field, kept or ([ast.Pass()] if field == "body" else []))
        return node

    def visit_arg(self, node: ast.arg):
        node.annotation = None
        node.type_comment = None
        return node

    def visit_FunctionDef(self, node):
        node.returns = None
        node.type_comment = None
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node: ast.AnnAssign):
        if node.value is None:  # a bare declaration does nothing at run time
            return None
        assign = ast.Assign(targets=[node.target], value=node.value)
        return self.generic_visit(assign)

    def visit_Assert(self, node: ast.Assert):
        node.msg = None
        return self.generic_visit(node)


def _rename_self_attributes(cls: ast.ClassDef) -> None:
    members = set()
    for statement in cls.body:
        if isinstance(statement, _DEFINITIONS):
            members.add(statement.name)
        elif isinstance(statement, ast.Assign):
            members.update(t.id for t in statement.targets if isinstance(t, ast.Name))
    mapping: dict[str, str] = {}
    for method in (s for s in cls.body if isinstance(s, _FUNCTIONS)):
        positional = method.args.posonlyargs + method.args.args
        if not positional:
            continue
        receiver = positional[0].arg
        for node in ast.walk(method):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == receiver and node.attr not in members
                    and not (node.attr.startswith("__") and node.attr.endswith("__"))):
                node.attr = mapping.setdefault(node.attr, f"_a{len(mapping)}")


_SCOPES = (*_FUNCTIONS, ast.Lambda, ast.ClassDef)


def _rename_bound_names(tree: ast.AST) -> None:
    """Rename what each function binds, scope by scope (a local of one method is not the
    local of the same name in another), numbering names in order of appearance."""
    counter = itertools.count()
    if isinstance(tree, _FUNCTIONS):
        _function_scope(tree, {}, counter)
    elif isinstance(tree, ast.ClassDef):
        _class_scope(tree, {}, counter)
    else:  # an assigned value: module-level names stay, lambdas inside are scopes
        _rename_nodes([tree, *_walk_own(tree)], {}, counter)


def _outer_parts(scope: ast.AST) -> list[ast.AST]:
    """The parts of a nested scope that run in the enclosing one (decorators, defaults, bases)."""
    if isinstance(scope, ast.ClassDef):
        return [*scope.decorator_list, *scope.bases, *(k.value for k in scope.keywords)]
    parts = [*scope.args.defaults, *(d for d in scope.args.kw_defaults if d is not None)]
    return parts if isinstance(scope, ast.Lambda) else [*scope.decorator_list, *parts]


def _walk_own(node: ast.AST):
    """Every node of ``node``'s scope, nested scopes yielded but not entered."""
    for child in ast.iter_child_nodes(node):
        yield child
        if isinstance(child, _SCOPES):
            for part in _outer_parts(child):
                yield part
                yield from _walk_own(part)
        elif not isinstance(child, ast.arguments):
            yield from _walk_own(child)


def _function_scope(function: ast.AST, inherited: dict[str, str], counter) -> None:
    body = function.body if isinstance(function.body, list) else [function.body]
    nodes = [n for statement in body for n in (statement, *_walk_own(statement))]
    free = {name for n in nodes if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    own: list[str] = []

    def bind(name: str | None) -> None:
        if name and name not in free and name not in own:
            own.append(name)

    arguments = function.args
    for arg in (*arguments.posonlyargs, *arguments.args, arguments.vararg, *arguments.kwonlyargs,
                arguments.kwarg):
        bind(arg.arg if arg is not None else None)
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bind(node.id)
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.MatchAs, ast.MatchStar, ast.ExceptHandler)):
            bind(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bind(alias.asname or alias.name.split(".")[0])
    mapping = {**inherited, **{name: f"_v{next(counter)}" for name in own}}
    for arg in ast.walk(arguments):
        if isinstance(arg, ast.arg) and arg.arg in mapping:
            arg.arg = mapping[arg.arg]
    _rename_nodes(nodes, mapping, counter)


def _class_scope(cls: ast.ClassDef, inherited: dict[str, str], counter) -> None:
    """Methods do not see the class body's names: each starts from the enclosing function's."""
    _rename_nodes([n for statement in cls.body for n in (statement, *_walk_own(statement))],
                  inherited, counter, rename_definitions=False)


def _rename_nodes(nodes, mapping: dict[str, str], counter, rename_definitions: bool = True) -> None:
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, (ast.MatchAs, ast.MatchStar, ast.ExceptHandler)) and node.name in mapping:
            node.name = mapping[node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                if local in mapping and (alias.asname or "." not in alias.name):
                    alias.asname = mapping[local]
        if isinstance(node, _SCOPES):
            if rename_definitions and not isinstance(node, ast.Lambda) and node.name in mapping:
                node.name = mapping[node.name]
            if isinstance(node, ast.ClassDef):
                _class_scope(node, mapping, counter)
            else:
                _function_scope(node, mapping, counter)


def hashes_of(sources: Iterable[tuple[str, str]]) -> dict[str, str | None]:
    """``{name: normalized_hash(source, name)}`` over (name, source)."""
    return {name: normalized_hash(source, name) for name, source in sources}
