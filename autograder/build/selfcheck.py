"""Public self-checks of the student notebook: ``grader.check("q5_dot")``.

They are otter OK-format tests, embedded in the notebook's setup cell, which writes them to
``ch02_tests/`` when run: the self-checks then work with nothing but the ``.ipynb`` (Colab).
Each question's self-check calls the graded functions on the smallest input of its hidden
value cases, with the expected value computed from ``solutions`` at build time; q1 and q8,
whose hidden cases are not plain calls, get a few structural checks written out here.
These are hints for students, not grading: hidden tests decide the score.
"""

from __future__ import annotations

import json
import pprint
from typing import Sequence

import numpy as np

from .. import ASSIGNMENT
from ..engine import runtime
from ..engine.cases import Question

TESTS_DIR = f"{ASSIGNMENT}_tests"
OTTER_VERSION = "7.0.0"

HANDWRITTEN = {
    "q1_keras_mnist": [
        ("preprocess_images: (n, 784) float32, 0~1",
         ">>> import numpy as np\n"
         ">>> _x = preprocess_images(np.full((2, 28, 28), 255, dtype=np.uint8))\n"
         ">>> (_x.shape, str(_x.dtype), float(_x.max()))\n"
         "((2, 784), 'float32', 1.0)"),
        ("build_model: Dense 512 relu, Dense 10 softmax",
         ">>> _m = build_model()\n"
         ">>> [(type(l).__name__, l.units, l.get_config()['activation']) for l in _m.layers]\n"
         "[('Dense', 512, 'relu'), ('Dense', 10, 'softmax')]"),
    ],
    "q8_from_scratch": [
        ("NaiveDense: W (5, 3), b (3,)",
         ">>> import tensorflow as tf\n"
         ">>> _layer = NaiveDense(input_size=5, output_size=3, activation=tf.nn.relu)\n"
         ">>> [tuple(w.shape) for w in _layer.weights]\n"
         "[(5, 3), (3,)]"),
        ("BatchGenerator: 300개, batch_size=64",
         ">>> import numpy as np\n"
         ">>> _gen = BatchGenerator(np.zeros((300, 2)), np.arange(300), batch_size=64)\n"
         ">>> (_gen.num_batches, [len(_gen.next()[1]) for _ in range(5)])\n"
         "(5, [64, 64, 64, 64, 44])"),
        ("update_weights: 전달받은 weights 갱신",
         ">>> import numpy as np, tensorflow as tf\n"
         ">>> _w = [tf.Variable(np.ones((2, 2), dtype='float32'))]\n"
         ">>> _ = update_weights([tf.ones((2, 2))], _w)\n"
         ">>> bool(np.allclose(_w[0].numpy(), 1 - 1e-3))\n"
         "True"),
    ],
}


def _literal(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype={str(value.dtype)!r})"
    return repr(value)


def _call_case(spec: dict, expected: dict) -> tuple[str, str] | None:
    if spec["op"] != "call" or not expected.get("ok") or "result" not in expected:
        return None
    args = [_literal(runtime.decode(a)) for a in spec["args"]]
    args += [f"{k}={_literal(runtime.decode(v))}" for k, v in spec.get("kwargs", {}).items()]
    call = f"{spec['object']}({', '.join(args)})"
    result = expected["result"]
    if result["t"] in ("list", "tuple"):
        wants = [_literal(np.asarray(runtime.decode(item))) for item in result["items"]]
        body = (f">>> _got = [np.asarray(g) for g in {call}]\n"
                f">>> _want = [{', '.join(wants)}]\n"
                ">>> [g.shape == w.shape and bool(np.allclose(g, w, atol=1e-4)) for g, w in zip(_got, _want)]\n"
                f"{[True] * len(wants)!r}")
    else:
        want = np.asarray(runtime.decode(result))
        body = (f">>> _got = np.asarray({call})\n"
                f">>> _want = {_literal(want)}\n"
                ">>> (_got.shape, bool(np.allclose(_got, _want, atol=1e-4)))\n"
                f"({tuple(want.shape)!r}, True)")
    return f"{spec['object']}: 작은 입력", ">>> import numpy as np\n" + body


def public_cases(question: Question, expected: dict) -> list[tuple[str, str]]:
    if question.id in HANDWRITTEN:
        return HANDWRITTEN[question.id]
    cases, seen = [], set()
    for key in sorted(k for k in question.specs if k.endswith(":value:0")):
        spec = question.specs[key]
        if spec["object"] in seen:
            continue
        case = _call_case(spec, expected.get(key, {}))
        if case:
            seen.add(spec["object"])
            cases.append(case)
    return cases


def ok_test(question: Question, expected: dict) -> str:
    cases = [{
        "name": name,
        "code": code,
        "hidden": False,
        "locked": False,
        "points": 0,
        "failure_message": f"{name}: 아직 맞지 않습니다. 위의 기대값(Expected)과 실제 값(Got)을 비교해 보세요.",
        "success_message": f"{name}: 통과",
    } for name, code in public_cases(question, expected)]
    test = {"name": question.id, "points": 0, "suites": [{"cases": cases, "scored": True, "setup": "",
                                                          "teardown": "", "type": "doctest"}]}
    return "OK_FORMAT = True\n\ntest = " + pprint.pformat(test, width=100, sort_dicts=False) + "\n"


def setup_source(questions: Sequence[Question], expected: dict[str, dict]) -> str:
    """Source of the notebook's setup cell: installs otter if missing, writes the tests."""
    tests = {f"{q.id}.py": ok_test(q, expected[q.id]) for q in questions}
    return (
        "# 채점 준비 셀: 자가 점검(grader.check)에 필요한 파일을 만듭니다. 수정하지 마세요.\n"
        "import os, subprocess, sys\n"
        "try:\n"
        "    import otter\n"
        "except ImportError:  # 코랩 등 otter-grader가 없는 환경\n"
        f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'otter-grader=={OTTER_VERSION}'], check=True)\n"
        "    import otter\n"
        f"_ch02_tests = {json.dumps(tests, ensure_ascii=False, indent=1)}\n"
        f"os.makedirs({TESTS_DIR!r}, exist_ok=True)\n"
        "for _name, _text in _ch02_tests.items():\n"
        f"    with open(os.path.join({TESTS_DIR!r}, _name), 'w', encoding='utf-8') as _file:\n"
        "        _file.write(_text)\n"
        # Colab keeps the notebook outside the working folder, and students rename it:
        # without the file, otter looks for the notebook itself (and tolerates none).
        f"_ch02_notebook = {ASSIGNMENT + '.ipynb'!r} if os.path.exists({ASSIGNMENT + '.ipynb'!r}) else None\n"
        f"grader = otter.Notebook(_ch02_notebook, tests_dir={TESTS_DIR!r})\n"
    )
