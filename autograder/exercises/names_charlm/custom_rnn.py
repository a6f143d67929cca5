"""CustomRNN.forward: the student writes the RNN recurrence by hand with W_xh, W_hh and W_hy.

The checks run it with the reference's weights (logits, gradients, a batch of one, another device,
later calls on one model) and look at its code and modules to catch a built-in recurrent layer.
"""

from __future__ import annotations

import ast

import numpy as np
import torch

from autograder.engine.checks import expect, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    BUILTIN_RECURRENT,
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    expect_weights_mapped,
    module_probe,
    module_types,
    on_other_device,
    reference_grads,
    to_numpy,
)
from autograder.exercises.names_charlm.shared import ASSIGNMENT, repeated_calls
from autograder.i18n import N_, t
from solutions import names_charlm as ref

CUSTOM_CASES = {"course": (32, 64, 10, 4, 5), "small": (6, 8, 5, 3, 7), "tiny": (6, 8, 5, 1, 1)}


def _again_probe(plan: Plan, model: torch.nn.Module, x: np.ndarray) -> None:
    """Probe "again": one model called three times (the same batch twice, then one row of it);
    every call must start from zeros, so each equals a new model's first call."""
    module_probe(
        plan,
        "again",
        "CustomRNN",
        [6, 8, 5],
        model,
        [
            {"args": [plan.array("again.x", x)]},
            {"args": [{"array": "again.x"}]},
            {"args": [plan.array("again.row", x[:1])]},
        ],
    )
    with torch.no_grad():
        plan.expected["again"] = to_numpy(model(torch.from_numpy(x)))


def _custom_rnn_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    for key, (inputs, hidden, outputs, batch, steps) in CUSTOM_CASES.items():
        torch.manual_seed(int(rng.integers(2**31)))
        model = ref.CustomRNN(inputs, hidden, outputs)
        x = rng.standard_normal((batch, steps, inputs)).astype(np.float32)
        weights = cotangent(plan, f"{key}.cot", (batch, outputs), rng)
        module_probe(
            plan,
            key,
            "CustomRNN",
            [inputs, hidden, outputs],
            model,
            [{"args": [plan.array(f"{key}.x", x)]}],
            backward=[{"step": 0, "cotangent": weights}],
        )
        logits = model(torch.from_numpy(x))
        (logits * torch.from_numpy(plan.arrays[weights])).sum().backward()
        plan.expected[key] = to_numpy(logits)
        plan.expected[f"{key}.grads"] = reference_grads(model)
        if key == "small":
            _again_probe(plan, model, x)
    model = ref.CustomRNN(6, 8, 5)
    module_probe(
        plan,
        "meta",
        "CustomRNN",
        [6, 8, 5],
        model,
        [{"args": [{"array": "small.x", "device": "meta"}]}],
        device="meta",
    )
    return plan


@check("forward returns logits of shape (batch, output_dim)", gate=True)
def logits_shape(ctx: Context) -> None:
    value = ctx.answer("course").step(0)
    expect_tensor(value, t("CustomRNN(32, 64, 10) on randn(4, 5, 32)"))
    expect_shape(value, (4, 10), t("the logits of CustomRNN(32, 64, 10) on randn(4, 5, 32)"))


@check("uses only the given layers W_xh, W_hh and W_hy")
def uses_given_layers(ctx: Context) -> None:
    expect_weights_mapped(
        ctx, "course", ["W_xh.weight", "W_hh.weight", "W_hh.bias", "W_hy.weight", "W_hy.bias"]
    )


@check("no nn.RNN, nn.RNNCell or other built-in recurrent layer")
def no_builtin_rnn(ctx: Context) -> None:
    used = sorted(set(module_types(ctx, "course")) & BUILTIN_RECURRENT)
    for node in ctx.definitions("CustomRNN"):
        for item in ast.walk(node):
            name = item.attr if isinstance(item, ast.Attribute) else getattr(item, "id", None)
            if name in BUILTIN_RECURRENT or name in {"rnn_tanh", "rnn_relu", "rnn_tanh_cell"}:
                used.append(name)
    expect(
        not used,
        "CustomRNN must compute the recurrence itself with the Linear layers",
        actual=t("uses {names}", names=", ".join(sorted(set(used)))),
    )


@check("logits match the reference for the same weights")
def logits_match(ctx: Context) -> None:
    for key in ("course", "small"):
        expect_tensor_close(ctx.answer(key).step(0), ctx.expected(key), t("the logits"))


