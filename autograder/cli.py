"""The `rnn-grader` command line: one entry point for instructors, TAs and CI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from autograder import datasets
from autograder.authoring import build as build_step
from autograder.authoring import sync as sync_step
from autograder.config import Course
from autograder.engine.grade import grade_notebook
from autograder.engine.intake import read_notebook
from autograder.engine.report import print_result
from autograder.errors import GraderError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
data_app = typer.Typer(no_args_is_help=True, help="Prepare and verify the course data directory.")
app.add_typer(data_app, name="data")
console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="grader.yaml to use (default: nearest one above the current folder)"
    ),
]
AssignmentOption = Annotated[
    list[str] | None, typer.Option("--assignment", "-a", help="only this assignment (repeatable)")
]
F = TypeVar("F", bound=Callable[..., object])


def reports_errors(command: F) -> F:
    """Turn GraderError into a one-paragraph message and exit status 2, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return command(*args, **kwargs)
        except GraderError as error:
            err_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _selected(course: Course, names: list[str] | None) -> list[str]:
    for name in names or []:
        course.config.assignment(name)
    return names or list(course.config.assignments)


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
    for name in _selected(course, assignment):
        report = sync_step.sync_notebook(course, name, check=check)
        state = (
            "out of date"
            if check and report.changed
            else "updated"
            if report.changed
            else "in sync"
        )
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
) -> None:
    """Run otter assign on every master notebook; write student_template/ and dist/."""
    course = Course.discover(config)
    dist_root = dist if dist.is_absolute() else course.root / dist
    for name in _selected(course, assignment):
        built = build_step.build(course, name, dist_root)
        console.print(f"{name}: student template -> {built.template_dir.relative_to(course.root)}")


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
def grade(
    notebook: Annotated[Path, typer.Argument(help="the submitted .ipynb")],
    assignment: Annotated[
        str | None, typer.Option("--assignment", "-a", help="default: read from the notebook")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the full result here")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Grade one notebook: a per-exercise table, and the full result as JSON with --json.

    The exit status is 0 whatever the score; it is non-zero only when the grader cannot run.
    """
    course = Course.discover(config)
    if not notebook.is_file():
        raise GraderError(f"{notebook}: no such file")
    name = assignment or _assignment_of(notebook, course)
    result = grade_notebook(course, name, notebook)
    print_result(result, console)
    if json_out is not None:
        json_out.write_text(result.model_dump_json(indent=2), encoding="utf-8")


def _assignment_of(notebook: Path, course: Course) -> str:
    """The assignment a notebook belongs to: otter's metadata, else its file name."""
    try:
        named = read_notebook(notebook).get("metadata", {}).get("otter", {}).get("assignment_name")
    except GraderError:
        named = None
    for candidate in (named, notebook.stem):
        if candidate in course.config.assignments:
            return candidate
    raise GraderError(f"cannot tell which assignment {notebook.name} is for; pass --assignment")
