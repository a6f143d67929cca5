"""Assignment 2, anna_lstm: each exercise's probes, checks and known mistakes, in one place.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.anna_lstm` on inputs drawn here at random. The
student's CharRNN has dropout, so its values are compared in eval mode only; in train mode the
checks look at shapes and at what dropout may and may not change.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import torch

from autograder.engine.checks import (
    CheckFailure,
    MalformedAnswer,
    Value,
    expect,
    expect_close,
    expect_equal,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    reference_grads,
    state_arrays,
    target,
    tensor_value,
    to_numpy,
)
from solutions import anna_lstm as ref

ASSIGNMENT = "anna_lstm"
CHAR_POOL = "etaoinshrdlu .,;'\nETAOINSHRD!?"


# --- get_batches ------------------------------------------------------------------------------------

#: (length of the array, batch_size, seq_length) for the hidden comparisons: a tail to drop,
#: batch 1, an array that fills its batches exactly, windows of one character.
BATCH_CASES = {
    "tail": (None, 3, 5),
    "batch1": (None, 1, 7),
    "exact": (60, 4, 3),
    "seq1": (23, 2, 1),
}


def _batches_probe(plan: Plan, key: str, data: np.ndarray, batch_size: int, seq_length: int):
    """Probe `key`: consume get_batches(data, batch_size, seq_length) a few batches past the end."""
    expected = [(x.copy(), y.copy()) for x, y in ref.get_batches(data, batch_size, seq_length)]
    plan.probes[key] = {
        "kind": "call",
        "target": target("get_batches"),
        "args": [
            {**plan.array(f"{key}.arr", data), "as": "numpy"},
            {"value": batch_size},
            {"value": seq_length},
        ],
        "iterate": len(expected) + 3,
    }
    plan.expected[key] = expected


def _get_batches_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    course = np.arange(26, dtype=np.int64)
    plan.probes["lazy"] = {
        "kind": "call",
        "target": target("get_batches"),
        "args": [{**plan.array("lazy.arr", course), "as": "numpy"}, {"value": 2}, {"value": 4}],
    }
    _batches_probe(plan, "course", course, 2, 4)
    text = rng.integers(0, 83, size=int(rng.integers(2000, 2400))).astype(np.int64)
    _batches_probe(plan, "long", text, 8, 50)
    for key, (length, batch_size, seq_length) in BATCH_CASES.items():
        if length is None:
            length = int(rng.integers(3, 9)) * batch_size * seq_length + int(
                rng.integers(1, batch_size * seq_length)
            )
        data = rng.integers(0, 83, size=length).astype(np.int64)
        _batches_probe(plan, key, data, batch_size, seq_length)
    short = rng.integers(0, 83, size=10).astype(np.int64)
    _batches_probe(plan, "short", short, 3, 4)
    return plan


def _batch_list(ctx: Context, key: str) -> list[tuple[Value, Value]]:
    """The (x, y) pairs the generator yielded for probe `key`."""
    value = ctx.answer(key).value()
    expect(
        value.type == "list",
        "get_batches should be a generator that yields (x, y) pairs",
        actual=value.describe(),
    )
    pairs = []
    for item in value.items():
        expect(
            item.type in {"tuple", "list"} and len(item.items()) == 2,
            "each mini-batch should be a pair (x, y)",
            actual=item.describe(),
        )
        pairs.append((item.item(0), item.item(1)))
    return pairs


def _ids(value: Value, what: str) -> np.ndarray:
    expect(
        value.type in {"ndarray", "tensor"},
        f"{what} should be a numpy array",
        actual=value.describe(),
    )
    return value.array()


def _ordinal(number: int) -> str:
    if number % 100 in {11, 12, 13}:
        return f"{number}th"
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    return f"{number}{suffixes.get(number % 10, 'th')}"


def _expect_batches(ctx: Context, key: str, where: str) -> None:
    pairs = _batch_list(ctx, key)
    expected = ctx.expected(key)
    expect(
        len(pairs) == len(expected),
        f"{where}, the number of mini-batches is wrong; use only the n_batches full batches",
        expected=str(len(expected)),
        actual=str(len(pairs)),
    )
    for number, ((x, y), (want_x, want_y)) in enumerate(zip(pairs, expected, strict=True)):
        label = f"{where}, the {_ordinal(number + 1)} batch's"
        expect_equal(_ids(x, "x"), want_x, f"{label} x")
        expect_equal(_ids(y, "y"), want_y, f"{label} y")


@check("is a generator that yields (x, y) pairs", hidden=False, gate=True)
def is_generator(ctx: Context) -> None:
    value = ctx.answer("lazy").value()
    expect(
        value.type == "generator",
        "get_batches should be a generator: give out each mini-batch with `yield x, y` "
        "instead of returning",
        expected="a generator",
        actual=value.describe(),
    )
    pairs = _batch_list(ctx, "course")
    expect(bool(pairs), "get_batches(np.arange(26), 2, 4) yields no mini-batch")
    _ids(pairs[0][0], "x")
    _ids(pairs[0][1], "y")


@check("np.arange(26) with batch_size=2, seq_length=4 gives 3 batches of (2, 4)", hidden=False)
def count_and_shapes(ctx: Context) -> None:
    pairs = _batch_list(ctx, "course")
    expect(
        len(pairs) == 3,
        "26 ids make n_batches = 26 // 8 = 3 full batches; drop the 2 left over and slide "
        "seq_length columns at a time",
        expected="3 batches",
        actual=f"{len(pairs)} batches",
    )
    for x, y in pairs:
        expect_shape(x, (2, 4), "x (batch_size, seq_length)")
        expect_shape(y, (2, 4), "y (batch_size, seq_length)")


@check("np.arange(26): the first and last x and y are the course's", hidden=False)
def course_targets(ctx: Context) -> None:
    pairs = _batch_list(ctx, "course")
    expect(len(pairs) == 3, "the number of batches is wrong; see the check on the count first")
    (x0, y0), _, (x2, y2) = pairs
    facts = (
        (x0, [[0, 1, 2, 3], [12, 13, 14, 15]], "the first x (each row a contiguous stretch)"),
        (x2, [[8, 9, 10, 11], [20, 21, 22, 23]], "the last x"),
        (y0, [[1, 2, 3, 4], [13, 14, 15, 16]], "the first y (x shifted left by one)"),
        (y2, [[9, 10, 11, 0], [21, 22, 23, 12]], "the last y (its last column wraps to column 0)"),
    )
    for value, wanted, what in facts:
        actual = _ids(value, what)
        expect(
            actual.shape == (2, 4) and np.array_equal(actual, np.array(wanted)),
            f"{what} is not right",
            expected=str(wanted),
            actual=str(actual.tolist()) if actual.size <= 16 else f"shape {actual.shape}",
        )


@check("on a long text with batch 8 and length 50, y is x shifted by one", hidden=False)
def long_text_shift(ctx: Context) -> None:
    pairs = _batch_list(ctx, "long")
    expect(bool(pairs), "get_batches(encoded, 8, 50) yields no mini-batch")
    x, y = pairs[0]
    expect_shape(x, (8, 50), "the first x")
    expect_shape(y, (8, 50), "the first y")
    xs, ys = _ids(x, "x"), _ids(y, "y")
    first = ctx.expected("long")[0][0]
    expect(
        np.array_equal(xs[0], first[0]),
        "row 0 of the first x should be the first 50 ids of the text",
    )
    expect(np.array_equal(ys[:, :-1], xs[:, 1:]), "y should be x shifted left by one")


@check("matches the correct batches for other sizes, batch 1 and length-1 windows")
def random_batches(ctx: Context) -> None:
    for key in BATCH_CASES:
        _expect_batches(ctx, key, "for another array and other sizes")
    _expect_batches(ctx, "long", "on a long text")


@check("x and y are numpy arrays of the input's integer dtype")
def arrays_keep_dtype(ctx: Context) -> None:
    for key in ("course", "tail"):
        for x, y in _batch_list(ctx, key):
            for value, name in ((x, "x"), (y, "y")):
                expect(
                    value.type == "ndarray",
                    f"{name} should be a numpy array (train() calls torch.from_numpy on it)",
                    expected="numpy.ndarray",
                    actual=value.describe(),
                )
                expect(
                    value.dtype == "int64",
                    f"{name} should keep the integer dtype of arr: character ids are class "
                    "labels, not floats",
                    expected="int64",
                    actual=value.dtype,
                )


@check("an array shorter than one batch gives no batch")
def short_array(ctx: Context) -> None:
    pairs = _batch_list(ctx, "short")
    expect(
        not pairs,
        "when arr cannot fill one batch_size x seq_length batch, n_batches is 0 and nothing "
        "should be yielded",
        expected="no batch",
        actual=f"{len(pairs)} batches",
    )


@check("does not change the array it is given")
def input_not_mutated(ctx: Context) -> None:
    for key in ("course", "tail", "exact"):
        mutated = ctx.answer(key).raw.get("mutated", [])
        if not isinstance(mutated, list):
            raise MalformedAnswer("the answer's list of mutated arguments is malformed")
        expect(
            0 not in mutated,
            "get_batches changed arr while batching: x and the grid are views of arr, so "
            "build y as a new array instead of writing into x",
        )


# --- char_rnn -----------------------------------------------------------------------------------------


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
#: the one-layer model whose fc is the identity (vocab == n_hidden), for dropout statistics.
DROP_P = 0.3


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


def _out_and_state(value: Value) -> tuple[Value, Value, Value]:
    """(out, h, c) from what forward returned, or a failure that says what came back."""
    expect(
        value.type in {"tuple", "list"} and len(value.items()) == 2,
        "forward should return (out, hidden)",
        actual=value.describe(),
    )
    out, hidden = value.items()
    expect(
        hidden.type in {"tuple", "list"} and len(hidden.items()) == 2,
        "the returned hidden should be the pair (h, c) that the LSTM returned",
        actual=hidden.describe(),
    )
    h, c = hidden.items()
    expect_tensor(out, "out")
    return out, h, c


def _expect_step(ctx: Context, key: str, step: int, what: str) -> None:
    """Step `step` of probe `key` (0: first chunk, 1: second chunk) equals the reference's."""
    out, h, c = _out_and_state(ctx.answer(key).step(step))
    want_out, (want_h, want_c) = ctx.expected(key)[2 * step : 2 * step + 2]
    expect_tensor_close(out, want_out, f"out {what}")
    expect_tensor_close(h, want_h, f"the returned h {what}")
    expect_tensor_close(c, want_c, f"the returned c {what}")


