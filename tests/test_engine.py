"""Unit tests of the grading engine's parts (no kernels; seconds)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.engine import cache, records, submission
from autograder.kernel_side import naive_rule, show
from autograder.engine.batch import names_for
from autograder.intake import discover
from autograder.engine.cases import Case, Probe, ProbeKey, Question, Verdict, judge_question
from autograder.engine.grade import SubmissionResult, expected_observations, origin_problem
from autograder.kernel_side import runtime


def _exec(source: str, filename: str = "/tmp/ipykernel_0/cell.py") -> dict:
    namespace: dict = {"np": np}
    exec(compile(textwrap.dedent(source), filename, "exec"), namespace)
    return namespace


# ---------------------------------------------------------------- runtime: plain data only


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(1.5), 3, 2.5,
                                   [np.zeros(2), 1.0], None, np.zeros((0, 3)), np.array(7.0)])
def test_encode_decode_round_trip_keeps_shape_and_dtype(value):
    decoded = runtime.decode(json.loads(json.dumps(runtime.encode(value))))
    if isinstance(value, list):
        assert np.array_equal(decoded[0], value[0]) and decoded[1] == value[1]
    elif value is None:
        assert decoded is None
    else:
        expected = np.asarray(value)
        assert np.asarray(decoded).shape == expected.shape
        assert np.array_equal(decoded, expected)
        if isinstance(value, np.ndarray):
            assert decoded.dtype == value.dtype


class AlwaysEqual:
    def __eq__(self, other):
        return True


class SneakyArray(np.ndarray):
    pass


@pytest.mark.parametrize("value", [AlwaysEqual(), np.zeros(3).view(SneakyArray), np.array([object()]),
                                   {"a": 1}, np.matrix([[1, 2]])])
def test_encode_refuses_objects_that_could_lie(value):
    with pytest.raises(runtime.Unsupported):
        runtime.encode(value)


def test_probe_call_reports_result_mutation_and_errors():
    namespace = _exec("""
        def mutate(x):
            x[0, 0] = 99
            return x
        def broken(x):
            raise NotImplementedError("naive_relu: 아직 구현하지 않았습니다")
    """)
    x = runtime.encode(np.zeros((2, 2)))
    observed = runtime.run_probe({"op": "call", "object": "mutate", "args": [x]}, namespace)
    assert observed["ok"] and observed["mutated"] == [True]
    assert runtime.decode(observed["result"])[0, 0] == 99
    failed = runtime.run_probe({"op": "call", "object": "broken", "args": [x]}, namespace)
    assert failed["error"]["type"] == "NotImplementedError"
    missing = runtime.run_probe({"op": "call", "object": "nowhere", "args": [x]}, namespace)
    assert not missing["ok"] and missing["error"]["type"] == "NameError"


def test_probe_call_time_limit_stops_infinite_loops():
    namespace = _exec("""
        def forever(x):
            while True:
                try:
                    pass
                except Exception:
                    pass
    """)
    observed = runtime.run_probe({"op": "call", "object": "forever", "args": [runtime.encode(1)],
                                  "seconds": 1}, namespace)
    assert observed["error"]["type"] == "Timeout"
    assert observed["seconds"] < 5


RIGHT_STYLES = """
    def course(x):
        assert len(x.shape) == 2
        x = x.copy()
        for i in range(x.shape[0]):
            for j in range(x.shape[1]):
                x[i, j] = max(x[i, j], 0)
        return x
    def rows_then_items(x):
        z = np.zeros_like(x)
        for i, row in enumerate(x):
            for j, value in enumerate(row):
                z[i][j] = value if value > 0 else 0
        return z
    def chained(x):
        z = np.zeros((x.shape[0], x.shape[1]), dtype=x.dtype)
        for i in range(len(x)):
            for j in range(x.ndim and x.shape[1]):
                z[i, j] = max(0, x[i][j])
        return z
    def dot_rows(x, y):
        z = np.zeros((x.shape[0], y.shape[1]))
        for i in range(x.shape[0]):
            for j in range(y.shape[1]):
                z[i, j] = sum(a * b for a, b in zip(x[i, :], y[:, j]))
        return z
