"""Limits for a notebook that otter runs, installed by the first cell of the otter plugin.

Kernel-side (sent as text, standard library and NumPy). Otter executes the student's cells
and then its own last cell, which runs the test files, all in one kernel. Around every
student cell: a time limit per cell and for all cells together, and afterwards NumPy, ``math``
and ``builtins`` get back the attributes they had (a patched ``builtins.isinstance`` would
break the kernel itself, and otter has no timeout of its own). When otter's last cell starts:
the kit becomes importable again (and is loaded afresh) and all checks together get one time
limit, past which the remaining cases fail without running.
"""

import builtins
import importlib.util
import math
import os
import sys
import time

from . import limits

CHECKS_STATE = "_autograder_checks"  # attribute of ``sys`` read by the hidden cases


class CellTimeLimit(BaseException):
    pass


class ChecksTimeLimit(BaseException):
    pass


def _kit_dirs(packages):
    found = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            found.append(os.path.dirname(os.path.realpath(spec.origin)) + os.sep)
    return tuple(found)


def install(shell, blocker, cell_seconds, notebook_seconds, checks_seconds, checks_prefix, kit_packages,
            harness_file):
    import numpy

    saved = {module: dict(vars(module)) for module in (builtins, math, numpy)}
    budget_end = time.monotonic() + notebook_seconds
    checks = {"exhausted": False, "released": True}

    def cell_error():
        return CellTimeLimit(f"셀 실행 시간 제한(셀마다 {cell_seconds}초, 모두 합쳐 {notebook_seconds}초) 초과")

    def checks_error():
        checks["exhausted"] = True
        return ChecksTimeLimit(f"채점 전체 시간 제한({checks_seconds}초) 초과")

    cell_stopper = limits.Stopper(cell_error, limits.StudentCode(exempt_files=(harness_file,)))

    def restore():
        missing = object()
        for module, values in saved.items():
            for key, value in values.items():
                if vars(module).get(key, missing) is not value:
                    setattr(module, key, value)

    def start_checks(info):
        limits.stop()
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not blocker]
        for name in [n for n in sys.modules if n.split(".")[0] in kit_packages]:
            del sys.modules[name]  # loaded (or faked) by the student: the checks load it afresh
        restore()
        exempt = [harness_file]
        try:
            exempt.append(shell.compile.get_code_name(info.raw_cell, None, 0))  # this cell
        except Exception:
            pass
        deadline_stopper = limits.Stopper(checks_error, limits.StudentCode(exempt, _kit_dirs(kit_packages)))

        def deadline(signum, frame):
            checks["exhausted"] = True
            deadline_stopper.alarm(signum, frame)

        checks.update(exhausted=False, released=False)
        setattr(sys, CHECKS_STATE, checks)
        limits.watchdog(checks_seconds, deadline, lambda: checks["released"])

    def before(info=None):
        if (getattr(info, "raw_cell", "") or "").startswith(checks_prefix):
            start_checks(info)
        else:
            limits.start(min(cell_seconds, budget_end - time.monotonic()), cell_stopper.alarm)

    def after(result=None):
        limits.stop()
        checks["released"] = True
        restore()

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
