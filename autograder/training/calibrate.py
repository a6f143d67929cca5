"""`rnn-grader calibrate`: train the reference over many seeds and every known mistake over a few,
set the threshold (calibration.py has the method) and write the committed file and its report.

The runs go through the sandbox by default (sandboxed.py says why: it is the route grading
trains on), several at a time with `workers`; `through="in-process"` trains them here, one after
the other, where no confinement tier holds. Both routes train the full budget, and the JSON
records which one made it (`through`, and the confinement `tier`).
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import torch

from autograder.config import Course
from autograder.errors import GraderError
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.tiers import isolation_for
from autograder.training import calibration
from autograder.training.data import DataMissingError
from autograder.training.device import sandbox_cuda_problem
from autograder.training.local import (
    RunKey,
    TrainingRun,
    best_value,
    final_value,
    train_in_process,
)
from autograder.training.sandboxed import SandboxTrainer
from autograder.training.settings import Threshold, budget_for
from autograder.training.spec import TrainingSpec
from autograder.training.verdict import decide

FIRST_SEED = 1000
#: The routes a calibration's runs can take; the JSON's `through` says which one made it.
THROUGH = ("sandbox", "in-process")


def calibrate(
    course: Course,
    spec: TrainingSpec,
    device: str,
    seeds: int,
    mistake_seeds: int,
    command: str,
    say: Callable[[str], None] = print,
    *,
    through: str = "sandbox",
    workers: int = 1,
    isolation: Isolation | None = None,
) -> dict[str, Any]:
    """Calibrate one training check on one device class; returns the record it wrote.

    `isolation` (sandbox route only) defaults to the tier proven for `course`; worker k runs
    in its slot k. The reference's runs start first, and the first one that does not train
    its full budget stops the calibration before the rest are trained.
    """
    if through not in THROUGH:
        raise GraderError(f"calibration runs go through {' or '.join(THROUGH)}, not {through!r}")
    budget = budget_for(course, spec, device)
    try:
        prepared = spec.prepared(course.config.resolved_data_dir())
    except DataMissingError as error:
        raise GraderError(str(error)) from None
    if through == "sandbox":
        isolation = isolation or isolation_for(course)
        if device == "cuda" and (problem := sandbox_cuda_problem(course.config.limits, isolation)):
            raise GraderError(f"--device cuda: {problem}")
    elif device == "cuda" and not torch.cuda.is_available():
        raise GraderError("--device cuda: no GPU is visible here")
    keys: list[RunKey] = [(None, FIRST_SEED + n) for n in range(seeds)]
    keys += [(m, FIRST_SEED + n) for m in spec.mistakes for n in range(mistake_seeds)]
    refused: list[str] = []

    def on_run(key: RunKey, run: TrainingRun) -> bool:
        mistake, seed = key
        what = "reference" if mistake is None else f"mistake '{mistake.name}'"
        say(f"{spec.id} {what} seed {seed}: {_describe(run)}")
        if mistake is None and (problem := _untrained(run)):
            refused.append(f"seed {seed} {problem}")
        return not refused

    if through == "sandbox":
        assert isolation is not None
        trainer = SandboxTrainer(course, spec, prepared, budget, device, isolation)
        runs = trainer.train(keys, on_run, workers)
    else:
        runs = train_in_process(spec, prepared, budget, device, keys, on_run)
    if refused:
        raise GraderError(f"{spec.id}: the reference does not train: {refused[0]}")
    metric = spec.metric_spec
    reference = [runs[(None, FIRST_SEED + n)] for n in range(seeds)]
    finals = np.array([final_value(run) for run in reference], dtype=np.float64)
    stats = calibration.reference_statistics(finals, metric.higher_is_better)
    mistakes: list[dict[str, Any]] = []
    for mistake in spec.mistakes:
        tried = [runs[(mistake, FIRST_SEED + n)] for n in range(mistake_seeds)]
        mistakes.append(
            {
                "name": mistake.name,
                "block": mistake.block,
                "effect": mistake.effect,
                "seeds": [run.seed for run in tried],
                "best": [best_value(spec, run) for run in tried],
                "problems": [_problem(run) for run in tried],
                "runs": tried,
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
    record.update(
        status=status,
        problem=problem,
        through=through,
        tier=isolation.confinement if through == "sandbox" and isolation else None,
        workers=workers if through == "sandbox" else 1,
    )
    gate = Threshold(threshold, floor, "calibration", None) if threshold is not None else None
    for mistake in mistakes:
        tried = mistake.pop("runs")
        mistake["verdict"] = _verdict(spec, tried, gate)
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
    reference: list[TrainingRun],
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


def _describe(run: TrainingRun) -> str:
    if run.error:
        return f"crashed ({run.error[:200]})"
    assert run.scored is not None
    values = [
        f"{v:.4g}" if v is not None else f"unusable ({p})"
        for v, p in zip(run.scored.values, run.scored.problems, strict=True)
    ]
    train = run.scored.train
    stopped = train.get("stopped", "steps")
    cut = "" if stopped == "steps" else f", stopped: {stopped} at step {train.get('steps')}"
    return (
        f"{' -> '.join(values)} in {train.get('seconds', 0):.1f} s on "
        f"{train.get('device_name', '?')}{cut}"
    )


def _untrained(run: TrainingRun) -> str | None:
    """Why a reference run cannot back a threshold: a crash, unusable outputs, or a run that
    stopped before its full budget (its time budget, on a machine too loaded for `workers`)."""
    if run.error or run.scored is None:
        return f"crashed ({(run.error or '')[:300]})"
    if final_value(run) is None:
        return f"returned unusable outputs ({_problem(run)})"
    stopped = run.scored.train.get("stopped", "steps")
    if stopped != "steps":
        return (
            f"stopped before its budget ({stopped} at step {run.scored.train.get('steps')}); "
            "with --workers, try fewer"
        )
    return None


def _problem(run: TrainingRun) -> str | None:
    if run.error:
        return run.error[:300]
    assert run.scored is not None
    return next((p for p in run.scored.problems if p), None)


def _verdict(spec: TrainingSpec, runs: list[TrainingRun], gate: Threshold | None) -> str:
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


def _decision_seconds(spec: TrainingSpec, run: TrainingRun, gate: Threshold) -> float:
    assert run.scored is not None
    verdict = decide(spec.metric_spec, run.scored, gate)
    if verdict.passed and verdict.decided_seconds is not None:
        return verdict.decided_seconds
    return float(run.scored.train.get("seconds", 0.0))
