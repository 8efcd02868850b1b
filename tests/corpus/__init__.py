"""Corpora of submissions for the kit's own tests, made from the built notebooks.

A variant starts from the built solution or student notebook and changes what a student
would: a stub cell written another way (right in an unusual style, or wrong in one specific
way), a cell added (a shortcut, a hostile trick, a broken cell), or the whole file (not a
notebook at all). ``expect`` gives the points per question that differ from the base
(solution: full marks; student: zero); ``status`` a fragment the status column must hold
("ok" when nothing went wrong). Variants that only rewrite stub cells are judged in-process
(``inprocess.py``); the others need a real kernel.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.targets import notebooks

KIT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str  # right | wrong | shortcut | hostile | broken
    base: str = "solution"  # solution | student
    replace: dict = field(default_factory=dict)  # graded object -> new source of its stub cell
    append: tuple = ()  # code cells added at the end
    prepend: tuple = ()  # code cells added after the setup cell
    raw: bytes | None = None  # the file's bytes, for things that are not notebooks
    expect: dict = field(default_factory=dict)  # question -> points, where not the base's
    status: str | None = "ok"  # None: whatever the status says
    kernel: bool | None = None  # needs a kernel (default: hostile and broken ones, and added cells)
    fails: tuple | None = None  # the exact names of the cases that fail (every other case passes)

    def expected(self, assignment) -> dict:
        full = self.base == "solution" and self.raw is None
        base = {q.id: (q.points if full else 0) for q in assignment.questions}
        return {**base, **self.expect}

    @property
    def needs_kernel(self) -> bool:
        if self.kernel is not None:
            return self.kernel
        return self.kind in ("hostile", "broken") or bool(self.append or self.prepend or self.raw)


def materialize(variant: Variant, student, solution, folder: Path) -> Path:
    """Write ``variant`` as ``folder/<name>.ipynb`` and return its path."""
    path = folder / f"{variant.name}.ipynb"
    if variant.raw is not None:
        path.write_bytes(variant.raw)
        return path
    nbformat.write(notebook_of(variant, student, solution), str(path))
    return path


def notebook_of(variant: Variant, student, solution):
    nb = copy.deepcopy(student if variant.base == "student" else solution)
    for name, source in variant.replace.items():
        cells = [c for c in notebooks.cells_with_role(nb, "stub") if name in notebooks.stub_objects(c)]
        assert len(cells) == 1, f"no single stub cell defines {name}"
        cells[0].source = source.strip() + "\n"
    setup = nb.cells.index(notebooks.cells_with_role(nb, "setup")[0])
    for offset, source in enumerate(variant.prepend):
        nb.cells.insert(setup + 1 + offset, nbformat.v4.new_code_cell(source.replace("{KIT}", str(KIT))))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in variant.append]
    return nb
