"""Helpers shared by the questions of "2장 심화": seeded inputs, probes of several calls, reading
their results and the gate of a question."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..kernel_side import naive_rule, show
from ..engine.cases import Probe, ProbeKey, Verdict
from ..kernel_side import runtime
from . import judges

SEED = 20261113  # this assignment's own
CALLS_SECONDS = 5  # one probe of several calls on small inputs (the answer key needs milliseconds)

# The naive rule of the ``naive_*`` functions: the chapter's, plus the routines that would do a row
# of a softmax or of a loss in one call (np.max, np.mean, logaddexp, ...), and scipy as a whole.
NAIVE_RULE = naive_rule.NAIVE.extended(
    modules={"scipy"},
    routines={"max", "min", "amax", "amin", "mean", "average", "take_along_axis", "choose", "logaddexp",
              "nan_to_num", "divide", "true_divide", "exp2", "expm1", "log1p"},
    attributes={"mean", "argmax", "cumsum"})


def rng(question_id: str) -> np.random.Generator:
    """Inputs are drawn when the questions are built, from a seed per question: grading is
    deterministic and every front-end sees the same inputs."""
    return np.random.default_rng([SEED, sum(map(ord, question_id))])


def public_rng(question_id: str) -> np.random.Generator:
    """The self-checks' inputs: another stream (and other shapes), so no hidden input is public
    (``tests/test_selfchecks.py`` asserts it)."""
    return np.random.default_rng([SEED, 1, sum(map(ord, question_id))])


def softmax(x) -> np.ndarray:
    """Row-wise softmax in float64 (to make probabilities for inputs)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ probes


def arg(value) -> dict:
    """A call argument as plain data (strings included: ``activation="relu"``)."""
    if isinstance(value, str):
        return {"t": "str", "v": value}
    return runtime.encode(value)


@dataclass(frozen=True)
class Group:
    """One group of calls (one case's inputs) in a question's probe of several groups."""

    key: ProbeKey
    name: str


def calls_probe(name: str, groups: dict[str, Sequence[Sequence]], reference: bool = True,
                seconds: float = CALLS_SECONDS) -> Probe:
    """One probe calling ``name`` once per argument list, group by group, all under one time
    limit: a function that hangs costs ``seconds`` once, not once per call."""
    return Probe({"op": "calls", "object": name, "limit": seconds,
                  "groups": {group: [{"args": [arg(a) for a in args]} for args in calls]
                             for group, calls in groups.items()}}, reference)


def calls_of(observed, group: Group) -> tuple[list | None, str]:
    """The per-call observations of a group, or None and why the probe failed."""
    observation = observed[group.key]
    if not observation.get("ok"):
        return None, show.error(observation)
    return observation["groups"][group.name], ""


# The readers of observations live with the shared judges (kernel-side): one copy for both sides.
failed, value_of, array_of, dtype_of, close, shown, got_text = (
    judges.failed, judges.value_of, judges.array_of, judges.dtype_of, judges.close, judges.shown, judges.got_text)


def scalar_of(call: dict) -> float | None:
    """The returned value as a finite real number, or None."""
    value = array_of(call)
    if value is None or value.ndim != 0 or not math.isfinite(float(value)):
        return None
    return float(value)


# ------------------------------------------------------------------ the gate


Judge = Callable[[dict, dict], Verdict]


def gated(gate: Judge, judge: Judge) -> Judge:
    """``judge``, once ``gate`` passes: a function that does not do the job in substance does not
    collect the points of the other cases (dtype kept, input unchanged, rules)."""
    def gated_judge(observed, expected):
        verdict = gate(observed, expected)
        if not verdict.passed:
            return verdict
        return judge(observed, expected)
    return gated_judge


def shared(name: str, group: Group, calls: Sequence[dict], *extra) -> Judge:
    """A case judged by the shared judge ``judges.<name>`` (the self-check's) on one group of
    calls: ``calls`` are the group's call specs; the answer key's observations when it ran them.
    The judge is looked up when the case is judged (one definition, patched in tests alike)."""
    def judge(observed, expected):
        got, problem = calls_of(observed, group)
        if got is None:
            return Verdict(False, problem)
        want = calls_of(expected, group)[0] if group.key in expected else None
        found = getattr(judges, name)(*extra, calls, got, want)
        return Verdict(True) if found is None else Verdict(False, found.message())
    judge.shared = name
    return judge
