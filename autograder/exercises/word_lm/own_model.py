"""The loss a correct evaluate gets on the student's own RNNModel, so that evaluate is judged on
its own part: a mistake in RNNModel.forward is rnn_model_forward's and costs nothing here.

Beside each evaluate probe the child runs the student's model (the grader's weights, eval mode)
over the same batches as evaluate does, the state carried from batch to batch, and the grader
scores those outputs as the reference evaluate would. The run first builds a second model of the
same class and arguments: an evaluate probe builds its model after the probe's seed, so the
random draws of the batches then start from the same place in both probes, and a model that
still draws in eval mode (dropout left on) draws the same masks as under the student's evaluate.
A model whose outputs cannot stand in for the reference's (an error, log-probabilities of
another shape) leaves the reference's loss as the target.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograder.engine.checks import CheckFailure
from autograder.engine.exercise import Context, Plan
from autograder.exercises.common import target


def own_model_probe(plan: Plan, key: str, args: list, state: str, data: np.ndarray) -> None:
    """Probe `<key>.own`: the student's model run over `data` as evaluate runs it."""
    batches = [plan.array(f"{key}.batch{number}", batch) for number, batch in enumerate(data)]
    steps: list[dict[str, Any]] = [
        {"method": "__class__", "args": [{"value": arg} for arg in args]},
        {"method": "init_hidden", "args": [{"value": int(data.shape[1])}]},
    ]
    for number, batch in enumerate(batches):
        hidden = {"step": 1} if number == 0 else {"step": number + 1, "path": [1]}
        steps.append({"args": [batch, hidden]})
    plan.probes[f"{key}.own"] = {
        "kind": "object",
        "target": target("RNNModel"),
        "init": {"args": [{"value": arg} for arg in args]},
        "state": state,
        "mode": "eval",
        "steps": steps,
    }
    plan.expected[f"{key}.vocab"] = int(args[1])


def own_model_loss(ctx: Context, key: str) -> float | None:
    """The mean per-batch loss of the student's model on probe `key`'s data, or None when its
    outputs cannot stand in for the reference's."""
    answer = ctx.answer(f"{key}.own")
    if not answer.raw.get("ok"):
        return None
    data = ctx.plan.arrays[f"{key}.data"]
    shape = (*data.shape[1:], ctx.expected(f"{key}.vocab"))
    try:
        outputs = [_log_prob(answer.step(step).item(0), shape) for step in range(2, len(data) + 2)]
    except CheckFailure:
        return None
    if any(output is None for output in outputs):
        return None
    losses = [_batch_loss(output, batch) for output, batch in zip(outputs, data, strict=False)]
    loss = float(np.mean(losses))
    return loss if np.isfinite(loss) else None


def _log_prob(value: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    if value.type != "tensor" or value.shape != shape or value.dtype not in {"float32", "float64"}:
        return None
    return value.array().astype(np.float64)


def _batch_loss(log_prob: np.ndarray, batch: np.ndarray) -> float:
    """train's loss of one batch: the output at position t scored against the word at t+1."""
    rows, steps = np.indices((batch.shape[0], batch.shape[1] - 1))
    return float(-np.mean(log_prob[rows, steps, batch[:, 1:]]))
