"""Show a graded submission to a person: a per-exercise table and the problems worth reading."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.engine.result import SubmissionResult

STATUS_STYLE = {"passed": "green", "partial": "yellow", "failed": "red", "error": "bold red"}


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
    for problem in result.cell_problems:
        where = f"cell {problem.cell}" + (f", line {problem.line}" if problem.line else "")
        console.print(
            f"[yellow]{where}:[/] {escape(problem.kind)}: {escape(problem.message)}",
            highlight=False,
        )
    if not result.confined:
        console.print("[bold yellow]warning:[/] student code ran without the sandbox")
