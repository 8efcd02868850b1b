"""Public self-checks of the student notebook: ``grader.check("q5_dot")``.

They are otter OK-format tests, embedded in the notebook's setup cell, which writes them to
``<id>_tests/`` when run: the self-checks then work with nothing but the ``.ipynb`` (Colab).
Each question's self-check calls the graded functions on the smallest input of its hidden
value cases, with the expected value computed from the answer key at build time; questions
whose hidden cases are not plain calls get checks written out by the assignment
(``Assignment.public_checks``). These are hints for students, not grading: hidden tests
decide the score.
"""

from __future__ import annotations

import json
import pprint

import numpy as np

from ..engine.cases import ProbeKey, Question
from ..kernel_side import runtime

OTTER_VERSION = "7.0.0"

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


def public_cases(assignment, question: Question, expected: dict) -> list[tuple[str, str]]:
    written = assignment.public_checks(question, expected) if assignment.public_checks else None
    if written is not None:
        return written
    cases, seen = [], set()
    for key in sorted(k for k in question.specs if isinstance(k, ProbeKey) and k.index == 0 and k.kind == "value"):
        spec = question.specs[key]
        if spec["object"] in seen:
            continue
        case = _call_case(spec, expected.get(key, {}))
        if case:
            seen.add(spec["object"])
            cases.append(case)
    return cases


def ok_test(assignment, question: Question, expected: dict) -> str:
    cases = [{
        "name": name,
        "code": code,
        "hidden": False,
        "locked": False,
        "points": 0,
        "failure_message": f"{name}: 아직 맞지 않습니다. 위의 기대값(Expected)과 실제 값(Got)을 비교해 보세요.",
        "success_message": f"{name}: 통과",
    } for name, code in public_cases(assignment, question, expected)]
    test = {"name": question.id, "points": 0, "suites": [{"cases": cases, "scored": True, "setup": "",
                                                          "teardown": "", "type": "doctest"}]}
    return "OK_FORMAT = True\n\ntest = " + pprint.pformat(test, width=100, sort_dicts=False) + "\n"


def setup_source(assignment, expected: dict[str, dict]) -> str:
    """Source of the notebook's setup cell: installs otter if missing, writes the tests."""
    tests = {f"{q.id}.py": ok_test(assignment, q, expected[q.id]) for q in assignment.questions}
    tests_dir, notebook = f"{assignment.id}_tests", f"{assignment.id}.ipynb"
    return (
        "# 채점 준비 셀: 자가 점검(grader.check)에 필요한 파일을 만듭니다. 수정하지 마세요.\n"
        "import os, subprocess, sys\n"
        "try:\n"
        "    import otter\n"
        "except ImportError:  # 코랩 등 otter-grader가 없는 환경\n"
        f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'otter-grader=={OTTER_VERSION}'], check=True)\n"
        "    import otter\n"
        f"_self_checks = {json.dumps(tests, ensure_ascii=False, indent=1)}\n"
        f"os.makedirs({tests_dir!r}, exist_ok=True)\n"
        "for _name, _text in _self_checks.items():\n"
        f"    with open(os.path.join({tests_dir!r}, _name), 'w', encoding='utf-8') as _file:\n"
        "        _file.write(_text)\n"
        # Colab keeps the notebook outside the working folder, and students rename it:
        # without the file, otter looks for the notebook itself (and tolerates none).
        f"_notebook_file = {notebook!r} if os.path.exists({notebook!r}) else None\n"
        f"grader = otter.Notebook(_notebook_file, tests_dir={tests_dir!r})\n"
    )
