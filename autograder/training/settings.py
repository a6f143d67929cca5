"""What grader.yaml and the calibration files say about one training check: the device class it
trains on, its budget (steps, seconds, checkpoints) and the threshold it is graded against.

A threshold is only trusted when a committed calibration made for the same recipe and budget
backs it; otherwise grading refuses, unless grader.yaml explicitly allows an uncalibrated number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.config import Course, Training, TrainingBudget
from autograder.errors import GraderError
from autograder.i18n import N_, Text, t
from autograder.training import calibration
from autograder.training.device import device_class
from autograder.training.spec import TrainingSpec


def check_device(course: Course, spec: TrainingSpec) -> str:
    """The device class a check trains on: a check without a cuda budget trains on the CPU.

    Some recipes are bound by kernel launches (a batch of 16 short names, one sentence): they
    run several times faster on the CPU than on a GPU, so grader.yaml gives them no cuda budget.
    """
    device = device_class(course)
    if device == "cuda" and "cuda" not in training_config(course, spec).budgets:
        return "cpu"
    return device


def training_config(course: Course, spec: TrainingSpec) -> Training:
    exercise = course.config.assignment(spec.assignment).exercises.get(spec.id)
    if exercise is None or exercise.training is None:
        raise GraderError(f"grader.yaml has no `training:` entry for {spec.assignment}.{spec.id}")
    if exercise.training.metric != spec.metric:
        raise GraderError(
            f"{spec.id}: grader.yaml names the metric {exercise.training.metric!r}, but the "
            f"grader's recipe computes {spec.metric!r}"
        )
    return exercise.training


def budget_for(course: Course, spec: TrainingSpec, device: str) -> TrainingBudget:
    config = training_config(course, spec)
    if device not in config.budgets:
        raise GraderError(
            f"{spec.id}: grader.yaml gives no training budget for the device class {device!r} "
            f"(it has {', '.join(config.budgets)})"
        )
    return config.budgets[device]


@dataclass(frozen=True)
class Threshold:
    value: float
    floor: float | None
    source: Text | str
    calibration: dict[str, Any] | None


def resolve_threshold(course: Course, spec: TrainingSpec, device: str) -> Threshold:
    """The threshold to grade with, or a GraderError when no calibration backs it.

    With `threshold: calibrated` the value comes from calibration/<device>/<id>.json, which must
    have been made for the current recipe and budget (its fingerprint). A number in grader.yaml
    must equal the calibrated one. `allow_uncalibrated: true` lifts both requirements.
    """
    config = training_config(course, spec)
    budget = budget_for(course, spec, device)
    found = calibration.load(course.root, device, spec.id)
    where = calibration.relative_path(device, spec.id)
    problem = None
    if found is None:
        problem = f"there is no calibration for the device class {device!r} ({where} is missing)"
    elif found.get("fingerprint") != spec.fingerprint(budget):
        problem = (
            f"{where} was made for another recipe or budget than grader.yaml's (steps, "
            "checkpoints or the grader's recipe changed since)"
        )
    elif (
        config.threshold != "calibrated"
        and abs(float(config.threshold) - found["threshold"]) > 1e-9
    ):
        problem = (
            f"grader.yaml's threshold {config.threshold} differs from the calibrated "
            f"{found['threshold']} in {where}"
        )
    if problem is None and found is not None:
        source = t(
            "calibrated on {n} seeds of the reference ({device}): mean {mean}, sd {sd}",
            n=int(found["reference"]["n"]),
            device=str(found["device_name"]),
            mean=format(found["reference"]["mean"], ".4g"),
            sd=format(found["reference"]["sd"], ".2g"),
        )
        return Threshold(float(found["threshold"]), found.get("floor"), source, found)
    if not config.allow_uncalibrated:
        raise GraderError(
            f"{spec.assignment}.{spec.id}: refusing to grade: {problem}. Run `rnn-grader "
            f"calibrate --exercise {spec.id} --device {device}`, or set "
            "`allow_uncalibrated: true` with a numeric threshold in its training entry"
        )
    if config.threshold == "calibrated":
        raise GraderError(
            f"{spec.assignment}.{spec.id}: {problem}, and `threshold: calibrated` gives no value "
            "to fall back on; write a number"
        )
    return Threshold(
        float(config.threshold), None, N_("set by hand in grader.yaml (uncalibrated)"), None
    )
