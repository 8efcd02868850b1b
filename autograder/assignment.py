"""One assignment as one unit, and the registry that finds it by id.

An assignment is an entry in each top-level folder: ``assignments/<id>/`` (its source
notebook), ``solutions/<id>.py`` (its answer key) and ``autograder/<id>/`` (its questions,
kernel-side probes and self-checks, with an ``assignment.py`` that defines ``ASSIGNMENT``).
Everything else in the kit is generic and takes an ``Assignment``. The registry finds every
``autograder/<id>/assignment.py``, and the modules named in ``$AUTOGRADER_ASSIGNMENTS``
(comma-separated, each defining ``ASSIGNMENT``) for assignments kept elsewhere.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

from .datasets import Dataset
from .engine.cases import Question
from .engine.kernel import Limits

EXTRA_ENV = "AUTOGRADER_ASSIGNMENTS"
ROOT = Path(__file__).resolve().parent.parent  # the kit's checkout (or site-packages)


class UnknownAssignment(LookupError):
    pass


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str  # Korean, as students see it
    module: str  # the module defining ASSIGNMENT ("autograder.<id>.assignment")
    notebook: Path  # the source notebook
    answer_key: str  # module name of the answer key ("solutions.<id>")
    questions_factory: Callable[[], Sequence[Question]]
    probe_modules: tuple[str, ...] = ()  # its kernel-side probes, sent as text
    datasets: tuple[Dataset, ...] = ()  # files its kernels read (served locally)
    public_checks: Callable | None = None  # (question, expected) -> [(name, doctest)] or None: generated
    preload: tuple[str, ...] = ()  # modules worth importing up front in a kernel (nbgrader's setup cell)
    limits: Limits = field(default_factory=Limits)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self.questions_factory())

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"{self.id} has no question {question_id!r}")

    @property
    def points(self) -> float:
        return sum(question.points for question in self.questions)

    @property
    def package(self) -> str:
        """Its own package ("autograder.<id>"): questions, probes, self-checks."""
        return self.module.rsplit(".", 1)[0]

    @property
    def kit_roots(self) -> tuple[str, ...]:
        """Top-level packages a submission may not import: the kit's, the answer key's and
        the assignment's own (when it lives outside the kit)."""
        roots = ["autograder", "solutions", self.answer_key.split(".")[0], self.module.split(".")[0]]
        return tuple(dict.fromkeys(roots))

    @property
    def ref(self) -> str:
        """How generated code names it: the id when the registry discovers it, else its module."""
        return self.id if self.module.startswith("autograder.") else self.module

    def answer_key_namespace(self) -> dict:
        return vars(importlib.import_module(self.answer_key))


def _discovered() -> list[str]:
    import autograder

    found = [f"autograder.{info.name}.assignment" for info in pkgutil.iter_modules(autograder.__path__)
             if info.ispkg and (Path(autograder.__path__[0]) / info.name / "assignment.py").is_file()]
    extra = [name.strip() for name in os.environ.get(EXTRA_ENV, "").split(",") if name.strip()]
    return found + extra


def all_assignments() -> dict[str, Assignment]:
    """Every registered assignment, by id."""
    found = {}
    for module in _discovered():
        assignment = load(module)
        found[assignment.id] = assignment
    return found


def load(module: str) -> Assignment:
    return importlib.import_module(module).ASSIGNMENT


def get(assignment_id: str | None = None) -> Assignment:
    """The assignment ``assignment_id`` (or a module defining one); with none given, the only
    one registered."""
    if assignment_id and "." in assignment_id:
        return load(assignment_id)
    known = all_assignments()
    if assignment_id is None:
        if len(known) == 1:
            return next(iter(known.values()))
        raise UnknownAssignment(f"several assignments are registered ({', '.join(sorted(known))}): "
                                "choose one with --assignment")
    if assignment_id not in known:
        raise UnknownAssignment(f"no assignment {assignment_id!r}; known: {', '.join(sorted(known)) or 'none'}")
    return known[assignment_id]
