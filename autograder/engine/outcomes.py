"""Typed facts about one graded submission, made where they are found and turned into text only
where a person reads them: a ``Problem`` of the submission or of the grading (the status column,
the feedback), a ``CellError`` (a cell that stopped with an exception), a cell's ``CellStatus``.

Who reads what: every problem goes to ``grades.csv``'s status column, the report and the
terminal; only those a student caused (``Problem.for_student``) go to what students read
(``feedback.md``, Gradescope's output, nbgrader's cell output).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CellStatus(str, enum.Enum):
    """How a notebook cell ended (``kernel.CellOutcome.status`` holds its value)."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DIED = "died"
    STUCK = "stuck"
    SKIPPED = "skipped"

    @property
    def broke_kernel(self) -> bool:
        return self in (CellStatus.TIMEOUT, CellStatus.DIED, CellStatus.STUCK, CellStatus.SKIPPED)


# Problem kinds. The first ones are the student's to read; the others only the instructor's.
CELL = "cell"  # a cell hung, killed its kernel, or was skipped
SYNTAX = "syntax"  # a cell that does not parse
KIT_RULE = "kit_rule"  # a graded object came from the kit (the question scores 0)
PROBE = "probe"  # a question's checks could not report (timeout, dead kernel)
UNREADABLE = "unreadable"  # the file is not a notebook
OTHER = "other"  # a reason for the whole run (a worker that died, ...)
GRADER_ERROR = "grader_error"  # the kit's own error (traceback in traceback.txt)
NO_SANDBOX = "no_sandbox"  # graded without engine.sandbox
DUPLICATE = "duplicate"  # the same bytes as another submission of the batch
INSTRUCTOR_ONLY = frozenset({GRADER_ERROR, NO_SANDBOX, DUPLICATE})


@dataclass(frozen=True)
class Problem:
    question: str | None  # the question it concerns, None for the whole notebook
    kind: str
    text: str  # Korean

    @property
    def for_student(self) -> bool:
        return self.kind not in INSTRUCTOR_ONLY

    def __str__(self) -> str:
        return f"{self.question}: {self.text}" if self.question else self.text

    @classmethod
    def from_dict(cls, data: dict) -> "Problem":
        return cls(data.get("question"), data.get("kind", ""), data.get("text", ""))


def status_text(problems) -> str:
    """The status column: every problem (instructor-only ones too), or "ok"."""
    return "; ".join(str(problem) for problem in problems) or "ok"


@dataclass(frozen=True)
class CellError:
    """A cell that stopped with an exception: its label (as the student sees the cell), the
    exception's type and message."""

    label: str
    type: str
    message: str = ""
    cell: int = -1  # its index among the notebook's code cells (-1: not known, an older record)

    def __str__(self) -> str:
        return f"{self.label} — {self.type}: {self.message}" if self.message else f"{self.label} — {self.type}"

    @classmethod
    def parse(cls, label: str, error: str, cell: int = -1) -> "CellError":
        """From a kernel outcome's ``"Type: message"``."""
        kind, _, message = error.partition(": ")
        return cls(label, kind.strip(), message.strip(), cell)

    @property
    def failed_import(self) -> bool:
        return self.type in ("ModuleNotFoundError", "ImportError")

    @classmethod
    def from_dict(cls, data) -> "CellError":
        if isinstance(data, str):  # a record written before cell errors were typed
            label, _, error = data.partition(" — ")
            return cls.parse(label, error)
        return cls(data.get("label", ""), data.get("type", ""), data.get("message", ""), data.get("cell", -1))


def missing_reason(name: str, notebook, errors) -> str | None:
    """Why a graded object is not defined, in the notebook's terms, or None when nothing is
    known: the cell that defines it stopped (on its own import, or another error), or a cell
    defines a name close to it (``native_relu``, ``Fit``) instead. ``notebook`` is a
    ``submission.Submission``, ``errors`` the notebook's ``CellError`` list."""
    import difflib

    by_cell = {error.cell: error for error in errors}
    for cell in notebook.defined_in.get(name, []):
        error = by_cell.get(cell)
        if error is None:
            continue
        if error.failed_import:
            return (f"{name}: 정의되어 있지 않습니다. 이 이름을 정의하는 {error.label}이(가) import에서 멈췄습니다 "
                    f"({error.type}: {error.message}). 채점 환경에 없는 모듈은 불러오지 마세요.")
        return (f"{name}: 정의되어 있지 않습니다. 이 이름을 정의하는 {error.label}이(가) {error.type} 오류로 "
                f"멈췄습니다: {error.message}")
    if notebook.defined_in.get(name):
        return None
    others = {other.lower(): other for other in notebook.defined_in if other != name}
    close = difflib.get_close_matches(name.lower(), list(others), n=1, cutoff=0.8)
    if close:
        found = others[close[0]]
        label = notebook.label(notebook.defined_in[found][-1])
        return (f"{name}: 정의되어 있지 않습니다. {label}은(는) {found}을(를) 정의합니다. "
                f"채점하는 이름은 {name}입니다: 이름을 {name}(으)로 고치세요.")
    return None


def explain_missing(cases, notebook, errors) -> None:
    """Give the cases failed because an object is not defined the reason ``missing_reason`` finds."""
    reasons: dict = {}
    for case in cases:
        name = case.detail.get("object")
        if case.detail.get("cause") == "not_defined" and name:
            if name not in reasons:
                reasons[name] = missing_reason(name, notebook, errors)
            if reasons[name]:
                case.message = reasons[name]
