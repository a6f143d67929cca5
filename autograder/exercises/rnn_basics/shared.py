"""Helpers that several rnn_basics exercises use: probe seeds, call probes, returned tuples, the
stock torch layers with the grader's weights that rnn_forward, lstm_forward and packed_gru run,
and what tells a device mistake from the limits of torch's meta stand-in for a GPU.
"""

from __future__ import annotations

import ast
import string
from typing import Any

import numpy as np
import torch

from autograder.engine.checks import (
    CheckFailure,
    Value,
    expect,
    expect_close,
    expect_shape,
    expect_tensor,
    explain_error,
)
from autograder.engine.exercise import Context, Plan
from autograder.exercises.common import state_arrays, target, to_numpy
from autograder.i18n import N_, Text, t
from solutions.rnn_basics import api

ASSIGNMENT = "rnn_basics"
PRINTABLE = string.printable


def seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def items(value: Value, count: int, what: Text | str) -> list[Value]:
    """The items of a returned tuple/list of exactly `count` values."""
    expect(
        value.type in ("tuple", "list") and len(value.items()) == count,
        t("{what} should return {count} values", what=what, count=count),
        expected=t("a tuple of {count}", count=count),
        actual=value.describe(),
    )
    return value.items()


def call(function: str, args: list[Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "call", "target": target(function), "args": args, **extra}


# --- stock torch layers with the grader's weights, for rnn_forward / lstm_forward / packed_gru ----

#: A layer's keyword arguments, the batch size and the sequence length.
Case = tuple[dict[str, Any], int, int]

COURSE_LAYER = {"input_size": api.embedding_size, "hidden_size": api.hidden_size}
COURSE_BATCH, COURSE_LENGTH = 10, 20
#: a stacked layer with dropout, given in training mode: its dropout must act between the layers
TRAIN_LAYER = {"input_size": 5, "hidden_size": 6, "num_layers": 2, "dropout": 0.5}


def stock_layer(kind: str, kwargs: dict[str, Any], seed: int) -> torch.nn.Module:
    """The grader's copy of torch.nn.<kind>(**kwargs): seeded default weights, eval mode."""
    torch.manual_seed(seed)
    return getattr(torch.nn, kind)(**kwargs).eval()


def layer_arg(
    plan: Plan,
    key: str,
    kind: str,
    kwargs: dict[str, Any],
    reference: torch.nn.Module | None = None,
    *,
    mode: str = "eval",
    device: str | None = None,
) -> dict[str, Any]:
    """The argument that has the child build the same stock layer with the reference's weights.

    Without a reference the child keeps the layer's own (seeded) initial weights: enough for
    shapes and for facts that hold for any weights.
    """
    spec: dict[str, Any] = {"torch_module": kind, "kwargs": dict(kwargs), "mode": mode}
    if device is not None:
        spec["kwargs"]["device"] = device
    if reference is not None:
        spec["state"] = state_arrays(plan, f"{key}.layer", reference)
    return spec


def describe_layer(kind: str, kwargs: dict[str, Any], batch: int, length: int) -> Text:
    """'a 2-layer bidirectional nn.GRU (hidden_size 16, relu) on 4 sequences of length 5'."""
    layers = int(kwargs.get("num_layers", 1))
    if kwargs.get("bidirectional"):
        layer = t("a {layers}-layer bidirectional nn.{kind}", layers=layers, kind=kind)
    else:
        layer = t("a {layers}-layer nn.{kind}", layers=layers, kind=kind)
    options = ""  # settings in code, for every language
    if kwargs.get("nonlinearity") == "relu":
        options += ", relu"
    if kwargs.get("bias") is False:
        options += ", bias=False"
    if batch == 1:
        sequences = t("one sequence of length {length}", length=length)
    else:
        sequences = t("{batch} sequences of length {length}", batch=batch, length=length)
    return t(
        "{layer} (hidden_size {hidden}{options}) on {sequences}",
        layer=layer,
        hidden=int(kwargs["hidden_size"]),
        options=options,
        sequences=sequences,
    )


def embedded_batch(rng: np.random.Generator, batch: int, length: int, size: int) -> np.ndarray:
    return rng.standard_normal((batch, length, size)).astype(np.float32)


def tensor_items(value: Value, what: Text | str) -> list[Value]:
    """Every tensor in a (possibly nested) returned tuple, each checked to be a tensor."""
    if value.type in {"tuple", "list"}:
        return [t for item in value.items() for t in tensor_items(item, what)]
    expect_tensor(value, what)
    return [value]


def off_cpu_result(ctx: Context, key: str, function: str, cpu_key: str) -> Value:
    """The result of a call on a layer and a batch that live off the CPU (as on a GPU).

    `cpu_key` is a call on a like layer on the CPU: if that fails too, its error is the news.
    """
    ctx.answer(cpu_key).require_ok()
    answer = ctx.answer(key)
    if not answer.raw.get("ok"):
        raise CheckFailure(
            t(
                "{function} works on the CPU but fails when the layer and batch_emb live on "
                "another device (as on a GPU): create the zero initial state on batch_emb's "
                "device, for example with batch_emb.new_zeros(...) or device=batch_emb.device; "
                "{error}",
                function=function,
                error=explain_error(answer.raw.get("error") or {}),
            )
        )
    return answer.value()


def meta_cannot_unpack(ctx: Context, error: dict[str, Any]) -> bool:
    """True when the call stopped only where torch cannot follow the meta stand-in.

    pad_packed_sequence of a batch packed with enforce_sorted=False copies its order to the CPU,
    which a meta tensor cannot do (a GPU tensor can). The innermost student statement must then
    be that pad_packed_sequence call, with no copy off the device of its own in its arguments;
    the layer has already run on the batch's device from the student's h_0.
    """
    frames = error.get("frames") or []
    if error.get("type") != "NotImplementedError" or not frames:
        return False
    if not str(error.get("message", "")).startswith("Cannot copy out of meta tensor"):
        return False
    cell = next((c for c in ctx.cells if f"<cell {c.index}>" == frames[-1].get("cell")), None)
    line = frames[-1].get("line")
    try:
        tree = ast.parse(cell.source) if cell is not None else None
    except SyntaxError:
        return False
    if tree is None or not isinstance(line, int):
        return False
    simple = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
        and not hasattr(node, "body")
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    calls = [node for stmt in simple for node in ast.walk(stmt) if isinstance(node, ast.Call)]
    unpacks = [call for call in calls if _called_name(call) == "pad_packed_sequence"]
    lengths = {  # pack_padded_sequence wants its lengths on the CPU: a copy there is right
        id(node)
        for call in calls
        if _called_name(call) == "pack_padded_sequence"
        for argument in call.args[1:2] + [k.value for k in call.keywords if k.arg == "lengths"]
        for node in ast.walk(argument)
    }
    copies = {"cpu", "to", "numpy", "tolist", "item"}
    return bool(unpacks) and not any(
        _called_name(node) in copies and id(node) not in lengths
        for call in unpacks
        for node in ast.walk(call)
        if isinstance(node, ast.Call) and node is not call
    )


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def expect_on_device(values: list[Value], function: str) -> None:
    for value in values:
        expect(
            value.type == "tensor" and value.device == "meta",
            t(
                "the results of {function} should stay on the device of the layer and the batch",
                function=function,
            ),
            expected=N_("the batch's device"),
            actual=value.describe(),
        )


def expect_graph(values: list[Value], function: str) -> None:
    expect(
        all(bool(value.meta.get("requires_grad")) for value in values),
        t(
            "the results of {function} do not require grad, so the layer could not be trained "
            "through them: call the layer without torch.no_grad() and do not detach",
            function=function,
        ),
    )


def expect_unchanged(ctx: Context, keys: tuple[str, ...], function: str) -> None:
    for key in keys:
        ctx.answer(key).require_ok()
        expect(
            not set(ctx.answer(key).raw.get("mutated") or []) - {0},
            t(
                "{function} changed a tensor it was given (an in-place transpose_?); use "
                "transpose, which returns a new view",
                function=function,
            ),
        )


def forward_plan(
    rng: np.random.Generator, kind: str, function: str, cases: dict[str, Case]
) -> Plan:
    """rnn_forward / lstm_forward: the course's layer (shapes), seeded cases and a meta layer."""
    plan = Plan()
    course = embedded_batch(rng, COURSE_BATCH, COURSE_LENGTH, api.embedding_size)
    plan.probes["course"] = call(
        function,
        [layer_arg(plan, "course", kind, COURSE_LAYER), plan.array("course", course)],
        seed=seed(rng),
    )
    run = getattr(api, function)
    for key, (kwargs, batch, length) in cases.items():
        reference = stock_layer(kind, kwargs, seed(rng))
        x = embedded_batch(rng, batch, length, kwargs["input_size"])
        layer = layer_arg(plan, key, kind, kwargs, reference)
        plan.probes[key] = call(function, [layer, plan.array(key, x)])
        with torch.no_grad():
            plan.expected[key] = to_numpy(run(reference, torch.from_numpy(x)))
        plan.expected[f"{key}.what"] = describe_layer(kind, kwargs, batch, length)
    meta = {"input_size": 6, "hidden_size": 5, "num_layers": 2, "bidirectional": True}
    plan.arrays["meta"] = embedded_batch(rng, 3, 4, 6)
    plan.probes["meta"] = call(
        function,
        [
            layer_arg(plan, "meta", kind, meta, device="meta"),
            {"array": "meta", "device": "meta"},
        ],
    )
    reference = stock_layer(kind, TRAIN_LAYER, seed(rng))
    x = embedded_batch(rng, 3, 4, TRAIN_LAYER["input_size"])
    layer = layer_arg(plan, "train", kind, TRAIN_LAYER, reference, mode="train")
    plan.probes["train"] = call(function, [layer, plan.array("train", x)])
    with torch.no_grad():
        h_n = run(reference, torch.from_numpy(x))[1]  # eval mode: what dropout must change
    plan.expected["train.eval"] = to_numpy(h_n[0] if isinstance(h_n, tuple) else h_n)
    return plan


def expect_dropout_acts(ctx: Context, h_n: Value, function: str, layer: str) -> None:
    """h_n of the "train" probe: the first layer's as in eval mode, the top layer's changed."""
    eval_h_n = ctx.expected("train.eval")
    expect_tensor(h_n, "h_n")
    expect_shape(h_n, eval_h_n.shape, "h_n (num_layers * num_dirs, B, hidden_size)")
    expect_close(
        h_n.array()[:1],
        eval_h_n[:1],
        t("the first layer's last states of a layer in training mode (dropout never touches them)"),
    )
    expect(
        not np.allclose(h_n.array()[1:], eval_h_n[1:], rtol=1e-4, atol=1e-5),
        t(
            "a layer in training mode gave the top layer's states of eval mode, so its dropout "
            "between layers never acted: leave the layer in the mode it is given (no "
            "{layer}.eval() or {layer}.train() inside {function})",
            layer=layer,
            function=function,
        ),
    )
