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

from . import files
from .cases import Question
from .grade import SubmissionResult

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
        "output": "" if result.status == "ok" else f"채점 중 문제: {result.status}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def feedback_markdown(result: SubmissionResult, questions: Sequence[Question], title: str) -> str:
    lines = [f"# {title} 채점 결과: {result.submission}", "",
             f"**총점: {_num(result.total)} / {_num(result.possible())}**", ""]
    if result.status != "ok":
        lines += ["## 채점 중 발견된 문제", ""] + [f"- {part}" for part in result.status.split("; ")] + [""]
    lines += ["| 문제 | 점수 |", "|---|---|"]
    for question in questions:
        lines.append(f"| {question.id} ({question.title}) | "
                     f"{_num(result.score(question.id))} / {_num(result.possible(question.id))} |")
    lines.append("")
    for question in questions:
        cases = [c for c in result.cases if c.question == question.id]
        lines += [f"## {question.id}: {question.title}", ""]
        for case in cases:
            mark = "✅" if case.passed else "❌"
            lines.append(f"- {mark} {case.name} ({_num(case.points)}/{_num(case.max_points)})")
            if case.message and (not case.passed or "\n" in case.message):
                lines += ["", "  ```text"] + [f"  {line}" for line in case.message.splitlines()] + ["  ```"]
        lines.append("")
    if result.cell_errors:
        lines += ["## 실행 중 오류가 난 코드 셀", ""] + [f"- {error}" for error in result.cell_errors[:30]]
        lines.append("")
    return "\n".join(lines)


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
    except (OSError, ValueError, TypeError, KeyError):
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