"""
VECTORISED = """
    import operator
    def vectorised(x):
        return np.maximum(x, 0)
    def padded(x):
        z = np.maximum(x, 0)
        for _ in range(x.size):
            pass
        return z
    def rows(x):
        x = x.copy()
        for i in range(x.shape[0]):
            x[i] = np.maximum(x[i], 0)
        return x
    ROUTES = {"relu": np.maximum}
    def by_dict(x):
        return ROUTES["relu"](x, 0)
    def by_operator(x, y):
        return operator.matmul(x, y)
    by_compile = eval(compile("lambda x, y: x @ y", "made_up.py", "eval"))
    def as_array(f):
        return lambda *args: f(*(np.asarray(a) for a in args))
    @as_array
    def decorated(x, y):
        return x @ y
    def row_arithmetic(x, y):
        return np.array([float((x[i] * y[:, 0]).sum()) for i in range(x.shape[0])])
    def masked(x):
        x = x.copy()
        x[x < 0] = 0
        return x
"""


def _element_call(namespace, name, *arrays):
    return runtime.run_probe({"op": "call", "object": name, "args": [runtime.encode(a) for a in arrays],
                              "trace": True}, namespace)


def test_the_naive_rules_input_runs_loop_code_in_every_style_and_gives_its_values():
    namespace = _exec(RIGHT_STYLES)
    x = np.random.default_rng(0).normal(size=(6, 7))
    y = np.random.default_rng(1).normal(size=(7, 5))
    for name in ("course", "rows_then_items", "chained"):
        observed = _element_call(namespace, name, x)
        assert "error" not in observed, (name, observed)
        got = runtime.decode(observed["result"])
        assert got.dtype == x.dtype and np.array_equal(got, np.maximum(x, 0)), name
    observed = _element_call(namespace, "course", x)
    assert observed["mutated"] == [False] and observed["element_access"]
    assert np.allclose(runtime.decode(_element_call(namespace, "dot_rows", x, y)["result"]), x @ y)


def test_the_naive_rules_input_refuses_every_vectorised_route():
    namespace = _exec(VECTORISED)
    x = np.random.default_rng(0).normal(size=(6, 7))
    y = np.random.default_rng(1).normal(size=(7, 5))
    for name in ("vectorised", "padded", "rows", "by_dict", "masked"):
        assert _element_call(namespace, name, x)["error"]["type"] == "TypeError", name
    for name in ("by_operator", "by_compile", "decorated", "row_arithmetic"):
        assert _element_call(namespace, name, x, y)["error"]["type"] == "TypeError", name
    assert sys.gettrace() is None  # no tracer during a probe: nothing of the kit to reach through it


def test_the_naive_rules_input_keeps_its_array_out_of_reach():
    element = runtime.Elements(np.arange(6.0).reshape(2, 3))
    assert not [name for name in dir(element) if not name.startswith("__")
                and name not in ("shape", "ndim", "dtype", "size", "copy", "astype", "tolist")]
    with pytest.raises(TypeError):
        np.asarray(element)
    with pytest.raises(TypeError):
        element[0] = 1.0  # a whole row at once
    with pytest.raises(TypeError):
        element[[0, 1], 0]
    assert element[1, 2] == 5.0 and element[1][2] == 5.0 and element[:, 2].shape == (2,)
    copy = element.copy()
    copy[0, 0] = 9
    assert element[0, 0] == 0.0 and copy[0, 0] == 9.0


# ---------------------------------------------------------------- naive rule (static part)


@pytest.mark.parametrize("source, found", [
    ("def f(x, y):\n    return np.dot(x, y)\n", "np.dot"),
    ("def f(x, y):\n    return x @ y\n", "@ 연산자"),
    ("def f(x):\n    return x.T\n", ".T"),
    ("def f(x):\n    return tf.nn.relu(x)\n", "tf.nn"),
    ("def f(x, y):\n    return numpy.einsum('ij,jk', x, y)\n", "numpy.einsum"),
    ("def f(x):\n    from numpy import maximum\n    return maximum(x, 0)\n", "from numpy import maximum"),
])
def test_naive_rule_names_vectorised_calls(source, found):
    assert any(found in item for item in naive_rule.findings([{"name": "f", "source": source}]))


def test_naive_rule_allows_allocation_and_loops():
    source = textwrap.dedent("""
        def naive_matrix_dot(x, y):
            z = np.zeros((x.shape[0], y.shape[1]))
            w = np.array([[0.0]]); v = np.zeros_like(z)
            for i in range(x.shape[0]):
                for j in range(y.shape[1]):
                    z[i, j] = naive_vector_dot(x[i, :], y[:, j])
            return z
    """)
    assert naive_rule.findings([{"name": "naive_matrix_dot", "source": source}]) == []


def test_a_case_can_give_its_own_static_rule():
    """``findings(sources, rule)``: a stricter naive rule, or another ban (here automatic
    differentiation), without changing the naive rule everyone else gets."""
    source = ("def f(x, W, b, g):\n"
              "    m = np.max(x)\n"
              "    with tf.GradientTape() as tape:\n"
              "        y = x @ W + b\n"
              "    return tape.gradient(y, [x]), jax.grad(f), GradientTape\n")
    entry = [{"name": "f", "source": source}]
    default = naive_rule.findings(entry)
    assert not any("np.max" in item for item in default) and any("@ 연산자" in item for item in default)
    stricter = naive_rule.NAIVE.extended(routines={"max"})
    assert any("np.max" in item for item in naive_rule.findings(entry, stricter))
    assert "max" not in naive_rule.NAIVE.routines  # extended() leaves the naive rule as it was
    autodiff = naive_rule.Rule(modules=frozenset({"jax"}), attributes=frozenset({"GradientTape", "gradient"}),
                               names=frozenset({"GradientTape"}))
    found = naive_rule.findings(entry, autodiff)
    assert sorted(item.split(" (")[0] for item in found) == [".GradientTape", ".gradient", "GradientTape", "jax.grad"]
    imported = [{"name": "g", "source": "def g():\n    from tensorflow import GradientTape as T\n    return T\n"}]
    assert naive_rule.findings(imported, autodiff) == ["from tensorflow import GradientTape (g 2행)"]
    assert naive_rule.findings([{"name": "h", "source": "def h(x, W):\n    return np.dot(x, W)\n"}], autodiff) == []


# ---------------------------------------------------------------- reading submissions


def test_prepare_strips_demo_training_and_otter_calls_only():
    source = "x = 1\nfit(model, a, b, epochs=10)\nhistory = model.fit(a, b)\ngrader.check('q1')\nprint(x)\n"
    prepared = submission.prepare(source)
    assert "fit(" not in prepared and "grader" not in prepared
    assert "x = 1" in prepared and "print(x)" in prepared
    assert submission.prepare("def fit(model):\n    pass\n") == "def fit(model):\n    pass\n"
    assert submission.prepare("!nvidia-smi\nfit(m)\n").count("pass") == 1


def _notebook(tmp_path, cells, name="sub.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []}
                                          for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_read_finds_kit_imports_and_definitions(tmp_path):
    path = _notebook(tmp_path, ["import numpy as np", "from solutions.ch02 import naive_relu",
                                "mod = __import__('autograder.inline')", "def naive_add(x, y):\n    return x"])
    notebook = submission.read(path)
    assert notebook.kit_imports == {1: ["solutions.ch02"], 2: ["autograder.inline"]}
    assert submission.read(path, ("tiny",)).kit_imports == {}
    assert notebook.defined_in["naive_relu"] == [1] and notebook.defined_in["naive_add"] == [3]


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "JSON"), (b"\xff\xfe", "UTF-8"), (b'{"cells": []}', "코드 셀"), (b"[1, 2]", "cells"),
])
def test_read_rejects_broken_files_with_korean_reasons(tmp_path, content, reason):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(submission.UnreadableSubmission, match=reason):
        submission.read(path)


def test_origin_problem_flags_kit_and_exec_code(ch02, tiny):
    import solutions.ch02 as reference
    import tiny.answer_key as tiny_key

    assert "채점 도구" in origin_problem("naive_relu", runtime.origin(reference.naive_relu), ch02.kit_roots)
    assert "채점 도구" in origin_problem("NaiveDense", runtime.origin(reference.NaiveDense), ch02.kit_roots)
    assert "채점 도구" in origin_problem("scale", runtime.origin(tiny_key.scale), tiny.kit_roots)
    exec_defined = _exec("def g():\n    pass\n", "<string>")["g"]
    assert "exec" in origin_problem("g", runtime.origin(exec_defined), ch02.kit_roots)
    cell_defined = _exec("def g():\n    pass\n")["g"]
    assert origin_problem("g", runtime.origin(cell_defined), ch02.kit_roots) is None


# ---------------------------------------------------------------- judging and reports


def test_a_judge_that_fails_is_the_kits_fault_and_costs_its_case_alone():
    from autograder.engine.cases import KIT_ERROR

    key = ProbeKey("f")
    question = Question("qx", "t", ("f",), {key: Probe({})},
                        (Case("c", 2.0, (key,), lambda o, e: Verdict(o[key]["missing"] == 1)),
                         Case("d", 1.0, (key,), lambda o, e: Verdict(True))))
    broken, fine = judge_question(question, {key: {}}, {})
    assert broken.points == 0 and "채점 도구 오류" in broken.message and "KeyError" in broken.detail[KIT_ERROR]
    assert fine.passed  # the question's other cases keep their verdicts
    unprobed, _ = judge_question(question, None, {}, "커널이 종료되었습니다")
    assert unprobed.points == 0 and unprobed.message == "커널이 종료되었습니다"


def test_the_answer_key_passes_every_case_in_process(ch02, tiny):
    """The hidden checks, run on the answer key itself, give full marks (the training case,
    which takes a minute, is checked end to end elsewhere)."""
    from autograder.engine.grade import probe_table

    for assignment in (ch02, tiny):
        namespace, table = assignment.answer_key_namespace(), probe_table(assignment)
        expected = expected_observations(assignment)
        for question in assignment.questions:
            observed = {key: runtime.run_probe(spec, namespace, table) if spec["op"] != "train" else {"ok": False}
                        for key, spec in question.specs.items()}
            failures = [(r.name, r.message) for r in judge_question(question, observed, expected[question.id])
                        if not r.passed and not r.name.startswith("훈련")]
            assert failures == [], question.id


def test_points_table_totals_100_and_each_case_has_its_points_where_written(ch02):
    table = {q.id: q.points for q in ch02.questions}
    assert sum(table.values()) == 100 == ch02.points
    assert list(table) == ["q1_keras_mnist", "q2_tensor_slicing", "q3_elementwise", "q4_broadcasting",
                           "q5_dot", "q6_transpose", "q7_gradient_tape", "q8_from_scratch"]
    assert all(case.points > 0 for q in ch02.questions for case in q.cases)


def test_function_cases_refuse_points_that_do_not_match_the_calls():
    from autograder.engine.function_cases import Call, function_cases

    call = Call((np.zeros((2, 2)),))
    with pytest.raises(ValueError):
        function_cases("f", [call], points={"values": 2, "naive": 1})  # no naive call given
    with pytest.raises(ValueError):
        function_cases("f", [call], points={"values": 2, "colour": 1})
    probes, cases, public = function_cases("f", [call], points={"values": 3, "unchanged": 1})
    assert [c.points for c in cases] == [3, 1] and list(probes) == [ProbeKey("f", "value", 0)]
    assert public is None and [c.kind for c in cases] == ["values", "unchanged"]
    with pytest.raises(ValueError):  # the self-check must check what the cases check
        function_cases("f", [call], points={"values": 2, "naive": 1}, naive=call, public=[call, call])
    with pytest.raises(ValueError):  # and on two inputs at least
        function_cases("f", [call], points={"values": 2}, public=[call])


def test_show_value_puts_shape_first():
    text = show.value(runtime.encode(np.zeros((2, 3), dtype=np.int32)))
    assert text.startswith("shape (2, 3), int32")


def test_records_follow_the_contract(ch02, tmp_path):
    question_list = ch02.questions
    cases = [r for q in question_list for r in judge_question(q, None, {}, "이유")]
    result = SubmissionResult("alice", "alice.ipynb", cases, "코드 셀 3: 문법 오류", ["코드 셀 3: SyntaxError"], 1.5,
                              assignment="ch02")
    records.write_submission(result, ch02, tmp_path / "alice")
    records.write_grades([result], question_list, tmp_path / "grades.csv")
    rows = list(csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["submission", *(q.id for q in question_list), "total", "possible", "status"]
    assert rows[0]["status"] == "코드 셀 3: 문법 오류" and rows[0]["total"] == "0"
    results = json.loads((tmp_path / "alice" / "results.json").read_text(encoding="utf-8"))
    assert {"score", "tests", "execution_time"} <= set(results)
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in results["tests"])
    assert "문법 오류" in (tmp_path / "alice" / "feedback.md").read_text(encoding="utf-8")
    assert records.read_record(tmp_path / "alice").to_dict() == result.to_dict()
    assert not (tmp_path / "alice" / records.TRACEBACK).exists()
    broken = SubmissionResult("bob", "bob.ipynb", cases, "채점 도구 오류 (...)", grader_error="Traceback ...")
    records.write_submission(broken, ch02, tmp_path / "bob")
    assert (tmp_path / "bob" / records.TRACEBACK).read_text(encoding="utf-8") == "Traceback ..."
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_submission_names_are_unique_and_folder_safe(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _notebook(tmp_path / "a", ["x = 1"], "홍길동 과제.ipynb")
    second = _notebook(tmp_path / "b", ["x = 1"], "홍길동 과제.ipynb")
    (tmp_path / "a" / ".ipynb_checkpoints").mkdir()
    _notebook(tmp_path / "a" / ".ipynb_checkpoints", ["x = 1"], "old.ipynb")
    found = discover([tmp_path], tmp_path / "grades").paths
    assert found == [first, second]
    names = names_for(found)
    assert names[first] == "홍길동_과제" and names[second] == "홍길동_과제-2"


def test_training_cache_key_follows_the_code_it_exercises(tmp_path):
    """The key changes with the code the objects can run, and not with unrelated cells."""
    spec = {"op": "train"}
    objects = ("fit", "update_weights")
    base = ["import tensorflow as tf", "learning_rate = 1e-3", "def update_weights(g, w):\n    return learning_rate",
            "def fit(m):\n    update_weights(1, 2)", "print('hello')"]
    key = cache.code_key(spec, objects, submission.read(_notebook(tmp_path, base, "a.ipynb")))
    unrelated = base[:4] + ["print('something else')"]
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, unrelated, "b.ipynb"))) == key
    # the same cells elsewhere in the notebook run the same: a scratch cell above them changes nothing
    moved = ["x = 0  # 연습"] + base[:2] + ["print(x)"] + base[2:]
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, moved, "m.ipynb"))) == key
    swapped = base[:1] + base[2:3] + base[1:2] + base[3:]  # the same cells in another order run differently
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, swapped, "s.ipynb"))) != key
    joined = base[:1] + [base[1] + "\n" + base[2]] + base[3:]  # nor do they as one cell
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, joined, "j.ipynb"))) != key
    changed = base[:1] + ["learning_rate = 0.5"] + base[2:]
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, changed, "c.ipynb"))) != key
    later = base + ["learning_rate = 0.5"]  # read when update_weights is called: it matters
    assert cache.code_key(spec, objects, submission.read(_notebook(tmp_path, later, "d.ipynb"))) != key
    probes = cache.code_key(spec, objects, submission.read(_notebook(tmp_path, base, "e.ipynb")), ("autograder.ch02.probes",))
    assert probes != key  # the kernel-side probes are part of the code


def test_closure_follows_reads_in_order_and_leaves_demo_cells_out(tmp_path):
    cells = ["import numpy as np\nx = np.array(12)\nx",  # reads its own x
             "x = np.zeros(3)",  # a demo cell: defines x, which nothing graded reads
             "def f():\n    return np.ones(1) * scale",
             "scale = 2",
             "y = x + 1"]
    notebook = submission.read(_notebook(tmp_path, cells))
    assert cache.closure(("f",), notebook) == [0, 2, 3]
    assert cache.closure(("y",), notebook) == [0, 1, 4]


def test_grading_runs_the_graded_cells_and_leaves_demonstrations_out(tmp_path):
    cells = ["# setup cell: always runs",
             "import numpy as np\nfrom tensorflow.keras.datasets import mnist",
             "(train_images, train_labels), _ = mnist.load_data()",  # demonstration: nothing graded reads it
             "try:\n    import math\nexcept ImportError:\n    math = None",  # binds math inside a block
             "def f(x):\n    return np.ones(1) * scale * math.pi",
             "scale = 2\nprint(f(1))",
             "print(f(train_images[:3]))",  # a demonstration call
             "def g(x)\n    return x",  # does not parse: run, so its syntax error is reported
             "while True:\n    pass"]  # a demonstration cell that hangs
    notebook = submission.read(_notebook(tmp_path, cells))
    assert cache.graded_cells(("f",), notebook) == [0, 1, 3, 4, 5, 7]


@pytest.mark.parametrize("cell", ["exec('def f(x): return 2')", "globals()['f'] = len", "from helpers import *",
                                  "import sys\nsys.modules['__main__'].f = len", "%run other.ipynb",
                                  "vars()['scale'] = 3", "def h():\n    global scale\n    scale = 3\nh()",
                                  "def h():\n    f.__defaults__ = (1,)"])
def test_grading_runs_the_whole_notebook_when_the_reading_cannot_follow_it(tmp_path, cell):
    cells = ["# setup", "import numpy as np", "scale = 2", "def f(x):\n    return np.ones(1) * scale", cell,
             "print(f(1))"]
    assert cache.graded_cells(("f",), submission.read(_notebook(tmp_path, cells))) is None


def test_a_cell_changing_a_graded_object_in_place_is_run(tmp_path):
    cells = ["# setup", "import numpy as np", "weights = [1.0]", "def f(x):\n    return np.ones(1) * weights[0]",
             "weights[0] = 3.0", "weights.append(2.0)", "np.random.seed(0)", "f.note = 'x'", "print(f(1))",
             "%matplotlib inline\n!ls"]
    notebook = submission.read(_notebook(tmp_path, cells))
    assert cache.graded_cells(("f",), notebook) == [0, 1, 2, 3, 4, 5, 7]


def test_cli_rejects_bad_arguments_with_exit_code_2(tmp_path):
    missing = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(tmp_path / "nope.ipynb")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    empty = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(tmp_path)],
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "no notebook (.ipynb, or a zip holding one)" in empty.stderr


def test_grade_refuses_jobs_that_do_not_fit_in_memory(tmp_path):
    from autograder.engine import capacity

    gb = 2**30
    assert capacity.jobs_problem(2, worker_mb=1536, available_bytes=4 * gb) is None
    problem = capacity.jobs_problem(4, worker_mb=1536, available_bytes=4 * gb)
    assert "--jobs 4" in problem and "6.0 GB" in problem and "--jobs 2 or fewer" in problem
    assert capacity.jobs_problem(1, worker_mb=1536, available_bytes=gb // 2) is None  # one job always may
    path = _notebook(tmp_path, ["x = 1"])
    too_many = capacity.fitting_jobs() + 1
    refused = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(path), "--jobs", str(too_many),
                              "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert refused.returncode == 2 and f"--jobs {too_many}" in refused.stderr and "available" in refused.stderr
    assert not (tmp_path / "out").exists()  # refused before grading anything


def test_kernels_share_the_cpus_a_quota_leaves_the_grader(tiny):
    """Each kernel's compute pools get its share of the CPUs: the jobs divide them, and a
    control group's CPU quota (Gradescope's half a CPU) counts, not the machine's cores."""
    import uuid

    from autograder.engine import capacity
    from autograder.engine.kernel import THREAD_ENV, KernelSetup, Limits

    assert [capacity.kernel_threads(jobs, cpus) for jobs, cpus in [(1, 4), (2, 4), (2, 3), (4, 2), (1, 0.5)]] == \
        [4, 2, 1, 1, 1]
    from autograder.engine.batch import worker_limits

    # a batch: the share, or the assignment's fewer threads, never more than the share
    assert [worker_limits(Limits(threads=threads), jobs, cpus).threads
            for threads, jobs, cpus in [(None, 2, 4), (1, 1, 4), (8, 2, 4), (None, 4, 2)]] == [2, 1, 2, 1]
    env = KernelSetup.for_assignment(tiny, {}, Limits(threads=3)).env
    assert {env[name] for name in THREAD_ENV} == {"3"}
    with pytest.raises(ValueError, match="threads"):
        Limits(threads=0)
    v1, v2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
    group = None
    try:
        if (v2 / "cgroup.controllers").is_file() and "cpu" in (v2 / "cgroup.subtree_control").read_text().split():
            group = v2 / f"autograder-test-{uuid.uuid4().hex[:8]}"
            group.mkdir()
            (group / "cpu.max").write_text("50000 100000")
        elif (v1 / "cpu.cfs_quota_us").is_file():
            group = v1 / f"autograder-test-{uuid.uuid4().hex[:8]}"
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text("100000")
            (group / "cpu.cfs_quota_us").write_text("50000")
    except OSError:
        group = None
    if group is None:
        pytest.skip("no CPU controller this test may write to")
    try:
        inside = subprocess.run([sys.executable, "-c", "import os, sys\n"
                                 f"open({str(group / 'cgroup.procs')!r}, 'w').write(str(os.getpid()))\n"
                                 "from autograder.engine import capacity\n"
                                 "print(capacity.cpus_available(), capacity.kernel_threads(1))"],
                                capture_output=True, text=True, timeout=60)
        assert inside.stdout.split() == ["0.5", "1"], inside.stderr[-2000:]
    finally:
        group.rmdir()


