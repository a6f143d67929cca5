"""Grade a whole class: workers in parallel, every result committed as it arrives, resumable.

The main process owns the store and proves the sandbox's confinement tier once, before any
worker starts (no tier, no grading). Worker processes run the grading core (each with its own
sandbox uid slot) and send back each exercise's result as JSON the moment it is scored. A worker
that dies costs the submission it held, which is recorded as an error; the batch goes on. A
submission the grader failed on ("grader_error") is graded again by the next run.

A rerun grades what does not stand (`autograder.batch.standing`): exercises never graded (the
training checks of a --no-training run), scores of a file edited since, and scores graded under
an exercise definition that has changed since; the summary says which and how many.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import queue
import signal
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from autograder.batch.collect import collect
from autograder.batch.standing import Rerun, file_sha256, standing, to_grade
from autograder.batch.store import Store
from autograder.config import Course
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.errors import GraderError
from autograder.exercises.fingerprint import Definitions
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.tiers import IsolationError, Protected, isolation_for

DB_NAME = "grades.sqlite"


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


def run_batch(
    course: Course,
    assignment: str,
    path: Path,
    run_dir: Path,
    *,
    workers: int | None = None,
    regrade: bool = False,
    only: list[str] | None = None,
    training: bool = True,
    console: Console | None = None,
) -> BatchSummary:
    """Collect, grade what is not graded yet (or everything with `regrade`), into RUN_DIR."""
    console = console or Console(stderr=True)
    spec = course.config.assignment(assignment)
    for exercise in only or []:
        if exercise not in spec.exercises:
            raise GraderError(f"--only {exercise}: {assignment} has no such exercise")
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store(run_dir / DB_NAME)
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    try:
        store.bind_assignment(assignment)
        with store.transaction():
            for submission in collect(path, run_dir / "submissions"):
                store.register(
                    submission.source,
                    submission.student,
                    str(submission.path) if submission.path else None,
                    submission.submitted_at.isoformat() if submission.submitted_at else None,
                    submission.late,
                    submission.superseded,
                    submission.error,
                    file_sha256(submission.path),
                )
        stored = store.submissions()
        summary = BatchSummary(
            refused=sum(1 for s in stored if s.intake_error),
            superseded=sum(1 for s in stored if s.superseded),
        )
        definitions = Definitions(course, assignment)
        planned, summary.rerun = to_grade(store, spec, regrade, only, training, definitions)
        summary.already_graded = summary.rerun.already_graded
        tasks = [
            Task(s.source, s.student, s.path or "", todo, training, s.sha256 or "")
            for s, todo in planned
        ]
        started = time.monotonic()
        if tasks:
            # Other students' notebooks and results must be as far out of reach as the grader.
            both = (str(path.resolve()), str(run_dir.resolve()))
            _grade_all(
                course,
                assignment,
                tasks,
                store,
                workers or os.cpu_count() or 1,
                summary,
                console,
                Protected(both, both[1:]),
                definitions,
            )
        summary.seconds = time.monotonic() - started
        summary.changes = store.changes_since(started_at)
        return summary
    finally:
        store.close()


def _grade_all(
    course: Course,
    assignment: str,
    tasks: list[Task],
    store: Store,
    workers: int,
    summary: BatchSummary,
    console: Console,
    protected: Protected,
    definitions: Definitions,
) -> None:
    """Grade `tasks` in `workers` processes. The first worker proves the confinement tier in a
    child of its zygote (the path every graded child takes, at the cost of a fork) while the
    others start; each then takes the proven isolation from `setup` before its first task, or
    None when no tier holds. The driver itself never imports torch."""
    context = mp.get_context("spawn")
    inbox: mp.Queue = context.Queue()
    outbox: mp.Queue = context.Queue()
    setup: mp.Queue = context.Queue()
    for task in tasks:
        inbox.put(task)
    count = min(workers, len(tasks))
    for _ in range(count):
        inbox.put(None)
    isolation: Isolation | None = None

    def start(slot: int, prove: Protected | None = None):
        if isolation is not None:  # a replacement for a dead worker
            setup.put(isolation)
        return _start(context, slot, course, assignment, (inbox, outbox, setup), prove)

    pool = {slot: start(slot, protected if slot == 0 else None) for slot in range(count)}
    try:
        isolation = _proven(pool[0], outbox)
    except BaseException:
        for _ in pool:
            setup.put(None)
        raise
    for _ in pool:
        setup.put(isolation)
    holding: dict[int, Task] = {}
    order = list(course.config.assignment(assignment).exercises)
    by_source = {task.source: task for task in tasks}
    columns = (
        TextColumn("[bold]grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failures]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    finished = 0
    try:
        with Progress(*columns, console=console, transient=False) as progress:
            bar = progress.add_task("grading", total=len(tasks), failures=0)
            while finished < len(tasks):
                try:
                    kind, slot, source, payload = outbox.get(timeout=1.0)
                except queue.Empty:
                    finished += _replace_dead(pool, holding, store, summary, inbox, start)
                    progress.update(bar, completed=finished, failures=summary.errors)
                    continue
                task = by_source[source]
                if kind == "start":
                    holding[slot] = task
                elif kind == "exercise":
                    graded = ExerciseResult.model_validate_json(payload)
                    device = graded.training.device if graded.training else None
                    fingerprint = definitions.of(graded.id, device)
                    store.record_exercise(source, task.student, graded, task.sha256, fingerprint)
                elif kind == "done":
                    holding.pop(slot, None)
                    result = _merged(
                        store, source, SubmissionResult.model_validate_json(payload), order
                    )
                    left = standing(order, store.graded_under(source), task.sha256, definitions)
                    store.finish(source, result, task.sha256, incomplete=bool(left))
                    summary.graded += result.status == "graded"
                    summary.errors += result.status in {"error", "grader_error"}
                    finished += 1
                elif kind == "crashed":
                    holding.pop(slot, None)
                    store.fail(source, payload, task.sha256, grader=True)
                    summary.errors += 1
                    finished += 1
                progress.update(bar, completed=finished, failures=summary.errors)
    except KeyboardInterrupt:
        _stop(pool, inbox, setup)
        raise BatchInterrupted(finished, len(tasks)) from None
    for process in pool.values():
        process.join(timeout=10)


def _merged(
    store: Store, source: str, result: SubmissionResult, order: list[str]
) -> SubmissionResult:
    """The full result: every exercise committed for this submission, in grader.yaml's order.

    A resumed or `--only` run grades some exercises; the others come from the store.
    """
    stored = store.exercise_rows(source)
    exercises = [stored[e] for e in order if e in stored] or result.exercises
    return result.model_copy(
        update={
            "exercises": exercises,
            "points": round(sum(e.points for e in exercises), 4),
            "max_points": sum(e.max_points for e in exercises),
        }
    )


def _stop(pool: dict[int, mp.Process], *queues: mp.Queue) -> None:
    """End every worker now (their zygotes and children die with them: PR_SET_PDEATHSIG), and
    let this process exit without flushing tasks nobody will read."""
    for queue_ in queues:
        queue_.cancel_join_thread()
    for process in pool.values():
        process.terminate()
    for process in pool.values():
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def _replace_dead(pool, holding, store, summary, inbox, start) -> int:
    """Record the submission a dead worker held as an error, and start a new worker."""
    lost = 0
    for slot, process in list(pool.items()):
        if process.is_alive() or process.exitcode == 0:
            continue
        task = holding.pop(slot, None)
        if task is not None:
            message = f"the grader's worker died (exit code {process.exitcode})"
            store.fail(task.source, message, task.sha256, grader=True)
            summary.errors += 1
            lost += 1
            inbox.put(None)
            pool[slot] = start(slot)
    return lost


def _start(context, slot: int, course: Course, assignment: str, queues, prove):
    process = context.Process(
        target=_worker,
        args=(slot, str(course.config_path), assignment, *queues, prove),
        daemon=True,
    )
    process.start()
    return process


def _proven(first: mp.Process, outbox: mp.Queue) -> Isolation:
    """The isolation the first worker proved; IsolationError (or GraderError) where none holds.

    Nothing else is on `outbox` yet: no worker takes a task before it has the proven isolation.
    """
    while True:
        try:
            kind, _, _, payload = outbox.get(timeout=1.0)
        except queue.Empty:
            if not first.is_alive():
                raise GraderError(
                    f"the grader's first worker died (exit code {first.exitcode}) before it "
                    "proved a confinement tier; nothing was graded"
                ) from None
            continue
        if kind == "tier" and isinstance(payload, Isolation):
            return payload
        error, message = payload
        raise IsolationError(message) if error == "isolation" else GraderError(message)


def _prove(course: Course, protected: Protected, zygote) -> object:
    """The proven isolation, or (kind, message) saying why there is none: sent to the driver."""
    try:
        return isolation_for(course, extra=protected, zygote=zygote)
    except IsolationError as error:
        return ("isolation", str(error))
    except Exception as error:  # noqa: BLE001 - the driver reports it; grading stops
        return ("grader", f"the grader could not prove a confinement tier: {error!r}")


def _worker(
    slot: int, config_path: str, assignment: str, inbox, outbox, setup, prove: Protected | None
) -> None:
    """Grade tasks until the sentinel; die with the batch (PR_SET_PDEATHSIG). The first worker
    is handed the paths to `prove` the confinement tier for."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from autograder.sandbox.spawn import Zygote

    zygote = Zygote()  # first: it loads torch and the warm modules while this process imports
    from autograder.grading import grade_notebook

    course = Course(Path(config_path))
    if prove is not None:
        outbox.put(("tier", slot, "", _prove(course, prove, zygote)))
    isolation: Isolation | None = setup.get()
    if isolation is None:  # no confinement tier holds: the driver reports it
        zygote.close()
        return
    while (task := inbox.get()) is not None:
        outbox.put(("start", slot, task.source, ""))
        try:
            result = grade_notebook(
                course,
                assignment,
                Path(task.path),
                isolation=replace(isolation, slot=slot),
                only=task.only,
                training=task.training,
                zygote=zygote,
                on_result=lambda r, s=task.source: outbox.put(
                    ("exercise", slot, s, r.model_dump_json())
                ),
            )
            outbox.put(("done", slot, task.source, result.model_dump_json()))
        except Exception as error:  # noqa: BLE001 - a grader bug costs this submission only
            outbox.put(("crashed", slot, task.source, f"the grader failed: {error!r}"))
    zygote.close()
