"""Record the slow probes (the training check) of every in-process corpus variant.

    cd tests && python -m corpus.record [ID ...]       (or: make record-corpus)

Every assignment with a corpus (``corpus/<id>.py``) unless ids are given.

Runs each variant's graded code here, as ``inprocess`` does, but computes the cached probes
too and writes them to ``recorded/<assignment>/``, keyed by the code they exercise. Entries no
variant uses any more are removed. Needs MNIST ($MNIST_NPZ or the Keras cache).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from autograder import assignment as registry
from autograder.targets.build import student_and_solution

from . import inprocess


def main(ids: list[str]) -> None:
    import importlib

    here = Path(__file__).parent
    for assignment_id in ids or sorted(registry.all_assignments()):
        if (here / f"{assignment_id}.py").is_file():
            record(registry.get(assignment_id), importlib.import_module(f"corpus.{assignment_id}").VARIANTS)


def record(assignment, variants) -> None:
    if not any(p.cached for q in assignment.questions for p in q.probes.values()):
        return
    student, solution = student_and_solution(assignment)
    folder = inprocess.RECORDED / assignment.id
    folder.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in folder.glob("*.json")}
    with tempfile.TemporaryDirectory() as scratch:
        for variant in variants:
            if variant.needs_kernel:
                continue
            started = time.monotonic()
            _, missing = inprocess.observe(assignment, variant, student, solution, Path(scratch), record=True)
            print(f"{variant.name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
            assert not missing, missing
    used = set()
    with tempfile.TemporaryDirectory() as scratch:
        for variant in variants:
            if not variant.needs_kernel:
                used |= set(_keys(assignment, variant, student, solution, Path(scratch)))
    for stale in before - used:
        (folder / stale).unlink()
    print(f"{len(used)} recorded observations in {folder}", file=sys.stderr)


def _keys(assignment, variant, student, solution, scratch: Path) -> list[str]:
    import nbformat

    from autograder.engine import submission
    from autograder.engine.cache import code_key

    path = scratch / f"{variant.name}.ipynb"
    nbformat.write(inprocess.notebook_of(variant, student, solution), str(path))
    written = submission.read(path, assignment.kit_roots)
    return [code_key(probe.spec, q.objects, written, assignment.probe_modules) + ".json"
            for q in assignment.questions for probe in q.probes.values() if probe.cached]


if __name__ == "__main__":
    main(sys.argv[1:])
