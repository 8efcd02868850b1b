"""The Gradescope autograder (``DIR/ch02/autograder.zip``) and the student notebook it grades.

- the zip's contents: otter config, pinned requirements, one test file per question with the
  question's points, the kit and MNIST bundled;
- the student notebook holds no reference code and no hidden test (cells, metadata, outputs);
- its self-checks work with nothing but the .ipynb (as in Colab), ``grader.export()`` makes what
  Gradescope grades, and a notebook of another assignment is refused;
- otter (``otter run``, offline, MNIST from the zip) gives every question of a corpus of
  submissions exactly the points the corpus says each must get.
"""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import mnist
from autograder.engine.kernel import Limits
from autograder.engine.expected import load_expected
from autograder.platform_names import EXPECTED_FILE, GRADESCOPE_PLUGIN, KIT_FIRST, STUDENT_USER
from autograder.kernel_side import runtime
from autograder.targets import gradescope, notebooks
from conftest import cell_text, subprocess_env

ASSIGNMENT = "ch02"
CELL_SECONDS = 15  # the corpus's zip gets a shorter cell limit (as the kernel corpus: no cell it runs needs more than a few seconds)


def _env(**extra) -> dict:
    """Environment of the otter subprocesses: the kit importable, MNIST only from the zip (no
    MNIST_NPZ, an empty Keras cache): nothing may be downloaded."""
    return subprocess_env(drop=(mnist.ENV_VAR,), **extra)


@pytest.fixture(scope="module")
def built(ch02, built_notebooks, tmp_path_factory, mnist_path):
    """``autograder build``'s notebooks and zip (the zip stamps the notebooks' assignment name)."""
    root = tmp_path_factory.mktemp("dist") / ASSIGNMENT
    student, solution = built_notebooks
    notebooks.write_notebook(student, root / "student" / f"{ASSIGNMENT}.ipynb")
    notebooks.write_notebook(solution, root / "solution" / f"{ASSIGNMENT}.ipynb")
    started = time.monotonic()
    path = gradescope.build_zip(ch02, root, {mnist.MNIST: mnist_path})
    print(f"\nzip built in {time.monotonic() - started:.1f} s, {path.stat().st_size / 2**20:.1f} MiB")
    return root


@pytest.fixture(scope="module")
def unpacked(built, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(built / gradescope.ZIP_NAME) as archive:
        archive.extractall(folder)
    return folder


# ---------------------------------------------------------------- (a) the zip's contents


def test_zip_has_otter_files_and_config(unpacked):
    for name in ("run_autograder", "run_otter.py", "setup.sh", "environment.yml", "otter_config.json"):
        assert (unpacked / name).is_file(), name
    text = (unpacked / "otter_config.json").read_text(encoding="utf-8")
    assert f'"python_version": "{gradescope.PYTHON_VERSION}"' in text  # a quoted string
    config = json.loads(text)
    assert config["assignment_name"] == ASSIGNMENT and config["pdf"] is False
    assert config["lang"] == "python"
    plugin = config["plugins"][0][GRADESCOPE_PLUGIN]
    assert plugin["assignment"] == ASSIGNMENT and plugin["cell_seconds"] == Limits().cell_seconds
    # well inside Gradescope's default 10 minutes, with time to start the kernel and load TF
    assert plugin["notebook_seconds"] <= 240 and plugin["memory_mb"] <= 2048


def test_run_otter_imports_the_kit_before_otter(unpacked):
    """Gradescope runs run_otter.py: the kit comes first, so otter's nbformat never builds the IRI
    parser the kit keeps out (1.5 s of CPU per submission); otter is then imported as before."""
    source = (unpacked / "run_otter.py").read_text(encoding="utf-8")
    assert source.startswith(KIT_FIRST) and "from otter.run.run_autograder import main" in source
    probe = (f"import sys\nexec(compile({source!r}, 'run_otter.py', 'exec'), {{'__name__': 'not_main'}})\n"
             "assert 'otter.run.run_autograder' in sys.modules and 'jsonschema' in sys.modules\n"
             "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.strip() == "None"  # refused by the kit, not loaded


def test_otters_own_kernel_imports_the_kit_first(tmp_path, monkeypatch):
    """The plugin's ``before_execution`` ends by making the kernels started after it (otter's,
    which imports otter) run the kit's first line before anything: jsonschema's IRI parser,
    built there by otter's nbformat otherwise, is refused (1.4 s of CPU per submission)."""
    from nbclient import NotebookClient

    from autograder.frontends.otter import kit_first_kernels

    def kernel_sees() -> str:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import sys, otter\nprint(sys.modules.get('rfc3987_syntax', 'absent'))")])
        NotebookClient(nb, kernel_name="python3", timeout=120).execute()
        return "".join(output.get("text", "") for output in nb.cells[0].outputs).strip()

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "plain"))  # restored after the test
    assert kernel_sees().startswith("<module 'rfc3987_syntax'")  # what otter's kernel built before
    kit_first_kernels(tmp_path / "kit-first")
    assert kernel_sees() == "None"


