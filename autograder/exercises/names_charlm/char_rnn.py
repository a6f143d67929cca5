"""CharRNN.forward: the student returns per-step logits and the hidden state of an nn.RNN.

The checks run it with the reference's weights on two chunks in a row, so that the returned hidden
state must carry over, and compare shapes, logits, hidden states and gradients; later calls
without a hidden state must start from zeros again, and a model off the CPU must work.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from autograder.engine.checks import CheckFailure, expect, expect_shape
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    module_probe,
    reference_grads,
    to_numpy,
)
from autograder.exercises.names_charlm.shared import ASSIGNMENT, repeated_calls
from autograder.i18n import N_, t
from solutions import names_charlm as ref


def _fresh_start_probes(plan: Plan, model: torch.nn.Module, first: np.ndarray) -> None:
    """Probe "fresh": after a call with a given hidden, calls without one (same batch, then one
    row) must equal a new model's first call. Probe "meta": the model and input off the CPU."""
    second = np.ascontiguousarray(first[:, ::-1])
    module_probe(
        plan,
        "fresh",
        "CharRNN",
        [7, 6, 2],
        model,
        [
            {"args": [plan.array("fresh.x1", first)]},
            {"args": [plan.array("fresh.x2", second), {"step": 0, "path": [1]}]},
            {"args": [{"array": "fresh.x1"}]},
            {"args": [plan.array("fresh.row", first[:1])]},
        ],
    )
    with torch.no_grad():
        plan.expected["fresh"] = to_numpy(model(torch.from_numpy(first)))
    module_probe(
        plan,
        "meta",
        "CharRNN",
        [7, 6, 2],
        model,
        [{"args": [{"array": "fresh.x1", "device": "meta"}]}],
        device="meta",
    )


def _char_rnn_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    for key, (vocab, hidden, layers, batch, steps) in {
        "course": (65, 256, 2, 2, 4),
        "small": (7, 6, 2, 3, 5),
        "tiny": (7, 6, 1, 1, 1),
    }.items():
        torch.manual_seed(int(rng.integers(2**31)))
        model = ref.CharRNN(vocab, hidden, layers).eval()
        ids = rng.integers(0, vocab, size=(batch, 2 * steps))
        x = F.one_hot(torch.from_numpy(ids), vocab).float().numpy()
        first, second = x[:, :steps], x[:, steps:]
        weights = cotangent(plan, f"{key}.cot", (batch, steps, vocab), rng)
        module_probe(
            plan,
            key,
            "CharRNN",
            [vocab, hidden, layers],
            model,
            [
                {"args": [plan.array(f"{key}.x1", first)]},
                {"args": [plan.array(f"{key}.x2", second), {"step": 0, "path": [1]}]},
            ],
            backward=[{"step": 1, "path": [0], "cotangent": weights}],
        )
        logits1, hidden1 = model(torch.from_numpy(first))
        logits2, hidden2 = model(torch.from_numpy(second), hidden1)
        (logits2 * torch.from_numpy(plan.arrays[weights])).sum().backward()
        plan.expected[key] = to_numpy((logits1, hidden1, logits2, hidden2))
        plan.expected[f"{key}.grads"] = reference_grads(model)
        if key == "small":
            _fresh_start_probes(plan, model, first)
    return plan


@check("forward returns (logits, hidden) of the course's shapes", gate=True)
def returns_logits_and_hidden(ctx: Context) -> None:
    value = ctx.answer("course").step(0)
    expect(
        value.type in ("tuple", "list") and len(value.items()) == 2,
        "forward should return (logits, hidden)",
        actual=value.describe(),
    )
    expect_shape(value.item(0), (2, 4, 65), "logits (batch, seq_len, vocab)")
    expect_shape(value.item(1), (2, 2, 256), "hidden (num_layers, batch, hidden_dim)")


@check("logits at every step match the reference")
def char_logits_match(ctx: Context) -> None:
    for key in ("course", "small"):
        expect_tensor_close(ctx.answer(key).step(0).item(0), ctx.expected(key)[0], t("the logits"))


@check("the given hidden state is carried into the next call")
def hidden_is_carried(ctx: Context) -> None:
    for key in ("course", "small"):
        expected = ctx.expected(key)
        expect_tensor_close(
            ctx.answer(key).step(1).item(0),
            expected[2],
            t("the logits of a second chunk that continues from the returned hidden"),
        )
        expect_tensor_close(ctx.answer(key).step(1).item(1), expected[3], t("the returned hidden"))


@check("works for one sequence of length one")
def char_batch_one(ctx: Context) -> None:
    expect_tensor_close(
        ctx.answer("tiny").step(0).item(0),
        ctx.expected("tiny")[0],
        t("the logits for one character"),
    )


@check("gradients reach the RNN and the read-out as in the reference")
def char_gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", t("the gradient"))


@check("hidden=None starts from zeros on every call, whatever came before")
def char_fresh_start(ctx: Context) -> None:
    answer = repeated_calls(ctx, "fresh")
    logits, hidden = ctx.expected("fresh")
    why = t("it should start from zeros, not from a state kept on self")
    expect_tensor_close(
        answer.step(2).item(0),
        logits,
        t("the logits of a later call without a given hidden ({why})", why=why),
    )
    expect_tensor_close(
        answer.step(2).item(1),
        hidden,
        t("the hidden of a later call without a given hidden ({why})", why=why),
    )
    expect_tensor_close(
        answer.step(3).item(0),
        logits[:1],
        t("the logits of a later call on one sequence without a given hidden ({why})", why=why),
    )


