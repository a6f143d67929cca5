"""Show graded submissions to a person in a terminal: tables that fit its width, one line per
exercise, scores with at most two decimals, exercises in grader.yaml's (the notebook's) order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.config import Course
from autograder.engine.result import ExerciseResult, SubmissionResult

STATUS_STYLE = {
    "passed": "green",
    "partial": "yellow",
    "failed": "red",
    "error": "bold red",
    "not_graded": "bold magenta",
}
#: a path's folders (absolute, POSIX or Windows), up to the file name they lead to
_FOLDERS = re.compile(r"(?<![\w.:/])(?:[A-Za-z]:)?(?:[/\\][^\s/\\'\"():,;]+)+[/\\](?=[^\s/\\])")


def without_folders(text: str) -> str:
    """`text` with each absolute path cut to its file name: /home/ta/run/1090.ipynb ->
    1090.ipynb (the reader knows the run; the folders only push the reason out of sight)."""
    return _FOLDERS.sub("", text)


#: submission statuses of the class table whose reason is printed under it
FAILED = {"error", "grader_error"}


def print_result(
    result: SubmissionResult,
    console: Console,
    order: Iterable[str] = (),
    *,
    verbose: bool = False,
) -> None:
    """One line per exercise (points/max, status, the message's first line cut to fit); with
    `verbose` the full messages, each check, and the training runs."""
    exercises = in_order(result.exercises, order)
    table = Table(
        title=escape(f"{result.assignment}: {result.submission}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("exercise", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("message", overflow="fold")  # the column that gives way
    for exercise in exercises:
        message = (
            Text(exercise.message)
            if verbose
            else Text(first_line(exercise.message), no_wrap=True, overflow="ellipsis")
        )
        table.add_row(
            escape(exercise.id),
            f"{_number(exercise.points)}/{exercise.max_points:g}",
            f"[{STATUS_STYLE[exercise.status]}]{exercise.status}[/]",
            message,
        )
    total = f"[bold]{_number(result.points)}[/]/{result.max_points:g}"
    table.add_row("[bold]total[/]", total, "", "")
    console.print(table)
    if verbose:
        for exercise in exercises:
            _print_details(exercise, console)
    if result.status == "error":
        console.print(f"[bold red]submission error:[/] {escape(result.message)}")
    for problem in (p for p in result.cell_problems if p.in_feedback):
        where = f"cell {problem.cell}" + (f", line {problem.line}" if problem.line else "")
        said = f"{problem.kind}: {problem.message}"
        if not verbose:
            said = cut(said, console.width - cell_len(where) - 2)
        console.print(f"[yellow]{where}:[/] {escape(said)}", highlight=False)
    if result.status == "grader_error":
        console.print(
            f"[bold red]grader error (not the student's):[/] {escape(result.grader_problem)}"
        )
    for exercise in (e for e in exercises if e.grader_problem):
        console.print(f"[magenta]{exercise.id} not graded:[/] {escape(exercise.grader_problem)}")
    if not result.confined:
        console.print("[bold yellow]warning:[/] student code ran without the sandbox")
    else:
        console.print(f"[dim]confinement: {result.confinement}[/]", highlight=False)
    if not verbose and any(e.message.strip() != first_line(e.message) for e in exercises):
        console.print("[dim]messages cut to their first line; --verbose shows them whole[/]")


def _print_details(exercise: ExerciseResult, console: Console) -> None:
    """The checks behind one exercise's score, and its training run."""
    if not exercise.checks and exercise.training is None:
        return
    console.print(f"[bold]{escape(exercise.id)}[/] ({escape(exercise.title)})", highlight=False)
    for check in exercise.checks:
        mark = "[green]ok[/]" if check.passed else "[red]failed[/]"
        hidden = " (hidden)" if check.hidden else ""
        line = (
            f"  {mark} {escape(check.name)}{hidden}: {escape(check.message or check.description)}"
        )
        console.print(line, highlight=False)
        if not check.passed and (check.expected or check.actual):
            console.print(
                f"    expected {escape(str(check.expected))}, got {escape(str(check.actual))}",
                highlight=False,
            )
    if exercise.training is not None:
        console.print(f"  training: {escape(exercise.training.summary())}", highlight=False)


def print_gradebook(rows: list, course: Course, assignment: str, console: Console) -> None:
    """The batch summary: one line per student with each exercise's points.

    Exercises get short labels (E1, E2, ...) with a key under the table, so that the table fits
    the terminal. Total and status are never cut; exercises that do not fit beside them go on
    in a second table. Each failed submission's reason follows on one line.
    """
    spec = course.config.assignment(assignment)
    exercises = list(spec.exercises)
    labels = {exercise: f"E{number}" for number, exercise in enumerate(exercises, 1)}
    cells = [
        {e: _number(row.exercises[e].points) if e in row.exercises else "-" for e in exercises}
        for row in rows
    ]
    totals = [f"{_number(row.total)}/{spec.max_points:g}" for row in rows]
    statuses = [row.submission.status for row in rows]
    students = [row.submission.student for row in rows]
    student_width = min(_widest(students, "student"), 20)  # longer names fold
    beside = student_width + _widest(totals, "total") + _widest(statuses, "status") + 2
    widths = [_widest([c[e] for c in cells], labels[e]) for e in exercises]
    title = escape(f"{assignment}: {len(rows)} students")
    for number, part in enumerate(_parts(widths, console.width - beside, console.width)):
        table = Table(
            title=title if number == 0 else None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 0),
            show_edge=False,
        )
        table.add_column("student", overflow="fold", max_width=student_width)
        for index in part:
            table.add_column(labels[exercises[index]], justify="right", no_wrap=True)
        if number == 0:
            table.add_column("total", justify="right", no_wrap=True)
            table.add_column("status", no_wrap=True)
        for student, row_cells, total, status in zip(
            students, cells, totals, statuses, strict=True
        ):
            shown = [row_cells[exercises[index]] for index in part]
            if number == 0:
                style = {"graded": "green", "incomplete": "yellow"}.get(status, "red")
                shown += [total, f"[{style}]{escape(status)}[/]"]
            table.add_row(escape(student), *shown)
        console.print(table)
    key = ", ".join(f"{labels[e]}={e}" for e in exercises)
    console.print(f"[dim]key:[/] {escape(key)}", highlight=False)
    for row in (r for r in rows if r.submission.status in FAILED):
        lead = f"{row.submission.student}: {row.submission.status}: "
        message = without_folders(row.submission.message or "no reason recorded")
        reason = cut(message, console.width - cell_len(lead))
        console.print(f"[red]{escape(lead)}[/]{escape(reason)}", highlight=False)


