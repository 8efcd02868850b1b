"""Every assignment's corpus, part one: right answers in unusual styles, specific bugs and
shortcuts, judged in this process (``corpus.inprocess``): the graded code runs here, every probe
runs here with the kit's runtime, and the training check comes from recordings of the same code.
Each variant must get exactly its expected points.

Parametrized by assignment: every assignment of the kit with a corpus module ``corpus/<id>.py``
(the ones ``make record-corpus`` records; the tiny test assignment's corpus is graded in kernels).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from autograder import assignment as registry
from autograder.engine.grade import expected_observations
from corpus import inprocess

HERE = Path(inprocess.__file__).parent
CORPORA = {assignment_id: importlib.import_module(f"corpus.{assignment_id}").VARIANTS
           for assignment_id, assignment in sorted(registry.all_assignments().items())
           if (HERE / f"{assignment_id}.py").is_file() and assignment.module.startswith("autograder.")}
CASES = [(assignment_id, variant) for assignment_id, variants in CORPORA.items()
         for variant in variants if not variant.needs_kernel]
RECORD = "make record-corpus (or: cd tests && python -m corpus.record)"


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """assignment id -> {variant name: (case results, missing recordings)}, judged on first use."""
    from autograder.targets.build import student_and_solution

    results: dict[str, dict] = {}

    def judge(assignment_id: str) -> dict:
        if assignment_id not in results:
            assignment = registry.get(assignment_id)
            student, solution = student_and_solution(assignment)
            expected = expected_observations(assignment)
            folder = tmp_path_factory.mktemp(f"inprocess-{assignment_id}")
            results[assignment_id] = {}
            for _, variant in (case for case in CASES if case[0] == assignment_id):
                execution, missing = inprocess.observe(assignment, variant, student, solution, folder)
                results[assignment_id][variant.name] = (inprocess.judged(assignment, execution, expected),
                                                        missing)
        return results[assignment_id]
    return judge


def test_the_kits_assignments_have_corpora():
    assert {"ch02", "ch02_plus"} <= set(CORPORA)


@pytest.mark.parametrize("assignment_id, variant", CASES, ids=[f"{a}:{v.name}" for a, v in CASES])
def test_variant_gets_its_points(judged, assignment_id, variant):
    assignment = registry.get(assignment_id)
    cases, missing = judged(assignment_id)[variant.name]
    assert not missing, f"no recorded observation for {missing}: run {RECORD}"
    scores = {q.id: sum(c.points for c in cases if c.question == q.id) for q in assignment.questions}
    failed = [f"{c.question} · {c.name}: {c.message[:200]}" for c in cases if not c.passed]
    assert scores == variant.expected(assignment), failed
    assert sum(c.max_points for c in cases) == 100
    if variant.fails is not None:  # one mistake, one deduction: exactly these cases fail
        assert sorted(c.name for c in cases if not c.passed) == sorted(variant.fails), failed


RIGHT = [(assignment_id, variant) for assignment_id, variant in CASES
         if variant.kind == "right" and variant.base == "solution"]


@pytest.mark.parametrize("assignment_id, variant", RIGHT, ids=[f"{a}:{v.name}" for a, v in RIGHT])
def test_a_right_submission_reads_clean(judged, assignment_id, variant):
    """What the student reads of a right submission: every case passed, no error section, no
    instructor-only note (the kernel half, setup cell and all: test_feedback.py)."""
    from autograder.engine import records
    from autograder.engine.grade import SubmissionResult

    assignment = registry.get(assignment_id)
    cases, _ = judged(assignment_id)[variant.name]
    result = SubmissionResult(variant.name, f"{variant.name}.ipynb", cases, "ok", assignment=assignment_id)
    text = records.feedback_markdown(result, assignment.questions, assignment.title)
    assert "❌" not in text and "채점 중 발견된 문제" not in text and "오류가 난 셀" not in text
    assert "샌드박스" not in text and "Traceback" not in text and "예외가 발생했습니다" not in text


@pytest.mark.parametrize("assignment_id", list(CORPORA))
def test_every_recording_belongs_to_a_variant(assignment_id, tmp_path):
    """No recording is dead weight: each is the training of some variant's code now."""
    from autograder.targets.build import student_and_solution
    from corpus.record import _keys

    assignment = registry.get(assignment_id)
    student, solution = student_and_solution(assignment)
    used = {key for _, variant in CASES if _ == assignment_id
            for key in _keys(assignment, variant, student, solution, tmp_path)}
    recorded = {path.name for path in (inprocess.RECORDED / assignment_id).glob("*.json")}
    assert recorded == used, f"recordings out of date: run {RECORD}"


