"""The class report and the gradebook export, on a synthetic graded class (``report_class``).

Fast: no kernel, no TensorFlow. The browser test drives Debian's Chromium (``/usr/bin/chromium``,
installed by ``.ci/run``) with Playwright; it is skipped only outside CI when Chromium is absent.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import report_class
from autograder.cli import app
from autograder.reports import build_report, gradebook, load, plots, summary
from autograder.reports.clusters import cluster_messages, normalize_message
from autograder.reports.page import SECTIONS
from autograder.engine.code_hash import normalized_hash
from autograder.reports.similar import similar_groups

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory) -> tuple[Path, list[report_class.Student]]:
    folder = tmp_path_factory.mktemp("grades")
    return folder, report_class.write_class(folder, size=40, seed=1)


@pytest.fixture(scope="module")
def built_report(graded_class) -> Path:
    folder, _ = graded_class
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path, warnings_seen = build_report(folder)
    assert warnings_seen == []
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []  # no box glyphs
    return path


def _with(students, mistake):
    return sorted(s.submission for s in students if mistake in s.mistakes and not s.whole_file_reason)


# ------------------------------------------------------------------------------ similar code

RELU = '''
import numpy as np

def naive_relu(x):
    """The course text's naive relu."""
    assert len(x.shape) == 2, "x must be 2-D"
    x = x.copy()  # never change the input
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x
'''
RELU_DISGUISED = '''
%matplotlib inline
def naive_relu(arr: np.ndarray) -> np.ndarray:
    # renamed, reformatted, no docstring
    assert len(arr.shape)==2
    arr = arr.copy()
    for row in range( arr.shape[0] ):
        for col in range(arr.shape[1]):
            arr[row, col] = max(arr[row, col],
                                0)
    return arr
'''
GENERATOR = '''
class BatchGenerator:
    def __init__(self, images, labels, batch_size=128):
        assert len(images) == len(labels)
        self.index = 0
        self.images = images
        self.labels = labels
        self.batch_size = batch_size
        self.num_batches = math.ceil(len(images) / batch_size)

    def next(self):
        images = self.images[self.index : self.index + self.batch_size]
        labels = self.labels[self.index : self.index + self.batch_size]
        self.index += self.batch_size
        return images, labels
'''
GENERATOR_DISGUISED = '''
class BatchGenerator:
    """Batches, one after another."""
    def __init__(me, xs, ys, batch_size=128):
        assert len(xs) == len(ys)
        me.pos = 0
        me.xs = xs
        me.ys = ys
        me.size = batch_size
        me.num_batches = math.ceil(len(xs) / batch_size)

    def next(me):
        a = me.xs[me.pos : me.pos + me.size]
        b = me.ys[me.pos : me.pos + me.size]
        me.pos += me.size
        return a, b
