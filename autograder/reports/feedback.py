"""Feedback back to students: one self-contained Korean HTML page per student
(``autograder feedback``), and optionally a zip an LMS takes for bulk feedback files.

A page shows the total and each question's score as the gradebook has them (the course's
policy, a person's corrections and the late penalty applied, see ``scoring``), every case
with its points and message, the instructor's comments (``adjustments.csv``), and, for each
failed case, the student's own code of the object it graded, read from the notebook that was
graded. No script, no external file: a student opens it anywhere.

LMS zips (``--zip``):

- ``canvas``: Canvas's "Upload Submission Comments" (gradebook, assignment menu) attaches each
  file of the zip as a comment to the submission of the user whose Canvas id is the first
  all-digit part of the file name split at "_" (the layout of Canvas's own "Download
  Submissions": ``lastfirst_<user id>_<attachment id>_<name>``). Source: instructure/canvas-lms
  app/models/assignment.rb, ``generate_comments_from_files`` and
  ``infer_comment_context_from_filename``. Needs the roster's ``canvas_id``.
- ``moodle``: the assignment's "Upload multiple feedback files in a zip" (feedback type
  "Feedback files" on) reads the participant from names split at "_" as
  ``fullname_<participant id>_<plugin type>_<plugin name>_<file>``, the layout of Moodle's
  "Download all submissions"; the plugin must be one the assignment has (``assignsubmission_file``,
  file submissions). Source: moodle/moodle mod/assign/feedback/file/importziplib.php,
  ``is_valid_filename_for_import``. Needs the roster's ``moodle_participant_id``.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .load import ClassResults, Record

LMS_ZIPS = ("canvas", "moodle")
CSS = """
body{font-family:"Noto Sans KR","NanumGothic","Nanum Gothic","Malgun Gothic","Apple SD Gothic Neo",sans-serif;
 margin:0 auto;max-width:920px;padding:16px 24px 48px;color:#222;line-height:1.55}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:2px solid #3b6ea8;padding-bottom:4px;margin-top:1.6em}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef3f9}td.n{text-align:right;white-space:nowrap}.total{font-size:1.25em;font-weight:700}
pre{white-space:pre-wrap;background:#f6f8fa;border:1px solid #e1e4e8;padding:8px;font-size:.88em;margin:4px 0}
.ok{color:#1a7f37;font-weight:700}.bad{color:#b42318;font-weight:700}.comment{background:#fff8e1;border-left:4px solid #e0a800;padding:6px 10px;margin:6px 0}
.late{background:#fdecea;border-left:4px solid #b42318;padding:6px 10px}.meta{color:#555}ul.cases{padding-left:1.2em}
"""


@dataclass(frozen=True)
class Page:
    key: str  # the roster id, or the submission name without a roster
    submission: str
    name: str  # the student's name, "" without a roster
    html: str


def _num(value: float | None) -> str:
    return "–" if value is None else f"{round(value, 2):g}"


def _object_of(case) -> str:
    name = case.detail.get("object")
    if isinstance(name, str) and name:
        return name
    head = case.name.split(":", 1)[0].strip()
    return head if head.isidentifier() else ""


def notebook_code(path: str | Path) -> dict[str, str]:
    """name -> source of its last top-level definition (function, class or assignment) in the
    notebook's code cells; {} when the file cannot be read."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        # magics and shell lines are not Python; blank them so line numbers stay
        python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            tree = ast.parse(python)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for name in names:
                segment = ast.get_source_segment(python, node)
                if segment:
                    found[name] = segment
    return found


def _graded_file(results: ClassResults, record: Record) -> str:
    entry = results.intake.get("submissions", {}).get(record.submission) or {}
    return str(entry.get("graded_path") or record.path)


def render(results: ClassResults, record: Record, who: str = "", name: str = "") -> str:
    scored = results.scored[record.submission]
    manifest = results.manifest
    title = manifest.title or manifest.id or "과제"
    code = notebook_code(_graded_file(results, record))
    heading = f"{escape(who or record.submission)}" + (f" {escape(name)}" if name else "")
    parts = [f"<h1>{escape(title)} 채점 결과</h1>",
             f'<p class="meta">학생: {heading} · 채점한 제출: <code>{escape(record.submission)}</code>'
             + (f" · 제출 시각 {escape(results.course.shown(scored.submitted_at))}" if scored.submitted_at else "")
             + "</p>",
             f'<p class="total">총점: {_num(scored.total)} / {_num(scored.possible)}</p>']
    if scored.late.is_late:
        parts.append(f'<p class="late">마감보다 {scored.late.days}일 늦게 제출해 {_num(scored.late_penalty)}점 감점했습니다 '
                     f"(감점 전 {_num(scored.before_late)}점).</p>")
    rows = "".join(f"<tr><td>{escape(q.id)}</td><td>{escape(q.title)}</td>"
                   f"<td class=n>{_num(scored.questions.get(q.id))} / {_num(q.points)}</td></tr>"
                   for q in manifest.questions)
    parts.append(f"<h2>문제별 점수</h2><table><tr><th>문제</th><th>제목</th><th>점수</th></tr>{rows}</table>")
    if record.status != "ok":
        reasons = "".join(f"<li>{escape(part)}</li>" for part in record.status.split("; ") if part)
        parts.append(f"<h2>채점 중 발견된 문제</h2><ul>{reasons}</ul>")
    for question in manifest.questions:
        cases = [c for c in record.cases if c.question == question.id]
        comments = [a for a in scored.adjustments if a.question == question.id]
        parts.append(f'<section id="{escape(question.id)}"><h2>{escape(question.id)}: {escape(question.title)} '
                     f"({_num(scored.questions.get(question.id))} / {_num(question.points)})</h2>")
        for comment in comments:
            change = f"{comment.points:+g}점" if comment.points else "점수 변화 없음"
            parts.append(f'<div class="comment"><strong>강사 의견 ({change})</strong>: {escape(comment.comment)}</div>')
        items, shown = [], set()
        for case in cases:
            # words, not emoji: a student's machine may have no emoji font
            mark = '<span class="ok">[통과]</span>' if case.passed else '<span class="bad">[실패]</span>'
            item = f"<li>{mark} {escape(case.name)} ({_num(case.points)}/{_num(case.max_points)})"
            if case.message and not case.passed:
                item += f"<pre>{escape(case.message)}</pre>"
            target = _object_of(case)
            if not case.passed and target and target not in shown:
                shown.add(target)
                if target in code:
                    item += (f"<details open><summary>제출한 코드: {escape(target)}</summary>"
                             f"<pre><code>{escape(code[target])}</code></pre></details>")
                else:
                    item += f'<p class="meta">제출한 노트북에서 {escape(target)}의 정의를 찾지 못했습니다.</p>'
            items.append(item + "</li>")
        parts.append(f'<ul class="cases">{"".join(items)}</ul></section>')
    if record.cell_errors:
        errors = "".join(f"<li>{escape(e)}</li>" for e in record.cell_errors[:30])
        parts.append(f"<h2>실행 중 오류가 난 셀</h2><ul>{errors}</ul>")
    policy = "".join(f"<li>{escape(line)}</li>" for line in results.course.policy_lines()[1:])
    parts.append(f"<h2>이 과제의 정책</h2><ul>{policy}</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)} 채점 결과 — {escape(who or record.submission)}</title>\n<style>{CSS}</style>\n"
            "</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n")


def pages(results: ClassResults, matching=None) -> list[Page]:
    """One page per student of ``matching`` (``gradebook.Matching``) with a submission, or one
    per graded submission without a roster."""
    if matching is None:
        return [Page(r.submission, r.submission, "", render(results, r)) for r in results.records]
    found = []
    for student in matching.students:
        submission = matching.submission_of.get(student.id)
        record = results.record(submission) if submission else None
        if record is not None:
            found.append(Page(student.id, submission, student.name, render(results, record, student.id, student.name)))
    return found


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("._") or "student"


def write(results: ClassResults, out: Path, matching=None, lms: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``out/<key>.html`` per page, and ``out/feedback-<lms>.zip``; returns the pages
    written and the students left out of the zip (Korean-free English, for the terminal)."""
    from ..engine import files

    out = Path(out)
    written, left_out = [], []
    made = pages(results, matching)
    for page in made:
        path = out / f"{_safe(page.key)}.html"
        files.write_text(path, page.html)
        written.append(path)
    if lms:
        by_id = {s.id: s for s in matching.students} if matching is not None else {}
        entries = []
        for page in made:
            student = by_id.get(page.key)
            if lms == "canvas":
                if student is None or not student.canvas_id.isdigit():
                    left_out.append(f"{page.key} (no numeric canvas_id in the roster)")
                    continue
                letters = re.sub(r"[^A-Za-z가-힣]+", "", student.name) or "student"  # no digits before the id
                entries.append((f"{letters}_{student.canvas_id}_feedback.html", page.html))
            else:
                if student is None or not student.moodle_participant_id.isdigit():
                    left_out.append(f"{page.key} (no numeric moodle_participant_id in the roster)")
                    continue
                full = re.sub(r"[_/\\]+", " ", student.name).strip() or "student"
                entries.append((f"{full}_{student.moodle_participant_id}_assignsubmission_file_{_safe(page.key)}.html",
                                page.html))
        target = out / f"feedback-{lms}.zip"
        temporary = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, html in entries:
                archive.writestr(name, html)
        temporary.replace(target)
        written.append(target)
    return written, left_out
