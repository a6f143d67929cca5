"""The batch side of `rnn-grader grade PATH --out RUN` and `rnn-grader export RUN`.

Both end the same way: the exports written from the store, and what the instructor must be told
about them (rescaled points, totals that are not final). The grade command also says what its
run graded again and why.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from autograder.batch import exports
from autograder.batch.recording import BatchInterrupted, BatchSummary
from autograder.batch.report import open_run
from autograder.batch.report_page import write_class_report
from autograder.batch.runner import DB_NAME, run_batch
from autograder.batch.store import Store
from autograder.config import Course
from autograder.engine.report import print_gradebook
from autograder.engine.timings import class_split, print_split
from autograder.errors import GraderError


def grade_batch(
    course: Course,
    assignment: str,
    path: Path,
    out: Path,
    console: Console,
    *,
    workers: int | None = None,
    regrade: bool = False,
    only: list[str] | None = None,
    training: bool = True,
    timings: bool = False,
    allow_incomplete: bool = False,
    lang: str | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    due: datetime | None = None,
) -> None:
    """Grade a class into `out` (see `run_batch`), write its exports, and report.

    Ctrl-C stops the workers and says what finished; exit status 130, as a shell expects.
    """
    if only and not regrade:
        raise GraderError(
            "--only needs --regrade: a run grades what is not graded yet, whole; "
            "--regrade --only EXERCISE grades that exercise again for every submission"
        )
    try:
        summary = run_batch(
            course,
            assignment,
            path,
            out,
            workers=workers,
            regrade=regrade,
            only=only,
            training=training,
            executor=executor,
            ray_address=ray_address,
        )
    except KeyboardInterrupt as stop:
        console.print(interrupted(stop, out), highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    store = Store(out / DB_NAME)
    try:
        keep_due(store, course, assignment, due)
        lang = lang or course.config.feedback.language
        written = exports.write_all(store, course, assignment, out, allow_incomplete, lang)
        report = write_class_report(course, store, assignment, out)
        print_gradebook(written.table, course, assignment, console, lang=lang)
        if timings:
            stored = [store.submission_result(s.source) for s in store.submissions()]
            print_split(class_split([r for r in stored if r is not None]), console)
    finally:
        store.close()
    console.print(
        f"graded {summary.graded}, could not grade {summary.errors}, refused at intake "
        f"{summary.refused}, superseded {summary.superseded}, already graded "
        f"{summary.already_graded}, in {summary.seconds:.1f} s; results in {out}"
    )
    _say(console, [*rerun_lines(summary), *written.notes()])
    for student, exercise, before, after in summary.changes:
        console.print(f"changed: {student} {exercise}: {before:g} -> {after:g}", highlight=False)
    if regrade and not summary.changes:
        console.print("no score changed")
    console.print(f"report for TAs and instructors: {escape(str(report))}", highlight=False)


def interrupted(stop: KeyboardInterrupt, out: Path) -> str:
    """What Ctrl-C left: how far the run got, and that the same command resumes it."""
    done = (
        f"{stop.finished} of {stop.total} submissions finished in this run"
        if isinstance(stop, BatchInterrupted)
        else "stopped before grading started"
    )
    return (
        f"interrupted: {done}; every graded exercise is saved in {out / DB_NAME}. "
        "Run the same command again to resume: it grades only what is left."
    )


def export_run(
    course: Course,
    out: Path,
    console: Console,
    allow_incomplete: bool,
    lang: str | None = None,
    due: datetime | None = None,
) -> None:
    """Write a run's exports again from its store, against grader.yaml as it is now; what
    students read in `lang` (default: the course's); `due` replaces the late rule's due date
    for this run from now on."""
    store, assignment = open_run(out)
    try:
        keep_due(store, course, assignment, due)
        written = exports.write_all(store, course, assignment, out, allow_incomplete, lang)
        report = write_class_report(course, store, assignment, out)
    finally:
        store.close()
    console.print(f"wrote {len(written.files) + 1} files in {out}")
    _say(console, written.notes())
    console.print(f"report for TAs and instructors: {escape(str(report))}", highlight=False)


def keep_due(store: Store, course: Course, assignment: str, due: datetime | None) -> None:
    """Keep `--due` in the run, so that later exports apply the same due date (and say so)."""
    if due is None:
        return
    late = course.config.assignment(assignment).late
    if late is None:
        raise GraderError(
            f"--due needs a late rule: grader.yaml declares none for {assignment} "
            "(assignments.<name>.late, docs/policies.md)"
        )
    store.keep_setting(exports.DUE_SETTING, late.aware(due).isoformat())


def rerun_lines(summary: BatchSummary) -> list[str]:
    """Why this run graded finished submissions again, with how many."""
    why = summary.rerun
    lines = []
    if why.completed:
        lines.append(
            f"completed: {why.completed} incomplete submission(s), graded what they lacked"
        )
    if why.edited:
        names = ", ".join(why.edited)
        lines.append(
            f"edited since graded: {len(why.edited)} submission(s) ({names}), graded again"
        )
    lines += [
        f"definition changed: {exercise}: {count} result(s) graded again"
        for exercise, count in sorted(why.redefined.items())
    ]
    if why.unrecorded:
        lines.append(
            f"graded before this store recorded definitions: {why.unrecorded} result(s) "
            "graded again"
        )
    return lines


def _say(console: Console, lines: list[str]) -> None:
    for line in lines:
        console.print(escape(line), highlight=False, soft_wrap=True)
