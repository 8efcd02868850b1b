"""The Gradescope autograder: ``DIR/<id>/autograder.zip``, made by ``otter generate``.

The kit grades, otter reports (``frontends.otter``): the zip holds one OK-format test file per
question with one case per hidden check and its points (names and points generated from the
questions, never by hand); the plugin fills in each case's verdict and Korean message from
``autograder grade``'s own engine, which runs the student's notebook in its own isolated
kernel. A case's doctest fails unless the plugin passes it, so a zip whose plugin did not run
gives nothing. ``files/`` holds a wheel of the kit (this assignment's package, not its answer
key), the answer key's observations recorded at build time (``expected.json``) and, when the
build has them, the datasets. Otter turns our ``requirements.txt`` (the kit's pins, TensorFlow's
CPU build, and the wheel) into the pip part of ``environment.yml``; ``setup.sh`` gets a few
steps of ours (``SETUP_ISOLATION``, ``SETUP_DOWNLOAD``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import pprint
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


from ..assignment import ROOT
from ..engine.cases import Question
from ..engine.grade import expected_observations
from ..engine.kernel import Limits
from ..engine.expected import dump_expected
from ..platform_names import EXPECTED_FILE, GRADESCOPE_PLUGIN, KIT_FIRST, STUDENT_USER

PYTHON_VERSION = "3.11"  # a string: YAML and JSON readers turn 3.10 into 3.1
ZIP_NAME = "autograder.zip"
FILES_ON_GRADESCOPE = "/autograder/source/files"  # where Gradescope unpacks the zip's files/
NOT_NEEDED_FOR_GRADING = {"nbgrader", "typer", "rich", "koreanize-matplotlib"}  # instructor-side only


# ---------------------------------------------------------------- test files


def hidden_case_code(question_id: str, index: int) -> str:
    """The doctest of one hidden case: it fails as written; the plugin sets its verdict."""
    return f">>> 'the kit grades {question_id} case {index}'\n'passed only by the kit'"


def test_spec(question: Question) -> dict:
    """The OK-format test of one question: one case per hidden check, with its points."""
    cases = [{"name": case.name, "code": hidden_case_code(question.id, index), "hidden": True,
              "locked": False, "points": case.points}
             for index, case in enumerate(question.cases)]
    return {"name": question.id, "points": question.points,
            "suites": [{"cases": cases, "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}


def test_file(question: Question) -> str:
    spec = pprint.pformat(test_spec(question), width=100, sort_dicts=False)
    return f"OK_FORMAT = True\n\ntest = {spec}\n"


# ---------------------------------------------------------------- the kit as a wheel


def _project() -> dict:
    """``name``, ``version`` and ``dependencies`` of pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib

        return tomllib.loads(text)["project"]
    except ImportError:  # Python 3.10: the three keys are plain in this file
        deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S).group(1)
        return {"name": re.search(r'^name = "(.*)"', text, re.M).group(1),
                "version": re.search(r'^version = "(.*)"', text, re.M).group(1),
                "dependencies": re.findall(r'"([^"]+)"', deps)}


def requirements() -> list[str]:
    """The pinned dependencies the kit is tested with, less instructor-only tools, with
    TensorFlow's CPU build: Gradescope's containers have no GPU, and the CPU wheel is half the
    download (installing both builds would let one overwrite the other's files)."""
    keep = []
    for requirement in _project()["dependencies"]:
        name = re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower()
        if name == "tensorflow":
            requirement = "tensorflow-cpu" + requirement[len(name):]
        if name not in NOT_NEEDED_FOR_GRADING:
            keep.append(requirement)
    return keep


