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
from autograder.engine.cases import judge_question
from autograder.engine.grade import kit_violation, probe_table
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


def namespace_of(variant: Variant, written: submission.Submission, objects: tuple[str, ...]) -> dict:
    """Every cell the graded objects can run, executed here in notebook order as student code."""
    namespace: dict = {"__name__": "__main__"}
    folder = Path(tempfile.gettempdir()) / "autograder-inprocess" / variant.name
    for index in closure(objects, written):
        source = TransformerManager().transform_cell(written.cells[index])
        filename = str(folder / f"cell{index}.py")  # a student's file, to the kit's StudentCode rule
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def observe(assignment, variant: Variant, student, solution, folder: Path, record: bool = False):
    """(observations per question, context for judging, missing recordings) of a variant.
    With ``record``, the cached probes run here too and are recorded."""
    path = folder / f"{variant.name}.ipynb"
    nbformat.write(notebook_of(variant, student, solution), str(path))
    written = submission.read(path, assignment.kit_roots)
    objects = tuple(sorted({name for q in assignment.questions for name in q.objects}))
    namespace = namespace_of(variant, written, objects)
    table = probe_table(assignment)
    recordings = Recordings(assignment)
    observed, missing = {}, []
    for question in assignment.questions:
        observed[question.id] = {}
        for key, probe in question.probes.items():
            if not probe.cached:
                observed[question.id][key] = runtime.run_probe(probe.spec, namespace, table)
                continue
            code = code_key(probe.spec, question.objects, written, assignment.probe_modules)
            entry = recordings.get(code)
            if entry is None and record:
                entry = probe.observe(lambda spec: runtime.run_probe(spec, namespace, table))
                recordings.put(code, entry)
            if entry is None:
                missing.append(f"{variant.name} {question.id}:{key} ({code[:12]})")
            observed[question.id][key] = entry or {"ok": False, "error": {"type": "Missing", "message": "-"}}
    origins = runtime.probe_origins(namespace, {"objects": objects})["origins"]
    return observed, {"origins": origins, "notebook": written}, missing


def judged(assignment, observed: dict, context: dict, expected: dict) -> list:
    """The case results, judged as ``autograder grade`` judges them."""
    cases = []
    for question in assignment.questions:
        reason = kit_violation(question, context["notebook"], context["origins"], assignment.kit_roots)
        cases += judge_question(question, None if reason else observed[question.id], expected[question.id], reason)
    return cases
