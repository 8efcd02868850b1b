"""A course's policies, in one ``course.toml`` that every command reads.

Found in this order: ``--course PATH``; ``course.toml`` in the current folder; the copy that
``autograder grade`` keeps in the graded folder (``DIR/course.toml``), so that the report,
the export and the feedback of a folder follow the policy it was graded under. Without any,
the defaults below hold (no deadline, the latest resubmission counts, the kit's points).

Example (every key optional)::

    [course]
    name = "딥러닝 기초 (2026 봄)"

    [deadline]
    due = 2026-04-03T23:59:00+09:00     # a TOML date-time with its offset
    grace_minutes = 10                  # uploads this late still count as on time
    penalty_percent_per_day = 10        # of the score, per started day late
    zero_after_days = 3                 # later than this: 0 points
    [deadline.extensions]               # a submission's own deadline (its name in grades.csv)
    "20241234" = 2026-04-06T23:59:00+09:00

    [submission]
    counts = "latest"                   # or "highest" (the default): which of a student's submissions counts
    place = "e-Class의 '2장 과제' 제출함"  # printed in the notebook and in Colab's steps
    file_name = "학번.ipynb (예: 20241234.ipynb)"
    id_pattern = "^[0-9]{8}$"          # a file stem that breaks it is listed as misnamed

    [grading]
    training_bar = 0.8
    [grading.points]                    # "question id / case name" = points
    "q8_from_scratch/훈련: 10 에포크 후 테스트 정확도 ≥ 0.8" = 20

    [export]
    format = "moodle"                   # canvas, moodle or csv
    pattern = "plain"                   # how a file names its student (see `export --pattern`)
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

FILE = "course.toml"
COUNTS = ("latest", "highest")
FORMATS = ("canvas", "moodle", "csv")
DEFAULT_PLACE = "강의에서 안내한 제출처"
DEFAULT_FILE_NAME = "학번.ipynb (예: 20241234.ipynb)"
KNOWN = {
    "course": {"name"},
    "deadline": {"due", "grace_minutes", "penalty_percent_per_day", "zero_after_days", "extensions"},
    "submission": {"counts", "place", "file_name", "id_pattern"},
    "grading": {"training_bar", "points"},
    "export": {"format", "pattern"},
}


class CourseError(Exception):
    """``course.toml`` cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Late:
    days: int  # started days after the deadline (and the grace), 0 when on time
    fraction: float  # of the score taken away, 0..1

    @property
    def is_late(self) -> bool:
        return self.days > 0


@dataclass(frozen=True)
class Course:
    source: str = ""  # the file read, "" for the defaults
    name: str = ""
    due: dt.datetime | None = None
    grace_minutes: float = 0.0
    penalty_percent_per_day: float = 0.0
    zero_after_days: int | None = None
    extensions: dict[str, dt.datetime] = field(default_factory=dict)  # submission name -> its own deadline
    counts: str = "highest"  # the kit's behaviour before course.toml; "latest" is one line away
    place: str = DEFAULT_PLACE
    file_name: str = DEFAULT_FILE_NAME
    id_pattern: str = ""
    training_bar: float | None = None
    points: dict[tuple[str, str], float] = field(default_factory=dict)
    format: str = "csv"
    pattern: str = "plain"

    def late(self, submitted: dt.datetime | None, submission: str = "") -> Late:
        """How late a submission made at ``submitted`` is, and what that costs (``submission``:
        its name, for an extension)."""
        due = self.extensions.get(submission, self.due)
        if due is None or submitted is None:
            return Late(0, 0.0)
        if submitted.tzinfo is None:  # a naive time is read in the deadline's zone
            submitted = submitted.replace(tzinfo=due.tzinfo)
        over = (submitted - due).total_seconds() - 60 * self.grace_minutes
        if over <= 0:
            return Late(0, 0.0)
        days = math.ceil(over / 86400)
        if self.zero_after_days is not None and days > self.zero_after_days:
            return Late(days, 1.0)
        return Late(days, min(1.0, days * self.penalty_percent_per_day / 100))

    def shown(self, when: dt.datetime | None) -> str:
        """A time as the course reads it: in the deadline's zone (else this machine's), to the minute."""
        if when is None:
            return ""
        return when.astimezone(self.due.tzinfo if self.due else None).isoformat(sep=" ", timespec="minutes")

    def misnamed(self, stem: str) -> bool:
        return bool(self.id_pattern) and re.search(self.id_pattern, stem) is None

    def policy_lines(self) -> list[str]:
        """The policy in Korean, for the report and the feedback pages."""
        lines = [f"정책 파일: {self.source or '없음 (기본값)'}"]
        if self.due is None:
            lines.append("마감: 없음 (늦은 제출 감점 없음)")
        else:
            late = f"하루(시작된 날 기준)마다 {self.penalty_percent_per_day:g}% 감점"
            if self.zero_after_days is not None:
                late += f", {self.zero_after_days}일보다 늦으면 0점"
            grace = f", 유예 {self.grace_minutes:g}분" if self.grace_minutes else ""
            lines.append(f"마감: {self.due.isoformat()}{grace}; 늦은 제출: {late}")
            for name, due in sorted(self.extensions.items()):
                lines.append(f"마감 연장: {name} → {due.isoformat()}")
        lines.append("재제출: " + ("마지막 제출을 씀" if self.counts == "latest" else "총점이 가장 높은 제출을 씀"))
        if self.training_bar is not None:
            lines.append(f"훈련 기준 정확도: {self.training_bar:g}")
        for (question, case), value in self.points.items():
            lines.append(f"배점 변경: {question} · {case} → {value:g}점")
        lines.append(f"제출 파일 이름: {self.file_name}; 제출처: {self.place}")
        return lines


