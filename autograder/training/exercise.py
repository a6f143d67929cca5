"""A training check as the engine sees it: a plan with one "train" probe, and three checks.

The plan resolves the device, budget and threshold and prepares the data; the checks score the
held-out outputs the child returns with the grader's own targets (`training.verdict`).
"""

from __future__ import annotations

import numpy as np

from autograder.config import Course
from autograder.engine.checks import CheckFailure, explain_error
from autograder.engine.exercise import Context, Exercise, Plan, check
from autograder.i18n import t
from autograder.training.data import DataMissingError
from autograder.training.feedback import crash_hint, feedback
from autograder.training.settings import Threshold, budget_for, check_device, resolve_threshold
from autograder.training.spec import TrainingSpec
from autograder.training.verdict import EarlyStop, Scored, decide, score_answer, training_record


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


def _scored(ctx: Context) -> Scored:
    cached = ctx.plan.expected.get("_scored")
    if cached is None:
        answer = ctx.answer("train")
        spec = ctx.expected("spec")
        cached = score_answer(spec, answer.raw, answer.arrays, ctx.expected("targets"))
        ctx.plan.expected["_scored"] = cached
        ctx.details["training"] = training_record(spec, cached, ctx.expected("threshold"))
    return cached


@check("the grader's training loop ran your code without an error", gate=True, weight=0)
def trained(ctx: Context) -> None:
    answer = ctx.answer("train")
    if not answer.raw.get("ok"):
        details = answer.raw.get("error") or {}
        raise CheckFailure(
            t(
                "{error}. {hint}",
                error=explain_error(details, answer.places),
                hint=crash_hint(details),
            )
        )
    _scored(ctx)


@check("the model's outputs on held-out data are usable", gate=True, weight=0)
def outputs_usable(ctx: Context) -> None:
    scored = _scored(ctx)
    for step, problem in zip(scored.steps, scored.problems, strict=True):
        if problem is not None:
            raise CheckFailure(t("at step {step}, {problem}", step=step, problem=problem))


@check("the trained model reaches the calibrated threshold on held-out data")
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
        expected=" ".join(
            (metric.name, "≥" if metric.higher_is_better else "≤", metric.format(threshold.value))
        ),
        actual=t(
            "{best} (best of {n} checkpoints)",
            best=metric.format(verdict.best) if verdict.best is not None else "-",
            n=len(scored.values),
        ),
    )