def _pairs(raw: dict[str, Any], key: str) -> dict[str, Any]:
    items = raw.get(key, [])
    if not isinstance(items, list) or not all(
        isinstance(item, list) and len(item) == 2 and isinstance(item[0], str) for item in items
    ):
        raise MalformedAnswer(f"the answer's {key} are malformed")
    return {name: detail for name, detail in items}


@check("forward returns out (batch*seq_len, vocab) and the LSTM's (h, c)", hidden=False, gate=True)
def forward_shapes(ctx: Context) -> None:
    answer = ctx.answer("shapes")
    error = answer.raw.get("error") if not answer.raw.get("ok") else None
    if isinstance(error, dict) and error.get("type") == "StopIteration":
        raise CheckFailure(
            "the model has no weights: define self.lstm, self.dropout and self.fc in __init__ "
            "(init_hidden takes the device from the weights)"
        )
    out, h, c = _out_and_state(answer.step(1))
    expect_shape(out, (21, 5), "out for batch 3, length 7 and 5 characters")
    expect_tensor(h, "h")
    expect_tensor(c, "c")
    expect_shape(h, (2, 3, 16), "h (n_layers, batch, n_hidden)")
    expect_shape(c, (2, 3, 16), "c (n_layers, batch, n_hidden)")


@check("defines self.lstm, self.dropout and self.fc from the arguments", hidden=False)
def layers_defined(ctx: Context) -> None:
    answer = ctx.answer("layers")
    answer.require_ok()
    modules = _pairs(answer.raw, "modules")
    for name, kind in (("lstm", "LSTM"), ("dropout", "Dropout"), ("fc", "Linear")):
        expect(
            modules.get(name) == kind,
            f"define self.{name} as an nn.{kind} in __init__",
            expected=f"nn.{kind}",
            actual=str(modules.get(name, "not defined")),
        )
    shapes = {name: tuple(shape) for name, shape in _pairs(answer.raw, "parameters").items()}
    expect(
        shapes.get("lstm.weight_ih_l0") == (4 * 16, 5),
        "the LSTM's input size should be the number of characters len(tokens) (one-hot input) "
        "and its hidden size n_hidden",
        expected="input 5, hidden 16",
        actual=_lstm_sizes(shapes.get("lstm.weight_ih_l0")),
    )
    layers = sum(1 for name in shapes if re.fullmatch(r"lstm\.weight_ih_l\d+", name))
    expect(
        layers == 3,
        "the LSTM should stack n_layers layers",
        expected="3 layers",
        actual=f"{layers} layers",
    )
    expect(
        shapes.get("fc.weight") == (5, 16),
        "self.fc should map n_hidden features to one score per character",
        expected="16 -> 5",
        actual=_linear_sizes(shapes.get("fc.weight")),
    )
    text = answer.step(0).scalar
    if not isinstance(text, str):
        raise MalformedAnswer("the model's description did not come back as text")
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
        expected="dropout=0.3 for drop_prob=0.3",
        actual=f"dropout={found.group(1)}" if found else "no dropout",
    )
    found = re.search(r"\(dropout\): Dropout\(p=([0-9.eE-]+)", text)
    expect(
        found is not None and _number(found.group(1)) == 0.3,
        "self.dropout should drop with probability drop_prob",
        expected="p=0.3 for drop_prob=0.3",
        actual=f"p={found.group(1)}" if found else "not found",
    )


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _lstm_sizes(shape: Any) -> str:
    if not shape or len(shape) != 2:
        return "no lstm.weight_ih_l0"
    return f"input {shape[1]}, hidden {shape[0] / 4:g}"


