"""`rnn-grader release-check`: the report card an assignment needs before it goes out.

It grades the reference (full marks expected), the blank template (zero expected) and every known
mistake (caught by a check it names, and named in the feedback) at several seeds and on every
device class this machine has, and checks that each training threshold is backed by a
calibration for each of those devices. Anything else is a surprise (a `Finding`); the command
exits 1 on any, so that CI stops an assignment that would grade wrongly.

Training mistakes are graded for real (the course's budgets make a run a few seconds on a CPU),
or, with `training=False`, judged from the calibration record, which holds every mistake's runs
on the calibration seeds; the reference's training is then judged from the record's reference
runs. The page says which way each row was judged.
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch

from autograder.authoring.mistake_table import graded_mistakes, unit_exercises
from autograder.authoring.mistakes import with_mistakes
from autograder.authoring.release_findings import (
    CalibrationState,
    Grading,
    MistakeRun,
    Report,
    calibrated_mistake_runs,
    calibrated_reference_findings,
    calibration_findings,
    mistake_findings,
    number,
    submission_findings,
    training_mistake_run,
    unit_mistake_run,
)
from autograder.authoring.signatures import ensure_signatures
from autograder.authoring.submissions import blank, reference, write
from autograder.config import Course
from autograder.engine.exercise import Exercise, Mistake
from autograder.engine.grade import DEFAULT_SEED
from autograder.engine.result import SubmissionResult
from autograder.errors import GraderError
from autograder.exercises import training_specs
from autograder.grading import grade_notebook
from autograder.sandbox.spawn import Zygote
from autograder.training import calibration
from autograder.training.settings import resolve_threshold, training_config
from autograder.training.spec import TrainingMistake, TrainingSpec

#: The seed naming is judged at. The feedback names a known mistake by comparing the student's
#: answers with the mistake's own on the same probes (autograder/authoring/signatures.py), so its
#: signatures are made for the seed every route grades at; other seeds have none to compare with.
NAMING_SEED = DEFAULT_SEED


def devices_present() -> list[str]:
    """The device classes this machine grades on: the CPU, and cuda where torch sees a GPU."""
    return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def on_device(course: Course, device: str) -> Course:
    """The course as grader.yaml would be with `device: <device>`: its training checks train
    there (a check without a budget for it still trains on the CPU)."""
    moved = copy.copy(course)
    moved.config = course.config.model_copy(update={"device": device})
    return moved


def calibration_states(
    course: Course, specs: list[TrainingSpec], devices: list[str]
) -> list[CalibrationState]:
    """Each training check on each device class it trains on: is its threshold calibrated?"""
    states = []
    for spec in specs:
        for device in devices:
            if device not in training_config(course, spec).budgets:
                continue  # no budget there: it trains on the CPU, judged under cpu
            try:
                threshold = resolve_threshold(course, spec, device)
            except GraderError as error:
                states.append(CalibrationState(spec.id, device, False, None, str(error)))
                continue
            record = threshold.calibration
            failures = ""
            if record is not None:
                failures = f"{record['reference'].get('observed_failures', 0)} of "
                failures += f"{record['reference']['n']}"
            source = str(threshold.source) + ("" if record else ": no calibration")
            states.append(
                CalibrationState(
                    spec.id, device, record is not None, threshold.value, source, failures
                )
            )
    return states


def check_assignment(
    course: Course,
    assignment: str,
    seeds: list[int],
    devices: list[str],
    *,
    training: bool = True,
    zygote: Zygote | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Report:
    """Grade everything the release check needs for `assignment` and judge it; `say` hears
    each step as it ends, with the seconds since the start."""
    started = time.monotonic()

    def done(step: str) -> None:
        say(f"{assignment}: {step} ({time.monotonic() - started:.0f} s)")

    report = Report(assignment, seeds, devices, training)
    specs = [s for s in training_specs(course).values() if s.assignment == assignment]
    report.calibrations = calibration_states(course, specs, devices)
    report.findings += calibration_findings(assignment, report.calibrations)
    usable = {(s.exercise, s.device) for s in report.calibrations if s.ok}
    exercises = unit_exercises(course, assignment)
    units = [e.id for e in exercises]
    in_course_order = {(e.id, m.name): n for n, (e, m) in enumerate(_mistakes_of(exercises))}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        paths = {
            "reference": write(reference(course, assignment), folder, "reference"),
            "blank": write(blank(course, assignment), folder, "blank"),
        }
        for device in devices if training else [None]:
            graded_course = on_device(course, device) if device else course
            trained = [s.id for s in specs if (s.id, device) in usable]
            for seed in seeds:
                for submission in ("reference", "blank"):
                    result = grade_notebook(
                        graded_course, assignment, paths[submission], only=units + trained,
                        seed=seed, zygote=zygote, training=training,
                    )  # fmt: skip
                    _require_graded(result, f"the {submission} at seed {seed}")
                    report.gradings.append(_grading(submission, result, seed, device))
                    report.findings += submission_findings(
                        assignment, submission, result.exercises, seed, device
                    )
                    done(f"{submission}, seed {seed}, {device or 'unit checks only'}")
        if NAMING_SEED in seeds:  # as `rnn-grader build` does for the zip: named as shipped
            ensure_signatures(course, assignment, seed=NAMING_SEED, zygote=zygote, say=say)
        for seed in seeds:
            graded = graded_mistakes(course, assignment, zygote, seed)  # in rounds
            naming = seed == NAMING_SEED
            runs = [unit_mistake_run(assignment, m, r, seed, naming) for m, r in graded]
            report.mistakes += sorted(runs, key=lambda r: in_course_order[r.exercise, r.mistake])
            done(f"known mistakes of the unit checks, seed {seed}")
        for device in devices:
            checked = [s for s in specs if (s.id, device) in usable]
            if training:
                report.mistakes += _graded_training_mistakes(
                    course, assignment, checked, device, seeds, folder, zygote
                )
                done(f"known mistakes of the training checks on {device}")
            else:
                _judge_from_calibration(course, report, checked, device)
    report.findings += mistake_findings(report.mistakes)
    report.seconds = time.monotonic() - started
    return report


def _mistakes_of(exercises: list[Exercise]) -> list[tuple[Exercise, Mistake]]:
    return [(exercise, mistake) for exercise in exercises for mistake in exercise.mistakes]


def training_rounds(specs: list[TrainingSpec]) -> list[dict[str, tuple[str, TrainingMistake]]]:
    """Every training mistake, grouped so that a round rewrites each question block at most
    once and holds at most one mistake per training check (each failure is then its own)."""
    rounds: list[dict[str, tuple[str, TrainingMistake]]] = []
    for spec in specs:
        for mistake in spec.mistakes:
            for round_ in rounds:
                used = {check for check, _ in round_.values()}
                if mistake.block not in round_ and spec.id not in used:
                    break
            else:
                round_ = {}
                rounds.append(round_)
            round_[mistake.block] = (spec.id, mistake)
    return rounds


def _graded_training_mistakes(
    course: Course,
    assignment: str,
    specs: list[TrainingSpec],
    device: str,
    seeds: list[int],
    folder: Path,
    zygote: Zygote | None,
) -> list[MistakeRun]:
    runs = []
    graded_course = on_device(course, device)
    for index, round_ in enumerate(training_rounds(specs)):
        rewrites = {block: Mistake(m.name, m.replace, ()) for block, (_, m) in round_.items()}
        path = write(with_mistakes(course, assignment, rewrites), folder, f"training{index}")
        checks = {check: mistake for check, mistake in round_.values()}
        for seed in seeds:
            result = grade_notebook(
                graded_course, assignment, path, only=list(checks), seed=seed, zygote=zygote
            )
            _require_graded(result, f"training mistakes round {index} at seed {seed}")
            runs += [
                training_mistake_run(assignment, checks[graded.id], graded, seed, device)
                for graded in result.exercises
            ]
    return runs


def _judge_from_calibration(
    course: Course, report: Report, specs: list[TrainingSpec], device: str
) -> None:
    """Training judged from calibration/<device>/<check>.json: its reference and mistake runs."""
    for spec in specs:
        record = calibration.load(course.root, device, spec.id)
        assert record is not None  # the check's state is ok: resolve_threshold found it
        report.mistakes += calibrated_mistake_runs(report.assignment, spec.id, device, record)
        report.findings += calibrated_reference_findings(report.assignment, spec.id, device, record)


def _grading(
    submission: Literal["reference", "blank"],
    result: SubmissionResult,
    seed: int,
    device: str | None,
) -> Grading:
    wanted = {e.id: e.max_points if submission == "reference" else 0.0 for e in result.exercises}
    off = tuple(
        f"{e.id} {number(e.points)} / {number(e.max_points)}"
        for e in result.exercises
        if e.points != wanted[e.id]
    )
    return Grading(submission, seed, device, result.points, result.max_points, off)


def _require_graded(result: SubmissionResult, what: str) -> None:
    """The release check judges grades, so a grading the grader could not finish stops it."""
    problem = result.grader_problem or str(result.message)
    if result.status != "graded":
        raise GraderError(f"{result.assignment}: could not grade {what}: {problem}")
    for exercise in result.exercises:
        if exercise.status == "not_graded":
            raise GraderError(
                f"{result.assignment}: could not grade {exercise.id} in {what}: "
                f"{exercise.grader_problem}"
            )
