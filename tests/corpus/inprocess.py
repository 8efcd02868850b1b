"""Judging a variant's graded code in this process: no kernel, no training.

The cells that the graded objects can run (``cache.closure``: the cells defining them and,
transitively, every global name they read, demonstration training stripped as for grading)
run here as student code; every probe that is not cached runs here on them with the kit's own
runtime; and the cached (slow) probes, the training check, come from observations recorded
once from the very same code (``recorded/<assignment>/``, keyed like the grader's cache by
the code each probe exercises). A test fails, naming the command, when a recording is
missing or stale: ``make record-corpus`` (``python -m corpus.record``) makes them.
"""

from __future__ import annotations

import json
import linecache
import tempfile
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from autograder.engine import files, submission
from autograder.engine.cache import closure, code_key
from autograder.engine.grade import Execution, judge, kit_reasons, probe_table
from autograder.kernel_side import runtime

from . import Variant, notebook_of

RECORDED = Path(__file__).resolve().parent / "recorded"


class Recordings:
    """Observations of slow probes, one JSON file per code key (failures kept too)."""

    def __init__(self, assignment):
        self.folder = RECORDED / assignment.id

    def get(self, key: str) -> dict | None:
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, observation: dict) -> None:
        files.write_text(self.folder / f"{key}.json", json.dumps(observation, sort_keys=True))


def namespace_of(name: str, written: submission.Submission, objects: tuple[str, ...]) -> dict:
    """Every cell the graded objects can run, executed here in notebook order as student code."""
    namespace: dict = {"__name__": "__main__"}
    folder = Path(tempfile.gettempdir()) / "autograder-inprocess" / name
    for index in closure(objects, written):
        source = TransformerManager().transform_cell(written.cells[index])
        filename = str(folder / f"cell{index}.py")  # a student's file, to the kit's StudentCode rule
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def observe(assignment, variant: Variant, student, solution, folder: Path, record: bool = False):
    """(the execution record the judge half reads, missing recordings) of a variant: what
    ``grade.execute`` would give, with the graded code run here. With ``record``, the cached
    probes run here too and are recorded."""
    path = folder / f"{variant.name}.ipynb"
    nbformat.write(notebook_of(variant, student, solution), str(path))
    written = submission.read(path, assignment.kit_roots)
    objects = tuple(sorted({name for q in assignment.questions for name in q.objects}))
    namespace = namespace_of(variant.name, written, objects)
    table = probe_table(assignment)
    recordings = Recordings(assignment)
    execution, missing = Execution(notebook=written), []  # the notebook explains a missing object
    kit = kit_reasons(assignment, written, runtime.probe_origins(namespace, {"objects": objects})["origins"])
    for question in assignment.questions:
        if question.id in kit:  # as the grader: a question whose objects come from the kit is not probed
            execution.status.append(kit[question.id][0])
            execution.reasons[question.id] = kit[question.id][1]
            continue
        observed = execution.observed[question.id] = {}
        for key, probe in question.probes.items():
            if not probe.cached:
                observed[key] = runtime.run_probe(probe.spec, namespace, table)
                continue
            code = code_key(probe.spec, question.objects, written, assignment.probe_modules)
            entry = recordings.get(code)
            if entry is None and record:
                entry = probe.observe(lambda spec: runtime.run_probe(spec, namespace, table))
                recordings.put(code, entry)
            if entry is None:
                missing.append(f"{variant.name} {question.id}:{key} ({code[:12]})")
            observed[key] = entry or {"ok": False, "error": {"type": "Missing", "message": "-"}}
    return execution, missing


def judged(assignment, execution: Execution, expected: dict) -> list:
    """The case results, judged by the grader's own judge half (``grade.judge``)."""
    return judge(assignment, execution, expected)


def seed_cache(assignment, paths: list[Path], folder: Path) -> list[Path]:
    """Put the recorded training of each notebook at ``paths`` whose graded code was recorded
    into a grader's cache at ``folder``, as the grader itself would have written it (with the
    fingerprints of the objects it ran with), for tests of a front end where the training is
    not what is under test. Returns the paths of the notebooks seeded; the others train.

    Only code a recording exists for runs here, and that is the code of an in-process variant."""
    from autograder.engine.cache import ProbeCache
    from autograder.engine.grade import OBJECTS

    cache, recordings, seeded = ProbeCache(folder), Recordings(assignment), []
    for path in paths:
        written = submission.read(path, assignment.kit_roots)
        for question in assignment.questions:
            keys = [code_key(probe.spec, question.objects, written, assignment.probe_modules)
                    for probe in question.probes.values() if probe.cached]
            found = {key: entry for key in keys if (entry := recordings.get(key)) is not None}
            if not found:
                continue
            namespace = namespace_of(path.stem, written, question.objects)  # run once per question
            made = runtime.probe_fingerprints(namespace, {"objects": question.objects})["fingerprints"]
            for key, entry in found.items():
                cache.put(key, {**entry, OBJECTS: made})
            if path not in seeded:
                seeded.append(path)
    return seeded