@check("works when the model and input live on another device")
def char_follows_device(ctx: Context) -> None:
    answer = ctx.answer("meta")
    if not answer.raw.get("ok"):
        raise CheckFailure(
            N_(
                "forward fails when the model and input are on another device (as on a GPU): "
                "pass hidden=None on to self.rnn, or create the zero state on x's device"
            ),
            actual=str(answer.raw.get("error", {}).get("message", ""))[:160],
        )
    value = answer.step(0)
    expect(
        value.type in ("tuple", "list") and len(value.items()) == 2,
        "forward should return (logits, hidden)",
        actual=value.describe(),
    )
    for item in value.items():
        expect(
            item.type == "tensor" and item.device == "meta",
            "the logits and hidden should stay on the input's device",
            expected=N_("the input's device"),
            actual=item.describe(),
        )


EXERCISE = Exercise(
    "char_rnn",
    ASSIGNMENT,
    "CharRNN.forward",
    _char_rnn_plan,
    (
        returns_logits_and_hidden,
        char_logits_match,
        hidden_is_carried,
        char_batch_one,
        char_gradients_match,
        char_fresh_start,
        char_follows_device,
    ),
    (
        Mistake(
            "given hidden ignored",
            ("self.rnn(x, hidden)", "self.rnn(x)"),
            ("hidden_is_carried",),
            hint=N_(
                "the hidden state passed to forward is not used: look at the call of "
                "the recurrent layer"
            ),
        ),
        Mistake(
            "read-out only on the last step",
            ("logits = self.fc(outputs)", "logits = self.fc(outputs[:, -1, :])"),
            ("returns_logits_and_hidden",),
            hint=N_(
                "the logits cover the last time step only, not every step: look at "
                "what you give the output layer"
            ),
        ),
        Mistake(
            "softmax instead of logits",
            ("logits = self.fc(outputs)", "logits = torch.softmax(self.fc(outputs), dim=-1)"),
            ("char_logits_match",),
            hint=N_(
                "forward returns probabilities, not raw logits: look at what is "
                "applied after the output layer"
            ),
        ),
        Mistake(
            "log-softmax instead of logits",
            (
                "logits = self.fc(outputs)",
                "logits = torch.log_softmax(self.fc(outputs), dim=-1)",
            ),
            ("char_logits_match",),
            hint=N_(
                "forward returns log-probabilities, not raw logits: look at what is "
                "applied after the output layer"
            ),
        ),
        Mistake(
            "flattened logits",
            (
                "logits = self.fc(outputs)",
                "logits = self.fc(outputs.reshape(-1, outputs.shape[-1]))",
            ),
            ("returns_logits_and_hidden",),
            hint=N_(
                "the logits lose their batch and time axes: look at the shape of what"
                " you give the output layer"
            ),
        ),
        Mistake(
            "read-out from the hidden state",
            (
                "logits = self.fc(outputs)",
                "logits = self.fc(hidden[-1]).unsqueeze(1).expand(-1, x.shape[1], -1)",
            ),
            ("char_logits_match",),
            hint=N_(
                "every step's logits come from the final hidden state instead of that"
                " step's output: look at what you give the output layer"
            ),
        ),
        Mistake(
            "returned pair swapped",
            ("return logits, hidden", "return hidden, logits"),
            ("returns_logits_and_hidden",),
            hint=N_(
                "the pair comes back in the wrong order: look at the return statement of forward"
            ),
        ),
        Mistake(
            "hidden=None continues from the state of the previous call",
            (
                "        outputs, hidden = self.rnn(x, hidden)\n",
                "        if hidden is None:\n"
                "            hidden = getattr(self, 'last_hidden', None)\n"
                "        outputs, hidden = self.rnn(x, hidden)\n"
                "        self.last_hidden = hidden.detach()\n",
            ),
            ("char_fresh_start",),
            hint=N_(
                "with hidden=None a call continues from the previous call's state "
                "instead of starting from zeros: look at what forward keeps between "
                "calls"
            ),
        ),
        Mistake(
            "hidden=None kept for calls of the same batch size",
            (
                "        outputs, hidden = self.rnn(x, hidden)\n",
                "        kept = getattr(self, 'last_hidden', None)\n"
                "        if hidden is None and kept is not None and kept.shape[1] == x.shape[0]:\n"
                "            hidden = kept\n"
                "        outputs, hidden = self.rnn(x, hidden)\n"
                "        self.last_hidden = hidden.detach()\n",
            ),
            ("char_fresh_start",),
            hint=N_(
                "with hidden=None a call of the same batch size reuses the previous "
                "call's state instead of starting from zeros: look at what forward "
                "keeps between calls"
            ),
        ),
        Mistake(
            "zero state created on the CPU",
            (
                "        outputs, hidden = self.rnn(x, hidden)\n",
                "        if hidden is None:\n"
                "            hidden = torch.zeros(self.rnn.num_layers, x.size(0), self.rnn.hidden_size)\n"
                "        outputs, hidden = self.rnn(x, hidden)\n",
            ),
            ("char_follows_device",),
            hint=N_(
                "the zero hidden state is always made on the CPU, whatever the "
                "input's device: look at how forward creates it when hidden is None"
            ),
        ),
    ),
)
