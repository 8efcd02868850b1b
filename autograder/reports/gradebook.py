"""Gradebook export: match graded submissions to a roster and write Canvas's or Moodle's import
CSV, or a plain CSV any LMS takes.

The roster is a UTF-8 CSV with a header row. Columns (case-insensitive; spaces and hyphens
count as underscores):

- ``id`` (required): the student's id as the submissions carry it (see the patterns below);
- ``name`` (required): shown in both CSVs (for Canvas, its "Student" column: "Last, First"
  or the name as Canvas shows it);
- ``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section`` (optional): copied into
  Canvas's "ID", "SIS User ID", "SIS Login ID" and "Section" columns; Canvas identifies the
  student by them, in that order, then by name (copy them from Canvas's own gradebook export);
- ``email`` (optional): also matched against Gradescope's submitter emails; Moodle's import can
  match by it;
- ``moodle_participant_id`` (optional): Moodle's participant number in the assignment, for the
  feedback zip (``reports.feedback``).

Which student a submission belongs to comes from where the notebook was (the record's
``path``), by a pattern:

- ``plain``: ``<id>.ipynb``, the file name is the id;
- ``nbgrader``: ``submitted/<id>/<assignment>/<notebook>.ipynb`` (or ``autograded/…``), as
  nbgrader's exchange collects them;
- ``gradescope``: Gradescope's "Export Submissions" zip, one ``submission_<number>/`` folder
  per submission and a ``submission_metadata.yml`` at its top that names, per folder, the
  ``:submitters:`` with ``:name:``, ``:sid:`` (student id) and ``:email:``. The id is the
  ``:sid:`` (the email when it is empty); every member of a group submission gets its grade.
  The metadata file is looked for in the folders above the notebook, or given explicitly;
- any other value: a regular expression with a named group ``id``, searched in the path.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

from .load import ROSTER_CHECK, ClassResults

ROSTER_COLUMNS = ("id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email",
                  "moodle_participant_id")
PATTERNS = ("plain", "nbgrader", "gradescope")
NBGRADER = re.compile(r"(?:^|/)(?:submitted|autograded)/(?P<id>[^/]+)/[^/]+/[^/]+\.ipynb$")
GRADESCOPE_FOLDER = re.compile(r"(?:^|/)(?P<folder>submission_\d+)(?:/|$)")
GRADESCOPE_METADATA = "submission_metadata.yml"
# Canvas's gradebook import: the header is "Student", "ID", then "SIS User ID" and "SIS Login ID",
# then "Section", then one column per assignment, "Title (canvas assignment id)" or a title; a
# row whose first cell holds "Points Possible" gives the points; an empty grade changes nothing.
# Source: Canvas's importer, instructure/canvas-lms app/models/gradebook_importer.rb
# (row_has_student_headers?, update_column_count, check_for_non_student_row, no_score?), and
# Instructure's guide "How do I import grades in the Gradebook?" (Canvas Instructor Guide).
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle's gradebook import (Grades → Import → CSV file) takes any header: the instructor maps one
# column to the user ("Map from": ID number, email address, username or user id) and each other
# column to a grade item or its feedback ("Map to"). Source: moodle/moodle
# grade/import/csv/classes/load_data.php (map_user_data_with_value: useridnumber, useremail,
# username, userid; feedback columns become grade feedback). ID number is the roster's id.
MOODLE_COLUMNS = ("ID number", "Email address", "Full name")
FORMATS = ("canvas", "moodle", "csv")
POINTS_POSSIBLE = "Points Possible"


class ExportError(Exception):
    """A bad roster, pattern or metadata file (the message says what, in English)."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    moodle_participant_id: str = ""  # Moodle's "Participant" number of the assignment, for the feedback zip


