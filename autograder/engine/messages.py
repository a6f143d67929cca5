"""What the engine tells about a submission beyond its points: the exercise's one-line message
(kept as a template until someone reads it) and the errors of the student's cells."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

import nbformat

from autograder.engine.checks import grader_words
from autograder.engine.result import CellProblem, CheckResult, Message, NamedMistake
from autograder.i18n import Text, join, render, t
from autograder.sandbox.exchange import Cell, ChildOutcome


def failure_summary(check: CheckResult) -> Text:
    """An exercise's one-line message from the check that cost points first:
    'description: message (expected X, got Y)'."""
    said = t("{description}: {message}", description=check.description, message=check.message)
    if check.expected is not None and check.actual is not None:
        return t(
            "{said} (expected {expected}, got {actual})",
            said=said,
            expected=check.expected,
            actual=check.actual,
        )
    if check.expected is not None:
        return t("{said} (expected {expected})", said=said, expected=check.expected)
    if check.actual is not None:
        return t("{said} (got {actual})", said=said, actual=check.actual)
    return said


def error_message(error: Exception) -> Message:
    """What an error says, kept as its template when it was raised with one (`GraderError(t(...))`),
    so that it is rendered in the reader's language."""
    said = error.args[0] if len(error.args) == 1 else None
    return said if isinstance(said, Text) else str(error)


_CHECK = re.compile(r"""grader\.check\(\s*["'](\w+)["']\s*\)""")


def cell_places(notebook: nbformat.NotebookNode) -> dict[int, Text]:
    """Each code cell (by notebook index) named the way the student finds it: by its exercise
    where it has one and by its first line of code, not by a number they never see.

    A cell belongs to the exercise whose `grader.check` follows it within its section (a
    markdown heading starts a section), as the notebook's layout puts the answer right before
    its check; the demo cells after a check belong to none.
    """
    places: dict[int, Text] = {}
    pending: list[int] = []
    for index, cell in enumerate(notebook.get("cells", [])):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown" and source.lstrip().startswith("#"):
            pending = []
        if cell.get("cell_type") != "code":
            continue
        checked = _CHECK.search(source)
        if checked:
            for owned in pending:
                places[owned] = t(
                    "exercise {exercise}, {cell}", exercise=checked[1], cell=places[owned]
                )
            pending = []
            continue
        first = first_code_line(source)
        if first:
            places[index] = t("the cell starting `{first}`", first=first)
            pending.append(index)
    return places


def first_code_line(source: str, width: int = 60) -> str:
    """The first line of a cell that is code, not a comment, shortened to `width`."""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%")):
            return stripped if len(stripped) <= width else stripped[: width - 3].rstrip() + "..."
    return ""


def plain_places(cells: list[Cell]) -> dict[int, Text]:
    """Cells named by their first line alone, where the notebook's layout is not at hand."""
    return {
        cell.index: t("the cell starting `{first}`", first=first)
        for cell in cells
        if (first := first_code_line(cell.source))
    }


def cell_problems(
    outcome: ChildOutcome, cells: list[Cell], places: Mapping[int, Text]
) -> list[CellProblem]:
    """The errors the student's cells raised, in notebook order (the student's own words from
    Python, cut to 500 characters), each cell named as the student finds it."""
    sources = {cell.index: cell.source for cell in cells}
    return [
        CellProblem(
            cell=report.index,
            place=places.get(report.index),
            kind=report.error.get("type", "Error"),
            message=str(report.error.get("message", ""))[:500],
            line=_line_of(report.error),
            in_feedback=_worth_reporting(report.error, sources.get(report.index, "")),
        )
        for report in sorted(outcome.cells.values(), key=lambda r: r.index)
        if report.error
    ]


def _worth_reporting(error: dict, source: str) -> bool:
    """Errors a student should read: syntax errors, crashes, and failures in cells that define
    functions or classes. Demo cells that need the data fail while grading by design (the
    sandbox has no data) and are left out of the feedback."""
    if error.get("type") in {"SyntaxError", "ProcessDied", "Timeout"}:
        return True
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)


def _line_of(error: dict) -> int | None:
    frames = error.get("frames") or []
    line = frames[-1].get("line") if frames else None
    return int(line) if isinstance(line, int) else None


def check_detail(check: CheckResult, lang: str) -> str:
    """What went wrong in one check: its message, then what was expected and what came."""
    if check.expected is not None and check.actual is not None:
        said = t(
            "{message} (expected {expected}, got {actual})",
            message=check.message,
            expected=check.expected,
            actual=check.actual,
        )
    elif check.expected is not None:
        said = t("{message} (expected {expected})", message=check.message, expected=check.expected)
    else:
        said = check.message
    return render(said, lang)


def mistake_line(mistake: NamedMistake | None, lang: str) -> str:
    """The known mistake an exercise's answers match, and where to look, in one sentence."""
    if mistake is None:
        return ""
    if mistake.also:  # twins: the grader cannot tell which, so it names each
        every = [mistake, *mistake.also]
        said = t(
            "This result matches one of these known mistakes: {names}. Where to look: {hints}",
            names=join([Text(template=m.name) for m in every], " / "),
            hints=join([Text(template=m.hint) for m in every if m.hint], " / "),
        )
        return render(said, lang)
    if mistake.hint:
        said = t(
            "This result matches a known mistake: {name}. Where to look: {hint}",
            name=Text(template=mistake.name),
            hint=Text(template=mistake.hint),
        )
    else:
        said = t("This result matches a known mistake: {name}.", name=Text(template=mistake.name))
    return render(said, lang)


def problem_line(problem: CellProblem, lang: str) -> str:
    """A cell's error, its cell named as the student finds it: 'exercise rnn_cell, the cell
    starting `class RNN(nn.Module):`, line 4: NameError: ...'."""
    place = problem.place or t("cell {number}", number=str(problem.cell))
    where = t("{place}, line {line}", place=place, line=problem.line) if problem.line else place
    message = grader_words(problem.kind, problem.message)
    said = t("{where}: {kind}: {message}", where=where, kind=problem.kind, message=message)
    return render(said, lang)
