"""The feedback a student reads (``feedback.md``): cells named as the student sees them, one
cause one message, and cases that count only once the values are right saying so."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from conftest import subprocess_env

from autograder.engine import records, submission
from autograder.engine.cases import judge_question
from autograder.engine.grade import SubmissionResult, expected_observations
from autograder.kernel_side import runtime


def _observed(question, error: str | None = None, wrong: bool = False) -> dict:
    """Observations of every probe: all raising ``error``, or (``wrong``) the answer key's
    results plus one, as a student whose values are off would give."""
    found = {}
    for key, spec in question.specs.items():
        if error:  # a call probe records the error; any other probe fails as a whole
            message = f"{spec.get('object', key.target)}{runtime.MISSING}" if error == "NameError" else "-"
            found[key] = ({"ok": True, "object": spec["object"]} if spec["op"] == "call" else {"ok": False}) | \
                {"error": {"type": error, "message": message}}
        else:
            args = [np.asarray(runtime.decode(a)) for a in spec["args"]]
            value = args[0].copy() + (1 if wrong else 0)
            found[key] = {"ok": True, "object": spec["object"], "result": runtime.encode(value), "mutated": [False],
                          "events": 1000, "sources": []}
    return found


def _feedback(ch02, question_id: str, observed: dict) -> str:
    question = ch02.question(question_id)
    cases = judge_question(question, observed, expected_observations(ch02)[question_id])
    result = SubmissionResult("alice", "alice.ipynb", cases, "ok", assignment="ch02")
    return records.feedback_markdown(result, [question], ch02.title)


def test_a_stub_is_one_line_for_all_its_cases(ch02):
    text = _feedback(ch02, "q3_elementwise", _observed(ch02.question("q3_elementwise"), "NotImplementedError"))
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert lines == [
        "- ❌ naive_relu: 아직 구현하지 않았습니다. (0/6점: 값 2, 결과 모양과 dtype(입력과 같게) 1, "
        "입력을 바꾸지 않음 1, 랭크·모양 검사(assert) 1, 반복문 규칙 1)",
        "- ❌ naive_add: 아직 구현하지 않았습니다. (0/6점: 값 2, 결과 모양과 dtype(입력과 같게) 1, "
        "입력을 바꾸지 않음 1, 랭크·모양 검사(assert) 1, 반복문 규칙 1)"]
    assert "- 입력" not in text and "```" not in text


def test_a_missing_object_is_one_line_too(ch02):
    text = _feedback(ch02, "q1_keras_mnist", _observed(ch02.question("q1_keras_mnist"), "NameError"))
    failed = [line for line in text.splitlines() if line.startswith("- ❌")]
    assert failed[0].startswith("- ❌ preprocess_images: 정의되어 있지 않습니다.") and "(0/5점:" in failed[0]
    assert failed[1].startswith("- ❌ build_model: 정의되어 있지 않습니다.") and "(0/7점:" in failed[1]
    assert len(failed) == 2
    assert text.count("shape (") == 0  # no input block repeated per case


def test_cases_that_need_the_values_say_so(ch02):
    question = ch02.question("q6_transpose")
    text = _feedback(ch02, "q6_transpose", _observed(question, wrong=True))
    [asserts] = [line for line in text.splitlines() if "랭크·모양 검사(assert)" in line]
    assert asserts.endswith("(값이 맞아야 인정)")
    assert "값이 맞아야 인정되는 항목입니다. 먼저 'naive_transpose: 값' 항목을 통과하세요." in text
    assert "- 입력 x: shape (" in text and "- 기대값: shape (" in text and "- 받은 값: shape (" in text


def test_a_model_never_compiled_is_one_message(ch02):
    question = ch02.question("q1_keras_mnist")
    expected = expected_observations(ch02)["q1_keras_mnist"]
    observed = {key: dict(value) for key, value in expected.items()}
    model = next(key for key in observed if key.kind == "model")
    observed[model] = {**observed[model], "compiled": False, "optimizer": None, "loss": None, "metrics": []}
    cases = judge_question(question, observed, expected)
    result = SubmissionResult("bob", "bob.ipynb", cases, "ok", assignment="ch02")
    text = records.feedback_markdown(result, [question], ch02.title)
    [line] = [line for line in text.splitlines() if "컴파일하지 않았습니다" in line]
    assert line.startswith("- ❌ build_model: 모델을 컴파일하지 않았습니다.") and "(0/3점:" in line


def test_cells_are_named_by_their_place_among_all_cells_and_first_line(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 제목"),
        nbformat.v4.new_code_cell("import numpy as np"),
        nbformat.v4.new_markdown_cell("설명"),
        nbformat.v4.new_code_cell("# ✏️ 채점 항목\n#   - 값: 2점\ndef naive_transpose(x):\n    return x"),
        nbformat.v4.new_code_cell(""),
        nbformat.v4.new_code_cell("# 주석만 있는 줄\nprint('한 번 더 이렇게 긴 줄이 오면 잘라서 보여 준다, 여기서 더 길게 쓰면 더 잘린다: ' + 'x' * 80)"),
    ])
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    read = submission.read(path)
    assert read.label(0) == "위에서 2번째 셀 (import numpy as np)"
    assert read.label(1) == "위에서 4번째 셀 (def naive_transpose(x):)"
    assert read.label(2).startswith("위에서 6번째 셀 (print('한 번 더") and read.label(2).endswith("…)")


def test_a_single_case_object_not_implemented_is_one_line(ch02):
    text = _feedback(ch02, "q2_tensor_slicing", _observed(ch02.question("q2_tensor_slicing"), "NotImplementedError"))
    assert "- ❌ crop_center: 아직 구현하지 않았습니다. (0/2점: 값 2)" in text.splitlines()
    assert "```" not in text


def test_cells_stopped_by_a_stub_are_one_line(ch02):
    errors = ["위에서 28번째 셀 (model = build_model()) — NotImplementedError: build_model: 아직 구현하지 않았습니다.",
              "위에서 33번째 셀 (test_digits = test_images[0:10]) — NameError: name 'model' is not defined",
              "위에서 57번째 셀 (def naive_transpose(x):) — NotImplementedError: naive_transpose: 아직 구현하지 않았습니다.",
              "위에서 60번째 셀 (print(x)) — ZeroDivisionError: division by zero"]
    result = SubmissionResult("carol", "carol.ipynb", [], "ok", cell_errors=errors, assignment="ch02")
    lines = records.feedback_markdown(result, [], ch02.title).splitlines()
    assert ("- 아직 구현하지 않은 함수를 불러서 멈춘 셀 2개: 위에서 28번째 셀 (model = build_model()), "
            "위에서 57번째 셀 (def naive_transpose(x):)") in lines
    assert any(line.startswith("- 정의되지 않은 이름 때문에 멈춘 셀 1개") for line in lines)
    assert "- 위에서 60번째 셀 (print(x)) — ZeroDivisionError: division by zero" in lines


def test_a_name_missing_inside_a_function_is_not_the_function_missing(ch02):
    observed = _observed(ch02.question("q6_transpose"), "NameError")
    for observation in observed.values():
        observation["error"]["message"] = "name 'np' is not defined"
    text = _feedback(ch02, "q6_transpose", observed)
    assert "정의되어 있지 않습니다" not in text and "정의되지 않은 이름이 있습니다: name 'np' is not defined" in text


def test_a_function_stopping_on_some_inputs_only_is_judged_call_by_call(ch02):
    question = ch02.question("q6_transpose")
    observed = _observed(question, wrong=False)
    first = next(key for key in observed if key.kind == "value")
    observed[first] = {"ok": True, "object": "naive_transpose", "error": {"type": "NotImplementedError", "message": "-"}}
    text = _feedback(ch02, "q6_transpose", observed)
    assert "- ❌ naive_transpose: 값 (0/2)" in text  # not one "not implemented" line for everything
    assert "- 받은 값: 아직 구현하지 않았습니다." in text


def test_nbgrader_test_cells_say_one_cause_once(ch02):
    from autograder.frontends import nbgrader

    question = ch02.question("q6_transpose")
    cases = judge_question(question, _observed(question, "NotImplementedError"), expected_observations(ch02)[question.id])
    printed = nbgrader.report(cases, []).strip().splitlines()
    # the same words as feedback.md (one renderer, kernel_side.show.one_cause)
    assert printed == ["[실패] naive_transpose: 아직 구현하지 않았습니다. (0/6점: 값 2, 결과 모양과 dtype(입력과 같게) 1, "
                       "입력을 바꾸지 않음 1, 랭크·모양 검사(assert) 1, 반복문 규칙 1)"]
    text = _feedback(ch02, "q6_transpose", _observed(question, "NotImplementedError"))
    assert "- ❌ " + printed[0].removeprefix("[실패] ") in text.splitlines()


# ---------------------------------------------------------------- no error a student did not cause


@pytest.mark.parametrize("assignment_id", ["ch02", "ch02_plus", "tiny"])
def test_the_setup_cell_runs_where_otter_is_a_stand_in(assignment_id, tmp_path):
    """A graded kernel has an inert stand-in for otter (``harness``); the notebook's setup cell
    imports ``otter.check.utils`` and must run there without an error (it used to fail in every
    graded notebook, and every feedback blamed the cell students are told not to touch)."""
    from autograder import assignment as registry
    from autograder.engine.kernel import SELF_CHECK_TOOLS, harness_source
    from autograder.targets.selfcheck import setup_source

    assignment = registry.get(assignment_id)
    program = harness_source(assignment.kit_roots, 10_000, stand_ins=SELF_CHECK_TOOLS) + "\n" + \
        setup_source(assignment) + "\nprint(type(grader).__name__)\n"
    (tmp_path / "cell.py").write_text(program, encoding="utf-8")
    done = subprocess.run([sys.executable, "cell.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=subprocess_env(drop=("PYTHONPATH",)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "Inert"


@pytest.mark.parametrize("variant", [v for v in __import__("corpus.tiny").tiny.VARIANTS
                                     if v.kind == "right" and v.base == "solution"],
                         ids=lambda v: v.name)
def test_a_correct_notebook_graded_in_a_kernel_reads_clean(tiny, built_tiny, variant, tmp_path):
    """Graded for real (its own kernel, setup cell and all) and without the sandbox: the
    student's feedback and Gradescope output hold no error section and no instructor-only note;
    the status column (grades.csv, the report) still says how it was graded."""
    from autograder.engine.grade import NO_SANDBOX, grade_notebook
    from autograder.engine.kernel import Limits
    from corpus import materialize

    student, solution = built_tiny
    path = materialize(variant, student, solution, tmp_path)
    result = grade_notebook(tiny, path, variant.name, {}, Limits(cell_seconds=30, sandbox=False))
    assert result.total == result.possible() == variant.expected(tiny)["q1_basics"], result.status
    assert NO_SANDBOX in result.status and not result.cell_errors
    text = records.feedback_markdown(result, tiny.questions, tiny.title)
    gradescope = json.dumps(records.gradescope_results(result), ensure_ascii=False)
    for shown in (text, gradescope):
        assert "채점 중 발견된 문제" not in shown and "채점 중 문제" not in shown
        assert "오류가 난 셀" not in shown and "샌드박스" not in shown and "Traceback" not in shown


def test_a_missing_object_is_explained_by_the_cell_meant_to_define_it(tiny, built_tiny, tmp_path):
    """A stub cell that now defines a near name says which name it defines and which is graded;
    a cell stopped by its own import says that import failed (graded for real, in a kernel)."""
    from autograder.engine.grade import grade_notebook
    from autograder.engine.kernel import Limits
    from corpus import Variant, materialize

    student, solution = built_tiny
    variant = Variant("near-names", "wrong", replace={
        "scale": "import pysnooper\n\ndef scale(x, factor):\n    return x * factor\n",
        "slow_total": "def Slow_Total(x):\n    return np.sum(x)\n"})
    path = materialize(variant, student, solution, tmp_path)
    result = grade_notebook(tiny, path, variant.name, {}, Limits(cell_seconds=30))
    text = records.feedback_markdown(result, tiny.questions, tiny.title)
    [scale] = [line for line in text.splitlines() if line.startswith("- ❌ scale:")]
    assert "import에서 멈췄습니다" in scale and "pysnooper" in scale, text
    [total] = [line for line in text.splitlines() if line.startswith("- ❌ slow_total:")]
    assert "Slow_Total을(를) 정의합니다" in total and "채점하는 이름은 slow_total" in total, text
    assert "정의하는 셀을 먼저 실행하세요" not in text


def test_a_crash_on_every_input_is_one_line_with_the_cases_it_cost(ch02):
    question = ch02.question("q6_transpose")
    observed = _observed(question, wrong=False)
    for key in observed:
        if key.kind == "value":
            observed[key] = {"ok": True, "object": "naive_transpose", "mutated": [False],
                             "error": {"type": "ZeroDivisionError", "message": "division by zero"}}
    text = _feedback(ch02, "q6_transpose", observed)
    failed = [line for line in text.splitlines() if line.startswith("- ❌")]
    assert failed == ["- ❌ naive_transpose: 모든 입력에서 ZeroDivisionError 예외가 발생했습니다: division by zero "
                      "(0/6점: 값 2, 결과 모양과 dtype(입력과 같게) 1, 입력을 바꾸지 않음 1, 랭크·모양 검사(assert) 1, "
                      "반복문 규칙 1)"], text
    assert text.count("division by zero") == 1


def test_nbgrader_files_problems_by_question_and_keeps_the_instructors_out():
    from autograder.engine import outcomes
    from autograder.engine.outcomes import Problem
    from autograder.frontends.nbgrader import problems_under

    problems = [Problem(None, outcomes.NO_SANDBOX, "샌드박스 없이 채점함"),
                Problem("basics", outcomes.PROBE, "시간 제한 초과"),
                Problem("basics", outcomes.GRADER_ERROR, "채점 도구 오류 (KeyError: 't')"),
                Problem(None, outcomes.CELL, "위에서 3번째 셀: 시간 제한 초과")]
    questions = {"basics", "extra"}  # ids that do not start with "q"
    assert problems_under("basics", problems, questions, first=True) == ["시간 제한 초과",
                                                                         "위에서 3번째 셀: 시간 제한 초과"]
    assert problems_under("extra", problems, questions, first=False) == []
