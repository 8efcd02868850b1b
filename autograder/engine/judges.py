"""Helpers for writing judges of an assignment's own probes."""

from __future__ import annotations

from ..kernel_side import show
from .cases import ProbeKey, Verdict
from .function_cases import not_running


def on_probe(key: ProbeKey, call: str):
    """A judge of one probe's observation: fails with the Korean reason when the probed code
    raised (one line for all the probe's cases: not implemented, not defined, or the step they
    all need, such as the constructor, raised), otherwise hands
    ``check(got, want)`` the student's and the answer key's data (``want`` is None for a probe
    not run on the answer key)."""
    def wrap(check):
        def judge(observed, expected):
            got = observed[key]
            if not got.get("ok"):
                stopped = not_running(key.target, got)
                if stopped:
                    return stopped
                # the step every case of this probe needs: one cause, said once for all of them
                return Verdict(False, f"{call} 실행 실패: " + show.error(got), {"cause": "step", "object": key.target})
            return check(got, expected.get(key))
        judge.check = check  # the bare check, for judges that build on another
        return judge
    return wrap
