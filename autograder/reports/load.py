"""Read a graded folder (GRADES_DIR) into typed records, tolerating what is missing.

What is read, and nothing else:

- ``grades.csv``: ``submission``, one column per question id, ``total``, ``possible``, ``status``
  (written from the records; read only for a submission whose record is missing: a person's
  corrections go into ``adjustments.csv``, see ``scoring``);
- ``adjustments.csv`` and ``intake.json`` (submission times, files not graded), see ``scoring``;
- ``assignment.json``: ``id``, ``title``, ``questions`` (``id``, ``title``, ``points``,
  ``cases``: ``name``, ``points``) and ``reference_hashes`` (name -> hash, or a list of hashes);
- ``<folder>/result.json`` per submission: ``submission``, ``path``, ``status``, ``seconds``,
  ``cell_errors``, ``grader_error``, ``cached``, ``code_hashes`` and ``cases`` (``question``,
  ``name``, ``points``, ``max_points``, ``message``, ``detail``).

A folder without a readable ``result.json`` is skipped and listed; a missing manifest is
rebuilt from the records (question ids in order of appearance, points from ``max_points``).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..course import Course
from . import scoring

GRADES = "grades.csv"
MANIFEST = "assignment.json"
RECORD = "result.json"
GRADER_ERROR = "채점 도구 오류"  # how the engine's status names an error of the kit itself
ROSTER_CHECK = "roster_check.json"  # written by ``autograder export``, shown by the report


class GradesDirError(Exception):
    """GRADES_DIR cannot be read as a graded folder (the message says why, in English)."""


@dataclass(frozen=True)
class CaseInfo:
    name: str
    points: float


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    title: str
    points: float
    cases: tuple[CaseInfo, ...] = ()


@dataclass(frozen=True)
class Manifest:
    id: str
    title: str
    questions: tuple[QuestionInfo, ...]
    reference_hashes: dict[str, Any] = field(default_factory=dict)

    @property
    def possible(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class CaseRecord:
    question: str
    name: str
    points: float
    max_points: float
    message: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    @property
    def is_training(self) -> bool:
        return self.detail.get("metric") == "test_accuracy"


@dataclass(frozen=True)
class Record:
    submission: str
    folder: str  # its folder's name in GRADES_DIR
    path: str = ""  # where the notebook was when it was graded
    status: str = "ok"
    seconds: float = 0.0
    cell_errors: tuple[str, ...] = ()
    grader_error: str = ""
    cached: tuple[str, ...] = ()
    code_hashes: dict[str, str | None] = field(default_factory=dict)
    cases: tuple[CaseRecord, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def has_grader_error(self) -> bool:
        return bool(self.grader_error) or self.status.startswith(GRADER_ERROR)

    def score(self, question: str | None = None) -> float:
        return sum(c.points for c in self.cases if question in (None, c.question))

    def possible(self, question: str | None = None) -> float:
        return sum(c.max_points for c in self.cases if question in (None, c.question))

    @property
    def training(self) -> CaseRecord | None:
        return next((c for c in self.cases if c.is_training), None)

    @property
    def training_cached(self) -> bool:
        """The training check was served from the cache (its probe "question:train" in ``cached``)."""
        training = self.training
        return training is not None and f"{training.question}:train" in self.cached


@dataclass(frozen=True)
class GradesRow:
    submission: str
    scores: dict[str, float | None]  # question id -> points (None: the cell was empty)
    total: float | None
    possible: float | None
    status: str


@dataclass
class ClassResults:
    folder: Path
    manifest: Manifest
    records: list[Record]
    rows: dict[str, GradesRow]  # from grades.csv, by submission
    skipped: list[tuple[str, str]]  # (folder or submission, Korean reason) not read
    warnings: list[str]  # English, for the terminal
    manifest_found: bool = True
    roster_check: dict | None = None
    course: Course = field(default_factory=Course)
    scored: dict[str, "scoring.Scored"] = field(default_factory=dict)  # by submission, for every record
    intake: dict = field(default_factory=dict)  # intake.json: submissions' sources and times, files not graded

    @property
    def submissions(self) -> list[str]:
        """Every submission known, from the records and from grades.csv."""
        return sorted({r.submission for r in self.records} | set(self.rows))

    def record(self, submission: str) -> Record | None:
        return next((r for r in self.records if r.submission == submission), None)

    def total(self, submission: str) -> float | None:
        if submission in self.scored:
            return self.scored[submission].total
        row = self.rows.get(submission)
        return row.total if row is not None else None

    def score(self, submission: str, question: str) -> float | None:
        if submission in self.scored:
            return self.scored[submission].questions.get(question)
        row = self.rows.get(submission)
        return row.scores.get(question) if row is not None else None

    def submitted_at(self, submission: str):
        scored = self.scored.get(submission)
        return scored.submitted_at if scored else None

    def status(self, submission: str) -> str:
        record = self.record(submission)
        if record is not None:
            return record.status
        row = self.rows.get(submission)
        return row.status if row else ""


def load(folder: Path, course: Course | None = None) -> ClassResults:
    """The graded folder with ``course``'s policy and ``adjustments.csv`` applied (raises
    ``scoring.AdjustmentsError`` when that file names something unknown)."""
    course = course or Course()
    folder = Path(folder)
    if not folder.is_dir():
        raise GradesDirError(f"{folder} is not a folder")
    warnings: list[str] = []
    rows = _read_grades(folder / GRADES, warnings)
    records, skipped = [], []
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        record, reason = _read_record(child)
        if record is None:
            skipped.append((child.name, reason))
        else:
            records.append(record)
    seen = {r.submission for r in records}
    skipped += [(name, "grades.csv에는 있지만 결과 폴더(result.json)가 없습니다")
                for name in sorted(set(rows) - seen) if name not in {s for s, _ in skipped}]
    if not records and not rows:
        raise GradesDirError(f"{folder} holds neither {GRADES} nor any <submission>/{RECORD}: "
                             "is it the --out folder of `autograder grade`?")
    manifest, found = _read_manifest(folder / MANIFEST, records, rows, warnings)
    if skipped:
        warnings.append(f"{len(skipped)} folder(s) without a readable {RECORD}: "
                        + ", ".join(name for name, _ in skipped[:10]) + (" …" if len(skipped) > 10 else ""))
    roster_check = None
    if (folder / ROSTER_CHECK).is_file():
        try:
            roster_check = json.loads((folder / ROSTER_CHECK).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            warnings.append(f"{ROSTER_CHECK} is unreadable; the roster section is left out")
    if course.points or course.training_bar is not None:
        manifest = _with_overrides(manifest, course)
        records = [replace(r, cases=scoring.override_cases(r.cases, course)) for r in records]
    from ..intake import read_record

    intake = read_record(folder)
    possible = {q.id: q.points for q in manifest.questions}
    adjustments = scoring.read_adjustments(folder, {r.submission for r in records}, set(possible))
    unknown = sorted(set(course.extensions) - {r.submission for r in records})
    if unknown:
        warnings.append(f"course.toml extends the deadline of submissions not in the folder: {', '.join(unknown)}")
    scored = {r.submission: scoring.score(r, possible, course, adjustments, intake["submissions"].get(r.submission))
              for r in records}
    return ClassResults(folder, manifest, records, rows, skipped, warnings, found, roster_check, course, scored,
                        intake)


def _with_overrides(manifest: Manifest, course: Course) -> Manifest:
    questions = []
    for question in manifest.questions:
        cases = tuple(CaseInfo(c.name, course.points.get((question.id, c.name), c.points)) for c in question.cases)
        points = sum(c.points for c in cases) if cases else question.points
        questions.append(QuestionInfo(question.id, question.title, points, cases))
    return replace(manifest, questions=tuple(questions))


def _number(text: Any) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _read_grades(path: Path, warnings: list[str]) -> dict[str, GradesRow]:
    if not path.is_file():
        warnings.append(f"no {GRADES} in the folder: scores are summed from the records")
        return {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            if "submission" not in fields:
                warnings.append(f"{GRADES} has no 'submission' column: ignored")
                return {}
            questions = [f for f in fields if f not in ("submission", "total", "possible", "status",
                                                        *scoring.EXTRA_COLUMNS)]
            rows = {}
            for line in reader:
                name = (line.get("submission") or "").strip()
                if not name:
                    continue
                rows[name] = GradesRow(name, {q: _number(line.get(q)) for q in questions},
                                       _number(line.get("total")), _number(line.get("possible")),
                                       (line.get("status") or "").strip())
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        warnings.append(f"{GRADES} is unreadable ({error}): scores are summed from the records")
        return {}


def _read_record(folder: Path) -> tuple[Record | None, str]:
    path = folder / RECORD
    if not path.is_file():
        return None, "result.json이 없습니다 (채점이 끝나지 않았거나 중단됨)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cases = tuple(CaseRecord(str(c["question"]), str(c["name"]), float(c["points"]),
                                 float(c["max_points"]), str(c.get("message") or ""),
                                 dict(c.get("detail") or {}))
                      for c in data.get("cases", []))
        hashes = data.get("code_hashes") or {}
        return Record(
            submission=str(data.get("submission") or folder.name),
            folder=folder.name,
            path=str(data.get("path") or ""),
            status=str(data.get("status") or "ok"),
            seconds=float(data.get("seconds") or 0.0),
            cell_errors=tuple(_cell_error(e) for e in data.get("cell_errors") or ()),
            grader_error=str(data.get("grader_error") or ""),
            cached=tuple(str(c) for c in data.get("cached") or ()),
            code_hashes={str(k): (str(v) if v else None) for k, v in dict(hashes).items()},
            cases=cases,
        ), ""
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        return None, f"result.json을 읽을 수 없습니다 ({type(error).__name__})"


def _read_manifest(path: Path, records: list[Record], rows: dict[str, GradesRow],
                   warnings: list[str]) -> tuple[Manifest, bool]:
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            questions = tuple(
                QuestionInfo(str(q["id"]), str(q.get("title") or q["id"]), float(q.get("points") or 0),
                             tuple(CaseInfo(str(c["name"]), float(c.get("points") or 0))
                                   for c in q.get("cases") or ()))
                for q in data.get("questions") or ())
            if questions:
                return Manifest(str(data.get("id") or ""), str(data.get("title") or data.get("id") or ""),
                                questions, dict(data.get("reference_hashes") or {})), True
            warnings.append(f"{MANIFEST} lists no questions: rebuilt from the records")
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            warnings.append(f"{MANIFEST} is unreadable ({type(error).__name__}): rebuilt from the records")
    else:
        warnings.append(f"no {MANIFEST}: questions rebuilt from the records (no course-text hashes, "
                        "so the similar-code section compares submissions only)")
    order: dict[str, dict[str, float]] = {}
    for record in records:
        for case in record.cases:
            order.setdefault(case.question, {}).setdefault(case.name, case.max_points)
    for row in rows.values():
        for question in row.scores:
            order.setdefault(question, {})
    questions = tuple(QuestionInfo(q, q, sum(cases.values()), tuple(CaseInfo(n, p) for n, p in cases.items()))
                      for q, cases in order.items())
    return Manifest("", "", questions, {}), False


def _cell_error(error) -> str:
    """A cell error of a record: ``{label, type, message}`` (or a line, in older records)."""
    if not isinstance(error, dict):
        return str(error)
    text = f"{error.get('label', '')} — {error.get('type', '')}"
    return f"{text}: {error['message']}" if error.get("message") else text
