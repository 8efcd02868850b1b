"""The otter plugin of the Gradescope autograder, and the little it runs in the student's kernel.

Otter executes the submission in a Jupyter kernel and then runs the test files in that same
kernel. ``autograder grade`` does it differently (probes in the kernel, judging outside), so
this plugin makes otter's run match it as far as a shared kernel allows:

- ``before_grading`` (otter's process): MNIST from the zip (``MNIST_NPZ``) and the kernel
  environment of ``autograder grade``; the zip's test files are read into memory before any
  student code runs.
- ``before_execution`` (otter's process): the notebook is prepared like ``autograder grade``
  prepares it (demonstration training and ``grader.*`` calls stripped), kit imports are found
  statically, and a first cell is inserted: the local harness (output cap, kit modules
  unimportable, ``mnist.load_data()`` served from the local file) plus time limits: per student
  cell, for all student cells, and for all tests together. After every student cell, NumPy,
  ``math`` and ``builtins`` get back the attributes they had before the first one. When otter's
  last cell (the tests) starts, the kit becomes importable again and is loaded afresh.
- ``after_grading`` (otter's process): questions whose graded objects were defined in a cell
  that imports the kit score 0, as in ``autograder grade``; so does a question whose test file
  was changed on disk while the student's code ran.

Nothing in the kernel can stop code that is written against the kit or otter on purpose; see
``docs/gradescope.md`` for what is and is not covered.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from otter.plugins import AbstractOtterPlugin

CELL_SECONDS = 120  # one student cell, as in ``autograder grade`` (engine.kernel.Limits)
NOTEBOOK_SECONDS = 240  # all student cells together (Gradescope's default limit is 600 s)
CHECKS_SECONDS = 240  # all tests together, after the notebook
BUNDLED_MNIST = "mnist.npz"  # in the zip's files/ folder
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
              "PYTHONWARNINGS": "ignore"}  # what engine.kernel gives its kernels


# ---------------------------------------------------------------- inside the student's kernel

# Runs in the student's kernel, compiled under the name "<ch02-guard>" (the kit itself cannot be
# imported there while the student's cells run). ``stopper`` makes a time limit that a loop with
# ``except:`` or ``except BaseException:`` cannot swallow: once the alarm fires, every line of
# student code raises again, so the loop ends; library code (IPython, otter, NumPy) is untouched.
GUARD_SOURCE = r"""
import os as _os, signal as _signal, sys as _sys, time as _time

def stopper(make_error, exempt=(), exempt_dirs=()):
    roots = tuple(_os.path.realpath(root) + _os.sep
                  for root in {_sys.prefix, _sys.base_prefix, _sys.exec_prefix} if root)
    roots += tuple(exempt_dirs)
    verdicts = {}

    def student(code):
        name = code.co_filename
        if name not in verdicts:
            special = name.startswith("<") and not name.startswith(("<string>", "<ipython-input"))
            verdicts[name] = not (name in exempt or special
                                  or _os.path.realpath(name).startswith(roots))
        return verdicts[name]

    def running(frame):
        # the frames of student code on the stack, innermost first
        found = []
        while frame is not None:
            if student(frame.f_code):
                found.append(frame)
            frame = frame.f_back
        return found

    def trace(frame, event, arg):
        # Not on "exception" events: an exception raised by a trace function also ends the
        # tracing, and the handler that swallows it would then run untraced.
        if event != "exception" and student(frame.f_code):
            raise make_error()
        if event == "exception":
            return trace
        if not running(frame):
            _sys.settrace(None)  # the student's code has stopped: the caller is reporting it
        return None

    def on_alarm(signum, frame):
        frames = running(frame)
        if frames:  # otherwise the student's code already stopped
            _sys.settrace(trace)
            for each in frames:
                each.f_trace = trace
            raise make_error()

    return on_alarm, student

def start(seconds, handler):
    _signal.signal(_signal.SIGALRM, handler)
    _signal.setitimer(_signal.ITIMER_REAL, max(seconds, 0.001), 1.0)

def stop(previous_trace=None):
    _signal.setitimer(_signal.ITIMER_REAL, 0)
    _sys.settrace(previous_trace)

