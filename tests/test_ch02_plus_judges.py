"""One check, one definition (issue 20) for "2장 심화": every hidden case of ``dense_backward``,
``numeric_gradient`` and ``update_weights_momentum`` that has a public counterpart is judged by
the same function of ``autograder/ch02_plus/judges.py`` as the notebook's self-check. Change the
judge and both change; a typical wrong answer fails the hidden case and the self-check, the
self-check saying why in the student's terms.

In-process (the probes and the self-checks run on the answer key and corpus variants here), no
training: the training case has no self-check."""

from __future__ import annotations

import importlib

import pytest

from autograder import assignment as registry
from autograder.ch02_plus import judges, selfchecks
from autograder.engine.grade import expected_observations, probe_table
from autograder.kernel_side import runtime
from autograder.targets import selfcheck

# (question, hidden case name fragment, judge of judges.py): every case with a public counterpart.
SHARED = [
    ("q3_dense_backward", "dx (", "gradient_part"),
    ("q3_dense_backward", "dW (", "gradient_part"),
    ("q3_dense_backward", "db (", "gradient_part"),
    ("q3_dense_backward", "자료형 유지", "dtypes_kept"),
    ("q3_dense_backward", "입력을 바꾸지 않음", "inputs_kept"),
    ("q3_dense_backward", "자동 미분 금지", "no_autodiff"),
    ("q4_numeric_gradient", "상대 오차", "relative_error"),
    ("q4_numeric_gradient", "eps 인자", "step_sizes"),
    ("q4_numeric_gradient", "n차원 입력", "same_as_reshaped"),
    ("q4_numeric_gradient", "입력을 바꾸지 않음", "x_kept"),
    ("q5_momentum", "한 걸음 후 가중치", "weights_after"),
    ("q5_momentum", "한 걸음 후 속도", "velocities_after"),
    ("q5_momentum", "인자 learning_rate", "arguments_used"),
]

# (corpus variant, the hidden case it fails, a word of the self-check's report)
WRONG = [
    ("backward-dW-transposed", "dW (", "dW"),
    ("backward-db-not-summed", "db (", "db의 모양"),
    ("backward-always-float64", "자료형 유지", "자료형이 입력과 같아야"),
    ("backward-mutates-grad-out", "입력을 바꾸지 않음", "직접 수정했습니다: grad_out"),
    ("backward-tape-under-alias", "자동 미분 금지", "자동 미분이 보입니다"),
    ("backward-gradient-tape", "자동 미분 금지", "GradientTape"),
    ("numgrad-forgets-to-restore", "상대 오차", "상대 오차"),
    ("numgrad-divides-by-eps", "상대 오차", "상대 오차"),
    ("numgrad-ignores-eps", "eps 인자", "eps=0.0001"),
    ("numgrad-default-eps-1e-3", "eps 인자", "eps=1e-05"),
    ("numgrad-restores-by-arithmetic", "입력을 바꾸지 않음", "비트 하나까지"),
    ("momentum-torch-convention", "한 걸음 후 속도", "케라스 SGD"),
    ("momentum-velocity-not-kept", "한 걸음 후 속도", "저장하지 않으면"),
    ("momentum-hardcoded-hyperparameters", "인자 learning_rate", "인자의 값을 사용"),
    ("momentum-rebinds-weights", "한 걸음 후 가중치", "제자리에서"),
]

CHECKS = {"q3_dense_backward": selfchecks.dense_backward, "q4_numeric_gradient": selfchecks.numeric_gradient,
          "q5_momentum": selfchecks.update_weights_momentum}


@pytest.fixture(scope="module")
def plus():
    importlib.import_module("tensorflow")  # before any probe: a probe's 5 s limit must not interrupt its import
    return registry.get("ch02_plus")


def hidden(plus, question, namespace):
    """The question's cases (training left out) judged on ``namespace``, by name."""
    table = probe_table(plus)
    observed = {key: runtime.run_probe(spec, namespace, table) for key, spec in question.specs.items()
                if key.target != "train"}
    expected = expected_observations(plus)[question.id]
    return {case.name: case.judge(observed, expected) for case in question.cases
            if all(key in observed for key in case.probes)}


def public(plus, question, namespace):
    [(_, spec)] = selfcheck.public_specs(plus, question)
    return CHECKS[question.id](spec, namespace)


def with_variant(plus, variant, source):
    """The answer key's namespace, the notebook's imports, and a corpus variant's definition."""
    namespace = dict(plus.answer_key_namespace())
    exec("import math\nimport numpy as np\nimport tensorflow as tf\n", namespace)
    exec(compile(source, f"<{variant}>", "exec"), namespace)
    return namespace


def only(verdicts, fragment):
    [verdict] = [v for name, v in verdicts.items() if fragment in name]
    return verdict


def test_every_case_with_a_self_check_is_listed(plus):
    listed = {(q, fragment) for q, fragment, _ in SHARED}
    for question_id in CHECKS:
        names = [case.name for case in plus.question(question_id).cases]
        for q, fragment in listed:
            if q == question_id:
                assert sum(fragment in name for name in names) == 1, (question_id, fragment)


@pytest.mark.parametrize("question_id, fragment, judge", SHARED, ids=[f"{q}-{j}-{f}" for q, f, j in SHARED])
def test_a_hidden_case_and_its_self_check_share_one_judge(plus, monkeypatch, question_id, fragment, judge):
    """Replace the judge: the hidden case and the self-check both fail with its words, on the
    answer key itself (which passes both before)."""
    question, namespace = plus.question(question_id), plus.answer_key_namespace()
    assert only(hidden(plus, question, namespace), fragment).passed
    assert public(plus, question, namespace).passed
    problem = judges.Problem("같은 판정")
    stand_in = (lambda *args: (1.0, problem)) if judge == "relative_error" else (lambda *args: problem)
    monkeypatch.setattr(judges, judge, stand_in)
    verdict, outcome = only(hidden(plus, question, namespace), fragment), public(plus, question, namespace)
    assert not verdict.passed and "같은 판정" in verdict.message, verdict.message
    assert not outcome.passed and "같은 판정" in "\n".join(outcome.lines())


@pytest.mark.parametrize("variant, fragment, word", WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_answer_fails_the_hidden_case_and_the_self_check(plus, variant, fragment, word):
    from corpus.ch02_plus import VARIANTS

    [found] = [v for v in VARIANTS if v.name == variant]
    [(name, source)] = found.replace.items()
    [question] = [q for q in plus.questions if name in q.objects]
    namespace = with_variant(plus, variant, source)
    verdict = only(hidden(plus, question, namespace), fragment)
    outcome = public(plus, question, namespace)
    text = "\n".join(outcome.lines())
    assert not verdict.passed, variant
    assert not outcome.passed and word in text, text


def test_the_right_answers_pass_the_hidden_cases_and_the_self_checks(plus):
    from corpus.ch02_plus import VARIANTS

    for variant in VARIANTS:
        if variant.kind != "right" or len(variant.replace) != 1 or not set(variant.replace) <= {
                "dense_backward", "numeric_gradient", "update_weights_momentum"}:
            continue
        [(name, source)] = variant.replace.items()
        [question] = [q for q in plus.questions if name in q.objects]
        namespace = with_variant(plus, variant.name, source)
        assert all(v.passed for v in hidden(plus, question, namespace).values()), variant.name
        assert public(plus, question, namespace).passed, "\n".join(public(plus, question, namespace).lines())
