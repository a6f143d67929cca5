"""Calibration runs through the sandbox: the route grading takes, several children at a time.

Why calibrate this way (the default of `rnn-grader calibrate`): a threshold is only as good as
the runs it was set on, and grading trains in the confined child (launcher.run_submission):
the notebook's cells define the model, the child forks one process per exercise, shows the GPU
to that fork alone, trains on one thread under the exercise's limits and answers with plain
data. Calibrating through the same launcher, recipe and probe (`spec.probe`) measures the very
distribution grading draws from: the master notebook's code rather than solutions/ alone, each
known mistake applied to its question block as the mistake tests apply it, the device the
confined child really reaches (the JSON records its name and the tier), and the seconds a run
takes there. On a CPU both routes give the same metric for the same seed (the recipes are
deterministic); training.local stays for machines where no confinement tier holds.

Each worker thread owns a zygote and a sandbox slot (its own uid): the grader's side only
writes requests and scores answers while the children train, so threads suffice. Every run
trains its full budget: no checkpoint handler is passed, so the child never stops early.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from autograder.authoring.mistakes import with_mistakes
from autograder.config import Course, TrainingBudget
from autograder.engine.checks import MalformedAnswer
from autograder.engine.exercise import Mistake
from autograder.engine.grade import support_files
from autograder.engine.intake import intake
from autograder.sandbox.exchange import Cell, ExerciseRequest, Isolation
from autograder.sandbox.launcher import run_submission
from autograder.sandbox.spawn import Zygote
from autograder.training.data import Prepared
from autograder.training.local import OnRun, RunKey, TrainingRun
from autograder.training.spec import TrainingMistake, TrainingSpec
from autograder.training.verdict import score_answer


class SandboxTrainer:
    """Trains one check's runs in confined children: the reference notebook or a mistake's."""

    def __init__(
        self,
        course: Course,
        spec: TrainingSpec,
        prepared: Prepared,
        budget: TrainingBudget,
        device: str,
        isolation: Isolation,
    ) -> None:
        self.course = course
        self.spec = spec
        self.prepared = prepared
        self.budget = budget
        self.device = device
        self.isolation = isolation
        self.entry = course.config.assignment(spec.assignment).exercises[spec.id]
        self.files = support_files(course, spec.assignment)
        self.targets = spec.expected_for(prepared)
        self._cells: dict[TrainingMistake | None, list[Cell]] = {}

    def cells(self, mistake: TrainingMistake | None) -> list[Cell]:
        """The master notebook's runnable cells, with `mistake` applied to its question block."""
        if mistake not in self._cells:
            rewrite: dict[str, Mistake] = {}
            if mistake is not None:  # rewritten as the mistake tests rewrite the notebook
                rewrite[mistake.block] = Mistake(mistake.name, mistake.replace, ())
            notebook = with_mistakes(self.course, self.spec.assignment, rewrite)
            self._cells[mistake] = intake(notebook).cells
        return self._cells[mistake]

    def request(self, seed: int) -> ExerciseRequest:
        """The exercise as grading's plan asks for it: one "train" probe on `device`, so a cuda
        probe makes the launcher bind /dev/nvidia* and the child show the GPU to its fork."""
        return ExerciseRequest(
            self.spec.id,
            [self.spec.probe(self.prepared, self.budget, self.device, seed)],
            self.prepared.arrays,
            self.entry.wall_seconds,
            self.entry.cpu_seconds,
        )

    def run(self, key: RunKey, slot: int, zygote: Zygote) -> TrainingRun:
        """One run, graded as grading does it but to the full budget; crashes are results."""
        mistake, seed = key
        began = time.monotonic()
        outcome = run_submission(
            self.cells(mistake),
            [self.request(seed)],
            self.course.config.limits,
            replace(self.isolation, slot=slot),
            files=self.files,
            zygote=zygote,
        )
        wall = time.monotonic() - began
        answer = outcome.answers.get(self.spec.id)
        if answer is None or answer.fatal or not answer.probes:
            return TrainingRun(seed, None, _error_text(answer.fatal if answer else None), wall)
        raw = answer.probes[0]
        if not raw.get("ok"):
            return TrainingRun(seed, None, _error_text(raw.get("error")), wall)
        try:
            scored = score_answer(self.spec, raw, answer.arrays, self.targets)
        except MalformedAnswer as error:
            return TrainingRun(seed, None, f"MalformedAnswer: {error}", wall)
        return TrainingRun(seed, scored, None, wall)

    def train(self, keys: list[RunKey], on_run: OnRun, workers: int) -> dict[RunKey, TrainingRun]:
        """Every run, `workers` at a time, in the order given (the reference's first).

        `on_run` sees each finished run under a lock; when it returns False the runs not yet
        started are dropped. A sandbox that cannot start (the grader's fault) stops them all.
        """
        todo: queue.SimpleQueue[RunKey] = queue.SimpleQueue()
        for key in keys:
            todo.put(key)
        done: dict[RunKey, TrainingRun] = {}
        lock = threading.Lock()
        stop = threading.Event()
        for mistake in {mistake for mistake, _ in keys}:
            self.cells(mistake)  # rewrite each notebook once, before the threads share them

        def work(slot: int) -> None:
            with Zygote() as zygote:
                while not stop.is_set():
                    try:
                        key = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        run = self.run(key, slot, zygote)
                        with lock:
                            done[key] = run
                            if not on_run(key, run):
                                stop.set()
                    except BaseException:
                        stop.set()
                        raise

        count = max(1, min(workers, len(keys)))
        with ThreadPoolExecutor(count, thread_name_prefix="calibrate") as pool:
            futures = [pool.submit(work, slot) for slot in range(count)]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                stop.set()
                raise
        return done


def _error_text(error: dict[str, Any] | None) -> str:
    """The child's account of a crash, in the in-process route's `Type: message` form."""
    error = error or {"type": "NoAnswer", "message": "the sandbox gave no answer"}
    return f"{error.get('type', 'Error')}: {error.get('message', '')}"
