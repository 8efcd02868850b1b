"""The chapter-2 corpus, part one: right answers in unusual styles, specific bugs and
vectorised shortcuts, judged in this process (``corpus.inprocess``): the graded code runs
here, every probe runs here with the kit's runtime, and the training check comes from
recordings of the same code. Each variant must get exactly its expected points."""

from __future__ import annotations

import pytest

from autograder.engine.grade import expected_observations
from corpus import ch02 as corpus, inprocess

VARIANTS = [variant for variant in corpus.VARIANTS if not variant.needs_kernel]
RECORD = "make record-corpus (or: cd tests && python -m corpus.record)"


@pytest.fixture(scope="module")
def judged(ch02, built_notebooks, tmp_path_factory):
    student, solution = built_notebooks
    expected = expected_observations(ch02)
    folder = tmp_path_factory.mktemp("inprocess")
    results = {}
    for variant in VARIANTS:
        observed, context, missing = inprocess.observe(ch02, variant, student, solution, folder)
        results[variant.name] = (inprocess.judged(ch02, observed, context, expected), missing)
    return results


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_gets_its_points(ch02, judged, variant):
    cases, missing = judged[variant.name]
    assert not missing, f"no recorded observation for {missing}: run {RECORD}"
    scores = {q.id: sum(c.points for c in cases if c.question == q.id) for q in ch02.questions}
    failed = [f"{c.question} · {c.name}: {c.message[:200]}" for c in cases if not c.passed]
    assert scores == variant.expected(ch02), failed
    assert sum(c.max_points for c in cases) == 100


def test_every_recording_belongs_to_a_variant(ch02, built_notebooks, tmp_path):
    """No recording is dead weight: each is the training of some variant's code now."""
    from corpus.record import _keys

    student, solution = built_notebooks
    used = {key for variant in VARIANTS for key in _keys(ch02, variant, student, solution, tmp_path)}
    recorded = {path.name for path in (inprocess.RECORDED / ch02.id).glob("*.json")}
    assert recorded == used, f"recordings out of date: run {RECORD}"


def test_a_failure_shows_the_input_expected_and_got_shapes_first(judged):
    cases, _ = judged["relu-mutates-input"]
    [case] = [c for c in cases if c.name == "naive_relu: 입력을 바꾸지 않음"]
    assert "입력" in case.message and "기대값" in case.message and "받은 값" in case.message
    cases, _ = judged["transpose-loses-dtype"]
    [case] = [c for c in cases if c.name.startswith("naive_transpose: 결과 모양")]
    assert "shape (" in case.message and "float64" in case.message and "dtype" in case.message


def test_the_naive_rule_names_what_it_found(judged):
    cases, _ = judged["matrix-dot-np-dot"]
    [case] = [c for c in cases if c.name == "naive_matrix_dot: 반복문으로 구현 (naive 규칙)"]
    assert not case.passed and "np.dot" in case.message
    cases, _ = judged["matrix-vector-whole-rows"]
    [case] = [c for c in cases if c.name == "naive_matrix_vector_dot: 반복문으로 구현 (naive 규칙)"]
    assert not case.passed and ".sum" in case.message


def test_training_detail_is_plain_data_for_reports(judged):
    cases, _ = judged["reference"]
    [training] = [c for c in cases if c.detail.get("metric") == "test_accuracy"]
    assert training.passed and training.detail["value"] >= training.detail["bar"] == 0.8
    cases, _ = judged["dense-zero-init"]
    [training] = [c for c in cases if c.detail.get("metric") == "test_accuracy"]
    assert not training.passed and training.detail["value"] < 0.8
