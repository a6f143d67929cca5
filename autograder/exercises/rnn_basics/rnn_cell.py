"""RNN of part 1 (the one-hot cell): forward is tanh(i2h(x) + h2h(h)), then i2o of the new state.

The course's hand-set weights pin the formula; the reference's weights over whole sequences check
the state carried along and gradients through time, and a restart from a given state after them;
a meta-device model checks init_hidden.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    module_probe,
    reference_grads,
    to_numpy,
)
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, items, seed
from autograder.i18n import N_, t
from solutions.rnn_basics import scratch


def _rnn_cell_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    torch.manual_seed(0)  # the weights of "init" and "meta" go into the plan: same seed, same plan
    module_probe(
        plan,
        "init",
        "RNN",
        [35, 16, 35],
        scratch.RNN(35, 16, 35),
        [{"method": "init_hidden"}],
        arity=3,
    )
    course = scratch.RNN(2, 2, 1)
    with torch.no_grad():
        course.i2h.weight.copy_(torch.eye(2))
        course.i2h.bias.zero_()
        course.h2h.weight.copy_(0.5 * torch.eye(2))
        course.h2h.bias.zero_()
        course.i2o.weight.copy_(torch.tensor([[1.0, -1.0]]))
        course.i2o.bias.fill_(0.25)
    x, h = np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 1.0]], np.float32)
    module_probe(
        plan,
        "course",
        "RNN",
        [2, 2, 1],
        course,
        [{"args": [plan.array("course.x", x), plan.array("course.h", h)]}],
        arity=3,
    )
    plan.expected["course"] = to_numpy(course(torch.from_numpy(x), torch.from_numpy(h)))
    for key, (inputs, hidden, outputs, batch, steps) in {
        "seq": (6, 5, 4, 1, 4),
        "batch": (3, 7, 5, 3, 2),
    }.items():
        torch.manual_seed(seed(rng))
        model = scratch.RNN(inputs, hidden, outputs)
        xs = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
        h0 = rng.standard_normal((batch, hidden)).astype(np.float32)
        specs = []
        for i in range(steps):
            state = plan.array(f"{key}.h0", h0) if i == 0 else {"step": i - 1, "path": [1]}
            specs.append({"args": [plan.array(f"{key}.x{i}", xs[i]), state]})
        if key == "batch":  # the first step again: the given state counts, not the last one
            specs.append({"args": [{"array": "batch.x0"}, {"array": "batch.h0"}]})
        out_weights = cotangent(plan, f"{key}.cot_out", (batch, outputs), rng)
        hid_weights = cotangent(plan, f"{key}.cot_hid", (batch, hidden), rng)
        module_probe(
            plan,
            key,
            "RNN",
            [inputs, hidden, outputs],
            model,
            specs,
            backward=[
                {"step": steps - 1, "path": [0], "cotangent": out_weights},
                {"step": steps - 1, "path": [1], "cotangent": hid_weights},
            ],
            arity=3,
        )
        state, results = torch.from_numpy(h0), []
        for i in range(steps):
            output, state = model(torch.from_numpy(xs[i]), state)
            results.append((output, state))
        loss = (output * torch.from_numpy(plan.arrays[out_weights])).sum()
        loss = loss + (state * torch.from_numpy(plan.arrays[hid_weights])).sum()
        loss.backward()
        plan.expected[key] = to_numpy(results)
        plan.expected[f"{key}.grads"] = reference_grads(model)
    module_probe(
        plan,
        "meta",
        "RNN",
        [4, 3, 2],
        scratch.RNN(4, 3, 2),
        [{"method": "init_hidden"}],
        device="meta",
        arity=3,
    )
    return plan


@check(
    "forward returns (output, hidden) of shapes (1, output_size), (1, hidden_size)",
    gate=True,
)
def cell_returns_pair(ctx: Context) -> None:
    output, hidden = items(ctx.answer("course").step(0), 2, "forward")
    expect_tensor(output, "output")
    expect_shape(output, (1, 1), t("output (1, output_size); make it with i2o"))
    expect_tensor(hidden, t("the new hidden state"))
    expect_shape(hidden, (1, 2), t("the new hidden state (1, hidden_size)"))


@check("init_hidden() gives float32 zeros of shape (1, hidden_size)")
def cell_init_hidden_zeros(ctx: Context) -> None:
    value = ctx.answer("init").step(0)
    expect_tensor(value, "init_hidden()")
    expect_shape(value, (1, 16), t("init_hidden() of RNN(35, 16, 35)"))
    expect_dtype(value, "float32", t("init_hidden() (the weights' dtype)"))
    expect(not np.any(value.array()), "the first hidden state should be all zeros")


@check("the course example: tanh(i2h(x) + h2h(h)), then i2o of the new state")
def cell_course_values(ctx: Context) -> None:
    output, hidden = items(ctx.answer("course").step(0), 2, "forward")
    expected_output, expected_hidden = ctx.expected("course")
    expect_tensor_close(
        hidden,
        expected_hidden,
        t("the new hidden state (use both the input and the previous state, then tanh)"),
    )
    expect_tensor_close(
        output, expected_output, t("the output (i2o applied to the new hidden state)")
    )


@check("outputs and hidden states match the reference over a sequence, the state carried along")
def cell_sequence_matches(ctx: Context) -> None:
    for key in ("seq", "batch"):
        for step, (output, hidden) in enumerate(ctx.expected(key)):
            got_output, got_hidden = items(ctx.answer(key).step(step), 2, "forward")
            after = t("the hidden state after step {step}", step=step + 1)
            expect_tensor_close(got_hidden, hidden, after)
            expect_tensor_close(got_output, output, t("the output of step {step}", step=step + 1))


@check("each call starts from the hidden state it is given, whatever the calls before")
def cell_uses_given_state(ctx: Context) -> None:
    expected = ctx.expected("batch")
    output, hidden = expected[0]
    got_output, got_hidden = items(ctx.answer("batch").step(len(expected)), 2, "forward")
    expect_tensor_close(
        got_hidden,
        hidden,
        t(
            "the hidden state of a call that starts again from a given state (use hidden, "
            "not a state kept on self)"
        ),
    )
    expect_tensor_close(
        got_output,
        output,
        t(
            "the output of a call that starts again from a given state (use hidden, not a "
            "state kept on self)"
        ),
    )


@check("gradients reach i2h, h2h and i2o through every step as in the reference")
def cell_gradients(ctx: Context) -> None:
    expect_grads_close(ctx, "seq", "seq.grads", t("the gradient"))


@check("init_hidden() creates the state on the weights' device")
def cell_init_hidden_device(ctx: Context) -> None:
    value = ctx.answer("meta").step(0)
    expect(
        value.device == "meta",
        "init_hidden() should create its tensor on the device of the layers' weights "
        "(the model may live on a GPU)",
        expected=N_("the weights' device"),
        actual=value.device,
    )


EXERCISE = Exercise(
    "rnn_cell",
    ASSIGNMENT,
    N_("RNN.forward and RNN.init_hidden (one-hot cell)"),
    _rnn_cell_plan,
    (
        cell_returns_pair,
        cell_init_hidden_zeros,
        cell_course_values,
        cell_sequence_matches,
        cell_gradients,
        cell_uses_given_state,
        cell_init_hidden_device,
    ),
    (
        Mistake(
            "state kept on self instead of the given one",
            (
                "        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n",
                "        kept = getattr(self, 'kept', None)\n"
                "        if kept is not None and kept.shape == hidden.shape:\n"
                "            hidden = kept\n"
                "        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n"
                "        self.kept = hidden\n",
            ),
            ("cell_uses_given_state",),
            hint=N_(
                "forward uses a state it kept from an earlier call instead of the "
                "hidden state it is given: look at where hidden comes from in forward"
            ),
        ),
        Mistake(
            "previous hidden state ignored",
            (
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                "hidden = torch.tanh(self.i2h(input))",
            ),
            ("cell_course_values", "cell_sequence_matches"),
            hint=N_(
                "the new hidden state does not depend on the previous one: look at "
                "the terms of the hidden state's update"
            ),
        ),
        Mistake(
            "output from the old hidden state",
            (
                "        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n        output = self.i2o(hidden)\n",
                "        output = self.i2o(hidden)\n        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n",
            ),
            ("cell_course_values", "cell_sequence_matches"),
            hint=N_(
                "the output is computed from the hidden state before the update: look"
                " at the order of the two lines in forward"
            ),
        ),
        Mistake(
            "relu instead of tanh",
            ("hidden = torch.tanh(", "hidden = torch.relu("),
            ("cell_course_values", "cell_sequence_matches"),
            hint=N_(
                "the update uses another activation than the one the exercise asks "
                "for: look at the function applied to the new hidden state"
            ),
        ),
        Mistake(
            "tanh on the output too",
            ("output = self.i2o(hidden)", "output = torch.tanh(self.i2o(hidden))"),
            ("cell_course_values", "cell_sequence_matches"),
            hint=N_(
                "the output passes through an activation it should not have: look at "
                "how the output is computed"
            ),
        ),
        Mistake(
            "returned pair swapped",
            ("return output, hidden", "return hidden, output"),
            ("cell_returns_pair",),
            hint=N_(
                "the pair comes back in the wrong order: look at the return statement of forward"
            ),
        ),
        Mistake(
            "first hidden state of ones",
            (
                "return torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                "return torch.ones(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
            ),
            ("cell_init_hidden_zeros",),
            hint=N_("the first hidden state is not zeros: look at what init_hidden fills it with"),
        ),
        Mistake(
            "first hidden state on the CPU",
            (
                "torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                "torch.zeros(1, self.hidden_size)",
            ),
            ("cell_init_hidden_device",),
            hint=N_(
                "the first hidden state is always made on the CPU, whatever the "
                "model's device: look at how init_hidden creates it"
            ),
        ),
        Mistake(
            "first hidden state without the batch axis",
            (
                "torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                "torch.zeros(self.hidden_size, dtype=weight.dtype, device=weight.device)",
            ),
            ("cell_init_hidden_zeros",),
            hint=N_(
                "the first hidden state has no batch axis: look at the shape init_hidden creates"
            ),
        ),
        Mistake(
            "hidden state detached each step",
            (
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden.detach()))",
            ),
            ("cell_gradients",),
            hint=N_(
                "the gradient is cut at every step, so it never flows back through "
                "time: look at what happens to hidden in the update"
            ),
        ),
    ),
)