def _record_line(arcname: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [arcname, f"sha256={digest}", str(len(data))]


def _module_files(module: str) -> dict[str, bytes]:
    """The file of ``module`` and the ``__init__.py`` of each package above it, by wheel path;
    a package brings all its files."""
    import importlib.util

    found: dict[str, bytes] = {}
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        spec = importlib.util.find_spec(".".join(parts[:depth]))
        origin = Path(spec.origin)
        if depth == len(parts) and spec.submodule_search_locations:  # a whole package
            base = origin.parent
            for file in sorted(base.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                    found["/".join(parts) + "/" + file.relative_to(base).as_posix()] = file.read_bytes()
        else:
            name = "__init__.py" if spec.submodule_search_locations else origin.name
            found["/".join(parts[:depth - 1] + ([parts[depth - 1], name] if name == "__init__.py" else [name]))] = \
                origin.read_bytes()
    return found


def wheel_files(assignment) -> dict[str, bytes]:
    """What the Gradescope container needs: the kit without the other assignments' folders,
    and this assignment's package. No answer key: its observations are in ``expected.json``."""
    import autograder

    kit = Path(autograder.__file__).resolve().parent
    own = assignment.package.split(".")
    other = {path.parent for path in kit.glob("*/assignment.py")} - (
        {kit / own[1]} if own[0] == "autograder" else set())
    files = {}
    for file in sorted(kit.rglob("*")):
        if (file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc"
                and not any(folder in file.parents for folder in other)):
            files["autograder/" + file.relative_to(kit).as_posix()] = file.read_bytes()
    if own[0] != "autograder":
        files.update(_module_files(assignment.package))
    return files


def build_wheel(assignment, folder: Path) -> Path:
    """A pure-Python wheel of the kit and the assignment (no dependencies declared:
    ``requirements.txt`` pins them). Written by hand, so the build needs no network."""
    project = _project()
    dist = re.sub(r"[-_.]+", "_", project["name"]).lower()
    version = project["version"]
    info = f"{dist}-{version}.dist-info"
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    files = wheel_files(assignment)
    files[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                 f"Version: {version}\n").encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: autograder.targets.gradescope\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for arcname, data in files.items():
        writer.writerow(_record_line(arcname, data))
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue().encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for arcname, data in files.items():
            wheel.writestr(zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0)), data,
                           zipfile.ZIP_DEFLATED)
    return path


# ---------------------------------------------------------------- otter configuration


GRADESCOPE_NOTEBOOK_SECONDS = 240  # all of a notebook's cells (Gradescope's default timeout is 600 s)
GRADESCOPE_MEMORY_MB = 2048  # the kernel's limit: with a 3 GB container, room for otter's process


def otter_config(assignment, limits: Limits | None = None) -> dict:
    limits = limits or assignment.limits
    return {
        "assignment_name": assignment.id,  # a notebook of another assignment is refused
        "lang": "python",
        "python_version": PYTHON_VERSION,  # informative; environment.yml gets it from generate
        "pdf": False,
        "show_hidden": True,  # hidden results (Korean messages) once grades are published
        "plugins": [{GRADESCOPE_PLUGIN: {"assignment": assignment.ref, **limits.with_overrides(
            notebook_seconds=min(limits.notebook_seconds, GRADESCOPE_NOTEBOOK_SECONDS),
            memory_mb=min(limits.memory_mb, GRADESCOPE_MEMORY_MB)).config()}}],
    }


# Appended to otter's setup.sh. Student code runs in bubblewrap where the container allows it;
# else as a user of its own, with the kit, the zip's files and root's home closed to it (the
# interpreter stays reachable: /root is made traversable, nothing in it readable).
SETUP_ISOLATION = """
# --- autograder kit: isolate the student's code from the kit and the zip ---
apt-get install -y bubblewrap || echo "WARNING: bubblewrap could not be installed"
id -u {user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {user}
chmod 711 /root
site=$(mamba run -n {env} python -c "import autograder, os; print(os.path.dirname(os.path.dirname(autograder.__file__)))")
chmod -R go-rwx "$site/autograder" "$site"/*autograder*.dist-info {autograder_dir}/source || true
"""

# Appended for the datasets a zip does not bundle: they are downloaded into the image (MNIST:
# Keras's cache, its sha256 checked). A failed download does not fail the image: the checks
# that need the data then fail with a Korean reason, the others still grade.
SETUP_DOWNLOAD = """
# --- autograder kit: {names} for the checks (not bundled in this zip) ---
mamba run -n {env} python -c "from autograder.assignment import get; [print(d.name, d.resolve(download=True)) for d in get({ref!r}).datasets if d.name in {names!r}]" \\
    || echo "WARNING: downloading {names} failed; the checks that need it will fail with a reason until it is fixed"
"""


