"""The student-facing Korean follows one glossary (``docs/glossary.md``) and one speech level
per kind of text: the notebook's text in 해라체 as the course text, what the code says to the
student in 합니다체."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograder.targets import notebooks

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
# Sources of what a student reads: self-checks, submission, hints, feedback and its statuses.
STUDENT_FACING = [*sorted((ROOT / "autograder" / "kernel_side").glob("*.py")),
                  *sorted((ROOT / "autograder" / "ch02").glob("*.py")),
                  *sorted((ROOT / "autograder" / "ch02_plus").glob("*.py")),
                  *[ROOT / "autograder" / "engine" / f"{name}.py" for name in
                    ("function_cases", "records", "grade", "submission", "cases", "kernel")],
                  *[ROOT / "autograder" / "targets" / f"{name}.py" for name in ("points", "selfcheck", "nbgrader_course")],
                  ROOT / "autograder" / "frontends" / "nbgrader.py"]
POLITE = re.compile(r"(니다|세요|십시오)[.)!]?$")


def banned() -> list[tuple[str, re.Pattern]]:
    """(word to use, pattern of the words not to use) from the glossary's table."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) == 4 and cells[2].startswith("`") and cells[2].endswith("`"):
            rows.append((cells[0], re.compile(cells[2].strip("`").replace(r"\|", "|"))))
    return rows


def test_the_glossary_lists_the_course_terms():
    used = {word for word, _ in banned()}
    assert {"어레이", "강의 노트", "텐서플로우", "그레이디언트", "자가 점검", "채점 준비 셀", "반복문 규칙"} <= used
    assert len(banned()) >= 12


def _texts(built_notebooks) -> dict[str, str]:
    student, _ = built_notebooks
    texts = {f"notebook cell {cell.get('id')}": cell.source for cell in student.cells}
    texts.update({str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in STUDENT_FACING})
    return texts


def test_student_facing_text_uses_the_glossary_words(built_notebooks):
    found = []
    for where, text in _texts(built_notebooks).items():
        for word, pattern in banned():
            for match in pattern.finditer(text):
                found.append(f"{where}: '{match.group(0)}' (쓰는 말: {word})")
    assert found == []


def test_the_scan_would_see_a_banned_word():
    text = "넘파이 배열을 텐서플로로 바꾸고 그레이언트를 구한다. 텐서플로우는 괜찮다."
    hits = [match.group(0) for _, pattern in banned() for match in pattern.finditer(text)]
    assert sorted(hits) == sorted(["배열", "텐서플로", "그레이언트"])


def _notebook_prose(nb) -> list[tuple[str, str]]:
    """(cell id, line) of the notebook's own text: markdown, comments and docstrings."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found += [(cell.id, line) for line in cell.source.splitlines()]
            continue
        if notebooks.cell_role(cell) == "setup":
            continue  # the kit's own code: its comments are English, its messages 합니다체
        found += [(cell.id, line.split("#", 1)[1]) for line in cell.source.splitlines() if "#" in line
                  and not line.strip().startswith(("\"", "'"))]
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
                found += [(cell.id, line) for line in ast.get_docstring(node).splitlines()]
    return found


def test_the_notebooks_text_is_in_the_course_texts_speech_level(built_notebooks):
    student, _ = built_notebooks
    polite = [(cell, line) for cell, line in _notebook_prose(student) if POLITE.search(line.strip())]
    assert polite == []


def test_stub_hints_speak_to_the_student_politely(ch02):
    source = notebooks.load_source(ch02.notebook)
    for cell in notebooks.cells_with_role(source, "stub"):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0].value
                sentences = [s for s in re.split(r"(?<=[.])\s+", message) if s]
                assert all(POLITE.search(s) for s in sentences), message
                assert "아직 구현하지 않았습니다" in message and re.search(r"2\.\d절", message), message  # the section


@pytest.mark.parametrize("phrase", ["다음과 같이 직접 구현해 보자.", "변수들의 리스트에 대한 그레이디언트",
                                    "다른 작업이 없으면"])
def test_the_kits_sentences_were_polished(ch02, phrase):
    text = "\n".join(cell.source for cell in notebooks.load_source(ch02.notebook).cells)
    assert phrase in text
    for old in ("실제로 아래와 같이 구현할 수 있다.", "컴퓨터가 한가하면", "# the course text"):
        assert old not in text
