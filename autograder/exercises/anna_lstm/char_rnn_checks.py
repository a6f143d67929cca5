"""The checks of char_rnn (kept apart from its plan so that each module stays short): public ones
restate the notebook's tests (shapes, layers, chunks joined, where dropout acts); hidden ones
compare with `solutions.anna_lstm` in eval mode and check dropout's train-mode statistics.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from autograder.engine.checks import (
    CheckFailure,
    MalformedAnswer,
    Value,
    expect,
    expect_close,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, check
from autograder.exercises.common import expect_grads_close, expect_tensor_close, tensor_value
from autograder.i18n import N_, Text, t

#: the one-layer model whose fc is the identity (vocab == n_hidden), for dropout statistics.
DROP_P = 0.3


def _out_and_state(value: Value) -> tuple[Value, Value, Value]:
    """(out, h, c) from what forward returned, or a failure that says what came back."""
    expect(
        value.type in ("tuple", "list") and len(value.items()) == 2,
        "forward should return (out, hidden)",
        actual=value.describe(),
    )
    out, hidden = value.items()
    expect(
        hidden.type in ("tuple", "list") and len(hidden.items()) == 2,
        "the returned hidden should be the pair (h, c) that the LSTM returned",
        actual=hidden.describe(),
    )
    h, c = hidden.items()
    expect_tensor(out, "out")
    return out, h, c


def _expect_step(ctx: Context, key: str, step: int, what: Text) -> None:
    """Step `step` of probe `key` (0: first chunk, 1: second chunk) equals the reference's."""
    out, h, c = _out_and_state(ctx.answer(key).step(step))
    want_out, (want_h, want_c) = ctx.expected(key)[2 * step : 2 * step + 2]
    expect_tensor_close(out, want_out, t("out {what}", what=what))
    expect_tensor_close(h, want_h, t("the returned h {what}", what=what))
    expect_tensor_close(c, want_c, t("the returned c {what}", what=what))


def _pairs(raw: dict[str, Any], key: str) -> dict[str, Any]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(
        isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) for item in items
    ):
        raise MalformedAnswer(t("the answer's {key} are malformed", key=key))
    return {name: detail for name, detail in items}


@check("forward returns out (batch*seq_len, vocab) and the LSTM's (h, c)", gate=True)
def forward_shapes(ctx: Context) -> None:
    answer = ctx.answer("shapes")
    error = answer.raw.get("error") if not answer.raw.get("ok") else None
    if isinstance(error, dict) and error.get("type") == "StopIteration":
        raise CheckFailure(
            N_(
                "the model has no weights: define self.lstm, self.dropout and self.fc in "
                "__init__ (init_hidden takes the device from the weights)"
            )
        )
    out, h, c = _out_and_state(answer.step(1))
    expect_shape(out, (21, 5), t("out for batch 3, length 7 and 5 characters"))
    expect_tensor(h, "h")
    expect_tensor(c, "c")
    expect_shape(h, (2, 3, 16), "h (n_layers, batch, n_hidden)")
    expect_shape(c, (2, 3, 16), "c (n_layers, batch, n_hidden)")


