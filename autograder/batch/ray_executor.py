"""The Ray executor (`grade --executor ray [--ray-address ADDR]`): grade a class on a Ray cluster.

The driver (this process) stays what it is for the local executor: the store's only writer and
the progress bar (`autograder.batch.recording`). Each submission is a Ray task
(`autograder.batch.ray_worker.grade_piece`) that asks for what its kind of work needs: CPUs
(grader.yaml's `ray.cpus`) for the unit checks and CPU training, and, when training checks train
on cuda and the cluster has GPUs, a second task with a share of a GPU (`ray.gpu_fraction`) for
the checks that have a cuda budget. Ray places the tasks (spread over the nodes) and retries a
task once when its worker or node dies, elsewhere if need be; a task that loses its worker twice
becomes the grader's error row with that reason, graded again by the next run. A result reaches
the store once (the `Recorder` finishes a submission once; rows are keyed by submission and
exercise). Killing the driver ends its tasks (Ray ties them to it); the same command resumes.

At most one task per sandbox uid slot runs at a time: a slot is lent to a task and returned with
its answer, so no two children on one host share a uid.

The grader and the course reach the nodes by a shared path (the same install and checkout on
every node: one container image, or a shared file system; docs/scale-out.md), and the data by
the same path or $RNN_GRADER_DATA, which the driver passes in Ray's `runtime_env`.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from autograder.batch.ray_worker import Piece, grade_piece
from autograder.batch.recording import Job, Recorder, Task
from autograder.config import DATA_ENV
from autograder.engine.result import SubmissionResult
from autograder.errors import GraderError
from autograder.sandbox.tiers import IsolationError

#: A task whose worker dies is run once more (by Ray) before its submission is an error row.
RETRIES = 1


def grade_on_ray(job: Job, recorder: Recorder, address: str | None) -> None:
    """Grade `job` on the cluster at `address` (None: a cluster of this machine, for the run)."""
    try:
        import ray
    except ImportError:
        raise GraderError(
            "--executor ray needs Ray: pip install 'rnn-grader[ray]' (docs/scale-out.md)"
        ) from None
    data = job.course.config.resolved_data_dir()
    options: dict = {"runtime_env": {"env_vars": {DATA_ENV: str(data)}}, "log_to_driver": False}
    if address is None:
        options |= {"include_dashboard": False, "num_cpus": job.workers}
    ray.init(address=address, logging_level="WARNING", **options)
    try:
        _Dispatch(job, recorder, ray).run()
    finally:
        ray.shutdown()


class _Dispatch:
    """Submits pieces as uid slots free up, and hands each answer to the recorder."""

    def __init__(self, job: Job, recorder: Recorder, ray) -> None:
        self.job = job
        self.recorder = recorder
        self.ray = ray
        resources = ray.cluster_resources()
        config = job.course.config
        self.cpus = config.ray.cpus
        self.gpu_fraction = config.ray.gpu_fraction
        self.gpu = config.device != "cpu" and resources.get("GPU", 0) > 0
        room = int(resources.get("CPU", 0) // self.cpus)
        slots = job.workers or max(1, room)
        self.free = list(range(slots))
        self.waiting = deque(piece for task in job.tasks for piece in self.first_pieces(task))
        self.running: dict = {}  # ObjectRef -> (piece, slot)
        self.remote = ray.remote(grade_piece)

    def first_pieces(self, task: Task) -> list[Piece]:
        """The task's first piece: all of it, or (training on cuda) its CPU part, whose answer
        sends the GPU part (`after`)."""
        cuda = self.cuda_exercises(task)
        if not cuda:
            only = tuple(task.only) if task.only is not None else None
            return [Piece(task.source, task.path, only, task.training)]
        rest = tuple(e for e in self.wanted(task) if e not in cuda)
        gpu_piece = Piece(task.source, task.path, cuda, True, gpu=True)
        return [Piece(task.source, task.path, rest, True, last=False)] if rest else [gpu_piece]

    def wanted(self, task: Task) -> list[str]:
        exercises = self.job.course.config.assignment(self.job.assignment).exercises
        return [e for e in exercises if task.only is None or e in task.only]

    def cuda_exercises(self, task: Task) -> tuple[str, ...]:
        """The task's training checks with a cuda budget, when they will train on a GPU."""
        if not (task.training and self.gpu):
            return ()
        exercises = self.job.course.config.assignment(self.job.assignment).exercises
        return tuple(
            e
            for e in self.wanted(task)
            if exercises[e].training is not None and "cuda" in exercises[e].training.budgets
        )

    def run(self) -> None:
        try:
            with self.recorder.showing_progress():
                while self.waiting or self.running:
                    while self.waiting and self.free:
                        self.submit(self.waiting.popleft(), self.free.pop(0))
                    ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=1.0)
                    for ref in ready:
                        piece, slot = self.running.pop(ref)
                        self.free.append(slot)
                        self.answer(piece, ref)
        except KeyboardInterrupt:
            self.cancel()
            raise self.recorder.interrupted() from None
        except BaseException:
            self.cancel()
            raise

    def submit(self, piece: Piece, slot: int) -> None:
        task = self.recorder.tasks[piece.source]
        options = {
            "num_cpus": self.cpus,
            "max_retries": RETRIES,
            "retry_exceptions": False,  # a grader bug comes back as `crashed`, not raised
            "scheduling_strategy": "SPREAD",
        }
        if piece.gpu:
            options["num_gpus"] = self.gpu_fraction
        notebook = Path(task.path).read_bytes()
        course = self.job.course
        ref = self.remote.options(**options).remote(
            str(course.config_path), self.job.assignment, self.job.protected, piece, notebook, slot
        )
        self.running[ref] = (piece, slot)

    def answer(self, piece: Piece, ref) -> None:
        """Record a finished piece; a first piece that graded sends the GPU part."""
        try:
            answer = self.ray.get(ref)
        except self.ray.exceptions.RayError as error:
            self.recorder.failed(
                piece.source,
                f"the grader's worker died {RETRIES + 1} times while grading this submission "
                f"({type(error).__name__}); it is graded again by the next run",
            )
            return
        answer = json.loads(answer)
        if "refused" in answer:
            raise IsolationError(
                f"{answer['node']} cannot grade, so grading stopped (what other nodes "
                f"finished is saved):\n{answer['refused']}"
            )
        if "crashed" in answer:
            self.recorder.failed(piece.source, answer["crashed"])
            return
        for exercise in answer["exercises"]:
            self.recorder.exercise(piece.source, exercise)
        result = SubmissionResult.model_validate_json(answer["result"])
        if piece.last or result.status in {"error", "grader_error"}:
            self.recorder.done(piece.source, answer["result"])
            return
        task = self.recorder.tasks[piece.source]
        cuda = self.cuda_exercises(task)
        self.waiting.appendleft(Piece(piece.source, piece.path, cuda, True, gpu=True))

    def cancel(self) -> None:
        """End every running task now (their workers' zygotes and children die with them)."""
        for ref in self.running:
            self.ray.cancel(ref, force=True)
        self.running.clear()
