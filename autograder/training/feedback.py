"""What a student reads when a training check fails: the reached value against the threshold and
where that came from, the curve, and the usual causes; for a crash, the likely cause.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograder.i18n import N_, Text, join, t
from autograder.training.metrics import Metric
from autograder.training.settings import Threshold
from autograder.training.spec import TrainingSpec
from autograder.training.verdict import Scored, Verdict

#: How many points of the training curve a feedback message shows.
CURVE_POINTS = 8


def feedback(spec: TrainingSpec, scored: Scored, threshold: Threshold, verdict: Verdict) -> Text:
    """The reached value, the threshold and where it came from, the curve and the usual causes."""
    metric = spec.metric_spec
    train = scored.train
    steps = str(train.get("steps", "?"))
    best = metric.format(verdict.best) if verdict.best is not None else "-"
    needed = metric.format(threshold.value)
    reached = {
        "steps": steps,
        "seconds": f"{float(train.get('seconds', 0.0)):.1f}",
        "device": str(train.get("device", "?")),
        "metric": Text(template=metric.description),
        "best": best,
        "threshold": needed,
        "source": threshold.source,
    }
    sentences: list[Text | str] = [
        t(
            "after {steps} training steps ({seconds} s on {device}) your model reached a best "
            "{metric} of {best}; it needs at least {threshold} ({source}).",
            **reached,
        )
        if metric.higher_is_better
        else t(
            "after {steps} training steps ({seconds} s on {device}) your model reached a best "
            "{metric} of {best}; it needs at most {threshold} ({source}).",
            **reached,
        )
    ]
    if verdict.leaked:
        sentences.append(
            t(
                "That is below {floor}, lower than a correct model can reach: the model sees "
                "what it must predict (for example, it reads positions after the one it "
                "predicts).",
                floor=metric.format(threshold.floor or 0.0),
            )
        )
    stopped = train.get("stopped")
    if stopped == "seconds":
        sentences.append(
            t(
                "Training stopped at its time budget after {steps} steps: your model is much "
                "slower than the reference (or the grading machine was overloaded).",
                steps=steps,
            )
        )
    if stopped == "time_limit":
        sentences.append(
            t(
                "Training was cut off by the exercise's time limit after {steps} steps (one "
                "step or one evaluation of your model took very long) and was scored on the "
                "checkpoints it reached.",
                steps=steps,
            )
        )
    if stopped == "diverged":
        sentences.append(N_("Training stopped early because the loss became NaN or infinite."))
    sentences.append(
        t("Held-out score per checkpoint: {scores}.", scores=_checkpoint_text(metric, scored))
    )
    if scored.curve:
        sentences.append(
            t("Training loss on your own targets: {losses}.", losses=_curve_text(scored.curve))
        )
        own = _own_loss_warning(scored, threshold)
        if own is not None:
            sentences.append(own)
    causes = [
        t("({number}) {cause}", number=i, cause=Text(template=c))
        for i, c in enumerate(spec.causes, 1)
    ]
    sentences.append(t("Usual causes: {causes}", causes=join(causes)))
    return join(sentences)


def _checkpoint_text(metric: Metric, scored: Scored) -> Text:
    parts: list[Text | str] = [
        t("step {step}: {value}", step=step, value=metric.format(value))
        if value is not None
        else t("step {step}: {value}", step=step, value=problem or "-")
        for step, value, problem in zip(scored.steps, scored.values, scored.problems, strict=True)
    ]
    return join(parts, "; ")


def _curve_text(curve: list[list[float]]) -> Text:
    if len(curve) > CURVE_POINTS:
        picks = np.linspace(0, len(curve) - 1, CURVE_POINTS).round().astype(int)
        curve = [curve[i] for i in sorted(set(picks.tolist()))]
    parts: list[Text | str] = [
        t("step {step}: {value}", step=int(point[0]), value=format(float(point[2]), ".3g"))
        for point in curve
    ]
    return join(parts, ", ")


def _own_loss_warning(scored: Scored, threshold: Threshold) -> Text | None:
    """A training loss far below the reference's means the targets give the answer away."""
    reference = (threshold.calibration or {}).get("reference", {}).get("final_train_loss")
    final = float(scored.curve[-1][2])
    if reference and np.isfinite(final) and final < 0.25 * float(reference):
        return t(
            "Your own training loss fell to {final}, far below the reference's {reference}: the "
            "targets your code builds give the answer away (are they the inputs themselves, or "
            "shifted the wrong way?), so the model learns to copy instead of to predict.",
            final=format(final, ".3g"),
            reference=format(float(reference), ".3g"),
        )
    return None


_CRASH_HINTS = (
    (
        r"(expected scalar type Float but found Long|mat1 and mat2 must have the same dtype|"
        r"found dtype Long|Long.*Float|dtype.*Long)",
        N_(
            "an integer tensor reached a layer that needs floats (for example an int64 one-hot "
            "encoding into nn.Linear): build the encoding as float32"
        ),
    ),
    (
        r"(expected scalar type Long|Expected floating point type for target|"
        r"target.*Float|0D or 1D target tensor expected|multi-target not supported)",
        N_(
            "the targets must be integer (long) class ids of shape (batch,) or (batch, seq), not "
            "floats or one-hot rows"
        ),
    ),
    (
        r"view size is not compatible",
        N_(
            "`.view` cannot reshape a non-contiguous tensor (for example after `transpose`): use "
            "`.reshape` or `.contiguous().view`"
        ),
    ),
    (
        r"(size mismatch|shape|must match the size|Expected hidden)",
        N_(
            "a shape does not match what the training loop passes: check the unit checks of the "
            "model and of the data code first"
        ),
    ),
)


def crash_hint(error: dict[str, Any]) -> Text:
    """A sentence naming the usual cause of a crash during training, when one is recognised."""
    message = f"{error.get('type', '')}: {error.get('message', '')}"
    for pattern, hint in _CRASH_HINTS:
        if re.search(pattern, message):
            return t("Likely cause: {hint}.", hint=Text(template=hint))
    return t("The crash happened while the grader trained your model with its own loop.")
