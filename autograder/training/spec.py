"""One training check: what it trains, how it is scored, and its plan and checks for the engine.

A `TrainingSpec` holds the grader's recipe choices (hyperparameters, data subset, metric) and
the known mistakes calibration runs; `make_exercise` turns it into an engine `Exercise` whose
plan asks the child for one "train" probe and whose checks score the returned held-out outputs
with the grader's own targets. The budget (steps, seconds, checkpoints per device class) and the
threshold source come from the exercise's `training:` entry in grader.yaml; the threshold
itself from the committed calibration file of the current device class (calibration.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.config import Course, Training, TrainingBudget
from autograder.engine.checks import Answer, CheckFailure, MalformedAnswer, Value, explain_error
from autograder.engine.exercise import Context, Exercise, Plan, check
from autograder.engine.result import TrainingRecord
from autograder.errors import GraderError
from autograder.training import calibration
from autograder.training.data import DataMissingError, Prepared
from autograder.training.device import device_class
from autograder.training.metrics import METRICS, Metric, UnusableOutputError

#: How many points of the training curve a feedback message shows.
CURVE_POINTS = 8


@dataclass(frozen=True)
class TrainingMistake:
    """A realistic bug that passes the unit checks' shapes but should fail the training check.

    `replace` rewrites the code of the unit exercise `block` (its question block in the master
    notebook, and the same text in `solutions/<module>.py`, where calibration applies it).
    """

    name: str
    block: str
    module: str
    replace: tuple[str, str]
    effect: str


@dataclass(frozen=True)
class TrainingSpec:
    """The grader's recipe for one training check (everything grader.yaml does not set)."""

    id: str
    assignment: str
    title: str
    recipe: str
    metric: str
    module: str
    params: dict[str, Any]
    prepare: Callable[..., Prepared]
    data: dict[str, Any]
    parts: dict[str, Any]
    expected: dict[str, Any]
    mistakes: tuple[TrainingMistake, ...]
    causes: tuple[str, ...]
    #: the reference cannot plausibly reach a held-out loss below this share of its own lower
    #: bound; below it, the model sees what it must predict (a language model only).
    leak_floor: bool = False
    half_outputs: bool = False
    depends_on: tuple[str, ...] = ()
    curve_every: int = 25

    @property
    def metric_spec(self) -> Metric:
        return METRICS[self.metric]

    def prepared(self, data_dir: Path) -> Prepared:
        return self.prepare(data_dir, **self.data)

    def fingerprint(self, budget: TrainingBudget) -> str:
        """What a calibration is valid for: recipe, data selection, steps and checkpoints."""
        return calibration.fingerprint(
            {
                "exercise": self.id,
                "recipe": self.recipe,
                "metric": self.metric,
                "params": self.params,
                "data": self.data,
                "parts": self.parts,
                "steps": budget.steps,
                "checkpoints": sorted(budget.checkpoints),
            }
        )

    def probe(
        self, prepared: Prepared, budget: TrainingBudget, device: str, seed: int
    ) -> dict[str, Any]:
        """The "train" probe: plain data naming the student's objects and the grader's arrays."""
        return {
            "kind": "train",
            "recipe": self.recipe,
            "seed": seed,
            "device": device,
            "budget": {
                "steps": budget.steps,
                "seconds": budget.seconds,
                "checkpoints": sorted(budget.checkpoints),
                "curve_every": self.curve_every,
            },
            "params": self.params,
            "half_outputs": self.half_outputs,
            "data": {key: {"array": key} for key in prepared.arrays},
            **_fill(self.parts, prepared),
        }

    def expected_for(self, prepared: Prepared) -> dict[str, np.ndarray]:
        return {**prepared.expected, **{k: np.asarray(v) for k, v in self.expected.items()}}


def _fill(value: Any, prepared: Prepared) -> Any:
    """Replace {"info": key} by the prepared data's value (a vocabulary the model is built on)."""
    if isinstance(value, dict):
        if set(value) == {"info"}:
            found = prepared.info[value["info"]]
            return {"value": list(found) if isinstance(found, (list, tuple)) else found}
        return {key: _fill(item, prepared) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, prepared) for item in value]
    return value


