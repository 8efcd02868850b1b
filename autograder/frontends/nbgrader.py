"""nbgrader's autograde step done by the kit: ``KitAutograde`` takes the place of nbgrader's
``Execute`` preprocessor (the course's ``nbgrader_config.py`` lists it).

nbgrader would run the submitted notebook, hidden tests included, in one kernel as the
instructor's user: the student's code could read the course folder (the gradebook, other
submissions) and the hidden tests would run beside it. Instead ``autograder grade``'s engine
grades the notebook in its own kernel (sandboxed where bubblewrap runs) and judges here; each
hidden test cell then gets its question's points as its value (nbgrader's partial credit) and
the Korean report of its cases as its printed output, which ``nbgrader generate_feedback`` shows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..engine.cases import by_cause, one_cause
from ..engine.records import cost_of
from ..kernel_side import show

GRADE_PREFIX = "test_"  # a hidden test cell's grade_id is test_<question id>


def report(cases, status: list[str]) -> str:
    """The Korean lines a student reads under a question's test cell: one line for the cases
    one cause stopped (a stub, a missing object), each other case with its message."""
    lines = []
    for group in by_cause(cases):
        if one_cause(group[0]) is not None:
            first, *rest = show.one_cause(group[0].message, cost_of(group))
            lines += [f"[실패] {first}"] + [f"    {line}" for line in rest]
            continue
        for case in group:
            lines.append(f"[{'통과' if case.passed else '실패'}] {case.name} ({case.points:g}/{case.max_points:g})")
            if case.message and (not case.passed or "\n" in case.message):
                lines.append("    " + case.message.replace("\n", "\n    "))
    lines += [f"채점 중 발견된 문제: {part}" for part in status]
    return "\n".join(lines) + "\n"


def problems_under(question: str, problems, questions, first: bool) -> list[str]:
    """What a question's test cell says of the problems a student reads: the question's own (by
    its typed question, whatever the ids look like), and under the first cell the notebook's
    (a cell that hung...). Instructor-only problems (sandbox, kit errors) never."""
    shown = [problem for problem in problems if problem.for_student]
    return [problem.text for problem in shown if problem.question == question] + \
        [str(problem) for problem in shown if first and (problem.question is None or problem.question not in questions)]


class KitAutograde(NbGraderPreprocessor):
    assignment = Unicode(help="The assignment's id (or the module defining it).").tag(config=True)

    def preprocess(self, nb, resources):
        from .. import assignment as registry
        from ..engine import files, sandbox
        from ..engine.cache import ProbeCache
        from ..engine.grade import grade_notebook

        assignment = registry.get(self.assignment)
        data = {}
        for dataset in assignment.datasets:
            try:
                data[dataset] = dataset.resolve(download=True)
            except Exception:
                pass  # the checks that need it fail with a Korean reason
        with tempfile.TemporaryDirectory(prefix=files.temporary_prefix("autograder-nbgrader-")) as folder:
            path = Path(folder) / "submission.ipynb"
            nbformat.write(nb, str(path))
            result = grade_notebook(assignment, path, "submission", data,
                                    assignment.limits.with_overrides(sandbox=sandbox.check() is None),
                                    ProbeCache.from_environment())
        questions = {question.id for question in assignment.questions}
        for problem in result.problems:  # the instructor's (sandbox, kit errors) go to nbgrader's log
            if not problem.for_student:
                self.log.warning("%s", problem)
        first = True
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("grade") \
                    or not grade_id.startswith(GRADE_PREFIX):
                continue
            question = grade_id[len(GRADE_PREFIX):]
            cases = [case for case in result.cases if case.question == question]
            earned = sum(case.points for case in cases)
            status = problems_under(question, result.problems, questions, first)
            first = False
            cell.outputs = [new_output("stream", name="stdout", text=report(cases, status)),
                            new_output("execute_result", data={"text/plain": repr(round(earned, 6))},
                                       execution_count=1)]
            cell.execution_count = 1
        return nb, resources
