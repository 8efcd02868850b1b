"""The assignments' notebooks: the source's structure, the build, and the notebooks run as a
student runs them."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import mnist
from autograder.targets import notebooks
from autograder.targets.build import assignment_answer_key_file, student_and_solution
from conftest import cell_text, student_env

GRADED = {"preprocess_images", "build_model", "crop_bottom_right", "crop_center", "get_batch", "naive_relu",
          "naive_add", "naive_add_matrix_and_vector", "naive_vector_dot", "naive_matrix_vector_dot",
          "naive_matrix_dot", "naive_transpose", "grad_quadratic", "grad_square_plus_3", "grad_dense",
          "NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step", "update_weights", "fit"}


@pytest.mark.parametrize("assignment_id", ["ch02", "ch02_plus", "tiny"])
def test_source_notebook_marks_every_graded_object_and_question(assignment_id):
    from autograder.assignment import get

    assignment = get(assignment_id)
    source = notebooks.load_source(assignment.notebook)
    stubbed = {name for cell in notebooks.cells_with_role(source, "stub") for name in notebooks.stub_objects(cell)}
    assert {name for q in assignment.questions for name in q.objects} <= stubbed
    checks = [cell.metadata["autograder"]["question"] for cell in notebooks.cells_with_role(source, "check")]
    assert checks == [q.id for q in assignment.questions]
    assert all(cell.outputs == [] for cell in source.cells if cell.cell_type == "code")
    for cell in notebooks.cells_with_role(source, "stub"):
        assert "NotImplementedError" in cell.source


def test_chapter_two_grades_the_course_texts_objects(ch02):
    assert {name for q in ch02.questions for name in q.objects} == GRADED


def test_build_is_deterministic_and_solution_comes_from_the_answer_key(ch02, built_notebooks):
    student, solution = built_notebooks
    again_student, again_solution = student_and_solution(ch02)
    assert json.dumps(student, sort_keys=True) == json.dumps(again_student, sort_keys=True)
    assert json.dumps(solution, sort_keys=True) == json.dumps(again_solution, sort_keys=True)
    definitions = notebooks.reference_definitions(assignment_answer_key_file(ch02))
    solution_text = "\n".join(c.source for c in solution.cells if c.cell_type == "code")
    for name in GRADED:
        assert definitions[name] in solution_text
    assert not [c.id for c in notebooks.cells_with_role(solution, "stub") if "raise NotImplementedError" in c.source]


@pytest.mark.slow
def test_untouched_student_notebook_fails_only_at_its_stubs(student_run):
    _, nb = student_run
    for cell in nb.cells[1:]:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for error in errors:
            # a stub, or a demo whose variable a stub never produced
            assert error.ename in ("NotImplementedError", "NameError"), (cell.source, error.evalue)
            if error.ename == "NotImplementedError":
                assert "아직 구현하지 않았습니다" in error.evalue
        if notebooks.cell_role(cell) == "check":
            assert not errors
            assert "아직 구현하지 않았습니다" in cell_text(cell), cell.source


@pytest.mark.slow
def test_solution_notebook_reproduces_the_course_results(built_notebooks, tmp_path, mnist_path):
    """Run as a student would: saved as ch02.ipynb (otter's export reads the file), MNIST
    served from the local copy."""
    _, solution = built_notebooks
    nbformat.write(solution, str(tmp_path / "ch02.ipynb"))
    nb = nbformat.read(str(tmp_path / "ch02.ipynb"), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(mnist.keras_patch_source(mnist_path)))
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=student_env())
    seconds = time.perf_counter() - started
    errors = [(c.source[:60], o.ename) for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    text = "\n".join(cell_text(c) for c in nb.cells if c.cell_type == "code")
    keras_accuracy = float(re.findall(r"test_acc: ([0-9.]+)", text)[-1])
    scratch_accuracy = float(re.findall(r"정확도\(소수점 넷째 자리까지\): ([0-9.]+)", text)[-1])
    print(f"solution notebook: {seconds:.0f} s, Keras test_acc {keras_accuracy:.4f}, "
          f"from-scratch accuracy {scratch_accuracy:.4f}")
    assert keras_accuracy >= 0.97
    assert scratch_accuracy >= 0.80
    assert list(Path(tmp_path).glob("ch02*.zip")), "grader.export() wrote no zip"
