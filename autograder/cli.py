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
CourseOption = typer.Option(None, "--course", help="The course's policies (default: ./course.toml, else the copy "
                                                  "in the graded folder, else none): see docs/instructor_ko.md.")


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _course(path: Optional[Path], grades_dir: Optional[Path] = None):
    from . import course

    try:
        return course.find(path, grades_dir)
    except course.CourseError as error:
        _fail(str(error))


def _load_graded(grades_dir: Path, policy):
    """The graded folder with the policy and adjustments.csv applied; bad input is exit code 2."""
    from .reports.load import GradesDirError, load
    from .reports.scoring import AdjustmentsError

    if not grades_dir.is_dir():
        _fail(f"{grades_dir} is not a folder (give the --out folder of `autograder grade`)")
    try:
        return load(grades_dir, policy)
    except (GradesDirError, AdjustmentsError) as error:
        _fail(str(error))


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
    from .engine import files
    from .engine.submission import MAX_BYTES

    named = set()
    for path in paths:
        if files.check_regular_file(path):  # a link, a FIFO, a device: never opened (its row says why)
            continue
        try:
            with files.open_regular(path, follow=False) as handle:
                named.add(json.loads(handle.read(MAX_BYTES + 1))["metadata"]["otter"]["assignment_name"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
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
          mnist_path: Optional[Path] = MnistOption,
          course_path: Optional[Path] = CourseOption) -> None:
    """Write, per assignment (all of them unless --assignment): the student and solution
    notebooks, the Gradescope zip and the nbgrader course. The student notebook states the
    course's file-name rule and submission place (course.toml)."""
    from .targets import build as targets, gradescope

    policy = _course(course_path)
    chosen = _chosen(assignment_id)
    if any("tensorflow" in assignment.preload for assignment in chosen):  # the answer key's observations
        _import_tensorflow_quietly()
    for assignment in chosen:
        data = _datasets(assignment, mnist_path, download=False, required=False)  # bundled when here
        for written in targets.build_all(assignment, out, data, policy):
            console.print(f"wrote {written}")
        for line in gradescope.data_plan(assignment, data):
            console.print(f"{assignment.id}/autograder.zip: {line}")


@app.command()
def grade(submissions: List[Path] = typer.Argument(..., help=".ipynb files, the zips the notebook's export cell "
                                                    "writes, or folders of them (nbgrader and Gradescope layouts too)."),
          out: Path = typer.Option(Path("grades"), "--out", help="Output folder."),
          assignment_id: Optional[str] = AssignmentOption,
          jobs: int = typer.Option(1, "--jobs", min=1, help="Submissions graded at once."),
          force: bool = typer.Option(False, "--force", help="Grade again even if already graded."),
          cache: bool = typer.Option(True, "--cache/--no-cache",
                                     help="Reuse training-check results of identical code (kept in DIR/.cache)."),
          cell_timeout: Optional[int] = typer.Option(None, "--cell-timeout", min=1, help="Seconds one notebook cell "
                                                     "may run (default: the assignment's limits, 120; docs/limits.md)."),
          memory_mb: Optional[int] = typer.Option(None, "--memory-mb", min=256, help="Memory limit of a submission's "
                                                  "kernel (default: the assignment's, 4096)."),
          submission_timeout: Optional[int] = typer.Option(None, "--submission-timeout", min=10,
                                                           help="Seconds one submission may take in all (default: "
                                                                "the assignment's, 2400)."),
          device: str = typer.Option("auto", "--device", help="Where training runs: auto (a GPU when TensorFlow "
                                     "lists one), cpu, or gpu (an error when there is none)."),
          use_sandbox: bool = typer.Option(True, "--sandbox/--no-sandbox", help="Run each kernel in bubblewrap "
                                           "(Linux); where it cannot run, grade anyway with a warning."),
          require_sandbox: bool = typer.Option(False, "--require-sandbox", help="Refuse to grade without the sandbox."),
          mnist_path: Optional[Path] = MnistOption,
          course_path: Optional[Path] = CourseOption) -> None:
    """Grade submissions: DIR/grades.csv and per submission results.json and feedback.md. Every file
    found but not graded is listed with the reason."""
    from . import course as courses
    from . import intake as intakes
    from .engine.batch import Interrupted, grade_all
    from .engine.capacity import jobs_problem

    if device not in ("auto", "cpu", "gpu"):
        _fail(f"--device must be auto, cpu or gpu, not {device!r}")
    missing = [str(p) for p in submissions if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(missing)}")
    policy = _course(course_path, out)
    intake = intakes.discover(submissions, out)
    for path, reason in intake.skipped:
        console.print(f"[yellow]not graded:[/yellow] {escape(path)}: {escape(reason)}", soft_wrap=True)
    misnamed = [str(f.source) for f in intake.found if policy.misnamed(f.source.stem)]
    if misnamed:
        console.print(f"[yellow]{len(misnamed)} file(s) break the course's file-name rule[/yellow] "
                      f"({escape(policy.id_pattern)}; graded, but no roster id can come from the name): "
                      + escape(", ".join(misnamed[:30])), soft_wrap=True)
    paths = intake.paths
    if not paths:
        _fail("no notebook (.ipynb, or a zip holding one) found" + (f"; {len(intake.skipped)} file(s) not graded, "
                                                                      "listed above" if intake.skipped else ""))
    problem = jobs_problem(jobs)  # workers that do not fit in memory would die half-way
    if problem:
        _fail(problem)
    assignment = _for_submissions(assignment_id, paths)
    try:
        courses.check_cases(policy, assignment.questions)
    except courses.CourseError as error:
        _fail(str(error))
    if (out / "adjustments.csv").is_file():
        _load_graded(out, policy)  # a broken adjustments.csv stops us before grading, not after
    data = _datasets(assignment, mnist_path, download=True, required=True)
    for dataset, path in data.items():  # the kernels, the workers and the judges read the same file
        os.environ[dataset.env_var] = str(path)
    if "tensorflow" in assignment.preload:  # the answer key's observations are computed in this process
        _import_tensorflow_quietly()
    if device == "gpu":
        _require_gpu()
    sandboxed = _sandbox_policy(use_sandbox, require_sandbox)
    limits = assignment.limits.with_overrides(cell_seconds=cell_timeout, memory_mb=memory_mb, device=device,
                                              sandbox=sandboxed, submission_seconds=submission_timeout)
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
        except OSError as problem:  # the grades folder: read-only, full, a file where a folder goes
            progress.stop()
            _fail(f"cannot write the grades folder {out}: {problem.strerror or problem}"
                  f"{f' ({problem.filename2 or problem.filename})' if problem.filename else ''}. What was finished is kept; "
                  "fix the folder and run the same command again.")
        except Interrupted as stop:
            progress.stop()
            _after_grading(out, intake, finished, policy)
            console.print(f"[yellow]interrupted ({stop}):[/yellow] {len(finished)} of {len(paths)} submissions "
                          f"are graded and kept in {out}; run the same command again to grade the rest.",
                          soft_wrap=True)
            raise typer.Exit(130)
    errors = [result.submission for result in finished if result.grader_error]
    in_folder = _after_grading(out, intake, finished, policy)
    console.print(f"wrote {out / 'grades.csv'}: {len(finished)} submissions graded or kept now, {in_folder} in the "
                  f"folder" + (f"; {len(intake.skipped)} file(s) not graded (listed above and in the report)"
                               if intake.skipped else ""))
    if errors:
        console.print(f"[red]{len(errors)} submission(s) hit an error of the grading kit[/red] "
                      f"(status and traceback.txt in their folders): {', '.join(errors[:20])}", soft_wrap=True)
        raise typer.Exit(1)


def _after_grading(out: Path, intake, finished: list, policy) -> int:
    """Record where each submission came from, keep the policy beside the grades, and write
    grades.csv again from every record in the folder with the policy and adjustments.csv."""
    from . import intake as intakes
    from .engine import files
    from .reports import scoring

    intakes.write_record(out, intake, {result.submission: result.path for result in finished})
    if policy.source and Path(policy.source).resolve() != (out / "course.toml").resolve():
        files.write_text(out / "course.toml", Path(policy.source).read_text(encoding="utf-8"))
    results = _load_graded(out, policy)
    scoring.write_grades(results)
    return len(results.records)


@app.command()
def points(assignment_id: Optional[str] = AssignmentOption, course_path: Optional[Path] = CourseOption,
           docs: bool = typer.Option(False, "--docs", help="Write the tables (without course.toml) into "
                                                           "docs/<id>.md instead of printing them.")) -> None:
    """Print the points table (question, case, points) as Markdown, with course.toml's overrides."""
    from .targets import points as points_table

    if docs:
        for assignment in _chosen(assignment_id):
            page = registry.ROOT / "docs" / f"{assignment.id}.md"
            if page.is_file() and points_table.DOC_BEGIN in page.read_text(encoding="utf-8"):
                page.write_text(points_table.with_case_table(page.read_text(encoding="utf-8"), assignment),
                                encoding="utf-8")
                console.print(f"wrote {page}")
        return
    policy = _course(course_path)
    for assignment in _chosen(assignment_id):
        print(points_table.case_table(assignment, policy.points) + "\n")


# ---------------------------------------------------------------- after grading: report and export


@app.command()
def report(grades_dir: Path = typer.Argument(..., help="A folder written by `autograder grade --out`."),
           out: Optional[Path] = typer.Option(None, "--out", help="The HTML file (default: GRADES_DIR/report.html)."),
           course_path: Optional[Path] = CourseOption) -> None:
    """Write the class report: one self-contained HTML page (Korean) built from GRADES_DIR alone."""
    from .reports import build_report
    from .reports.load import GradesDirError
    from .reports.plots import KoreanFontMissing
    from .reports.scoring import AdjustmentsError

    if not grades_dir.is_dir():
        _fail(f"{grades_dir} is not a folder (give the --out folder of `autograder grade`)")
    policy = _course(course_path, grades_dir)
    try:
        written, warnings = build_report(grades_dir, out, policy)
    except (GradesDirError, AdjustmentsError) as error:
        _fail(str(error))
    except KoreanFontMissing as error:
        _fail(str(error), code=1)
    except OSError as problem:  # a read-only or full folder for the page
        _fail(f"cannot write the report: {problem.strerror or problem}"
              f"{f' ({problem.filename2 or problem.filename})' if problem.filename else ''}")
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"wrote {written}")