def test_time_limit_ends_a_loop_that_swallows_the_timeout():
    namespace = _exec("""
        def stubborn(x):
            while True:
                try:
                    while True:
                        pass
                except BaseException:
                    pass
        def fine(x):
            return x
    """)
    observed = runtime.run_probe({"op": "call", "object": "stubborn", "args": [runtime.encode(1)],
                                  "seconds": 1}, namespace)
    assert observed["error"]["type"] == "Timeout" and observed["seconds"] < 5
    assert sys.gettrace() is None  # the stopper is gone: later calls run normally
    after = runtime.run_probe({"op": "call", "object": "fine", "args": [runtime.encode(2)], "trace": True},
                              namespace)
    assert runtime.decode(after["result"]) == 2 and after["element_access"]


def test_device_cpu_hides_gpus_from_the_kernel_and_gpu_without_one_is_an_error(ch02, tmp_path):
    from autograder.engine.kernel import KernelSetup, Limits

    assert KernelSetup.for_assignment(ch02, {}, Limits(device="cpu")).env["CUDA_VISIBLE_DEVICES"] == "-1"
    assert "CUDA_VISIBLE_DEVICES" not in KernelSetup.for_assignment(ch02, {}, Limits()).env
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU: --device gpu is valid here")
    notebook = _notebook(tmp_path, ["x = 1"])
    process = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(notebook), "--assignment", "tiny",
                              "--device", "gpu", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert process.returncode == 2 and "TensorFlow lists no GPU" in process.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()  # refused before grading, not a quiet CPU run


