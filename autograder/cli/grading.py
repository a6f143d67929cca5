"""Commands that grade and re-export: grade, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from autograder.cli.app import AllowIncompleteOption, ConfigOption, app, console, reports_errors
from autograder.config import Course
from autograder.engine.intake import read_notebook
from autograder.engine.report import print_result
from autograder.engine.timings import class_split, print_split
from autograder.errors import GraderError
from autograder.i18n import LANGUAGES

LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help=f"language of what students read: {' or '.join(LANGUAGES)} "
        "(default: grader.yaml's feedback.language)",
    ),
]

DueOption = Annotated[
    str | None,
    typer.Option(
        "--due",
        help="replace the late rule's due date for this run, kept for its later exports "
        "(2026-12-10T23:59, in the rule's time zone unless it has an offset)",
    ),
]


def _due(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise GraderError(f"--due {text!r}: not a date and time (2026-12-10T23:59)") from None


def _language(course: Course, lang: str | None) -> str:
    """`--lang` where given (checked), else the course's language from grader.yaml."""
    if lang is not None and lang not in LANGUAGES:
        raise GraderError(f"--lang {lang}: the grader speaks {', '.join(LANGUAGES)}")
    return lang or course.config.feedback.language


@app.command()
@reports_errors
def grade(
    path: Annotated[
        Path, typer.Argument(help="a notebook, a folder of them, or a zip (otter, LMS)")
    ],
    assignment: Annotated[
        str | None, typer.Option("--assignment", "-a", help="default: read from the notebook")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="run folder for a batch (resumable)")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="parallel workers (default: cores)")] = None,
    regrade: Annotated[bool, typer.Option(help="grade again what was graded")] = False,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="with --regrade: only this exercise")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the full result here")
    ] = None,
    training: Annotated[
        bool, typer.Option(help="run the training checks too (--no-training: unit checks only)")
    ] = True,
    timings: Annotated[
        bool, typer.Option(help="print where the seconds went (phases, training, memory)")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="one notebook: full messages, every check")] = False,
    executor: Annotated[
        str, typer.Option(help="a batch: 'local' workers, or 'ray' (docs/scale-out.md)")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="with --executor ray: the cluster (default: start one here)")
    ] = None,
    allow_incomplete: AllowIncompleteOption = False,
    lang: LangOption = None,
    due: DueOption = None,
    config: ConfigOption = None,
) -> None:
    """Grade one notebook (a table; --json for the full result) or a whole class with --out.

    The exit status is 0 whatever the scores; it is non-zero only when the grader cannot run.
    """
    course = Course.discover(config)
    lang = _language(course, lang)
    if not path.exists():
        raise GraderError(f"{path}: no such file or folder")
    if out is None:
        if not path.is_file() or path.suffix != ".ipynb":
            raise GraderError("grading a folder or a zip needs --out RUN_DIR for the results")
        if only:
            raise GraderError("--only regrades part of a batch: --out RUN --regrade --only EX")
        from autograder.sandbox.spawn import Zygote

        # The zygote loads torch while this process does; the tier's proof and every relaunch
        # are then forks of it, not interpreters importing torch again.
        with Zygote() as zygote:
            from autograder.grading import grade_notebook  # torch: only where one grades here

            name = assignment or _assignment_of(path, course)
            result = grade_notebook(course, name, path, training=training, zygote=zygote)
        order = course.config.assignment(name).exercises
        print_result(result, console, order, verbose=verbose, lang=lang)
        if timings:
            print_split(class_split([result]), console)
        if json_out is not None:
            json_out.write_text(result.model_dump_json(indent=2), encoding="utf-8")
        if result.status == "grader_error":
            raise typer.Exit(1)
        return
    if assignment is None:
        raise GraderError("a batch needs --assignment NAME")
    from autograder.batch.commands import grade_batch

    grade_batch(
        course,
        assignment,
        path,
        out,
        console,
        workers=workers,
        regrade=regrade,
        only=only,
        training=training,
        timings=timings,
        allow_incomplete=allow_incomplete,
        lang=lang,
        executor=executor,
        ray_address=ray_address,
        due=_due(due),
    )


@app.command()
@reports_errors
def export(
    out: Annotated[Path, typer.Argument(help="a run folder written by `grade --out`")],
    allow_incomplete: AllowIncompleteOption = False,
    lang: LangOption = None,
    due: DueOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the gradebooks, feedback and results.json files of a run again from its store,
    against grader.yaml as it is now (changed points are rescaled, and said), in the course's
    language or --lang's."""
    from autograder.batch.commands import export_run

    course = Course.discover(config)
    export_run(course, out, console, allow_incomplete, _language(course, lang), _due(due))


def _assignment_of(notebook: Path, course: Course) -> str:
    """The assignment a notebook belongs to: otter's metadata, else its file name."""
    try:
        named = read_notebook(notebook).get("metadata", {}).get("otter", {}).get("assignment_name")
    except GraderError:
        named = None
    for candidate in (named, notebook.stem):
        if candidate in course.config.assignments:
            return candidate
    raise GraderError(f"cannot tell which assignment {notebook.name} is for; pass --assignment")
