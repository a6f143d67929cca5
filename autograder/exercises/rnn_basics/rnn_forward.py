"""rnn_forward: an nn.RNN run on a batch-first batch from a zero state sized from the layer.

The course's layer checks shapes, a hand example and stock layers with the grader's weights check
values; the rest: results keep the graph, the state follows the batch's device, input unchanged,
and a layer given in training mode keeps its dropout.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import Value, expect, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_close, to_numpy
from autograder.exercises.rnn_basics.shared import (
    ASSIGNMENT,
    Case,
    call,
    expect_dropout_acts,
    expect_graph,
    expect_on_device,
    expect_unchanged,
    forward_plan,
    items,
    layer_arg,
    off_cpu_result,
    tensor_items,
)
from autograder.i18n import N_, t
from solutions.rnn_basics import api

FORWARD_CASES: dict[str, Case] = {
    "layers": ({"input_size": 8, "hidden_size": 16, "num_layers": 2, "bidirectional": True}, 3, 5),
    "deep": ({"input_size": 6, "hidden_size": 10, "num_layers": 3, "dropout": 0.3}, 4, 7),
    "relu": (
        {
            "input_size": 5,
            "hidden_size": 7,
            "num_layers": 2,
            "bidirectional": True,
            "nonlinearity": "relu",
            "dropout": 0.5,
        },
        2,
        6,
    ),
    "nobias": ({"input_size": 12, "hidden_size": 20, "bias": False}, 5, 3),
    "single": ({"input_size": 4, "hidden_size": 9, "num_layers": 3, "bidirectional": True}, 1, 1),
}


def _rnn_forward_plan(rng: np.random.Generator) -> Plan:
    plan = forward_plan(rng, "RNN", "rnn_forward", FORWARD_CASES)
    # The notebook's hand example: nn.RNN(1, 1) with weight_ih 1, weight_hh 0.5, no bias.
    hand = torch.nn.RNN(1, 1).eval()
    with torch.no_grad():
        hand.weight_ih_l0.fill_(1.0)
        hand.weight_hh_l0.fill_(0.5)
        hand.bias_ih_l0.zero_()
        hand.bias_hh_l0.zero_()
    x = np.array([[[1.0], [0.0]], [[0.5], [-1.0]]], np.float32)
    layer = layer_arg(plan, "hand", "RNN", {"input_size": 1, "hidden_size": 1}, hand)
    plan.probes["hand"] = call("rnn_forward", [layer, plan.array("hand", x)])
    with torch.no_grad():
        plan.expected["hand"] = to_numpy(api.rnn_forward(hand, torch.from_numpy(x)))
    return plan


def _forward_result(ctx: Context, key: str) -> tuple[Value, Value]:
    states, h_n = items(ctx.answer(key).value(), 2, "rnn_forward")
    expect_tensor(states, "hidden_states")
    expect_tensor(h_n, "h_n")
    return states, h_n


def _expect_forward_values(ctx: Context, key: str) -> None:
    what = ctx.expected(f"{key}.what")
    expected_states, expected_h_n = ctx.expected(key)
    states, h_n = _forward_result(ctx, key)
    expect_tensor_close(states, expected_states, t("hidden_states for {layer}", layer=what))
    expect_tensor_close(h_n, expected_h_n, t("h_n for {layer}", layer=what))


@check(
    "returns hidden_states (20, 10, 512) and h_n (1, 10, 512) for nn.RNN(256, 512)",
    gate=True,
)
def forward_course_shapes(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "course")
    expect_shape(
        states, (20, 10, 512), t("hidden_states (L, B, hidden_size); swap the batch and time axes")
    )
    expect_shape(h_n, (1, 10, 512), "h_n (num_layers * num_dirs, B, hidden_size)")


@check("nn.RNN(1, 1) with known weights gives the hand-computed states")
def forward_hand_values(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "hand")
    expected_states, expected_h_n = ctx.expected("hand")
    expect_tensor_close(
        states,
        expected_states,
        t(
            "hidden_states of the hand example (start from zeros, and swap the two axes: "
            "reshape or view mixes the sequences up)"
        ),
    )
    expect_tensor_close(
        h_n, expected_h_n, t("h_n of the hand example (each sequence's last state)")
    )


@check(
    "a 2-layer bidirectional nn.RNN(8, 16) gives h_n (4, B, 16) and hidden_states (L, B, 32)",
)
def forward_layers_and_directions(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "layers")
    expect_shape(
        h_n,
        (4, 3, 16),
        t(
            "h_n of a 2-layer bidirectional layer; size h_0 from the layer's num_layers, "
            "bidirectional and hidden_size"
        ),
    )
    expect_shape(states, (5, 3, 32), t("hidden_states of a bidirectional layer (2 * hidden_size)"))


@check(
    "hidden_states and h_n equal the reference for stacked, bidirectional, relu, bias-free layers"
)
def forward_values(ctx: Context) -> None:
    for key in ("layers", "deep", "relu", "nobias"):
        _expect_forward_values(ctx, key)


@check("one sequence of length one through a 3-layer bidirectional layer")
def forward_single_step(ctx: Context) -> None:
    _expect_forward_values(ctx, "single")


@check("hidden_states and h_n stay connected to the layer's weights")
def forward_keeps_graph(ctx: Context) -> None:
    for key in ("layers", "deep"):
        expect_graph(list(_forward_result(ctx, key)), "rnn_forward")


@check("h_0 is created on the batch's device (the layer may live on a GPU)")
def forward_device(ctx: Context) -> None:
    values = tensor_items(
        off_cpu_result(ctx, "meta", "rnn_forward", "layers"),
        t("the results of {function}", function="rnn_forward"),
    )
    expect_on_device(values, "rnn_forward")
    expect(
        len(values) == 2 and values[0].shape == (4, 3, 10) and values[1].shape == (4, 3, 5),
        "on another device the results should have the same shapes as on the CPU",
        expected=N_("hidden_states (L, B, num_dirs * H) and h_n (num_layers * num_dirs, B, H)"),
        actual=", ".join(str(value.shape) for value in values),
    )


@check("a layer given in training mode stays in it: its dropout acts between the layers")
def forward_train_mode(ctx: Context) -> None:
    _, h_n = _forward_result(ctx, "train")
    expect_dropout_acts(ctx, h_n, "rnn_forward", "rnn")


@check("batch_emb is left unchanged")
def forward_input_unchanged(ctx: Context) -> None:
    expect_unchanged(ctx, ("course", "layers", "deep"), "rnn_forward")


EXERCISE = Exercise(
    "rnn_forward",
    ASSIGNMENT,
    "rnn_forward(rnn, batch_emb)",
    _rnn_forward_plan,
    (
        forward_course_shapes,
        forward_hand_values,
        forward_layers_and_directions,
        forward_values,
        forward_single_step,
        forward_keeps_graph,
        forward_device,
        forward_input_unchanged,
        forward_train_mode,
    ),
    (
        Mistake(
            "layer switched to eval mode",
            ("    hidden_states, h_n = rnn(", "    rnn.eval()\n    hidden_states, h_n = rnn("),
            ("forward_train_mode",),
            hint=N_(
                "the function switches the layer to eval mode, which turns off its "
                "dropout and changes the model it was given: look at what the "
                "function does to the layer before calling it"
            ),
        ),
        Mistake(
            "axes not swapped",
            ("rnn(batch_emb.transpose(0, 1), h_0)", "rnn(batch_emb, h_0)"),
            ("forward_course_shapes",),
            hint=N_(
                "the batch goes in batch-first while the layer expects time first: "
                "look at what you give the layer"
            ),
        ),
        Mistake(
            "reshape instead of swapping axes",
            (
                "rnn(batch_emb.transpose(0, 1), h_0)",
                "rnn(batch_emb.reshape(batch_emb.size(1), batch_emb.size(0), -1), h_0)",
            ),
            ("forward_hand_values", "forward_values"),
            hint=N_(
                "the batch and time axes are mixed up by a reshape instead of being "
                "swapped: look at how the input is put time-first"
            ),
        ),
        Mistake(
            "initial state of ones",
            (
                "h_0 = batch_emb.new_zeros(rnn.num_layers * num_dirs,",
                "h_0 = batch_emb.new_ones(rnn.num_layers * num_dirs,",
            ),
            ("forward_hand_values", "forward_values"),
            hint=N_("the initial state is not zeros: look at what h_0 is filled with"),
        ),
        Mistake(
            "directions ignored",
            ("num_dirs = 2 if rnn.bidirectional else 1", "num_dirs = 1"),
            ("forward_layers_and_directions",),
            hint=N_(
                "the first state has room for one direction even when the layer is "
                "bidirectional: look at how the number of directions is found"
            ),
        ),
        Mistake(
            "layers ignored",
            ("new_zeros(rnn.num_layers * num_dirs,", "new_zeros(num_dirs,"),
            ("forward_layers_and_directions",),
            hint=N_(
                "the first state has room for one layer even when the layer has "
                "several: look at the first size of the initial state"
            ),
        ),
        Mistake(
            "batch size hard-coded",
            ("batch_emb.size(0), rnn.hidden_size", "10, rnn.hidden_size"),
            ("forward_hand_values", "forward_values"),
            hint=N_(
                "the initial state's batch size is a fixed number instead of the "
                "batch's: look at the middle size of h_0"
            ),
        ),
        Mistake(
            "hidden size hard-coded to 512",
            ("batch_emb.size(0), rnn.hidden_size)", "batch_emb.size(0), 512)"),
            ("forward_hand_values", "forward_layers_and_directions", "forward_values"),
            hint=N_(
                "the initial state's size is fixed instead of the layer's hidden "
                "size: look at the last size of the initial state"
            ),
        ),
        Mistake(
            "h_0 created on the CPU",
            (
                "h_0 = batch_emb.new_zeros(rnn.num_layers",
                "h_0 = torch.zeros(rnn.num_layers",
            ),
            ("forward_device",),
            hint=N_(
                "the initial state is always made on the CPU, whatever the input's "
                "device: look at how h_0 is created"
            ),
        ),
        Mistake(
            "run under torch.no_grad()",
            (
                "    hidden_states, h_n = rnn(batch_emb.transpose(0, 1), h_0)\n",
                "    with torch.no_grad():\n"
                "        hidden_states, h_n = rnn(batch_emb.transpose(0, 1), h_0)\n",
            ),
            ("forward_keeps_graph",),
            hint=N_(
                "the layer runs without building a gradient graph, so nothing can be "
                "trained through it: look at how the layer's call is wrapped"
            ),
        ),
        Mistake(
            "last step of hidden_states returned as h_n",
            ("return hidden_states, h_n", "return hidden_states, hidden_states[-1:]"),
            ("forward_layers_and_directions",),
            hint=N_(
                "h_n is taken from the outputs' last step, which is not the final "
                "state of every layer and direction: look at what you return as h_n"
            ),
        ),
        Mistake(
            "batch-first hidden_states returned",
            ("return hidden_states, h_n", "return hidden_states.transpose(0, 1), h_n"),
            ("forward_course_shapes",),
            hint=N_(
                "hidden_states come back batch-first instead of time-first: look at what you return"
            ),
        ),
        Mistake(
            "in-place transpose of the input",
            ("rnn(batch_emb.transpose(0, 1), h_0)", "rnn(batch_emb.transpose_(0, 1), h_0)"),
            ("forward_input_unchanged",),
            hint=N_(
                "the input tensor passed in is changed in place: look at how the axes are swapped"
            ),
        ),
    ),
)
