"""Submissions for the kit's own tests, made from the built notebooks (see variants.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from autograder.build import notebooks

KIT = Path(__file__).resolve().parents[2]


def materialize(variant, student, solution, folder: Path) -> Path:
    """Write ``variant`` as ``folder/<name>.ipynb`` and return its path."""
    path = folder / f"{variant.name}.ipynb"
    if variant.raw is not None:
        path.write_bytes(variant.raw)
        return path
    nb = copy.deepcopy(student if variant.base == "student" else solution)
    for name, source in variant.replace.items():
        cells = [c for c in notebooks.cells_with_role(nb, "stub") if name in notebooks.stub_objects(c)]
        assert len(cells) == 1, f"no single stub cell defines {name}"
        cells[0].source = source.strip() + "\n"
    setup = nb.cells.index(notebooks.cells_with_role(nb, "setup")[0])
    for offset, source in enumerate(variant.prepend):
        nb.cells.insert(setup + 1 + offset, nbformat.v4.new_code_cell(source.replace("{KIT}", str(KIT))))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in variant.append]
    nbformat.write(nb, str(path))
    return path
