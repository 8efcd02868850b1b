"""The student's functions that overran a cell's time limit: not waited on again in later cells.

Kernel-side (sent as text after a cell timed out; standard library only). The cell was
interrupted at its limit; the student's functions running at that moment (from the traceback
IPython kept) are remembered, and in every later cell a call of one of them stops at once with
a Korean reason instead of spending the whole limit again. The kit's own cells (probes) are left
alone: they have their own per-call limits and rule, so grading sees the same calls as before.
"""

import os
import sys

# How every cell the kit sends starts: module cells (engine/kernel_code.py) and probe cells
# (engine/kernel.probe_source, the channel's audit event)
KIT_CELLS = ("def _autograder_kernel_cell(", "__import__('sys').audit('autograder.probe'")
REASON = "{name}: 앞선 셀에서 시간 제한을 넘긴 함수라 다시 실행하지 않았습니다"


class Overran(Exception):
    pass


def _students(code):
    filename = code.co_filename
    if filename.startswith("<"):
        return filename.startswith(("<ipython-input", "<string>"))
    roots = tuple(os.path.realpath(root) + os.sep for root in {sys.prefix, sys.base_prefix, sys.exec_prefix})
    return not os.path.realpath(filename).startswith(roots)


def _install(shell):
    codes = set()

    def trace(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            raise Overran(REASON.format(name=frame.f_code.co_name))  # ends the trace too: re-armed per cell
        return None

    def before_cell(info=None):
        student = not (getattr(info, "raw_cell", "") or "").startswith(KIT_CELLS)
        sys.settrace(trace if student and codes else None)

    shell.events.register("pre_run_cell", before_cell)
    shell._autograder_overran = codes
    return codes


def remember(shell):
    """Remember the student's functions the last interrupted cell was running; their names."""
    codes = getattr(shell, "_autograder_overran", None)
    if codes is None:
        codes = _install(shell)
    tb = getattr(sys, "last_traceback", None)
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name != "<module>" and _students(code):
            codes.add(code)
        tb = tb.tb_next
    return sorted(code.co_name for code in codes)
