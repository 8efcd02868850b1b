"""The nbgrader course directory for JupyterHub, built from the same sources as everything else.

``DIR/<id>/nbgrader/`` holds ``nbgrader_config.py`` and ``source/<id>/<id>.ipynb``, the
instructor's version of the student notebook with nbgrader metadata:

- each stub cell is a solution cell: the student's stub, then the reference definitions
  (copied from ``solutions/`` by ``notebooks.solution_notebook``) between ``### BEGIN SOLUTION``
  and ``### END SOLUTION``. ``nbgrader generate_assignment`` drops that region and, with the
  empty ``code_stub`` of the config, adds nothing: the release shows exactly the stub;
- after each self-check cell comes a locked autograder test cell, worth the question's points;
  ``nbgrader autograde`` does not run it: the config puts the kit's own grading
  (``frontends.nbgrader.KitAutograde``, ``autograder grade``'s engine) in place of nbgrader's
  Execute, and it writes each question's points into its test cell as the cell's value
  (nbgrader's partial credit) with the Korean report as its output;
- the setup cell, the self-check cells and every markdown cell are read-only;
- the setup cell also imports the assignment's ``preload`` modules (TensorFlow's start-up
  messages land there) and serves the datasets from the files the hub names (e.g.
  ``$MNIST_NPZ``) when students run the notebook;
- the otter export cell becomes a note on submitting through the hub.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode, v4

from ..engine.kernel import KERNEL_ENV
from . import notebooks

COURSE = "nbgrader"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
def setup_extra(assignment) -> str:
    """What the setup cell does on a hub, where students run the notebook: quiet TensorFlow,
    modules imported up front, datasets served from the files the hub names."""
    lines = ["", "# --- JupyterHub(nbgrader)용 설정 ---",
             'os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # 텐서플로우의 안내 로그를 줄입니다.']
    lines += [f"import {module}  # 여기서 미리 불러옵니다(시작 안내 메시지가 이 셀에 나옵니다)." for module in assignment.preload]
    for dataset in assignment.datasets:
        lines.append(f"# 서버가 {dataset.env_var}로 {dataset.name} 파일을 알려 주면 노트북의 데이터 불러오기가 그 파일을 읽습니다.")
        lines.append(dataset.kernel_patch(None).rstrip("\n"))
    return "\n".join(lines) + "\n"

SUBMIT_NOTE = (
    "### JupyterHub(nbgrader)에서 제출하기\n\n"
    "이 과제는 JupyterHub에서 제출한다. 위 3번의 zip 파일은 만들지 않아도 된다.\n\n"
    "1. 노트북을 저장한다(Ctrl+S).\n"
    "2. Jupyter의 **Assignments** 탭(Nbgrader → Assignment List)에서 이 과제의 **Submit** 버튼을 누른다.\n\n"
    "채점은 제출한 노트북을 처음부터 다시 실행해서 한다. 각 문제 아래의 **채점 셀**은 배포본에서는 비어 있고, "
    "채점할 때 숨겨진 테스트가 그 자리에서 실행된다. 채점 셀과 읽기 전용 셀은 지우거나 고치지 않는다."
)

CONFIG = '''"""nbgrader configuration of the {assignment} course (written by `autograder build`; edit freely).

Commands, from this folder: nbgrader generate_assignment {assignment}; nbgrader autograde {assignment};
nbgrader export; nbgrader generate_feedback {assignment}. See docs/nbgrader.md of the kit.
"""
import os

c = get_config()  # noqa: F821 (traitlets provides it)

# The course directory is the folder of this file, wherever the folder is copied.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "{assignment}-course"  # the hub's exchange files releases under this id

# Solution cells hold the student's stub, then the reference between "### BEGIN SOLUTION" and
# "### END SOLUTION". Releasing drops that region and adds nothing, so students get the stub.
c.ClearSolutions.code_stub = {{"python": ""}}

# Autograding is the kit's: in place of nbgrader's Execute, `autograder grade`'s engine runs each
# submission in its own kernel (sandboxed where bubblewrap runs), judges it, and writes each
# question's points and Korean report into its test cell. The kit (with the answer key) must be
# installed where `nbgrader autograde` runs; it is never needed in the students' image.
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades

from autograder.frontends.nbgrader import KitAutograde

c.Autograde.autograde_preprocessors = [KitAutograde, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.KitAutograde.assignment = "{ref}"

# Kernels students start on the hub (Validate, their own work) get the environment of the kit's.
{environment}
{datasets}'''

DATASET_NOTE = """
# {name}: export {env_var}=/path/to/{filename} before running nbgrader to grade offline; the
# notebook's own loader and the hidden checks then read that file. Without it, the library's
# cache or a download is used."""


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _test_source(question_id: str, points: float) -> str:
    return (f"# 채점 셀: {question_id} ({points:g}점). 제출하면 채점 도구가 이 셀에 점수와 설명을 씁니다. "
            "수정하지 마세요.")