def _linear_sizes(shape: Any) -> str:
    return f"{shape[1]} -> {shape[0]}" if shape and len(shape) == 2 else "no fc.weight"


@check("in eval mode, two chunks with the hidden passed on equal one pass", hidden=False)
def chunks_join(ctx: Context) -> None:
    answer = ctx.answer("split")
    whole, _, _ = _out_and_state(answer.step(1))
    again, _, _ = _out_and_state(answer.step(2))
    first, _, _ = _out_and_state(answer.step(3))
    second, _, _ = _out_and_state(answer.step(4))
    expect_shape(whole, (16, 5), "out for batch 2, length 8 and 5 characters")
    whole_out = tensor_value(whole, "out")
    expect(
        np.array_equal(whole_out, tensor_value(again, "out")),
        "in eval mode the same input should always give the same output (is dropout applied "
        "even in eval mode?)",
    )
    expect_shape(first, (6, 5), "out of the first chunk (batch 2, length 3)")
    expect_shape(second, (10, 5), "out of the second chunk (batch 2, length 5)")
    joined = np.concatenate(
        [first.array().reshape(2, 3, -1), second.array().reshape(2, 5, -1)], axis=1
    )
    try:
        expect_close(joined, whole_out.reshape(2, 8, -1), "the joined chunks' output")
    except CheckFailure as failure:
        raise CheckFailure(
            "splitting a sequence in two and passing the first chunk's hidden on gives another "
            "result than one pass: give forward's hidden to the LSTM, return the LSTM's new "
            "hidden, and flatten so that step t of row b becomes row b * seq_len + t",
            failure.expected,
            failure.actual,
        ) from None