def watchdog(seconds, handler, released):
    # From a thread: SIGVTALRM to the main thread after ``seconds``, then every second until
    # ``released()``. A wall-clock limit that leaves SIGALRM to the probes' own limits.
    import threading

    main = threading.main_thread().ident

    def watch():
        _time.sleep(seconds)
        while not released():
            _signal.pthread_kill(main, _signal.SIGVTALRM)
            _time.sleep(1)

    _signal.signal(_signal.SIGVTALRM, handler)
    threading.Thread(target=watch, daemon=True).start()

def install(shell, cell_seconds, notebook_seconds, checks_seconds, checks_prefix, kit_packages,
            harness_file):
    import builtins, importlib.util, math
    import numpy
    saved = {module: dict(vars(module)) for module in (builtins, math, numpy)}
    budget_end = _time.monotonic() + notebook_seconds
    checks = {"exhausted": False, "released": True}

    class CellTimeLimit(BaseException):
        pass

    class ChecksTimeLimit(BaseException):
        pass

    def cell_error():
        return CellTimeLimit(f"셀 실행 시간 제한(셀마다 {cell_seconds}초, 모두 합쳐 {notebook_seconds}초) 초과")

    def checks_error():
        checks["exhausted"] = True
        return ChecksTimeLimit(f"채점 전체 시간 제한({checks_seconds}초) 초과")

    on_cell_alarm, _ = stopper(cell_error, exempt=(harness_file,))

    def restore():
        missing = object()
        for module, values in saved.items():
            for key, value in values.items():
                if vars(module).get(key, missing) is not value:
                    setattr(module, key, value)

    def start_checks(info):
        stop()
        _sys.meta_path[:] = [f for f in _sys.meta_path if type(f).__name__ != "_ChO2Blocker"]
        for name in [n for n in _sys.modules if n.split(".")[0] in kit_packages]:
            del _sys.modules[name]  # loaded (or faked) by the student: the checks load it afresh
        restore()
        # All checks together get ``checks_seconds``: past that, student code stops where it is
        # and the remaining cases fail without running (``case`` in autograder.otter_plugin).
        exempt = [harness_file]
        try:
            exempt.append(shell.compile.get_code_name(info.raw_cell, None, 0))  # this cell
        except Exception:
            pass
        kit_dirs = []
        for package in kit_packages:
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin:
                kit_dirs.append(_os.path.dirname(_os.path.realpath(spec.origin)) + _os.sep)
        on_deadline, _ = stopper(checks_error, tuple(exempt), tuple(kit_dirs))

        def deadline(signum, frame):
            checks["exhausted"] = True
            on_deadline(signum, frame)

        checks.update(exhausted=False, released=False)
        _sys._ch02_checks = checks
        watchdog(checks_seconds, deadline, lambda: checks["released"])

    def before(info=None):
        if (getattr(info, "raw_cell", "") or "").startswith(checks_prefix):
            start_checks(info)
        else:
            start(min(cell_seconds, budget_end - _time.monotonic()), on_cell_alarm)

    def after(result=None):
        stop()
        checks["released"] = True
        restore()  # a patched builtins.isinstance would break the kernel itself, and otter waits

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
"""

_guard: dict = {}
exec(compile(GUARD_SOURCE, "<ch02-guard>", "exec"), _guard)
_previous_trace: list = []


def arm(seconds: float) -> None:
    """Limit what follows to ``seconds``; ``arm(0)`` ends the limit. Used around the public
    checks, which call the student's functions outside the probes' own limits."""
    import functools
    import sys

    from .engine.runtime import ProbeTimeout

    if not seconds:
        _guard["stop"](_previous_trace.pop() if _previous_trace else None)
        return
    # The caller's cell (otter's test cell) is spared; the student's code below it is not.
    frame, probe = sys._getframe(1), _guard["stopper"](lambda: None)[1]
    while frame is not None and not probe(frame.f_code):
        frame = frame.f_back
    exempt = (frame.f_code.co_filename,) if frame is not None else ()
    # A partial, not a lambda: a Python function of the kit is "student code" to the stopper
    # when the kit is not installed in site-packages, and raising in it would end the tracing.
    error = functools.partial(ProbeTimeout, f"{seconds:g}초 시간 제한 초과")
    on_alarm, _ = _guard["stopper"](error, exempt)
    _previous_trace.append(sys.gettrace())
    _guard["start"](seconds, on_alarm)


def case(question_id: str, index: int, namespace) -> bool:
    """A hidden case: ``inline.case_passed``, unless the checks' time is used up."""
    import sys

    checks = getattr(sys, "_ch02_checks", None)
    if checks is not None and checks.get("exhausted"):
        print("채점 전체 시간 제한을 넘겨 이 검사는 실행하지 않았습니다.")
        return False
    from .inline import case_passed

    return case_passed(question_id, index, namespace)