def _parts(widths: list[int], first: int, then: int) -> list[list[int]]:
    """Exercise columns (their indexes) in tables that fit: `first` characters beside the
    student, total and status columns, `then` in each further table (beside the student)."""
    parts: list[list[int]] = [[]]
    room = first
    for index, width in enumerate(widths):
        if width + 1 > room and parts[-1]:
            parts.append([])
            room = then - 21  # the student column, at its widest, and its divider
        parts[-1].append(index)
        room -= width + 1
    return parts


def in_order(exercises: list[ExerciseResult], order: Iterable[str]) -> list[ExerciseResult]:
    """`exercises` in grader.yaml's order; those it does not list keep theirs, at the end."""
    rank = {exercise: place for place, exercise in enumerate(order)}
    return sorted(exercises, key=lambda e: rank.get(e.id, len(rank)))


def first_line(text: str) -> str:
    """The first non-blank line of a message: what a one-line verdict shows of it."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def cut(text: str, width: int) -> str:
    """`text` on one line (whitespace collapsed) of at most `width` terminal cells (a Hangul
    syllable takes two), else cut with an ellipsis."""
    line = Text(" ".join(text.split()))
    line.truncate(max(width, 1), overflow="ellipsis")
    return line.plain


def _widest(values: list[str], header: str) -> int:
    return max([len(header), *(len(value) for value in values)])


def _number(value: float) -> str:
    """Points with at most two decimals: 2.857142 -> 2.86, 4.0 -> 4."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