def data_plan(assignment, data: dict) -> list[str]:
    """One line per dataset for the build's output: what the zip does for it."""
    lines = []
    for dataset in assignment.datasets:
        if dataset in data:
            lines.append(f"{dataset.name} bundled in the zip ({Path(data[dataset]).stat().st_size / 2**20:.1f} MiB)")
        else:
            lines.append(f"{dataset.name} not bundled: Gradescope's setup downloads it (checked against its "
                         "published hash); if that fails, only the checks that need it fail, with a reason")
    return lines


def otter_run_command(zip_path: Path, submission: Path, out: Path) -> list[str]:
    """``otter run`` of a submission with the zip, in a process started the way Gradescope's
    ``run_otter.py`` starts otter (``KIT_FIRST``, then otter): what a submission costs there.
    A plain ``python -m otter run`` grades the same, 3 s of CPU later (tests/test_assignment_unit.py)."""
    return [sys.executable, "-c", KIT_FIRST + "from otter.cli import cli\ncli(prog_name='otter')",
            "run", "-a", str(zip_path), str(submission), "-o", str(out), "--no-logo"]


def _edit_zip(zip_path: Path, setup_step: str) -> None:
    """Rewrite otter's files inside the zip (otter has no hook for either): ``setup.sh`` with
    ``setup_step`` appended, ``run_otter.py`` with ``KIT_FIRST`` at its top."""
    with zipfile.ZipFile(zip_path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            if info.filename == "setup.sh":
                data = data.rstrip(b"\n") + b"\n" + setup_step.encode()
            elif info.filename == "run_otter.py":
                data = KIT_FIRST.encode() + data
            archive.writestr(info, data)


def build_zip(assignment, root: Path, data: dict, limits: Limits | None = None) -> Path:
    """Write ``root/autograder.zip`` with ``otter generate`` and return its path.

    The tests are the same whatever the building machine has. The datasets in ``data``
    (dataset -> file) are bundled; the others are downloaded by Gradescope's setup
    (``SETUP_DOWNLOAD``). ``limits`` are the kernel's (shorter ones are for the kit's tests)."""
    from otter.generate import OTTER_ENV_NAME, main as generate

    root.mkdir(parents=True, exist_ok=True)
    output = (root / ZIP_NAME).resolve()
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as staging:
        staging = Path(staging)
        (staging / "tests").mkdir()
        for question in assignment.questions:
            (staging / "tests" / f"{question.id}.py").write_text(test_file(question), encoding="utf-8")
        wheel = build_wheel(assignment, staging)
        (staging / EXPECTED_FILE).write_text(dump_expected(expected_observations(assignment)),
                                                     encoding="utf-8")
        files = [wheel.name, EXPECTED_FILE]
        for dataset, path in data.items():
            shutil.copyfile(path, staging / dataset.filename)
            files.append(dataset.filename)
        lines = requirements() + [f"{FILES_ON_GRADESCOPE}/{wheel.name}"]
        (staging / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (staging / "otter_config.json").write_text(json.dumps(otter_config(assignment, limits), indent=2),
                                                   encoding="utf-8")
        previous = os.getcwd()
        os.chdir(staging)  # otter generate takes files relative to the working directory
        try:
            generate(tests_dir="tests", output_path=str(output), config="otter_config.json",
                     requirements="requirements.txt", no_environment=True,
                     python_version=PYTHON_VERSION, files=files)
        finally:
            os.chdir(previous)
    steps = SETUP_ISOLATION.format(user=STUDENT_USER, env=OTTER_ENV_NAME,
                                   autograder_dir="/autograder")
    missing = [dataset.name for dataset in assignment.datasets if dataset not in data]
    if missing:
        steps += SETUP_DOWNLOAD.format(env=OTTER_ENV_NAME, ref=assignment.ref, names=missing)
    _edit_zip(output, steps)
    return output