def read_roster(path: Path) -> list[Student]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ExportError(f"roster not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(f"cannot read the roster {path} as UTF-8 text: {error}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ExportError(f"the roster {path} is empty: it needs a header row with at least 'id' and 'name'")
    keys = [re.sub(r"[\s-]+", "_", column.strip().lower()) for column in header]
    missing = [c for c in ("id", "name") if c not in keys]
    if missing:
        raise ExportError(f"the roster {path} has no {' or '.join(repr(c) for c in missing)} column "
                          f"(its header: {', '.join(header)}); columns: {', '.join(ROSTER_COLUMNS)}")
    students, seen = [], set()
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {key: (row[i].strip() if i < len(row) else "") for i, key in enumerate(keys) if key in ROSTER_COLUMNS}
        if not values["id"]:
            raise ExportError(f"the roster {path}, line {line_number}: empty id")
        if values["id"] in seen:
            raise ExportError(f"the roster {path}, line {line_number}: id {values['id']!r} appears twice")
        seen.add(values["id"])
        students.append(Student(**values))
    return students


# ------------------------------------------------------------------------------ patterns


@dataclass(frozen=True)
class Pattern:
    spec: str
    ids: Callable[[str, str], tuple[list[str], str]]  # (path, submission) -> (ids, reason if none)


def make_pattern(spec: str, gradescope_metadata: Path | None = None) -> Pattern:
    if spec == "plain":
        return Pattern(spec, lambda path, submission: ([PurePosixPath(_posix(path)).stem or submission], "")
                       if path else ([submission], ""))
    if spec == "nbgrader":
        return Pattern(spec, _regex_ids(NBGRADER, "submitted/<id>/<assignment>/<notebook>.ipynb"))
    if spec == "gradescope":
        return Pattern(spec, _GradescopeIds(gradescope_metadata))
    try:
        regex = re.compile(spec)
    except re.error as error:
        raise ExportError(f"--pattern {spec!r} is neither {', '.join(PATTERNS)} nor a valid regular "
                          f"expression: {error}") from None
    if "id" not in regex.groupindex:
        raise ExportError(f"--pattern {spec!r} needs a named group 'id', e.g. (?P<id>[0-9]+)\\.ipynb$")
    return Pattern(spec, _regex_ids(regex, spec))


def _posix(path: str) -> str:
    return path.replace("\\", "/")


def _regex_ids(regex: re.Pattern, shape: str):
    def ids(path: str, submission: str):
        match = regex.search(_posix(path)) if path else None
        if match is None and not path:
            match = regex.search(submission)
        if match is None or not match.group("id"):
            return [], f"the path does not match {shape}"
        return [match.group("id")], ""
    return ids


class _GradescopeIds:
    def __init__(self, metadata: Path | None):
        self.explicit = Path(metadata) if metadata else None
        self.cache: dict[Path, dict] = {}
        if self.explicit is not None:
            self.cache[self.explicit] = _read_gradescope_metadata(self.explicit)

    def __call__(self, path: str, submission: str):
        match = GRADESCOPE_FOLDER.search(_posix(path)) if path else None
        if match is None:
            return [], "the path has no submission_<number>/ folder of a Gradescope export"
        folder = match.group("folder")
        metadata = self._metadata_for(path)
        if metadata is None:
            return [], f"no {GRADESCOPE_METADATA} above the notebook (give it with --gradescope-metadata)"
        entry = metadata.get(folder)
        if not isinstance(entry, dict):
            return [], f"{folder} is not in {GRADESCOPE_METADATA}"
        ids = []
        for submitter in _field(entry, "submitters") or []:
            if isinstance(submitter, dict):
                value = str(_field(submitter, "sid") or "").strip() or str(_field(submitter, "email") or "").strip()
                if value:
                    ids.append(value)
        return ids, "" if ids else f"{folder} has no submitter with a student id or email"

    def _metadata_for(self, path: str) -> dict | None:
        if self.explicit is not None:
            return self.cache[self.explicit]
        for parent in Path(path).parents:
            candidate = parent / GRADESCOPE_METADATA
            if candidate in self.cache:
                return self.cache[candidate]
            if candidate.is_file():
                self.cache[candidate] = _read_gradescope_metadata(candidate)
                return self.cache[candidate]
        return None


def _field(entry: dict, name: str):
    """Gradescope writes Ruby symbols (``:sid:``), read by YAML as keys ``:sid``."""
    return entry.get(f":{name}", entry.get(name))


def _read_gradescope_metadata(path: Path) -> dict:
    try:
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"Gradescope metadata not found: {path}") from None
    except Exception as error:  # yaml's errors, OSError, UnicodeDecodeError
        raise ExportError(f"cannot read the Gradescope metadata {path}: {error}") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path} is not Gradescope's submission metadata (a mapping of submission folders)")
    return {str(key).lstrip(":"): value for key, value in data.items()}


# ------------------------------------------------------------------------------ matching


@dataclass
class Matching:
    students: list[Student]
    submission_of: dict[str, str]  # student id -> the submission whose grade they get
    unmatched: list[dict]  # {"submission", "ids", "path", "reason"}
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # student id -> all their submissions

    @property
    def missing(self) -> list[Student]:
        return [s for s in self.students if s.id not in self.submission_of]


