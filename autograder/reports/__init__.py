"""After grading: the class report (``autograder report``) and gradebook CSVs (``autograder export``).

Both read only a graded folder (GRADES_DIR, see ``load``); neither re-runs grading.
``similar.normalized_hash`` is the one function the grader calls from here.
"""

from __future__ import annotations

from pathlib import Path

REPORT_NAME = "report.html"


def build_report(grades_dir: Path, out: Path | None = None, course=None) -> tuple[Path, list[str]]:
    """Write the report; returns its path and the warnings (English) met while reading.
    ``course``: the policy (``course.Course``) to apply, by default none."""
    from . import load, page, summary

    results = load.load(Path(grades_dir), course)
    html = page.render(summary.summarize(results), str(Path(grades_dir).resolve()))
    target = Path(out) if out is not None else Path(grades_dir) / REPORT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(target)
    return target, results.warnings
