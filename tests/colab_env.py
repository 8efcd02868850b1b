"""A Colab-shaped Python for the notebook test (``test_colab.py``): a virtual environment with
Colab's versions of the packages the notebook touches (``colab/requirements.txt``: TensorFlow
2.20, Keras 3.13, Colab's ipykernel, ipywidgets, wrapt...), without otter-grader, on Python 3.13
or 3.12, and a Jupyter kernel spec for it.

The environment is built once and cached (``$AUTOGRADER_COLAB_VENV``, default
``~/.cache/ch02-autograder/colab-venv-<python>-<hash of the requirements>``); pip reaches PyPI
(about a minute, 1.5 GB). Before each use it is put back in Colab's state: otter-grader
uninstalled and the pinned versions reinstalled where otter's install changed them.

    python tests/colab_env.py        # build (or check) it and print where it is
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "colab" / "requirements.txt"
VERSIONS = ("3.13", "3.12")  # Colab's is 3.13; 3.12 where 3.13 is not to be had
KERNEL = "colab-shaped"


class Unavailable(RuntimeError):
    """No Python 3.12/3.13 here, or the environment could not be built (the reason says)."""


def _version(executable: str) -> str | None:
    try:
        out = subprocess.run([executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_python() -> tuple[str, str]:
    """``(executable, "3.x")`` of a Python 3.13 (else 3.12): ``$AUTOGRADER_COLAB_PYTHON``, the
    PATH, pyenv's versions, Debian's /usr/bin."""
    candidates = [os.environ.get("AUTOGRADER_COLAB_PYTHON")]
    for version in VERSIONS:
        candidates.append(shutil.which(f"python{version}"))
        candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"))
        candidates.append(f"/usr/bin/python{version}")
    for version in VERSIONS:
        for candidate in candidates:
            if candidate and _version(candidate) == version:
                return candidate, version
    raise Unavailable("no Python 3.13 or 3.12 on this machine (set AUTOGRADER_COLAB_PYTHON)")


def venv_path(version: str) -> Path:
    if os.environ.get("AUTOGRADER_COLAB_VENV"):
        return Path(os.environ["AUTOGRADER_COLAB_VENV"])
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return Path.home() / ".cache" / "ch02-autograder" / f"colab-venv-py{version}-{digest}"


def _pip(python: Path, *args: str, timeout: int = 1800) -> None:
    process = subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", *args],
                             capture_output=True, text=True, timeout=timeout)
    if process.returncode != 0:
        raise Unavailable(f"pip {' '.join(args[:2])} failed: {process.stderr[-2000:]}")


def ensure() -> dict:
    """The environment, built if needed and reset to Colab's state: ``{"python", "version",
    "venv"}``."""
    executable, version = find_python()
    venv = venv_path(version)
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if not marker.is_file():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([executable, "-m", "venv", str(venv)], check=True, timeout=300)
        _pip(python, "install", "--quiet", "-r", str(REQUIREMENTS))
        marker.write_text(REQUIREMENTS.read_text(encoding="utf-8"), encoding="utf-8")
    reset(python)
    return {"python": str(python), "version": version, "venv": str(venv)}


def reset(python: Path) -> None:
    """Back to Colab's state: no otter-grader, the pinned versions (an earlier run's setup cell
    upgraded ipywidgets and downgraded wrapt)."""
    _pip(python, "uninstall", "--yes", "--quiet", "otter-grader")
    _pip(python, "install", "--quiet", "-r", str(REQUIREMENTS))


def kernel_spec(python: str, folder: Path) -> Path:
    """A Jupyter data folder (for ``$JUPYTER_PATH``) with the kernel spec ``colab-shaped``."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-shaped Python", "language": "python"}), encoding="utf-8")
    return folder


def pins() -> dict[str, str]:
    """Package -> pinned version, from the requirements."""
    found = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


if __name__ == "__main__":
    try:
        print(json.dumps(ensure(), indent=1))
    except Unavailable as error:
        sys.exit(str(error))
