"""The chapter-2 corpus, part two, graded the way a class is graded: the variants that need a
real kernel (kit imports, hostile and broken notebooks) together with the reference and
byte-identical copies of it under other names, ``--jobs 2``, one cold training cache. Each
submission gets exactly its expected points and status, and the code they share trains once:
the other workers wait for it (``ProbeCache.claim``) instead of training again. (The class of
twenty with nine identical copies, killed and resumed, is the tiny assignment's, in
test_batch.py: its kernels start in a second, these load TensorFlow.)"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from autograder.engine.batch import grade_all
from autograder.engine.kernel import Limits
from corpus import ch02 as corpus, inprocess, materialize

pytestmark = pytest.mark.slow

KERNEL_VARIANTS = [variant for variant in corpus.VARIANTS if variant.needs_kernel]
REFERENCE = next(variant for variant in corpus.VARIANTS if variant.name == "reference")
COPIES = [f"학생-{number:02d}" for number in range(1, 3)]
# A short cell limit: no cell of the (stripped) notebook needs more than a few seconds.
LIMITS = Limits(cell_seconds=15, memory_mb=3000)


@pytest.fixture(scope="module")
def graded(ch02, tmp_path_factory, built_notebooks, mnist_path):
    student, solution = built_notebooks
    folder = tmp_path_factory.mktemp("class")
    paths = [materialize(variant, student, solution, folder) for variant in KERNEL_VARIANTS + [REFERENCE]]
    for name in COPIES:
        paths.append(shutil.copyfile(folder / "reference.ipynb", folder / f"{name}.ipynb"))
    out = tmp_path_factory.mktemp("grades")
    results = grade_all(ch02, paths, out, {ch02.datasets[0]: mnist_path}, jobs=2, limits=LIMITS,
                        cache=out / ".cache")
    return {result.submission: result for result in results}, out


@pytest.mark.parametrize("variant", KERNEL_VARIANTS + [REFERENCE], ids=[v.name for v in KERNEL_VARIANTS + [REFERENCE]])
def test_variant_gets_its_verdict(ch02, graded, variant):
    results, _ = graded
    result = results[variant.name]
    scores = {question: result.score(question) for question in variant.expected(ch02)}
    assert scores == variant.expected(ch02), result.status
    assert result.possible() == 100 and not result.grader_error
    if variant.status == "ok":
        assert result.status == "ok"
    elif variant.status is not None:
        assert variant.status in result.status


def test_identical_copies_get_identical_rows_and_the_same_code_trains_once(ch02, graded):
    results, _ = graded
    same = [results[name] for name in ["reference", *COPIES]]
    assert {(r.total, r.status) for r in same} == {(100, "ok")}
    # Every submission whose training code is the same (the nine copies, and the hostile ones
    # that only add cells) shares one training: one worker ran it, the others were served it.
    from autograder.engine import submission
    from autograder.engine.cache import code_key

    question = ch02.question("q8_from_scratch")
    [probe] = [p for p in question.probes.values() if p.cached]
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


def test_grades_csv_has_exactly_one_row_per_submission(graded):
    results, out = graded
    with open(out / "grades.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["submission"] for row in rows) == sorted(results)
    for name in results:
        assert (out / name / "results.json").is_file() and (out / name / "feedback.md").is_file()
    assert not list(out.rglob("*.tmp"))  # every file was written whole


def test_the_training_recorded_for_in_process_judging_is_what_a_kernel_computes(ch02, graded):
    """The recordings stand in for the training of the same code in a kernel: same accuracy."""
    results, _ = graded
    [kernel] = [c for c in results["reference"].cases if c.detail.get("metric") == "test_accuracy"]
    recorded = [path for path in (inprocess.RECORDED / ch02.id).glob("*.json")]
    assert recorded
    from autograder.engine import submission
    from autograder.engine.cache import code_key

    written = submission.read(Path(results["reference"].path), ch02.kit_roots)
    question = ch02.question("q8_from_scratch")
    [probe] = [p for p in question.probes.values() if p.cached]
    entry = inprocess.Recordings(ch02).get(code_key(probe.spec, question.objects, written, ch02.probe_modules))
    assert entry is not None
    from autograder.ch02.q8_from_scratch import training_verdict

    assert training_verdict(entry).detail["value"] == pytest.approx(kernel.detail["value"], abs=0.01)
