"""The student's ``grader``: otter's ``Notebook``, with the self-checks reported in Korean and a
submission step that works in Jupyter and in Colab.

Kernel-side (sent as text in the notebook's setup cell, standard library only; otter's class and
save hook are handed in, so this module imports nothing of otter).

- ``grader.check(question)`` runs otter's check (the OK test files of the setup cell, otter's
  log) and shows the self-checks' own Korean report (``selfcheck.REPORTS``): one block per
  graded object, never a doctest trace.
- ``grader.export(file_name=..., place=...)``: the course's file-name rule and submission place
  (``course.toml``, written into the export cell by the build). In Colab, where otter cannot
  export, it prints the steps to download the ``.ipynb``, rename it and submit it. It needs only
  the setup cell to have run: a run stopped midway by an unfinished function still submits. In Jupyter it saves the notebook first (otter's save hook: classic
  Notebook and JupyterLab), then refuses, in Korean, when the file on disk still holds a stub
  (``raise NotImplementedError``) that the running session has filled in: that file is what
  would be graded. Otherwise otter writes the zip.
"""

import ast
import glob
import json
import os
import sys

SAVE_SECONDS = 5
COLAB_STEPS = """코랩에서는 이 셀이 제출 파일을 만들지 않습니다. 다음 순서로 제출하세요.
1. 파일 → 저장(Ctrl+S)으로 노트북을 저장합니다. 다 끝내지 못했어도 제출할 수 있습니다. 구현하지 않은 문제만 점수를 받지 못합니다.
2. 파일 → 다운로드 → .ipynb 다운로드를 눌러 노트북 파일을 내려받습니다.
3. 내려받은 파일의 이름을 {file_name}(으)로 바꿉니다. 코랩은 "…의 사본"처럼 이름을 붙이므로 꼭 바꿉니다.
4. 그 파일을 {place}에 올립니다."""
SUBMIT_STEPS = """제출 파일을 만들었습니다. 만든 zip 파일이나 저장한 .ipynb 파일의 이름을 {file_name}(으)로 바꿔 {place}에 올리세요.
zip 파일은 확장자 .zip을 그대로 둡니다."""
DEFAULT_FILE_NAME = "학번.ipynb (예: 20241234.ipynb)"
DEFAULT_PLACE = "강의에서 안내한 제출처"
PASSED_NOTE = "자가 점검은 공개 입력으로만 확인합니다. 점수는 제출한 뒤 숨겨진 입력으로 매깁니다."


def in_colab():
    return "google.colab" in sys.modules


class Report:
    """What ``grader.check`` shows: a title line, then each object's lines."""

    def __init__(self, question, outcomes, problem=None):
        self.question, self.outcomes, self.problem = question, outcomes, problem

    @property
    def passed(self):
        return self.problem is None and all(outcome.passed for outcome in self.outcomes)

    def text(self):
        if self.problem:
            return f"{self.question} 자가 점검: {self.problem}"
        passed = sum(outcome.passed for outcome in self.outcomes)
        title = (f"{self.question} 자가 점검: 모두 통과했습니다."
                 if self.passed else f"{self.question} 자가 점검: {len(self.outcomes)}개 중 {passed}개 통과")
        lines = [title] + [line for outcome in self.outcomes for line in outcome.lines()]
        if self.passed:
            lines.append(PASSED_NOTE)
        return "\n".join(lines)

    def __repr__(self):
        return self.text()


