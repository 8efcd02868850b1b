"""Public self-checks of the student notebook: ``grader.check("q5_dot")``.

Each question declares its self-checks (``Question.public``: inputs that no hidden case uses).
Here they become otter OK-format tests, one case per graded object, each a one-line doctest
calling ``kernel_side.selfcheck.case`` with the check's spec and the answer key's observations
on its inputs (computed now, at build time). The setup cell of the notebook carries those test
files and the kernel-side modules the checks need, registered under a private prefix, and makes
``grader`` (``kernel_side.notebook``): otter's ``Notebook`` that shows the checks' Korean report
and submits safely from Jupyter and Colab. The self-checks then work with nothing but the
``.ipynb``. They are hints for students, not grading: the hidden tests decide the score.
"""

from __future__ import annotations

import json
import pprint

from ..engine.cases import Question
from ..engine.grade import probe_table
from ..engine.kernel_code import persistent
from ..kernel_side import runtime

OTTER_VERSION = "7.0.0"
PREFIX = "_autograder_selfcheck."  # the notebook's copies of the kit's modules, out of the kit's way
ENTRY = "autograder.kernel_side.selfcheck"
NOTEBOOK = "autograder.kernel_side.notebook"
RUNTIME = ("autograder.kernel_side.limits", "autograder.kernel_side.runtime", "autograder.kernel_side.show",
           "autograder.kernel_side.compare", "autograder.kernel_side.naive_rule", "autograder.kernel_side.judging",
           ENTRY, NOTEBOOK)
BUILD_SECONDS = 120  # the answer key's self-check probes, run once per build
VOLATILE = ("seconds",)  # never part of an expected observation: the build is deterministic

_specs_cache: dict[tuple[str, str], list[tuple[str, dict]]] = {}


def public_specs(assignment, question: Question) -> list[tuple[str, dict]]:
    """``(object, spec)`` per self-check of the question, with the answer key's observations on
    its inputs as ``spec["expected"]``."""
    key = (assignment.id, question.id)
    if key not in _specs_cache:
        namespace, table = assignment.answer_key_namespace(), probe_table(assignment)
        found = []
        for check in question.public:
            expected = []
            for spec in check.probes:
                # The answer key is not under test: a generous limit, so a cold TensorFlow on a
                # loaded machine does not fail the build (the spec's own limit is for students).
                observation = runtime.run_probe({**spec, "limit": max(spec.get("limit", 0), BUILD_SECONDS)},
                                                namespace, table)
                if not observation.get("ok") or "error" in observation:
                    raise RuntimeError(f"the answer key fails the self-check of {check.object}: {observation}")
                keep = check.keep or [k for k in observation if k not in VOLATILE]
                expected.append({k: observation[k] for k in keep if k in observation})
            found.append((check.object, {"check": check.check, **check.spec, "expected": expected}))
        _specs_cache[key] = found
    return _specs_cache[key]


def case_code(spec: dict, module: str, show_failure: bool = False) -> str:
    """One self-check as a doctest: True when it passes (the report goes to ``REPORTS``)."""
    flag = ", True" if show_failure else ""
    return (">>> from importlib import import_module\n"
            f">>> import_module({module!r}).case({json.dumps(spec, sort_keys=True)!r}, globals(){flag})\n"
            "True")


def public_cases(assignment, question: Question, module: str = PREFIX + ENTRY,
                 show_failure: bool = False) -> list[tuple[str, str]]:
    """``(name, doctest)`` per self-check; ``module`` is where the runtime is imported from
    (the notebook's private copy, or the installed kit on Gradescope)."""
    return [(name, case_code(spec, module, show_failure)) for name, spec in public_specs(assignment, question)]


def ok_test(assignment, question: Question) -> str:
    cases = [{"name": name, "code": code, "hidden": False, "locked": False, "points": 0}
             for name, code in public_cases(assignment, question)]
    test = {"name": question.id, "points": 0, "suites": [{"cases": cases, "scored": True, "setup": "",
                                                          "teardown": "", "type": "doctest"}]}
    return "OK_FORMAT = True\n\ntest = " + pprint.pformat(test, width=100, sort_dicts=False) + "\n"


def setup_source(assignment) -> str:
    """Source of the notebook's setup cell: installs otter if missing, loads the self-check
    modules, writes the tests and makes ``grader``."""
    tests = {f"{q.id}.py": ok_test(assignment, q) for q in assignment.questions}
    tests_dir, notebook = f"{assignment.id}_tests", f"{assignment.id}.ipynb"
    objects = [name for question in assignment.questions for name in question.objects]
    modules = RUNTIME + tuple(assignment.selfcheck_modules)
    return (
        "#@title 채점 준비 셀: 실행만 하고 고치지 않는다\n"
        "# 자가 점검(grader.check)과 제출(grader.export)을 준비한다. otter-grader가 없으면(코랩 등) 설치한다.\n"
        + persistent(modules, PREFIX) +
        "\n\ndef _autograder_setup():\n"
        "    import json, os, subprocess, sys\n"
        "    try:\n"
        "        import otter\n"
        "    except ImportError:\n"
        "        print('otter-grader를 설치합니다(1분쯤 걸립니다).')\n"
        f"        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'otter-grader=={OTTER_VERSION}'], check=True)\n"
        "        import otter\n"
        "    from otter.check.utils import save_notebook\n"
        "    modules = _autograder_modules()\n"
        f"    tests = json.loads({json.dumps(tests, ensure_ascii=False)!r})\n"
        f"    os.makedirs({tests_dir!r}, exist_ok=True)\n"
        "    for name, text in tests.items():\n"
        f"        with open(os.path.join({tests_dir!r}, name), 'w', encoding='utf-8') as handle:\n"
        "            handle.write(text)\n"
        # Colab keeps the notebook outside the working folder, and students rename it:
        # without the file, otter looks for the notebook itself (and tolerates none).
        f"    notebook = {notebook!r} if os.path.exists({notebook!r}) else None\n"
        f"    return modules[{NOTEBOOK!r}].make(otter.Notebook, save_notebook, modules[{ENTRY!r}], notebook, "
        f"{tests_dir!r}, {objects!r})\n"
        "\n\ngrader = _autograder_setup()\n"
        "del _autograder_setup, _autograder_modules\n"
    )
