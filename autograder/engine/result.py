"""The record of one graded submission: plain data, JSON in and out, nothing executable."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["passed", "partial", "failed", "error"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckResult(_Record):
    name: str
    description: str
    hidden: bool
    passed: bool
    weight: float
    message: str = ""
    expected: str | None = None
    actual: str | None = None


class TrainingRecord(_Record):
    """How a training check's run went: enough to reproduce it and to draw its curve.

    Filled from what the child reported (device, seeds, steps) and what the grader scored
    (the metric per checkpoint); `stopped` is "decided" when the grader ended the run early.
    """

    recipe: str
    device: str
    device_name: str
    torch_version: str
    seed: int
    numpy_seed: int
    random_seed: int
    steps: int
    seconds: float
    stopped: str
    metric: str
    threshold: float
    best: float | None = None
    decided_step: int | None = None
    decided_seconds: float | None = None
    #: (step, held-out metric or None when the outputs were unusable)
    checkpoints: list[tuple[int, float | None]] = []
    #: (step, mean training loss on the student's own targets)
    curve: list[tuple[int, float]] = []

    def summary(self) -> str:
        """One line for feedback: what the run reached, against what, where and how fast."""
        best = f"{self.best:.4g}" if self.best is not None else "no usable value"
        where = f"met at step {self.decided_step}" if self.decided_step is not None else "not met"
        return (
            f"{self.metric} {best} (threshold {self.threshold:.4g}, {where}); "
            f"{self.steps} steps in {self.seconds:.1f} s on {self.device_name}, "
            f"stopped: {self.stopped}, seed {self.seed}"
        )


class ExerciseResult(_Record):
    id: str
    title: str
    points: float
    max_points: float
    status: Status
    message: str = ""
    checks: list[CheckResult] = []
    training: TrainingRecord | None = None


class CellProblem(_Record):
    cell: int
    kind: str
    message: str
    line: int | None = None
    #: False for errors that are expected while grading (demo cells that need the data)
    in_feedback: bool = True


class SubmissionResult(_Record):
    assignment: str
    submission: str
    sha256: str
    status: Literal["graded", "error"]
    message: str = ""
    points: float
    max_points: float
    exercises: list[ExerciseResult] = []
    cell_problems: list[CellProblem] = []
    skipped_cells: dict[int, str] = {}
    seed: int
    torch_version: str
    device: str
    confined: bool
    seconds: float
