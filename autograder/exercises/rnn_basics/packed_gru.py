"""packed_gru_forward: a padded batch packed, run through an nn.GRU and unpacked again.

The padding holds large noise, so any of it reaching the layer changes the states: the checks want
zero outputs there and last states at each sequence's real end, in eval and in training mode (where
the layer's dropout must act); on the "meta" stand-in for a GPU, h_0 must follow the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from autograder.engine.checks import Value, expect, expect_close, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Plan, check
from autograder.exercises.common import expect_tensor_close, expect_tensor_equal, to_numpy
from autograder.exercises.rnn_basics import shared
from autograder.exercises.rnn_basics.packed_gru_mistakes import MISTAKES
from autograder.exercises.rnn_basics.shared import (
    ASSIGNMENT,
    call,
    describe_layer,
    embedded_batch,
    expect_graph,
    expect_on_device,
    expect_unchanged,
    items,
    layer_arg,
    meta_cannot_unpack,
    off_cpu_result,
    stock_layer,
)
from autograder.i18n import N_, t
from solutions.rnn_basics import api


def _sizes(kwargs: dict[str, Any]) -> tuple[int, int, int]:
    """(num_layers * num_dirs, num_dirs, hidden_size) of a layer made with these arguments."""
    dirs = 2 if kwargs.get("bidirectional") else 1
    return int(kwargs.get("num_layers", 1)) * dirs, dirs, int(kwargs["hidden_size"])


PACKED_COURSE = {
    "input_size": 8,
    "hidden_size": 16,
    "num_layers": 2,
    "bidirectional": True,
    "dropout": 0.1,
}
#: key: (layer kwargs, lengths or None for random lengths with ties and a length-1 row, max length)
PACKED_CASES: dict[str, tuple[dict[str, Any], list[int] | None, int]] = {
    "course": (PACKED_COURSE, [5, 3, 3, 1], 5),
    "deep": (
        {
            "input_size": 6,
            "hidden_size": 10,
            "num_layers": 3,
            "bidirectional": True,
            "dropout": 0.3,
        },
        None,
        7,
    ),
    "uni": ({"input_size": 5, "hidden_size": 8, "num_layers": 2, "dropout": 0.2}, None, 6),
    "equal": ({"input_size": 3, "hidden_size": 7}, [4, 4, 4], 4),
    "one": ({"input_size": 4, "hidden_size": 6, "bidirectional": True}, [1], 1),
    "train": (
        {
            "input_size": 6,
            "hidden_size": 8,
            "num_layers": 2,
            "bidirectional": True,
            "dropout": 0.5,
        },
        None,
        6,
    ),
}


def _padded_batch(rng: np.random.Generator, lens: list[int], size: int) -> np.ndarray:
    """A batch-first batch whose padding holds large noise, so reading it changes the states."""
    x = embedded_batch(rng, len(lens), lens[0], size)
    for row, n in enumerate(lens):
        x[row, n:] = rng.standard_normal((lens[0] - n, size)) * 3
    return x


def _packed_gru_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    for key, (kwargs, given, length) in PACKED_CASES.items():
        lens = given
        if lens is None:
            lens = sorted([length, 1, 3, 3, *rng.integers(1, length + 1, size=2)], reverse=True)
        lens = [int(n) for n in lens]
        mode = "train" if key == "train" else "eval"
        reference = stock_layer("GRU", kwargs, shared.seed(rng)).train(mode == "train")
        x = _padded_batch(rng, lens, kwargs["input_size"])
        seed = shared.seed(rng)
        layer = layer_arg(plan, key, "GRU", kwargs, reference, mode=mode)
        lens_arg = plan.array(f"{key}.lens", np.array(lens, np.int64))
        plan.probes[key] = call(
            "packed_gru_forward", [layer, plan.array(key, x), lens_arg], seed=seed
        )
        torch.manual_seed(seed)
        with torch.no_grad():
            result = api.packed_gru_forward(
                reference, torch.from_numpy(x), torch.tensor(lens, dtype=torch.long)
            )
        plan.expected[key] = to_numpy(result)
        if mode == "train":
            with torch.no_grad():
                result = api.packed_gru_forward(
                    reference.eval(), torch.from_numpy(x), torch.tensor(lens, dtype=torch.long)
                )
            plan.expected[f"{key}.eval"] = to_numpy(result)
        plan.expected[f"{key}.case"] = (kwargs, lens)
        plan.expected[f"{key}.what"] = describe_layer("GRU", kwargs, len(lens), length)
    plan.arrays["meta"] = _padded_batch(rng, [5, 3, 3, 1], 8)
    plan.probes["meta"] = call(
        "packed_gru_forward",
        [
            layer_arg(plan, "meta", "GRU", PACKED_COURSE, device="meta"),
            {"array": "meta", "device": "meta"},
            plan.array("meta.lens", np.array([5, 3, 3, 1], np.int64)),
        ],
    )
    return plan


def _packed(ctx: Context, key: str) -> tuple[Value, Value, Value]:
    outputs, lens, h_n = items(ctx.answer(key).value(), 3, "packed_gru_forward")
    for value, what in ((outputs, "outputs"), (lens, "outputs_lens"), (h_n, "h_n")):
        expect_tensor(value, what)
    return outputs, lens, h_n


def _expect_packed_shapes(ctx: Context, key: str) -> tuple[Value, Value, Value]:
    outputs, lens, h_n = _packed(ctx, key)
    kwargs, lengths = ctx.expected(f"{key}.case")
    total, dirs, hidden = _sizes(kwargs)
    batch = len(lengths)
    expect_shape(
        outputs, (lengths[0], batch, dirs * hidden), "outputs (L, B, num_dirs * hidden_size)"
    )
    expect_shape(h_n, (total, batch, hidden), "h_n (num_layers * num_dirs, B, hidden_size)")
    expect(
        lens.shape == (batch,) and lens.array().tolist() == lengths,
        "outputs_lens should be the lengths pad_packed_sequence returns",
        expected=str(lengths),
        actual=str(lens.array().tolist()) if lens.shape == (batch,) else str(lens.shape),
    )
    return outputs, lens, h_n


def _expect_skips_padding(ctx: Context, key: str) -> None:
    outputs, _, h_n = _expect_packed_shapes(ctx, key)
    kwargs, lengths = ctx.expected(f"{key}.case")
    total, dirs, hidden = _sizes(kwargs)
    values = outputs.array()
    top = h_n.array().reshape(total // dirs, dirs, -1, hidden)[-1]
    for row, n in enumerate(lengths):
        expect(
            not np.any(values[n:, row]),
            "the outputs at padded positions should be zero; pack the batch with "
            "pack_padded_sequence",
        )
        expect_close(
            top[0, row],
            values[n - 1, row, :hidden],
            t(
                "the top layer's forward state in h_n compared with the output at the last "
                "real token"
            ),
        )
        if dirs == 2:
            expect_close(
                top[1, row],
                values[0, row, hidden:],
                t(
                    "the top layer's backward state in h_n compared with the output at the "
                    "first token"
                ),
            )


def _expect_packed_values(ctx: Context, key: str) -> None:
    what = ctx.expected(f"{key}.what")
    expected_outputs, expected_lens, expected_h_n = ctx.expected(key)
    outputs, lens, h_n = _expect_packed_shapes(ctx, key)
    expect_tensor_close(h_n, expected_h_n, t("h_n for {layer}", layer=what))
    expect_tensor_close(outputs, expected_outputs, t("outputs for {layer}", layer=what))
    expect_tensor_equal(lens, expected_lens, t("outputs_lens for {layer}", layer=what))


@check(
    "returns outputs (5, 4, 32), outputs_lens [5, 3, 3, 1] and h_n (4, 4, 16) for a 2-layer "
    "bidirectional nn.GRU(8, 16)",
    gate=True,
)
def packed_shapes(ctx: Context) -> None:
    _expect_packed_shapes(ctx, "course")


@check("padding is skipped: zero outputs there, last states at each sequence's real end")
def packed_skips_padding(ctx: Context) -> None:
    _expect_skips_padding(ctx, "course")


@check("outputs, outputs_lens and h_n equal the reference for stacked and one-way layers")
def packed_values(ctx: Context) -> None:
    for key in ("course", "deep", "uni", "equal"):
        _expect_packed_values(ctx, key)


@check("random lengths with ties and a length-1 sequence: padding skipped in every layer")
def packed_random_lengths(ctx: Context) -> None:
    for key in ("deep", "uni"):
        _expect_skips_padding(ctx, key)


@check("a batch of one sequence of length one")
def packed_single(ctx: Context) -> None:
    _expect_packed_values(ctx, "one")


@check("in training mode (dropout between layers) the first layer is exact, the padding skipped")
def packed_train_mode(ctx: Context) -> None:
    _expect_skips_padding(ctx, "train")
    _, _, h_n = _packed(ctx, "train")
    _, _, expected_h_n = ctx.expected("train")
    expect_close(
        h_n.array()[:2],
        expected_h_n[:2],
        t(
            "the first layer's last states (dropout never touches them) for {layer}",
            layer=ctx.expected("train.what"),
        ),
    )
    _, _, eval_h_n = ctx.expected("train.eval")
    expect(
        not np.allclose(h_n.array()[2:], eval_h_n[2:], rtol=1e-4, atol=1e-5),
        t(
            "a layer in training mode gave the top layer's states of eval mode, so its dropout "
            "between layers never acted: leave the layer in the mode it is given (no "
            "{layer}.eval() or {layer}.train() inside {function})",
            layer="gru",
            function="packed_gru_forward",
        ),
    )


@check("outputs and h_n stay connected to the layer's weights")
def packed_keeps_graph(ctx: Context) -> None:
    for key in ("course", "deep"):
        outputs, _, h_n = _packed(ctx, key)
        expect_graph([outputs, h_n], "packed_gru_forward")


@check("h_0 is created on the batch's device (the layer may live on a GPU)")
def packed_device(ctx: Context) -> None:
    answer = ctx.answer("meta")
    if not answer.raw.get("ok") and meta_cannot_unpack(ctx, answer.raw.get("error") or {}):
        ctx.answer("course").require_ok()
        return  # h_0 followed the batch; only torch's meta stand-in stopped after the layer
    result = off_cpu_result(ctx, "meta", "packed_gru_forward", "course")
    outputs, _, h_n = items(result, 3, "packed_gru_forward")
    expect_on_device([outputs, h_n], "packed_gru_forward")
    expect(
        outputs.shape == (5, 4, 32) and h_n.shape == (4, 4, 16),
        "on another device the results should have the same shapes as on the CPU",
        expected=N_("outputs (L, B, num_dirs * H) and h_n (num_layers * num_dirs, B, H)"),
        actual=t("{outputs} and {h_n}", outputs=str(outputs.shape), h_n=str(h_n.shape)),
    )


@check("batch_emb and batch_lens are left unchanged")
def packed_input_unchanged(ctx: Context) -> None:
    expect_unchanged(ctx, ("course", "deep", "uni"), "packed_gru_forward")


EXERCISE = Exercise(
    "packed_gru",
    ASSIGNMENT,
    "packed_gru_forward(gru, batch_emb, batch_lens)",
    _packed_gru_plan,
    (
        packed_shapes,
        packed_skips_padding,
        packed_values,
        packed_random_lengths,
        packed_single,
        packed_train_mode,
        packed_keeps_graph,
        packed_device,
        packed_input_unchanged,
    ),
    MISTAKES,
)