def hidden_test_cell(assignment, question_id: str, points: float) -> NotebookNode:
    """The autograder test cell of one question (locked, hidden tests only)."""
    cell = v4.new_code_cell(_test_source(question_id, points),
                            id=f"test-{question_id.replace('_', '-')}")
    cell.metadata["nbgrader"] = _nbgrader(f"test_{question_id}", grade=True, locked=True, points=points)
    return cell


def source_notebook(assignment) -> NotebookNode:
    """The nbgrader source notebook, cell for cell the student notebook plus test cells."""
    from .build import student_and_solution  # deferred: build imports this module

    student, solution = student_and_solution(assignment)
    table = {q.id: q.points for q in assignment.questions}
    cells, tested = [], []
    for cell, solved in zip(student.cells, solution.cells):
        role = notebooks.cell_role(cell)
        cell_id = cell.get("id")
        if role == "export":
            note = v4.new_markdown_cell(SUBMIT_NOTE, id="submit-nbgrader")
            note.metadata["nbgrader"] = _nbgrader("submit_nbgrader", locked=True)
            cells.append(note)
            continue
        if role == "setup":
            cell.source = cell.source.rstrip("\n") + "\n" + setup_extra(assignment)
            cell.metadata["nbgrader"] = _nbgrader("setup", locked=True)
        elif role == "stub":
            cell.source = f"{cell.source.rstrip()}\n{SOLUTION_BEGIN}\n{solved.source.rstrip()}\n{SOLUTION_END}"
            cell.metadata["nbgrader"] = _nbgrader(cell_id, solution=True)
        elif role == "check" or cell.cell_type == "markdown":
            cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
        cells.append(cell)
        if role == "check":
            question_id = cell.metadata[notebooks.META_KEY]["question"]
            if question_id not in table or question_id in tested:
                raise notebooks.NotebookBuildError(f"self-check cell {cell_id!r}: unknown or repeated question {question_id!r}")
            cells.append(hidden_test_cell(assignment, question_id, table[question_id]))
            tested.append(question_id)
    missing = [q for q in table if q not in tested]
    if missing:
        raise notebooks.NotebookBuildError(f"no self-check cell to attach the test cell of {missing} to")
    course = v4.new_notebook(cells=cells, metadata=student.metadata)
    return notebooks.clear_outputs(course)


def config_source(assignment) -> str:
    environment = "\n".join(f"os.environ.setdefault({k!r}, {v!r})" for k, v in KERNEL_ENV.items())
    datasets = "".join(DATASET_NOTE.format(name=d.name, env_var=d.env_var, filename=d.filename) + "\n"
                       for d in assignment.datasets)
    return CONFIG.format(assignment=assignment.id, ref=assignment.ref, environment=environment, datasets=datasets)


def build_course(assignment, root: Path) -> list[Path]:
    """Write ``root/nbgrader/`` (config and source notebook) and return the paths written.
    No dataset is written anywhere: where nbgrader runs, datasets come from the environment
    (e.g. ``$MNIST_NPZ``), a cache or a download, so the folder can be copied to any hub."""
    course = root / COURSE
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    config.write_text(config_source(assignment), encoding="utf-8")
    notebook = notebooks.write_notebook(source_notebook(assignment),
                                        course / "source" / assignment.id / f"{assignment.id}.ipynb")
    return [config, notebook]