def test_setup_isolates_the_students_code_from_the_kit(unpacked):
    setup = (unpacked / "setup.sh").read_text(encoding="utf-8")
    assert "apt-get install -y bubblewrap" in setup
    assert f"useradd --system --no-create-home --shell /usr/sbin/nologin {STUDENT_USER}" in setup
    assert 'chmod -R go-rwx "$site/autograder"' in setup and "/autograder/source" in setup


def test_environment_pins_python_and_the_kits_requirements(unpacked):
    environment = (unpacked / "environment.yml").read_text(encoding="utf-8")
    assert f"python={gradescope.PYTHON_VERSION}" in environment
    pins = gradescope.requirements()
    flat = " ".join(environment.split())  # YAML may fold long lines
    for pin in pins:
        assert " ".join(pin.split()) in flat, pin
    for pin in ("keras==3.15.1", "numpy==2.4.6", "otter-grader[grading]==7.0.0"):
        assert pin in pins
    tensorflow = [p for p in pins if p.split("==")[0].split("[")[0] in ("tensorflow", "tensorflow-cpu")]
    assert tensorflow == ["tensorflow-cpu==2.21.0"]  # exactly one build: the CPU one, no GPU there
    assert "nbgrader" not in flat  # instructor-side only
    wheel = next((unpacked / "files").glob("*.whl"))
    assert f"{gradescope.FILES_ON_GRADESCOPE}/{wheel.name}" in environment


def test_wheel_installs_the_kit_and_this_assignment_without_its_answer_key(ch02, unpacked, tmp_path):
    wheel = next((unpacked / "files").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("autograder/frontends/otter.py", "autograder/ch02/assignment.py", "autograder/ch02/probes.py",
                   "autograder/kernel_side/runtime.py", "autograder/engine/sandbox.py"):
        assert needed in names
    assert not [n for n in names if n.startswith(("solutions/", "tests/", "tiny/"))]  # no answer key at all
    # the answer key's observations come recorded instead, and equal what the kit computes
    from autograder.engine.grade import expected_observations

    recorded = load_expected((unpacked / "files" / EXPECTED_FILE).read_text(encoding="utf-8"))
    assert recorded == {question: {key: {k: v for k, v in observation.items() if k != "seconds"}
                                   for key, observation in observations.items()}
                        for question, observations in expected_observations(ch02).items()}
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(tmp_path / "site"), str(wheel)], check=True)
    assert (tmp_path / "site" / "autograder" / "frontends" / "otter.py").is_file()


def test_one_test_file_per_question_with_its_points(ch02, unpacked):
    from otter.test_files import OKTestFile

    for question in ch02.questions:
        test = OKTestFile.from_file(str(unpacked / "tests" / f"{question.id}.py"))
        assert test.name == question.id and test.possible == question.points
        assert all(case.hidden for case in test.test_cases)
        assert [case.points for case in test.test_cases] == [case.points for case in question.cases]
        assert [case.name for case in test.test_cases] == [case.name for case in question.cases]
        # as written, every case fails: only the kit's verdict, set by the plugin, passes one
        test.run({})
        assert test.score == 0


def test_mnist_is_bundled_when_the_build_has_it(ch02, built, unpacked, mnist_path, tmp_path):
    bundled = unpacked / "files" / "mnist.npz"
    digest = lambda path: hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert bundled.is_file() and digest(bundled) == digest(mnist_path)
    without = zipfile.ZipFile(gradescope.build_zip(ch02, tmp_path / ASSIGNMENT, {}))
    assert "files/mnist.npz" not in without.namelist()
    setup = without.read("setup.sh").decode()
    assert "resolve(download=True)" in setup and "|| echo" in setup  # a failed download is not fatal
    assert "resolve(download" not in zipfile.ZipFile(built / gradescope.ZIP_NAME).read("setup.sh").decode()


