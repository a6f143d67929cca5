"""Commands that show a graded run to the staff: report (the class, as HTML) and show (one
student, in the terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.batch.report_students import StudentSection
from autograder.cli.app import ConfigOption, app, console, reports_errors
from autograder.config import Course
from autograder.engine.report import STATUS_STYLE
from autograder.errors import GraderError
from autograder.i18n import LANGUAGES
from autograder.pages import number

if TYPE_CHECKING:
    from autograder.batch.report import Report

RunArgument = Annotated[Path, typer.Argument(help="a run folder written by `grade --out`")]
LangOption = Annotated[str, typer.Option("--lang", help="language of the report: en or ko")]


@app.command()
@reports_errors
def report(run: RunArgument, lang: LangOption = "en", config: ConfigOption = None) -> None:
    """Write RUN/report.html: the class's scores, pass rates, named mistakes, training checks
    against their calibration, each submission's time and confinement, and a part per student."""
    from autograder.batch.report import open_run
    from autograder.batch.report_page import write_class_report

    _require_language(lang)
    course = Course.discover(config)
    store, assignment = open_run(run)
    try:
        path = write_class_report(course, store, assignment, run, lang)
    finally:
        store.close()
    console.print(f"report for TAs and instructors: {escape(str(path))}", highlight=False)


@app.command()
@reports_errors
def show(
    run: RunArgument,
    student: Annotated[str, typer.Argument(help="the student's id, as in gradebook.csv")],
    lang: LangOption = "en",
    config: ConfigOption = None,
) -> None:
    """Print one student's part of the class report: their files, scores, mistakes and runs."""
    print_student(_gathered(run, lang, config).student(student), console)


def _gathered(run: Path, lang: str, config: Path | None) -> Report:
    """The run's report data in `lang`; the store is closed again before anything is shown."""
    from autograder.batch.report import gather, open_run

    _require_language(lang)
    course = Course.discover(config)
    store, assignment = open_run(run)
    try:
        return gather(store, course, assignment, lang)
    finally:
        store.close()


def _require_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise GraderError(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")


def print_student(section: StudentSection, console: Console) -> None:
    """The student's part as the report has it: total and status, why it is not final or
    could not be graded, each file, then a line per exercise."""
    style = {"graded": "green", "incomplete": "yellow"}.get(section.status, "red")
    total = "no score" if section.total is None else number(section.total)
    total += f"/{number(section.max_points)}"
    console.print(
        f"[bold]{escape(section.student)}[/]: {total}, [{style}]{escape(section.status)}[/]",
        highlight=False,
    )
    if section.reason:
        console.print(f"[red]reason:[/] {escape(section.reason)}", highlight=False)
    for note in section.policy_notes:
        console.print(f"[yellow]policy:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if section.not_final:
        console.print(f"[yellow]not final:[/] {escape(section.not_final)}", highlight=False)
    for line in section.files:
        said = f"  {line.file}: {line.status}" + (
            f" (late{': ' + line.late_rule if line.late_rule else ''})" if line.late else ""
        )
        if line.seconds is not None:
            said += f", {line.seconds:.1f} s, {line.confinement} on {line.device}"
        if line.reason and line.reason != section.reason:
            said += f": {line.reason}"
        console.print(escape(said), highlight=False, soft_wrap=True)
    if not section.exercises:
        return
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("exercise", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("named mistake, failed checks", overflow="fold")
    for exercise in section.exercises:
        said = [f"mistake: {exercise.mistake}"] if exercise.mistake else []
        if exercise.failed_checks:
            said.append("failed: " + ", ".join(exercise.failed_checks))
        said += [exercise.training, exercise.grader_problem]
        colour = STATUS_STYLE.get(exercise.status, "white")
        table.add_row(
            escape(exercise.id),
            f"{number(exercise.points)}/{number(exercise.max_points)}",
            f"[{colour}]{escape(exercise.status)}[/]",
            escape("\n".join(part for part in said if part)),
        )
    console.print(table)