# --- what grader.yaml and the calibration files say ----------------------------------------------


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
    source: str
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
        source = (
            f"calibrated on {found['reference']['n']} seeds of the reference "
            f"({found['device_name']}): mean {found['reference']['mean']:.4g}, "
            f"sd {found['reference']['sd']:.2g}"
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
        float(config.threshold), None, "set by hand in grader.yaml (uncalibrated)", None
    )


# --- the exercise ----------------------------------------------------------------------------


def make_exercise(spec: TrainingSpec) -> Exercise:
    """The engine's view of a training check: a plan with one "train" probe, three checks."""

    def plan(rng: np.random.Generator, course: Course) -> Plan:
        device = check_device(course, spec)
        budget = budget_for(course, spec, device)
        threshold = resolve_threshold(course, spec, device)
        result = Plan()
        result.expected.update(
            spec=spec, budget=budget, device=device, threshold=threshold, grader_error=None
        )
        try:
            prepared = spec.prepared(course.config.resolved_data_dir())
        except DataMissingError as error:
            # The engine's score() makes this exercise "not_graded": staff read this message,
            # the student a sentence that names no path or setting.
            result.expected["grader_error"] = str(error)
            return result
        seed = int(rng.integers(2**31 - 1))
        result.probes["train"] = spec.probe(prepared, budget, device, seed)
        result.arrays.update(prepared.arrays)
        result.expected["targets"] = spec.expected_for(prepared)
        result.on_checkpoint = EarlyStop(spec.metric_spec, threshold, result.expected["targets"])
        return result

    checks = (trained, outputs_usable, reaches_threshold)
    return Exercise(
        spec.id, spec.assignment, spec.title, plan, checks, (), spec.depends_on, uses_course=True
    )


@dataclass
class Scored:
    """The checkpoints of one run, each with its metric value (or the problem with its outputs)."""

    steps: list[int]
    seconds: list[float]
    values: list[float | None]
    problems: list[str | None]
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
                raise UnusableOutputError(f"the model returned {outputs.describe()}, not a tensor")
            values.append(metric.compute(outputs.array(), targets))
            problems.append(None)
        except UnusableOutputError as problem:
            values.append(None)
            problems.append(str(problem))
    train = raw.get("train") if isinstance(raw.get("train"), dict) else {}
    curve = raw.get("curve") if isinstance(raw.get("curve"), list) else []
    return Scored(steps, seconds, values, problems, train, curve)


def _scored(ctx: Context) -> Scored:
    cached = ctx.plan.expected.get("_scored")
    if cached is None:
        answer = ctx.answer("train")
        spec = ctx.expected("spec")
        cached = score_answer(spec, answer.raw, answer.arrays, ctx.expected("targets"))
        ctx.plan.expected["_scored"] = cached
        ctx.details["training"] = training_record(spec, cached, ctx.expected("threshold"))
    return cached


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


@check(
    "the grader's training loop ran your code without an error",
    hidden=False,
    gate=True,
    weight=0,
)
def trained(ctx: Context) -> None:
    answer = ctx.answer("train")
    if not answer.raw.get("ok"):
        details = answer.raw.get("error") or {}
        raise CheckFailure(explain_error(details) + crash_hint(details))
    _scored(ctx)


@check("the model's outputs on held-out data are usable", hidden=False, gate=True, weight=0)
def outputs_usable(ctx: Context) -> None:
    scored = _scored(ctx)
    for step, problem in zip(scored.steps, scored.problems, strict=True):
        if problem is not None:
            raise CheckFailure(f"at step {step}, {problem}")


