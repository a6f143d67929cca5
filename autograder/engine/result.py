"""The record of one graded submission: plain data, JSON in and out, nothing executable."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from autograder.i18n import N_, Text, t

#: What a person reads, recorded language-neutral: an English literal or a template with its
#: values, rendered in the reader's language (`autograder.i18n.render`). Results stored before
#: messages were templates hold plain strings, which load as literals.
Message = Text | str

#: "not_graded": the grader could not grade it (missing course data, a broken sandbox); never the
#: student's failure, and `grader_problem` says why, for the staff only.
Status = Literal["passed", "partial", "failed", "error", "not_graded"]
#: How student code was confined: "namespaces" (own root, PID and network namespaces),
#: "container" (a dropped uid, a seccomp filter and file modes, where namespaces are refused),
#: "none" (only where grader.yaml allows grading unconfined, and then every result says so).
Confinement = Literal["namespaces", "container", "none"]


#: why a training run ended, as its record says it (`TrainingRecord.stopped`)
STOPPED = {
    "steps": N_("all steps done"),
    "decided": N_("the result was known"),
    "seconds": N_("time budget reached"),
    "time_limit": N_("cut off by the time limit"),
    "diverged": N_("the loss diverged"),
}


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckResult(_Record):
    name: str
    description: Message
    hidden: bool
    passed: bool
    weight: float
    message: Message = ""
    expected: Message | None = None
    actual: Message | None = None


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
    #: seconds spent on the held-out evaluations at the checkpoints (not in `seconds`)
    eval_seconds: float = 0.0
    #: (step, held-out metric or None when the outputs were unusable)
    checkpoints: list[tuple[int, float | None]] = []
    #: (step, mean training loss on the student's own targets)
    curve: list[tuple[int, float]] = []

    def summary(self) -> Text:
        """One line for feedback: what the run reached, against what, where and how fast."""
        best = self.best if self.best is not None else t("no usable value")
        where = (
            t("met at step {step}", step=self.decided_step)
            if self.decided_step is not None
            else t("not met")
        )
        return t(
            "{metric} {best} (threshold {threshold}, {where}); {steps} steps in {seconds} s "
            "on {device}, stopped: {stopped}, seed {seed}",
            metric=self.metric,
            best=best,
            threshold=self.threshold,
            where=where,
            steps=self.steps,
            seconds=self.seconds,
            device=self.device_name,
            stopped=Text(template=STOPPED.get(self.stopped, self.stopped)),
            seed=self.seed,
        )


class NamedMistake(_Record):
    """A known mistake whose outputs the student's code reproduced: named in the feedback.

    `name` and `hint` are the English messages of the exercise's `Mistake` (rendered through
    the catalogs); nothing hidden (inputs, expected values, reference code) is in either.
    """

    name: str
    hint: str = ""
    #: other known mistakes the answers fit just as well (twins nothing the grader sees tells
    #: apart, such as h_0 or c_0 made on the CPU): the feedback names them together
    also: list[NamedMistake] = []

    def names(self) -> list[str]:
        return [self.name, *(other.name for other in self.also)]


class ExerciseResult(_Record):
    id: str
    title: str
    points: float
    max_points: float
    status: Status
    message: Message = ""
    checks: list[CheckResult] = []
    training: TrainingRecord | None = None
    #: For the staff: why the grader could not grade this exercise (status "not_graded").
    grader_problem: str = ""
    #: the known mistake the answers match, when one does
    mistake: NamedMistake | None = None


class CellProblem(_Record):
    cell: int
    kind: str
    message: str
    line: int | None = None
    #: the cell as the student finds it ("exercise rnn_cell, the cell starting `class RNN...`")
    place: Text | None = None
    #: False for errors that are expected while grading (demo cells that need the data)
    in_feedback: bool = True


class Timings(_Record):
    """Where one submission's `seconds` went, as the grader saw the child's events.

    `preflight`: proving the confinement tier (once per grading process: in a batch, only where
    no tier was handed in); `start`: launching the child until it is confined and ready (every
    launch); `cells`: the student's cells; `exercises`: each exercise's own process, fork to
    answer (a training check's run included); cells and exercises as the child timed them;
    `parent`: the rest, when the child was in none of those phases: the grader's own work it
    waited for (reading the notebook, the `plans`, sending the request, scoring the last
    answer). `checks` is the scoring in all; most of it runs while the child works on the next
    exercise. The peaks are resident memory in MB: the child after its cells, and the largest
    exercise process.
    """

    preflight: float = 0.0
    start: float = 0.0
    cells: float = 0.0
    exercises: dict[str, float] = {}
    plans: dict[str, float] = {}
    checks: float = 0.0
    parent: float = 0.0
    child_peak_mb: float | None = None
    exercise_peak_mb: float | None = None


class SubmissionResult(_Record):
    assignment: str
    submission: str
    sha256: str
    #: "grader_error": the grader failed (not the student); no score is the student's.
    status: Literal["graded", "error", "grader_error"]
    message: Message = ""
    #: For the staff: what went wrong in the grader (the sandbox's stderr, the failed limit).
    grader_problem: str = ""
    points: float
    max_points: float
    exercises: list[ExerciseResult] = []
    cell_problems: list[CellProblem] = []
    skipped_cells: dict[int, str] = {}
    seed: int
    torch_version: str
    device: str
    confined: bool
    confinement: Confinement = "namespaces"
    seconds: float
    timings: Timings | None = None
