"""Scoring a training run: the metric at every checkpoint, the verdict, and the early stop.

The child returns raw held-out outputs; the grader computes the metric with its own targets, so
that nothing the student's code reports about itself decides the grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.engine.checks import Answer, MalformedAnswer, Value
from autograder.engine.result import TrainingRecord
from autograder.i18n import Text, t
from autograder.training.metrics import Metric, UnusableOutputError
from autograder.training.settings import Threshold
from autograder.training.spec import TrainingSpec


@dataclass
class Scored:
    """The checkpoints of one run, each with its metric value (or the problem with its outputs)."""

    steps: list[int]
    seconds: list[float]
    values: list[float | None]
    problems: list[Text | str | None]
    train: dict[str, Any]
    curve: list[list[float]]


def score_answer(
    spec: TrainingSpec, raw: dict[str, Any], arrays: dict[str, np.ndarray], targets: dict
) -> Scored:
    """Compute the metric at every checkpoint from the raw outputs the child returned."""
    answer = Answer(raw, arrays)
    answer.require_ok()
    checkpoints = raw.get("checkpoints")
    if not isinstance(checkpoints, list) or not checkpoints:
        raise MalformedAnswer("the training run returned no checkpoint")
    metric = spec.metric_spec
    steps, seconds, values, problems = [], [], [], []
    for point in checkpoints:
        steps.append(int(point.get("step", 0)))
        seconds.append(float(point.get("seconds", 0.0)))
        outputs = Value(point.get("outputs", {}), arrays)
        try:
            if outputs.type != "tensor":
                raise UnusableOutputError(
                    t("the model returned {value}, not a tensor", value=outputs.describe())
                )
            values.append(metric.compute(outputs.array(), targets))
            problems.append(None)
        except UnusableOutputError as problem:
            values.append(None)
            problems.append(problem.args[0] if problem.args else str(problem))
    train = raw.get("train") if isinstance(raw.get("train"), dict) else {}
    curve = raw.get("curve") if isinstance(raw.get("curve"), list) else []
    return Scored(steps, seconds, values, problems, train, curve)


def training_record(spec: TrainingSpec, scored: Scored, threshold: Threshold) -> TrainingRecord:
    """The result's account of the run. The child's own words are cut to plain values."""
    train = scored.train
    verdict = decide(spec.metric_spec, scored, threshold)

    def number(key: str, kind: type = int) -> Any:
        value = train.get(key)
        return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    def text(key: str) -> str:
        return str(train.get(key, "?"))[:80]

    return TrainingRecord(
        recipe=spec.recipe,
        device=text("device"),
        device_name=text("device_name"),
        torch_version=text("torch"),
        seed=number("seed"),
        numpy_seed=number("numpy_seed"),
        random_seed=number("random_seed"),
        steps=number("steps"),
        seconds=number("seconds", float),
        eval_seconds=number("eval_seconds", float),
        stopped=text("stopped"),
        metric=spec.metric,
        threshold=threshold.value,
        best=verdict.best,
        decided_step=verdict.decided_step,
        decided_seconds=verdict.decided_seconds,
        checkpoints=list(zip(scored.steps, scored.values, strict=True)),
        curve=[(int(p[0]), float(p[2])) for p in scored.curve if _is_curve_point(p)],
    )


def _is_curve_point(point: Any) -> bool:
    return (
        isinstance(point, list)
        and len(point) == 3
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in point)
    )


@dataclass(frozen=True)
class Verdict:
    passed: bool
    best: float | None
    decided_step: int | None
    decided_seconds: float | None
    leaked: bool


def decide(metric: Metric, scored: Scored, threshold: Threshold) -> Verdict:
    """Pass at the first checkpoint that meets the threshold; a value past the floor never does.

    Calibration sets the threshold on the reference's last checkpoint, so deciding at an
    earlier one only ends a run sooner; the mistakes are calibrated on their best checkpoint.
    """
    values = [v for v in scored.values if v is not None]
    best = values[0] if values else None
    for value in values[1:]:
        best = metric.better(best, value)
    leaked = _leaked(values, threshold)
    if not leaked:
        for step, seconds, value in zip(scored.steps, scored.seconds, scored.values, strict=True):
            if value is not None and metric.passes(value, threshold.value):
                return Verdict(True, best, step, seconds, False)
    return Verdict(False, best, None, None, leaked)


def _leaked(values: list[float], threshold: Threshold) -> bool:
    """A value past the floor: the model saw what it must predict; it never passes."""
    return threshold.floor is not None and any(v < threshold.floor for v in values)


class EarlyStop:
    """Decides at each streamed checkpoint whether the run may end: is the verdict known?

    The same rule as `decide`: the first checkpoint that meets the threshold passes, unless a
    checkpoint so far went past the floor, which fails the run whatever follows. The outputs are
    untrusted; anything unusable means "go on", and the final scoring reports the problem.
    """

    def __init__(self, metric: Metric, threshold: Threshold, targets: dict[str, Any]) -> None:
        self.metric = metric
        self.threshold = threshold
        self.targets = targets
        self.values: list[float] = []

    def __call__(self, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bool:
        try:
            outputs = Value(header.get("outputs", {}), arrays)
            if outputs.type != "tensor":
                return False
            value = self.metric.compute(outputs.array(), self.targets)
        except Exception:  # noqa: BLE001 - malformed child data; the final scoring explains it
            return False
        self.values.append(value)
        return _leaked(self.values, self.threshold) or self.metric.passes(
            value, self.threshold.value
        )