# ---------------------------------------------------------------- chapter 2


def test_a_failure_shows_the_input_expected_and_got_shapes_first(judged):
    cases, _ = judged("ch02")["relu-mutates-input"]
    [case] = [c for c in cases if c.name == "naive_relu: 입력을 바꾸지 않음"]
    assert "입력" in case.message and "기대값" in case.message and "받은 값" in case.message
    cases, _ = judged("ch02")["transpose-loses-dtype"]
    [case] = [c for c in cases if c.name.startswith("naive_transpose: 결과 모양")]
    assert "shape (" in case.message and "float64" in case.message and "dtype" in case.message


def test_the_naive_rule_names_what_it_found(judged):
    cases, _ = judged("ch02")["matrix-dot-np-dot"]
    [case] = [c for c in cases if c.name == "naive_matrix_dot: 반복문 규칙"]
    assert not case.passed and "np.dot" in case.message
    cases, _ = judged("ch02")["matrix-vector-whole-rows"]
    [case] = [c for c in cases if c.name == "naive_matrix_vector_dot: 반복문 규칙"]
    assert not case.passed and ".sum" in case.message


def test_training_detail_is_plain_data_for_reports(judged):
    cases, _ = judged("ch02")["reference"]
    [training] = [c for c in cases if c.detail.get("metric") == "test_accuracy"]
    assert training.passed and training.detail["value"] >= training.detail["bar"] == 0.8
    cases, _ = judged("ch02")["step-forgets-update"]
    [training] = [c for c in cases if c.detail.get("metric") == "test_accuracy"]
    assert not training.passed and training.detail["value"] < 0.8
    assert "초기 가중치 그대로" in training.detail["attempts"][0]["problem"]


# ---------------------------------------------------------------- 2장 심화 (ch02_plus)


def _case(judged, variant: str, prefix: str):
    cases, _ = judged("ch02_plus")[variant]
    [case] = [c for c in cases if c.name.startswith(prefix)]
    return case


def test_the_autodiff_ban_names_the_tape_statically_and_when_it_runs(judged):
    case = _case(judged, "backward-gradient-tape", "dense_backward: 자동 미분 금지")
    assert not case.passed and ".GradientTape" in case.message and "호출 중 1번 사용" in case.message
    case = _case(judged, "backward-tape-under-alias", "dense_backward: 자동 미분 금지")
    assert not case.passed and "호출 중 1번 사용" in case.message  # the alias hides the name, not the tape
    assert _case(judged, "backward-right-tf-ops", "dense_backward: 자동 미분 금지").passed  # TF ops without a tape


def test_the_stricter_naive_rule_and_the_gate_explain_themselves(judged):
    case = _case(judged, "crossentropy-vectorised", "naive_sparse_categorical_crossentropy: 반복문")
    assert "np.clip" in case.message and "np.mean" in case.message
    cases, _ = judged("ch02_plus")["softmax-forgets-to-normalise"]
    q1 = [c for c in cases if c.question == "q1_softmax"]
    assert not any(c.passed for c in q1) and all("확률표를 반환해야" in c.message for c in q1)


def test_momentum_training_detail_separates_momentum_from_plain_sgd(judged):
    """Correct code trains to about 0.87 in 2 epochs; code that moves like plain SGD to about 0.62,
    below the retry floor (trained once)."""
    from autograder.ch02_plus.q5_momentum import BAR, RETRY_FLOOR

    right = _case(judged, "reference", "훈련")
    assert right.passed and right.detail["value"] >= 0.85 and right.detail["bar"] == BAR
    assert len(right.detail["attempts"]) == 1 and right.detail["attempts"][0]["compiled"]
    eager = _case(judged, "momentum-right-numpy-roundtrip", "훈련")
    assert eager.passed and not eager.detail["attempts"][0]["compiled"]  # .numpy() does not trace: eager
    plain = _case(judged, "momentum-velocity-not-kept", "훈련")
    assert not plain.passed and plain.detail["value"] < RETRY_FLOOR and len(plain.detail["attempts"]) == 1
    assert "즉시 실행" in eager.message and "tf.function" in right.message
