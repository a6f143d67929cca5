"""Gradescope's entry point: grade /autograder/submission, write /autograder/results/results.json.

`run_autograder` starts this as root for every submission. The course comes from
/autograder/source (the unpacked zip); the student's code runs in the sandbox as an unprivileged
user that cannot read /autograder/source or the installed grader (this module shuts them to
other users first, then the sandbox's preflight proves it). results.json is rewritten after every
exercise, with the exercises still to come at 0 as "not graded yet": when Gradescope's time
limit stops the run, the file already holds every exercise that finished.

When the grader itself fails (no confinement tier holds, the sandbox cannot start), the student
is told that the autograder could not run, no score is recorded as theirs, the staff read the
cause on the run's output, and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import site
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from rich.console import Console

from autograder.config import Course
from autograder.engine.grade import DEFAULT_SEED, GRADER_FAILED, unanswered
from autograder.engine.messages import error_message
from autograder.engine.public_tests import with_public_tests
from autograder.engine.report import print_result
from autograder.engine.result import ExerciseResult, Message, SubmissionResult
from autograder.errors import GraderError
from autograder.exercises import exercises_for
from autograder.gradescope.package import ASSIGNMENT_FILE
from autograder.gradescope.policies import SubmissionPolicy, submission_policy
from autograder.gradescope.results import to_gradescope, write_results
from autograder.grading import grade_notebook
from autograder.i18n import DEFAULT_LANGUAGE, N_, render, t
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.tiers import GRADER_PACKAGES, Protected, isolation_for

PENDING = N_("not graded yet (time limit)")


def main(root: Path = Path("/autograder")) -> int:
    """Grade the submission under `root` and write its results.json.

    Returns 0 once results.json describes the submission, whatever its score (a bad submission
    included); 1 when the autograder itself is broken, with results.json saying so.
    """
    results_path = root / "results" / "results.json"
    try:
        course = Course(root / "source" / "grader.yaml")
        progress = Progress(course, read_assignment(root / "source"), results_path)
    except GraderError as error:
        write_results(results_path, misconfigured(str(error), DEFAULT_LANGUAGE))
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        progress.policy = submission_policy(course, progress.assignment, root)
    except GraderError as error:  # a broken extensions file: the course's problem, not theirs
        return grader_failed(results_path, str(error), progress.lang)
    for problem in progress.policy.problems:
        print(f"policies: {problem}; no late penalty or limit applied", file=sys.stderr)
    try:
        notebook = find_notebook(root / "submission", progress.assignment)
        progress.accept(notebook)
    except GraderError as error:
        said = error_message(error)
        progress.publish(progress.so_far(said, status="error", message=said))
        print(f"submission refused: {error}")
        return 0
    try:
        shut_out_others(root / "source")
        progress.isolation = isolation_for(course, extra=Protected((), (str(results_path.parent),)))
    except GraderError as error:
        return grader_failed(results_path, str(error), progress.lang)
    progress.publish(progress.so_far(PENDING))
    try:
        result = grade_notebook(
            course,
            progress.assignment,
            notebook,
            isolation=progress.isolation,
            on_result=progress.record,
            public_only=not progress.policy.full,
        )
    except Exception as error:
        traceback.print_exc()
        return grader_failed(results_path, f"{type(error).__name__}: {error}", progress.lang)
    # the staff-only log: everything
    print_result(result, Console(width=120), verbose=True, lang=progress.lang)
    if result.status == "grader_error":
        return grader_failed(results_path, result.grader_problem, progress.lang)
    progress.publish(result)
    return 0


@dataclass
class Progress:
    """The submission's results so far, complete enough to publish at any moment."""

    course: Course
    assignment: str
    results_path: Path
    submission: Path | None = None
    sha256: str = ""
    started: float = field(default_factory=time.monotonic)
    finished: dict[str, ExerciseResult] = field(default_factory=dict)
    isolation: Isolation = field(default_factory=Isolation)
    policy: SubmissionPolicy = field(default_factory=SubmissionPolicy)

    def __post_init__(self) -> None:
        spec = self.course.config.assignment(self.assignment)
        self.points = {name: exercise.points for name, exercise in spec.exercises.items()}
        # as grading attaches them: pending and error results list the public checks too
        self.exercises = with_public_tests(
            self.course, self.assignment, exercises_for(self.assignment, list(spec.exercises))
        )

    def accept(self, notebook: Path) -> None:
        """The notebook to grade, fingerprinted once: results name the exact file graded."""
        self.submission = notebook
        self.sha256 = hashlib.sha256(notebook.read_bytes()).hexdigest()

    def record(self, exercise: ExerciseResult) -> None:
        """Keep one scored exercise and publish at once: the next one may never finish."""
        self.finished[exercise.id] = exercise
        self.publish(self.so_far(PENDING))

    @property
    def lang(self) -> str:
        """The language students read: grader.yaml's `feedback.language`."""
        return self.course.config.feedback.language

    def so_far(
        self, reason: Message, status: Literal["graded", "error"] = "graded", message: Message = ""
    ) -> SubmissionResult:
        """The finished exercises, and the others at 0 with `reason`."""
        exercises = [
            self.finished.get(e.id) or unanswered(e, self.points[e.id], reason)
            for e in self.exercises
        ]
        return SubmissionResult(
            assignment=self.assignment,
            submission=str(self.submission or ""),
            sha256=self.sha256,
            status=status,
            message=message,
            points=round(sum(e.points for e in exercises), 4),
            max_points=sum(self.points.values()),
            exercises=exercises,
            seed=DEFAULT_SEED,
            torch_version=torch.__version__,
            device="cpu",
            confined=self.isolation.confine,
            confinement=self.isolation.confinement,
            seconds=round(time.monotonic() - self.started, 3),
        )

    def publish(self, result: SubmissionResult) -> None:
        visibility = self.course.config.gradescope
        document = to_gradescope(
            result, visibility.public_visibility, visibility.hidden_visibility, lang=self.lang
        )
        write_results(self.results_path, self.policy.apply(document, result.points, self.lang))


