"""char_rnn: the layers and forward of the course's CharRNN (LSTM, dropout between layers and on
its output, fc). The probes build the student's model with the reference's weights, so that its
values can be compared in eval mode; in train mode only shapes and dropout's effects are checked.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from autograder.engine.exercise import Exercise, Mistake, Plan
from autograder.exercises.anna_lstm.char_rnn_checks import (
    DROP_P,
    batch_one_length_one,
    chunks_join,
    dropout_between_layers,
    dropout_on_lstm_output,
    dropout_statistics,
    forward_shapes,
    gradients_match,
    layers_defined,
    outputs_match,
    second_chunk_matches,
)
from autograder.exercises.anna_lstm.shared import ASSIGNMENT
from autograder.exercises.common import (
    cotangent,
    reference_grads,
    state_arrays,
    target,
    to_numpy,
)
from autograder.i18n import N_
from solutions import anna_lstm as ref

CHAR_POOL = "etaoinshrdlu .,;'\nETAOINSHRD!?"


def _tokens(count: int) -> tuple[str, ...]:
    return tuple(CHAR_POOL[:count])


def _char_inputs(rng: np.random.Generator, vocab: int, batch: int, steps: int) -> np.ndarray:
    ids = rng.integers(0, vocab, size=(batch, steps))
    return np.eye(vocab, dtype=np.float32)[ids]


def _state(rng: np.random.Generator, layers: int, batch: int, hidden: int) -> np.ndarray:
    return (0.5 * rng.standard_normal((layers, batch, hidden))).astype(np.float32)


def _reference_net(rng: np.random.Generator, vocab: int, hidden: int, layers: int, drop: float):
    torch.manual_seed(int(rng.integers(2**31)))
    with warnings.catch_warnings():  # one layer with dropout: PyTorch warns, the course allows it
        warnings.simplefilter("ignore", UserWarning)
        return ref.CharRNN(_tokens(vocab), n_hidden=hidden, n_layers=layers, drop_prob=drop)


def _net_probe(
    plan: Plan,
    key: str,
    config: tuple[int, int, int, float],
    reference: torch.nn.Module | None,
    steps: list[dict[str, Any]],
    *,
    mode: str = "eval",
    backward: list[dict[str, Any]] | None = None,
) -> None:
    """Probe `key`: CharRNN(tokens, n_hidden=, n_layers=, drop_prob=) as the course builds it,
    with the reference's weights when `reference` is given, then the steps."""
    vocab, hidden, layers, drop = config
    probe: dict[str, Any] = {
        "kind": "object",
        "target": target("CharRNN"),
        "init": {
            "args": [{"tuple": [{"value": char} for char in _tokens(vocab)]}],
            "kwargs": {
                "n_hidden": {"value": hidden},
                "n_layers": {"value": layers},
                "drop_prob": {"value": drop},
            },
        },
        "mode": mode,
        "steps": steps,
        "seed": 0,
    }
    if reference is not None:
        probe["state"] = state_arrays(plan, f"{key}.state", reference)
    if backward:
        probe["backward"] = backward
    plan.probes[key] = probe


def _pair(plan: Plan, key: str, h: np.ndarray, c: np.ndarray) -> dict[str, Any]:
    return {"tuple": [plan.array(f"{key}.h", h), plan.array(f"{key}.c", c)]}


#: eval-mode comparisons: (vocab, n_hidden, n_layers, batch, first chunk, second chunk).
VALUE_CASES = {"small": (7, 6, 2, 4, 5, 4), "wide": (9, 10, 3, 2, 6, 3), "tiny": (4, 3, 1, 1, 1, 1)}


