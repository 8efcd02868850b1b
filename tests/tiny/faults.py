"""The tiny assignment with two faults of the kit planted in its judge, for the batch tests:
when ``slow_total`` returns ``BUG`` the judge raises (a bug of the kit), and when it returns
``CRASH`` the judge kills the grading worker it runs in (like a segfault or the OOM killer)."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

from autograder.kernel_side import runtime

from .assignment import ASSIGNMENT as TINY, question

BUG, CRASH = 1234.0, 4321.0


def faulty_question():
    original = question()

    def planted(judge):
        def faulty(observed, expected):
            for observation in observed.values():
                result = observation.get("result")
                value = runtime.decode(result) if observation.get("object") == "slow_total" and result else None
                if value is not None and float(value) == BUG:
                    raise RuntimeError("a bug planted in the kit's judge")
                if value is not None and float(value) == CRASH:
                    os.kill(os.getpid(), signal.SIGKILL)
            return judge(observed, expected)
        return faulty

    cases = tuple(replace(case, judge=planted(case.judge)) if case.name.startswith("slow_total") else case
                  for case in original.cases)
    return replace(original, cases=cases)


ASSIGNMENT = replace(TINY, module=__name__, questions_factory=lambda: (faulty_question(),))