@check("defines self.lstm, self.dropout and self.fc from the arguments")
def layers_defined(ctx: Context) -> None:
    answer = ctx.answer("layers")
    answer.require_ok()
    modules = _pairs(answer.raw, "modules")
    for name, kind in (("lstm", "LSTM"), ("dropout", "Dropout"), ("fc", "Linear")):
        expect(
            modules.get(name) == kind,
            t("define self.{name} as an nn.{kind} in __init__", name=name, kind=kind),
            expected="nn." + kind,
            actual=str(modules[name]) if name in modules else N_("not defined"),
        )
    shapes = {name: tuple(shape) for name, shape in _pairs(answer.raw, "parameters").items()}
    expect(
        shapes.get("lstm.weight_ih_l0") == (4 * 16, 5),
        "the LSTM's input size should be the number of characters len(tokens) (one-hot input) "
        "and its hidden size n_hidden",
        expected=N_("input 5, hidden 16"),
        actual=_lstm_sizes(shapes.get("lstm.weight_ih_l0")),
    )
    layers = sum(1 for name in shapes if re.fullmatch(r"lstm\.weight_ih_l\d+", name))
    expect(
        layers == 3,
        "the LSTM should stack n_layers layers",
        expected=N_("3 layers"),
        actual=t("1 layer") if layers == 1 else t("{count} layers", count=layers),
    )
    expect(
        shapes.get("fc.weight") == (5, 16),
        "self.fc should map n_hidden features to one score per character",
        expected="16 -> 5",
        actual=_linear_sizes(shapes.get("fc.weight")),
    )
    text = answer.step(0).scalar
    if not isinstance(text, str):
        raise MalformedAnswer(N_("the model's description did not come back as text"))
    lstm = re.search(r"\(lstm\): LSTM\(([^)]*)\)", text)
    settings = lstm.group(1) if lstm else ""
    expect(
        "batch_first=True" in settings,
        "the input is (batch, seq_len, characters): create the LSTM with batch_first=True",
    )
    found = re.search(r"dropout=([0-9.eE-]+)", settings)
    expect(
        found is not None and _number(found.group(1)) == 0.3,
        "pass drop_prob to the LSTM as its dropout between layers",
        expected=N_("dropout=0.3 for drop_prob=0.3"),
        actual="dropout=" + found.group(1) if found else N_("no dropout"),
    )
    found = re.search(r"\(dropout\): Dropout\(p=([0-9.eE-]+)", text)
    expect(
        found is not None and _number(found.group(1)) == 0.3,
        "self.dropout should drop with probability drop_prob",
        expected=N_("p=0.3 for drop_prob=0.3"),
        actual="p=" + found.group(1) if found else N_("not found"),
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _lstm_sizes(shape: Any) -> Text | str:
    if not shape or len(shape) != 2:
        return N_("no lstm.weight_ih_l0")
    return t("input {inputs}, hidden {hidden}", inputs=int(shape[1]), hidden=shape[0] / 4)


def _linear_sizes(shape: Any) -> Text | str:
    if not shape or len(shape) != 2:
        return N_("no fc.weight")
    return str(shape[1]) + " -> " + str(shape[0])


@check("in eval mode, two chunks with the hidden passed on equal one pass")
def chunks_join(ctx: Context) -> None:
    answer = ctx.answer("split")
    whole, _, _ = _out_and_state(answer.step(1))
    again, _, _ = _out_and_state(answer.step(2))
    first, _, _ = _out_and_state(answer.step(3))
    second, _, _ = _out_and_state(answer.step(4))
    expect_shape(whole, (16, 5), t("out for batch 2, length 8 and 5 characters"))
    whole_out = tensor_value(whole, "out")
    expect(
        np.array_equal(whole_out, tensor_value(again, "out")),
        "in eval mode the same input should always give the same output (is dropout applied "
        "even in eval mode?)",
    )
    expect_shape(first, (6, 5), t("out of the first chunk (batch 2, length 3)"))
    expect_shape(second, (10, 5), t("out of the second chunk (batch 2, length 5)"))
    joined = np.concatenate(
        [first.array().reshape(2, 3, -1), second.array().reshape(2, 5, -1)], axis=1
    )
    try:
        expect_close(joined, whole_out.reshape(2, 8, -1), t("the joined chunks' output"))
    except CheckFailure as failure:
        raise CheckFailure(
            N_(
                "splitting a sequence in two and passing the first chunk's hidden on gives "
                "another result than one pass: give forward's hidden to the LSTM, return the "
                "LSTM's new hidden, and flatten so that step t of row b becomes row "
                "b * seq_len + t"
            ),
            failure.expected,
            failure.actual,
        ) from None


@check("dropout acts on the LSTM output in train mode, not on fc's scores")
def dropout_on_lstm_output(ctx: Context) -> None:
    answer = ctx.answer("dropout")
    first, _, _ = _out_and_state(answer.step(0))
    second, _, _ = _out_and_state(answer.step(1))
    expect(
        not np.allclose(tensor_value(first, "out"), tensor_value(second, "out")),
        "in train mode the same input gives the same output twice: apply self.dropout to the "
        "LSTM output in forward",
    )
    flat, _, _ = _out_and_state(ctx.answer("flat").step(0))
    values = tensor_value(flat, "out")
    expect(
        values.size == 0 or np.any(values != values.flat[0]) or values.flat[0] == 1,
        "with fc's weights zero and its bias one every score should be exactly 1: return fc's "
        "scores as they are, with no softmax or other function after fc",
        actual=t("every score is {score:.4g}", score=float(values.flat[0]))
        if values.size
        else None,
    )
    expect(
        values.size > 0 and np.array_equal(values, np.ones_like(values)),
        "with fc's weights zero and its bias one every score should be 1 even in train mode: "
        "apply dropout to the LSTM output before fc, never to fc's scores",
        actual=t(
            "{count} of {total} scores differ from 1",
            count=int(np.sum(values != 1)),
            total=int(values.size),
        ),
    )


@check("outputs and (h, c) match the reference in eval mode from a given state")
def outputs_match(ctx: Context) -> None:
    for key in ("small", "wide"):
        _expect_step(ctx, key, 0, t("from a given hidden state"))


@check("a second chunk that continues from the returned hidden matches the reference")
def second_chunk_matches(ctx: Context) -> None:
    for key in ("small", "wide"):
        _expect_step(ctx, key, 1, t("of a second chunk"))


@check("works for a batch of one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    _expect_step(ctx, "tiny", 0, t("for one character"))


@check("gradients reach the LSTM and fc as in the reference, through the carried hidden")
def gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", t("the gradient"))


@check("in train mode dropout zeroes about drop_prob of the LSTM output and rescales the rest")
def dropout_statistics(ctx: Context) -> None:
    out, _, _ = _out_and_state(ctx.answer("dropout").step(0))
    expected = ctx.expected("dropout")
    expect_shape(out, expected.shape, t("out in train mode"))
    values = out.array().astype(np.float64)
    clear = np.abs(expected) > 1e-3
    dropped = (np.abs(values) < 1e-7) & clear
    kept = np.isclose(values, expected / (1 - DROP_P), rtol=1e-3, atol=1e-5) & clear
    expect(
        bool(dropped.any()),
        "in train mode no LSTM output was zeroed: apply self.dropout to the LSTM output",
    )
    expect(
        bool(np.all(dropped | kept | ~clear)),
        "in train mode each LSTM output value should be either zeroed or divided by "
        "(1 - drop_prob), as nn.Dropout does; is dropout applied somewhere else as well?",
        actual=t(
            "{count} of {total} values are neither zeroed nor divided by (1 - drop_prob)",
            count=int(np.sum(~(dropped | kept) & clear)),
            total=int(clear.sum()),
        ),
    )
    share = float(dropped.sum() / max(int(clear.sum()), 1))
    expect(
        abs(share - DROP_P) < 0.1,
        "the share of LSTM outputs zeroed in train mode does not match drop_prob",
        expected=t("about {share:.0%}", share=DROP_P),
        actual=t("{share:.0%} zeroed", share=share),
    )


@check("in train mode dropout acts between the LSTM layers only, not on the input")
def dropout_between_layers(ctx: Context) -> None:
    _, h, c = _out_and_state(ctx.answer("between").step(0))
    want_h, want_c = ctx.expected("between")
    h_values, c_values = tensor_value(h, "h"), tensor_value(c, "c")
    expect_shape(h, want_h.shape, t("h in train mode"))
    expect_shape(c, want_c.shape, t("c in train mode"))
    first_layer = np.allclose(h_values[0], want_h[0], atol=1e-5) and np.allclose(
        c_values[0], want_c[0], atol=1e-5
    )
    expect(
        first_layer,
        "in train mode the first LSTM layer's state changed: dropout goes between the LSTM's "
        "layers and on its output, never on the input x or the given hidden",
    )
    expect(
        not np.allclose(h_values[-1], want_h[-1], atol=1e-4),
        "in train mode the top LSTM layer's state is the same as in eval mode: the LSTM drops "
        "nothing between its layers; pass drop_prob as its dropout",
    )
