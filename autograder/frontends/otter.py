"""The otter plugin of the Gradescope autograder: the kit grades, otter reports.

Otter would run the student's notebook and then its test files in one kernel, and it reads
that kernel's results back with ``pickle``: student code could write its own score, or run
commands in otter's process (as root, on Gradescope). So the student's code never runs in
otter's kernel:

- ``before_grading``: the assignment's datasets (from the zip, or the image's cache that
  ``setup.sh`` filled), the answer key's observations the build recorded (``expected.json``;
  the answer key itself is not in the zip), how kernels are isolated here (bubblewrap, else a
  separate user ``setup.sh`` made, with the kit and the zip readable by root only), and an
  otter log in the submission is deleted (otter would unpickle it).
- ``before_execution``: ``autograder grade``'s own engine grades the notebook (its kernel with
  time and memory limits, probes sent as text, judging in this process), then otter receives an
  empty notebook to execute, in a kernel that imports the kit first (``kit_first_kernels``), as
  the zip's ``run_otter.py`` does for otter's own process.
- ``after_grading``: each hidden case of otter's results takes the kit's verdict and Korean
  message; the results' output is the kit's Korean feedback. The scores are therefore those of
  ``autograder grade``, case for case.
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import tempfile
from pathlib import Path

from otter.plugins import AbstractOtterPlugin

from ..engine.expected import load_expected
from ..engine.files import temporary_prefix
from ..engine.kernel import KERNEL_ENV
from ..platform_names import EXPECTED_FILE, KIT_FIRST, STUDENT_USER

FILES = Path("source") / "files"  # the zip's files/, below otter's autograder folder
READABLE_DATA = Path("/tmp/autograder-data")  # datasets copied where that user can read them
OTTER_LOG = ".OTTER_LOG"


def isolation() -> tuple[dict, str]:
    """How kernels run here: (Limits fields, a note for the instructor)."""
    from ..engine import sandbox

    problem = sandbox.check()
    if problem is None:
        return {"sandbox": True}, "학생 코드는 샌드박스(bubblewrap) 안에서 실행되었습니다."
    try:
        pwd.getpwnam(STUDENT_USER)
    except KeyError:
        return {"sandbox": False}, f"주의: 샌드박스도 별도 사용자도 없이 채점했습니다 ({problem})."
    return {"sandbox": False, "run_as": STUDENT_USER}, \
        f"학생 코드는 별도 사용자({STUDENT_USER})로 실행되었습니다 (샌드박스를 쓸 수 없음: {problem})."


def kit_first_kernels(folder: Path) -> None:
    """Kernels started from now on by this process run ``KIT_FIRST`` before anything else (an
    IPython startup file in ``folder``): otter's kernel imports otter, whose nbformat would build
    jsonschema's IRI parser there too. Set after the kit's own kernels have run (their environment
    is the sandbox's, or this process's)."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-kit-first.py").write_text(KIT_FIRST, encoding="utf-8")
    os.environ["IPYTHONDIR"] = str(folder)


def failed_result(assignment, path: Path, error: BaseException):
    """Every case at 0 with a grader-error status: what otter reports when the kit itself failed."""
    import traceback

    from ..engine.cases import judge_question
    from ..engine.grade import SubmissionResult, grader_error_status

    reason = grader_error_status(error)
    cases = [r for q in assignment.questions for r in judge_question(q, None, {}, reason)]
    return SubmissionResult("submission", str(path), cases, reason, assignment=assignment.id,
                            grader_error=traceback.format_exc())


class AutograderPlugin(AbstractOtterPlugin):
    """Listed in the zip's ``otter_config.json`` with the assignment (its id, or the module
    defining it) and the kernel limits (``cell_seconds``, ``notebook_seconds``, ``memory_mb``,
    ``tasks``, ``disk_mb``: docs/limits.md)."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self._data: dict = {}
        self._expected: dict | None = None
        self._result = None
        self._note = ""
        self._ipython_dir: Path | None = None  # otter's kernel's startup file (``kit_first_kernels``)

    @functools.cached_property
    def assignment(self):
        from .. import assignment as registry

        return registry.get(self.plugin_config["assignment"])

    def before_grading(self, config):
        source = Path(config.autograder_dir)
        log = Path(self.submission_path).parent / OTTER_LOG
        if log.exists():
            log.unlink()  # never read: otter would unpickle whatever the student put there
        os.environ.update(KERNEL_ENV)
        fields, self._note = isolation()
        self._limits = self.assignment.limits.from_config(self.plugin_config).with_overrides(**fields)
        for dataset in self.assignment.datasets:
            bundled = source / FILES / dataset.filename
            try:  # bundled, else in the image's cache (setup.sh), else downloaded now
                path = bundled if bundled.is_file() else dataset.resolve(download=True)
            except Exception:
                continue  # the checks that need it fail with a Korean reason
            if dataset.local_copy:
                READABLE_DATA.mkdir(mode=0o755, parents=True, exist_ok=True)
                path = dataset.local_copy(path, READABLE_DATA)
                os.chmod(path, 0o600)  # holds the test labels: kernels read their own copies (mnist.kernel_copy)
            os.environ[dataset.env_var] = str(path)
            self._data[dataset] = Path(path)
        expected = source / FILES / EXPECTED_FILE
        self._expected = load_expected(expected.read_text(encoding="utf-8")) if expected.is_file() else None

    def before_execution(self, submission):
        import nbformat

        from ..engine.cache import ProbeCache
        from ..engine.grade import grade_notebook

        try:
            self._result = grade_notebook(self.assignment, Path(self.submission_path), "submission", self._data,
                                          self._limits, ProbeCache.from_environment(), expected=self._expected)
        except BaseException as error:  # never otter's crash: results.json is written all the same
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            self._result = failed_result(self.assignment, Path(self.submission_path), error)
        self._ipython_dir = Path(tempfile.mkdtemp(prefix=temporary_prefix("autograder-ipython-")))
        kit_first_kernels(self._ipython_dir)
        return nbformat.v4.new_notebook(metadata=submission.metadata)  # otter's kernel runs no student code

    def after_grading(self, results):
        from ..engine import records

        if self._ipython_dir is not None:  # otter's kernel has run (a killed run's: files.remove_dead_temporaries)
            shutil.rmtree(self._ipython_dir, ignore_errors=True)

        by_question: dict[str, list] = {}
        for case in self._result.cases:
            by_question.setdefault(case.question, []).append(case)
        for question_id, test in results.results.items():
            cases = by_question.get(question_id, [])
            hidden = [r for r in test.test_case_results if r.test_case.hidden]
            if [r.test_case.name for r in hidden] != [case.name for case in cases]:
                for r in hidden:  # the zip and the kit disagree: nothing is given
                    r.passed, r.message = False, "채점 도구 오류: 이 자동 채점기의 검사 목록이 채점 도구와 다릅니다. 강사에게 알려 주세요."
                continue
            for r, case in zip(hidden, cases):
                r.passed = case.passed
                r.message = case.message if not case.passed or "\n" in case.message else "통과"
        results.output = records.feedback_markdown(self._result, self.assignment.questions, self.assignment.title)
        # For the instructor only (Gradescope shows the autograder's stdout to staff, not students):
        # how the student's code ran, and the kit's own problems.
        print(self._note)
        for problem in self._result.problems:
            if not problem.for_student:
                print(problem)
