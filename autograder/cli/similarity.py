"""`rnn-grader similarity RUN`: answers that share code across a graded class, for the staff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autograder.cli.app import ConfigOption, app, console, reports_errors
from autograder.config import Course
from autograder.i18n import LANGUAGES


@app.command()
@reports_errors
def similarity(
    run: Annotated[Path, typer.Argument(help="a run folder written by `grade --out`")],
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="share of one answer's own code found in the other's (default 0.7, measured)",
        ),
    ] = None,
    exercise: Annotated[
        list[str] | None, typer.Option("--exercise", "-e", help="only this exercise (repeatable)")
    ] = None,
    lang: Annotated[str, typer.Option(help=f"language of the page: {', '.join(LANGUAGES)}")] = "en",
    config: ConfigOption = None,
) -> None:
    """List the pairs of students whose answers to an exercise share their own code (template
    and reference solution left out), and write RUN/similarity.html with both answers side by
    side. Reads the run; never changes a score."""
    from autograder.batch.similarity import DEFAULT_THRESHOLD, similar_pairs, write_page

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"use one of {', '.join(LANGUAGES)}", param_hint="--lang")
    course = Course.discover(config)
    found = similar_pairs(
        course, run, DEFAULT_THRESHOLD if threshold is None else threshold, exercise
    )
    table = Table(title=f"{found.assignment}: similar answers (threshold {found.threshold:.0%})")
    for column in ("exercise", "student", "student", "share", "share", "tokens"):
        table.add_column(column, justify="right" if column in {"share", "tokens"} else "left")
    for pair in found.pairs:
        table.add_row(
            pair.exercise,
            pair.a.students,
            pair.b.students,
            f"{pair.a.share:.0%}",
            f"{pair.b.share:.0%}",
            str(pair.tokens),
        )
    console.print(table)
    if not found.pairs:
        console.print("No pair of answers reaches the threshold.")
    given = sum(len(e.as_given) for e in found.exercises)
    console.print(
        f"Compared {sum(e.compared for e in found.exercises)} answers over "
        f"{len(found.exercises)} exercises. Template lines and code also in the reference "
        f"solution are left out ({given} answers had nothing else): the reference's code is no "
        "evidence of copying between two students. Scores are unchanged."
    )
    if found.unreadable:
        console.print(f"Not compared (unreadable notebook): {', '.join(found.unreadable)}")
    console.print(f"Side by side: {write_page(found, run, lang)}")