'''


def test_hash_ignores_names_comments_docstrings_annotations_and_formatting():
    assert normalized_hash(RELU, "naive_relu") is not None
    assert normalized_hash(RELU, "naive_relu") == normalized_hash(RELU_DISGUISED, "naive_relu")
    assert normalized_hash(GENERATOR, "BatchGenerator") == normalized_hash(GENERATOR_DISGUISED, "BatchGenerator")


def test_hash_renames_locals_per_function_scope():
    # "images" is a parameter of __init__ and a local of next in one version, two names in the other
    assert normalized_hash(GENERATOR.replace("images = self", "got = self").replace("return images", "return got"),
                           "BatchGenerator") == normalized_hash(GENERATOR, "BatchGenerator")


@pytest.mark.parametrize("changed", [
    RELU.replace("max(x[i, j], 0)", "max(x[i, j], 1)"),  # a constant
    RELU.replace("    x = x.copy()  # never change the input\n", ""),  # a statement gone
    RELU.replace("range(x.shape[1])", "range(x.shape[0])"),  # another bound
    RELU.replace("max(x[i, j], 0)", "min(x[i, j], 0)"),  # another builtin: globals are kept
])
def test_hash_sees_a_real_change(changed):
    assert normalized_hash(changed, "naive_relu") not in (None, normalized_hash(RELU, "naive_relu"))


def test_hash_keeps_the_class_interface():
    renamed_method = GENERATOR.replace("def next(self)", "def next_batch(self)")
    assert normalized_hash(renamed_method, "BatchGenerator") != normalized_hash(GENERATOR, "BatchGenerator")
    other_attribute = GENERATOR.replace("self.num_batches = math.ceil", "self.count = math.ceil")
    assert normalized_hash(other_attribute, "BatchGenerator") == normalized_hash(GENERATOR, "BatchGenerator")


def test_hash_none_for_stubs_absent_names_and_broken_cells():
    stub = 'def naive_relu(x):\n    """힌트"""\n    raise NotImplementedError("naive_relu: 아직 구현하지 않았습니다.")\n'
    stub_class = ("class NaiveDense:\n    def __init__(self, a, b, c):\n        raise NotImplementedError('x')\n"
                  "    @property\n    def weights(self):\n        raise NotImplementedError\n")
    assert normalized_hash(stub, "naive_relu") is None
    assert normalized_hash(stub_class, "NaiveDense") is None
    assert normalized_hash(stub_class.replace("raise NotImplementedError\n", "return []\n"), "NaiveDense")
    assert normalized_hash(RELU, "naive_add") is None
    assert normalized_hash("def naive_relu(x):\n    return x +\n", "naive_relu") is None


def test_hash_takes_the_last_definition_and_assignments():
    twice = RELU + "\ndef naive_relu(x):\n    return np.maximum(x, 0)\n"
    assert normalized_hash(twice, "naive_relu") == normalized_hash("naive_relu = 1\ndef naive_relu(y):\n"
                                                                   "    return np.maximum(y, 0)\n", "naive_relu")
    assert normalized_hash("relu = lambda x: np.maximum(x, 0)", "relu") == \
        normalized_hash("relu = lambda v: np.maximum(v, 0)  # short", "relu")


def test_similar_groups_exclude_the_course_text_and_missing_code():
    reference = {"naive_relu": "R1", "naive_add": "R2", "fit": "R3"}
    hashes = {
        "ann": {"naive_relu": "R1", "naive_add": "R2", "fit": "R3"},  # the course text
        "bob": {"naive_relu": "R1", "naive_add": "R2", "fit": "R3"},
        "cho": {"naive_relu": "X1", "naive_add": "X2", "fit": "R3"},  # shared, not the course text
        "dan": {"naive_relu": "X1", "naive_add": "X2", "fit": "R3"},
        "eun": {"naive_relu": "X1", "naive_add": "R2", "fit": "R3"},  # alone
        "fay": {"naive_relu": None, "naive_add": None, "fit": None},  # untouched stubs
        "gil": {"naive_relu": None, "naive_add": None, "fit": None},
        "han": {"naive_relu": "R1", "naive_add": "R2", "fit": "F9"},
        "ivy": {"naive_relu": "R1", "naive_add": "R2", "fit": "F9"},
        "jin": {},  # no hashes recorded
        "kim": {},
    }
    groups = similar_groups(hashes, reference)
    assert [(g.members, g.differing) for g in groups] == [
        (("cho", "dan"), ("naive_add", "naive_relu")), (("han", "ivy"), ("fit",))]
    # a second accepted version of the course text's fit (e.g. the text's own, with its slip)
    assert [g.members for g in similar_groups(hashes, {**reference, "fit": ["R3", "F9"]})] == [("cho", "dan")]
    assert [g.members for g in similar_groups(hashes, reference, min_differing=2)] == [("cho", "dan")]


# ------------------------------------------------------------------------------ clusters


def test_same_mistake_on_other_numbers_is_one_cluster():
    rngs = [np.random.default_rng(seed) for seed in range(6)]
    for mistake in ("relu_mutates", "transpose_loses_dtype", "crop_center_off_by_one", "fit_ignores_batch_size",
                    "batches_floor", "update_weights_global", "relu_vectorised", "add_row_arithmetic"):
        produce = report_class.MISTAKES[mistake]
        per_case: dict = {}
        for index, rng in enumerate(rngs):
            for case, message in produce(rng).items():
                per_case.setdefault(case, []).append((f"s{index}", message))
        assert any(len({m for _, m in failures}) > 1 for failures in per_case.values()), \
            f"{mistake}: the fixture should vary the numbers"
        for case, failures in per_case.items():
            clusters = cluster_messages(failures)
            assert len(clusters) == 1, f"{mistake} {case}: {[c.key for c in clusters]}"
            assert clusters[0].members == tuple(f"s{i}" for i in range(6))


def test_retries_and_accuracies_fold_into_one_cluster():
    once = "테스트 정확도가 0.8 미만입니다.\n시드 0: 테스트 정확도 0.0980 (14초, tf.function)"
    thrice = ("테스트 정확도가 0.8 미만입니다.\n시드 0: 테스트 정확도 0.7611 (31초, tf.function)\n"
              "시드 1: 테스트 정확도 0.7457 (14초, tf.function)\n시드 2: 테스트 정확도 0.7564 (23초, tf.function)")
    assert normalize_message(once) == normalize_message(thrice)
    eager = once.replace("tf.function", "즉시 실행")
    assert normalize_message(eager) != normalize_message(once)


def test_different_mistakes_stay_apart():
    x = "- 입력 x: shape (2, 3), int32: [[ 1, -2,  3],\n [-4,  5, -6]]"
    want = "- 기대값: shape (3, 2), int32: [[ 1, -4],\n [-2,  5],\n [ 3, -6]]"
    messages = {
        "values": f"naive_transpose: 결과 값이 다릅니다.\n{x}\n{want}\n- 받은 값: shape (3, 2), int32: [[ 1, -2],\n [ 3, -4],\n [ 5, -6]]",
        "shape": f"naive_transpose: 결과의 모양이 다릅니다.\n{x}\n{want}\n- 받은 값: shape (2, 3), int32: [[ 1, -2,  3],\n [-4,  5, -6]]",
        "dtype": f"결과의 dtype이 입력과 같아야 합니다: 기대 int32, 받은 float64.\n{x}\n{want}\n- 받은 값: shape (3, 2), float64: [[ 1., -4.],\n [-2.,  5.],\n [ 3., -6.]]",
        "stub": f"naive_transpose 호출이 실패했습니다.\n{x}\n{want}\n- 받은 값: 아직 구현하지 않았습니다 (naive_transpose: 아직 구현하지 않았습니다.)",
        "timeout": f"naive_transpose 호출이 실패했습니다.\n{x}\n{want}\n- 받은 값: 시간 제한을 넘겼습니다 (5초 시간 제한 초과). 무한 루프가 없는지 확인하세요.",
        "tensor": f"naive_transpose: 결과 값이 다릅니다.\n{x}\n{want}\n- 받은 값: tf Tensor shape (3, 2), int32: [[ 1, -2],\n [ 3, -4],\n [ 5, -6]]",
        "dot": "naive_matrix_dot은(는) 반복문으로 직접 구현해야 합니다. 벡터화된 연산이 보입니다: np.dot (naive_matrix_dot 3행)",
        "sum": "naive_matrix_dot은(는) 반복문으로 직접 구현해야 합니다. 벡터화된 연산이 보입니다: .sum (naive_matrix_dot 3행)",
        "sgd": "옵티마이저: 기대 RMSprop, 받은 SGD (compile을 호출했나요?)",
        "adam": "옵티마이저: 기대 RMSprop, 받은 Adam (compile을 호출했나요?)",
    }
    keys = {kind: normalize_message(message) for kind, message in messages.items()}
    assert len(set(keys.values())) == len(keys), keys
    clusters = cluster_messages([(f"s{i}", m) for i, m in enumerate(messages.values())])
    assert len(clusters) == len(messages)


def test_clusters_are_counted_and_sorted():
    failures = [("b", "받은 값: 0.5"), ("a", "받은 값: 0.25"), ("c", "다른 문장 1"), ("d", "받은 값: -3")]
    clusters = cluster_messages(failures)
    assert [(c.count, c.members) for c in clusters] == [(3, ("a", "b", "d")), (1, ("c",))]
    assert clusters[0].example == "받은 값: 0.25"  # the first member's own message


# ------------------------------------------------------------------------------ loading


def test_loader_skips_and_lists_what_it_cannot_read(tmp_path):
    report_class.write_class(tmp_path, size=6, seed=2)
    (tmp_path / "20240002" / "result.json").unlink()  # grading interrupted
    (tmp_path / "20240003" / "result.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "stray").mkdir()  # a folder that is not a submission
    (tmp_path / "assignment.json").unlink()
    results = load.load(tmp_path)
    assert sorted(r.submission for r in results.records) == ["20240001", "20240004", "20240005", "20240006"]
    assert [name for name, _ in results.skipped] == ["20240002", "20240003", "stray"]
    assert [q.id for q in results.manifest.questions] == [q for q, _, _ in report_class.QUESTIONS]
    assert results.manifest.possible == 100 and not results.manifest_found
    assert results.total("20240002") is not None  # still in grades.csv
    page = build_report(tmp_path)[0].read_text(encoding="utf-8")
    assert "20240003" in page and "result.json을 읽을 수 없습니다" in page


def test_loader_refuses_folders_that_are_not_graded(tmp_path):
    with pytest.raises(load.GradesDirError):
        load.load(tmp_path / "missing")
    with pytest.raises(load.GradesDirError):
        load.load(tmp_path)


# ------------------------------------------------------------------------------ the report


def test_report_numbers_follow_the_records(graded_class):
    folder, students = graded_class
    results = load.load(folder)
    numbers = summary.summarize(results)
    assert numbers.count == 40 and numbers.possible == 100
    with open(folder / "grades.csv", encoding="utf-8") as handle:
        totals = [float(row["total"]) for row in csv.DictReader(handle)]
    assert numbers.mean == pytest.approx(sum(totals) / len(totals))
    # clusters: every student with the dtype mistake is in one cluster of that case
    dtype_case = next(c for c in numbers.cases if c.name == "naive_transpose: 결과 모양과 dtype")
    dtype_cluster = next(c for c in dtype_case.clusters if "dtype이 입력과 같아야" in c.example)
    assert list(dtype_cluster.members) == _with(students, "transpose_loses_dtype")
    # hardest case first
    assert [c.fail_rate for c in numbers.cases] == sorted((c.fail_rate for c in numbers.cases), reverse=True)
    # training: accuracies, the bar, the cache
    training = numbers.training
    measured = [s.accuracy for s in students if s.accuracy is not None and not s.whole_file_reason]
    assert sorted(training.values) == sorted(measured) and training.bar == 0.8
    cached = sum(1 for s in students if "q8_from_scratch:train" in json.loads(
        (folder / s.submission / "result.json").read_text(encoding="utf-8"))["cached"])
    assert training.cached == cached > 0
    assert [s for s, _ in training.below] == sorted((s.submission for s in students if s.accuracy is not None
                                                     and s.accuracy < 0.8 and not s.whole_file_reason),
                                                    key=lambda name: next(x.accuracy for x in students
                                                                          if x.submission == name))
    # statuses that are not ok, the grader error among them
    assert sorted(p.submission for p in numbers.problems) == sorted(s.submission for s in students if s.status != "ok")
    assert any(p.grader_error == "KeyError: 'train'" for p in numbers.problems)
    # similar code: the planted groups, not the course text, not the untouched stubs
    assert [g.members for g in numbers.similar] == [("20240007", "20240008", "20240009"), ("20240013", "20240014")]


def test_report_page_has_every_section(built_report):
    page = built_report.read_text(encoding="utf-8")
    for key, heading in SECTIONS[:-1]:  # the roster section only after an export
        assert f'<section id="{key}">' in page and heading in page
    assert 'id="roster"' not in page
    assert "표절 판정이 아닙니다" in page
    assert page.count('<img src="data:image/png;base64,') == 4
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained


def test_report_escapes_what_students_wrote(tmp_path):
    report_class.write_class(tmp_path, size=4, seed=3)
    path = tmp_path / "20240002" / "result.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["cases"][0].update(points=0.0, message="받은 값: <script>alert(1)</script>")
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    page = build_report(tmp_path)[0].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _chromium_or_skip():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-nanum)")
    return pytest.importorskip("playwright.sync_api")


def test_report_in_headless_chromium(built_report, tmp_path):
    sync_api = _chromium_or_skip()
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1200, "height": 900})
        try:
            page = browser.new_page()
            page.goto(built_report.resolve().as_uri())
            page.wait_for_load_state("load")
            widths = page.evaluate("Array.from(document.images, i => i.complete ? i.naturalWidth : 0)")
            sections = page.evaluate("Array.from(document.querySelectorAll('section'), "
                                     "s => [s.id, s.querySelector('h2').textContent])")
            similar_note = page.inner_text("#similar .note")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert len(widths) == 4 and all(width > 0 for width in widths), widths
    assert sections == [[key, heading] for key, heading in SECTIONS[:-1]]
    assert "표절 판정이 아닙니다" in similar_note
    from PIL import Image

    with Image.open(shot) as image:
        assert image.width == 1200 and image.height > 3000
        pixels = np.asarray(image.convert("L"))
    assert pixels.std() > 10  # something was drawn
    if os.environ.get("REPORT_SCREENSHOT"):  # keep it, e.g. for the README
        shutil.copy(shot, os.environ["REPORT_SCREENSHOT"])


# ------------------------------------------------------------------------------ Hangul in the plots

PLOTS = {
    "totals": lambda: plots.totals_histogram([55, 70, 82.5, 91, 100], 100, 79.7, 82.5),
    "questions": lambda: plots.questions_chart(["q1", "q2"], [0.9, 0.5], [0.8, 0.3], [0.05, 0.2]),
    "cases": lambda: plots.cases_chart(["q6 · naive_transpose: 결과 모양과 dtype", "q8 · 훈련: 10 에포크 후 테스트 정확도 ≥ 0.8"],
                                       [0.4, 0.2]),
    "training": lambda: plots.training_histogram([0.81, 0.82, 0.75, 0.098], 0.8),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plots_draw_every_glyph_in_the_korean_font(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = PLOTS[name]()
        png = plots.to_png(figure)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert png.startswith(b"\x89PNG")
    _, nanum = plots.korean_font()
    texts = [t for t in figure.findobj(lambda artist: hasattr(artist, "get_fontproperties")) if t.get_text()]
    assert any(any("\uac00" <= ch <= "\ud7a3" for ch in t.get_text()) for t in texts)  # Hangul is there
    from matplotlib import font_manager

    for text in texts:
        assert Path(font_manager.findfont(text.get_fontproperties())).name == nanum.name, text.get_text()


def _render(text: str, family: str | None) -> np.ndarray:
    from matplotlib.figure import Figure
    from PIL import Image

    figure = Figure(figsize=(2, 0.6))
    with plots.korean_style():  # the report's font, unless the text asks for another family
        figure.text(0.05, 0.3, text, fontsize=20, **({"family": family} if family else {}))
    return np.asarray(Image.open(io.BytesIO(plots.to_png(figure))).convert("L"))


def test_hangul_renders_as_glyphs_not_boxes():
    first, second = _render("총점 분포", None), _render("학생 비율", None)
    assert first.shape == second.shape and (first != second).any()
    # the control shows the test can fail: without the Korean font both draw the same boxes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        boxes_first, boxes_second = _render("총점 분포", "DejaVu Sans"), _render("학생 비율", "DejaVu Sans")
    assert (boxes_first == boxes_second).all()
    assert any("missing from font" in str(w.message) for w in caught)


# ------------------------------------------------------------------------------ gradebook export


def _roster(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "name", "canvas_id", "sis_user_id", "sis_login_id",
                                                    "section"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture()
def exported_class(tmp_path):
    folder = tmp_path / "grades"
    students = report_class.write_class(folder, size=8, seed=4)
    roster = _roster(tmp_path / "roster.csv", [
        {"id": s.submission, "name": f"학생, {index}", "canvas_id": str(1000 + index),
         "sis_user_id": s.submission, "sis_login_id": f"user{index}", "section": "01분반"}
        for index, s in enumerate(students[:6])
    ] + [{"id": "20249998", "name": "제출 안 함", "canvas_id": "2000", "sis_user_id": "20249998",
          "sis_login_id": "absent", "section": "02분반"}])
    return folder, roster, students


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_canvas_csv_follows_canvas_import_layout(exported_class):
    folder, roster, students = exported_class
    result = CliRunner().invoke(app, ["export", str(folder), "--roster", str(roster), "--format", "canvas",
                                      "--canvas-column", "2장 과제 (4567)"])
    assert result.exit_code == 0, result.output
    path = folder / "gradebook-canvas.csv"
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = _read(path)
    # Canvas's importer: "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then assignments;
    # a row starting with "Points Possible"; then one row per student
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "2장 과제 (4567)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "100"]
    assert len(rows) == 2 + 7 and all(len(row) == 6 for row in rows)
    with open(folder / "grades.csv", encoding="utf-8") as handle:
        grades = {row["submission"]: row["total"] for row in csv.DictReader(handle)}
    for index, student in enumerate(students[:6]):
        assert rows[2 + index] == [f"학생, {index}", str(1000 + index), student.submission, f"user{index}",
                                   "01분반", grades[student.submission]]
    assert rows[-1] == ["제출 안 함", "2000", "20249998", "absent", "02분반", ""]  # empty: Canvas changes nothing


def test_plain_csv_and_the_lists_of_who_is_missing(exported_class):
    folder, roster, students = exported_class
    result = CliRunner().invoke(app, ["export", str(folder), "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    path = folder / "gradebook.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Korean names
    rows = _read(path)
    questions = [q for q, _, _ in report_class.QUESTIONS]
    assert rows[0] == ["id", "name", *questions, "total"]
    with open(folder / "grades.csv", encoding="utf-8") as handle:
        grades = {row["submission"]: row for row in csv.DictReader(handle)}
    for row in rows[1:7]:
        assert row[2:] == [grades[row[0]][q] for q in questions] + [grades[row[0]]["total"]]
    assert rows[7] == ["20249998", "제출 안 함", *([""] * len(questions)), ""]
    check = json.loads((folder / "roster_check.json").read_text(encoding="utf-8"))
    assert [m["id"] for m in check["missing"]] == ["20249998"]
    assert [u["submission"] for u in check["unmatched"]] == [s.submission for s in students[6:]]
    assert "20249998" in result.output and students[7].submission in result.output
    page = build_report(folder)[0].read_text(encoding="utf-8")
    roster_section = page[page.index('<section id="roster">'):]
    assert "제출 안 함" in roster_section and students[6].submission in roster_section


def _record_at(folder: Path, submission: str, path: str, total_points: float = 1.0) -> None:
    (folder / submission).mkdir(parents=True)
    (folder / submission / "result.json").write_text(json.dumps({
        "submission": submission, "path": path, "status": "ok", "code_hashes": {},
        "cases": [{"question": "q1", "name": "c", "points": total_points, "max_points": 2.0, "message": ""}]}))


def test_patterns_find_ids_the_usual_ways(tmp_path):
    grades = tmp_path / "grades"
    export_root = tmp_path / "assignment_991_export"
    (export_root / "submission_111").mkdir(parents=True)
    (export_root / "submission_metadata.yml").write_text(
        "submission_111:\n  :submitters:\n  - :name: 김민지\n    :sid: '20240001'\n    :email: mj@example.ac.kr\n"
        "  :created_at: 2026-09-30 10:00:00.000000000 +09:00\n  :score: 0.0\n"
        "submission_222:\n  :submitters:\n  - :name: 이서준\n    :sid: ''\n    :email: sj@example.ac.kr\n"
        "  - :name: 박하늘\n    :sid: '20240003'\n    :email: hn@example.ac.kr\n", encoding="utf-8")
    _record_at(grades, "ch02", str(export_root / "submission_111" / "ch02.ipynb"))
    _record_at(grades, "ch02-2", str(export_root / "submission_222" / "ch02.ipynb"), 2.0)
    _record_at(grades, "ch02-3", "/srv/nbgrader/submitted/20240004/ch02/ch02.ipynb")
    _record_at(grades, "20240005", "/home/t/hw/20240005.ipynb")
    _record_at(grades, "hw_20240006_final", "/home/t/hw/hw_20240006_final.ipynb")
    results = load.load(grades)
    students = [gradebook.Student(f"2024000{i}", f"s{i}", email=e) for i, e in
                ((1, ""), (2, "sj@example.ac.kr"), (3, ""), (4, ""), (5, ""), (6, ""))]

    def owners(spec, metadata=None):
        matching = gradebook.match(results, students, gradebook.make_pattern(spec, metadata))
        return matching.submission_of, [u["submission"] for u in matching.unmatched]

    assert owners("gradescope") == ({"20240001": "ch02", "20240002": "ch02-2", "20240003": "ch02-2"},
                                    ["20240005", "ch02-3", "hw_20240006_final"])
    assert owners("gradescope", export_root / "submission_metadata.yml")[0]["20240003"] == "ch02-2"
    assert owners("nbgrader")[0] == {"20240004": "ch02-3"}
    assert owners("plain")[0] == {"20240005": "20240005"}
    assert owners(r"hw_(?P<id>\d+)_final\.ipynb$")[0] == {"20240006": "hw_20240006_final"}
    with pytest.raises(gradebook.ExportError, match="named group 'id'"):
        gradebook.make_pattern(r"(\d+)\.ipynb")
    with pytest.raises(gradebook.ExportError, match="not found"):
        gradebook.make_pattern("gradescope", tmp_path / "nope.yml")


def test_a_student_with_two_submissions_gets_the_higher(tmp_path):
    grades = tmp_path / "grades"
    _record_at(grades, "20240001", "/x/first/20240001.ipynb", 1.0)
    _record_at(grades, "20240001-2", "/x/second/20240001.ipynb", 2.0)
    results = load.load(grades)
    matching = gradebook.match(results, [gradebook.Student("20240001", "a")], gradebook.make_pattern("plain"))
    assert matching.submission_of == {"20240001": "20240001-2"}
    assert matching.duplicates == {"20240001": ["20240001-2", "20240001"]}


def test_cli_refuses_bad_arguments_with_exit_code_2(exported_class, tmp_path):
    folder, roster, _ = exported_class
    runner = CliRunner()
    bad_roster = tmp_path / "bad.csv"
    bad_roster.write_text("student,grade\n1,2\n", encoding="utf-8")
    cases = [
        (["report", str(tmp_path / "nowhere")], "not a folder"),
        (["report", str(tmp_path / "empty")], "neither grades.csv"),
        (["export", str(folder), "--roster", str(roster), "--format", "xlsx"], "--format must be one of canvas, moodle, csv"),
        (["export", str(folder), "--roster", str(tmp_path / "none.csv")], "roster not found"),
        (["export", str(folder), "--roster", str(bad_roster)], "no 'id' or 'name' column"),
        (["export", str(folder), "--roster", str(roster), "--pattern", "(unclosed"], "valid regular expression"),
    ]
    (tmp_path / "empty").mkdir()
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)


def test_cli_report_writes_the_page(graded_class, tmp_path):
    folder, _ = graded_class
    out = tmp_path / "class.html"
    result = CliRunner().invoke(app, ["report", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ------------------------------------------------------------------------------ course.toml, adjustments, intake

from autograder import course as courses  # noqa: E402
from autograder import intake as intakes  # noqa: E402
from autograder.reports import feedback as feedback_pages  # noqa: E402
from autograder.reports import scoring  # noqa: E402


@pytest.mark.parametrize("text, message", [
    ("[deadline]\ndue = 2026-04-03T23:59:00\n", "has no time zone"),
    ("[deadline]\npenalty_percent_per_day = 10\n", "a penalty but no due date"),
    ("[deadline]\ndue = 2026-04-03T23:59:00+09:00\npenalty_percent_per_day = 150\n", "between 0 and 100"),
    ("[submission]\ncounts = \"first\"\n", "counts must be one of latest, highest"),
    ("[submission]\nid_pattern = \"[0-9\"\n", "is not a regular expression"),
    ("[grading]\ntraining_bar = \"high\"\n", "training_bar must be a number"),
    ("[grading.points]\nq8 = 3\n", "must be \"question id / case name\""),
    ("[export]\nformat = \"xlsx\"\n", "format must be one of canvas, moodle, csv"),
    ("[deadlines]\n", "unknown table [deadlines]"),
    ("[deadline]\ndue_date = 1\n", "unknown key(s) in [deadline]: due_date"),
    ("[deadline\n", "is not valid TOML"),
])
def test_course_toml_errors_name_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(courses.CourseError) as caught:
        courses.load(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_late_penalty_per_started_day_grace_and_zero_after(tmp_path):
    import datetime as dt

    path = tmp_path / "course.toml"
    path.write_text("[deadline]\ndue = 2026-04-03T23:59:00+09:00\ngrace_minutes = 10\n"
                    "penalty_percent_per_day = 10\nzero_after_days = 3\n", encoding="utf-8")
    course = courses.load(path)
    due = course.due
    assert course.late(due + dt.timedelta(minutes=9)).days == 0  # within the grace
    assert course.late(due + dt.timedelta(minutes=11)) == courses.Late(1, 0.1)
    assert course.late(due + dt.timedelta(days=2, minutes=11)) == courses.Late(3, pytest.approx(0.3))
    assert course.late(due + dt.timedelta(days=3, minutes=11)) == courses.Late(4, 1.0)
    assert course.late(None).days == 0 and courses.Course().late(due).days == 0
    path.write_text(path.read_text(encoding="utf-8")
                    + '[deadline.extensions]\n"20240007" = 2026-04-05T23:59:00+09:00\n', encoding="utf-8")
    extended = courses.load(path)
    assert extended.late(due + dt.timedelta(days=1), "20240007").days == 0
    assert extended.late(due + dt.timedelta(days=2, minutes=11), "20240007") == courses.Late(1, 0.1)
    assert extended.late(due + dt.timedelta(days=1), "20240008").days == 1


def test_platform_submission_times_are_read(tmp_path):
    import datetime as dt

    nbgrader = tmp_path / "submitted" / "20240001" / "ch02"
    nbgrader.mkdir(parents=True)
    (nbgrader / "ch02.ipynb").write_text("{}", encoding="utf-8")
    (nbgrader / "timestamp.txt").write_text("2026-04-03 14:05:09.123456 UTC", encoding="utf-8")
    assert intakes.submitted_at(nbgrader / "ch02.ipynb") == (
        dt.datetime(2026, 4, 3, 14, 5, 9, 123456, tzinfo=dt.timezone.utc), "nbgrader")
    export = tmp_path / "gradescope"
    (export / "submission_111").mkdir(parents=True)
    (export / "submission_111" / "ch02.ipynb").write_text("{}", encoding="utf-8")
    (export / "submission_metadata.yml").write_text(
        "submission_111:\n  :submitters:\n  - :name: 김하나\n    :sid: '20240001'\n"
        "  :created_at: 2026-04-03 23:58:01.123456789 +0900\n", encoding="utf-8")
    when, source = intakes.submitted_at(export / "submission_111" / "ch02.ipynb")
    assert source == "gradescope" and when == dt.datetime(2026, 4, 3, 14, 58, 1, 123456, tzinfo=dt.timezone.utc)
    plain = tmp_path / "x.ipynb"
    plain.write_text("{}", encoding="utf-8")
    assert intakes.submitted_at(plain)[1] == "file"


def test_intake_lists_every_file_it_does_not_grade(tmp_path):
    import zipfile

    folder, out = tmp_path / "subs", tmp_path / "subs" / "grades"
    folder.mkdir()
    (folder / "a.ipynb").write_text("{}", encoding="utf-8")
    with zipfile.ZipFile(folder / "two.zip", "w") as archive:
        archive.writestr("x.ipynb", "{}")
        archive.writestr("y/z.ipynb", "{}")
    with zipfile.ZipFile(folder / "one.zip", "w") as archive:
        archive.writestr("ch02.ipynb", '{"cells": []}')
        archive.writestr("__MACOSX/._ch02.ipynb", "junk")
    (folder / "broken.zip").write_bytes(b"PK not really")
    (folder / "link.ipynb").symlink_to(folder / "a.ipynb")
    (folder / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "pipe.ipynb")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}", encoding="utf-8")
    out.mkdir()
    (out / "old.ipynb").write_text("{}", encoding="utf-8")  # the grades folder is never taken as submissions
    found = intakes.discover([folder], out)
    assert [f.source.name for f in found.found] == ["a.ipynb", "one.zip"]
    unpacked = found.found[1].path
    assert unpacked.name == "one.ipynb" and unpacked.read_text() == '{"cells": []}' and out in unpacked.parents
    reasons = {Path(p).name: r for p, r in found.skipped}
    assert set(reasons) == {"two.zip", "broken.zip", "link.ipynb", "pipe.ipynb", "linked-folder"}
    assert "노트북이 2개" in reasons["two.zip"] and "zip 파일을 열 수 없습니다" in reasons["broken.zip"]
    assert "심볼릭 링크" in reasons["link.ipynb"] and "일반 파일이 아니어서" in reasons["pipe.ipynb"]


def test_adjustments_are_checked_and_applied_with_overrides(tmp_path):
    folder = tmp_path / "grades"
    students = report_class.write_class(folder, size=6, seed=2)
    first = students[0].submission
    raw = load.load(folder)
    before = raw.total(first)
    (folder / "adjustments.csv").write_text(
        f"submission,question,points,comment\n{first},q3_elementwise,-1,반복문 규칙 재확인\n"
        f"{first},q3_elementwise,-100,바닥은 0점\n", encoding="utf-8")
    adjusted = load.load(folder)
    assert adjusted.score(first, "q3_elementwise") == 0 and adjusted.total(first) == pytest.approx(
        before - raw.score(first, "q3_elementwise"))
    for line, row, message in [(2, "nobody,q3_elementwise,1,x", "no graded submission 'nobody'"),
                               (2, f"{first},q9,1,x", "no question 'q9'"),
                               (3, f"{first},q3_elementwise,1,x\n{first},q3_elementwise,two,x", "is not a number")]:
        (folder / "adjustments.csv").write_text(f"submission,question,points,comment\n{row}\n", encoding="utf-8")
        with pytest.raises(scoring.AdjustmentsError) as caught:
            load.load(folder)
        assert f"line {line}" in str(caught.value) and message in str(caught.value)
    (folder / "adjustments.csv").unlink()
    policy = tmp_path / "course.toml"
    policy.write_text('[grading]\ntraining_bar = 0.9\n[grading.points]\n"q3_elementwise/naive_relu: 값" = 4\n',
                      encoding="utf-8")
    course = courses.load(policy)
    strict = load.load(folder, course)
    assert strict.manifest.possible == raw.manifest.possible + 2
    assert all(r.training is None or r.training.points == 0 for r in strict.records)  # nobody reaches 0.9
    relu = [c for r in strict.records for c in r.cases if c.name == "naive_relu: 값"]
    assert relu and all(c.max_points == 4 for c in relu)


def test_feedback_zip_names_follow_canvas_and_moodle(tmp_path):
    import zipfile

    folder = tmp_path / "grades"
    students = report_class.write_class(folder, size=3, seed=3)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,canvas_id,moodle_participant_id\n"
                      + "".join(f"{s.submission},홍_길동{i},{700 + i},{800 + i}\n" for i, s in enumerate(students))
                      + "20249999,없음,1,2\n", encoding="utf-8")
    results = load.load(folder)
    matching = gradebook.match(results, gradebook.read_roster(roster), gradebook.make_pattern("plain"))
    for lms, name in (("canvas", "홍길동_{canvas}_feedback.html"),  # digits dropped: the first number is the id
                      ("moodle", "홍 길동{i}_{moodle}_assignsubmission_file_{id}.html")):
        written, left_out = feedback_pages.write(results, tmp_path / lms, matching, lms)
        assert left_out == []
        with zipfile.ZipFile(tmp_path / lms / f"feedback-{lms}.zip") as archive:
            assert sorted(archive.namelist()) == sorted(
                name.format(i=i, canvas=700 + i, moodle=800 + i, id=s.submission) for i, s in enumerate(students))
        assert sorted(p.name for p in written if p.suffix == ".html") == sorted(f"{s.submission}.html" for s in students)
