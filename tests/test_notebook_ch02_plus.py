"""The source notebook of "2장 심화" (``assignments/ch02_plus/ch02_plus.ipynb``).

Its structure (cell roles in ``metadata["autograder"]``, stubs, self-checks, no outputs), and its
solution version (every stub replaced by the answer key's definitions, as the build will do)
run top to bottom with nbclient, MNIST served from the local file. The solution run also checks
the numbers the notebook states: the momentum gain of its training cell (seed 0).

The structure tests use stand-alone helpers; the slow run takes the solution notebook the kit's
build writes (``targets.build.student_and_solution``), with a local setup cell.

    nice -n 15 python -m pytest tests/test_notebook_ch02_plus.py           # structure + solution run
    nice -n 15 python -m pytest tests/test_notebook_ch02_plus.py -m "not slow"
"""

from __future__ import annotations

import ast
import copy
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "assignments" / "ch02_plus" / "ch02_plus.ipynb"
KEY = ROOT / "solutions" / "ch02_plus.py"
META = "autograder"
ROLES = {"setup", "stub", "check", "training", "export"}
QUESTIONS = {  # question id -> graded objects, in notebook order
    "q1_softmax": ["naive_softmax"],
    "q2_crossentropy": ["naive_sparse_categorical_crossentropy"],
    "q3_dense_backward": ["dense_backward"],
    "q4_numeric_gradient": ["numeric_gradient"],
    "q5_momentum": ["update_weights_momentum"],
}
SETUP_PLACEHOLDER = "# 채점 준비 셀: 빌드가 채웁니다"


# ------------------------------------------------------------------ helpers (build-like)


def load_source():
    return nbformat.read(str(SOURCE), as_version=4)


def role(cell):
    return cell.get("metadata", {}).get(META, {}).get("role")


