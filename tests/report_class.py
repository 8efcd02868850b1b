"""A synthetic graded class (GRADES_DIR) for the report and export tests and the benchmark.

It is written in the layout ``autograder grade`` writes (``grades.csv``, ``assignment.json``,
``<submission>/result.json``) with the kit's real questions, case names and points, and failure
messages shaped like the real ones (``engine.show``: a sentence, "- 입력 …", "- 기대값: shape …",
"- 받은 값: …"). Students who make the same mistake get it on different numbers, so the
clustering has something to fold. Nothing here runs the grader.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QUESTIONS = [
    ("q1_keras_mnist", "2.1 케라스로 MNIST 분류하기", [
        ("preprocess_images: 값", 2), ("preprocess_images: 결과 모양", 1), ("preprocess_images: float32 자료형", 1),
        ("preprocess_images: 입력을 바꾸지 않음", 1), ("build_model: Sequential + Dense 2층", 1),
        ("build_model: 유닛 수 512, 10", 1), ("build_model: 활성화 relu, softmax", 1),
        ("build_model: 옵티마이저 rmsprop", 1), ("build_model: 손실 sparse_categorical_crossentropy", 1),
        ("build_model: 지표 accuracy", 1), ("build_model: 출력 모양과 확률", 1)]),
    ("q2_tensor_slicing", "2.2 텐서 슬라이싱과 배치", [
        ("crop_bottom_right: 값과 모양", 2), ("crop_center: 값과 모양", 2), ("get_batch: n번째 배치", 1),
        ("get_batch: 마지막 배치와 기본 batch_size=128", 1)]),
    ("q3_elementwise", "2.3 항목별 연산", [
        (f"{f}: {c}", p) for f in ("naive_relu", "naive_add") for c, p in (
            ("값", 2), ("결과 모양과 dtype", 1), ("입력을 바꾸지 않음", 1), ("랭크·모양 검사(assert)", 1),
            ("반복문으로 구현 (naive 규칙)", 1))]),
    ("q4_broadcasting", "2.3 브로드캐스팅", [
        (f"naive_add_matrix_and_vector: {c}", p) for c, p in (
            ("값", 2), ("결과 모양과 dtype", 1), ("입력을 바꾸지 않음", 1), ("랭크·모양 검사(assert)", 1),
            ("반복문으로 구현 (naive 규칙)", 1))]),
    ("q5_dot", "2.3 텐서 점곱", [
        (f"{f}: {c}", p) for f in ("naive_vector_dot", "naive_matrix_vector_dot", "naive_matrix_dot") for c, p in (
            ("값", 2), ("결과 모양", 1), ("입력을 바꾸지 않음", 1), ("랭크·모양 검사(assert)", 1),
            ("반복문으로 구현 (naive 규칙)", 1))]),
    ("q6_transpose", "2.3 행렬의 전치", [
        (f"naive_transpose: {c}", p) for c, p in (
            ("값", 2), ("결과 모양과 dtype", 1), ("입력을 바꾸지 않음", 1), ("랭크·모양 검사(assert)", 1),
            ("반복문으로 구현 (naive 규칙)", 1))]),
    ("q7_gradient_tape", "2.4 그레이디언트 테이프", [
        ("grad_quadratic: x=0에서 2 (교재 값)", 1), ("grad_quadratic: 다른 점에서 2x+2", 1),
        ("grad_square_plus_3: 값", 2), ("grad_square_plus_3: 결과 모양", 1), ("grad_dense: [dW, db] 리스트 반환", 1),
        ("grad_dense: W에 대한 그레이디언트", 1), ("grad_dense: b에 대한 그레이디언트", 1)]),
    ("q8_from_scratch", "2.5 밑바닥부터 구현한 신경망", [
        ("NaiveDense: W (input_size, output_size), b (output_size,) tf.Variable", 1),
        ("NaiveDense: 초기값 (W 균등분포 0~0.1, b 0)", 1), ("NaiveDense: 출력 activation(xW + b)", 2),
        ("NaiveSequential: 가중치 4개 [W1, b1, W2, b2]", 1), ("NaiveSequential: 층을 차례로 적용한 출력", 2),
        ("BatchGenerator: 300개, batch_size=64 (num_batches=ceil, 마지막 배치 44개)", 3),
        ("BatchGenerator: 기본 batch_size=128", 1), ("update_weights: 전달받은 weights 갱신", 3),
        ("update_weights: 전역 model을 쓰지 않음", 1), ("one_training_step: 평균 손실 반환", 1),
        ("one_training_step: 가중치 한 번 갱신", 2), ("fit: epochs만큼 반복", 2),
        ("fit: batch_size를 BatchGenerator에 전달", 2), ("훈련: 10 에포크 후 테스트 정확도 ≥ 0.8", 10)]),
]
TRAINING = ("q8_from_scratch", "훈련: 10 에포크 후 테스트 정확도 ≥ 0.8")
GRADED = ["preprocess_images", "build_model", "crop_bottom_right", "crop_center", "get_batch", "naive_relu",
          "naive_add", "naive_add_matrix_and_vector", "naive_vector_dot", "naive_matrix_vector_dot",
          "naive_matrix_dot", "naive_transpose", "grad_quadratic", "grad_square_plus_3", "grad_dense",
          "NaiveDense", "NaiveSequential", "BatchGenerator", "update_weights", "one_training_step", "fit"]
REFERENCE_HASHES = {name: hashlib.sha256(f"reference:{name}".encode()).hexdigest()[:16] for name in GRADED}
GRADER_ERROR_STATUS = "채점 도구 오류 (KeyError: 'train') — 자세한 내용은 traceback.txt"


def shown(array: np.ndarray) -> str:
    """Like ``engine.show.value``: shape and dtype first, then the (summarised) values."""
    with np.printoptions(precision=4, suppress=True, threshold=40, edgeitems=3, linewidth=100):
        text = np.array2string(array, separator=", ")
    if len(text) > 300:
        text = text[:300] + " …"
    return f"shape {tuple(array.shape)}, {array.dtype}: {text}"


def mismatch(inputs: list[str], expected: str, got: str, why: str = "") -> str:
    lines = [why] if why else []
    lines += [f"- 입력 {text}" for text in inputs]
    return "\n".join(lines + [f"- 기대값: {expected}", f"- 받은 값: {got}"])


def _floats(rng: np.random.Generator, shape) -> np.ndarray:
    return np.round(rng.normal(0, 10, size=shape), 4)


# Each mistake: (failing cases -> message) for one student, on numbers of its own. ``rng``
# draws the shapes and values a student's message shows.
def relu_mutates(rng):
    x = _floats(rng, (int(rng.integers(2, 5)), int(rng.integers(3, 6))))
    return {("q3_elementwise", "naive_relu: 입력을 바꾸지 않음"): mismatch(
        [f"x: {shown(x)}"], "입력 배열은 바뀌지 않아야 합니다", "입력 배열이 바뀌었습니다",
        "naive_relu이(가) 입력을 직접 수정했습니다. x.copy()로 복사한 뒤 계산하세요.")}


def relu_vectorised(rng):
    line = int(rng.integers(2, 6))
    return {("q3_elementwise", "naive_relu: 반복문으로 구현 (naive 규칙)"):
            f"naive_relu은(는) 반복문으로 직접 구현해야 합니다. 벡터화된 연산이 보입니다: np.maximum (naive_relu {line}행)"}


def add_row_arithmetic(rng):
    events = int(rng.integers(3, 9))
    return {("q3_elementwise", "naive_add: 반복문으로 구현 (naive 규칙)"): (
        "naive_add은(는) 원소마다 파이썬 반복문으로 계산해야 합니다. 입력 shape (6, 7), float64, shape (6, 7), "
        f"float64에서 적어도 42번의 반복이 필요한데 파이썬 코드는 {events}줄만 실행되었습니다 "
        "(넘파이/텐서플로의 벡터화 연산이나 행 단위 연산을 쓴 것으로 보입니다).")}


def transpose_loses_dtype(rng):
    rows, kind = int(rng.integers(2, 6)), str(rng.choice(["int32", "int64"]))
    x = rng.integers(-50, 50, size=(rows, 1)).astype(kind)
    got = str(rng.choice(["float64", "float32"]))
    return {("q6_transpose", "naive_transpose: 결과 모양과 dtype"): mismatch(
        [f"x: {shown(x)}"], shown(x.T), shown(x.T.astype(got)),
        f"결과의 dtype이 입력과 같아야 합니다: 기대 {kind}, 받은 {got}.")}


def transpose_wrong_values(rng):
    x = _floats(rng, (int(rng.integers(2, 4)), int(rng.integers(2, 4))))
    wrong = x.copy() if x.shape[0] == x.shape[1] else x.reshape(x.shape[1], x.shape[0])
    return {("q6_transpose", "naive_transpose: 값"): mismatch(
        [f"x: {shown(x)}"], shown(x.T), shown(wrong), "naive_transpose: 결과 값이 다릅니다.")}


def crop_center_off_by_one(rng):
    x = rng.integers(0, 256, size=(1, 28, 28)).astype(np.uint8)
    side = int(rng.choice([13, 15, 16]))
    return {("q2_tensor_slicing", "crop_center: 값과 모양"): mismatch(
        [f"x: {shown(x)}"], shown(x[:, 7:-7, 7:-7]), shown(x[:, 7:7 + side, 7:7 + side]),
        "crop_center: 결과의 모양이 다릅니다.")}


def batches_floor(rng):
    got = int(rng.choice([4, 6]))
    return {("q8_from_scratch", "BatchGenerator: 300개, batch_size=64 (num_batches=ceil, 마지막 배치 44개)"):
            f"BatchGenerator(300개, batch_size=64).num_batches: 기대 5 (math.ceil), 받은 {got}",
            ("q8_from_scratch", "BatchGenerator: 기본 batch_size=128"):
            f"BatchGenerator(1000개).num_batches: 기대 8 (math.ceil), 받은 {got + 3}"}


def fit_ignores_batch_size(rng):
    size = int(rng.choice([128, 100, 32]))
    sizes = ([size] * (300 // size) + ([300 % size] if 300 % size else [])) * 2
    return {("q8_from_scratch", "fit: batch_size를 BatchGenerator에 전달"): (
        "fit(300개 샘플, epochs=2, batch_size=64)의 배치 크기: 기대 [64, 64, 64, 64, 44, 64, 64, 64, 64, 44], "
        f"받은 {sizes} (batch_size를 BatchGenerator에 넘겨야 합니다)")}


def update_weights_global(rng):
    weights = np.round(rng.normal(size=(3, 2)), 4).astype(np.float32)
    return {("q8_from_scratch", "update_weights: 전달받은 weights 갱신"): mismatch(
        ["weights[0] - 1e-3 * gradients[0]"], shown(weights), shown(weights + np.float32(0.0012)),
        "update_weights는 전달받은 weights를 learning_rate=1e-3으로 갱신해야 합니다 "
        "(교재처럼 전역 model.weights를 쓰면 안 됩니다)."),
            ("q8_from_scratch", "update_weights: 전역 model을 쓰지 않음"):
            "update_weights가 인자로 받은 weights 대신 전역 변수 model의 가중치를 바꿨습니다."}


def model_with_sgd(rng):
    name = str(rng.choice(["SGD", "Adam"]))
    return {("q1_keras_mnist", "build_model: 옵티마이저 rmsprop"):
            f"옵티마이저: 기대 RMSprop, 받은 {name} (compile을 호출했나요?)"}


def grad_dense_missing(rng):
    hint = ("grad_dense: 아직 구현하지 않았습니다. 힌트: W = tf.Variable(W), b = tf.Variable(b) 후 그레이디언트 테이프 "
            "블록에서 y = tf.matmul(x, W) + b를 계산하고 tape.gradient(y, [W, b])를 반환하세요.")
    x = _floats(rng, (2, 2)) / 10
    message = mismatch([f"x: {shown(x.astype(np.float32))}"], "[dW, db]", f"아직 구현하지 않았습니다 ({hint})")
    return {("q7_gradient_tape", name): message for name in (
        "grad_dense: [dW, db] 리스트 반환", "grad_dense: W에 대한 그레이디언트", "grad_dense: b에 대한 그레이디언트")}


MISTAKES = {
    "relu_mutates": relu_mutates, "relu_vectorised": relu_vectorised, "add_row_arithmetic": add_row_arithmetic,
    "transpose_loses_dtype": transpose_loses_dtype, "transpose_wrong_values": transpose_wrong_values,
    "crop_center_off_by_one": crop_center_off_by_one, "batches_floor": batches_floor,
    "fit_ignores_batch_size": fit_ignores_batch_size, "update_weights_global": update_weights_global,
    "model_with_sgd": model_with_sgd, "grad_dense_missing": grad_dense_missing,
}


@dataclass
class Student:
    submission: str
    mistakes: list[str] = field(default_factory=list)
    accuracy: float | None = 0.8167  # None: training did not run
    status: str = "ok"
    whole_file_reason: str = ""  # every case fails with this (unreadable notebooks)
    hashes: dict = field(default_factory=dict)
    grader_error: str = ""


def plan_class(size: int = 40, seed: int = 0) -> list[Student]:
    """Students with mistakes, statuses, accuracies and code hashes (deterministic)."""
    rng = random.Random(seed)
    students = [Student(f"2024{index:04d}") for index in range(1, size + 1)]
    mistakes = list(MISTAKES)
    for index, student in enumerate(students):
        # a third of the class is right everywhere; others make one to three mistakes
        if index % 3:
            student.mistakes = rng.sample(mistakes, k=rng.randint(1, 3))
        student.accuracy = round(rng.gauss(0.817, 0.006), 4)
        if "update_weights_global" in student.mistakes or "fit_ignores_batch_size" in student.mistakes:
            student.accuracy = round(rng.uniform(0.70, 0.80), 4)
        student.hashes = dict(REFERENCE_HASHES)
        for name in rng.sample(GRADED, k=rng.randint(0, 3)):  # own code, unique to the student
            student.hashes[name] = f"{rng.getrandbits(64):016x}"
    # similar code: two groups sharing code that is not the course text's
    shared = {name: f"{rng.getrandbits(64):016x}" for name in ("naive_relu", "naive_add", "BatchGenerator")}
    for student in students[6:9]:
        student.hashes = {**REFERENCE_HASHES, **shared}
    pair = {"naive_matrix_dot": f"{rng.getrandbits(64):016x}"}
    for student in students[12:14]:
        student.hashes = {**REFERENCE_HASHES, **pair}
    # statuses that are not ok, as the engine words them
    if size >= 20:
        students[-1].status = students[-1].whole_file_reason = "UTF-8 텍스트 파일이 아닙니다."
        students[-1].accuracy, students[-1].hashes = None, {}
        students[-2].status = "코드 셀 124: 시간 제한 초과"
        students[-2].accuracy = None
        students[-3].status = ("q3_elementwise: naive_relu을(를) 정의한 코드 셀 54이 채점 도구 모듈(solutions.ch02)을 "
                               "불러옵니다.")
        students[-4].status = GRADER_ERROR_STATUS
        students[-4].grader_error = ("Traceback (most recent call last):\n  File \"grade.py\", line 120, in "
                                     "grade_notebook\nKeyError: 'train'\n")
        students[-5].accuracy = 0.098  # a broken model: far below the bar, not retried
        students[-6].accuracy = None  # training raised
        untouched = students[-7]  # the untouched stubs: no code to compare
        untouched.hashes = {name: None for name in GRADED}
    return students


def _record(student: Student, rng: np.random.Generator, cached: bool) -> dict:
    failing: dict[tuple[str, str], str] = {}
    for mistake in student.mistakes:
        failing.update(MISTAKES[mistake](rng))
    if student.status.startswith("q3_elementwise"):
        reason = student.status.split(": ", 1)[1] + " 이 문제는 0점입니다."
        failing.update({("q3_elementwise", name): reason for name, _ in QUESTIONS[2][2]})
    cases = []
    for question, _, question_cases in QUESTIONS:
        for name, points in question_cases:
            key = (question, name)
            detail: dict = {}
            if key == TRAINING:
                detail = _training_detail(student, rng)
                value = detail["value"]
                if student.whole_file_reason:
                    message = student.whole_file_reason
                elif value is None:
                    message = ("모델 훈련 (NaiveDense, NaiveSequential, fit, 10 에포크) 실행 실패: "
                               "ValueError 예외가 발생했습니다: Dimensions must be equal")
                elif value >= detail["bar"]:
                    message = "\n".join(_attempt_lines(detail))
                else:
                    message = "테스트 정확도가 0.8 미만입니다.\n" + "\n".join(_attempt_lines(detail))
                passed = value is not None and value >= detail["bar"] and not student.whole_file_reason
            elif student.whole_file_reason:
                message, passed = student.whole_file_reason, False
            elif key in failing:
                message, passed = failing[key], False
            else:
                message, passed = "", True
            cases.append({"question": question, "name": name, "points": float(points) if passed else 0.0,
                          "max_points": float(points), "message": message, "detail": detail})
    return {
        "assignment": "ch02", "submission": student.submission, "path": f"/srv/class/{student.submission}.ipynb",
        "status": student.status, "seconds": round(float(rng.uniform(9, 40)), 1),
        "cell_errors": [] if student.status == "ok" else ["코드 셀 124: CellTimeoutError: 시간 제한 초과"],
        "grader_error": student.grader_error,
        "cached": ["q8_from_scratch:train"] if cached else [],
        "code_hashes": student.hashes, "cases": cases,
    }


def _training_detail(student: Student, rng: np.random.Generator) -> dict:
    value = None if student.whole_file_reason else student.accuracy
    attempts = []
    if value is not None:
        seeds = [0] if value >= 0.8 or value < 0.7 else [0, 1, 2]
        for seed in seeds:
            accuracy = value if seed == seeds[-1] else round(value - float(rng.uniform(0.001, 0.02)), 4)
            attempts.append({"seed": seed, "accuracy": accuracy, "seconds": round(float(rng.uniform(12, 40)), 1),
                             "compiled": True})
    return {"metric": "test_accuracy", "value": value, "bar": 0.8, "attempts": attempts, "device": "CPU"}


def _attempt_lines(detail: dict) -> list[str]:
    return [f"시드 {a['seed']}: 테스트 정확도 {a['accuracy']:.4f} ({a['seconds']:.0f}초, tf.function)"
            for a in detail["attempts"]]


def manifest() -> dict:
    return {"id": "ch02", "title": "2장 신경망의 수학적 구성 요소",
            "questions": [{"id": q, "title": t, "points": float(sum(p for _, p in cases)),
                           "cases": [{"name": n, "points": float(p)} for n, p in cases]}
                          for q, t, cases in QUESTIONS],
            "reference_hashes": dict(REFERENCE_HASHES)}


def write_class(folder: Path, size: int = 40, seed: int = 0) -> list[Student]:
    """Write GRADES_DIR for a class of ``size`` students; returns the plan it followed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    students = plan_class(size, seed)
    rng = np.random.default_rng(seed)
    trained: set[tuple] = set()
    records = []
    for student in students:
        code = tuple(sorted(student.hashes.items()))
        cached = bool(student.hashes) and code in trained and student.accuracy is not None
        trained.add(code)
        record = _record(student, rng, cached)
        records.append(record)
        (folder / student.submission).mkdir(exist_ok=True)
        (folder / student.submission / "result.json").write_text(json.dumps(record, ensure_ascii=False),
                                                                   encoding="utf-8")
    (folder / "assignment.json").write_text(json.dumps(manifest(), ensure_ascii=False, indent=1), encoding="utf-8")
    with (folder / "grades.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        question_ids = [q for q, _, _ in QUESTIONS]
        writer.writerow(["submission", *question_ids, "total", "possible", "status"])
        for record in records:
            scores = {q: sum(c["points"] for c in record["cases"] if c["question"] == q) for q in question_ids}
            writer.writerow([record["submission"], *(f"{scores[q]:g}" for q in question_ids),
                             f"{sum(scores.values()):g}", "100", record["status"]])
    return students