def _char_rnn_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    # The course's own tests: shapes, layers, the hidden state carried over, dropout.
    course = _reference_net(rng, 5, 16, 2, 0.5).eval()
    x = _char_inputs(rng, 5, 3, 7)
    _net_probe(
        plan,
        "shapes",
        (5, 16, 2, 0.5),
        course,
        [
            {"method": "init_hidden", "args": [{"value": 3}]},
            {"args": [plan.array("shapes.x", x), {"step": 0}]},
        ],
    )
    _net_probe(plan, "layers", (5, 16, 3, 0.3), None, [{"method": "__repr__"}])
    x = _char_inputs(rng, 5, 2, 8)
    head, tail = plan.array("split.head", x[:, :3]), plan.array("split.tail", x[:, 3:])
    x = plan.array("split.x", x)
    _net_probe(
        plan,
        "split",
        (5, 16, 2, 0.5),
        course,
        [
            {"method": "init_hidden", "args": [{"value": 2}]},
            {"args": [x, {"step": 0}]},
            {"args": [x, {"step": 0}]},
            {"args": [head, {"step": 0}]},
            {"args": [tail, {"step": 3, "path": [1]}]},
        ],
    )

    # Dropout on the LSTM's output: one layer (no dropout between layers), fc the identity so
    # that the output is the dropped LSTM output itself; fc zero with bias one must give ones.
    size, batch, steps = 12, 4, 10
    identity = _reference_net(rng, size, size, 1, DROP_P).eval()
    with torch.no_grad():
        identity.fc.weight.copy_(torch.eye(size))
        identity.fc.bias.zero_()
    x = _char_inputs(rng, size, batch, steps)
    h, c = _state(rng, 1, batch, size), _state(rng, 1, batch, size)
    inputs = [plan.array("dropout.x", x), _pair(plan, "dropout", h, c)]
    config = (size, size, 1, DROP_P)
    _net_probe(
        plan, "dropout", config, identity, [{"args": inputs}, {"args": inputs}], mode="train"
    )
    with torch.no_grad():
        plan.expected["dropout"] = to_numpy(
            identity(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))[0]
        )
        identity.fc.weight.zero_()
        identity.fc.bias.fill_(1.0)
    _net_probe(plan, "flat", config, identity, [{"args": inputs}], mode="train")

    # Dropout between the LSTM layers: in train mode only the layers above the first change.
    between = _reference_net(rng, 7, 8, 2, 0.5).eval()
    x = _char_inputs(rng, 7, 4, 6)
    h, c = _state(rng, 2, 4, 8), _state(rng, 2, 4, 8)
    _net_probe(
        plan,
        "between",
        (7, 8, 2, 0.5),
        between,
        [{"args": [plan.array("between.x", x), _pair(plan, "between", h, c)]}],
        mode="train",
    )
    with torch.no_grad():
        _, state = between(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    plan.expected["between"] = to_numpy(state)

    # Values in eval mode, from a given (non-zero) state, then a second chunk that continues.
    for key, (vocab, hidden, layers, batch, first, second) in VALUE_CASES.items():
        model = _reference_net(rng, vocab, hidden, layers, 0.5).eval()
        x1 = _char_inputs(rng, vocab, batch, first)
        x2 = _char_inputs(rng, vocab, batch, second)
        h, c = _state(rng, layers, batch, hidden), _state(rng, layers, batch, hidden)
        weights = cotangent(plan, f"{key}.cot", (batch * second, vocab), rng)
        _net_probe(
            plan,
            key,
            (vocab, hidden, layers, 0.5),
            model,
            [
                {"args": [plan.array(f"{key}.x1", x1), _pair(plan, key, h, c)]},
                {"args": [plan.array(f"{key}.x2", x2), {"step": 0, "path": [1]}]},
            ],
            backward=[{"step": 1, "path": [0], "cotangent": weights}],
        )
        out1, state1 = model(torch.from_numpy(x1), (torch.from_numpy(h), torch.from_numpy(c)))
        out2, state2 = model(torch.from_numpy(x2), state1)
        (out2 * torch.from_numpy(plan.arrays[weights])).sum().backward()
        plan.expected[key] = to_numpy((out1, state1, out2, state2))
        plan.expected[f"{key}.grads"] = reference_grads(model)
    return plan


EXERCISE = Exercise(
    "char_rnn",
    ASSIGNMENT,
    N_("CharRNN layers and forward"),
    _char_rnn_plan,
    (
        forward_shapes,
        layers_defined,
        chunks_join,
        dropout_on_lstm_output,
        outputs_match,
        second_chunk_matches,
        batch_one_length_one,
        gradients_match,
        dropout_statistics,
        dropout_between_layers,
    ),
    (
        Mistake(
            "given hidden ignored",
            ("self.lstm(x, hidden)", "self.lstm(x)"),
            ("outputs_match", "chunks_join"),
            hint=N_("the hidden state passed to forward is not used: look at the call of the LSTM"),
        ),
        Mistake(
            "batch_first missing",
            ("dropout=drop_prob, batch_first=True", "dropout=drop_prob"),
            ("forward_shapes",),
            hint=N_(
                "the LSTM reads its input as (seq, batch, features) while get_batches"
                " gives (batch, seq): look at how the LSTM is created in __init__"
            ),
        ),
        Mistake(
            "no dropout between LSTM layers",
            ("dropout=drop_prob, batch_first=True", "batch_first=True"),
            ("dropout_between_layers", "layers_defined"),
            hint=N_(
                "the LSTM has no dropout between its layers: look at the arguments "
                "the LSTM is created with"
            ),
        ),
        Mistake(
            "LSTM dropout fixed at 0.5",
            ("dropout=drop_prob, batch_first=True", "dropout=0.5, batch_first=True"),
            ("layers_defined",),
            hint=N_(
                "the LSTM's dropout ignores drop_prob: look at the arguments the LSTM"
                " is created with"
            ),
        ),
        Mistake(
            "Dropout probability fixed at 0.5",
            ("self.dropout = nn.Dropout(drop_prob)", "self.dropout = nn.Dropout(0.5)"),
            ("layers_defined", "dropout_statistics"),
            hint=N_(
                "the dropout layer ignores drop_prob: look at how the dropout layer "
                "is created in __init__"
            ),
        ),
        Mistake(
            "hard-coded Anna vocabulary in fc",
            (
                "self.fc = nn.Linear(n_hidden, len(self.chars))",
                "self.fc = nn.Linear(n_hidden, 83)",
            ),
            ("forward_shapes",),
            hint=N_(
                "the output layer's size is fixed to one text's vocabulary instead of"
                " the model's characters: look at how fc is created"
            ),
        ),
        Mistake(
            "output dropout not applied",
            ("out = self.dropout(lstm_out)", "out = lstm_out"),
            ("dropout_on_lstm_output",),
            hint=N_(
                "the LSTM's output goes to fc without dropout: look at the steps "
                "between the LSTM and fc in forward"
            ),
        ),
        Mistake(
            "dropout after fc",
            (
                "out = self.dropout(lstm_out)\n        out = out.reshape(-1, self.n_hidden)\n        out = self.fc(out)",
                "out = lstm_out.reshape(-1, self.n_hidden)\n        out = self.dropout(self.fc(out))",
            ),
            ("dropout_on_lstm_output",),
            hint=N_(
                "dropout is applied to the scores instead of the LSTM's output: look "
                "at where dropout sits in forward"
            ),
        ),
        Mistake(
            "dropout on the input instead of the LSTM output",
            (
                "lstm_out, hidden = self.lstm(x, hidden)\n        out = self.dropout(lstm_out)",
                "lstm_out, hidden = self.lstm(self.dropout(x), hidden)\n        out = lstm_out",
            ),
            ("dropout_statistics", "dropout_between_layers"),
            hint=N_(
                "dropout is applied to the input instead of the LSTM's output: look "
                "at where dropout sits in forward"
            ),
        ),
        Mistake(
            "F.dropout also in eval mode",
            ("out = self.dropout(lstm_out)", "out = F.dropout(lstm_out, self.drop_prob)"),
            ("outputs_match", "chunks_join"),
            hint=N_(
                "dropout still drops values after model.eval(): look at how dropout "
                "is applied in forward"
            ),
        ),
        Mistake(
            "flattened time-major",
            (
                "out = out.reshape(-1, self.n_hidden)",
                "out = out.transpose(0, 1).reshape(-1, self.n_hidden)",
            ),
            ("outputs_match", "chunks_join"),
            hint=N_(
                "the flattened output orders rows by time step, not by sequence: look"
                " at how the LSTM output is reshaped"
            ),
        ),
        Mistake(
            "view on the non-contiguous LSTM output",
            ("out = out.reshape(-1, self.n_hidden)", "out = out.view(-1, self.n_hidden)"),
            ("forward_shapes",),
            hint=N_(
                "view fails on the LSTM's output, which is not contiguous in memory: "
                "look at how the output is flattened"
            ),
        ),
        Mistake(
            "fc only on the last step",
            ("out = out.reshape(-1, self.n_hidden)", "out = out[:, -1, :]"),
            ("forward_shapes",),
            hint=N_("scores are computed for the last time step only: look at what you give fc"),
        ),
        Mistake(
            "softmax instead of scores",
            ("out = self.fc(out)", "out = F.softmax(self.fc(out), dim=1)"),
            ("outputs_match",),
            hint=N_(
                "forward returns probabilities, not raw scores: look at what is applied after fc"
            ),
        ),
        Mistake(
            "hidden detached inside forward",
            (
                "self.lstm(x, hidden)",
                "self.lstm(x, tuple(each.detach() for each in hidden))",
            ),
            ("gradients_match",),
            hint=N_(
                "forward cuts the gradient through the hidden state it was given: "
                "look at what happens to hidden before the LSTM call"
            ),
        ),
        Mistake(
            "only h returned",
            (
                "lstm_out, hidden = self.lstm(x, hidden)",
                "lstm_out, (hidden, _) = self.lstm(x, hidden)",
            ),
            ("forward_shapes",),
            hint=N_(
                "forward returns only h, not the (h, c) pair the LSTM gives: look at "
                "how the LSTM's state is unpacked"
            ),
        ),
    ),
)