@app.command()
def export(grades_dir: Path = typer.Argument(..., help="A folder written by `autograder grade --out`."),
           roster: Path = typer.Option(..., "--roster", help="CSV with columns id, name (and optionally canvas_id, "
                                                              "sis_user_id, sis_login_id, section, email, "
                                                              "moodle_participant_id)."),
           fmt: Optional[str] = typer.Option(None, "--format", help="canvas (Canvas gradebook import), moodle (Moodle "
                                             "grade import) or csv (id, name, per question, total); default: "
                                             "course.toml's [export] format, else csv."),
           pattern: Optional[str] = typer.Option(None, "--pattern", help="How a submission names its student: plain "
                                                 "(<id>.ipynb or <id>.zip), nbgrader (submitted/<id>/<assignment>/…), "
                                                 "gradescope (Export Submissions zip), or a regex with a group "
                                                 "(?P<id>…); default: course.toml's [export] pattern, else plain."),
           out: Optional[Path] = typer.Option(None, "--out", help="The CSV (default: GRADES_DIR/gradebook-<format>.csv, "
                                                                  "GRADES_DIR/gradebook.csv for csv)."),
           canvas_column: Optional[str] = typer.Option(None, "--canvas-column", help="The assignment's column, "
                                                       "e.g. 'Chapter 2 (12345)' (default: the assignment title)."),
           gradescope_metadata: Optional[Path] = typer.Option(None, "--gradescope-metadata", help="Gradescope's "
                                                              "submission_metadata.yml (default: found above the notebooks)."),
           course_path: Optional[Path] = CourseOption) -> None:
    """Write a gradebook CSV from GRADES_DIR and a roster; students without a submission get an empty score."""
    from .reports import gradebook

    policy = _course(course_path, grades_dir)
    fmt = fmt or policy.format
    pattern = pattern or policy.pattern
    if fmt not in gradebook.FORMATS:
        _fail(f"--format must be one of {', '.join(gradebook.FORMATS)}, not {fmt!r}")
    results = _load_graded(grades_dir, policy)
    target = out or grades_dir / ("gradebook.csv" if fmt == "csv" else f"gradebook-{fmt}.csv")
    try:
        matching, check = gradebook.export(results, roster, fmt, gradebook.make_pattern(pattern, gradescope_metadata),
                                           target, canvas_column)
    except gradebook.ExportError as error:
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
        rule = "the latest submission" if policy.counts == "latest" else "the highest total"
        console.print(f"[yellow]students with more than one submission ({rule} counts, see course.toml's "
                      "submission.counts):[/yellow] "
                      + "; ".join(f"{k}: {', '.join(v)}" for k, v in check["duplicates"].items()))
    console.print(f"the report shows these lists too (from {grades_dir / 'roster_check.json'})")


