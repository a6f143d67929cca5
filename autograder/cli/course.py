"""Commands that prepare a course: sync, build, demo, data, calibrate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from autograder import datasets
from autograder.authoring import build as build_step
from autograder.authoring import sync as sync_step
from autograder.cli.app import (
    AssignmentOption,
    ConfigOption,
    app,
    console,
    data_app,
    err_console,
    reports_errors,
    selected,
)
from autograder.config import Course
from autograder.errors import GraderError

if TYPE_CHECKING:
    from autograder.gradescope.package import GradescopeZip


@app.command()
@reports_errors
def sync(
    config: ConfigOption = None,
    assignment: AssignmentOption = None,
    check: Annotated[
        bool, typer.Option(help="only report; exit 1 when a notebook is out of date")
    ] = False,
) -> None:
    """Regenerate master-notebook code cells from solutions/ and points from grader.yaml."""
    course = Course.discover(config)
    stale = []
    for name in selected(course, assignment):
        report = sync_step.sync_notebook(course, name, check=check)
        state = ("out of date" if check else "updated") if report.changed else "in sync"
        console.print(f"{name}: {state} ({len(set(report.changed_cells))} cell(s))")
        if report.changed:
            stale.append(name)
    if check and stale:
        raise typer.Exit(1)


@app.command()
@reports_errors
def build(
    config: ConfigOption = None,
    assignment: AssignmentOption = None,
    dist: Annotated[Path, typer.Option(help="where otter's outputs go")] = Path("dist"),
    sync_first: Annotated[
        bool, typer.Option("--sync", help="sync out-of-date master notebooks first")
    ] = False,
) -> None:
    """Run otter assign on every master notebook; write student_template/ and dist/.

    A master notebook out of date with solutions/ or grader.yaml is refused (`--sync`: synced
    first, and said).

    Each Gradescope zip carries the course data its training checks read ($RNN_GRADER_DATA or
    grader.yaml's data_dir); a check whose data is missing is built, but not graded there. It
    carries the known mistakes' signatures too (graded once, then kept in the user's cache).
    """
    from autograder.authoring.signatures import ensure_signatures, shipped_entries
    from autograder.gradescope.package import build_zip  # the exercises: only where one builds

    course = Course.discover(config)
    dist_root = dist if dist.is_absolute() else course.root / dist
    names = selected(course, assignment)
    for name, cells in sync_step.require_in_sync(course, names, update=sync_first).items():
        console.print(f"{name}: synced first ({cells} cell(s) from solutions/ and grader.yaml)")
    for name in names:
        built = build_step.build(course, name, dist_root)
        signatures = ensure_signatures(course, name, say=console.print)
        gradescope = build_zip(course, name, dist_root, shipped_entries(name, signatures))
        console.print(
            f"{name}: student template -> {built.template_dir.relative_to(course.root)}, "
            f"Gradescope autograder -> {gradescope.path} ({gradescope.megabytes:.1f} MB)",
            highlight=False,
            soft_wrap=True,
        )
        _report_data(gradescope)


def _report_data(gradescope: GradescopeZip) -> None:
    """Which data the zip carries; a loud warning for each training check it cannot run."""
    data = gradescope.data
    carried = f"{', '.join(data.files)} (from {data.source})" if data.files else "none"
    console.print(f"  data in the zip: {escape(carried)}", highlight=False, soft_wrap=True)
    for check, files in data.missing.items():
        err_console.print(
            f"[bold yellow]warning:[/] {check} will not be graded on Gradescope: "
            f"{escape(', '.join(files))} not in {escape(str(data.source))} (set RNN_GRADER_DATA "
            "or data_dir in grader.yaml to the prepared data and build again)",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
@reports_errors
def demo(
    out: Annotated[Path, typer.Option(help="folder for the example class and its run")] = Path(
        "demo-run"
    ),
    workers: Annotated[int | None, typer.Option(help="parallel workers (default: cores)")] = None,
    config: ConfigOption = None,
) -> None:
    """Build every assignment, grade a small example class of names_charlm under a late rule of
    its own, adjust one score as a TA would, and point at the class report."""
    import shutil
    from datetime import datetime, timezone

    from autograder.authoring.signatures import ensure_signatures
    from autograder.batch import adjustments
    from autograder.batch.commands import export_run, grade_batch
    from autograder.batch.report import open_run
    from autograder.demo import DEMO_ASSIGNMENT, demo_late_rule, with_late_rule, write_class
    from autograder.gradescope.package import build_gradescope_zip

    course = Course.discover(config)
    for name in course.config.assignments:
        build_step.build(course, name, course.root / "dist")
        build_gradescope_zip(course, name, course.root / "dist")
        console.print(f"built {name}: student_template/{name}, dist/{name}/gradescope.zip")
    # the known mistakes' signatures, so that the feedback names them (once; then cached)
    ensure_signatures(course, DEMO_ASSIGNMENT, say=console.print)
    if out.exists():
        shutil.rmtree(out)
    due = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    rule = demo_late_rule(due, out)
    demo_course = with_late_rule(course, DEMO_ASSIGNMENT, rule)
    submissions = write_class(course, out / "class", due=due)
    console.print(
        f"wrote {len(submissions)} example submissions in {out / 'class'}; the demo's late rule: "
        f"due {rule.local(due):%Y-%m-%d %H:%M %Z}, 90% up to a day late, 70% up to three, "
        f"extensions in {out / 'extensions.csv'}",
        highlight=False,
    )
    run = out / "run"
    grade_batch(demo_course, DEMO_ASSIGNMENT, out / "class", run, console, workers=workers)
    store, _ = open_run(run)
    try:  # what a TA does after reading the report: one score set by hand, with the reason
        exercise, student = "one_hot_encode_string", "1003"
        automatic = adjustments.automatic_points(store, student, exercise)
        reason = "each 1 sits one column early; the shape, dtype and rows are right"
        adjustments.record(store, student, exercise, 1.5, reason, automatic, "demo-ta")
    finally:
        store.close()
    console.print(f"adjusted: {student} {exercise} to 1.5 points ({reason})", highlight=False)
    export_run(demo_course, run, console, allow_incomplete=False)


@data_app.command("prepare")
@reports_errors
def data_prepare(
    raw: Annotated[Path, typer.Option("--from", help="folder with the raw data sets")],
    target: Annotated[Path, typer.Option("--to", help="course data directory to create")],
) -> None:
    """Build the course data directory (ASCII names.csv, the other files copied) from raw files."""
    for path in datasets.prepare(raw, target):
        console.print(f"wrote {path}")
    console.print(f"[green]ready:[/] export RNN_GRADER_DATA={target.resolve()}")


@data_app.command("check")
@reports_errors
def data_check(
    directory: Annotated[
        Path | None, typer.Argument(help="default: the configured data directory")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Verify names, sizes and checksums of every file in a course data directory."""
    if directory is None:
        directory = Course.discover(config).config.resolved_data_dir()
    found = datasets.check(directory)
    if found:
        raise GraderError(
            f"{directory} is not a usable course data directory:\n  " + "\n  ".join(found)
        )
    console.print(f"[green]ok:[/] {directory} has all {len(datasets.COURSE_FILES)} course files")


