"""lstm_forward: an nn.LSTM run on a batch-first batch from zero h_0 and c_0 sized from the layer.

As for rnn_forward, plus the cell state: c_n must be the LSTM's own, compared with the reference's
for stacked, bidirectional and bias-free layers; a layer given in training mode keeps its dropout.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import Value, expect, expect_close, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_close
from autograder.exercises.rnn_basics.shared import (
    ASSIGNMENT,
    Case,
    expect_dropout_acts,
    expect_graph,
    expect_on_device,
    expect_unchanged,
    forward_plan,
    items,
    off_cpu_result,
    tensor_items,
)
from autograder.i18n import N_, t

LSTM_CASES: dict[str, Case] = {
    "layers": ({"input_size": 8, "hidden_size": 16, "num_layers": 3, "bidirectional": True}, 2, 4),
    "deep": ({"input_size": 5, "hidden_size": 9, "num_layers": 2, "dropout": 0.4}, 3, 6),
    "bi": ({"input_size": 7, "hidden_size": 6, "bidirectional": True}, 4, 3),
    "nobias": ({"input_size": 6, "hidden_size": 11, "bias": False}, 2, 8),
    "single": (
        {
            "input_size": 4,
            "hidden_size": 5,
            "num_layers": 2,
            "bidirectional": True,
            "dropout": 0.2,
        },
        1,
        1,
    ),
}


def _lstm_forward_plan(rng: np.random.Generator) -> Plan:
    return forward_plan(rng, "LSTM", "lstm_forward", LSTM_CASES)


def _lstm_result(ctx: Context, key: str) -> tuple[Value, Value, Value]:
    states, pair = items(ctx.answer(key).value(), 2, "lstm_forward")
    h_n, c_n = items(pair, 2, t("the second value of lstm_forward, (h_n, c_n),"))
    for value, what in ((states, "hidden_states"), (h_n, "h_n"), (c_n, "c_n")):
        expect_tensor(value, what)
    return states, h_n, c_n


@check(
    "returns hidden_states (20, 10, 512) and (h_n, c_n), each (1, 10, 512), for nn.LSTM(256, 512)",
    gate=True,
)
def lstm_course_shapes(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "course")
    expect_shape(
        states, (20, 10, 512), t("hidden_states (L, B, hidden_size); swap the batch and time axes")
    )
    expect_shape(h_n, (1, 10, 512), "h_n")
    expect_shape(c_n, (1, 10, 512), "c_n")


@check("h_n is the last step of hidden_states and c_n is the cell state, not h_n")
def lstm_course_facts(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "course")
    expect_close(
        h_n.array()[0], states.array()[-1], t("h_n compared with the last step of hidden_states")
    )
    expect(
        not np.allclose(h_n.array(), c_n.array()),
        "c_n equals h_n; return the cell state the LSTM gives back",
    )


@check(
    "a 3-layer bidirectional nn.LSTM(8, 16) gives h_n and c_n (6, B, 16), hidden_states (L, B, 32)",
)
def lstm_layers_and_directions(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "layers")
    for value, what in ((h_n, "h_n"), (c_n, "c_n")):
        expect_shape(
            value,
            (6, 2, 16),
            t(
                "{what} of a 3-layer bidirectional layer; size h_0 and c_0 from the layer's "
                "num_layers, bidirectional and hidden_size",
                what=what,
            ),
        )
    expect_shape(states, (4, 2, 32), t("hidden_states of a bidirectional layer (2 * hidden_size)"))


@check("hidden_states and h_n equal the reference for stacked, bidirectional, bias-free layers")
def lstm_values(ctx: Context) -> None:
    for key in LSTM_CASES:
        what = ctx.expected(f"{key}.what")
        expected_states, (expected_h, _) = ctx.expected(key)
        states, h_n, _ = _lstm_result(ctx, key)
        expect_tensor_close(states, expected_states, t("hidden_states for {layer}", layer=what))
        expect_tensor_close(h_n, expected_h, t("h_n for {layer}", layer=what))


@check("c_n equals the reference's cell state (the cell state starts from zeros too)")
def lstm_cell_state(ctx: Context) -> None:
    for key in LSTM_CASES:
        _, (_, expected_c) = ctx.expected(key)
        _, _, c_n = _lstm_result(ctx, key)
        layer = ctx.expected(f"{key}.what")
        expect_tensor_close(c_n, expected_c, t("c_n for {layer}", layer=layer))


@check("hidden_states, h_n and c_n stay connected to the layer's weights")
def lstm_keeps_graph(ctx: Context) -> None:
    for key in ("layers", "deep"):
        expect_graph(list(_lstm_result(ctx, key)), "lstm_forward")


@check("h_0 and c_0 are created on the batch's device (the layer may live on a GPU)")
def lstm_device(ctx: Context) -> None:
    values = tensor_items(
        off_cpu_result(ctx, "meta", "lstm_forward", "layers"),
        t("the results of {function}", function="lstm_forward"),
    )
    expect_on_device(values, "lstm_forward")
    expect(
        [value.shape for value in values] == [(4, 3, 10), (4, 3, 5), (4, 3, 5)],
        "on another device the results should have the same shapes as on the CPU",
        expected=N_(
            "hidden_states (L, B, num_dirs * H), h_n and c_n (num_layers * num_dirs, B, H)"
        ),
        actual=", ".join(str(value.shape) for value in values),
    )


@check("a layer given in training mode stays in it: its dropout acts between the layers")
def lstm_train_mode(ctx: Context) -> None:
    _, h_n, _ = _lstm_result(ctx, "train")
    expect_dropout_acts(ctx, h_n, "lstm_forward", "lstm")


@check("batch_emb is left unchanged")
def lstm_input_unchanged(ctx: Context) -> None:
    expect_unchanged(ctx, ("course", "layers", "deep"), "lstm_forward")


EXERCISE = Exercise(
    "lstm_forward",
    ASSIGNMENT,
    "lstm_forward(lstm, batch_emb)",
    _lstm_forward_plan,
    (
        lstm_course_shapes,
        lstm_course_facts,
        lstm_layers_and_directions,
        lstm_values,
        lstm_cell_state,
        lstm_keeps_graph,
        lstm_device,
        lstm_input_unchanged,
        lstm_train_mode,
    ),
    (
        Mistake(
            "layer switched to eval mode",
            (
                "    hidden_states, (h_n, c_n) = lstm(",
                "    lstm.eval()\n    hidden_states, (h_n, c_n) = lstm(",
            ),
            ("lstm_train_mode",),
            hint=N_(
                "the function switches the layer to eval mode, which turns off its "
                "dropout and changes the model it was given: look at what the "
                "function does to the layer before calling it"
            ),
        ),
        Mistake(
            "cell state starts at ones",
            ("c_0 = torch.zeros_like(h_0)", "c_0 = torch.ones_like(h_0)"),
            ("lstm_values", "lstm_cell_state"),
            hint=N_("the initial cell state is not zeros: look at what c_0 is filled with"),
        ),
        Mistake(
            "h_n returned twice",
            ("return hidden_states, (h_n, c_n)", "return hidden_states, (h_n, h_n)"),
            ("lstm_course_facts",),
            hint=N_("h_n is returned where c_n belongs: look at the return statement"),
        ),
        Mistake(
            "state pair swapped",
            ("return hidden_states, (h_n, c_n)", "return hidden_states, (c_n, h_n)"),
            ("lstm_course_facts",),
            hint=N_("the final states come back as (c_n, h_n): look at the return statement"),
        ),
        Mistake(
            "reshape instead of swapping axes",
            (
                "lstm(batch_emb.transpose(0, 1), (h_0, c_0))",
                "lstm(batch_emb.reshape(batch_emb.size(1), batch_emb.size(0), -1), (h_0, c_0))",
            ),
            ("lstm_values",),
            hint=N_(
                "the batch and time axes are mixed up by a reshape instead of being "
                "swapped: look at how the input is put time-first"
            ),
        ),
        Mistake(
            "flat triple returned",
            ("return hidden_states, (h_n, c_n)", "return hidden_states, h_n, c_n"),
            ("lstm_course_shapes",),
            hint=N_(
                "the function returns three values instead of hidden_states and a "
                "pair of states: look at the return statement"
            ),
        ),
        Mistake(
            "only h_0 passed",
            ("(batch_emb.transpose(0, 1), (h_0, c_0))", "(batch_emb.transpose(0, 1), h_0)"),
            ("lstm_course_shapes",),
            hint=N_(
                "the LSTM is given h_0 alone instead of the pair (h_0, c_0): look at "
                "the call of the LSTM"
            ),
        ),
        Mistake(
            "batch-first hidden_states returned",
            (
                "return hidden_states, (h_n, c_n)",
                "return hidden_states.transpose(0, 1), (h_n, c_n)",
            ),
            ("lstm_course_shapes",),
            hint=N_(
                "hidden_states come back batch-first instead of time-first: look at what you return"
            ),
        ),
        Mistake(
            "directions ignored",
            ("num_dirs = 2 if lstm.bidirectional else 1", "num_dirs = 1"),
            ("lstm_layers_and_directions",),
            hint=N_(
                "the first state has room for one direction even when the layer is "
                "bidirectional: look at how the number of directions is found"
            ),
        ),
        Mistake(
            "layers ignored",
            ("new_zeros(lstm.num_layers * num_dirs,", "new_zeros(num_dirs,"),
            ("lstm_layers_and_directions",),
            hint=N_(
                "the first state has room for one layer even when the layer has "
                "several: look at the first size of the initial state"
            ),
        ),
        Mistake(
            "hidden size hard-coded to 512",
            ("batch_emb.size(0), lstm.hidden_size)", "batch_emb.size(0), 512)"),
            ("lstm_layers_and_directions", "lstm_values"),
            hint=N_(
                "the initial state's size is fixed instead of the layer's hidden "
                "size: look at the last size of the initial state"
            ),
        ),
        Mistake(
            "h_0 created on the CPU",
            (
                "h_0 = batch_emb.new_zeros(lstm.num_layers",
                "h_0 = torch.zeros(lstm.num_layers",
            ),
            ("lstm_device",),
            hint=N_(
                "the initial state is always made on the CPU, whatever the input's "
                "device: look at how h_0 is created"
            ),
        ),
        Mistake(
            "c_0 created on the CPU",
            ("c_0 = torch.zeros_like(h_0)", "c_0 = torch.zeros(h_0.shape)"),
            ("lstm_device",),
            hint=N_(
                "the initial cell state is always made on the CPU, whatever the "
                "input's device: look at how c_0 is created"
            ),
        ),
        Mistake(
            "run under torch.no_grad()",
            (
                "    hidden_states, (h_n, c_n) = lstm(batch_emb.transpose(0, 1), (h_0, c_0))\n",
                "    with torch.no_grad():\n"
                "        hidden_states, (h_n, c_n) = lstm(batch_emb.transpose(0, 1), (h_0, c_0))\n",
            ),
            ("lstm_keeps_graph",),
            hint=N_(
                "the layer runs without building a gradient graph, so nothing can be "
                "trained through it: look at how the layer's call is wrapped"
            ),
        ),
    ),
)
