"""From a graded record to the score a student gets: the course's policy, a person's
corrections, the late penalty. One place, used by ``grades.csv``, the report, the exports and
the feedback pages, so they never disagree.

In order, per submission:

1. per case, the course's point overrides (``[grading.points]``: the case keeps its share of
   its points) and its training bar (the training case is judged again on the accuracy it
   recorded);
2. per question, the corrections in ``DIR/adjustments.csv`` (``submission,question,points,comment``:
   ``points`` is added to that question's score, + or −; the comment is shown to the student),
   the question's score kept within 0 and its points;
3. the late penalty on the sum (``[deadline]``), from the submission time ``intake.json`` holds.

``autograder grade`` never writes ``adjustments.csv``; a person does, and it survives every
regrade because it names submissions and questions, not scores.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace
from pathlib import Path

from ..course import Course, Late

ADJUSTMENTS = "adjustments.csv"
ADJUSTMENT_COLUMNS = ("submission", "question", "points", "comment")
EXTRA_COLUMNS = ("adjustment", "late_days", "late_penalty", "submitted_at")  # after the contract's columns


class AdjustmentsError(Exception):
    """``adjustments.csv`` names something unknown or holds a bad number (English; names the line)."""


@dataclass(frozen=True)
class Adjustment:
    line: int
    submission: str
    question: str
    points: float
    comment: str


@dataclass(frozen=True)
class Scored:
    submission: str
    questions: dict[str, float]  # question id -> points after the policy and the corrections
    possible: float
    adjustments: tuple[Adjustment, ...]
    before_late: float
    late: Late
    submitted_at: dt.datetime | None
    time_from: str

    @property
    def late_penalty(self) -> float:
        return round(self.before_late * self.late.fraction, 6)

    @property
    def total(self) -> float:
        return round(self.before_late - self.late_penalty, 6)

    @property
    def adjustment(self) -> float:
        return sum(a.points for a in self.adjustments)


def read_adjustments(folder: Path, submissions: set[str], questions: set[str]) -> list[Adjustment]:
    """``DIR/adjustments.csv``, checked against the graded submissions and the question ids."""
    path = Path(folder) / ADJUSTMENTS
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise AdjustmentsError(f"{path}: cannot be read as UTF-8 text ({error})") from None
    reader = csv.reader(io.StringIO(text))
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [c for c in ADJUSTMENT_COLUMNS[:3] if c not in header]
    if missing:
        raise AdjustmentsError(f"{path}, line 1: the header needs the columns {', '.join(ADJUSTMENT_COLUMNS)} "
                               f"(missing: {', '.join(missing)})")
    found = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(header)}
        submission, question = cell.get("submission", ""), cell.get("question", "")
        if submission not in submissions:
            near = ", ".join(sorted(s for s in submissions if submission and (submission in s or s in submission))[:3])
            raise AdjustmentsError(f"{path}, line {line}: no graded submission {submission!r} in {folder}"
                                   + (f" (did you mean {near}?)" if near else " (use the name in grades.csv)"))
        if question not in questions:
            raise AdjustmentsError(f"{path}, line {line}: no question {question!r} "
                                   f"(questions: {', '.join(sorted(questions))})")
        try:
            points = float(cell.get("points", "") or "0")
        except ValueError:
            raise AdjustmentsError(f"{path}, line {line}: points {cell.get('points')!r} is not a number "
                                   "(the change, e.g. 2 or -1.5)") from None
        if points != points or points in (float("inf"), float("-inf")):
            raise AdjustmentsError(f"{path}, line {line}: points must be a finite number")
        found.append(Adjustment(line, submission, question, points, cell.get("comment", "")))
    return found


def override_cases(cases, course: Course):
    """The cases with the course's points and training bar (``cases``: ``load.CaseRecord``)."""
    changed = []
    for case in cases:
        new_max = course.points.get((case.question, case.name), case.max_points)
        points = case.points * new_max / case.max_points if case.max_points else 0.0
        detail, message = case.detail, case.message
        value = detail.get("value")
        if course.training_bar is not None and case.is_training and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            passed = value >= course.training_bar
            points = new_max if passed else 0.0
            detail = {**detail, "bar": course.training_bar}
            message = (f"이 강의의 기준 정확도 {course.training_bar:g}: 측정한 정확도 {value:.4f} → "
                       + ("통과" if passed else "미달") + (f"\n{message}" if message else ""))
        if (new_max, points, detail, message) != (case.max_points, case.points, case.detail, case.message):
            case = replace(case, points=round(points, 6), max_points=new_max, detail=detail, message=message)
        changed.append(case)
    return tuple(changed)


def score(record, possible: dict[str, float], course: Course, adjustments: list[Adjustment],
          intake_entry: dict | None) -> Scored:
    """``record`` (a ``load.Record`` whose cases already follow the policy) to its final score."""
    mine = tuple(a for a in adjustments if a.submission == record.submission)
    questions = {}
    for question, most in possible.items():
        value = record.score(question) + sum(a.points for a in mine if a.question == question)
        questions[question] = round(min(max(value, 0.0), most), 6)
    submitted, time_from = None, ""
    if intake_entry:
        from ..intake import parse_time

        submitted, time_from = parse_time(intake_entry.get("submitted_at")), str(intake_entry.get("time_from") or "")
    return Scored(record.submission, questions, sum(possible.values()), mine, round(sum(questions.values()), 6),
                  course.late(submitted, record.submission), submitted, time_from)


def grades_rows(results) -> list[list[str]]:
    """``grades.csv``: every record in the folder, the contract's columns, then the policy's."""
    questions = [q.id for q in results.manifest.questions]
    rows = [["submission", *questions, "total", "possible", "status", *EXTRA_COLUMNS]]
    for record in sorted(results.records, key=lambda r: r.submission):
        scored = results.scored[record.submission]
        rows.append([record.submission, *(_num(scored.questions.get(q, 0.0)) for q in questions),
                     _num(scored.total), _num(scored.possible), record.status, _num(scored.adjustment),
                     str(scored.late.days), _num(scored.late_penalty),
                     scored.submitted_at.isoformat() if scored.submitted_at else ""])
    return rows


def write_grades(results) -> Path:
    from ..engine import files

    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(grades_rows(results))
    path = results.folder / "grades.csv"
    files.write_text(path, buffer.getvalue())
    return path


def _num(value: float) -> str:
    return f"{round(value, 4):g}"