def _error(path: Path, message: str) -> CourseError:
    return CourseError(f"{path}: {message}")


def _number(path: Path, table: str, key: str, value, low: float | None = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _error(path, f"[{table}] {key} must be a number, not {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise _error(path, f"[{table}] {key} must be {bounds}, not {value!r}")
    return float(value)


def _text(path: Path, table: str, key: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(path, f"[{table}] {key} must be a non-empty string, not {value!r}")
    return value.strip()


def load(path: Path) -> Course:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise _error(path, f"cannot be read as UTF-8 text ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise _error(path, f"is not valid TOML: {error}") from None
    for table, value in data.items():
        if table not in KNOWN:
            raise _error(path, f"unknown table [{table}] (known: {', '.join(KNOWN)})")
        if not isinstance(value, dict):
            raise _error(path, f"{table} must be a table [{table}]")
        unknown = set(value) - KNOWN[table]
        if unknown:
            raise _error(path, f"unknown key(s) in [{table}]: {', '.join(sorted(unknown))} "
                               f"(known: {', '.join(sorted(KNOWN[table]))})")
    values: dict = {"source": str(path)}
    course, deadline = data.get("course", {}), data.get("deadline", {})
    submission, grading, export = data.get("submission", {}), data.get("grading", {}), data.get("export", {})
    if "name" in course:
        values["name"] = _text(path, "course", "name", course["name"])
    if "due" in deadline:
        due = deadline["due"]
        if isinstance(due, str):
            try:
                due = dt.datetime.fromisoformat(due)
            except ValueError:
                raise _error(path, f"[deadline] due {due!r} is not an ISO date-time") from None
        if not isinstance(due, dt.datetime):
            raise _error(path, f"[deadline] due must be a date and time, e.g. 2026-04-03T23:59:00+09:00, not {due!r}")
        if due.tzinfo is None:
            raise _error(path, f"[deadline] due {due.isoformat()} has no time zone: add it, e.g. +09:00 for Korea")
        values["due"] = due
    if "extensions" in deadline:
        if not isinstance(deadline["extensions"], dict):
            raise _error(path, "[deadline.extensions] must be a table of \"submission\" = date-time")
        extensions = {}
        for name, when in deadline["extensions"].items():
            if not isinstance(when, dt.datetime) or when.tzinfo is None:
                raise _error(path, f"[deadline.extensions] {name!r} must be a date-time with its time zone, "
                                   f"e.g. 2026-04-06T23:59:00+09:00, not {when!r}")
            extensions[name] = when
        values["extensions"] = extensions
    if "due" not in deadline and set(deadline) - {"due"}:
        raise _error(path, "[deadline] has a penalty but no due date")
    if "grace_minutes" in deadline:
        values["grace_minutes"] = _number(path, "deadline", "grace_minutes", deadline["grace_minutes"])
    if "penalty_percent_per_day" in deadline:
        values["penalty_percent_per_day"] = _number(path, "deadline", "penalty_percent_per_day",
                                                    deadline["penalty_percent_per_day"], 0, 100)
    if "zero_after_days" in deadline:
        days = deadline["zero_after_days"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise _error(path, f"[deadline] zero_after_days must be a whole number ≥ 0, not {days!r}")
        values["zero_after_days"] = days
    if "counts" in submission:
        if submission["counts"] not in COUNTS:
            raise _error(path, f"[submission] counts must be one of {', '.join(COUNTS)}, not {submission['counts']!r}")
        values["counts"] = submission["counts"]
    for key in ("place", "file_name"):
        if key in submission:
            values[key] = _text(path, "submission", key, submission[key])
    if "id_pattern" in submission:
        pattern = _text(path, "submission", "id_pattern", submission["id_pattern"])
        try:
            re.compile(pattern)
        except re.error as error:
            raise _error(path, f"[submission] id_pattern {pattern!r} is not a regular expression: {error}") from None
        values["id_pattern"] = pattern
    if "training_bar" in grading:
        values["training_bar"] = _number(path, "grading", "training_bar", grading["training_bar"], 0, 1)
    if "points" in grading:
        if not isinstance(grading["points"], dict):
            raise _error(path, "[grading.points] must be a table of \"question id / case name\" = points")
        points = {}
        for key, value in grading["points"].items():
            question, slash, case = key.partition("/")
            if not slash or not question.strip() or not case.strip():
                raise _error(path, f"[grading.points] key {key!r} must be \"question id / case name\"")
            points[(question.strip(), case.strip())] = _number(path, "grading.points", repr(key), value)
        values["points"] = points
    if "format" in export:
        if export["format"] not in FORMATS:
            raise _error(path, f"[export] format must be one of {', '.join(FORMATS)}, not {export['format']!r}")
        values["format"] = export["format"]
    if "pattern" in export:
        values["pattern"] = _text(path, "export", "pattern", export["pattern"])
    return Course(**values)


def find(explicit: Path | None = None, grades_dir: Path | None = None) -> Course:
    """The course's policy: ``explicit``, else ``./course.toml``, else ``grades_dir/course.toml``,
    else the defaults."""
    if explicit is not None:
        return load(explicit)
    for candidate in (Path(FILE), Path(grades_dir) / FILE if grades_dir else None):
        if candidate is not None and candidate.is_file():
            return load(candidate)
    return Course()


def check_cases(course: Course, questions) -> None:
    """Every point override names a case the assignment has (``questions``: id, cases with names)."""
    known = {(q.id, c.name) for q in questions for c in q.cases}
    for question, case in course.points:
        if (question, case) not in known:
            ids = {q.id for q in questions}
            hint = "no such question" if question not in ids else "no such case in that question (see `autograder points`)"
            raise CourseError(f"{course.source}: [grading.points] \"{question}/{case}\": {hint}")
