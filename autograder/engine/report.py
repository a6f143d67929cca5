"""Show graded submissions to a person in a terminal: tables that fit its width, one line per
exercise, scores with at most two decimals, exercises in grader.yaml's (the notebook's) order,
every word in the reader's language (`lang`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from autograder.config import Course
from autograder.engine.checks import grader_words
from autograder.engine.messages import mistake_line
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.i18n import N_, render, t
from autograder.i18n import Text as Message

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
OK, TOTAL, KEY = N_("ok"), N_("total"), N_("key:")
#: the words of an exercise's and a submission's status, as the tables show them
STATUS = {
    "passed": N_("passed"),
    "partial": N_("partial"),
    "failed": N_("failed"),
    "error": N_("error"),
    "not_graded": N_("not graded"),
    "graded": N_("graded"),
    "incomplete": N_("incomplete"),
    "grader_error": N_("grader_error"),  # as gradebook.csv writes it
    "pending": N_("pending"),
}


def print_result(
    result: SubmissionResult,
    console: Console,
    order: Iterable[str] = (),
    *,
    verbose: bool = False,
    lang: str,
) -> None:
    """One line per exercise (points/max, status, the message's first line cut to fit); with
    `verbose` the full messages, each check, and the training runs. Everything in `lang`."""

    def say(message: str, **params: str | int) -> str:
        return render(t(message, **params) if params else message, lang)

    exercises = in_order(result.exercises, order)
    table = Table(
        title=escape(f"{result.assignment}: {result.submission}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column(say(N_("exercise")), no_wrap=True)
    table.add_column(say(N_("points")), justify="right", no_wrap=True)
    table.add_column(say(N_("status")), no_wrap=True)
    table.add_column(say(N_("message")), overflow="fold")  # the column that gives way
    messages = {e.id: render(e.message, lang) for e in exercises}
    for exercise in exercises:
        said = messages[exercise.id]
        message = (
            Text(said) if verbose else Text(first_line(said), no_wrap=True, overflow="ellipsis")
        )
        status = say(STATUS.get(exercise.status, exercise.status))
        table.add_row(
            escape(exercise.id),
            f"{_number(exercise.points)}/{_number(exercise.max_points)}",
            f"[{STATUS_STYLE[exercise.status]}]{escape(status)}[/]",
            message,
        )
    total = f"[bold]{_number(result.points)}[/]/{_number(result.max_points)}"
    table.add_row(f"[bold]{say(TOTAL)}[/]", total, "", "")
    console.print(table)
    if verbose:
        for exercise in exercises:
            _print_details(exercise, console, lang)
    if result.status == "error":
        lead = say(N_("submission error:"))
        console.print(f"[bold red]{lead}[/] {escape(render(result.message, lang))}")
    for problem in (p for p in result.cell_problems if p.in_feedback):
        place = problem.place or t("cell {number}", number=str(problem.cell))
        where = t("{place}, line {line}", place=place, line=problem.line) if problem.line else place
        where_said = render(where, lang)
        said = f"{problem.kind}: {render(grader_words(problem.kind, problem.message), lang)}"
        if not verbose:
            said = cut(said, console.width - cell_len(where_said) - 2)
        console.print(f"[yellow]{escape(where_said)}:[/] {escape(said)}", highlight=False)
    if result.status == "grader_error":
        lead = say(N_("grader error (not the student's):"))
        console.print(f"[bold red]{lead}[/] {escape(result.grader_problem)}")
    for exercise in (e for e in exercises if e.grader_problem):
        lead = say(N_("{exercise} not graded:"), exercise=exercise.id)
        console.print(f"[magenta]{escape(lead)}[/] {escape(exercise.grader_problem)}")
    if not result.confined:
        warning = say(N_("warning: student code ran without the sandbox"))
        console.print(f"[bold yellow]{escape(warning)}[/]")
    else:
        said = say(N_("confinement: {tier}"), tier=result.confinement)
        console.print(f"[dim]{escape(said)}[/]", highlight=False)
    if not verbose and any(m.strip() != first_line(m) for m in messages.values()):
        cut_note = say(N_("messages cut to their first line; --verbose shows them whole"))
        console.print(f"[dim]{escape(cut_note)}[/]")


def _print_details(exercise: ExerciseResult, console: Console, lang: str) -> None:
    """The checks behind one exercise's score, the known mistake it matches, its training run."""
    if not exercise.checks and exercise.training is None:
        return
    console.print(f"[bold]{escape(exercise.id)}[/] ({escape(exercise.title)})", highlight=False)
    if exercise.mistake is not None:
        console.print(f"  [yellow]{escape(mistake_line(exercise.mistake, lang))}[/]")
    for check in exercise.checks:
        mark = (
            f"[green]{escape(render(OK, lang))}[/]"
            if check.passed
            else f"[red]{escape(render(STATUS['failed'], lang))}[/]"
        )
        hidden = render(N_(" (hidden)"), lang) if check.hidden else ""
        said = render(check.message or check.description, lang)
        console.print(
            f"  {mark} {escape(check.name)}{escape(hidden)}: {escape(said)}", highlight=False
        )
        if not check.passed and (check.expected or check.actual):
            shown = t(
                "expected {expected}, got {actual}",
                expected=check.expected or "-",
                actual=check.actual or "-",
            )
            console.print(f"    {escape(render(shown, lang))}", highlight=False)
    if exercise.training is not None:
        said = t("training: {summary}", summary=exercise.training.summary())
        console.print(f"  {escape(render(said, lang))}", highlight=False)


def print_gradebook(
    rows: list, course: Course, assignment: str, console: Console, *, lang: str
) -> None:
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
    title = escape(
        render(t("{assignment}: {n} students", assignment=assignment, n=len(rows)), lang)
    )
    heads = {name: render(name, lang) for name in (N_("student"), N_("total"), N_("status"))}
    for number, part in enumerate(_parts(widths, console.width - beside, console.width)):
        table = Table(
            title=title if number == 0 else None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            padding=(0, 0),
            show_edge=False,
        )
        table.add_column(heads["student"], overflow="fold", max_width=student_width)
        for index in part:
            table.add_column(labels[exercises[index]], justify="right", no_wrap=True)
        if number == 0:
            table.add_column(heads["total"], justify="right", no_wrap=True)
            table.add_column(heads["status"], no_wrap=True)
        for student, row_cells, total, status in zip(
            students, cells, totals, statuses, strict=True
        ):
            shown = [row_cells[exercises[index]] for index in part]
            if number == 0:
                style = {"graded": "green", "incomplete": "yellow"}.get(status, "red")
                said = render(STATUS.get(status, status), lang)
                shown += [total, f"[{style}]{escape(said)}[/]"]
            table.add_row(escape(student), *shown)
        console.print(table)
    key = ", ".join(f"{labels[e]}={e}" for e in exercises)
    console.print(f"[dim]{escape(render(KEY, lang))}[/] {escape(key)}", highlight=False)
    for row in (r for r in rows if r.submission.status in FAILED):
        status = render(STATUS.get(row.submission.status, row.submission.status), lang)
        lead = f"{row.submission.student}: {status}: "
        recorded = row.result.message if row.result and row.result.message else None
        reason = recorded or row.submission.message or _not_graded(row) or N_("no reason recorded")
        message = without_folders(render(reason, lang))
        reason = cut(message, console.width - cell_len(lead))
        console.print(f"[red]{escape(lead)}[/]{escape(reason)}", highlight=False)


def _not_graded(row: Any) -> Message | None:
    """Why a submission is the grader's error when only some exercises could not be graded
    (the course data missing on this machine, say): those exercises and the grader's reason."""
    missing = [e for e in row.exercises.values() if e.status == "not_graded"]
    if not missing:
        return None
    problem = missing[0].grader_problem or missing[0].message
    names = ", ".join(e.id for e in missing)
    return t("not graded: {exercises} ({problem})", exercises=names, problem=problem)


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
