"""What the engine tells about a submission beyond its points: the exercise's one-line message
(kept as a template until someone reads it) and the errors of the student's cells."""

from __future__ import annotations

import ast

from autograder.engine.result import CellProblem, CheckResult, Message
from autograder.i18n import Text, t
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


def cell_problems(outcome: ChildOutcome, cells: list[Cell]) -> list[CellProblem]:
    """The errors the student's cells raised, in notebook order (the student's own words from
    Python, cut to 500 characters)."""
    sources = {cell.index: cell.source for cell in cells}
    return [
        CellProblem(
            cell=report.index,
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
