"""`rnn-grader release-check`: the report card before an assignment goes out (CI runs it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from autograder.cli.app import (
    AssignmentOption,
    ConfigOption,
    app,
    console,
    err_console,
    reports_errors,
    selected,
)
from autograder.config import Course
from autograder.errors import GraderError

if TYPE_CHECKING:
    from autograder.authoring.release_findings import Finding

#: Two seeds: the first is the one every grading route uses (what students get, and where the
#: feedback's naming is judged); the second shows that a check does not catch a mistake by the
#: luck of one set of random inputs. Measured on 2 shared cores, each seed costs about 45 s
#: (names_charlm), 35 s (anna_lstm, word_lm) and 20 s (rnn_basics), most of it training the
#: training mistakes: a third would add some 2 minutes to CI for little more assurance.
DEFAULT_SEEDS = 2
#: surprises printed per assignment; the page lists them all
SHOWN = 15


@app.command("release-check")
@reports_errors
def release_check(
    assignment: AssignmentOption = None,
    seeds: Annotated[
        int,
        typer.Option(help="seeds to grade at, from the grader's own (2: see DEFAULT_SEEDS)"),
    ] = DEFAULT_SEEDS,
    out: Annotated[
        Path, typer.Option(help="folder for <assignment>.html (relative: to the course root)")
    ] = Path("release-check"),
    training: Annotated[
        bool,
        typer.Option(
            "--training/--no-training",
            help="train the reference and the training mistakes for real, or judge the "
            "training checks from the calibration files only",
        ),
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Grade the reference, the blank template and every known mistake at several seeds on
    every device class present; write <out>/<assignment>.html.

    Exit status 0 when nothing is unexpected, 1 on any surprise (the reference below full marks,
    the blank above zero, a known mistake not caught by a check it names or not named in the
    feedback, a training threshold without a calibration for a device class present), 2 when
    the check cannot run.
    """
    from autograder.authoring.release_check import check_assignment, devices_present
    from autograder.authoring.release_findings import KINDS
    from autograder.authoring.release_page import write_page
    from autograder.engine.grade import DEFAULT_SEED
    from autograder.sandbox.spawn import Zygote

    course = Course.discover(config)
    names = selected(course, assignment)
    if seeds < 1:
        raise GraderError("--seeds needs at least 1")
    folder = out if out.is_absolute() else course.root / out
    devices = devices_present()
    seed_list = [DEFAULT_SEED + n for n in range(seeds)]
    surprises = 0
    with Zygote() as zygote, _cannot_run_is_2():
        for name in names:
            report = check_assignment(
                course, name, seed_list, devices, training=training, zygote=zygote,
                say=lambda line: err_console.print(escape(line), highlight=False),
            )  # fmt: skip
            page = write_page(report, folder)
            shown = page.relative_to(course.root) if page.is_relative_to(course.root) else page
            state = (
                f"[red]{len(report.findings)} surprise(s)[/]" if report.findings else "[green]ok[/]"
            )
            console.print(
                f"{name}: {state}, seeds {', '.join(map(str, seed_list))} on "
                f"{', '.join(devices)}, {report.seconds:.0f} s -> {escape(str(shown))}",
                highlight=False,
                soft_wrap=True,
            )
            for finding in report.findings[:SHOWN]:
                console.print(_line(finding, KINDS), highlight=False, soft_wrap=True)
            if len(report.findings) > SHOWN:
                console.print(f"  ... and {len(report.findings) - SHOWN} more on the page")
            surprises += len(report.findings)
    if surprises:
        raise typer.Exit(1)


def _line(finding: Finding, kinds: dict[str, str]) -> str:
    """One surprise in the terminal: what, where, at which seed and device."""
    where = "/".join(part for part in (finding.exercise, finding.mistake) if part)
    at = [f"seed {finding.seed}"] if finding.seed is not None else []
    at += [finding.device] if finding.device else []
    return f"  {kinds[finding.kind]}: {escape(where)}" + (f" ({', '.join(at)})" if at else "")


@contextlib.contextmanager
def _cannot_run_is_2() -> Iterator[None]:
    """A fault in the grader while checking is "cannot run" (2), never "surprises" (1): CI must
    tell a broken check from a broken assignment. The traceback is printed for the staff."""
    try:
        yield
    except (GraderError, typer.Exit, KeyboardInterrupt):
        raise
    except Exception:
        err_console.print_exception()
        err_console.print("[bold red]error:[/] the release check could not run (the grader failed)")
        raise typer.Exit(2) from None
