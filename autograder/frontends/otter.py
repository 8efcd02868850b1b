"""The otter plugin of the Gradescope autograder, and the little it runs in the student's kernel.

Otter executes the submission in a Jupyter kernel and then runs the test files in that same
kernel. ``autograder grade`` does it differently (probes in the kernel, judging outside), so
this plugin makes otter's run match it as far as a shared kernel allows:

- ``before_grading`` (otter's process): the assignment's datasets from the zip (or the image's
  Keras cache, or a download) and the kernel environment of ``autograder grade``; the zip's
  test files are read into memory before any student code runs.
- ``before_execution`` (otter's process): the notebook is prepared like ``autograder grade``
  prepares it (demonstration training and ``grader.*`` calls stripped), kit imports are found
  statically, and a first cell is inserted: the local harness (output cap, kit modules
  unimportable, datasets served from local files) plus the limits of ``kernel_side.otter_guard``.
- ``after_grading`` (otter's process): questions whose graded objects were defined in a cell
  that imports the kit score 0, as in ``autograder grade``; so does a question whose test file
  was changed on disk while the student's code ran.

Nothing in the kernel can stop code that is written against the kit or otter on purpose; see
``docs/gradescope.md`` for what is and is not covered.
"""

from __future__ import annotations

import functools
import glob
import os
import sys
from pathlib import Path

from otter.plugins import AbstractOtterPlugin

from ..engine import kernel_code
from ..engine.kernel import KERNEL_ENV, Limits

CELL_SECONDS = 120  # one student cell, as in ``autograder grade`` (engine.kernel.Limits)
NOTEBOOK_SECONDS = 240  # all student cells together (Gradescope's default limit is 600 s)
CHECKS_SECONDS = 240  # all tests together, after the notebook
FILES = Path("source") / "files"  # the zip's files/, below otter's autograder folder
PLUGIN = "autograder.frontends.otter.AutograderPlugin"


# ---------------------------------------------------------------- in the student's kernel

_previous_trace: list = []


def arm(seconds: float) -> None:
    """Limit what follows to ``seconds``; ``arm(0)`` ends the limit. Used around the public
    checks, which call the student's functions outside the probes' own limits."""
    from ..kernel_side import limits, runtime

    if not seconds:
        limits.stop(_previous_trace.pop() if _previous_trace else None)
        return
    # The caller's cell (otter's test cell) is spared; the student's code below it is not.
    student = limits.StudentCode()
    frame = sys._getframe(1)
    while frame is not None and not student(frame.f_code):
        frame = frame.f_back
    exempt = (frame.f_code.co_filename,) if frame is not None else ()
    stopper = limits.Stopper(functools.partial(runtime.ProbeTimeout, f"{seconds:g}초 시간 제한 초과"),
                             limits.StudentCode(exempt))
    _previous_trace.append(sys.gettrace())
    limits.start(seconds, stopper.alarm)


def case(assignment: str, question_id: str, index: int, namespace) -> bool:
    """A hidden case: ``inline.case_passed``, unless the checks' time is used up."""
    from ..kernel_side.otter_guard import CHECKS_STATE

    checks = getattr(sys, CHECKS_STATE, None)
    if checks is not None and checks.get("exhausted"):
        print("채점 전체 시간 제한을 넘겨 이 검사는 실행하지 않았습니다.")
        return False
    from .inline import case_passed

    return case_passed(assignment, question_id, index, namespace)


def checks_prefix() -> str:
    """How otter's last cell, the one that runs the test files, begins."""
    from otter.execute.preprocessor import EXPORT_CELL_SOURCE

    return EXPORT_CELL_SOURCE.split("{", 1)[0]


def first_cell_source(assignment, data: dict, cell_seconds: float = CELL_SECONDS,
                      notebook_seconds: float = NOTEBOOK_SECONDS, checks_seconds: float = CHECKS_SECONDS) -> str:
    """The cell inserted before the student's: the harness of ``autograder grade`` and the
    guard. ``data``: dataset -> file, for the datasets found here."""
    roots = assignment.kit_roots
    body = (
        f"blocker = modules['autograder.kernel_side.harness'].install({Limits().output_chars!r}, {roots!r})\n"
        f"modules['autograder.kernel_side.otter_guard'].install(get_ipython(), blocker, {cell_seconds!r}, "
        f"{notebook_seconds!r}, {checks_seconds!r}, {checks_prefix()!r}, {roots!r}, "
        "sys._getframe().f_code.co_filename)")
    return kernel_code.cell(kernel_code.OTTER_GUARD, body) + "".join(
        dataset.kernel_patch(path) for dataset, path in data.items())


# ---------------------------------------------------------------- in otter's own process


def _case_signature(test_file) -> list[tuple]:
    return [(case.name, case.body, case.hidden, case.points) for case in test_file.test_cases]


class AutograderPlugin(AbstractOtterPlugin):
    """Listed in the zip's ``otter_config.json`` with the assignment (its id, or the module
    defining it); config keys ``cell_seconds``, ``notebook_seconds`` and ``checks_seconds``
    override the limits above."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self._tests: dict[str, list[tuple]] = {}
        self._notebook = None
        self._data: dict = {}

    @functools.cached_property
    def assignment(self):
        from .. import assignment as registry

        return registry.get(self.plugin_config["assignment"])

    def before_grading(self, config):
        for dataset in self.assignment.datasets:
            bundled = Path(config.autograder_dir) / FILES / dataset.filename
            try:  # bundled, else in the image's cache (setup.sh), else downloaded now
                path = bundled.resolve() if bundled.is_file() else dataset.resolve(download=True)
            except Exception:
                continue  # the checks that need it fail with a Korean reason
            os.environ.setdefault(dataset.env_var, str(path))
            self._data[dataset] = path
        os.environ.update(KERNEL_ENV)  # the kernel inherits otter's environment
        from otter.test_files import OKTestFile

        for path in sorted(glob.glob(str(Path(config.autograder_dir) / "source" / "tests" / "*.py"))):
            test = OKTestFile.from_file(path)
            self._tests[test.name] = _case_signature(test)

    def before_execution(self, submission):
        import nbformat

        from ..engine import submission as reading

        try:
            self._notebook = reading.read(Path(self.submission_path), self.assignment.kit_roots)
        except (reading.UnreadableSubmission, OSError):
            self._notebook = None
        for cell in submission.cells:
            if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
                cell.source = reading.prepare(cell.source)
        config = self.plugin_config
        source = first_cell_source(self.assignment, self._data, config.get("cell_seconds", CELL_SECONDS),
                                   config.get("notebook_seconds", NOTEBOOK_SECONDS),
                                   config.get("checks_seconds", CHECKS_SECONDS))
        submission.cells.insert(0, nbformat.v4.new_code_cell(source))
        return submission

    def after_grading(self, results):
        from ..engine.grade import kit_violation

        for question in self.assignment.questions:
            test = results.results.get(question.id)
            if test is None:
                continue
            reason = None
            if question.id in self._tests and _case_signature(test) != self._tests[question.id]:
                reason = "채점 중에 이 문제의 테스트 파일이 바뀌었습니다."
            elif self._notebook is not None:
                reason = kit_violation(question, self._notebook, {}, self.assignment.kit_roots)
            if reason:
                for result in test.test_case_results:
                    if result.test_case.hidden:
                        result.passed = False
                        result.message = f"❌ {reason} 이 문제는 0점입니다."
