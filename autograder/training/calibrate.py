"""`rnn-grader calibrate`: train the reference over many seeds and every known mistake over a few,
set the threshold (calibration.py has the method) and write the committed file and its report.
"""

from __future__ import annotations

import importlib
import platform
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import torch

from autograder.config import Course
from autograder.errors import GraderError
from autograder.training import calibration
from autograder.training.data import DataMissingError
from autograder.training.local import LocalRun, best_value, final_value, train_once
from autograder.training.spec import (
    Threshold,
    TrainingSpec,
    budget_for,
    decide,
)

FIRST_SEED = 1000


def training_specs(course: Course) -> dict[str, TrainingSpec]:
    """Every training check grader.yaml lists, by exercise id."""
    found: dict[str, TrainingSpec] = {}
    for assignment, spec in course.config.assignments.items():
        wanted = [e for e, entry in spec.exercises.items() if entry.training is not None]
        if not wanted:
            continue
        module = importlib.import_module(f"autograder.exercises.{assignment}_training")
        specs = {item.id: item for item in module.SPECS}
        for exercise_id in wanted:
            if exercise_id not in specs:
                raise GraderError(f"{assignment}: no training recipe defines {exercise_id!r}")
            found[exercise_id] = specs[exercise_id]
    return found


def calibrate(
    course: Course,
    spec: TrainingSpec,
    device: str,
    seeds: int,
    mistake_seeds: int,
    command: str,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Calibrate one training check on one device class; returns the record it wrote."""
    if device == "cuda" and not torch.cuda.is_available():
        raise GraderError("--device cuda: no GPU is visible here")
    budget = budget_for(course, spec, device)
    try:
        prepared = spec.prepared(course.config.resolved_data_dir())
    except DataMissingError as error:
        raise GraderError(str(error)) from None
    metric = spec.metric_spec
    reference: list[LocalRun] = []
    for number in range(seeds):
        run = train_once(spec, prepared, budget, device, FIRST_SEED + number)
        reference.append(run)
        say(f"{spec.id} reference seed {run.seed}: {_describe(run)}")
        if run.error or final_value(run) is None:
            raise GraderError(f"{spec.id}: the reference does not train: {_describe(run)}")
    finals = np.array([final_value(run) for run in reference], dtype=np.float64)
    stats = calibration.reference_statistics(finals, metric.higher_is_better)
    mistakes: list[dict[str, Any]] = []
    for mistake in spec.mistakes:
        runs = [
            train_once(spec, prepared, budget, device, FIRST_SEED + n, mistake)
            for n in range(mistake_seeds)
        ]
        for run in runs:
            say(f"{spec.id} mistake '{mistake.name}' seed {run.seed}: {_describe(run)}")
        mistakes.append(
            {
                "name": mistake.name,
                "block": mistake.block,
                "effect": mistake.effect,
                "seeds": [run.seed for run in runs],
                "best": [best_value(spec, run) for run in runs],
                "problems": [_problem(run) for run in runs],
                "runs": runs,
            }
        )
    valued = [v for m in mistakes for v in m["best"] if v is not None]
    worst = None
    for value in valued:
        worst = value if worst is None else metric.better(worst, value)
    status, problem = "ok", None
    try:
        threshold = calibration.place_threshold(stats["bound"], worst, metric.higher_is_better)
    except ValueError as error:
        status, problem, threshold = "failed", str(error), None
    floor = None
    if spec.leak_floor and not metric.higher_is_better and stats["other_bound"] > 0:
        floor = calibration.FLOOR_SHARE * stats["other_bound"]
    record = _record(course, spec, device, budget, command, stats, reference, threshold, floor)
    record.update(status=status, problem=problem)
    gate = Threshold(threshold, floor, "calibration", None) if threshold is not None else None
    for mistake in mistakes:
        runs = mistake.pop("runs")
        mistake["verdict"] = _verdict(spec, runs, gate)
        best = [v for v in mistake["best"] if v is not None]
        mistake["margin"] = (
            min(abs(v - threshold) for v in best) if best and threshold is not None else None
        )
        if gate is not None and mistake["verdict"].startswith("PASSES"):
            record.update(status="failed", problem=f"the mistake '{mistake['name']}' passes")
    record["mistakes"] = mistakes
    if gate is not None:
        record["reference"]["observed_failures"] = sum(
            not decide(metric, run.scored, gate).passed for run in reference if run.scored
        )
        record["reference"]["decision_seconds_mean"] = float(
            np.mean([_decision_seconds(spec, run, gate) for run in reference])
        )
    if record["status"] == "ok":
        calibration.write(course.root, device, spec.id, record)
    calibration.write_report(course.root, device, spec.id, record)
    if record["status"] != "ok":
        raise GraderError(
            f"{spec.id}: calibration failed: {record['problem']}; see "
            f"calibration/{device}/{spec.id}.failed.md (the calibration in force is unchanged)"
        )
    return record


def _record(
    course: Course,
    spec: TrainingSpec,
    device: str,
    budget: Any,
    command: str,
    stats: dict[str, float],
    reference: list[LocalRun],
    threshold: float | None,
    floor: float | None,
) -> dict[str, Any]:
    metric = spec.metric_spec
    finals = [final_value(run) for run in reference]
    seconds = [run.scored.train.get("seconds", 0.0) for run in reference if run.scored]
    train_losses = [run.scored.curve[-1][2] for run in reference if run.scored and run.scored.curve]
    first = reference[0].scored.train if reference[0].scored else {}
    false_fail = (
        calibration.false_fail_estimate(
            np.array(finals, dtype=np.float64), threshold, metric.higher_is_better
        )
        if threshold is not None
        else None
    )
    sign = 1.0 if metric.higher_is_better else -1.0
    margin_sd = (
        sign * (stats["mean"] - threshold) / stats["sd"]
        if threshold is not None and stats["sd"] > 0
        else None
    )
    return {
        "exercise": spec.id,
        "assignment": spec.assignment,
        "device_class": device,
        "device_name": first.get("device_name", device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": first.get("threads", 1),
        "created": date.today().isoformat(),
        "command": command,
        "fingerprint": spec.fingerprint(budget),
        "recipe": spec.recipe,
        "params": spec.params,
        "data": spec.data,
        "steps": budget.steps,
        "checkpoints": sorted(budget.checkpoints),
        "metric": spec.metric,
        "metric_description": metric.description,
        "higher_is_better": metric.higher_is_better,
        "threshold": threshold,
        "floor": floor,
        "false_fail_estimate": false_fail,
        "method": {
            "fit": "normal and log-normal on the last checkpoint; the more conservative bound",
            "coverage": calibration.COVERAGE,
            "confidence": calibration.CONFIDENCE,
            "k": stats["k"],
            "placement": "halfway between the tolerance bound and the best mistake",
        },
        "margins": {
            "reference_sd": margin_sd,
            "reference": abs(stats["mean"] - threshold) if threshold is not None else None,
        },
        "reference": {
            **stats,
            "seeds": [run.seed for run in reference],
            "final": finals,
            "best": [best_value(spec, run) for run in reference],
            "observed_failures": None,
            "train_seconds_mean": float(np.mean(seconds)),
            "train_seconds_max": float(np.max(seconds)),
            "wall_seconds_mean": float(np.mean([run.wall_seconds for run in reference])),
            "decision_seconds_mean": None,
            "final_train_loss": float(np.mean(train_losses)) if train_losses else None,
        },
    }


def _describe(run: LocalRun) -> str:
    if run.error:
        return f"crashed ({run.error[:200]})"
    assert run.scored is not None
    values = [
        f"{v:.4g}" if v is not None else f"unusable ({p})"
        for v, p in zip(run.scored.values, run.scored.problems, strict=True)
    ]
    return f"{' -> '.join(values)} in {run.scored.train.get('seconds', 0):.1f} s"


def _problem(run: LocalRun) -> str | None:
    if run.error:
        return run.error[:300]
    assert run.scored is not None
    return next((p for p in run.scored.problems if p), None)


def _verdict(spec: TrainingSpec, runs: list[LocalRun], gate: Threshold | None) -> str:
    """How a mistake fails on every seed (or that it passes on one: a calibration failure)."""
    reasons = []
    for run in runs:
        if run.error:
            reasons.append("crashes")
        elif run.scored is None or any(p for p in run.scored.problems):
            reasons.append("outputs unusable")
        elif gate is None:
            reasons.append("scored")
        else:
            verdict = decide(spec.metric_spec, run.scored, gate)
            if verdict.passed:
                return f"PASSES (seed {run.seed})"
            reasons.append("below the leak floor" if verdict.leaked else "misses the threshold")
    return "fails: " + ", ".join(sorted(set(reasons)))


def _decision_seconds(spec: TrainingSpec, run: LocalRun, gate: Threshold) -> float:
    assert run.scored is not None
    verdict = decide(spec.metric_spec, run.scored, gate)
    if verdict.passed and verdict.decided_seconds is not None:
        return verdict.decided_seconds
    return float(run.scored.train.get("seconds", 0.0))
