"""What grading writes: ``grades.csv``, ``assignment.json`` (the questions and points, for
reports that read the folder alone), and per submission ``results.json`` (Gradescope's
results schema), ``feedback.md`` (Korean) and ``result.json`` (the kit's own record, read back
when an interrupted run resumes, and by ``autograder report``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from ..kernel_side import show
from . import files
from .cases import Question, by_cause, one_cause
from .grade import SubmissionResult
from .outcomes import CellError

RECORD = "result.json"
MANIFEST = "assignment.json"
TRACEBACK = "traceback.txt"  # the kit's own error, when grading this submission hit one


def gradescope_results(result: SubmissionResult) -> dict:
    tests = [{
        "name": f"{case.question} · {case.name}",
        "score": case.points,
        "max_score": case.max_points,
        "status": "passed" if case.passed else "failed",
        "output": case.message if not case.passed else (case.message or "통과"),
        "visibility": "visible",
    } for case in result.cases]
    return {
        "score": result.total,
        "execution_time": round(result.seconds, 1),
        "output": ("채점 중 문제: " + "; ".join(map(str, result.student_problems))) if result.student_problems else "",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def feedback_markdown(result: SubmissionResult, questions: Sequence[Question], title: str) -> str:
    """The student's feedback (Korean). Per question, each case with its points; cases that
    failed for one cause (an object not implemented or not defined, a model never compiled,
    a question that could not be graded) are one line; a case that counts only once something
    else holds says so."""
    lines = [f"# {title} 채점 결과: {result.submission}", "",
             f"**총점: {_num(result.total)} / {_num(result.possible())}**", ""]
    if result.student_problems:  # the instructor's (sandbox, the kit's errors) are in grades.csv and the report
        lines += ["## 채점 중 발견된 문제", ""] + [f"- {problem}" for problem in result.student_problems] + [""]
    lines += ["| 문제 | 점수 |", "|---|---|"]
    for question in questions:
        lines.append(f"| {question.id} ({question.title}) | "
                     f"{_num(result.score(question.id))} / {_num(result.possible(question.id))} |")
    lines.append("")
    for question in questions:
        requires = {case.name: case.requires for case in question.cases}
        lines += [f"## {question.id}: {question.title}", ""]
        for group in by_cause([c for c in result.cases if c.question == question.id]):
            lines += _group_lines(group, requires)
        lines.append("")
    if result.cell_errors:
        lines += ["## 실행 중 오류가 난 셀", ""] + _cell_error_lines(result.cell_errors) + [""]
    return "\n".join(lines)


def _cell_error_lines(errors: Sequence[CellError]) -> list[str]:
    """One line for the cells stopped by a stub, one for those stopped by a missing name (often
    a consequence of the first), then each other error."""
    stubs, names, others = [], [], []
    for error in errors:
        if error.type == "NotImplementedError":
            stubs.append(error.label)
        elif error.type == "NameError":
            names.append(error.label)
        else:
            others.append(str(error))
    lines = []
    if stubs:
        lines.append(f"- 아직 구현하지 않은 함수를 불러서 멈춘 셀 {len(stubs)}개: " + ", ".join(stubs))
    if names:
        lines.append(f"- 정의되지 않은 이름 때문에 멈춘 셀 {len(names)}개(앞 셀의 오류 때문일 수 있습니다): "
                     + ", ".join(names))
    return lines + [f"- {error}" for error in others[:30]]


def _group_lines(group: list, requires: dict) -> list[str]:
    if one_cause(group[0]) is not None:  # one cause: one line, and the cases it cost
        first, *rest = show.one_cause(group[0].message, cost_of(group))
        return [f"- ❌ {first}"] + (["", "  ```text"] + [f"  {line}" for line in rest] + ["  ```"] if rest else [])
    case = group[0]
    mark = "✅" if case.passed else "❌"
    needs = f" ({requires[case.name]} 인정)" if requires.get(case.name) else ""
    lines = [f"- {mark} {case.name} ({_num(case.points)}/{_num(case.max_points)}){needs}"]
    if case.message and (not case.passed or "\n" in case.message):
        lines += ["", "  ```text"] + [f"  {line}" for line in case.message.splitlines()] + ["  ```"]
    return lines


def cost_of(group: list) -> list[tuple[str, float]]:
    """(case label, points) of the cases one cause cost, labels without their object's name."""
    prefix = f"{group[0].detail.get('object')}: "
    return [(case.name.removeprefix(prefix), case.max_points) for case in group]


def _num(value: float) -> str:
    return f"{value:g}"


def write_submission(result: SubmissionResult, assignment, folder: Path) -> None:
    """Each file whole or not at all (``files``); the record last, as it marks the submission
    finished: a batch killed at any point resumes with this submission graded or not, never half."""
    files.write_text(folder / "results.json", json.dumps(gradescope_results(result), ensure_ascii=False, indent=1))
    files.write_text(folder / "feedback.md", feedback_markdown(result, assignment.questions, assignment.title))
    if result.grader_error:
        files.write_text(folder / TRACEBACK, result.grader_error)
    elif (folder / TRACEBACK).exists():
        (folder / TRACEBACK).unlink()  # from an earlier run whose error is gone
    files.write_text(folder / RECORD, json.dumps(result.to_dict(), ensure_ascii=False))


def read_record(folder: Path) -> SubmissionResult | None:
    try:
        return SubmissionResult.from_dict(json.loads((folder / RECORD).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, RecursionError):  # a deeply nested file too
        return None


def write_grades(results: Sequence[SubmissionResult], questions: Sequence[Question], path: Path) -> None:
    columns = ["submission", *(q.id for q in questions), "total", "possible", "status"]
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(columns)
    for result in sorted(results, key=lambda r: r.submission):
        writer.writerow([result.submission, *(_num(result.score(q.id)) for q in questions),
                         _num(result.total), _num(result.possible()), result.status])
    files.write_text(path, text.getvalue())


def write_manifest(assignment, folder: Path, extra: dict | None = None) -> None:
    """``assignment.json``: what a report needs to know of the assignment, without the kit."""
    manifest = {"id": assignment.id, "title": assignment.title, "points": assignment.points,
                "questions": [{"id": q.id, "title": q.title, "points": q.points,
                               "cases": [{"name": c.name, "points": c.points} for c in q.cases]}
                              for q in assignment.questions], **(extra or {})}
    files.write_text(folder / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