def test_a_function_that_overran_once_is_not_called_again():
    namespace = _exec("""
        calls = []
        def slow(x):
            calls.append(x)
            while True:
                pass
    """)
    spec = {"op": "call", "object": "slow", "args": [runtime.encode(1)], "seconds": 1}
    first, second = runtime.run_probe(spec, namespace), runtime.run_probe(spec, namespace)
    assert first["error"]["type"] == second["error"]["type"] == "Timeout"
    assert namespace["calls"] == [1] and second["seconds"] < 0.5
    assert "다시 호출하지 않았습니다" in second["error"]["message"]


def test_a_function_that_overran_a_cell_is_not_waited_on_again_and_the_budget_never_skips_cells(tiny, tmp_path):
    """A cell interrupted at its limit while a student's function runs: later cells calling that
    function stop at once (not another full limit), the probes still call it under their own
    limit, and once the notebook's budget is spent the cells after it still run."""
    from autograder.engine.kernel import KernelSession, KernelSetup, Limits

    limits = Limits(cell_seconds=2, notebook_seconds=3, sandbox=False)
    cells = ["def hang(x):\n    while True:\n        pass",
             "def f(x):\n    return x + 1\nhang(1)",  # defines f, then hangs: interrupted at 2 s
             "g = 2\nhang(2)",  # stops at once
             "while True:\n    pass",  # a new hang: the budget (3 s) is spent after it
             "h = f(g)"]  # still runs
    with KernelSession(cells, tmp_path / "k", KernelSetup.for_assignment(tiny, {}, limits), limits) as session:
        outcomes = session.run_cells()
        assert [o.status for o in outcomes] == ["ok", "timeout", "error", "timeout", "ok"], outcomes
        assert "다시 실행하지 않았습니다" in outcomes[2].error and "hang" in outcomes[2].error
        spec = {"op": "call", "object": "hang", "args": [runtime.encode(1)], "seconds": 1}
        observed = session.probe({"hang": spec, "h": {"op": "call", "object": "f", "args": [runtime.encode(1)]}})
    assert observed["hang"]["error"]["type"] == "Timeout" and observed["h"]["result"] == runtime.encode(2)


