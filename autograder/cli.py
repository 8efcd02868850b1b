"""``autograder``: build an assignment, grade submissions, show the points table."""

from __future__ import annotations

import json
import os

# Before anything imports TensorFlow: its C++ start-up lines (absl, oneDNN, cpu_feature_guard)
# are not for the person at the terminal. Worker processes and kernels inherit this.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402
from typing import List, Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from . import assignment as registry  # noqa: E402
from . import mnist  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Autograding kit for deep-learning course assignments (Deep Learning with Python, Korean course).")
console = Console(stderr=True)

MnistOption = typer.Option(None, "--mnist", help="Keras-layout mnist.npz (default: $MNIST_NPZ, the Keras cache, a download).")
AssignmentOption = typer.Option(None, "--assignment", "-a", help="Assignment id (default: the only one, or as explained per command).")


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 sent to /dev/null: its C++ libraries print
    start-up lines (absl, oneDNN, CUDA probing) straight to the terminal, past Python."""
    import sys

    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _sandbox_policy(wanted: bool, required: bool) -> bool:
    """Whether kernels run sandboxed: where bwrap cannot run, a loud warning (and a note in
    every row), or a refusal with --require-sandbox."""
    from .engine import sandbox

    problem = sandbox.check() if (wanted or required) else "--no-sandbox"
    if problem and required:
        _fail(f"--require-sandbox: the sandbox cannot run here: {problem}")
    if problem:
        console.print(f"[bold red]WARNING: grading WITHOUT the sandbox ({escape(problem)}).[/bold red] Student "
                      "code can read the kit's files, including the answer key, and write next to the grades. "
                      "Every row's status says so. Install bubblewrap (Linux) for the sandbox.", soft_wrap=True)
    return not problem


def _require_gpu() -> None:
    """``--device gpu`` where TensorFlow lists no GPU is an error, not a quiet CPU run."""
    _import_tensorflow_quietly()
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        build = "tensorflow-cpu, which never uses a GPU" if _distribution("tensorflow-cpu") else "this TensorFlow"
        _fail(f"--device gpu: TensorFlow lists no GPU here ({build}). On Linux with an NVIDIA GPU, install "
              "the kit with its gpu extra (pip install '.[gpu]'), or grade with --device cpu.")


def _distribution(name: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return bool(version(name))
    except PackageNotFoundError:
        return False


def _chosen(assignment_id: Optional[str]) -> list:
    """The assignments a command works on: the one named, or every one registered."""
    try:
        return [registry.get(assignment_id)] if assignment_id else list(registry.all_assignments().values())
    except registry.UnknownAssignment as error:
        _fail(str(error))


def _for_submissions(assignment_id: Optional[str], paths: list[Path]):
    """The assignment of a batch: the one named; else the only one registered; else the one
    the notebooks' metadata names (``metadata.otter.assignment_name``, set by the build)."""
    known = registry.all_assignments()
    if assignment_id or len(known) == 1:
        return _chosen(assignment_id)[0]
    named = set()
    for path in paths:
        try:
            named.add(json.loads(path.read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    if len(named) == 1 and next(iter(named)) in known:
        return known[next(iter(named))]
    _fail(f"several assignments are registered ({', '.join(sorted(known))}) and the notebooks do not name "
          "exactly one of them: choose with --assignment")


def _datasets(assignment, mnist_path: Optional[Path], download: bool, required: bool) -> dict:
    """dataset -> file for the assignment's datasets, in contract order (--mnist first)."""
    if mnist_path:
        os.environ[mnist.ENV_VAR] = str(mnist_path)
    found = {}
    for dataset in assignment.datasets:
        try:
            found[dataset] = dataset.resolve(download=download)
        except Exception as error:
            if required or os.environ.get(dataset.env_var):
                _fail(str(error))
    return found


@app.command()
def build(out: Path = typer.Option(Path("dist"), "--out", help="Output folder."),
          assignment_id: Optional[str] = AssignmentOption,
          mnist_path: Optional[Path] = MnistOption) -> None:
    """Write, per assignment (all of them unless --assignment): the student and solution
    notebooks, the Gradescope zip and the nbgrader course."""
    from .targets import build as targets, gradescope

    _import_tensorflow_quietly()
    for assignment in _chosen(assignment_id):
        data = _datasets(assignment, mnist_path, download=False, required=False)  # bundled when here
        for written in targets.build_all(assignment, out, data):
            console.print(f"wrote {written}")
        for line in gradescope.data_plan(assignment, data):
            console.print(f"{assignment.id}/autograder.zip: {line}")


@app.command()
def grade(submissions: List[Path] = typer.Argument(..., help=".ipynb files or folders of them."),
          out: Path = typer.Option(Path("grades"), "--out", help="Output folder."),
          assignment_id: Optional[str] = AssignmentOption,
          jobs: int = typer.Option(1, "--jobs", min=1, help="Submissions graded at once."),
          force: bool = typer.Option(False, "--force", help="Grade again even if already graded."),
          cache: bool = typer.Option(True, "--cache/--no-cache",
                                     help="Reuse training-check results of identical code (kept in DIR/.cache)."),
          cell_timeout: int = typer.Option(120, "--cell-timeout", min=1, help="Seconds one notebook cell may run."),
          memory_mb: int = typer.Option(4096, "--memory-mb", min=256, help="Memory limit of a submission's kernel."),
          device: str = typer.Option("auto", "--device", help="Where training runs: auto (a GPU when TensorFlow "
                                     "lists one), cpu, or gpu (an error when there is none)."),
          use_sandbox: bool = typer.Option(True, "--sandbox/--no-sandbox", help="Run each kernel in bubblewrap "
                                           "(Linux); where it cannot run, grade anyway with a warning."),
          require_sandbox: bool = typer.Option(False, "--require-sandbox", help="Refuse to grade without the sandbox."),
          mnist_path: Optional[Path] = MnistOption) -> None:
    """Grade submissions: DIR/grades.csv and per submission results.json and feedback.md."""
    from dataclasses import replace

    from .engine.batch import Interrupted, find_notebooks, grade_all
    from .engine.capacity import jobs_problem

    if device not in ("auto", "cpu", "gpu"):
        _fail(f"--device must be auto, cpu or gpu, not {device!r}")
    missing = [str(p) for p in submissions if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    paths = find_notebooks(submissions)
    if not paths:
        _fail("no .ipynb files found")
    problem = jobs_problem(jobs)  # workers that do not fit in memory would die half-way
    if problem:
        _fail(problem)
    assignment = _for_submissions(assignment_id, paths)
    data = _datasets(assignment, mnist_path, download=True, required=True)
    for dataset, path in data.items():  # the kernels, the workers and the judges read the same file
        os.environ[dataset.env_var] = str(path)
    if "tensorflow" in assignment.preload:  # the answer key's observations are computed in this process
        _import_tensorflow_quietly()
    if device == "gpu":
        _require_gpu()
    sandboxed = _sandbox_policy(use_sandbox, require_sandbox)
    limits = replace(assignment.limits, cell_seconds=cell_timeout, memory_mb=memory_mb, device=device,
                     sandbox=sandboxed)
    finished = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(f"grading {assignment.id}", total=len(paths))

        def shown(result, reused):
            tag = "kept" if reused else f"{result.seconds:.0f}s"
            progress.console.print(f"{result.submission}: {result.total:g}/{result.possible():g} "
                                   f"({tag}) {'' if result.status == 'ok' else result.status[:120]}")
            finished.append(result)
            progress.advance(task)

        try:
            grade_all(assignment, paths, out, data, jobs=jobs, force=force,
                      cache=out / ".cache" if cache else None, limits=limits, on_result=shown)
        except Interrupted as stop:
            progress.stop()
            console.print(f"[yellow]interrupted ({stop}):[/yellow] {len(finished)} of {len(paths)} submissions "
                          f"are graded and kept in {out}; run the same command again to grade the rest.",
                          soft_wrap=True)
            raise typer.Exit(130)
    errors = [result.submission for result in finished if result.grader_error]
    console.print(f"wrote {out / 'grades.csv'}: {len(finished)} submissions")
    if errors:
        console.print(f"[red]{len(errors)} submission(s) hit an error of the grading kit[/red] "
                      f"(status and traceback.txt in their folders): {', '.join(errors[:20])}", soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def points(assignment_id: Optional[str] = AssignmentOption) -> None:
    """Print the points table (question, case, points) as Markdown."""
    for assignment in _chosen(assignment_id):
        print(f"### {assignment.id}: {assignment.title} ({assignment.points:g}점)\n")
        print("| question | case | points |\n|---|---|---|")
        for question in assignment.questions:
            for case in question.cases:
                print(f"| {question.id} | {case.name} | {case.points:g} |")
            print(f"| **{question.id}** | **합계** | **{question.points:g}** |")
        print()


# ---------------------------------------------------------------- after grading: report and export


@app.command()
def report(grades_dir: Path = typer.Argument(..., help="A folder written by `autograder grade --out`."),
           out: Optional[Path] = typer.Option(None, "--out", help="The HTML file (default: GRADES_DIR/report.html).")
           ) -> None:
    """Write the class report: one self-contained HTML page (Korean) built from GRADES_DIR alone."""
    from .reports import build_report
    from .reports.load import GradesDirError
    from .reports.plots import KoreanFontMissing

    if not grades_dir.is_dir():
        _fail(f"{grades_dir} is not a folder (give the --out folder of `autograder grade`)")
    try:
        written, warnings = build_report(grades_dir, out)
    except GradesDirError as error:
        _fail(str(error))
    except KoreanFontMissing as error:
        _fail(str(error), code=1)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"wrote {written}")


@app.command()
def export(grades_dir: Path = typer.Argument(..., help="A folder written by `autograder grade --out`."),
           roster: Path = typer.Option(..., "--roster", help="CSV with columns id, name (and optionally canvas_id, "
                                                              "sis_user_id, sis_login_id, section, email)."),
           fmt: str = typer.Option("csv", "--format", help="canvas (Canvas gradebook import) or csv (id, name, "
                                                           "per question, total)."),
           pattern: str = typer.Option("plain", "--pattern", help="How a submission names its student: plain "
                                       "(<id>.ipynb), nbgrader (submitted/<id>/<assignment>/…), gradescope "
                                       "(Export Submissions zip), or a regex with a group (?P<id>…)."),
           out: Optional[Path] = typer.Option(None, "--out", help="The CSV (default: GRADES_DIR/gradebook-canvas.csv "
                                                                  "or GRADES_DIR/gradebook.csv)."),
           canvas_column: Optional[str] = typer.Option(None, "--canvas-column", help="Canvas assignment column, "
                                                       "e.g. 'Chapter 2 (12345)' (default: the assignment title)."),
           gradescope_metadata: Optional[Path] = typer.Option(None, "--gradescope-metadata", help="Gradescope's "
                                                              "submission_metadata.yml (default: found above the notebooks)."),
           ) -> None:
    """Write a gradebook CSV from GRADES_DIR and a roster; students without a submission get an empty score."""
    from .reports import gradebook
    from .reports.load import GradesDirError, load

    if fmt not in ("canvas", "csv"):
        _fail(f"--format must be canvas or csv, not {fmt!r}")
    if not grades_dir.is_dir():
        _fail(f"{grades_dir} is not a folder (give the --out folder of `autograder grade`)")
    target = out or grades_dir / ("gradebook-canvas.csv" if fmt == "canvas" else "gradebook.csv")
    try:
        results = load(grades_dir)
        matching, check = gradebook.export(results, roster, fmt, gradebook.make_pattern(pattern, gradescope_metadata),
                                           target, canvas_column)
    except (GradesDirError, gradebook.ExportError) as error:
        _fail(str(error))
    for warning in results.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"wrote {target}: {len(matching.submission_of)} of {len(matching.students)} students with a grade")
    if check["missing"]:
        console.print(f"[yellow]{len(check['missing'])} student(s) in the roster have no submission[/yellow] "
                      f"(empty score): {', '.join(m['id'] for m in check['missing'][:30])}")
    if check["unmatched"]:
        console.print(f"[yellow]{len(check['unmatched'])} submission(s) match no student in the roster:[/yellow] "
                      + "; ".join(f"{u['submission']} ({u['reason']})" for u in check["unmatched"][:30]))
    if check["duplicates"]:
        console.print("[yellow]students with more than one submission (the highest total is used):[/yellow] "
                      + "; ".join(f"{k}: {', '.join(v)}" for k, v in check["duplicates"].items()))
    console.print(f"the report shows these lists too (from {grades_dir / 'roster_check.json'})")


if __name__ == "__main__":
    app()
