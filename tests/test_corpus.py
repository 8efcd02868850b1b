"""The corpus of submissions, graded end to end by the engine behind `autograder grade`:
each variant must get exactly its expected points per question and the right status."""

from __future__ import annotations

import pytest

from autograder.engine.batch import grade_all
from autograder.engine.kernel import Limits
from corpus import materialize
from corpus.variants import VARIANTS

pytestmark = pytest.mark.slow

# Short cell limit: no cell of the (stripped) notebook needs more than a few seconds.
LIMITS = Limits(cell_seconds=30, memory_mb=3000)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, built_notebooks, mnist_path):
    student, solution = built_notebooks
    folder = tmp_path_factory.mktemp("corpus")
    paths = [materialize(variant, student, solution, folder) for variant in VARIANTS]
    out = tmp_path_factory.mktemp("grades")
    results = grade_all(paths, out, mnist_path, jobs=2, limits=LIMITS, cache=out / ".cache")
    return {result.submission: result for result in results}, out


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_gets_its_verdict(graded, variant):
    results, _ = graded
    result = results[variant.name]
    scores = {question: result.score(question) for question in variant.expected()}
    assert scores == variant.expected(), result.status
    assert result.possible() == 100
    if variant.status == "ok":
        assert result.status == "ok"
    elif variant.status is not None:
        assert variant.status in result.status


def test_grades_csv_has_a_row_per_submission(graded):
    results, out = graded
    lines = (out / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(VARIANTS)
    for name in results:
        assert (out / name / "results.json").is_file() and (out / name / "feedback.md").is_file()


def test_feedback_shows_input_expected_and_got(graded):
    _, out = graded
    feedback = (out / "relu-mutates-input" / "feedback.md").read_text(encoding="utf-8")
    assert "입력" in feedback and "기대값" in feedback and "받은 값" in feedback and "shape (" in feedback
    stub = (out / "untouched-stubs" / "feedback.md").read_text(encoding="utf-8")
    assert "아직 구현하지 않았습니다" in stub


def test_resume_keeps_finished_and_force_regrades_identically(graded, mnist_path):
    results, out = graded
    chosen = [r for name, r in results.items() if name in ("reference", "relu-vectorised")]
    paths = [__import__("pathlib").Path(r.path) for r in chosen]
    kept = grade_all(paths, out, mnist_path, limits=LIMITS)
    assert [r.seconds for r in kept] == [r.seconds for r in chosen]  # read back, not regraded
    again = grade_all(paths, out, mnist_path, force=True, limits=LIMITS)
    for before, after in zip(sorted(chosen, key=lambda r: r.submission), sorted(again, key=lambda r: r.submission)):
        assert [c.points for c in after.cases] == [c.points for c in before.cases]
        assert after.seconds != before.seconds