@check("works for a batch of one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    expect_tensor_close(
        ctx.answer("tiny").step(0),
        ctx.expected("tiny"),
        t("the logits for one sequence of length 1"),
    )


@check("gradients flow to every weight as in the reference")
def gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", t("the gradient"))


@check("every call starts from a zero hidden state, whatever came before")
def fresh_state_each_call(ctx: Context) -> None:
    answer = repeated_calls(ctx, "again")
    logits = ctx.expected("again")
    why = t("h should start from zeros, not from a state on self")
    expect_tensor_close(
        answer.step(1), logits, t("the logits of a later call on the same model ({why})", why=why)
    )
    expect_tensor_close(
        answer.step(2),
        logits[:1],
        t("the logits for one sequence of a later call on the same model ({why})", why=why),
    )


@check("creates the hidden state on the input's device")
def follows_input_device(ctx: Context) -> None:
    on_other_device(
        ctx,
        "meta",
        N_(
            "forward fails when the model and input are on another device: create h with "
            "device=x.device"
        ),
        t("the logits"),
    )


EXERCISE = Exercise(
    "custom_rnn",
    ASSIGNMENT,
    "CustomRNN.forward",
    _custom_rnn_plan,
    (
        logits_shape,
        uses_given_layers,
        no_builtin_rnn,
        logits_match,
        batch_one_length_one,
        gradients_match,
        follows_input_device,
        fresh_state_each_call,
    ),
    (
        Mistake(
            "hidden state not carried",
            (
                "self.W_xh(x[:, t, :]) + self.W_hh(h))",
                "self.W_xh(x[:, t, :]) + self.W_hh.bias)",
            ),
            ("logits_match",),
            hint=N_(
                "the hidden state is not passed on from one step to the next: look at"
                " what h is at each step of the loop in forward"
            ),
        ),
        Mistake(
            "output from the first step",
            (
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n            break\n",
            ),
            ("logits_match",),
            hint=N_(
                "the logits come from the first time step only: look at how many "
                "times the loop in forward runs"
            ),
        ),
        Mistake(
            "relu instead of tanh",
            ("h = torch.tanh(", "h = torch.relu("),
            ("logits_match",),
            hint=N_(
                "the recurrence uses another activation than the one the exercise "
                "asks for: look at the function applied to the new hidden state"
            ),
        ),
        Mistake(
            "hidden state on the CPU",
            (
                "torch.zeros(batch_size, self.hidden_dim, device=x.device, dtype=x.dtype)",
                "torch.zeros(batch_size, self.hidden_dim)",
            ),
            ("follows_input_device",),
            hint=N_(
                "the first hidden state is always made on the CPU, whatever the "
                "input's device: look at how h is created before the loop"
            ),
        ),
        Mistake(
            "time reversed",
            ("for t in range(seq_len):", "for t in reversed(range(seq_len)):"),
            ("logits_match",),
            hint=N_(
                "the sequence is read from its last step to its first: look at the "
                "order of t in the loop"
            ),
        ),
        Mistake(
            "hidden state returned",
            ("return self.W_hy(h)", "return h"),
            ("logits_shape",),
            hint=N_(
                "forward returns the hidden state, not the logits: look at what "
                "forward returns after the loop"
            ),
        ),
        Mistake(
            "hidden state kept on self between calls",
            (
                "        h = torch.zeros(batch_size, self.hidden_dim, device=x.device, dtype=x.dtype)\n"
                "        for t in range(seq_len):\n"
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                "        if getattr(self, 'h', None) is None or self.h.shape[0] != batch_size:\n"
                "            self.h = torch.zeros(batch_size, self.hidden_dim, device=x.device)\n"
                "        h = self.h\n"
                "        for t in range(seq_len):\n"
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n"
                "        self.h = h.detach()\n",
            ),
            ("fresh_state_each_call",),
            hint=N_(
                "a call starts from the state the previous call left, not from zeros:"
                " look at where h comes from at the start of forward"
            ),
        ),
        Mistake(
            "built-in nn.RNN",
            (
                "        for t in range(seq_len):\n            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                "        rnn = nn.RNN(x.shape[-1], self.hidden_dim, batch_first=True, bias=False)\n"
                "        h = rnn(x, h.unsqueeze(0))[1][0]\n",
            ),
            ("no_builtin_rnn",),
            hint=N_(
                "forward uses a built-in recurrent layer instead of computing the "
                "recurrence with W_xh, W_hh and W_hy: look at the layers forward "
                "calls"
            ),
        ),
    ),
)
