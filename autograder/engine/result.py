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


class ExerciseResult(_Record):
    id: str
    title: str
    points: float
    max_points: float
    status: Status
    message: str = ""
    checks: list[CheckResult] = []


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
