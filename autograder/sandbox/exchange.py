"""What the grader hands the sandbox and what it reads back, as plain data types.

A submission goes in as cells and per-exercise requests (probes and arrays); it comes back as
cell reports and per-exercise answers. `Isolation` says how the child is confined. Nothing here
runs student code or trusts what the child sent: the engine checks the answers' meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.errors import GraderError

#: (exercise id, checkpoint header, its arrays) -> True when the grader has decided (stop)
CheckpointHandler = Callable[[str, dict[str, Any], dict[str, np.ndarray]], bool]


@dataclass(frozen=True)
class Cell:
    index: int
    source: str


@dataclass(frozen=True)
class ExerciseRequest:
    """One exercise's probes (plain data) with the arrays they refer to."""

    id: str
    probes: list[dict[str, Any]]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    wall_seconds: int | None = None  # None: the course's limits
    cpu_seconds: int | None = None

    @property
    def trains(self) -> bool:
        """A training probe: its checkpoints may stream to the grader while it runs."""
        return any(probe.get("kind") == "train" for probe in self.probes)

    @property
    def needs_gpu(self) -> bool:
        """A training probe asked for cuda: only then does the child see the GPU."""
        return any(probe.get("device") == "cuda" for probe in self.probes)


@dataclass
class CellReport:
    index: int
    error: dict[str, Any] | None = None
    defined: list[str] = field(default_factory=list)


@dataclass
class ExerciseAnswer:
    """What the child said about one exercise: per-probe results and arrays, or a fatal error."""

    probes: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    fatal: dict[str, Any] | None = None
    #: modules the exercise's process imported itself (warm.py should have loaded them)
    imported: list[str] = field(default_factory=list)


@dataclass
class ChildOutcome:
    cells: dict[int, CellReport] = field(default_factory=dict)
    answers: dict[str, ExerciseAnswer] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    launches: int = 0
    confined: bool = True
    #: called with (exercise id, answer) as soon as an exercise's answer is final, so that a
    #: caller can record results while later exercises still run.
    on_answer: Callable[[str, ExerciseAnswer], None] | None = field(default=None, repr=False)
    #: decides at each streamed training checkpoint whether the run may stop
    on_checkpoint: CheckpointHandler | None = field(default=None, repr=False)
    #: arrays of the checkpoints streamed so far, per exercise; merged into its final answer
    streamed: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    checkpoints_seen: dict[str, int] = field(default_factory=dict, repr=False)
    #: seconds timed from the child's events: launch to ready (every launch), the cells, and
    #: each exercise's process, fork to answer
    start_seconds: float = 0.0
    cell_seconds: float = 0.0
    exercise_seconds: dict[str, float] = field(default_factory=dict)
    #: peak resident memory in MB the child reported: "child" (after its cells), "exercise"
    peak_mb: dict[str, float] = field(default_factory=dict)

    def note_peak(self, process: str, kilobytes: object) -> None:
        if isinstance(kilobytes, int) and not isinstance(kilobytes, bool) and kilobytes > 0:
            self.peak_mb[process] = max(self.peak_mb.get(process, 0.0), kilobytes / 1024)

    def settle(self, exercise_id: str, answer: ExerciseAnswer) -> None:
        streamed = self.streamed.pop(exercise_id, {})
        if answer.fatal is None:
            answer.arrays = {**streamed, **answer.arrays}
        self.answers[exercise_id] = answer
        if self.on_answer is not None:
            self.on_answer(exercise_id, answer)


@dataclass(frozen=True)
class Isolation:
    """How to confine the child. `confine=False` exists for tests of the engine on plain code
    and for grader.yaml's `sandbox.confinement: none`; `tier` is proven by tiers.choose."""

    confine: bool = True
    slot: int = 0
    uid_base: int = 61000
    expose_extra: tuple[str, ...] = ()
    tier: str = "namespaces"

    @property
    def uid(self) -> int:
        return self.uid_base + self.slot

    @property
    def confinement(self) -> str:
        """What results record: the tier, or "none"."""
        return self.tier if self.confine else "none"


class SandboxError(GraderError):
    """The sandbox failed before any student code ran: the grader's fault, never the student's.

    `detail` holds the child's stderr for the staff.
    """

    def __init__(self, short: str, detail: str = "") -> None:
        super().__init__(f"the sandbox could not start: {short}")
        self.short = short
        self.detail = detail
