"""Grade a whole class: workers in parallel, every result committed as it arrives, resumable.

The main process (the driver) owns the store (`autograder.batch.recording`); an executor decides
where submissions are graded: the local one here (the default), or Ray's
(`autograder.batch.ray_executor`, `--executor ray`). The local executor proves the sandbox's
confinement tier once, in its first worker, before any other worker takes a task (no tier, no
grading). Worker processes run the grading core (each with its own sandbox uid slot) and send
back each exercise's result as JSON the moment it is scored. A worker that dies costs the
submission it held, which is recorded as the grader's error; the batch goes on. A submission the
grader failed on ("grader_error") is graded again by the next run.

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
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from autograder.batch.collect import collect
from autograder.batch.recording import BatchSummary, Job, Recorder, Task
from autograder.batch.standing import file_sha256, to_grade
from autograder.batch.store import Store
from autograder.config import Course
from autograder.errors import GraderError
from autograder.exercises.fingerprint import Definitions
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.tiers import IsolationError, Protected, isolation_for

DB_NAME = "grades.sqlite"
EXECUTORS = ("local", "ray")


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
    executor: str = "local",
    ray_address: str | None = None,
) -> BatchSummary:
    """Collect, grade what is not graded yet (or everything with `regrade`), into RUN_DIR, with
    the `executor`: "local" (worker processes here) or "ray" (tasks on the Ray cluster at
    `ray_address`; none: a cluster of this machine alone, started for the run)."""
    if executor not in EXECUTORS:
        raise GraderError(f"--executor {executor}: use one of {', '.join(EXECUTORS)}")
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
                    submission.time_source,
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
            job = Job(course, assignment, tasks, workers, Protected(both, both[1:]))
            recorder = Recorder(store, job, summary, definitions, console)
            if executor == "ray":
                from autograder.batch.ray_executor import grade_on_ray  # Ray: an optional extra

                grade_on_ray(job, recorder, ray_address)
            else:
                _grade_all(job, recorder)
        summary.seconds = time.monotonic() - started
        summary.changes = store.changes_since(started_at)
        return summary
    finally:
        store.close()


def _grade_all(job: Job, recorder: Recorder) -> None:
    """The local executor: grade the job's tasks in worker processes of this machine. The first
    worker proves the confinement tier in a child of its zygote (the path every graded child
    takes, at the cost of a fork) while the others start; each then takes the proven isolation
    from `setup` before its first task, or None when no tier holds. The driver itself never
    imports torch."""
    context = mp.get_context("spawn")
    inbox: mp.Queue = context.Queue()
    outbox: mp.Queue = context.Queue()
    setup: mp.Queue = context.Queue()
    for task in job.tasks:
        inbox.put(task)
    count = min(job.workers or os.cpu_count() or 1, len(job.tasks))
    for _ in range(count):
        inbox.put(None)
    isolation: Isolation | None = None

    def start(slot: int, prove: Protected | None = None):
        if isolation is not None:  # a replacement for a dead worker
            setup.put(isolation)
        return _start(context, slot, job.course, job.assignment, (inbox, outbox, setup), prove)

    pool = {slot: start(slot, job.protected if slot == 0 else None) for slot in range(count)}
    try:
        isolation = _proven(pool[0], outbox)
    except BaseException:
        for _ in pool:
            setup.put(None)
        raise
    for _ in pool:
        setup.put(isolation)
    holding: dict[int, Task] = {}
    try:
        with recorder.showing_progress():
            while len(recorder.finished) < recorder.total:
                try:
                    kind, slot, source, payload = outbox.get(timeout=1.0)
                except queue.Empty:
                    _replace_dead(pool, holding, recorder, inbox, start)
                    continue
                if kind == "start":
                    holding[slot] = recorder.tasks[source]
                elif kind == "exercise":
                    recorder.exercise(source, payload)
                elif kind == "done":
                    holding.pop(slot, None)
                    recorder.done(source, payload)
                elif kind == "crashed":
                    holding.pop(slot, None)
                    recorder.failed(source, payload)
    except KeyboardInterrupt:
        _stop(pool, inbox, setup)
        raise recorder.interrupted() from None
    for process in pool.values():
        process.join(timeout=10)


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


def _replace_dead(pool, holding, recorder: Recorder, inbox, start) -> None:
    """Record the submission a dead worker held as the grader's error, and start a new worker."""
    for slot, process in list(pool.items()):
        if process.is_alive() or process.exitcode == 0:
            continue
        task = holding.pop(slot, None)
        if task is not None:
            recorder.failed(task.source, f"the grader's worker died (exit code {process.exitcode})")
            inbox.put(None)
            pool[slot] = start(slot)


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
