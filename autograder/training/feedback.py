"""What a student reads when a training check fails: the reached value against the threshold and
where that came from, the curve, and the usual causes; for a crash, the likely cause.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograder.training.metrics import Metric
from autograder.training.settings import Threshold
from autograder.training.spec import TrainingSpec
from autograder.training.verdict import Scored, Verdict

#: How many points of the training curve a feedback message shows.
CURVE_POINTS = 8


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
