"""What a graded kernel runs before the student's first cell.

Kernel-side (sent as text, standard library only): printed output is capped so a notebook
that prints tens of megabytes cannot flood the grader, and the kit's own packages cannot be
imported by the student's cells.
"""

import sys


class CappedStream:
    """A text stream that passes on the first ``limit`` characters, then says it stopped."""

    def __init__(self, stream, limit):
        self._stream, self._limit, self._used = stream, limit, 0

    def write(self, text):
        if self._used < self._limit:
            self._stream.write(text[: self._limit - self._used])
            if self._used + len(text) >= self._limit:
                self._stream.write("\n[출력이 너무 길어 이후 출력은 생략합니다]\n")
        self._used += len(text)
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class KitBlocker:
    """An import hook that refuses the kit's packages (the checks, the answer key)."""

    def __init__(self, blocked):
        self.blocked = tuple(blocked)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ImportError(f"채점 중에는 {name} 모듈을 불러올 수 없습니다 (채점 도구의 모듈입니다).")
        return None


class Inert:
    """Stands in for a tool the notebook only uses to check itself (otter's ``grader``): every
    call and attribute gives another ``Inert``, so ``grader = otter.Notebook(...)`` costs
    nothing in a graded kernel (its ``grader.*`` calls are stripped anyway)."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return Inert()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Inert()


def _stand_in(name):
    import types

    module = types.ModuleType(name, "채점 중에는 쓰이지 않는 도구의 대역입니다.")
    module.__path__ = []  # a package: ``from otter.check.utils import ...`` finds its submodules below
    module.__getattr__ = lambda attribute: Inert() if not attribute.startswith("__") else (_ for _ in ()).throw(
        AttributeError(attribute))
    return module


class StandIns:
    """An import hook that serves every submodule of a stand-in (``otter.check.utils``) as
    another stand-in, so the notebook's setup cell imports what it needs without error."""

    def __init__(self, roots):
        self.roots = tuple(roots)

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in self.roots:
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        return _stand_in(spec.name)

    def exec_module(self, module):
        pass


class DeferredImports:
    """An import hook that creates ``names`` at their first import without running them: each
    runs at its first use (``importlib.util.LazyLoader``). TensorFlow imports Keras, which imports
    ``matplotlib.pyplot`` for a plotting helper (0.2 s of CPU in every kernel); a notebook that
    plots gets the same pyplot, loaded when it first touches it (importing it again does)."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        import importlib.util

        self.names.discard(name)  # once: the next finder up finds the real module
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


DEFERRED = ("matplotlib.pyplot",)


def install(output_chars, blocked, stand_ins=()):
    """Cap stdout and stderr, block the kit's packages, put inert stand-ins in place of
    ``stand_ins``, defer ``DEFERRED``; returns the blocker (otter removes it again before its checks, which import
    the kit)."""
    sys.stdout = CappedStream(sys.stdout, output_chars)
    sys.stderr = CappedStream(sys.stderr, output_chars)
    blocker = KitBlocker(blocked)
    sys.meta_path.insert(0, blocker)
    if stand_ins:
        sys.meta_path.insert(1, StandIns(stand_ins))
    sys.meta_path.insert(1, DeferredImports(DEFERRED))  # after the blocker: the kit stays blocked
    for name in stand_ins:
        sys.modules[name] = _stand_in(name)
    return blocker
