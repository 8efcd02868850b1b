"""What costs points, written where the student works, generated from the questions (never by
hand): the table of questions and points for the notebook's ``points`` cell, and the comment
block at the top of each stub cell that names its cases, their points, what a case needs
before it counts, and two lines on the naive rule where a case checks it (the rule in full is
a box under the points table, once)."""

from __future__ import annotations

from ..engine.cases import Case, Question
from ..kernel_side import naive_rule

# A training check confirms that the graded parts work together; it never outweighs them: no
# training case is worth more than this (``tests/test_points.py``; the reasons: docs/points.md).
MAX_TRAINING_POINTS = 12


NAIVE_STUB_LINES = ["#   반복문 규칙: 항목 하나하나를 파이썬 반복문으로 계산한다(@, np.dot, .sum() 같은 벡터화 연산 금지).",
                    "#   금지·허용 목록 전체는 노트북 앞쪽 '문제와 배점' 셀의 반복문 규칙 상자에 있다."]


def _points(value: float) -> str:
    return f"{value:g}점"


def object_cases(question: Question, name: str) -> list[Case]:
    """The cases of ``question`` about the graded object ``name`` (``Case.object``)."""
    return [case for case in question.cases if case.object == name]


def loose_cases(question: Question) -> list[Case]:
    """The cases about no single object (the training check)."""
    return [case for case in question.cases if not case.object]


def table(assignment) -> str:
    """Markdown of the ``points`` cell: each question's section, objects and points, and the
    cases the table singles out (``Case.featured``: the training bar)."""
    lines = [f"### 문제와 배점 (총 {_points(assignment.points)})", "",
             "아래 표는 채점 항목에서 자동으로 만든 것이다. 항목마다의 배점은 각 문제 셀 맨 위의 주석에 있다.", "",
             "| 문제 | 절 | 구현할 대상 | 배점 |", "|---|---|---|---|"]
    for question in assignment.questions:
        objects = ", ".join(f"`{name}`" for name in question.objects)
        lines.append(f"| `{question.id}` | {question.title} | {objects} | {_points(question.points)} |")
    featured = [(question, case) for question in assignment.questions for case in question.cases if case.featured]
    if featured:
        lines.append("")
        lines += [f"- `{question.id}`의 **{case.name}** ({_points(case.points)}): 채점기가 여러분의 코드로 모델을 "
                  "새로 훈련해서 잰다." for question, case in featured]
    if any(case.kind == "naive" for question in assignment.questions for case in question.cases):
        lines += [""] + naive_box()
    return "\n".join(lines)


def naive_box() -> list[str]:
    """The naive rule in full, once, as a box under the points table (the stubs say two lines)."""
    title, *parts = [" ".join(line.split()) for line in naive_rule.rule_lines(width=10_000)]
    return [f"> **{title.split(':', 1)[0]}** (`naive_`로 시작하는 함수):{title.split(':', 1)[1]}", ">"] + \
        [f"> - {part}" for part in parts]



def _case_line(case: Case, name: str) -> str:
    label = case.name.removeprefix(f"{case.object}:").strip() if case.object == name else case.name
    needs = f" ({case.requires} 인정)" if case.requires else ""
    return f"#   - {label}: {_points(case.points)}{needs}"


def stub_header(question: Question, objects: list[str], last: bool) -> str:
    """The comment block of one stub cell (empty when no case is about its objects). ``last``:
    the question's last stub also names the cases about no single object."""
    lines = []
    for name in objects:
        cases = object_cases(question, name)
        if not cases:
            continue
        total = sum(case.points for case in cases)
        lines.append(f"# ✏️ 채점 항목 ({question.id} · {name}, 모두 {_points(total)})")
        lines += [_case_line(case, name) for case in cases]
        if any(case.kind == "naive" for case in cases):
            lines += NAIVE_STUB_LINES
    if last:
        for case in loose_cases(question):
            lines.append(f"# ✏️ 채점 항목 ({question.id} 전체): {case.name}: {_points(case.points)}")
    return "\n".join(lines) + "\n" if lines else ""
