"""Commands that apply a course's policies to a graded run: adjust."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autograder.cli.app import ConfigOption, app, console, reports_errors
from autograder.config import Course
from autograder.errors import GraderError


@app.command()
@reports_errors
def adjust(
    run: Annotated[Path, typer.Argument(help="a run folder written by `grade --out`")],
    student: Annotated[str, typer.Argument(help="the student's id, as in gradebook.csv")],
    exercise: Annotated[str, typer.Argument(help="the exercise, as in grader.yaml")],
    points: Annotated[
        float | None, typer.Option(help="the exercise's points for this student")
    ] = None,
    reason: Annotated[str, typer.Option(help="why; the student reads it in the feedback")] = "",
    withdraw: Annotated[
        bool, typer.Option(help="withdraw the standing adjustment (the automatic score counts)")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Set one exercise's points for one student by hand, with the reason, and export again.

    The automatic score is kept beside it; a regrade keeps the adjustment and flags it when the
    automatic score under it changes. Who adjusted is the login name (RNN_GRADER_TA overrides).
    """
    from autograder.batch import adjustments
    from autograder.batch.commands import export_run
    from autograder.batch.report import open_run

    if (points is None) == (not withdraw):
        raise GraderError("give either --points P or --withdraw")
    course = Course.discover(config)
    store, assignment = open_run(run)
    try:
        spec = course.config.assignment(assignment)
        if exercise not in spec.exercises:
            raise GraderError(
                f"{assignment} has no exercise {exercise!r}; grader.yaml lists: "
                + ", ".join(spec.exercises)
            )
        maximum = spec.exercises[exercise].points
        if points is not None and not 0 <= points <= maximum:
            raise GraderError(f"{exercise} is worth 0 to {maximum:g} points, not {points:g}")
        automatic = adjustments.automatic_points(store, student, exercise)
        adjustments.record(
            store, student, exercise, points, reason, automatic, adjustments.who_adjusts()
        )
    finally:
        store.close()
    said = "withdrawn" if withdraw else f"{points:g} / {maximum:g}"
    console.print(f"{student} {exercise}: {said} ({reason.strip()})", highlight=False)
    export_run(course, run, console, allow_incomplete=False)