@check("dropout acts on the LSTM output in train mode, not on fc's scores", hidden=False)
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
        actual=f"every score is {float(values.flat[0]):.4g}" if values.size else None,
    )
    expect(
        values.size > 0 and np.array_equal(values, np.ones_like(values)),
        "with fc's weights zero and its bias one every score should be 1 even in train mode: "
        "apply dropout to the LSTM output before fc, never to fc's scores",
        actual=f"{int(np.sum(values != 1))} of {values.size} scores differ from 1",
    )


@check("outputs and (h, c) match the reference in eval mode from a given state")
def outputs_match(ctx: Context) -> None:
    for key in ("small", "wide"):
        _expect_step(ctx, key, 0, "from a given hidden state")


@check("a second chunk that continues from the returned hidden matches the reference")
def second_chunk_matches(ctx: Context) -> None:
    for key in ("small", "wide"):
        _expect_step(ctx, key, 1, "of a second chunk")


@check("works for a batch of one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    _expect_step(ctx, "tiny", 0, "for one character")


@check("gradients reach the LSTM and fc as in the reference, through the carried hidden")
def gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", "the gradient")


@check("in train mode dropout zeroes about drop_prob of the LSTM output and rescales the rest")
def dropout_statistics(ctx: Context) -> None:
    out, _, _ = _out_and_state(ctx.answer("dropout").step(0))
    expected = ctx.expected("dropout")
    expect_shape(out, expected.shape, "out in train mode")
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
        actual=f"{int(np.sum(~(dropped | kept) & clear))} of {int(clear.sum())} values are neither",
    )
    share = float(dropped.sum() / max(int(clear.sum()), 1))
    expect(
        abs(share - DROP_P) < 0.1,
        "the share of LSTM outputs zeroed in train mode does not match drop_prob",
        expected=f"about {DROP_P:.0%}",
        actual=f"{share:.0%}",
    )