def read_assignment(source: Path) -> str:
    """The assignment this zip grades, written into it by package.py."""
    path = source / ASSIGNMENT_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise GraderError(
            f"{path} is missing: build the autograder zip with `rnn-grader build`"
        ) from None


def find_notebook(folder: Path, assignment: str) -> Path:
    """The one notebook of the submission; anything else is the student's to fix, said plainly."""
    wanted = f"{assignment}.ipynb"
    if not folder.is_dir():
        raise GraderError(
            t("no submission was found; submit your completed {notebook}", notebook=wanted)
        )
    paths = sorted(
        path for path in folder.rglob("*") if not _ignored(path.relative_to(folder).parts)
    )
    notebooks = [path for path in paths if path.suffix.lower() == ".ipynb" and not path.is_dir()]
    names = [path.relative_to(folder).as_posix() for path in notebooks]
    if not notebooks:
        found = [p.relative_to(folder).as_posix() for p in paths if not p.is_dir()]
        listing = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "") or "no files"
        raise GraderError(
            t(
                "your submission holds no notebook (.ipynb), only: {files}; submit your "
                "completed {notebook}",
                files=listing,
                notebook=wanted,
            )
        )
    if len(notebooks) > 1:
        raise GraderError(
            t(
                "your submission holds {n} notebooks ({names}); submit exactly one, your "
                "completed {notebook}",
                n=len(notebooks),
                names=", ".join(names),
                notebook=wanted,
            )
        )
    notebook = notebooks[0]
    # A link could name any file the grader (root) may read, such as the master notebook.
    if notebook.is_symlink() or not notebook.resolve().is_relative_to(folder.resolve()):
        raise GraderError(
            t("{name} is a link, not a notebook; submit the notebook file itself", name=names[0])
        )
    return notebook


def _ignored(parts: tuple[str, ...]) -> bool:
    """Editor checkpoints, macOS resource forks and other hidden files are not submissions."""
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def shut_out_others(source: Path) -> None:
    """Make the zip's folder and the installed grader unreadable to every uid but root's.

    Gradescope unpacks the zip world-readable and pip installs packages world-readable; the
    container tier's sandbox uid must read neither (tiers.py proves it did work).
    """
    installed = [Path(p).resolve() for p in (*site.getsitepackages(), source)]
    folders = {source.resolve()}
    for package in GRADER_PACKAGES:
        spec = importlib.util.find_spec(package)
        folders.update(Path(p).resolve() for p in (spec.submodule_search_locations or []) if spec)
    for folder in sorted(folders):
        # A development checkout (an editable install) is the developer's to protect: the
        # preflight refuses it while it is readable, but it is never changed from here.
        if folder.is_dir() and any(folder.is_relative_to(base) for base in installed):
            os.chmod(folder, folder.stat().st_mode & 0o700)


def grader_failed(results_path: Path, problem: str, lang: str) -> int:
    """The grader, not the student, failed: say so to the student (in `lang`), the cause to the
    staff."""
    write_results(
        results_path,
        {
            "score": 0.0,
            "output": render(GRADER_FAILED, lang),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "extra_data": {"status": "grader_error", "grader_problem": problem[-4000:]},
            "tests": [],
        },
    )
    print(f"error: the autograder failed; nothing was scored.\n{problem}", file=sys.stderr)
    return 1


def misconfigured(message: str, lang: str) -> dict:
    """results.json for an autograder that cannot grade at all: the instructor must act (in
    `lang`: grader.yaml, which names the course's language, could not be read)."""
    said = N_("The autograder is not set up correctly; tell your instructor.")
    return {
        "score": 0.0,
        "output": f"{render(said, lang)}\n{message}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def cli(argv: list[str] | None = None) -> int:
    """`python -m autograder.gradescope.run [--root DIR]`; DIR stands in for /autograder."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.gradescope.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--root", type=Path, default=Path("/autograder"), help="default: /autograder"
    )
    return main(parser.parse_args(argv).root)


if __name__ == "__main__":
    raise SystemExit(cli())
