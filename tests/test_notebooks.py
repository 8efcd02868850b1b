"""The assignment's notebooks: the source's structure, the build, and both notebooks run."""

from __future__ import annotations

import json
import re
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import mnist
from autograder.build import notebooks
from autograder.ch02.questions import questions

GRADED = {"preprocess_images", "build_model", "crop_bottom_right", "crop_center", "get_batch", "naive_relu",
          "naive_add", "naive_add_matrix_and_vector", "naive_vector_dot", "naive_matrix_vector_dot",
          "naive_matrix_dot", "naive_transpose", "grad_quadratic", "grad_square_plus_3", "grad_dense",
          "NaiveDense", "NaiveSequential", "BatchGenerator", "one_training_step", "update_weights", "fit"}


def test_source_notebook_marks_every_graded_object_and_question():
    source = notebooks.load_source()
    stubbed = {name for cell in notebooks.cells_with_role(source, "stub") for name in notebooks.stub_objects(cell)}
    assert GRADED <= stubbed
    checks = [cell.metadata["ch02"]["question"] for cell in notebooks.cells_with_role(source, "check")]
    assert checks == [q.id for q in questions()]
    assert all(cell.outputs == [] for cell in source.cells if cell.cell_type == "code")
    for cell in notebooks.cells_with_role(source, "stub"):
        assert "NotImplementedError" in cell.source


def test_build_is_deterministic_and_solution_comes_from_solutions(built_notebooks):
    from autograder.build.assignment import student_and_solution

    student, solution = built_notebooks
    again_student, again_solution = student_and_solution()
    assert json.dumps(student, sort_keys=True) == json.dumps(again_student, sort_keys=True)
    assert json.dumps(solution, sort_keys=True) == json.dumps(again_solution, sort_keys=True)
    definitions = notebooks.reference_definitions()
    solution_text = "\n".join(c.source for c in solution.cells if c.cell_type == "code")
    for name in GRADED:
        assert definitions[name] in solution_text
    assert "raise NotImplementedError" not in solution_text


def _execute(nb, folder, data):
    """Run ``nb`` as a student would: saved as ch02.ipynb in ``folder`` (otter's export reads
    the file), MNIST served from the local copy."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nbformat.write(nb, str(folder / "ch02.ipynb"))
    nb.cells.insert(0, nbformat.v4.new_code_cell(mnist.keras_patch_source(data)))
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb, time.perf_counter() - started


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.slow
def test_untouched_student_notebook_fails_only_at_its_stubs(tmp_path, built_notebooks, mnist_path):
    student, _ = built_notebooks
    nb, _ = _execute(student, tmp_path, mnist_path)
    for cell in nb.cells[1:]:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        for error in errors:
            # a stub, or a demo whose variable a stub never produced
            assert error.ename in ("NotImplementedError", "NameError"), (cell.source, error.evalue)
            if error.ename == "NotImplementedError":
                assert "아직 구현하지 않았습니다" in error.evalue
        if notebooks.cell_role(cell) == "check":
            assert not errors
            assert "아직 구현하지 않았습니다" in _text(cell), cell.source


@pytest.mark.slow
def test_solution_notebook_reproduces_the_course_results(tmp_path, built_notebooks, mnist_path):
    _, solution = built_notebooks
    nb, seconds = _execute(solution, tmp_path, mnist_path)
    errors = [(c.source[:60], o.ename) for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    text = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    keras_accuracy = float(re.findall(r"test_acc: ([0-9.]+)", text)[-1])
    scratch_accuracy = float(re.findall(r"정확도\(소수점 넷째 자리까지\): ([0-9.]+)", text)[-1])
    print(f"solution notebook: {seconds:.0f} s, Keras test_acc {keras_accuracy:.4f}, "
          f"from-scratch accuracy {scratch_accuracy:.4f}")
    assert keras_accuracy >= 0.97
    assert scratch_accuracy >= 0.80
    assert list(tmp_path.glob("ch02*.zip")), "grader.export() wrote no zip"
