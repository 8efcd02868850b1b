"""The kernel-side modules, unit-tested in this process: the one rule for student code, the
cell that carries the kit's modules into a kernel, the harness."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autograder.engine import kernel_code
from autograder.engine.kernel import KEY_FILE, TamperedResult, channel_source, harness_source, probe_source, read_result
from autograder.kernel_side import limits, runtime


def _code(filename: str):
    return compile("pass", filename, "exec")


def test_student_code_is_everything_but_libraries_the_kit_and_pythons_own():
    student = limits.StudentCode()
    assert student(_code("/tmp/ipykernel_12/3456.py"))  # a notebook cell
    assert student(_code("<string>")) and student(_code("<ipython-input-3-abc>"))  # exec'd, typed
    assert not student(_code(np.__file__))  # a library
    assert not student(_code(limits.__file__))  # the kit, imported from its files
    assert not student(_code("<autograder/kernel_side/runtime.py>"))  # the kit, sent as text
    assert not student(_code("<frozen importlib._bootstrap>"))
    assert not limits.StudentCode(exempt_files=("/tmp/otter_cell.py",))(_code("/tmp/otter_cell.py"))


def test_a_kernel_cell_carries_modules_and_takes_them_away_again():
    names = kernel_code.RUNTIME
    source = kernel_code.cell(names, "namespace['seen'] = sorted(n for n in sys.modules if n.startswith('autograder'))\n"
                                     "namespace['encoded'] = modules['autograder.kernel_side.runtime'].encode(3)")
    script = textwrap.dedent("""
        import sys
        sys.meta_path.insert(0, type("Block", (), {"find_spec": staticmethod(
            lambda name, path=None, target=None: (_ for _ in ()).throw(ImportError(name))
            if name.startswith("autograder") else None)})())
        exec(compile(SOURCE, "<cell>", "exec"), globals())
        print(seen, encoded, [n for n in sys.modules if n.startswith("autograder")])
    """).replace("SOURCE", repr(source))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the kit is not importable there
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                            cwd="/", check=True).stdout
    assert "'autograder.kernel_side.runtime'" in output and "{'t': 'int', 'v': '3'}" in output
    assert output.rstrip().endswith("[]")  # gone again once the cell ends


def test_the_harness_carries_the_assignment_probes_and_their_digest_changes_with_them(ch02):
    cell = channel_source(ch02.probe_modules)
    assert "autograder/ch02/probes.py" in cell and "autograder/kernel_side/runtime.py" in cell
    assert "autograder/ch02/probes.py" not in probe_source([{"op": "origins", "objects": []}], "n", "/tmp/out.json")
    assert kernel_code.digest(kernel_code.RUNTIME) != kernel_code.digest(kernel_code.RUNTIME + ch02.probe_modules)


def _channel_run(ch02, tmp_path, cells: str, specs: list[dict]):
    """The harness with its channel, then ``cells`` (student code), then one probe cell, in a
    fresh interpreter; (the result file's text, its nonce, the process's output)."""
    key = os.urandom(32)
    (tmp_path / KEY_FILE).write_bytes(key)
    out = tmp_path / "probe.json"
    script = (harness_source(ch02.kit_roots, 100_000) + channel_source(ch02.probe_modules)
              + "import os\nprint('key file left:', os.path.exists(" + repr(KEY_FILE) + "))\n"
              + textwrap.dedent(cells) + "\n" + probe_source(specs, "nonce-1", out)
              + "\nprint('end')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    return key, (out.read_text() if out.exists() else None), run.stdout


SPECS = [{"op": "call", "object": "double", "args": [{"t": "int", "v": "21"}]}]


def test_the_channel_signs_what_the_probes_observed_and_the_grader_checks_it(ch02, tmp_path):
    key, text, output = _channel_run(ch02, tmp_path, "def double(x):\n    return 2 * x\n", SPECS)
    assert "key file left: False" in output  # read and deleted before any student code
    [observation] = read_result(text, key, "nonce-1", SPECS)
    assert observation["ok"] and observation["result"] == {"t": "int", "v": "42"}
    with pytest.raises(TamperedResult):  # another nonce (an old result), other specs, another key
        read_result(text, key, "nonce-2", SPECS)
    with pytest.raises(TamperedResult):
        read_result(text, key, "nonce-1", [{**SPECS[0], "args": [{"t": "int", "v": "1"}]}])
    with pytest.raises(TamperedResult):
        read_result(text, os.urandom(32), "nonce-1", SPECS)
    with pytest.raises(TamperedResult):
        read_result(text.replace('"v":"42"', '"v":"43"'), key, "nonce-1", SPECS)


def test_a_cell_that_patches_json_open_and_os_changes_nothing_the_channel_writes(ch02, tmp_path):
    patches = """
        import builtins, json, os, hmac
        def double(x):
            return 2 * x
        json.dump = lambda *a, **k: None
        json.dumps = lambda *a, **k: '[{"ok": true, "result": {"t": "int", "v": "99"}}]'
        json.JSONEncoder.encode = lambda self, o: "[]"
        hmac.new = None
        os.write = lambda fd, data: len(data)
        builtins.open = None
        builtins.isinstance = lambda *a: False
    """
    key, text, _ = _channel_run(ch02, tmp_path, patches, SPECS)
    [observation] = read_result(text, key, "nonce-1", SPECS)
    assert observation["result"] == {"t": "int", "v": "42"}


def test_the_garbage_collectors_object_lists_are_refused_in_a_graded_kernel(ch02, tmp_path):
    cells = """
        import gc, sys
        def double(x):
            return 2 * x
        for attempt in (gc.get_objects, lambda: gc.get_referrers(double), sys._current_frames):
            try:
                attempt()
                print("allowed")
            except RuntimeError:
                print("refused")
    """
    _, _, output = _channel_run(ch02, tmp_path, cells, SPECS)
    assert output.count("refused") == 3 and "allowed" not in output


def test_the_harness_blocks_the_kit_and_caps_output():
    script = harness_source(("autograder", "solutions"), 300) + textwrap.dedent("""
        try:
            import solutions.ch02
        except ImportError as error:
            print("blocked:", error)
        print("x" * 1000)
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.startswith("blocked: 채점 중에는 solutions 모듈을 불러올 수 없습니다")
    assert "출력이 너무 길어" in output and len(output) < 400


