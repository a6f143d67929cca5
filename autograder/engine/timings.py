"""Where the seconds of a class went: the phases of every submission's `Timings`, added up.

One table for `rnn-grader grade --timings` and `benchmarks.batch`: the grader's own work, the
child's start, the student's cells, each exercise's process, and for each training check its
training steps, held-out evaluations and the rest (overhead: fork, data transfer, building the
model), with the peak memory of the child and of an exercise's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from autograder.engine.result import SubmissionResult


@dataclass
class TrainingSplit:
    """One training check over the class: time to a decision, and what of it was training."""

    runs: int = 0
    decision: float = 0.0
    training: float = 0.0
    evaluation: float = 0.0
    data: float = 0.0

    @property
    def overhead(self) -> float:
        """Seconds to a decision that were not training steps (data, start, build, evaluation)."""
        return self.data + self.decision - self.training

    @property
    def overhead_share(self) -> float:
        total = self.data + self.decision
        return self.overhead / total if total else 0.0


@dataclass
class ClassSplit:
    """The phases of many submissions, in seconds, summed."""

    submissions: int = 0
    total: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    exercises: dict[str, float] = field(default_factory=dict)
    training: dict[str, TrainingSplit] = field(default_factory=dict)
    child_peak_mb: float = 0.0
    exercise_peak_mb: float = 0.0

    def add(self, result: SubmissionResult) -> None:
        timings = result.timings
        if timings is None:
            return
        self.submissions += 1
        self.total += result.seconds
        for name in ("preflight", "start", "cells", "checks", "parent"):
            self.phases[name] = self.phases.get(name, 0.0) + getattr(timings, name)
        self.phases["plans"] = self.phases.get("plans", 0.0) + sum(timings.plans.values())
        for exercise, seconds in timings.exercises.items():
            self.exercises[exercise] = self.exercises.get(exercise, 0.0) + seconds
        for exercise in result.exercises:
            record = exercise.training
            if record is None or exercise.id not in timings.exercises:
                continue
            split = self.training.setdefault(exercise.id, TrainingSplit())
            split.runs += 1
            split.decision += timings.exercises[exercise.id]
            split.training += record.seconds
            split.evaluation += record.eval_seconds
            split.data += timings.plans.get(exercise.id, 0.0)
        self.child_peak_mb = max(self.child_peak_mb, timings.child_peak_mb or 0.0)
        self.exercise_peak_mb = max(self.exercise_peak_mb, timings.exercise_peak_mb or 0.0)


def class_split(results: list[SubmissionResult]) -> ClassSplit:
    split = ClassSplit()
    for result in results:
        split.add(result)
    return split


def print_split(split: ClassSplit, console: Console, title: str = "Where the seconds went") -> None:
    """The class's seconds by phase (the rows add up to all), the scoring that ran beside the
    child, then each training check's decision."""
    if not split.submissions:
        console.print("no timings recorded")
        return
    table = Table(title=f"{title} ({split.submissions} submissions, {split.total:.1f} s)")
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    table.add_column("per submission", justify="right")
    rows = [
        ("grader: preflight", split.phases.get("preflight", 0.0)),
        ("grader: plans", split.phases.get("plans", 0.0)),
        ("grader: other", split.phases.get("parent", 0.0) - split.phases.get("plans", 0.0)),
        ("child: start", split.phases.get("start", 0.0)),
        ("child: student cells", split.phases.get("cells", 0.0)),
        *((f"exercise: {name}", seconds) for name, seconds in split.exercises.items()),
    ]
    for name, seconds in rows:
        table.add_row(
            name,
            f"{seconds:.2f}",
            f"{100 * seconds / split.total:.1f}%",
            f"{seconds / split.submissions:.3f}",
        )
    console.print(table)
    checks = split.phases.get("checks", 0.0)
    console.print(f"scoring (checks): {checks:.2f} s, mostly while the child ran the next exercise")
    for exercise, run in split.training.items():
        console.print(
            f"training {exercise}: {run.runs} runs, {(run.data + run.decision) / run.runs:.2f} s "
            f"to a decision each (data {run.data / run.runs:.2f}, training steps "
            f"{run.training / run.runs:.2f}, evaluation {run.evaluation / run.runs:.2f}); "
            f"overhead {100 * run.overhead_share:.1f}%"
        )
    console.print(
        f"peak memory: child {split.child_peak_mb:.0f} MB, "
        f"largest exercise process {split.exercise_peak_mb:.0f} MB"
    )