def key_definitions() -> dict[str, str]:
    """Each top-level definition of the answer key, by name, as source text."""
    text = KEY.read_text(encoding="utf-8")
    tree = ast.parse(text)
    return {node.name: ast.get_source_segment(text, node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def defined_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def solution_notebook(nb):
    """A copy of ``nb`` whose stub cells hold the key's definitions of their objects."""
    definitions = key_definitions()
    solved = copy.deepcopy(nb)
    for cell in solved.cells:
        if role(cell) == "stub":
            cell.source = "\n\n\n".join(definitions[name] for name in cell.metadata[META]["objects"])
    return solved


def local_setup(mnist_path) -> str:
    """Setup cell for a local run: MNIST from the file (as the kit's harness serves it) and a
    stand-in ``grader`` whose self-checks and export only say that they were skipped."""
    return (
        "import keras.src.datasets.mnist as _mnist_module\n"
        f"_mnist_module.get_file = lambda *args, **kwargs: {str(mnist_path)!r}\n"
        "\n"
        "class _LocalGrader:\n"
        "    def check(self, question):\n"
        "        print(f'(자가 점검 {question}: 로컬 실행이라 건너뜀)')\n"
        "\n"
        "    def export(self, **kwargs):\n"
        "        print('(제출 파일: 로컬 실행이라 만들지 않음)')\n"
        "\n"
        "grader = _LocalGrader()\n"
    )


def outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


# ------------------------------------------------------------------ structure (fast)


def test_source_is_nbformat_4_without_outputs():
    nb = load_source()
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        assert "ch02" not in cell.metadata, "roles live under metadata['autograder']"
        if role(cell) is not None:
            assert role(cell) in ROLES


def test_setup_first_export_last():
    nb = load_source()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert role(code[0]) == "setup" and code[0].source == SETUP_PLACEHOLDER
    assert [role(cell) for cell in nb.cells].count("setup") == 1
    assert role(nb.cells[-1]) == "export" and nb.cells[-1].source == "grader.export(pdf=False)"
    assert [role(cell) for cell in nb.cells].count("export") == 1


def test_one_stub_then_one_check_per_question_in_order():
    nb = load_source()
    marked = [(role(cell), cell) for cell in nb.cells if role(cell) in ("stub", "check")]
    expected = []
    for question, objects in QUESTIONS.items():
        expected += [("stub", objects), ("check", question)]
    got = [(r, cell.metadata[META]["objects"] if r == "stub" else cell.metadata[META]["question"])
           for r, cell in marked]
    assert got == expected
    for r, cell in marked:
        if r == "check":
            assert cell.source == f'grader.check("{cell.metadata[META]["question"]}")'


def test_stubs_define_their_objects_with_docstring_and_named_hint():
    nb = load_source()
    for cell in nb.cells:
        if role(cell) != "stub":
            continue
        objects = cell.metadata[META]["objects"]
        assert defined_names(cell.source) == objects
        namespace = {}
        exec(compile(cell.source, "<stub>", "exec"), namespace)
        for name in objects:
            function = namespace[name]
            doc = function.__doc__ or ""
            assert len(doc.splitlines()) >= 5, f"{name}: the docstring states every graded property"
            assert re.search("[가-힣]", doc), f"{name}: Korean docstring"
            with pytest.raises(NotImplementedError) as raised:
                function(*([None] * function.__code__.co_argcount))
            message = str(raised.value)
            assert message.startswith(f"{name}: 아직 구현하지 않았습니다. 힌트: "), message
            assert "절" in message, f"{name}: the hint points to a section of the notes"


def test_stub_signatures_match_the_answer_key():
    import inspect

    import solutions.ch02_plus as key

    nb = load_source()
    for cell in nb.cells:
        if role(cell) != "stub":
            continue
        namespace = {}
        exec(compile(cell.source, "<stub>", "exec"), namespace)
        for name in cell.metadata[META]["objects"]:
            assert inspect.signature(namespace[name]) == inspect.signature(getattr(key, name))


def test_every_graded_object_of_the_key_has_a_stub():
    nb = load_source()
    stubbed = [name for cell in nb.cells if role(cell) == "stub" for name in cell.metadata[META]["objects"]]
    assert stubbed == list(key_definitions())


def test_training_cells_are_marked():
    nb = load_source()
    training = [cell for cell in nb.cells if role(cell) == "training"]
    assert len(training) == 1


    def calls_fit(source):
        return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fit"
                   for node in ast.walk(ast.parse(source)))

    assert calls_fit(training[0].source)
    for cell in nb.cells:
        if cell.cell_type == "code" and role(cell) not in ("training", "setup"):
            assert not calls_fit(cell.source), cell.source  # every slow training cell is marked


def test_solution_version_holds_the_key_and_no_stub():
    solved = solution_notebook(load_source())
    text = "\n".join(cell.source for cell in solved.cells if cell.cell_type == "code")
    assert "raise NotImplementedError" not in text
    for definition in key_definitions().values():
        assert definition in text


# ------------------------------------------------------------------ the solution runs (slow)


@pytest.mark.slow
def test_solution_notebook_runs_top_to_bottom_and_reproduces_its_numbers(tmp_path, mnist_path):
    from nbclient import NotebookClient

    from autograder.assignment import get
    from autograder.targets.build import student_and_solution
    from conftest import student_env

    nb = student_and_solution(get("ch02_plus"))[1]  # the solution notebook `autograder build` writes
    for cell in nb.cells:
        if role(cell) == "setup":
            cell.source = local_setup(mnist_path)  # self-checks run elsewhere (test_ch02_plus_assignment.py)
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    started = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=student_env())
    seconds = time.perf_counter() - started
    errors = [(cell.source[:80], o.get("ename"), o.get("evalue")) for cell in nb.cells
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors

    # the worked example: every relative error of the gradient check is below 1e-7
    check = next(cell for cell in nb.cells if "layer_loss" in cell.source and cell.cell_type == "code")
    errors_printed = [float(v) for v in re.findall(r"(?:dx|dW|db) ([0-9.]+e[-+][0-9]+)", outputs_text(check))]
    assert len(errors_printed) == 6 and max(errors_printed) < 1e-7, outputs_text(check)

    # the training cell reproduces the seed-0 figures its markdown states
    training = next(cell for cell in nb.cells if role(cell) == "training")
    printed = dict(re.findall(r"(모멘텀 0\.9|일반 SGD): 테스트 정확도 ([0-9.]+)", outputs_text(training)))
    stated = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    claim = re.search(r"시드 0에서는 ([0-9.]+) 대 ([0-9.]+)\(([+-][0-9.]+)\)", stated)
    assert claim, "the markdown states the seed-0 result"
    assert printed["모멘텀 0.9"] == claim.group(1) and printed["일반 SGD"] == claim.group(2), (printed, claim.groups())
    gain = float(printed["모멘텀 0.9"]) - float(printed["일반 SGD"])
    assert f"{gain:+.4f}" == claim.group(3)
    bar = float(re.search(r"테스트 정확도가 \*\*([0-9.]+) 이상\*\*", stated).group(1))
    assert float(printed["모멘텀 0.9"]) >= bar > float(printed["일반 SGD"])
    print(f"solution notebook ran in {seconds:.1f} s")


@pytest.mark.slow
def test_the_self_checks_run_in_a_kernel_from_the_built_notebooks(tmp_path, mnist_path):
    """The built notebooks with their own setup cell, in a kernel where the kit cannot be
    imported (training cells skipped): every check cell of the untouched student notebook says
    '아직 구현하지 않았습니다', every one of the solution passes."""
    from nbclient import NotebookClient

    from autograder import mnist
    from autograder.assignment import get
    from autograder.engine.kernel import harness_source
    from autograder.targets.build import student_and_solution
    from conftest import cell_text, student_env

    plus = get("ch02_plus")
    for kind, nb, said in zip(("student", "solution"), student_and_solution(plus),
                              ("아직 구현하지 않았습니다", "모두 통과했습니다")):
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))
        nb.cells = [cell for cell in nb.cells if role(cell) != "training"]
        nb.cells.insert(0, nbformat.v4.new_code_cell(
            harness_source(plus.kit_roots, 200_000, [mnist.keras_patch_source(mnist_path)])))
        folder = tmp_path / kind
        folder.mkdir()
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute(cwd=str(folder), env=student_env())
        checks = [cell for cell in nb.cells if role(cell) == "check"]
        assert len(checks) == len(QUESTIONS)
        for cell in checks:
            assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell.source
            assert said in cell_text(cell), (kind, cell.source, cell_text(cell)[:500])
