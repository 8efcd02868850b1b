"""An instructor's term, end to end, with the tiny test assignment (issue: a whole term without
hand-editing).

Build the notebook with the course's policy in it; collect a class that holds an export zip, a
late submission, a resubmission, a misnamed file, a zip without a notebook and a stray file;
grade; correct one score by hand in ``adjustments.csv``; run the same command again; regrade
one student alone; then the report, the export and the feedback pages. Every number is checked
at every step, and nothing is lost between steps.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import subprocess_env
from corpus import materialize
from corpus import tiny as corpus

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
DUE = dt.datetime(2026, 3, 20, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))
COURSE = """\
[course]
name = "딥러닝 기초 (테스트 반)"

[deadline]
due = 2026-03-20T23:59:00+09:00
grace_minutes = 10
penalty_percent_per_day = 10
zero_after_days = 3

[submission]
counts = "latest"
place = "e-Class의 '작은 과제' 제출함"
file_name = "학번.ipynb (예: 20241234.ipynb)"
id_pattern = "^[0-9]{8}$"

[export]
format = "moodle"
pattern = "plain"
"""
ROSTER = """\
id,name,email,canvas_id,moodle_participant_id
20240001,김하나,one@example.kr,9001,5001
20240002,이둘,two@example.kr,9002,5002
20240003,박셋,three@example.kr,9003,5003
20240004,최넷,four@example.kr,9004,5004
20240005,정다섯,five@example.kr,9005,5005
"""
ADJUSTMENT = "scale 문제의 설명이 모호했으므로 1점을 더합니다"
# submission name -> (points the grader gives, total after the policy and the correction)
EXPECTED = {
    "20240001": (5, 5),  # right, on time
    "20240002": (3, 4),  # the export zip; scale adds instead of multiplying; +1 by hand
    "20240003": (3, 2.4),  # slow_total off by one; 1 day and 11 hours late: 2 started days, 20 % off
    "20240004": (5, 5),  # first upload: right
    "20240004-2": (4, 4),  # the resubmission (latest, so it counts): scale changes its input
    "ch02.ipynb의_사본": (5, 5),  # right, but named as Colab names a download
}


def _at(path: Path, when: dt.datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def _cli(*args, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=900, env=subprocess_env(COLUMNS="200"))
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _rows(path: Path) -> dict[str, dict]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return {row.get("submission") or row.get("ID number"): row for row in rows}


def _class(folder: Path, student, solution) -> None:
    variants = {v.name: v for v in corpus.VARIANTS}

    def put(variant: str, name: str, when: dt.datetime, where: Path = folder) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        made = materialize(variants[variant], student, solution, where)
        return _at(made.rename(where / name), when)

    put("reference", "20240001.ipynb", DUE - dt.timedelta(days=1))
    inner = put("scale-adds", "tiny.ipynb", DUE, folder / "unzipped")
    with zipfile.ZipFile(folder / "20240002.zip", "w") as archive:  # as grader.export() writes it
        archive.write(inner, "tiny.ipynb")
    shutil.rmtree(folder / "unzipped")
    _at(folder / "20240002.zip", DUE - dt.timedelta(hours=3))
    put("total-off-by-one", "20240003.ipynb", DUE + dt.timedelta(days=1, hours=11))
    put("reference", "20240004.ipynb", DUE - dt.timedelta(days=2), folder / "first")
    put("scale-mutates-input", "20240004.ipynb", DUE - dt.timedelta(hours=1), folder / "second")
    put("reference", "ch02.ipynb의 사본.ipynb", DUE - dt.timedelta(days=1))
    with zipfile.ZipFile(folder / "20240006.zip", "w") as archive:
        archive.writestr("readme.txt", "노트북을 빠뜨렸습니다")
    (folder / "notes.txt").write_text("not a submission", encoding="utf-8")


def _check_grades(grades: Path) -> None:
    rows = _rows(grades / "grades.csv")
    assert sorted(rows) == sorted(EXPECTED)
    for name, (_, total) in EXPECTED.items():
        assert float(rows[name]["total"]) == pytest.approx(total), (name, rows[name])
        assert float(rows[name]["possible"]) == 5
    assert rows["20240002"]["q1_basics"] == "4" and rows["20240002"]["adjustment"] == "1"
    assert rows["20240003"]["late_days"] == "2" and float(rows["20240003"]["late_penalty"]) == pytest.approx(0.6)
    assert all(rows[name]["late_days"] == "0" for name in EXPECTED if name != "20240003")


def test_an_instructors_term(tiny, built_tiny, tmp_path, mnist_path):
    student, solution = built_tiny
    course = tmp_path / "course.toml"
    course.write_text(COURSE, encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    folder, grades = tmp_path / "class", tmp_path / "grades"
    _class(folder, student, solution)

    # grade: the zip under its own name, every file not graded listed with its reason
    done = _cli("grade", folder, "--out", grades, "--assignment", "tiny", "--jobs", "2", "--course", course)
    said = " ".join(done.stderr.split())
    assert "not graded: " in said and "20240006.zip: zip 안에 노트북(.ipynb)이 없습니다" in said
    assert "notes.txt: 노트북(.ipynb)이나 zip이 아닙니다" in said
    assert "break the course's file-name rule" in said and "ch02.ipynb의 사본.ipynb" in said
    rows = _rows(grades / "grades.csv")
    for name, (points, _) in EXPECTED.items():
        assert float(rows[name]["q1_basics"]) == points, (name, rows[name]["status"])
    assert (grades / "course.toml").read_text(encoding="utf-8") == COURSE  # kept beside the grades

    # correct by hand; the same command again keeps every submission and never touches the correction
    adjustments = grades / "adjustments.csv"
    adjustments.write_text(f"submission,question,points,comment\n20240002,q1_basics,1,{ADJUSTMENT}\n", encoding="utf-8")
    before = adjustments.read_bytes()
    _cli("grade", folder, "--out", grades, "--assignment", "tiny", "--jobs", "2", "--course", course)
    _check_grades(grades)

    # regrade one student alone: every row stays, the correction survives
    done = _cli("grade", folder / "20240001.ipynb", "--out", grades, "--assignment", "tiny", "--force",
                "--course", course)
    assert "1 submissions graded or kept now, 6 in the folder" in " ".join(done.stderr.split())
    _check_grades(grades)
    assert adjustments.read_bytes() == before

    # a correction naming something unknown is refused, naming its line
    adjustments.write_text(before.decode() + "20249999,q1_basics,2,오타\n", encoding="utf-8")
    refused = _cli("report", grades, check=False)
    assert refused.returncode == 2 and "line 3" in refused.stderr and "20249999" in refused.stderr
    adjustments.write_bytes(before)

    # the report (the policy is found beside the grades): policy, correction, late work, files not graded
    _cli("report", grades)
    page = (grades / "report.html").read_text(encoding="utf-8")
    for text in (ADJUSTMENT, "20240006.zip", "notes.txt", "ch02.ipynb의 사본.ipynb", "재제출: 마지막 제출을 씀",
                 "2026-03-20T23:59:00+09:00", "하루(시작된 날 기준)마다 10% 감점"):
        assert text in page, text

    # the export: Moodle's import (course.toml), the latest resubmission counts, the absent student empty
    _cli("export", grades, "--roster", roster)
    exported = _rows(grades / "gradebook-moodle.csv")
    assert {k: v["작은 테스트 과제"] for k, v in exported.items()} == {
        "20240001": "5", "20240002": "4", "20240003": "2.4", "20240004": "4", "20240005": ""}
    assert exported["20240002"]["Email address"] == "two@example.kr"

    # feedback: one page per student with a submission, named by roster id, and Canvas's zip
    out = tmp_path / "feedback"
    done = _cli("feedback", grades, "--roster", roster, "--out", out, "--zip", "canvas")
    assert sorted(p.name for p in out.glob("*.html")) == [f"2024000{i}.html" for i in range(1, 5)]
    second = (out / "20240002.html").read_text(encoding="utf-8")
    assert "총점: 4 / 5" in second and ADJUSTMENT in second and "강사 의견 (+1점)" in second
    assert "def scale(x, factor):\n    return x + factor" in second  # the student's own code of the failed case
    late = (out / "20240003.html").read_text(encoding="utf-8")
    assert "총점: 2.4 / 5" in late and "2일 늦게 제출해 0.6점 감점" in late and "return np.sum(x) - 1" in late
    fourth = (out / "20240004.html").read_text(encoding="utf-8")
    assert "총점: 4 / 5" in fourth and "채점한 제출: <code>20240004-2</code>" in fourth
    for html in out.glob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "<script" not in text and "http://" not in text and "https://" not in text  # self-contained
    with zipfile.ZipFile(out / "feedback-canvas.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}_900{i}_feedback.html"
                                                    for i, name in enumerate(["김하나", "이둘", "박셋", "최넷"], 1))
    assert "20240005" in " ".join(done.stderr.split())  # no submission, no page: said so

    _look_in_chromium(grades / "report.html", out / "20240002.html", tmp_path)


def _look_in_chromium(report: Path, page: Path, tmp_path: Path) -> None:
    """Both pages load in headless Chromium, and Hangul is drawn as glyphs: two different
    Korean strings in the page's font give different pixels (missing glyphs draw the same boxes)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI")
        pytest.skip(f"{CHROMIUM} not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    from PIL import Image

    shots = {}
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, viewport={"width": 1000, "height": 900},
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        try:
            tab = browser.new_page()
            for name, path in (("report", report), ("feedback", page)):
                tab.goto(path.resolve().as_uri())
                tab.wait_for_load_state("load")
                shots[name] = tmp_path / f"{name}.png"
                tab.screenshot(path=str(shots[name]), full_page=True)
            total = tab.inner_text(".total")
            comment = tab.inner_text(".comment")
            glyphs = []
            for text in ("총점 분포", "학생 비율"):
                tab.evaluate("t => { document.querySelector('h1').textContent = t; }", text)
                shot = tmp_path / f"glyphs-{len(glyphs)}.png"
                tab.locator("h1").screenshot(path=str(shot))
                with Image.open(shot) as image:
                    glyphs.append(np.asarray(image.convert("L")))
        finally:
            browser.close()
    assert total == "총점: 4 / 5" and ADJUSTMENT in comment
    assert glyphs[0].shape == glyphs[1].shape and (glyphs[0] != glyphs[1]).any() and glyphs[0].std() > 5
    for name, shot in shots.items():
        with Image.open(shot) as image:
            assert np.asarray(image.convert("L")).std() > 10, name  # something was drawn
        if os.environ.get("TERM_SCREENSHOTS"):  # keep them, e.g. for the closing note
            shutil.copy(shot, Path(os.environ["TERM_SCREENSHOTS"]) / f"{name}.png")


def test_the_built_notebook_states_the_rule_and_submits_after_a_run_that_stopped(tiny, tmp_path, mnist_path):
    """Build with the course's policy: the export cell and the paragraph above it carry its
    file-name rule and place. Then, as a student whose "run all" stopped at an unfinished
    function: a fresh kernel runs only the setup cell and the export cell, and the zip is made."""
    import nbformat
    from nbclient import NotebookClient

    from autograder import course as courses
    from autograder.engine.kernel import harness_source
    from autograder.targets import notebooks
    from autograder.targets.build import student_and_solution
    from conftest import cell_text

    course = tmp_path / "course.toml"
    course.write_text(COURSE, encoding="utf-8")
    student, _ = student_and_solution(tiny, courses.load(course))
    export = notebooks.cells_with_role(student, "export")[0]
    assert export.source == ("grader.export(pdf=False, file_name='학번.ipynb (예: 20241234.ipynb)', "
                             "place=\"e-Class의 '작은 과제' 제출함\")")
    folder = tmp_path / "student"
    path = notebooks.write_notebook(student, folder / "20241234.ipynb")
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(harness_source(tiny.kit_roots, 200_000, [])),
                notebooks.cells_with_role(nb, "setup")[0], notebooks.cells_with_role(nb, "export")[0]]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute(cwd=str(folder), env=subprocess_env())
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == [], [(e.ename, e.evalue) for e in errors]
    said = cell_text(nb.cells[-1])
    assert "제출 파일을 만들었습니다" in said and "e-Class의 '작은 과제' 제출함" in said and "학번.ipynb" in said
    made = sorted(folder.glob("*.zip"))
    assert len(made) == 1 and "20241234.ipynb" in zipfile.ZipFile(made[0]).namelist()
