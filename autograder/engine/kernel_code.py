"""The kit's kernel-side modules, sent into a student's kernel as the text of one cell.

A kernel cannot import the kit (its packages are blocked there, and under the sandbox they
are not even on disk). So a cell carries the source of the modules it needs: it registers
them under their own dotted names for as long as the cell runs (their relative imports then
resolve as usual), runs a short body, and removes them again. The modules are compiled under
``<autograder/...>`` file names, which ``limits.StudentCode`` never takes for student code.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache

# Generic kernel-side modules, dependencies first.
RUNTIME = ("autograder.kernel_side.limits", "autograder.kernel_side.mnist_file", "autograder.kernel_side.runtime",
           "autograder.kernel_side.train")
HARNESS = ("autograder.kernel_side.harness",)


@lru_cache(maxsize=None)
def module_source(name: str) -> tuple[str, str]:
    """``(kernel file name, source)`` of a module, read from its file without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise LookupError(f"kernel-side module {name!r} has no source file")
    with open(spec.origin, encoding="utf-8") as handle:
        source = handle.read()
    return f"<{name.replace('.', '/')}.py>", source


def digest(names: tuple[str, ...]) -> str:
    """A hash of the modules' sources: part of every cache key, so a change of the probes
    invalidates what they computed."""
    hasher = hashlib.sha256()
    for name in names:
        hasher.update(name.encode() + b"\0" + module_source(name)[1].encode() + b"\0")
    return hasher.hexdigest()


def cell(names: tuple[str, ...], body: str) -> str:
    """Source of a cell that makes ``names`` importable, runs ``body`` and cleans up.

    ``body`` sees ``modules`` (dotted name -> module) and ``namespace`` (the notebook's
    globals)."""
    modules = [(name, *module_source(name)) for name in dict.fromkeys(names)]
    indented = "\n".join("        " + line for line in body.strip().splitlines())
    return f'''def _autograder_kernel_cell(namespace):
    import sys, types
    created, saved, modules = [], {{}}, {{}}

    def register(name, module):
        if name in sys.modules:
            saved[name] = sys.modules[name]
        sys.modules[name] = module
        created.append(name)

    try:
        for name, filename, source in {modules!r}:
            parts = name.split(".")
            for depth in range(1, len(parts)):
                package = ".".join(parts[:depth])
                if package not in modules:
                    modules[package] = types.ModuleType(package)
                    modules[package].__path__ = []
                    modules[package].__package__ = package
                    register(package, modules[package])
            module = types.ModuleType(name)
            module.__file__, module.__package__ = filename, ".".join(parts[:-1])
            modules[name] = module
            register(name, module)
            exec(compile(source, filename, "exec"), module.__dict__)
{indented}
    finally:
        for name in reversed(created):
            if name in saved:
                sys.modules[name] = saved[name]
            else:
                sys.modules.pop(name, None)
_autograder_kernel_cell(globals())
del _autograder_kernel_cell
'''


def persistent(names: tuple[str, ...], prefix: str) -> str:
    """Source of a function ``_autograder_modules()`` that registers ``names`` for good, each
    under ``prefix + name`` (their relative imports resolve within the prefix), and returns
    them by their own names. For code that must stay loaded, like the notebook's self-checks;
    the prefix keeps them from shadowing the real kit where it is installed."""
    modules = [(name, *module_source(name)) for name in dict.fromkeys(names)]
    return f'''def _autograder_modules():
    import sys, types
    loaded = {{}}
    for name, filename, source in {modules!r}:
        full = {prefix!r} + name
        parts = full.split(".")
        for depth in range(1, len(parts)):
            package = ".".join(parts[:depth])
            if package not in sys.modules:
                sys.modules[package] = types.ModuleType(package)
                sys.modules[package].__path__ = []
                sys.modules[package].__package__ = package
        module = types.ModuleType(full)
        module.__file__, module.__package__ = filename, ".".join(parts[:-1])
        sys.modules[full] = module
        exec(compile(source, filename, "exec"), module.__dict__)
        loaded[name] = module
    return loaded
'''