@check("in train mode dropout acts between the LSTM layers only, not on the input")
def dropout_between_layers(ctx: Context) -> None:
    _, h, c = _out_and_state(ctx.answer("between").step(0))
    want_h, want_c = ctx.expected("between")
    h_values, c_values = tensor_value(h, "h"), tensor_value(c, "c")
    expect_shape(h, want_h.shape, "h in train mode")
    expect_shape(c, want_c.shape, "c in train mode")
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


# --- the exercises ----------------------------------------------------------------------------------

_Y_LINE = "y = np.concatenate([x[:, 1:], following[:, None]], axis=1)"

EXERCISES = (
    Exercise(
        "get_batches",
        ASSIGNMENT,
        "get_batches(arr, batch_size, seq_length)",
        _get_batches_plan,
        (
            is_generator,
            count_and_shapes,
            course_targets,
            long_text_shift,
            random_batches,
            arrays_keep_dtype,
            short_array,
            input_not_mutated,
        ),
        (
            Mistake(
                "tail not dropped",
                ("np.asarray(arr)[: n_batches * chars_per_batch]", "np.asarray(arr)"),
                ("count_and_shapes", "random_batches"),
            ),
            Mistake(
                "rows interleaved (column-major reshape)",
                (".reshape(batch_size, -1)", ".reshape(-1, batch_size).T"),
                ("course_targets", "random_batches"),
            ),
            Mistake("target not shifted", (_Y_LINE, "y = x.copy()"), ("course_targets",)),
            Mistake(
                "last column zero instead of wrapping",
                ("else grid[:, 0]", "else np.zeros_like(grid[:, 0])"),
                ("course_targets",),
            ),
            Mistake(
                "last target repeats the last input",
                ("following = grid[:, stop] if", "following = grid[:, stop - 1] if"),
                ("course_targets",),
            ),
            Mistake(
                "window slides one column at a time",
                ("range(0, n_columns, seq_length)", "range(0, n_columns - seq_length + 1)"),
                ("count_and_shapes",),
            ),
            Mistake(
                "last window dropped",
                ("range(0, n_columns, seq_length)", "range(0, n_columns - seq_length, seq_length)"),
                ("count_and_shapes",),
            ),
            Mistake(
                "float targets",
                (
                    _Y_LINE,
                    "y = np.zeros((batch_size, seq_length))\n        y[:, :-1], y[:, -1] = x[:, 1:], following",
                ),
                ("arrays_keep_dtype",),
            ),
            Mistake(
                "y written into x (mutates arr)",
                (_Y_LINE, "y = x\n        y[:, :-1], y[:, -1] = x[:, 1:], following"),
                ("input_not_mutated", "course_targets"),
            ),
            Mistake("x and y swapped", ("yield x, y", "yield y, x"), ("course_targets",)),
            Mistake("return instead of yield", ("yield x, y", "return x, y"), ("is_generator",)),
        ),
    ),
    Exercise(
        "char_rnn",
        ASSIGNMENT,
        "CharRNN layers and forward",
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
            ),
            Mistake(
                "batch_first missing",
                ("dropout=drop_prob, batch_first=True", "dropout=drop_prob"),
                ("forward_shapes",),
            ),
            Mistake(
                "no dropout between LSTM layers",
                ("dropout=drop_prob, batch_first=True", "batch_first=True"),
                ("dropout_between_layers", "layers_defined"),
            ),
            Mistake(
                "LSTM dropout fixed at 0.5",
                ("dropout=drop_prob, batch_first=True", "dropout=0.5, batch_first=True"),
                ("layers_defined",),
            ),
            Mistake(
                "Dropout probability fixed at 0.5",
                ("self.dropout = nn.Dropout(drop_prob)", "self.dropout = nn.Dropout(0.5)"),
                ("layers_defined", "dropout_statistics"),
            ),
            Mistake(
                "hard-coded Anna vocabulary in fc",
                (
                    "self.fc = nn.Linear(n_hidden, len(self.chars))",
                    "self.fc = nn.Linear(n_hidden, 83)",
                ),
                ("forward_shapes",),
            ),
            Mistake(
                "output dropout not applied",
                ("out = self.dropout(lstm_out)", "out = lstm_out"),
                ("dropout_on_lstm_output",),
            ),
            Mistake(
                "dropout after fc",
                (
                    "out = self.dropout(lstm_out)\n        out = out.reshape(-1, self.n_hidden)\n        out = self.fc(out)",
                    "out = lstm_out.reshape(-1, self.n_hidden)\n        out = self.dropout(self.fc(out))",
                ),
                ("dropout_on_lstm_output",),
            ),
            Mistake(
                "dropout on the input instead of the LSTM output",
                (
                    "lstm_out, hidden = self.lstm(x, hidden)\n        out = self.dropout(lstm_out)",
                    "lstm_out, hidden = self.lstm(self.dropout(x), hidden)\n        out = lstm_out",
                ),
                ("dropout_statistics", "dropout_between_layers"),
            ),
            Mistake(
                "F.dropout also in eval mode",
                ("out = self.dropout(lstm_out)", "out = F.dropout(lstm_out, self.drop_prob)"),
                ("outputs_match", "chunks_join"),
            ),
            Mistake(
                "flattened time-major",
                (
                    "out = out.reshape(-1, self.n_hidden)",
                    "out = out.transpose(0, 1).reshape(-1, self.n_hidden)",
                ),
                ("outputs_match", "chunks_join"),
            ),
            Mistake(
                "view on the non-contiguous LSTM output",
                ("out = out.reshape(-1, self.n_hidden)", "out = out.view(-1, self.n_hidden)"),
                ("forward_shapes",),
            ),
            Mistake(
                "fc only on the last step",
                ("out = out.reshape(-1, self.n_hidden)", "out = out[:, -1, :]"),
                ("forward_shapes",),
            ),
            Mistake(
                "softmax instead of scores",
                ("out = self.fc(out)", "out = F.softmax(self.fc(out), dim=1)"),
                ("outputs_match",),
            ),
            Mistake(
                "hidden detached inside forward",
                (
                    "self.lstm(x, hidden)",
                    "self.lstm(x, tuple(each.detach() for each in hidden))",
                ),
                ("gradients_match",),
            ),
            Mistake(
                "only h returned",
                (
                    "lstm_out, hidden = self.lstm(x, hidden)",
                    "lstm_out, (hidden, _) = self.lstm(x, hidden)",
                ),
                ("forward_shapes",),
            ),
        ),
    ),
)