def test_pyplot_imported_by_a_library_runs_only_when_the_notebook_uses_it(tmp_path):
    """Keras (imported by TensorFlow) imports pyplot for a helper: the harness defers running it.
    The notebook's own import gives the real pyplot, and the library's name for it works too."""
    script = harness_source(("autograder",), 10_000) + textwrap.dedent("""
        import sys
        try:  # what keras.src.visualization does
            import matplotlib.pyplot as library_plt
        except ImportError:
            library_plt = None
        print("deferred", "matplotlib.figure" not in sys.modules)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        print("loaded", "matplotlib.figure" in sys.modules, type(plt).__name__)
        plt.plot([1, 2]); plt.savefig("plot.png")
        print("same", library_plt.gcf() is plt.gcf())
        try:
            import autograder
        except ImportError:
            print("kit blocked")
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=tmp_path).stdout
    assert output.split("\n")[:4] == ["deferred True", "loaded True module", "same True", "kit blocked"], output


def test_the_self_check_tool_is_an_inert_stand_in_in_graded_kernels():
    script = harness_source(("autograder",), 10_000, [], ("otter",)) + textwrap.dedent("""
        import otter
        grader = otter.Notebook("ch02.ipynb", tests_dir="ch02_tests")
        grader.check("q1"); grader.export(pdf=False)
        print("inert", type(grader).__name__)
    """)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "inert Inert"


def test_training_device_turns_on_op_determinism_on_a_gpu_only(monkeypatch):
    import tensorflow as tf

    from autograder.kernel_side import runtime

    switched = []
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: switched.append(True))
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: [])
    assert runtime.training_device() == "CPU" and not switched

    class Device:
        name = "/device:GPU:0"

    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: [Device()] if kind == "GPU" else [])
    assert runtime.training_device() == "GPU (/device:GPU:0, 결정적 연산)" and switched == [True]


def test_a_fingerprint_is_the_same_code_in_any_kernel_and_changes_with_it():
    from autograder.kernel_side.runtime import fingerprint

    def defined(source: str) -> dict:
        namespace: dict = {}
        exec(compile(source, "<cell>", "exec"), namespace)
        return namespace

    source = textwrap.dedent('''
        import numpy as np
        SCALE = 2
        def helper(v, eps=1e-3, *, where=np.zeros(2)):
            return v * SCALE
        class Layer:
            size = 3
            def __init__(self, w):
                self.w = w
            @property
            def weights(self):
                return [self.w]
            @staticmethod
            def make():
                return Layer(helper(1))
        wrapped = (lambda f: (lambda *a: f(*a)))(helper)
    ''')
    first, second = defined(source), defined(source)  # two kernels, the same cells
    for name in ("helper", "Layer", "wrapped"):
        assert fingerprint(first[name]) == fingerprint(second[name]), name
    changed = defined(source.replace("return v * SCALE", "return v * SCALE + 1"))
    assert fingerprint(changed["helper"]) != fingerprint(first["helper"])
    assert fingerprint(changed["wrapped"]) != fingerprint(first["wrapped"])  # through the closure
    patched = defined(source + "Layer.size = 4\n")  # a later cell changes the class
    assert fingerprint(patched["Layer"]) != fingerprint(first["Layer"])
    assert fingerprint(None) != fingerprint(first["helper"])


def test_the_overran_rule_knows_every_kind_of_cell_the_kit_sends(tmp_path):
    """Probe cells keep their own per-call limits: the rule for cells must not catch them."""
    from autograder.engine import kernel, kernel_code
    from autograder.kernel_side import overran

    probe = kernel.probe_source([{"op": "call"}], "nonce", tmp_path / "out.json")
    module_cell = kernel_code.cell(("autograder.kernel_side.show",), "pass")
    assert probe.startswith(overran.KIT_CELLS) and module_cell.startswith(overran.KIT_CELLS)


def test_one_training_routine_for_both_assignments():
    """Both training probes run one attempt through ``kernel_side.train`` (seeding, tf.function
    else eager), and the weights come back as plain arrays whatever variable holds them."""
    import inspect

    import keras
    import tensorflow as tf

    from autograder.ch02 import probes as ch02_probes
    from autograder.ch02_plus import probes as plus_probes
    from autograder.kernel_side import mnist_file, train

    for module in (ch02_probes, plus_probes):
        source = inspect.getsource(module.probe_train)
        assert "train.attempt(" in source and "compiled = False" not in source, module.__name__  # no retry loop of its own
    shapes = list(reversed(mnist_file.MODEL_SHAPES))  # any order: found by shape
    weights = [tf.Variable(np.zeros(s, np.float32)) if i % 2 else keras.Variable(np.ones(s, np.float32))
               for i, s in enumerate(shapes)]
    plain = train.trained_weights(weights)
    assert [p["t"] for p in plain] == ["ndarray"] * 4
    assert [runtime.decode(p).shape for p in plain] == list(mnist_file.MODEL_SHAPES)