def test_a_killed_writers_temporary_file_is_removed_and_a_live_ones_kept(tmp_path):
    import os

    from autograder.engine import files

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / "alice" / f".results.json.{dead.pid}.0123456789ab.tmp"
    live = tmp_path / f".grades.csv.{os.getpid()}.0123456789ab.tmp"
    for path in (orphan, live):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
    files.remove_orphans(tmp_path)
    assert not orphan.exists() and live.exists()


def test_limits_are_resolved_one_way_from_the_assignments_own():
    """Every front end starts from the assignment's limits and applies only what it was given;
    a bad value is refused where the limits are made, whoever made them."""
    from autograder.engine.kernel import Limits

    own = Limits(cell_seconds=30, memory_mb=2048)
    assert own.with_overrides(cell_seconds=None, memory_mb=1024) == Limits(cell_seconds=30, memory_mb=1024)
    config = dict(own.config(), sandbox=False, run_as="someone")  # a platform cannot switch isolation off
    assert own.from_config(config) == own and Limits().from_config(own.config()) == own
    for bad in ({"device": "tpu"}, {"cell_seconds": 0}, {"memory_mb": "4096"}):
        with pytest.raises(ValueError):
            own.with_overrides(**bad)
    with pytest.raises(ValueError, match="unknown limit"):
        own.with_overrides(cell_timeout=3)
