"""Every assignment's corpus, part two, graded the way a class is graded: per assignment, the
variants that need a real kernel (kit imports, hostile and broken notebooks) together with the
reference (and, for chapter 2, byte-identical copies of it under other names), ``--jobs 2``, one
cold training cache. Each submission gets exactly its expected points and status, and the code
they share trains once: the other workers wait for it (``ProbeCache.claim``) instead of training
again. (The class of twenty with nine identical copies, killed and resumed, is the tiny
assignment's, in test_batch.py: its kernels start in a second, these load TensorFlow.)"""

from __future__ import annotations

import csv
import importlib
import shutil
from pathlib import Path

import pytest

from autograder import assignment as registry
from autograder.engine.batch import DUPLICATE, grade_all
from autograder.engine.grade import expected_observations
from autograder.engine.kernel import Limits
from corpus import inprocess, materialize

pytestmark = pytest.mark.slow

ASSIGNMENTS = ("ch02", "ch02_plus")
COPIES = {"ch02": [f"학생-{number:02d}" for number in range(1, 3)], "ch02_plus": []}
# A short cell limit: no cell of the (stripped) notebooks needs more than a few seconds (ch02_plus's
# slowest, loading MNIST, about 2), and the corpus's hanging cells then cost little. Memory: a
# training kernel needs less than 1.8 GB (both references pass at 1800 MB); the memory hog must reach the limit well inside its cell's
# time, and this VM faults pages in at about 330 MB/s (3000 MB took over 15 s in a loaded CI run).
LIMITS = {"ch02": Limits(cell_seconds=15, memory_mb=2000), "ch02_plus": Limits(cell_seconds=10, memory_mb=2000)}


def _variants(assignment_id: str) -> list:
    """The variants that need a kernel, then the reference."""
    variants = importlib.import_module(f"corpus.{assignment_id}").VARIANTS
    return [v for v in variants if v.needs_kernel] + [next(v for v in variants if v.name == "reference")]


CASES = [(assignment_id, variant) for assignment_id in ASSIGNMENTS for variant in _variants(assignment_id)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, mnist_path):
    """assignment id -> ({submission: result}, output folder), graded on first use."""
    from autograder.targets.build import student_and_solution

    done: dict[str, tuple] = {}

    def grade(assignment_id: str):
        if assignment_id not in done:
            assignment = registry.get(assignment_id)
            student, solution = student_and_solution(assignment)
            folder = tmp_path_factory.mktemp(f"class-{assignment_id}")
            paths = [materialize(variant, student, solution, folder) for variant in _variants(assignment_id)]
            for name in COPIES[assignment_id]:
                paths.append(shutil.copyfile(folder / "reference.ipynb", folder / f"{name}.ipynb"))
            out = tmp_path_factory.mktemp(f"grades-{assignment_id}")
            results = grade_all(assignment, paths, out, {assignment.datasets[0]: mnist_path}, jobs=2, limits=LIMITS[assignment_id],
                                cache=out / ".cache")
            done[assignment_id] = ({result.submission: result for result in results}, out)
        return done[assignment_id]
    return grade


@pytest.mark.parametrize("assignment_id, variant", CASES, ids=[f"{a}:{v.name}" for a, v in CASES])
def test_variant_gets_its_verdict(graded, assignment_id, variant):
    assignment = registry.get(assignment_id)
    results, _ = graded(assignment_id)
    result = results[variant.name]
    scores = {question: result.score(question) for question in variant.expected(assignment)}
    assert scores == variant.expected(assignment), result.status
    assert result.possible() == 100 and not result.grader_error
    status = "; ".join(p for p in result.status.split("; ") if not p.startswith(DUPLICATE)) or "ok"
    if variant.status == "ok":
        assert status == "ok"
    if variant.kind == "right" and variant.base == "solution":  # what the student reads is clean
        feedback = (graded(assignment_id)[1] / variant.name / "feedback.md").read_text(encoding="utf-8")
        assert "❌" not in feedback and "채점 중 발견된 문제" not in feedback and "오류가 난 셀" not in feedback
    elif variant.status is not None:
        assert variant.status in status


def _training(assignment):
    """(question, its cached training probe)."""
    [(question, probe)] = [(q, p) for q in assignment.questions for p in q.probes.values() if p.cached]
    return question, probe


def test_identical_copies_get_identical_rows_and_the_same_code_trains_once(graded):
    ch02 = registry.get("ch02")
    results, _ = graded("ch02")
    same = [results[name] for name in ["reference", *COPIES["ch02"]]]
    assert {(r.total, r.status.split("; ")[0].split(":")[0]) for r in same} == {(100, DUPLICATE)}  # flagged, kept
    # Every submission whose training code is the same (the copies, and the hostile ones
    # that only add cells) shares one training: one worker ran it, the others were served it.
    from autograder.engine import submission
    from autograder.engine.cache import code_key

    question, probe = _training(ch02)
    by_key = {}
    for result in results.values():
        try:
            written = submission.read(Path(result.path), ch02.kit_roots)
        except submission.UnreadableSubmission:
            continue
        key = code_key(probe.spec, question.objects, written, ch02.probe_modules)
        by_key.setdefault(key, []).append(result)
    [course_text] = [group for group in by_key.values() if any(r.submission == "reference" for r in group)]
    assert len(course_text) >= 3
    ran = [r for r in course_text if any(c.detail.get("value") is not None for c in r.cases)]
    assert len(ran) >= 3
    trained = [r.submission for r in ran if "q8_from_scratch:train" not in r.cached]
    assert len(trained) == 1, trained
    # The training stubs left untouched fail the same way in every notebook (NotImplementedError):
    # that failure is kept too, and computed once for the notebooks that share the stubs.
    [untouched] = [group for group in by_key.values() if any(r.submission == "untouched-stubs" for r in group)]
    assert {r.submission for r in untouched} >= {"untouched-stubs", "fake-eq-object"}
    assert len([r for r in untouched if "q8_from_scratch:train" not in r.cached]) == 1


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_grades_csv_has_exactly_one_row_per_submission(graded, assignment_id):
    results, out = graded(assignment_id)
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["submission"] for row in rows) == sorted(results)
    for name in results:
        assert (out / name / "results.json").is_file() and (out / name / "feedback.md").is_file()
    assert not list(out.rglob("*.tmp"))  # every file was written whole


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_training_recorded_for_in_process_judging_is_what_a_kernel_computes(graded, assignment_id, tmp_path):
    """The recordings stand in for the training of the same code in a kernel: the reference's
    training case, judged in-process from its recording, has the kernel's accuracy."""
    from autograder.targets.build import student_and_solution

    assignment = registry.get(assignment_id)
    results, _ = graded(assignment_id)
    [kernel] = [c for c in results["reference"].cases if c.detail.get("metric") == "test_accuracy"]
    reference = next(v for v in _variants(assignment_id) if v.name == "reference")
    student, solution = student_and_solution(assignment)
    execution, missing = inprocess.observe(assignment, reference, student, solution, tmp_path)
    assert not missing
    cases = inprocess.judged(assignment, execution, expected_observations(assignment))
    [recorded] = [c for c in cases if c.detail.get("metric") == "test_accuracy"]
    assert recorded.detail["value"] == pytest.approx(kernel.detail["value"], abs=0.01)