@check("the trained model reaches the calibrated threshold on held-out data", hidden=False)
def reaches_threshold(ctx: Context) -> None:
    spec: TrainingSpec = ctx.expected("spec")
    threshold: Threshold = ctx.expected("threshold")
    scored = _scored(ctx)
    metric = spec.metric_spec
    verdict = decide(metric, scored, threshold)
    if verdict.passed:
        return
    raise CheckFailure(
        feedback(spec, scored, threshold, verdict),
        expected=f"{metric.name} {'≥' if metric.higher_is_better else '≤'} "
        f"{metric.format(threshold.value)}",
        actual=f"{metric.format(verdict.best)} (best of {len(scored.values)} checkpoints)",
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


def feedback(spec: TrainingSpec, scored: Scored, threshold: Threshold, verdict: Verdict) -> str:
    """The reached value, the threshold and where it came from, the curve and the usual causes."""
    metric = spec.metric_spec
    train = scored.train
    needs = "at least" if metric.higher_is_better else "at most"
    seconds = float(train.get("seconds", 0.0))
    lines = [
        f"after {train.get('steps', '?')} training steps ({seconds:.1f} s on "
        f"{train.get('device', '?')}) your model reached a best {metric.description} of "
        f"{metric.format(verdict.best)}; it needs {needs} {metric.format(threshold.value)} "
        f"({threshold.source})."
    ]
    if verdict.leaked:
        lines.append(
            f"That is below {metric.format(threshold.floor or 0.0)}, lower than a correct model "
            "can reach: the model sees what it must predict (for example, it reads positions "
            "after the one it predicts)."
        )
    if train.get("stopped") == "seconds":
        lines.append(
            f"Training stopped at its time budget after {train.get('steps')} steps: your model is "
            "much slower than the reference (or the grading machine was overloaded)."
        )
    if train.get("stopped") == "time_limit":
        lines.append(
            f"Training was cut off by the exercise's time limit after {train.get('steps')} "
            "steps (one step or one evaluation of your model took very long) and was scored on "
            "the checkpoints it reached."
        )
    if train.get("stopped") == "diverged":
        lines.append("Training stopped early because the loss became NaN or infinite.")
    lines.append("Held-out score per checkpoint: " + _checkpoint_text(metric, scored) + ".")
    if scored.curve:
        lines.append("Training loss on your own targets: " + _curve_text(scored.curve) + ".")
        own = _own_loss_warning(spec, scored, threshold)
        if own:
            lines.append(own)
    lines.append("Usual causes: " + " ".join(f"({i}) {c}" for i, c in enumerate(spec.causes, 1)))
    return " ".join(lines)


def _checkpoint_text(metric: Metric, scored: Scored) -> str:
    parts = []
    for step, value, problem in zip(scored.steps, scored.values, scored.problems, strict=True):
        parts.append(f"step {step}: " + (metric.format(value) if value is not None else problem))
    return "; ".join(parts)


def _curve_text(curve: list[list[float]]) -> str:
    if len(curve) > CURVE_POINTS:
        picks = np.linspace(0, len(curve) - 1, CURVE_POINTS).round().astype(int)
        curve = [curve[i] for i in sorted(set(picks.tolist()))]
    return ", ".join(f"step {int(point[0])}: {float(point[2]):.3g}" for point in curve)


def _own_loss_warning(spec: TrainingSpec, scored: Scored, threshold: Threshold) -> str:
    """A training loss far below the reference's means the targets give the answer away."""
    reference = (threshold.calibration or {}).get("reference", {}).get("final_train_loss")
    final = float(scored.curve[-1][2])
    if reference and np.isfinite(final) and final < 0.25 * float(reference):
        return (
            f"Your own training loss fell to {final:.3g}, far below the reference's "
            f"{float(reference):.3g}: the targets your code builds give the answer away (are "
            "they the inputs themselves, or shifted the wrong way?), so the model learns to "
            "copy instead of to predict."
        )
    return ""


_CRASH_HINTS = (
    (
        r"(expected scalar type Float but found Long|mat1 and mat2 must have the same dtype|"
        r"found dtype Long|Long.*Float|dtype.*Long)",
        "an integer tensor reached a layer that needs floats (for example an int64 one-hot "
        "encoding into nn.Linear): build the encoding as float32",
    ),
    (
        r"(expected scalar type Long|Expected floating point type for target|"
        r"target.*Float|0D or 1D target tensor expected|multi-target not supported)",
        "the targets must be integer (long) class ids of shape (batch,) or (batch, seq), not "
        "floats or one-hot rows",
    ),
    (
        r"view size is not compatible",
        "`.view` cannot reshape a non-contiguous tensor (for example after `transpose`): use "
        "`.reshape` or `.contiguous().view`",
    ),
    (
        r"(size mismatch|shape|must match the size|Expected hidden)",
        "a shape does not match what the training loop passes: check the unit checks of the "
        "model and of the data code first",
    ),
)


def crash_hint(error: dict[str, Any]) -> str:
    """A sentence naming the usual cause of a crash during training, when one is recognised."""
    message = f"{error.get('type', '')}: {error.get('message', '')}"
    for pattern, hint in _CRASH_HINTS:
        if re.search(pattern, message):
            return f". Likely cause: {hint}."
    return ". The crash happened while the grader trained your model with its own loop."
