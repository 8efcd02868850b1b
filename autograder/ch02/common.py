"""Helpers shared by the chapter-2 questions: seeded inputs, and the cases and self-checks made
of one kernel-side judge (``judges.py``)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..engine.cases import Case, ProbeKey, PublicCheck, Verdict
from ..kernel_side import judging
from . import judges, observe

SEED = 20260902


def rng(question_id: str) -> np.random.Generator:
    """Inputs are drawn when the questions are built, from a seed per question: grading is
    deterministic and every front-end sees the same inputs."""
    return np.random.default_rng([SEED, sum(map(ord, question_id))])


def public_rng(question_id: str) -> np.random.Generator:
    """The self-checks' inputs: another stream (and other shapes), so no hidden input is public
    (``tests/test_selfchecks.py`` asserts it)."""
    return np.random.default_rng([SEED, 1, sum(map(ord, question_id))])


def mixed(generator: np.random.Generator, shape, kind: str) -> np.ndarray:
    """Random values of a dtype, negative ones included."""
    if kind in ("int32", "int64"):
        return generator.integers(-50, 50, size=shape).astype(kind)
    return generator.normal(0, 10, size=shape).astype(kind)


def judged_case(name: str, points: float, key: ProbeKey, spec: dict, judge: Callable, **extra) -> Case:
    """A case of one probe judged by ``judge(spec, got, want)`` of ``judges.py``: the same function
    the self-check of its object runs (``self_check``), here on the hidden probe ``spec``."""
    call = judges.call(spec)

    def verdict(observed, expected):
        return Verdict(*judging.probe_judge(judge, key.target, call, spec, observed[key], expected.get(key)))

    return Case(name, points, (key,), verdict, judged_by=judge, **extra)


def self_check(name: str, probes: Sequence[tuple], keep: tuple[str, ...] = ()) -> PublicCheck:
    """The self-check of ``name``: probes on public inputs, each ``(spec, judges)`` with the
    judges of its hidden cases (``(judge, what it checks)``), or ``(spec, judges, False)`` for a
    probe whose judges need no answer key (as its hidden probe, ``Probe(reference=False)``). Run
    in the student's kernel by ``kernel_side.selfcheck.probe_check`` against the answer key's
    observations of the same probes, recorded when the notebook is built."""
    specs = [spec for spec, *_ in probes]
    referenced = [rest[1] if len(rest) > 1 else True for _, *rest in probes]
    listed = [(index, judge, label) for index, (_, pairs, *_) in enumerate(probes) for judge, label in pairs]
    if any(judge.__module__ != judges.__name__ for _, judge, _ in listed):
        raise ValueError(f"{name}: a self-check runs the judges of {judges.__name__} only")
    spec = {"object": name, "tables": [observe.__name__], "probes": specs, "referenced": referenced,
            "judges": [judges.__name__, [[index, judge.__name__, label] for index, judge, label in listed]]}
    return PublicCheck(name, "probes", spec, tuple(s for s, used in zip(specs, referenced) if used), keep,
                       judges=tuple(judge for _, judge, _ in listed))
