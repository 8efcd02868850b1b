"""Shared fixtures: MNIST for offline runs, the built notebooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import mnist


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    try:
        return mnist.resolve(download=False)
    except mnist.MnistUnavailable:
        pytest.skip("MNIST not available offline: set MNIST_NPZ")


@pytest.fixture(scope="session")
def built_notebooks():
    """(student, solution) notebooks as `autograder build` makes them."""
    from autograder.build.assignment import student_and_solution

    return student_and_solution()
