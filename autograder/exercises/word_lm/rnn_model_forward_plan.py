"""The probes of the rnn_model_forward exercise (kept apart from its checks for length).

Small reference models of every RNN type, in eval mode for values and in train mode for dropout.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.exercise import Plan
from autograder.exercises.common import cotangent, reference_grads, state_arrays, target, to_numpy
from autograder.exercises.word_lm.shared import reference_model

#: key: (rnn_type, vocab, embedding, hidden, layers, batch, first chunk); the second chunk's
#: length is drawn per plan. "course" and the three other types use the notebook's sizes.
FORWARD_CASES = {
    "course": ("LSTM", 50, 8, 12, 2, 3, 7),
    "gru": ("GRU", 30, 8, 12, 2, 2, 5),
    "tanh": ("RNN_TANH", 30, 8, 12, 2, 2, 5),
    "relu": ("RNN_RELU", 30, 8, 12, 2, 2, 5),
    "tiny": ("LSTM", 20, 6, 6, 1, 1, 1),
}


def forward_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases = dict(FORWARD_CASES)
    cases["random"] = (
        str(rng.choice(["LSTM", "GRU"])),
        int(rng.integers(20, 41)),
        int(rng.integers(4, 9)),
        int(rng.integers(5, 11)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 5)),
        int(rng.integers(2, 9)),
    )
    for key, (rnn_type, vocab, embedding, hidden, layers, batch, first) in cases.items():
        model, args = reference_model(rng, rnn_type, vocab, embedding, hidden, layers)
        second = 1 if key == "tiny" else int(rng.integers(1, 7))
        ids = rng.integers(0, vocab, size=(batch, first + second)).astype(np.int64)
        x1, x2 = ids[:, :first], ids[:, first:]
        steps = [
            {"method": "init_hidden", "args": [{"value": batch}]},
            {"args": [plan.array(f"{key}.x1", x1), {"step": 0}]},
            {"args": [plan.array(f"{key}.x2", x2), {"step": 1, "path": [1]}]},
        ]
        if key == "course":
            steps.append({"args": [plan.array(f"{key}.x", ids), {"step": 0}]})
            # The gate's probe makes one call only, so that a wrong return value is reported
            # as such rather than as a failure of the next call that uses it.
            _object_probe(plan, "first_call", model, args, steps[:2])
        _object_probe(plan, key, model, args, steps)
        with torch.no_grad():
            log_prob1, hidden1 = model(torch.from_numpy(x1), model.init_hidden(batch))
            log_prob2, hidden2 = model(torch.from_numpy(x2), hidden1)
        plan.expected[key] = {
            "type": rnn_type,
            "shape": (batch, first, vocab),
            "state_shape": (layers, batch, hidden),
            "log_prob1": to_numpy(log_prob1),
            "hidden1": _states(hidden1),
            "log_prob2": to_numpy(log_prob2),
            "hidden2": _states(hidden2),
        }
    _gradient_probe(plan, rng)
    _dropout_probes(plan, rng)
    return plan


def _gradient_probe(plan: Plan, rng: np.random.Generator) -> None:
    """Two chunks with the state carried; backward from the second chunk's log-probabilities."""
    rnn_type = str(rng.choice(["LSTM", "GRU", "RNN_TANH"]))
    model, args = reference_model(rng, rnn_type, 24, 6, 8, 2)
    batch, first, second = 2, 4, 3
    ids = rng.integers(0, 24, size=(batch, first + second)).astype(np.int64)
    x1, x2 = ids[:, :first], ids[:, first:]
    weights = cotangent(plan, "grad.cot", (batch, second, 24), rng)
    _object_probe(
        plan,
        "grad",
        model,
        args,
        [
            {"method": "init_hidden", "args": [{"value": batch}]},
            {"args": [plan.array("grad.x1", x1), {"step": 0}]},
            {"args": [plan.array("grad.x2", x2), {"step": 1, "path": [1]}]},
        ],
        backward=[{"step": 2, "path": [0], "cotangent": weights}],
    )
    _, hidden1 = model(torch.from_numpy(x1), model.init_hidden(batch))
    log_prob2, _ = model(torch.from_numpy(x2), hidden1)
    (log_prob2 * torch.from_numpy(plan.arrays[weights])).sum().backward()
    plan.expected["grad.grads"] = reference_grads(model)


def _dropout_probes(plan: Plan, rng: np.random.Generator) -> None:
    """Training-mode probes whose verdicts do not depend on the random dropout masks.

    "train": ordinary weights; the output must stay a distribution and the first layer's state
    must differ from eval mode (the embedding is dropped before the RNN).
    "sites": a zero embedding and zero input weights for layer 2 make the embedding dropout and
    the RNN's own inter-layer dropout irrelevant; the output must still differ from eval mode
    (the recurrent output is dropped before the projection).
    "projection": a zero projection weight makes every dropout before the projection
    irrelevant; the output must equal eval mode's (nothing is dropped after the projection).
    "between": a zero embedding leaves the first layer as in eval mode; the top layer's state
    must still differ (self.rnn drops between its layers, so its mode must not be switched).
    """
    batch, steps, vocab = 4, 6, 20
    ids = rng.integers(0, vocab, size=(batch, steps)).astype(np.int64)
    data = plan.array("dropout.x", ids)
    for key in ("train", "sites", "projection", "between"):
        model, args = reference_model(rng, "LSTM", vocab, 8, 12, 2)
        with torch.no_grad():
            if key in ("sites", "between"):
                model.embedding.weight.zero_()
            if key == "sites":
                model.rnn.weight_ih_l1.zero_()
            if key == "projection":
                model.projection.weight.zero_()
                model.projection.bias.normal_(0.0, 1.0)
            log_prob, hidden = model(torch.from_numpy(ids), model.init_hidden(batch))
        _object_probe(
            plan,
            key,
            model,
            args,
            [{"method": "init_hidden", "args": [{"value": batch}]}, {"args": [data, {"step": 0}]}],
            mode="train",
        )
        plan.expected[key] = {"log_prob": to_numpy(log_prob), "hidden": _states(hidden)}


def _object_probe(
    plan: Plan,
    key: str,
    model: torch.nn.Module,
    init_args: list,
    steps: list[dict],
    *,
    mode: str = "eval",
    backward: list[dict] | None = None,
) -> None:
    """Build the student's RNNModel with the reference weights and run `steps` on it."""
    probe = {
        "kind": "object",
        "target": target("RNNModel"),
        "init": {"args": [{"value": arg} for arg in init_args]},
        "state": state_arrays(plan, f"{key}.state", model),
        "mode": mode,
        "steps": steps,
        "seed": 0,
    }
    if backward:
        probe["backward"] = backward
    plan.probes[key] = probe


def _states(hidden) -> list[np.ndarray]:
    """The reference's next_hidden as a list of arrays: [h] or [h, c]."""
    if isinstance(hidden, torch.Tensor):
        return [to_numpy(hidden)]
    return [to_numpy(state) for state in hidden]
