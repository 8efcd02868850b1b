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
INSTRUCTOR_ONLY = frozenset({GRADER_ERROR, NO_SANDBOX})


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

    def __str__(self) -> str:
        return f"{self.label} — {self.type}: {self.message}" if self.message else f"{self.label} — {self.type}"

    @classmethod
    def parse(cls, label: str, error: str) -> "CellError":
        """From a kernel outcome's ``"Type: message"``."""
        kind, _, message = error.partition(": ")
        return cls(label, kind.strip(), message.strip())

    @classmethod
    def from_dict(cls, data) -> "CellError":
        if isinstance(data, str):  # a record written before cell errors were typed
            label, _, error = data.partition(" — ")
            return cls.parse(label, error)
        return cls(data.get("label", ""), data.get("type", ""), data.get("message", ""))
