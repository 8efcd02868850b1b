"""The student notebook in a Colab-shaped kernel (``colab_env.py``: Python 3.13 or 3.12,
TensorFlow 2.20, Keras 3.13 and Colab's ipykernel, ipywidgets and wrapt, no otter-grader): its
setup cell installs otter-grader itself and the self-checks run; with the reference answers
every one passes, untouched every object is one Korean "not implemented" line; in Colab the
last cell gives the download steps.

Only the setup cell, the cells that import what the stubs use, the stubs and the self-checks
run (no MNIST, no training). Slow: the environment is built once (cached), and otter-grader is
installed again in every run, as on a fresh Colab runtime.
"""

from __future__ import annotations

import ast
import os
import re
import time

import nbformat
import pytest
from nbclient import NotebookClient

import colab_env
from autograder.targets import notebooks
from conftest import cell_text

pytestmark = pytest.mark.slow

VERSIONS = ("import sys, tensorflow as tf, keras, otter, ipywidgets, wrapt\n"
            "print('VERSIONS', '%d.%d.%d' % sys.version_info[:3], tf.__version__, keras.__version__, otter.__version__, "
            "ipywidgets.__version__, wrapt.__version__)")
# Colab imports these before any cell runs; the setup cell's pip install then changes them on disk.
COLAB_PRELOAD = ("import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')  # as in Colab\n"
                 "import ipywidgets, wrapt, IPython")


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    try:
        environment = colab_env.ensure()
    except colab_env.Unavailable as error:
        pytest.skip(str(error))
    environment["jupyter_path"] = colab_env.kernel_spec(environment["python"], tmp_path_factory.mktemp("jupyter"))
    return environment


def _imports(nb) -> str:
    """Every top-level import of the notebook's own code cells (the stubs use what they import)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or notebooks.cell_role(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        found += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(found))


def _selfcheck_notebook(nb, first: str, last: str = ""):
    """The cells a self-check needs, in order: setup, the imports, stubs, checks (and ``last``)."""
    keep = [cell for cell in nb.cells if notebooks.cell_role(cell) in ("setup", "stub", "check")]
    cells = [nbformat.v4.new_code_cell(first), keep[0], nbformat.v4.new_code_cell(_imports(nb))] + keep[1:] + \
        [nbformat.v4.new_code_cell(VERSIONS)]
    if last:
        cells.append(nbformat.v4.new_code_cell(last))
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


def _run(colab, nb, folder):
    colab_env.reset(colab["python"])  # a fresh runtime: otter-grader not installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AUTOGRADER_ASSIGNMENTS", "VIRTUAL_ENV")}
    env["JUPYTER_PATH"] = str(colab["jupyter_path"])
    os.environ["JUPYTER_PATH"] = str(colab["jupyter_path"])  # where nbclient looks for the kernel spec
    started = time.perf_counter()
    try:
        NotebookClient(nb, timeout=900, kernel_name=colab_env.KERNEL, allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute(cwd=str(folder), env=env)
    finally:
        os.environ.pop("JUPYTER_PATH", None)
    seconds = time.perf_counter() - started
    [versions] = [line for cell in nb.cells for line in cell_text(cell).splitlines() if line.startswith("VERSIONS")]
    print(f"\nColab-shaped run: {seconds:.0f} s; {versions}")
    return versions.split()[1:]


def _errors(nb):
    return [(cell.source[:60], output.get("ename"), output.get("evalue", "")[:200])
            for cell in nb.cells for output in cell.get("outputs", []) if output.output_type == "error"]


def test_the_reference_passes_every_self_check_in_colab(ch02, built_notebooks, colab, tmp_path):
    _, solution = built_notebooks
    nb = _selfcheck_notebook(solution, "pass")
    python, tensorflow, keras, otter, ipywidgets, wrapt = _run(colab, nb, tmp_path)
    assert re.match(r"3\.1[23]\.", python) and tensorflow.startswith("2.20.") and keras.startswith("3.13.")
    assert otter == "7.0.0"
    setup = next(cell for cell in nb.cells if notebooks.cell_role(cell) == "setup")
    assert "otter-grader를 설치합니다" in cell_text(setup)  # installed by the setup cell itself
    assert _errors(nb) == []
    for cell in nb.cells:
        if notebooks.cell_role(cell) == "check":
            assert "모두 통과했습니다" in cell_text(cell), cell_text(cell)


def test_untouched_notebook_says_not_implemented_and_how_to_submit_in_colab(ch02, built_notebooks, colab, tmp_path):
    student, _ = built_notebooks
    export = next(cell.source for cell in student.cells if notebooks.cell_role(cell) == "export")
    nb = _selfcheck_notebook(student, COLAB_PRELOAD, export)
    _run(colab, nb, tmp_path)
    assert _errors(nb) == []
    for cell in nb.cells:
        if notebooks.cell_role(cell) == "check":
            question = ch02.question(re.search(r'"(q\w+)"', cell.source).group(1))
            lines = cell_text(cell).strip().splitlines()
            assert lines[1:] == [f"❌ {name}: 아직 구현하지 않았습니다." for name in question.objects], lines
    assert "파일 → 다운로드 → .ipynb 다운로드" in cell_text(nb.cells[-1])
    assert not list(tmp_path.glob("*.zip"))
