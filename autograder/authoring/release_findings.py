"""What the release check judges, as plain records, and the judging itself: which results are
surprises (`Finding`). Pure functions of results, so that tests hand them constructed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from autograder.engine.exercise import Mistake
from autograder.engine.report import first_line, without_folders
from autograder.engine.result import ExerciseResult
from autograder.training.spec import TrainingMistake

Kind = Literal[
    "reference_below_full", "blank_above_zero", "not_caught", "not_named", "uncalibrated"
]
#: what each kind of surprise means, for the page and the terminal
KINDS: dict[str, str] = {
    "reference_below_full": "the reference is below full marks",
    "blank_above_zero": "the blank template scores above zero",
    "not_caught": "a known mistake is not caught by a check it names",
    "not_named": "a known mistake is not named in the feedback",
    "uncalibrated": "a training threshold has no calibration for a device class present",
}


@dataclass(frozen=True)
class Finding:
    """One surprise: what went unexpectedly, where, and at which seed and device."""

    kind: Kind
    assignment: str
    exercise: str
    message: str
    mistake: str | None = None
    seed: int | None = None
    device: str | None = None


@dataclass(frozen=True)
class MistakeRun:
    """One known mistake at one seed: caught by a check it names, and named in the feedback.

    `exercise` is the exercise whose checks must catch it (for a training mistake, the training
    check; `block` is then the exercise whose code it rewrites). `named` is None where the
    feedback cannot name a mistake (training checks list likely causes instead).
    """

    assignment: str
    exercise: str
    mistake: str
    seed: int
    caught: bool
    named: bool | None
    detail: str
    device: str | None = None
    source: Literal["graded", "calibration"] = "graded"
    block: str | None = None


@dataclass(frozen=True)
class Grading:
    """The reference or the blank template graded at one seed (and device, when it trained)."""

    submission: Literal["reference", "blank"]
    seed: int
    device: str | None
    points: float
    max_points: float
    off: tuple[str, ...]  # the exercises that came out other than expected, with their points


@dataclass(frozen=True)
class CalibrationState:
    """Whether a training check's threshold on one device class is backed by a calibration."""

    exercise: str
    device: str
    ok: bool
    threshold: float | None
    source: str
    reference_failures: str = ""


@dataclass
class Report:
    assignment: str
    seeds: list[int]
    devices: list[str]
    training: bool
    gradings: list[Grading] = field(default_factory=list)
    mistakes: list[MistakeRun] = field(default_factory=list)
    calibrations: list[CalibrationState] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


def submission_findings(
    assignment: str,
    submission: Literal["reference", "blank"],
    exercises: list[ExerciseResult],
    seed: int,
    device: str | None,
) -> list[Finding]:
    """The reference's exercises below full marks, or the blank's above zero."""
    if submission == "reference":
        off = [e for e in exercises if e.points < e.max_points]
        kind: Kind = "reference_below_full"
    else:
        off = [e for e in exercises if e.points > 0]
        kind = "blank_above_zero"
    return [
        Finding(kind, assignment, e.id, _score(e, str(e.message)), seed=seed, device=device)
        for e in off
    ]


def unit_mistake_run(
    assignment: str, mistake: Mistake, graded: ExerciseResult, seed: int, naming: bool = True
) -> MistakeRun:
    """Caught: the exercise lost points and a check the mistake names failed. Named: the
    feedback names this very mistake (judged only where `naming`: at the seed the mistakes'
    signatures are made for, the one every route grades at)."""
    failed = [c.name for c in graded.checks if not c.passed]
    caught = graded.points < graded.max_points and bool(set(failed) & set(mistake.caught_by))
    named = graded.mistake is not None and mistake.name in graded.mistake.names()
    shown = " / ".join(graded.mistake.names()) if graded.mistake is not None else "none"
    detail = (
        f"{number(graded.points)} / {number(graded.max_points)}; failed: "
        f"{', '.join(failed) or 'none'} (named checks: {', '.join(mistake.caught_by)}); "
        + (f"feedback names: {shown}" if naming else "naming not judged at this seed")
    )
    return MistakeRun(
        assignment, graded.id, mistake.name, seed, caught, named if naming else None, detail
    )


def training_mistake_run(
    assignment: str, mistake: TrainingMistake, graded: ExerciseResult, seed: int, device: str
) -> MistakeRun:
    """A training mistake graded for real: caught when its training check withheld points."""
    caught = graded.points < graded.max_points
    detail = _score(graded, str(graded.message))
    return MistakeRun(
        assignment, graded.id, mistake.name, seed, caught, None, detail, device, block=mistake.block
    )


def calibrated_mistake_runs(
    assignment: str, exercise: str, device: str, record: dict[str, Any]
) -> list[MistakeRun]:
    """The calibration record's runs of each known mistake, judged against its threshold: a
    run is caught when it crashed, gave unusable outputs, missed the threshold or went below
    the leak floor."""
    threshold, floor = record["threshold"], record.get("floor")
    higher = record["higher_is_better"]
    runs = []
    for mistake in record["mistakes"]:
        for seed, best, problem in zip(
            mistake["seeds"], mistake["best"], mistake["problems"], strict=True
        ):
            if problem is not None or best is None:
                caught, detail = True, f"unusable: {first_line(str(problem or 'no value'))}"
            else:
                misses = best < threshold if higher else best > threshold
                leaks = floor is not None and best < floor
                caught = misses or leaks
                detail = f"best {record['metric']} {best:.4g} against the threshold {threshold:.4g}"
            runs.append(
                MistakeRun(
                    assignment, exercise, mistake["name"], seed, caught, None, detail, device,
                    "calibration", mistake.get("block"),
                )
            )  # fmt: skip
    return runs


def mistake_findings(runs: list[MistakeRun]) -> list[Finding]:
    """A surprise for every run whose mistake went uncaught, or unnamed where it can be named."""
    found = []
    for run in runs:
        where = dict(mistake=run.mistake, seed=run.seed, device=run.device)
        if not run.caught:
            found.append(Finding("not_caught", run.assignment, run.exercise, run.detail, **where))
        if run.named is False:
            found.append(Finding("not_named", run.assignment, run.exercise, run.detail, **where))
    return found


def calibration_findings(assignment: str, states: list[CalibrationState]) -> list[Finding]:
    return [
        Finding("uncalibrated", assignment, state.exercise, state.source, device=state.device)
        for state in states
        if not state.ok
    ]


def calibrated_reference_findings(
    assignment: str, exercise: str, device: str, record: dict[str, Any]
) -> list[Finding]:
    """With training judged from calibration: the reference's calibration runs that failed."""
    reference_runs = record["reference"]
    failed = reference_runs.get("observed_failures", 0)
    if not failed:
        return []
    message = (
        f"{failed} of {reference_runs['n']} calibration runs of the reference miss the threshold"
    )
    return [Finding("reference_below_full", assignment, exercise, message, device=device)]


def _score(exercise: ExerciseResult, message: str) -> str:
    shown = without_folders(first_line(message))
    return f"{number(exercise.points)} / {number(exercise.max_points)}: {shown}"


def number(value: float) -> str:
    return f"{round(value, 2):g}"