def match(results: ClassResults, students: list[Student], pattern: Pattern, counts: str = "highest") -> Matching:
    """Submissions to students; of a student's several submissions, ``counts`` picks the one
    that counts: "latest" (the latest submission time, see ``intake``) or "highest" (total)."""
    by_id = {s.id: s for s in students}
    by_email = {s.email.lower(): s for s in students if s.email}
    found: dict[str, list[str]] = {}
    unmatched = []
    for submission in results.submissions:
        record = results.record(submission)
        path = record.path if record else ""
        ids, reason = pattern.ids(path, submission)
        owners = [by_id.get(i) or by_email.get(i.lower()) for i in ids]
        owners = [o for o in owners if o is not None]
        if not owners:
            unmatched.append({"submission": submission, "ids": ids, "path": path,
                              "reason": reason or "not in the roster"})
        for owner in {o.id: o for o in owners}.values():
            found.setdefault(owner.id, []).append(submission)
    chosen, duplicates = {}, {}
    for student_id, submissions in found.items():
        if counts == "latest":
            submissions.sort(key=lambda s: (-_timestamp(results.submitted_at(s)), -(results.total(s) or 0.0), s))
        else:
            submissions.sort(key=lambda s: (-(results.total(s) or 0.0), s))
        chosen[student_id] = submissions[0]
        if len(submissions) > 1:
            duplicates[student_id] = submissions
    return Matching(students, chosen, unmatched, duplicates)


def _timestamp(when) -> float:
    return when.timestamp() if when is not None else float("-inf")


# ------------------------------------------------------------------------------ writing


def _score(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain_rows(results: ClassResults, matching: Matching) -> list[list[str]]:
    questions = [q.id for q in results.manifest.questions]
    rows = [["id", "name", *questions, "total"]]
    for student in matching.students:
        submission = matching.submission_of.get(student.id)
        if submission is None:
            rows.append([student.id, student.name, *([""] * len(questions)), ""])
        else:
            rows.append([student.id, student.name, *(_score(results.score(submission, q)) for q in questions),
                         _score(results.total(submission))])
    return rows


def canvas_rows(results: ClassResults, matching: Matching, column: str) -> list[list[str]]:
    """Canvas's layout: one assignment column holding the total (a column per question would
    create one Canvas assignment per question)."""
    rows = [[*CANVAS_COLUMNS, column], [POINTS_POSSIBLE, "", "", "", "", _score(results.manifest.possible)]]
    for student in matching.students:
        submission = matching.submission_of.get(student.id)
        total = results.total(submission) if submission is not None else None
        rows.append([student.name, student.canvas_id, student.sis_user_id, student.sis_login_id, student.section,
                     _score(total)])
    return rows


def moodle_rows(results: ClassResults, matching: Matching, column: str) -> list[list[str]]:
    """Moodle's import: the total in one column (mapped to the assignment's grade item) and the
    per-question scores as its feedback text."""
    rows = [[*MOODLE_COLUMNS, column, f"{column} feedback"]]
    questions = [q.id for q in results.manifest.questions]
    for student in matching.students:
        submission = matching.submission_of.get(student.id)
        if submission is None:
            rows.append([student.id, student.email, student.name, "", ""])
            continue
        feedback = ", ".join(f"{q.split('_')[0]} {_score(results.score(submission, q))}" for q in questions)
        rows.append([student.id, student.email, student.name, _score(results.total(submission)), feedback])
    return rows


def write_csv(rows: list[list[str]], path: Path, bom: bool) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(buffer.getvalue(), encoding="utf-8-sig" if bom else "utf-8", newline="")
    temporary.replace(path)


def roster_check(matching: Matching, roster: Path, pattern: Pattern, written: Path) -> dict:
    return {
        "roster": str(roster), "pattern": pattern.spec, "written": str(written),
        "missing": [{"id": s.id, "name": s.name} for s in matching.missing],
        "unmatched": matching.unmatched,
        "duplicates": matching.duplicates,
    }


def export(results: ClassResults, roster: Path, fmt: str, pattern: Pattern, out: Path,
           canvas_column: str | None = None) -> tuple[Matching, dict]:
    """Write the gradebook CSV and ``roster_check.json`` (for the report) in GRADES_DIR."""
    students = read_roster(roster)
    matching = match(results, students, pattern, results.course.counts)
    column = canvas_column or results.manifest.title or results.manifest.id or "assignment"
    if fmt == "canvas":
        write_csv(canvas_rows(results, matching, column), out, bom=False)
    elif fmt == "moodle":
        write_csv(moodle_rows(results, matching, column), out, bom=False)
    elif fmt == "csv":
        write_csv(plain_rows(results, matching), out, bom=True)
    else:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    check = roster_check(matching, roster, pattern, out)
    check["counts"] = results.course.counts
    (results.folder / ROSTER_CHECK).write_text(json.dumps(check, ensure_ascii=False, indent=1), encoding="utf-8")
    return matching, check