def make(base, save_notebook, selfcheck, notebook_file, tests_dir, objects):
    """The ``grader`` object: ``base`` is ``otter.Notebook``, ``save_notebook`` otter's save hook,
    ``selfcheck`` the self-check module, ``objects`` the graded names (for the export's check)."""

    class Grader(base):
        def check(self, question, global_env=None):
            if global_env is None:
                global_env = sys._getframe(1).f_globals
            del selfcheck.REPORTS[:]
            try:
                result = super().check(question, global_env)
            except FileNotFoundError:
                return Report(question, [], "이런 이름의 문제가 없습니다. 문제 이름(예: \"q3_elementwise\")을 확인하세요.")
            outcomes = list(selfcheck.REPORTS)
            # A case whose doctest broke before reporting (its file was edited, say) still shows.
            for result_case in result.test_case_results[len(outcomes):]:
                outcomes.append(selfcheck.Outcome(result_case.test_case.name, problems=[(
                    "자가 점검을 실행하지 못했습니다. 채점 준비 셀을 다시 실행하세요.", [])]))
            return Report(question, outcomes)

        def export(self, nb_path=None, export_path=None, pdf=False, file_name=DEFAULT_FILE_NAME,
                   place=DEFAULT_PLACE, **kwargs):
            if in_colab():
                print(COLAB_STEPS.format(file_name=file_name, place=place))
                return None
            namespace = sys._getframe(1).f_globals
            path = nb_path or notebook_path(namespace, getattr(self, "_notebook", None))
            if path is None:
                print("노트북 파일을 찾지 못해 제출 파일을 만들지 않았습니다. 노트북을 저장한 폴더에서 "
                      "grader.export(\"파일이름.ipynb\")처럼 파일 이름을 넣어 다시 실행하세요.")
                return None
            try:
                saved = save_notebook(path, SAVE_SECONDS)
            except Exception:
                saved = False
            unsaved = unsaved_stubs(path, namespace, objects)
            if unsaved:
                print(f"제출 파일을 만들지 않았습니다. 저장된 파일({os.path.basename(path)})에는 "
                      f"{', '.join(unsaved)}이(가) 아직 빈 함수(raise NotImplementedError)로 남아 있지만, "
                      "지금 실행 중인 노트북에서는 구현되어 있습니다. 채점은 저장된 파일로 합니다.\n"
                      "파일 → 저장(Ctrl+S)으로 노트북을 저장한 뒤 이 셀을 다시 실행하세요.")
                return None
            if not saved:
                print("노트북을 자동으로 저장했는지 확인하지 못했습니다. 마지막으로 저장한 파일로 제출 파일을 만듭니다. "
                      "저장한 뒤에 고친 내용이 있으면 파일 → 저장(Ctrl+S) 후 이 셀을 다시 실행하세요.")
            written = super().export(path, export_path=export_path, pdf=pdf, force_save=False, **kwargs)
            print(SUBMIT_STEPS.format(file_name=file_name, place=place))
            return written

    return Grader(notebook_file, tests_dir=tests_dir)


def notebook_path(namespace, otter_notebook=None):
    """The file of the running notebook: what VS Code or Jupyter says (``__vsc_ipynb_file__``,
    ``__session__``, ``$JPY_SESSION_NAME``), else otter's, else the only ``.ipynb`` here."""
    for candidate in (namespace.get("__vsc_ipynb_file__"), namespace.get("__session__"),
                      os.environ.get("JPY_SESSION_NAME"), otter_notebook):
        if not candidate or not str(candidate).endswith(".ipynb"):
            continue
        for path in (str(candidate), os.path.basename(str(candidate))):
            if os.path.isfile(path):
                relative = os.path.relpath(path)
                return relative if not relative.startswith("..") else path
    found = glob.glob("*.ipynb")
    return found[0] if len(found) == 1 else None


def unsaved_stubs(path, namespace, objects):
    """Graded names that the file at ``path`` still defines as stubs while the session has
    them implemented."""
    try:
        with open(path, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    on_disk = set()
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            tree = ast.parse("\n".join(line for line in source.splitlines()
                                       if not line.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in objects and _raises_stub(node):
                on_disk.add(node.name)
    return [name for name in objects if name in on_disk and name in namespace and not _still_stub(namespace[name])]


def _raises_stub(node):
    for child in ast.walk(node):
        if isinstance(child, ast.Raise) and child.exc is not None:
            target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def _codes(obj):
    """The code objects of a function, or of a class's methods and properties."""
    functions = [obj] if hasattr(obj, "__code__") else []
    if isinstance(obj, type):
        for value in vars(obj).values():
            if isinstance(value, property):
                functions += [f for f in (value.fget, value.fset) if f is not None]
            elif isinstance(value, (staticmethod, classmethod)):
                functions.append(value.__func__)
            elif hasattr(value, "__code__"):
                functions.append(value)
    stack = [f.__code__ for f in functions if hasattr(f, "__code__")]
    found = []
    while stack:
        code = stack.pop()
        found.append(code)
        stack += [const for const in code.co_consts if hasattr(const, "co_names")]
    return found


def _still_stub(obj):
    return any("NotImplementedError" in code.co_names for code in _codes(obj))
