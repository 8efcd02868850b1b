"""Helpers shared by the chapter-2 questions: seeded inputs and judges of one probe."""

from __future__ import annotations

import numpy as np

from ..engine.judges import on_probe  # noqa: F401  (used by the questions)
from ..kernel_side import runtime

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


def first_difference(got: list, want: list, atol: float):
    """Index and arrays of the first weight that differs, or None."""
    for index, (have, ref) in enumerate(zip(got, want)):
        have, ref = runtime.decode_array(have), runtime.decode_array(ref)
        if have.shape != ref.shape or not np.allclose(have, ref, atol=atol):
            return index, have, ref
    return None