def checks_prefix() -> str:
    """How otter's last cell, the one that runs the test files, begins."""
    from otter.execute.preprocessor import EXPORT_CELL_SOURCE

    return EXPORT_CELL_SOURCE.split("{", 1)[0]


def first_cell_source(mnist_path: Path | None, cell_seconds: float = CELL_SECONDS,
                      notebook_seconds: float = NOTEBOOK_SECONDS,
                      checks_seconds: float = CHECKS_SECONDS) -> str:
    """The cell inserted before the student's: the local grader's harness, then the guard."""
    from .engine.kernel import KIT_PACKAGES, Limits, harness_source

    guard = (
        "_ch02_guard = {}\n"
        f"exec(compile({GUARD_SOURCE!r}, '<ch02-guard>', 'exec'), _ch02_guard)\n"
        f"_ch02_guard['install'](get_ipython(), {cell_seconds!r}, {notebook_seconds!r}, {checks_seconds!r}, "
        f"{checks_prefix()!r}, {KIT_PACKAGES!r}, __import__('sys')._getframe().f_code.co_filename)\n"
        "del _ch02_guard\n")
    return harness_source(mnist_path, Limits().output_chars) + guard


# ---------------------------------------------------------------- in otter's own process


def _case_signature(test_file) -> list[tuple]:
    return [(case.name, case.body, case.hidden, case.points) for case in test_file.test_cases]


class Ch02Plugin(AbstractOtterPlugin):
    """Listed in the zip's ``otter_config.json``; config keys ``cell_seconds``,
    ``notebook_seconds`` and ``checks_seconds`` override the limits above."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self._tests: dict[str, list[tuple]] = {}
        self._notebook = None

    def before_grading(self, config):
        bundled = Path(config.autograder_dir) / "source" / "files" / BUNDLED_MNIST
        from . import mnist

        if bundled.is_file():
            os.environ.setdefault(mnist.ENV_VAR, str(bundled.resolve()))
        else:  # downloaded into Keras's cache by setup.sh, or now; else the training case says why
            try:
                os.environ.setdefault(mnist.ENV_VAR, str(mnist.resolve(download=True)))
            except mnist.MnistUnavailable:
                pass
        os.environ.update(KERNEL_ENV)  # the kernel inherits otter's environment
        from otter.test_files import OKTestFile

        for path in sorted(glob.glob(str(Path(config.autograder_dir) / "source" / "tests" / "*.py"))):
            test = OKTestFile.from_file(path)
            self._tests[test.name] = _case_signature(test)

    def before_execution(self, submission):
        from . import mnist
        from .engine import submission as reading

        try:
            self._notebook = reading.read(Path(self.submission_path))
        except (reading.UnreadableSubmission, OSError):
            self._notebook = None
        for cell in submission.cells:
            if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
                cell.source = reading.prepare(cell.source)
        try:
            data = mnist.resolve(download=False)
        except mnist.MnistUnavailable:
            data = None  # the notebook and the checks fall back to the Keras download
        import nbformat

        config = self.plugin_config
        source = first_cell_source(data, config.get("cell_seconds", CELL_SECONDS),
                                   config.get("notebook_seconds", NOTEBOOK_SECONDS),
                                   config.get("checks_seconds", CHECKS_SECONDS))
        submission.cells.insert(0, nbformat.v4.new_code_cell(source))
        return submission

    def after_grading(self, results):
        from .ch02.questions import questions
        from .engine.grade import kit_violation

        for question in questions():
            test = results.results.get(question.id)
            if test is None:
                continue
            reason = None
            if question.id in self._tests and _case_signature(test) != self._tests[question.id]:
                reason = "채점 중에 이 문제의 테스트 파일이 바뀌었습니다."
            elif self._notebook is not None:
                reason = kit_violation(question, self._notebook, {})
            if reason:
                for result in test.test_case_results:
                    if result.test_case.hidden:
                        result.passed = False
                        result.message = f"❌ {reason} 이 문제는 0점입니다."
