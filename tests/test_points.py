"""What is graded is what is written: the notebook's points table and each stub's header are
generated from the checks, and every graded property of a stub (dtype, copy or in place, the
naive rule) is in the stub's text; the naive rule's full list is once, in a box under the points
table."""

from __future__ import annotations

import re

import pytest

from autograder.ch02 import q8_from_scratch
from autograder.kernel_side import naive_rule
from autograder.targets import notebooks, points


def _stub(nb, name: str):
    [cell] = [c for c in notebooks.cells_with_role(nb, "stub") if name in notebooks.stub_objects(c)]
    return cell


def _docstring_part(source: str) -> str:
    """The hand-written part of a stub: everything after the generated header."""
    return "\n".join(line for line in source.splitlines() if not line.startswith("#"))


def test_the_points_cell_is_the_table_generated_from_the_checks(ch02, built_notebooks):
    student, solution = built_notebooks
    for nb in (student, solution):
        [cell] = notebooks.cells_with_role(nb, "points")
        assert cell.source == points.table(ch02)
    text = points.table(ch02)
    assert f"총 {ch02.points:g}점" in text
    for question in ch02.questions:
        assert re.search(rf"\| `{question.id}` \| {re.escape(question.title)} \| .* \| {question.points:g}점 \|", text)
    assert f"테스트 정확도 ≥ {q8_from_scratch.TRAINING_BAR}" in text and "(10점)" in text  # the training bar
    # the source notebook holds no table of its own
    source = notebooks.load_source(ch02.notebook)
    assert not [c.id for c in source.cells if c.cell_type == "markdown" and "| `q1_keras_mnist` |" in c.source]


def test_the_points_table_changes_with_the_checks(ch02):
    from dataclasses import replace

    question = ch02.questions[0]
    heavier = replace(question, cases=question.cases + (replace(question.cases[0], points=5),))
    fake = type("A", (), {"questions": (heavier,), "points": heavier.points})()
    assert f"| {heavier.points:g}점 |" in points.table(fake) and f"총 {heavier.points:g}점" in points.table(fake)


def test_each_stub_names_its_cases_and_points(ch02, built_notebooks):
    student, _ = built_notebooks
    for question in ch02.questions:
        for name in question.objects:
            header = _stub(student, name).source.split("\ndef ")[0].split("\nclass ")[0]
            cases = points.object_cases(question, name)
            assert f"# ✏️ 채점 항목 ({question.id} · {name}, 모두 {sum(c.points for c in cases):g}점)" in header
            for case in cases:
                line = f"#   - {case.name.split(':', 1)[1].strip()}: {case.points:g}점"
                assert line + (f" ({case.requires} 인정)" if case.requires else "") in header, (name, line)
    assert "# ✏️ 채점 항목 (q8_from_scratch 전체): 훈련:" in _stub(student, "fit").source


@pytest.mark.parametrize("name", ["naive_relu", "naive_add", "naive_add_matrix_and_vector", "naive_vector_dot",
                                  "naive_matrix_vector_dot", "naive_matrix_dot", "naive_transpose",
                                  "preprocess_images", "grad_square_plus_3", "crop_center"])
def test_every_graded_property_is_written_in_the_stub(ch02, built_notebooks, name):
    """From the self-check (which checks what the cases check): the dtype rule, the input kept,
    the asserts, the naive rule with every forbidden name."""
    student, _ = built_notebooks
    [check] = [c for q in ch02.questions for c in q.public if c.object == name]
    written = _docstring_part(_stub(notebooks.load_source(ch02.notebook), name).source)
    whole = _stub(student, name).source
    spec = check.spec
    if spec["dtype"] == "input":
        assert re.search(r"dtype은 입력 \w+의 dtype과 같다", written), name
    if spec["dtype"] == "reference":
        assert "dtype은 float32" in written, name
    if spec["unchanged"]:
        assert "바꾸지 않는다" in written, name
        if name.startswith("naive_") and name != "naive_vector_dot":  # (which returns a number)
            assert "x.copy()" in written or "새 어레이" in written, name  # a copy, not in place
    if spec["bad_calls"]:
        assert "assert" in written, name
    if spec.get("naive"):
        assert "반복문 규칙" in written, name
        # two lines in the stub; the rule in full once, in the box under the points table
        assert all(line in whole for line in points.NAIVE_STUB_LINES), name
        header = [line for line in whole.splitlines() if line.startswith("#")]
        assert len([line for line in header if "반복문 규칙" in line]) == 3, name  # the case, and two lines
        assert not any(forbidden in whole for forbidden in ("frompyfunc", "jnp.", "torch.", ".mT")), name
        [box] = notebooks.cells_with_role(student, "points")
        for forbidden in sorted(naive_rule.VECTORISED):
            assert re.search(rf"\b{forbidden}\b", box.source), forbidden
        for method in sorted(naive_rule.VECTORISED_METHODS):
            assert f".{method}" in box.source, method
        assert "@ 연산자" in box.source and "x + y" in box.source and box.source.count("> **반복문 규칙**") == 1


def test_the_naive_rule_is_written_from_the_rule_itself():
    text = "\n".join(naive_rule.rule_lines())
    for name in naive_rule.VECTORISED | naive_rule.VECTORISED_METHODS:
        assert name in text
    for module in naive_rule.TENSOR_MODULES | naive_rule.ARRAY_MODULES:
        assert f"{module}." in text
    for allowed in naive_rule.ALLOWED:
        assert allowed in text
    # what it allows passes the rule
    source = "def f(x):\n    z = np.zeros_like(x)\n    w = np.empty((2, 2)); v = np.empty_like(x); u = np.array(x)\n" \
             "    y = x.copy()\n    for i in range(len(x)):\n        z[i] = max(x[i], 0)\n    return z\n"
    assert naive_rule.findings([{"name": "f", "source": source}]) == []


def test_the_first_cell_points_to_the_rule_and_the_table_without_numbers_of_its_own(ch02):
    source = notebooks.load_source(ch02.notebook)
    first = source.cells[0].source
    assert "반복문 규칙" in first and "문제 셀 맨 위의 주석" in first
    assert not re.search(r"\d+\s*점", first)  # points live in the generated table only


@pytest.mark.parametrize("assignment_id", ["ch02", "ch02_plus"])
def test_no_training_case_outweighs_the_parts(assignment_id):
    """A training check confirms the parts work together: at most MAX_TRAINING_POINTS, and never
    more than the question's own cases together; every assignment still totals 100."""
    from autograder import assignment as registry

    assignment = registry.get(assignment_id)
    assert assignment.points == 100
    for question in assignment.questions:
        for case in points.loose_cases(question):
            if case.name.startswith("훈련"):
                assert case.points <= points.MAX_TRAINING_POINTS, (question.id, case.name, case.points)
                assert case.points < question.points - case.points, question.id


@pytest.mark.parametrize("assignment_id", ["ch02", "ch02_plus"])
def test_each_assignments_docs_page_holds_its_generated_points_table(assignment_id):
    """docs/<id>.md's points table is the one the checks generate (`autograder points --docs`
    writes it): a changed case or point shows here before it reaches a reader."""
    from autograder import assignment as registry
    from autograder.targets import points

    assignment = registry.get(assignment_id)
    page = (registry.ROOT / "docs" / f"{assignment_id}.md").read_text(encoding="utf-8")
    assert points.with_case_table(page, assignment) == page
    assert f"| **{assignment.questions[-1].id}** | **합계** |" in page
