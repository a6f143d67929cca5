"""Show a graded submission to a person: a per-exercise table and the problems worth reading."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.config import Course
from autograder.engine.result import SubmissionResult

STATUS_STYLE = {
    "passed": "green",
    "partial": "yellow",
    "failed": "red",
    "error": "bold red",
    "not_graded": "bold magenta",
}


def print_result(result: SubmissionResult, console: Console) -> None:
    table = Table(title=escape(f"{result.assignment}: {result.submission}"), title_justify="left")
    for column, justify in (
        ("exercise", "left"),
        ("points", "right"),
        ("max", "right"),
        ("status", "left"),
        ("message", "left"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for exercise in result.exercises:
        style = STATUS_STYLE[exercise.status]
        table.add_row(
            exercise.id,
            f"{exercise.points:g}",
            f"{exercise.max_points:g}",
            f"[{style}]{exercise.status}[/]",
            exercise.message,
        )
    table.add_row("[bold]total[/]", f"[bold]{result.points:g}[/]", f"{result.max_points:g}", "", "")
    console.print(table)
    if result.status == "error":
        console.print(f"[bold red]submission error:[/] {escape(result.message)}")
    for problem in (p for p in result.cell_problems if p.in_feedback):
        where = f"cell {problem.cell}" + (f", line {problem.line}" if problem.line else "")
        console.print(
            f"[yellow]{where}:[/] {escape(problem.kind)}: {escape(problem.message)}",
            highlight=False,
        )
    if result.status == "grader_error":
        console.print(
            f"[bold red]grader error (not the student's):[/] {escape(result.grader_problem)}"
        )
    for exercise in (e for e in result.exercises if e.grader_problem):
        console.print(f"[magenta]{exercise.id} not graded:[/] {escape(exercise.grader_problem)}")
    if not result.confined:
        console.print("[bold yellow]warning:[/] student code ran without the sandbox")
    else:
        console.print(f"[dim]confinement: {result.confinement}[/]", highlight=False)


def print_gradebook(rows: list, course: Course, assignment: str, console: Console) -> None:
    """The batch summary: one line per student with each exercise's points."""
    spec = course.config.assignment(assignment)
    table = Table(title=escape(f"{assignment}: {len(rows)} students"), title_justify="left")
    table.add_column("student", overflow="fold")
    for exercise in spec.exercises:
        table.add_column(exercise, justify="right", overflow="fold")
    table.add_column("total", justify="right")
    table.add_column("status")
    for row in rows:
        cells = [
            _number(row.exercises[e].points) if e in row.exercises else "-" for e in spec.exercises
        ]
        status = row.submission.status
        style = "green" if status == "graded" else "red"
        table.add_row(
            escape(row.submission.student),
            *cells,
            f"{_number(row.total)}/{spec.max_points:g}",
            f"[{style}]{escape(status)}[/]",
        )
    console.print(table)


def _number(value: float) -> str:
    """Points with at most two decimals: 2.857142 -> 2.86, 4.0 -> 4."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