@app.command()
def feedback(grades_dir: Path = typer.Argument(..., help="A folder written by `autograder grade --out`."),
             out: Path = typer.Option(..., "--out", help="Folder for the pages: OUT/<roster id>.html (OUT/<submission>.html "
                                                         "without a roster)."),
             roster: Optional[Path] = typer.Option(None, "--roster", help="The roster CSV of `export` (pages named by id)."),
             pattern: Optional[str] = typer.Option(None, "--pattern", help="As for export (default: course.toml, else plain)."),
             lms_zip: Optional[str] = typer.Option(None, "--zip", help="Also write OUT/feedback-<lms>.zip for an LMS's "
                                                   "bulk feedback upload: canvas (roster column canvas_id) or moodle "
                                                   "(roster column moodle_participant_id)."),
             gradescope_metadata: Optional[Path] = typer.Option(None, "--gradescope-metadata", help="As for export."),
             course_path: Optional[Path] = CourseOption) -> None:
    """Write one self-contained Korean HTML page per student: scores, cases, the instructor's
    comments (adjustments.csv) and the student's own code for each failed case."""
    from .reports import feedback as pages, gradebook

    if lms_zip is not None and lms_zip not in pages.LMS_ZIPS:
        _fail(f"--zip must be one of {', '.join(pages.LMS_ZIPS)}, not {lms_zip!r}")
    if lms_zip is not None and roster is None:
        _fail("--zip needs --roster (the LMS's ids come from it)")
    policy = _course(course_path, grades_dir)
    results = _load_graded(grades_dir, policy)
    matching = None
    if roster is not None:
        try:
            pattern_used = gradebook.make_pattern(pattern or policy.pattern, gradescope_metadata)
            matching = gradebook.match(results, gradebook.read_roster(roster), pattern_used, policy.counts)
        except gradebook.ExportError as error:
            _fail(str(error))
    written, left_out = pages.write(results, out, matching, lms_zip)
    html = [p for p in written if p.suffix == ".html"]
    console.print(f"wrote {len(html)} feedback page(s) in {out}")
    if matching is not None:
        if matching.missing:
            console.print(f"[yellow]{len(matching.missing)} student(s) in the roster have no submission, so no page:"
                          f"[/yellow] {', '.join(s.id for s in matching.missing[:30])}")
        if matching.unmatched:
            console.print(f"[yellow]{len(matching.unmatched)} submission(s) match no student, so no page:[/yellow] "
                          + ", ".join(u["submission"] for u in matching.unmatched[:30]))
    for path in written:
        if path.suffix == ".zip":
            console.print(f"wrote {path}")
    if left_out:
        console.print(f"[yellow]left out of the zip:[/yellow] {'; '.join(left_out[:30])}")


if __name__ == "__main__":
    app()