@app.command()
@reports_errors
def calibrate(
    exercise: Annotated[
        list[str] | None,
        typer.Option("--exercise", "-e", help="only this training check (repeatable)"),
    ] = None,
    seeds: Annotated[int, typer.Option(help="reference runs (at least 20 on a CPU)")] = 20,
    mistake_seeds: Annotated[int, typer.Option(help="runs per known mistake")] = 3,
    device: Annotated[
        str | None, typer.Option(help="cpu or cuda (default: grader.yaml's device)")
    ] = None,
    through_sandbox: Annotated[
        bool,
        typer.Option(
            "--through-sandbox/--in-process",
            help="train in the confined child, as grading does (default), or in this process "
            "where no confinement tier holds",
        ),
    ] = True,
    workers: Annotated[
        int, typer.Option(help="sandboxed runs at a time (one sandbox slot and uid each)")
    ] = 1,
    config: ConfigOption = None,
) -> None:
    """Train the reference and the known mistakes; write calibration/<device>/<exercise>.*"""
    import sys
    import time

    from autograder.exercises import training_specs
    from autograder.training.calibrate import calibrate as run_calibration
    from autograder.training.device import device_class
    from autograder.training.settings import training_config

    course = Course.discover(config)
    specs = training_specs(course)
    for name in exercise or []:
        if name not in specs:
            raise GraderError(f"no training check {name!r}; grader.yaml has: {', '.join(specs)}")
    target = device or device_class(course)
    if target not in ("cpu", "cuda"):
        raise GraderError(f"--device must be cpu or cuda, not {target!r}")
    if seeds < 3 or mistake_seeds < 1:
        raise GraderError("--seeds needs at least 3 runs and --mistake-seeds at least 1")
    if workers < 1 or (workers > 1 and not through_sandbox):
        raise GraderError("--workers needs at least 1, and more than 1 only through the sandbox")
    if target == "cpu" and seeds < 20:
        err_console.print("[yellow]warning:[/] fewer than 20 seeds widen the tolerance bound")
    command = "rnn-grader calibrate " + " ".join(sys.argv[2:])
    names = exercise or [
        name for name, spec in specs.items() if target in training_config(course, spec).budgets
    ]
    failed = []
    for name in names:  # a check that fails to calibrate does not cost the others theirs
        started = time.monotonic()
        try:
            record = run_calibration(
                course,
                specs[name],
                target,
                seeds,
                mistake_seeds,
                command,
                say=console.print,
                through="sandbox" if through_sandbox else "in-process",
                workers=workers,
            )
        except GraderError as error:
            shown = str(error) if str(error).startswith(f"{name}:") else f"{name}: {error}"
            err_console.print(f"[red]error:[/] {shown}", highlight=False)
            failed.append(name)
            continue
        ref = record["reference"]
        console.print(
            f"[green]{name}[/] on {target}: threshold {record['threshold']:.4g} "
            f"(reference {ref['mean']:.4g} ± {ref['sd']:.2g}, false-fail estimate "
            f"{record['false_fail_estimate']:.2g}, through {record['through']}, "
            f"{time.monotonic() - started:.0f} s); calibration/{target}/{name}.json"
        )
    if failed:
        raise GraderError(f"not calibrated: {', '.join(failed)} (the reasons are above)")
