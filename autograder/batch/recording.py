"""The driver's side of every executor: the store's only writer, and the progress bar.

An executor (local worker processes, `autograder.batch.runner`; Ray tasks,
`autograder.batch.ray_executor`) decides only where a submission is graded. What comes back is the
grader's own results as JSON, which the `Recorder` validates and commits: each exercise as it
arrives, then the submission's whole result. A submission is finished at most once per run, so a
result that arrives twice (a retried task) is recorded once; the store's rows are keyed by
(submission, exercise) besides, so a resumed run never writes a duplicate either.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from autograder.batch.standing import Rerun, standing
from autograder.batch.store import Store
from autograder.config import Course
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.exercises.fingerprint import Definitions
from autograder.sandbox.tiers import Protected


@dataclass
class BatchSummary:
    graded: int = 0
    errors: int = 0
    refused: int = 0  # unusable at intake (not a notebook, unsafe zip entry, ...)
    superseded: int = 0
    already_graded: int = 0
    seconds: float = 0.0
    changes: list[tuple[str, str, float | None, float]] = field(default_factory=list)
    rerun: Rerun = field(default_factory=Rerun)  # why finished submissions were graded again


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C during grading: the workers are stopped; what finished is in the store."""

    def __init__(self, finished: int, total: int) -> None:
        super().__init__(f"{finished} of {total} submissions finished")
        self.finished = finished
        self.total = total


@dataclass(frozen=True)
class Task:
    source: str
    student: str
    path: str
    only: list[str] | None
    training: bool = True
    sha256: str = ""  # the file's hash as this run found it: what its scores are graded on


@dataclass(frozen=True)
class Job:
    """What an executor grades: the tasks, how many at once (None: as many as it has room for),
    and what student code must not reach besides the grader's own files."""

    course: Course
    assignment: str
    tasks: list[Task]
    workers: int | None
    protected: Protected


class Recorder:
    """Commits what the executor's workers send back, and shows how far the batch is."""

    def __init__(
        self,
        store: Store,
        job: Job,
        summary: BatchSummary,
        definitions: Definitions,
        console: Console,
    ) -> None:
        self.store = store
        self.summary = summary
        self.definitions = definitions
        self.console = console
        self.order = list(job.course.config.assignment(job.assignment).exercises)
        self.tasks = {task.source: task for task in job.tasks}
        self.finished: set[str] = set()
        self._progress: Progress | None = None
        self._bar: TaskID | None = None

    @property
    def total(self) -> int:
        return len(self.tasks)

    def exercise(self, source: str, payload: str) -> None:
        """Commit one exercise's result (JSON from a worker) at once, with what it was graded
        under."""
        if source in self.finished:
            return
        task = self.tasks[source]
        graded = ExerciseResult.model_validate_json(payload)
        device = graded.training.device if graded.training else None
        fingerprint = self.definitions.of(graded.id, device)
        self.store.record_exercise(source, task.student, graded, task.sha256, fingerprint)

    def done(self, source: str, payload: str) -> None:
        """Finish a submission with its whole result: every exercise the store holds for it."""
        if source in self.finished:
            return
        task = self.tasks[source]
        result = self._merged(source, SubmissionResult.model_validate_json(payload))
        left = standing(self.order, self.store.graded_under(source), task.sha256, self.definitions)
        self.store.finish(source, result, task.sha256, incomplete=bool(left))
        self.summary.graded += result.status == "graded"
        self.summary.errors += result.status in {"error", "grader_error"}
        self._finish(source)

    def failed(self, source: str, message: str) -> None:
        """The grader could not grade it (its worker died, a grader bug): graded again next run."""
        if source in self.finished:
            return
        self.store.fail(source, message, self.tasks[source].sha256, grader=True)
        self.summary.errors += 1
        self._finish(source)

    @contextmanager
    def showing_progress(self) -> Iterator[Recorder]:
        """The progress bar, for as long as the executor grades."""
        columns = (
            TextColumn("[bold]grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failures]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as progress:
            self._progress = progress
            self._bar = progress.add_task("grading", total=self.total, failures=0)
            try:
                yield self
            finally:
                self.refresh()
                self._progress = None

    def refresh(self) -> None:
        if self._progress is not None and self._bar is not None:
            self._progress.update(
                self._bar, completed=len(self.finished), failures=self.summary.errors
            )

    def interrupted(self) -> BatchInterrupted:
        return BatchInterrupted(len(self.finished), self.total)

    def _finish(self, source: str) -> None:
        self.finished.add(source)
        self.refresh()

    def _merged(self, source: str, result: SubmissionResult) -> SubmissionResult:
        """The full result: every exercise committed for this submission, in grader.yaml's order.

        A resumed or `--only` run grades some exercises; the others come from the store.
        """
        stored = self.store.exercise_rows(source)
        exercises = [stored[e] for e in self.order if e in stored] or result.exercises
        return result.model_copy(
            update={
                "exercises": exercises,
                "points": round(sum(e.points for e in exercises), 4),
                "max_points": sum(e.max_points for e in exercises),
            }
        )
