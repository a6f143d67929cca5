"""The Typer application, its consoles and the options every command shares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from autograder.config import Course
from autograder.errors import GraderError

HELP = "The `rnn-grader` command line: one entry point for instructors, TAs and CI."
app = typer.Typer(no_args_is_help=True, add_completion=False, help=HELP)
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
AllowIncompleteOption = Annotated[
    bool, typer.Option(help="put partial totals (not graded, missing, stale) in canvas.csv")
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


def selected(course: Course, names: list[str] | None) -> list[str]:
    for name in names or []:
        course.config.assignment(name)
    return names or list(course.config.assignments)