def test_built_notebooks_carry_the_assignment_name(built):
    for kind in ("student", "solution"):
        nb = nbformat.read(str(built / kind / f"{ASSIGNMENT}.ipynb"), as_version=4)
        assert nb.metadata["otter"]["assignment_name"] == ASSIGNMENT


# ---------------------------------------------------------------- (b) nothing secret in the notebook


def _graded_objects() -> list[str]:
    from autograder.assignment import get

    return sorted({name for question in get(ASSIGNMENT).questions for name in question.objects})


def _all_text(path: Path) -> str:
    """Every string of a notebook file (cell sources, outputs, metadata), newlines real."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            if value and all(isinstance(item, str) for item in value):
                found.append("".join(value))  # a multi-line source or output stored as lines
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                found.append(key)
                walk(item)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return "\n".join(found)


def _reference_leaks(path: Path) -> list[str]:
    """Reference definitions, or blocks of them (a loop, a with-block, a method), found in the
    notebook at ``path``. Single statements may be there: the stubs' docstrings hint at them
    (``z = np.zeros(...)``)."""
    document = _all_text(path)
    # The course text (markdown of the source notebook) shows some of the book's listings,
    # e.g. the GradientTape block of 2.4; those are teaching material, not leaks.
    from autograder.assignment import get

    ch02 = get(ASSIGNMENT)
    course = "\n".join(cell.source for cell in notebooks.load_source(ch02.notebook).cells
                       if cell.cell_type == "markdown")
    definitions = notebooks.reference_definitions(Path(__import__("solutions.ch02").ch02.__file__))
    compound = (ast.For, ast.While, ast.With, ast.If, ast.Try, ast.FunctionDef, ast.ClassDef)
    leaks = []
    for name in _graded_objects():
        if definitions[name] in document:
            leaks.append(name)
        for node in ast.walk(ast.parse(definitions[name])):
            block = ast.unparse(node) if isinstance(node, compound) else ""
            if "\n" in block and block in document and block not in course:
                leaks.append(f"{name}: {block[:60]}")
    return leaks


def test_student_notebook_has_no_reference_code(built):
    assert _reference_leaks(built / "student" / f"{ASSIGNMENT}.ipynb") == []
    # The scan does find reference code where it is: in the solution notebook.
    leaks = _reference_leaks(built / "solution" / f"{ASSIGNMENT}.ipynb")
    assert set(_graded_objects()) <= set(leaks)


def test_student_notebook_has_no_hidden_test(ch02, built):
    document = _all_text(built / "student" / f"{ASSIGNMENT}.ipynb")
    for marker in ("case_passed", "autograder.frontends", "from autograder", "import autograder",
                   "solutions.ch02", "'hidden': True"):
        assert marker not in document, marker
    # No hidden input is in the notebook: not as a number, not as the encoded array the
    # self-checks carry (their own inputs are, which shows the scan would see one).
    leaked, public = [], 0
    for question in ch02.questions:
        for key, spec in question.specs.items():
            for argument in _payloads(spec):
                value = np.asarray(runtime.decode(argument))
                if argument.get("data") and argument["data"] in document:
                    leaked.append(key)
                distinctive = [float(v) for v in value.flat[:3] if not float(v).is_integer()]  # not 0.0, 2.0...
                if np.issubdtype(value.dtype, np.floating) and value.dtype != np.float32 \
                        and any(repr(v) in document for v in distinctive):
                    leaked.append(key)
        for check in question.public:
            public += sum(1 for argument in _payloads(check.spec) if argument.get("data", "-") in document)
    assert not leaked
    assert public > 0


def _payloads(spec) -> list[dict]:
    """Every encoded value in a spec (``runtime.encode``'s dictionaries), however nested."""
    if isinstance(spec, dict):
        if "t" in spec and ("data" in spec or "v" in spec):
            return [spec]
        return [found for value in spec.values() for found in _payloads(value)]
    if isinstance(spec, (list, tuple)):
        return [found for value in spec for found in _payloads(value)]
    return []


# ---------------------------------------------------------------- (c) the student's side


@pytest.mark.slow
def test_self_check_works_with_only_the_notebook(ch02, student_run):
    folder, nb = student_run
    checks = [cell for cell in nb.cells if notebooks.cell_role(cell) == "check"
              and cell.metadata["autograder"].get("question") == "q5_dot"]
    assert len(checks) == 1
    output = cell_text(checks[0]).strip()
    assert output.splitlines() == ["q5_dot 자가 점검: 3개 중 0개 통과", "❌ naive_vector_dot: 아직 구현하지 않았습니다.",
                                   "❌ naive_matrix_vector_dot: 아직 구현하지 않았습니다.",
                                   "❌ naive_matrix_dot: 아직 구현하지 않았습니다."]
    for noise in ("NotImplementedError", "Traceback", "Trying", "Expected", "ModuleNotFoundError", "ImportError"):
        assert noise not in output
    assert sorted(p.name for p in (folder / f"{ASSIGNMENT}_tests").iterdir()) == sorted(
        f"{q.id}.py" for q in ch02.questions)


def otter_run(zip_path: Path, submission: Path, out: Path, keras_home: Path, **env):
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.run(gradescope.otter_run_command(zip_path, submission, out), capture_output=True, text=True,
                             env=_env(KERAS_HOME=str(keras_home), **env), timeout=1200)
    return process, time.monotonic() - started


def otter_scores(out: Path) -> dict:
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {test["name"]: test.get("score") for test in results["tests"]}


@pytest.mark.slow
def test_export_is_what_gradescope_grades(ch02, student_run, built, tmp_path):
    folder, _ = student_run
    exported = sorted(folder.glob(f"{ASSIGNMENT}_*.zip"))
    assert len(exported) == 1, "grader.export() made no zip"
    names = zipfile.ZipFile(exported[0]).namelist()
    assert f"{ASSIGNMENT}.ipynb" in names
    process, _ = otter_run(built / gradescope.ZIP_NAME, exported[0], tmp_path / "out", tmp_path / "keras")
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    scores = {test["name"]: test.get("score") for test in results["tests"]}
    assert {q.id: scores[q.id] for q in ch02.questions} == {q.id: 0 for q in ch02.questions}
    # what the student reads there is the kit's Korean feedback, not doctest traces
    assert results["output"].startswith(f"# {ch02.title} 채점 결과") and "아직 구현하지 않았습니다" in results["output"]
    text = json.dumps(results, ensure_ascii=False)
    assert "Trying:" not in text and "Expecting" not in text and "Traceback" not in text


@pytest.mark.slow
def test_a_loop_that_swallows_the_time_limit_is_still_bounded(ch02, built, tmp_path, mnist_path):
    """A graded function that loops forever and catches BaseException inside the loop: the
    notebook cell calling it stops at the cell limit and its probes at theirs, once (a function
    that overran is not called again); every other question keeps its points."""
    zip_path = gradescope.build_zip(ch02, tmp_path / ASSIGNMENT, {mnist.MNIST: mnist_path}, Limits(cell_seconds=5))
    nb = nbformat.read(str(built / "solution" / f"{ASSIGNMENT}.ipynb"), as_version=4)
    stub = [c for c in notebooks.cells_with_role(nb, "stub") if "naive_transpose" in notebooks.stub_objects(c)]
    stub[0].source = ("def naive_transpose(x):\n    while True:\n        try:\n            while True:\n"
                      "                pass\n        except BaseException:\n            pass\n")
    path = tmp_path / "unstoppable.ipynb"
    nbformat.write(nb, str(path))
    process, seconds = otter_run(zip_path, path, tmp_path / "out", tmp_path / "keras")
    assert process.returncode == 0, process.stderr[-3000:]
    scores = otter_scores(tmp_path / "out")
    assert scores["q6_transpose"] == 0
    for question in ch02.questions:
        if question.id != "q6_transpose":
            assert scores[question.id] == question.points, question.id
    assert seconds < 5 + 5 + 180, seconds  # the cell, one probe call, and the rest of a normal run


@pytest.mark.slow
def test_notebook_of_another_assignment_is_refused(built, tmp_path):
    nb = nbformat.read(str(built / "solution" / f"{ASSIGNMENT}.ipynb"), as_version=4)
    nb.metadata["otter"]["assignment_name"] = "ch03"
    path = tmp_path / "ch03.ipynb"
    nbformat.write(nb, str(path))
    process, seconds = otter_run(built / gradescope.ZIP_NAME, path, tmp_path / "out", tmp_path / "keras")
    # On Gradescope the same error is the results' "Autograder Error" test; `otter run` raises it.
    assert process.returncode != 0
    assert (f"Received submission for assignment 'ch03' (this is assignment '{ASSIGNMENT}')"
            in process.stdout + process.stderr)
    assert seconds < 60  # refused before the notebook runs


# ---------------------------------------------------------------- (d) otter gives the corpus its points


def _corpus():
    """Submissions from the chapter-2 corpus, several specific bugs per notebook where they
    touch different questions, so the slow end-to-end run stays short; the expected points
    are the variants' own."""
    from corpus import Variant, forgers
    from corpus.ch02 import VARIANTS

    by_name = {variant.name: variant for variant in [*VARIANTS, *forgers.VARIANTS]}

    def merged(name, *parts):
        chosen = [by_name[part] for part in parts]
        replace = {k: v for variant in chosen for k, v in variant.replace.items()}
        assert len(replace) == sum(len(variant.replace) for variant in chosen), "overlapping stubs"
        expect = {k: v for variant in chosen for k, v in variant.expect.items()}
        assert len(expect) == sum(len(variant.expect) for variant in chosen), "two bugs in one question"
        return Variant(name, "mixed", replace=replace, expect=expect,
                       append=sum((variant.append for variant in chosen), ()),
                       prepend=sum((variant.prepend for variant in chosen), ()))

    # The reference itself goes through otter in test_a_loop_that_swallows_the_time_limit_is_still_bounded
    # (every question but q6 full) and in test_build_offline (no MNIST): not again here.
    return [
        merged("bugs-one", "relu-mutates-input", "crop-center-off-by-one", "model-with-sgd",
               "grad-of-wrong-function", "matrix-dot-np-dot", "fit-ignores-batch-size"),
        merged("bugs-two", "transpose-dot-T", "broadcast-wrong-axis", "update-weights-global-model",
               "preprocess-forgets-scaling"),
        merged("hang-and-tricks", "infinite-loop-in-function", "imports-reference",
               "execs-reference-file", "patched-numpy-on-solution"),
        by_name["patched-numpy-and-builtins"],
        # Forgers (corpus/forgers.py): no trick gains anything under otter either.
        merged("forgers", "labels-from-the-stack", "routes"),
        by_name["input-transformer"],
    ]


@pytest.fixture(scope="module")
def corpus_graded(ch02, built, built_notebooks, tmp_path_factory, mnist_path):
    from concurrent.futures import ThreadPoolExecutor

    from autograder.engine.cache import CACHE_ENV
    from corpus import inprocess, materialize

    work = tmp_path_factory.mktemp("corpus")
    zip_path = gradescope.build_zip(ch02, work / "zip" / ASSIGNMENT, {mnist.MNIST: mnist_path},
                                    Limits(cell_seconds=CELL_SECONDS))
    student, solution = built_notebooks
    folder = work / "submissions"
    folder.mkdir()
    variants = {variant.name: variant for variant in _corpus()}
    paths = [materialize(variant, student, solution, folder) for variant in variants.values()]
    # The training of code the in-process corpus recorded is served from a cache, as on a machine
    # that grades many submissions (AUTOGRADER_CACHE); the others train here. A real training
    # under otter: test_a_loop_that_swallows_the_time_limit_is_still_bounded.
    cache = work / "cache"
    seeded = inprocess.seed_cache(ch02, paths, cache)
    assert len(seeded) >= 3, seeded
    before = {entry.name for entry in cache.glob("*.json")}

    def run(path):
        process, seconds = otter_run(zip_path, path, work / "otter" / path.stem, work / "keras",
                                     **{CACHE_ENV: str(cache)})
        assert process.returncode == 0, process.stderr[-3000:]
        return path.stem, otter_scores(work / "otter" / path.stem), seconds

    with ThreadPoolExecutor(2) as pool:  # two cores: two otter runs at a time
        ran = list(pool.map(run, paths))
    print("\notter run seconds per submission:", {name: round(seconds) for name, _, seconds in ran})
    assert not (work / "keras" / "datasets").exists()  # nothing downloaded
    # the plugin used the cache: each training it ran is kept there
    assert before < {entry.name for entry in cache.glob("*.json")}
    return {name: scores for name, scores, _ in ran}, variants


@pytest.mark.slow
@pytest.mark.parametrize("name", [variant.name for variant in _corpus()])
def test_otter_gives_each_submission_its_expected_points(ch02, corpus_graded, name):
    scores, variants = corpus_graded
    assert {q.id: float(scores[name][q.id]) for q in ch02.questions} == variants[name].expected(ch02)


@pytest.mark.slow
def test_corpus_is_not_trivial(ch02, corpus_graded):
    """The corpus exercises both full marks and lost points on every question."""
    scores, _ = corpus_graded
    for question in ch02.questions:
        seen = {scores[name][question.id] for name in scores}
        assert question.points in seen and min(seen) < question.points, question.id
