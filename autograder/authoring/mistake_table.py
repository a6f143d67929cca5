"""The points each known mistake earns, as a markdown table for docs/grading.md.

Every assignment's unit exercises are graded in the mistake rounds the tests use (each known
mistake applied to the master notebook, no two related exercises in one round), and each
mistake's exercise reports its points. The table sits in docs/grading.md between markers, so
that it can be regenerated when mistakes or the scoring change:

    python -m autograder.authoring.mistake_table --write docs/grading.md
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.config import Course
from autograder.engine.exercise import Exercise, Mistake
from autograder.engine.grade import DEFAULT_SEED
from autograder.engine.result import ExerciseResult
from autograder.errors import GraderError
from autograder.exercises import exercises_for
from autograder.grading import Explain, grade_notebook
from autograder.sandbox.spawn import Zygote

START = "<!-- mistake-table start: python -m autograder.authoring.mistake_table -->"
END = "<!-- mistake-table end -->"


@dataclass(frozen=True)
class Row:
    assignment: str
    exercise: str
    mistake: str
    points: float
    max_points: float


def unit_exercises(course: Course, assignment: str) -> list[Exercise]:
    """The assignment's unit exercises (those without a training check), in course order."""
    spec = course.config.assignment(assignment)
    units = [e for e, config in spec.exercises.items() if config.training is None]
    return exercises_for(assignment, units)


def graded_mistakes(
    course: Course,
    assignment: str,
    zygote: Zygote | None = None,
    seed: int = DEFAULT_SEED,
    explain: Explain | None = None,
) -> Iterator[tuple[Mistake, ExerciseResult]]:
    """Each known mistake of the unit exercises with its exercise's result, graded in rounds
    (the release check reads the checks that failed and the mistake the feedback named;
    `explain`, where given, names the mistakes instead of the cached signatures)."""
    with tempfile.TemporaryDirectory() as folder:
        for number, round_ in enumerate(mistake_rounds(unit_exercises(course, assignment))):
            path = Path(folder) / f"round{number}.ipynb"
            nbformat.write(with_mistakes(course, assignment, round_), path)
            result = grade_notebook(
                course,
                assignment,
                path,
                only=list(round_),
                training=False,
                zygote=zygote,
                seed=seed,
                explain=explain,
            )
            if result.status != "graded":
                raise GraderError(f"{assignment} round {number}: {result.message}")
            for graded in result.exercises:
                yield round_[graded.id], graded


def mistake_rows(course: Course, assignment: str, zygote: Zygote | None = None) -> list[Row]:
    """One row per known mistake of the assignment's unit exercises, in course order."""
    exercises = unit_exercises(course, assignment)
    earned = {
        (graded.id, mistake.name): (graded.points, graded.max_points)
        for mistake, graded in graded_mistakes(course, assignment, zygote)
    }
    return [
        Row(assignment, exercise.id, mistake.name, *earned[exercise.id, mistake.name])
        for exercise in exercises
        for mistake in exercise.mistakes
    ]


def markdown(rows: list[Row]) -> str:
    lines = [
        "| assignment | exercise | mistake | points |",
        "|---|---|---|---|",
        *(
            f"| {r.assignment} | {r.exercise} | {r.mistake} | {_number(r.points)} / "
            f"{_number(r.max_points)} |"
            for r in rows
        ),
    ]
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def replace_table(text: str, table: str) -> str:
    """`text` with what lies between the markers replaced by `table`."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise GraderError(f"the document needs one {START!r} line and, after it, one {END!r}")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n\n{table}\n\n{END}{tail}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="grader.yaml (default: found from here)")
    parser.add_argument("--assignment", action="append", help="only these (repeatable)")
    parser.add_argument("--write", type=Path, help="replace the table between the markers here")
    args = parser.parse_args(argv)
    course = Course.discover(args.config)
    with Zygote() as zygote:
        rows = [
            row
            for assignment in args.assignment or list(course.config.assignments)
            for row in mistake_rows(course, assignment, zygote)
        ]
    table = markdown(rows)
    if args.write is None:
        print(table)
        return
    text = args.write.read_text(encoding="utf-8")
    args.write.write_text(replace_table(text, table), encoding="utf-8")
    print(f"{len(rows)} mistakes written to {args.write}")


if __name__ == "__main__":
    main()
