"""Assignment 4, rnn_basics: each exercise's probes, checks and known mistakes, in one place.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.rnn_basics` on inputs drawn here at random.

The course defines two classes named `RNN`: the one-hot cell of part 1 (three required
arguments) and the embedding model of part 2 (four); `target(..., arity=n)` picks the right one.

The API exercises (rnn_forward, lstm_forward, packed_gru) take PyTorch layers as arguments. The
probes have the child build small stock layers (`torch_module` arguments: 1 to 3 layers, one or
two directions, relu or bias-free variants, dropout between layers in eval mode so values are
exact) with weights the grader chose, and compare the results with `solutions.rnn_basics.api` run
here on identical layers. The course-sized layers (nn.RNN(256, 512), nn.LSTM(256, 512)) keep the
child's own initial weights and are checked for shapes and weight-free facts only; a layer and a
batch on the "meta" device check that the initial state follows the batch's device; one GRU in
training mode is checked only through what dropout cannot change. Nothing relies on the layers
the notebook's given cells create.
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
    expect_dtype,
    expect_shape,
    expect_tensor,
    explain_error,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    expect_tensor_equal,
    module_probe,
    reference_grads,
    state_arrays,
    target,
    to_numpy,
)
from solutions.rnn_basics import api, scratch, shakespeare

ASSIGNMENT = "rnn_basics"
PRINTABLE = string.printable


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def _items(value: Value, count: int, what: str) -> list[Value]:
    """The items of a returned tuple/list of exactly `count` values."""
    expect(
        value.type in {"tuple", "list"} and len(value.items()) == count,
        f"{what} should return {count} values",
        expected=f"a tuple of {count}",
        actual=value.describe(),
    )
    return value.items()


def _call(function: str, args: list[Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "call", "target": target(function), "args": args, **extra}


def _pairs(raw: Any) -> dict[str, Any]:
    """A list of [name, value] pairs from the child as a dict; anything malformed is dropped."""
    items = raw if isinstance(raw, list) else []
    return {
        item[0]: item[1]
        for item in items
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
    }


def _is_integer_dtype(dtype: str) -> bool:
    try:
        return np.dtype(dtype).kind in "iu"
    except TypeError:
        return False


# --- string_to_onehot ----------------------------------------------------------------------------


def _onehot_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    letters = list(scratch.chars[:-2])
    words = {"hi": "hi", "hi!": "hi!", "empty": ""} | {
        f"random{i}": "".join(rng.choice(letters, size=n)) for i, n in enumerate((1, 9, 30))
    }
    for key, word in words.items():
        plan.probes[key] = _call("string_to_onehot", [{"value": word}])
        plan.expected[key] = scratch.string_to_onehot(word)
    return plan


@check("returns an integer numpy array of shape (len(string) + 2, 35)", hidden=False, gate=True)
def onehot_returns_int_array(ctx: Context) -> None:
    value = ctx.answer("hi").value()
    expect(
        value.type == "ndarray",
        "string_to_onehot should return a numpy array",
        expected="np.ndarray",
        actual=value.describe(),
    )
    expect(
        _is_integer_dtype(value.dtype),
        "the one-hot array should hold integers",
        expected="an integer dtype (int)",
        actual=value.dtype,
    )
    expect_shape(value, (4, 35), "the encoding of 'hi' (a start row, 2 characters, an end row)")


@check("'hi!' gives the start token, 7, 8, 28 and the end token", hidden=False)
def onehot_course_rows(ctx: Context) -> None:
    value = ctx.answer("hi!").value()
    expect_shape(value, (5, 35), "the encoding of 'hi!'")
    rows = value.array()
    expect(
        bool(np.all(rows.sum(axis=1) == 1)) and bool(np.all((rows == 0) | (rows == 1))),
        "every row must hold exactly one 1 and zeros elsewhere",
    )
    columns = rows.argmax(axis=1).tolist()
    expect(columns[0] == 33, "the first row must be the start token '0' (index -2)")
    expect(columns[-1] == 34, "the last row must be the end token '1' (index -1)")
    expect(
        columns[1:-1] == [7, 8, 28],
        "the middle rows must mark each character's position in char_list",
        expected="[7, 8, 28]",
        actual=str(columns[1:-1]),
    )


@check("encodes random strings of length 1 to 30 exactly")
def onehot_random_strings(ctx: Context) -> None:
    for key in ("random0", "random1", "random2"):
        value = ctx.answer(key).value()
        expected = ctx.expected(key)
        expect_shape(value, expected.shape, "the encoding of a string")
        differing = int(np.sum(np.any(value.array() != expected, axis=1)))
        expect(
            differing == 0,
            "some rows of the encoding are wrong",
            expected="one row per character between the start and end rows",
            actual=f"{differing} of {expected.shape[0]} rows differ",
        )


@check("the empty string gives just the start and end rows")
def onehot_empty_string(ctx: Context) -> None:
    value = ctx.answer("empty").value()
    expect_shape(value, (2, 35), "the encoding of ''")
    expect(
        bool(np.array_equal(value.array(), ctx.expected("empty"))),
        "the encoding of '' should be the start row followed by the end row",
    )


# --- rnn_cell (scratch.RNN) ------------------------------------------------------------------------


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
        torch.manual_seed(_seed(rng))
        model = scratch.RNN(inputs, hidden, outputs)
        xs = rng.standard_normal((steps, batch, inputs)).astype(np.float32)
        h0 = rng.standard_normal((batch, hidden)).astype(np.float32)
        specs = []
        for t in range(steps):
            state = plan.array(f"{key}.h0", h0) if t == 0 else {"step": t - 1, "path": [1]}
            specs.append({"args": [plan.array(f"{key}.x{t}", xs[t]), state]})
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
        for t in range(steps):
            output, state = model(torch.from_numpy(xs[t]), state)
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
    hidden=False,
    gate=True,
)
def cell_returns_pair(ctx: Context) -> None:
    output, hidden = _items(ctx.answer("course").step(0), 2, "forward")
    expect_tensor(output, "output")
    expect_shape(output, (1, 1), "output (1, output_size); make it with i2o")
    expect_tensor(hidden, "the new hidden state")
    expect_shape(hidden, (1, 2), "the new hidden state (1, hidden_size)")


@check("init_hidden() gives float32 zeros of shape (1, hidden_size)", hidden=False)
def cell_init_hidden_zeros(ctx: Context) -> None:
    value = ctx.answer("init").step(0)
    expect_tensor(value, "init_hidden()")
    expect_shape(value, (1, 16), "init_hidden() of RNN(35, 16, 35)")
    expect_dtype(value, "float32", "init_hidden() (the weights' dtype)")
    expect(not np.any(value.array()), "the first hidden state should be all zeros")


@check("the course example: tanh(i2h(x) + h2h(h)), then i2o of the new state", hidden=False)
def cell_course_values(ctx: Context) -> None:
    output, hidden = _items(ctx.answer("course").step(0), 2, "forward")
    expected_output, expected_hidden = ctx.expected("course")
    expect_tensor_close(
        hidden,
        expected_hidden,
        "the new hidden state (use both the input and the previous state, then tanh)",
    )
    expect_tensor_close(output, expected_output, "the output (i2o applied to the new hidden state)")


@check("outputs and hidden states match the reference over a sequence, the state carried along")
def cell_sequence_matches(ctx: Context) -> None:
    for key in ("seq", "batch"):
        for t, (output, hidden) in enumerate(ctx.expected(key)):
            got_output, got_hidden = _items(ctx.answer(key).step(t), 2, "forward")
            expect_tensor_close(got_hidden, hidden, f"the hidden state after step {t + 1}")
            expect_tensor_close(got_output, output, f"the output of step {t + 1}")


@check("gradients reach i2h, h2h and i2o through every step as in the reference")
def cell_gradients(ctx: Context) -> None:
    expect_grads_close(ctx, "seq", "seq.grads", "the gradient")


@check("init_hidden() creates the state on the weights' device")
def cell_init_hidden_device(ctx: Context) -> None:
    value = ctx.answer("meta").step(0)
    expect(
        value.device == "meta",
        "init_hidden() should create its tensor on the device of the layers' weights "
        "(the model may live on a GPU)",
        expected="the weights' device",
        actual=value.device,
    )


# --- char_tensor ----------------------------------------------------------------------------------


def _char_tensor_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    words = {"course": "a0A \n", "empty": "", "all": PRINTABLE} | {
        f"random{i}": "".join(rng.choice(list(PRINTABLE), size=n)) for i, n in enumerate((1, 17))
    }
    for key, word in words.items():
        plan.probes[key] = _call("char_tensor", [{"value": word}])
        plan.expected[key] = to_numpy(shakespeare.char_tensor(word))
    return plan


@check("returns a torch.long tensor of shape (len(string),)", hidden=False, gate=True)
def char_returns_long(ctx: Context) -> None:
    value = ctx.answer("course").value()
    expect_tensor(value, "char_tensor('a0A \\n')")
    expect_dtype(value, "int64", "the index tensor (torch.long)")
    expect_shape(value, (5,), "char_tensor('a0A \\n')")


@check("'a', '0', 'A', ' ', '\\n' map to 10, 0, 36, 94, 96", hidden=False)
def char_course_example(ctx: Context) -> None:
    expect_tensor_equal(
        ctx.answer("course").value(),
        ctx.expected("course"),
        "the indices of 'a0A \\n' in all_characters",
    )


@check("maps every printable character and random strings to their positions")
def char_random_strings(ctx: Context) -> None:
    for key in ("all", "random0", "random1"):
        expect_tensor_equal(
            ctx.answer(key).value(), ctx.expected(key), "the indices in all_characters"
        )


@check("the empty string gives an empty long tensor")
def char_empty_string(ctx: Context) -> None:
    value = ctx.answer("empty").value()
    expect_tensor(value, "char_tensor('')")
    expect_dtype(value, "int64", "char_tensor('')")
    expect_shape(value, (0,), "char_tensor('')")


# --- random_training_set -------------------------------------------------------------------------

COVER_TEXT, COVER_CHUNK = "abcdefghij", 7


def _window(text: str, chunk_len: int, seed: int) -> int:
    """The start the reference draws for this seed, exactly as the child seeds a probe."""
    torch.manual_seed(seed)
    inp, _ = shakespeare.random_training_set(text, chunk_len=chunk_len)
    return text.index("".join(PRINTABLE[i] for i in inp.tolist()))


def _training_set_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases: dict[str, tuple[str, int]] = {
        "shift": ("abcdefghijklmnopqrstuvwxyz" * 4, 10),
        "whole": ("To be, or not to be", 18),
    }
    for i, (length, chunk) in enumerate(((60, 25), (41, 1), (35, 34), (80, 3))):
        text = "".join(rng.choice(list(PRINTABLE), size=length))
        cases[f"random{i}"] = (text, chunk)
    seeds: dict[str, int] = {key: _seed(rng) for key in cases}
    starts: set[int] = set()
    number = 0
    while len(starts) < 3 or number < 8:
        seed = _seed(rng)
        key = f"cover{number}"
        cases[key], seeds[key] = (COVER_TEXT, COVER_CHUNK), seed
        starts.add(_window(COVER_TEXT, COVER_CHUNK, seed))
        number += 1
    plan.expected["cover"] = number
    for key, (text, chunk) in cases.items():
        plan.probes[key] = _call(
            "random_training_set",
            [{"value": text}],
            kwargs={"chunk_len": {"value": chunk}},
            seed=seeds[key],
        )
        plan.expected[key] = (text, chunk, _window(text, chunk, seeds[key]))
    return plan


def _pair(ctx: Context, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(input, target) as arrays after checking they are long tensors of length chunk_len."""
    _, chunk, _ = ctx.expected(key)
    inp, tgt = _items(ctx.answer(key).value(), 2, "random_training_set")
    for value, what in ((inp, "input"), (tgt, "target")):
        expect_tensor(value, what)
        expect_dtype(value, "int64", f"{what} (made with char_tensor)")
        expect_shape(value, (chunk,), f"{what} for chunk_len={chunk}")
    return inp.array(), tgt.array()


def _decode(ids: np.ndarray) -> str:
    expect(
        bool(np.all((ids >= 0) & (ids < len(PRINTABLE)))),
        "the indices must be positions in all_characters",
    )
    return "".join(PRINTABLE[int(i)] for i in ids)


@check("returns (input, target): long tensors of length chunk_len", hidden=False, gate=True)
def set_returns_pair(ctx: Context) -> None:
    _pair(ctx, "shift")


@check("the target is the input shifted by one character of a contiguous chunk", hidden=False)
def set_target_shifted(ctx: Context) -> None:
    inp, tgt = _pair(ctx, "shift")
    expect(
        bool(np.array_equal(inp[1:], tgt[:-1])),
        "the target must be the input moved one character on",
    )
    text, _, _ = ctx.expected("shift")
    chunk = _decode(inp) + _decode(tgt[-1:])
    expect(chunk in text, "input and target must come from one contiguous chunk of the text")


@check("a text of chunk_len + 1 characters gives the whole text", hidden=False)
def set_whole_text(ctx: Context) -> None:
    inp, tgt = _pair(ctx, "whole")
    text, _, _ = ctx.expected("whole")
    expect(
        _decode(inp) == text[:-1] and _decode(tgt) == text[1:],
        "when the text is only chunk_len + 1 characters long the chunk must be the whole text; "
        "check the range the start is drawn from",
    )


@check("every start position, the last one included, can be drawn", hidden=False)
def set_covers_every_start(ctx: Context) -> None:
    found = set()
    for number in range(ctx.expected("cover")):
        inp, _ = _pair(ctx, f"cover{number}")
        found.add(int(inp[0]) - PRINTABLE.index("a"))
    expect(
        found == {0, 1, 2},
        "with a 10-character text and chunk_len 7 the starts 0, 1 and 2 must all occur; "
        "check both ends of the range",
        expected="starts {0, 1, 2}",
        actual=f"starts {sorted(found)}",
    )


@check("random texts and chunk lengths (1 up to the whole text): a shifted window of the text")
def set_random_texts(ctx: Context) -> None:
    for number in range(4):
        key = f"random{number}"
        text, _, _ = ctx.expected(key)
        inp, tgt = _pair(ctx, key)
        expect(
            bool(np.array_equal(inp[1:], tgt[:-1])),
            "the target must be the input moved one character on",
        )
        expect(
            _decode(inp) + _decode(tgt[-1:]) in text,
            "input and target must be one contiguous chunk of the given text",
        )


@check("draws the start with torch.randint over the valid starts (same seed, same chunk)")
def set_reproducible_draw(ctx: Context) -> None:
    for key in ("shift", "random0", "random3"):
        text, chunk, start = ctx.expected(key)
        inp, _ = _pair(ctx, key)
        expect(
            _decode(inp) == text[start : start + chunk],
            "the chunk differs from the one torch.randint(len(text) - chunk_len, ...) draws "
            "with the same seed; draw the start with torch.randint and pass it the generator",
        )


# --- embedding_rnn (shakespeare.RNN) -----------------------------------------------------------------

EMBED_CASES = {
    "course": (100, 70, 100, 100, 2, 0),
    "small": (12, 5, 7, 12, 1, 5),
    "deep": (9, 4, 6, 11, 3, 3),
}


def _embedding_rnn_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    for key, (inputs, embed, hidden, outputs, layers, steps) in EMBED_CASES.items():
        torch.manual_seed(_seed(rng))
        model = shakespeare.RNN(inputs, embed, hidden, outputs, layers).eval()
        args = [inputs, embed, hidden, outputs, layers]
        if key == "course":
            char = int(rng.integers(inputs))
            zeros = np.zeros((layers, 1, hidden), np.float32)
            ones = np.ones((layers, 1, hidden), np.float32)
            calls = [(np.array(char), zeros), (np.array([char]), zeros), (np.array(char), ones)]
            specs = [
                {
                    "args": [
                        plan.array(f"{key}.c{t}", c.astype(np.int64)),
                        plan.array(f"{key}.h{t}", h),
                    ]
                }
                for t, (c, h) in enumerate(calls)
            ]
            module_probe(plan, key, "RNN", args, model, specs, arity=4)
            plan.expected[key] = [
                to_numpy(model(torch.from_numpy(c.astype(np.int64)), torch.from_numpy(h)))
                for c, h in calls
            ]
            continue
        chars = rng.integers(inputs, size=steps)
        h0 = rng.standard_normal((layers, 1, hidden)).astype(np.float32)
        specs = []
        for t, char in enumerate(chars):
            shaped = np.array(char if t % 2 == 0 else [char], np.int64)
            state = plan.array(f"{key}.h0", h0) if t == 0 else {"step": t - 1, "path": [1]}
            specs.append({"args": [plan.array(f"{key}.c{t}", shaped), state]})
        logit_weights = cotangent(plan, f"{key}.cot", (1, outputs), rng)
        module_probe(
            plan,
            key,
            "RNN",
            args,
            model,
            specs,
            backward=[{"step": steps - 1, "path": [0], "cotangent": logit_weights}],
            arity=4,
        )
        state, results = torch.from_numpy(h0), []
        for t, char in enumerate(chars):
            shaped = torch.tensor(int(char) if t % 2 == 0 else [int(char)])
            logits, state = model(shaped, state)
            results.append((logits, state))
        (logits * torch.from_numpy(plan.arrays[logit_weights])).sum().backward()
        plan.expected[key] = to_numpy(results)
        plan.expected[f"{key}.grads"] = reference_grads(model)
    return plan


@check(
    "forward returns logits (1, output_size) and hidden (num_layers, 1, hidden_size)",
    hidden=False,
    gate=True,
)
def embed_returns_pair(ctx: Context) -> None:
    logits, hidden = _items(ctx.answer("course").step(0), 2, "forward")
    expect_tensor(logits, "logits")
    expect_shape(logits, (1, 100), "logits of RNN(100, 70, 100, 100, num_layers=2)")
    expect_tensor(hidden, "hidden")
    expect_shape(hidden, (2, 1, 100), "hidden of RNN(100, 70, 100, 100, num_layers=2)")


@check(
    "encoder is nn.Embedding(input_size, embedding_size), rnn an nn.RNN with num_layers layers",
    hidden=False,
)
def embed_layers(ctx: Context) -> None:
    answer = ctx.answer("course")
    modules = _pairs(answer.raw.get("modules"))
    expect(
        modules.get("encoder") == "Embedding",
        "self.encoder should be an nn.Embedding",
        actual=str(modules.get("encoder")),
    )
    expect(
        modules.get("rnn") == "RNN", "self.rnn should be an nn.RNN", actual=str(modules.get("rnn"))
    )
    shapes = {name: tuple(shape) for name, shape in _pairs(answer.raw.get("parameters")).items()}
    wanted = {
        "encoder.weight": (100, 70),
        "rnn.weight_ih_l0": (100, 70),
        "rnn.weight_hh_l0": (100, 100),
        "rnn.weight_ih_l1": (100, 100),
    }
    wrong = [name for name, shape in wanted.items() if shapes.get(name) != shape]
    expect(
        not wrong and "rnn.weight_ih_l2" not in shapes,
        "the layer sizes do not match RNN(100, 70, 100, 100, num_layers=2): the table is "
        "(input_size, embedding_size) and nn.RNN takes embedding_size to hidden_size with "
        "num_layers layers",
        actual="wrong or missing: " + ", ".join(wrong) if wrong else "extra layers",
    )


@check("nn.RNN keeps its default time-major layout (batch_first is not set)", hidden=False)
def embed_time_major(ctx: Context) -> None:
    for node in ctx.definitions("RNN"):
        for item in ast.walk(node):
            if isinstance(item, ast.keyword) and item.arg == "batch_first":
                literal = isinstance(item.value, ast.Constant) and item.value.value is False
                expect(literal, "this model works time-major: leave batch_first at its default")


@check("a character as a 0-d or a (1,) tensor gives the same logits", hidden=False)
def embed_scalar_or_vector(ctx: Context) -> None:
    first = ctx.answer("course").step(0).item(0)
    expect_tensor(first, "logits")
    expect_tensor_close(
        ctx.answer("course").step(1).item(0),
        first.array(),
        "the logits for torch.tensor([c]) compared with torch.tensor(c)",
    )


@check("the given hidden state changes the result", hidden=False)
def embed_hidden_used(ctx: Context) -> None:
    zero = ctx.answer("course").step(0).item(0)
    other = ctx.answer("course").step(2).item(0)
    expect_tensor(other, "logits")
    expect(
        other.shape == zero.shape and not np.allclose(other.array(), zero.array()),
        "the logits do not depend on the hidden state you pass in; give it to nn.RNN",
    )


@check("logits match the reference for the same weights (1 to 3 layers)")
def embed_logits_match(ctx: Context) -> None:
    for key in ("course", "small", "deep"):
        for t, (logits, _) in enumerate(ctx.expected(key)):
            got = _items(ctx.answer(key).step(t), 2, "forward")[0]
            expect_tensor_close(got, logits, f"the logits of call {t + 1}")


@check("the hidden state is carried from one character to the next as in the reference")
def embed_hidden_carried(ctx: Context) -> None:
    for key in ("small", "deep"):
        for t, (_, hidden) in enumerate(ctx.expected(key)):
            got = _items(ctx.answer(key).step(t), 2, "forward")[1]
            expect_tensor_close(got, hidden, f"the hidden state after character {t + 1}")


@check("gradients reach the embedding, the RNN and the decoder as in the reference")
def embed_gradients(ctx: Context) -> None:
    for key in ("small", "deep"):
        expect_grads_close(ctx, key, f"{key}.grads", "the gradient")


# --- pad_and_sort -----------------------------------------------------------------------------------


def _pad_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases: dict[str, tuple[list[list[int]], int]] = {
        "small": ([[5, 6], [7], [8, 9, 10]], 0),
        "ties": ([[1], [2, 3], [4], [5]], 9),
        "course": (api.make_data(), api.pad_id),
        "single": ([[int(v) for v in rng.integers(1, 50, size=4)]], 0),
        "equal": ([[int(v) for v in rng.integers(1, 50, size=3)] for _ in range(4)], 7),
    }
    for i, count in enumerate((5, 9)):
        lengths = [int(n) for n in rng.integers(1, 12, size=count)]
        lengths[-1] = lengths[0]
        sequences = [[int(v) for v in rng.integers(1, 100, size=n)] for n in lengths]
        cases[f"random{i}"] = (sequences, int(rng.integers(0, 100)))
    for key, (sequences, pad) in cases.items():
        plan.probes[key] = _call("pad_and_sort", [{"value": sequences}, {"value": pad}])
        plan.expected[key] = to_numpy(api.pad_and_sort(sequences, pad))
    return plan


def _padded(ctx: Context, key: str) -> tuple[Value, Value]:
    batch, lens = _items(ctx.answer(key).value(), 2, "pad_and_sort")
    for value, what in ((batch, "batch"), (lens, "batch_lens")):
        expect_tensor(value, what)
        expect_dtype(value, "int64", f"{what} (torch.long)")
    return batch, lens


def _expect_padded(ctx: Context, key: str, what: str) -> None:
    batch, lens = _padded(ctx, key)
    expected_batch, expected_lens = ctx.expected(key)
    expect_tensor_equal(lens, expected_lens, f"batch_lens {what}")
    expect_tensor_equal(batch, expected_batch, f"the padded batch {what}")


@check("returns (batch, batch_lens) as torch.long tensors", hidden=False, gate=True)
def pad_returns_pair(ctx: Context) -> None:
    _padded(ctx, "small")


@check(
    "[[5, 6], [7], [8, 9, 10]] becomes [[8, 9, 10], [5, 6, 0], [7, 0, 0]], lengths [3, 2, 1]",
    hidden=False,
)
def pad_small_example(ctx: Context) -> None:
    _expect_padded(ctx, "small", "of the small example")


@check("equal lengths keep their order and the padding uses pad_id", hidden=False)
def pad_ties_and_pad_id(ctx: Context) -> None:
    _expect_padded(ctx, "ties", "(rows of equal length keep their order; fill with pad_id)")


@check(
    "the course data gives (10, 20) and lengths 20, 18, 18, 17, 15, 10, 8, 6, 6, 5", hidden=False
)
def pad_course_data(ctx: Context) -> None:
    batch, lens = _padded(ctx, "course")
    expect_shape(batch, (10, 20), "batch")
    expect_tensor_equal(lens, ctx.expected("course")[1], "batch_lens (longest first)")


@check("random batches with ties and other pad ids are padded and sorted exactly")
def pad_random_batches(ctx: Context) -> None:
    for key in ("random0", "random1", "course"):
        _expect_padded(ctx, key, "of a random batch")


@check("one sequence, and sequences all of one length, are handled")
def pad_edge_cases(ctx: Context) -> None:
    _expect_padded(ctx, "single", "of a single sequence")
    _expect_padded(ctx, "equal", "of sequences that all have the same length")


@check("the given list of sequences is left unchanged")
def pad_no_mutation(ctx: Context) -> None:
    for key in ("small", "random0", "random1"):
        ctx.answer(key).require_ok()
        expect(
            not ctx.answer(key).raw.get("mutated"),
            "pad_and_sort changed the list it was given; sort a copy or sort indices instead",
        )


# --- embed_batch ------------------------------------------------------------------------------------


def _embed_batch_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases = {
        "lookup": (np.array([[3, 1, 0], [2, 0, 0]]), 5, 4),
        "default": (np.zeros((10, 20), np.int64), 100, None),
    }
    for i, (rows, cols, vocab, size) in enumerate(((3, 7, 30, 6), (1, 1, 8, 5), (4, 2, 100, 16))):
        cases[f"random{i}"] = (rng.integers(vocab, size=(rows, cols)), vocab, size)
    for key, (ids, vocab, size) in cases.items():
        seed = _seed(rng)
        args = [plan.array(key, ids.astype(np.int64)), {"value": vocab}]
        if size is not None:
            args.append({"value": size})
        plan.probes[key] = _call("embed_batch", args, seed=seed)
        torch.manual_seed(seed)
        extra = () if size is None else (size,)
        _, emb = api.embed_batch(torch.from_numpy(ids.astype(np.int64)), vocab, *extra)
        plan.expected[key] = to_numpy(emb)
    # A call probe snapshots its arguments to detect mutation, which a meta tensor does not
    # allow; an object probe on the function calls it once and indexes the returned pair.
    plan.probes["meta"] = {
        "kind": "object",
        "target": target("embed_batch"),
        "init": {"args": [{"array": "random0", "device": "meta"}, {"value": 30}, {"value": 6}]},
        "steps": [{"method": "__getitem__", "args": [{"value": i}]} for i in (0, 1)],
    }
    return plan


def _embedded(ctx: Context, key: str) -> tuple[Value, Value]:
    table, emb = _items(ctx.answer(key).value(), 2, "embed_batch")
    expect(
        table.meta.get("class") == "Embedding",
        "the first returned value should be the nn.Embedding you created",
        actual=table.describe(),
    )
    expect_tensor(emb, "batch_emb")
    return table, emb


@check(
    "returns (nn.Embedding, batch_emb) with batch_emb (B, L, embedding_size)",
    hidden=False,
    gate=True,
)
def embed_batch_returns_pair(ctx: Context) -> None:
    _, emb = _embedded(ctx, "lookup")
    expect_shape(emb, (2, 3, 4), "batch_emb for a (2, 3) batch and embedding_size 4")
    expect_dtype(emb, "float32", "batch_emb")


@check("embedding_size defaults to 256", hidden=False)
def embed_batch_default_size(ctx: Context) -> None:
    _, emb = _embedded(ctx, "default")
    expect_shape(emb, (10, 20, 256), "batch_emb without an embedding_size")


@check("each position holds the table row of its id (same id, same vector)", hidden=False)
def embed_batch_lookup(ctx: Context) -> None:
    _, emb = _embedded(ctx, "lookup")
    vectors = emb.array()
    expect(
        np.array_equal(vectors[0, 2], vectors[1, 1])
        and np.array_equal(vectors[1, 1], vectors[1, 2]),
        "positions with the same id should get the same vector from the table",
    )
    expect(
        not np.allclose(vectors[0, 0], vectors[0, 1]),
        "different ids should get different rows of the table",
    )


@check("batch_emb equals a fresh nn.Embedding(vocab_size, embedding_size) applied to the batch")
def embed_batch_values(ctx: Context) -> None:
    for key in ("random0", "random1", "random2", "lookup"):
        _, emb = _embedded(ctx, key)
        expect_tensor_close(emb, ctx.expected(key), "batch_emb", rtol=1e-6, atol=1e-6)


@check("batch_emb stays connected to the table (it can be trained)")
def embed_batch_keeps_graph(ctx: Context) -> None:
    _, emb = _embedded(ctx, "random0")
    expect(
        bool(emb.meta.get("requires_grad")),
        "batch_emb does not require grad: look the ids up without detach() or torch.no_grad()",
    )


@check("the table is created on the batch's device")
def embed_batch_device(ctx: Context) -> None:
    answer = ctx.answer("meta")
    table, emb = answer.step(0), answer.step(1)
    expect(table.meta.get("class") == "Embedding", "embed_batch should return the nn.Embedding")
    expect_tensor(emb, "batch_emb")
    expect(
        emb.device == "meta",
        "batch_emb should be on the batch's device: move the new nn.Embedding there",
        expected="the batch's device",
        actual=emb.device,
    )


# --- stock torch layers with the grader's weights, for rnn_forward / lstm_forward / packed_gru ----

#: A layer's keyword arguments, the batch size and the sequence length.
Case = tuple[dict[str, Any], int, int]

COURSE_LAYER = {"input_size": api.embedding_size, "hidden_size": api.hidden_size}
COURSE_BATCH, COURSE_LENGTH = 10, 20


def _stock_layer(kind: str, kwargs: dict[str, Any], seed: int) -> torch.nn.Module:
    """The grader's copy of torch.nn.<kind>(**kwargs): seeded default weights, eval mode."""
    torch.manual_seed(seed)
    return getattr(torch.nn, kind)(**kwargs).eval()


def _layer_arg(
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


def _sizes(kwargs: dict[str, Any]) -> tuple[int, int, int]:
    """(num_layers * num_dirs, num_dirs, hidden_size) of a layer made with these arguments."""
    dirs = 2 if kwargs.get("bidirectional") else 1
    return int(kwargs.get("num_layers", 1)) * dirs, dirs, int(kwargs["hidden_size"])


def _describe_layer(kind: str, kwargs: dict[str, Any], batch: int, length: int) -> str:
    layers = int(kwargs.get("num_layers", 1))
    text = f"a {layers}-layer {'bidirectional ' if kwargs.get('bidirectional') else ''}nn.{kind}"
    text += f" (hidden_size {kwargs['hidden_size']}"
    if kwargs.get("nonlinearity") == "relu":
        text += ", relu"
    if kwargs.get("bias") is False:
        text += ", no bias"
    sequences = "one sequence" if batch == 1 else f"{batch} sequences"
    return text + f") on {sequences} of length {length}"


def _embedded_batch(rng: np.random.Generator, batch: int, length: int, size: int) -> np.ndarray:
    return rng.standard_normal((batch, length, size)).astype(np.float32)


def _tensor_items(value: Value, what: str) -> list[Value]:
    """Every tensor in a (possibly nested) returned tuple, each checked to be a tensor."""
    if value.type in {"tuple", "list"}:
        return [t for item in value.items() for t in _tensor_items(item, what)]
    expect_tensor(value, what)
    return [value]


def _off_cpu_result(ctx: Context, key: str, function: str, cpu_key: str) -> Value:
    """The result of a call on a layer and a batch that live off the CPU (as on a GPU).

    `cpu_key` is a call on a like layer on the CPU: if that fails too, its error is the news.
    """
    ctx.answer(cpu_key).require_ok()
    answer = ctx.answer(key)
    if not answer.raw.get("ok"):
        raise CheckFailure(
            f"{function} works on the CPU but fails when the layer and batch_emb live on "
            "another device (as on a GPU): create the zero initial state on batch_emb's "
            "device, for example with batch_emb.new_zeros(...) or device=batch_emb.device; "
            + explain_error(answer.raw.get("error") or {})
        )
    return answer.value()


def _expect_on_device(values: list[Value], function: str) -> None:
    for value in values:
        expect(
            value.type == "tensor" and value.device == "meta",
            f"the results of {function} should stay on the device of the layer and the batch",
            expected="the batch's device",
            actual=value.describe(),
        )


def _expect_graph(values: list[Value], function: str) -> None:
    expect(
        all(bool(value.meta.get("requires_grad")) for value in values),
        f"the results of {function} do not require grad, so the layer could not be trained "
        "through them: call the layer without torch.no_grad() and do not detach",
    )


def _expect_unchanged(ctx: Context, keys: tuple[str, ...], function: str) -> None:
    for key in keys:
        ctx.answer(key).require_ok()
        expect(
            not set(ctx.answer(key).raw.get("mutated") or []) - {0},
            f"{function} changed a tensor it was given (an in-place transpose_?); use "
            "transpose, which returns a new view",
        )


def _forward_plan(
    rng: np.random.Generator, kind: str, function: str, cases: dict[str, Case]
) -> Plan:
    """rnn_forward / lstm_forward: the course's layer (shapes), seeded cases and a meta layer."""
    plan = Plan()
    course = _embedded_batch(rng, COURSE_BATCH, COURSE_LENGTH, api.embedding_size)
    plan.probes["course"] = _call(
        function,
        [_layer_arg(plan, "course", kind, COURSE_LAYER), plan.array("course", course)],
        seed=_seed(rng),
    )
    run = getattr(api, function)
    for key, (kwargs, batch, length) in cases.items():
        reference = _stock_layer(kind, kwargs, _seed(rng))
        x = _embedded_batch(rng, batch, length, kwargs["input_size"])
        layer = _layer_arg(plan, key, kind, kwargs, reference)
        plan.probes[key] = _call(function, [layer, plan.array(key, x)])
        with torch.no_grad():
            plan.expected[key] = to_numpy(run(reference, torch.from_numpy(x)))
        plan.expected[f"{key}.what"] = _describe_layer(kind, kwargs, batch, length)
    meta = {"input_size": 6, "hidden_size": 5, "num_layers": 2, "bidirectional": True}
    plan.arrays["meta"] = _embedded_batch(rng, 3, 4, 6)
    plan.probes["meta"] = _call(
        function,
        [
            _layer_arg(plan, "meta", kind, meta, device="meta"),
            {"array": "meta", "device": "meta"},
        ],
    )
    return plan


# --- rnn_forward ------------------------------------------------------------------------------------

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
    plan = _forward_plan(rng, "RNN", "rnn_forward", FORWARD_CASES)
    # The notebook's hand example: nn.RNN(1, 1) with weight_ih 1, weight_hh 0.5, no bias.
    hand = torch.nn.RNN(1, 1).eval()
    with torch.no_grad():
        hand.weight_ih_l0.fill_(1.0)
        hand.weight_hh_l0.fill_(0.5)
        hand.bias_ih_l0.zero_()
        hand.bias_hh_l0.zero_()
    x = np.array([[[1.0], [0.0]], [[0.5], [-1.0]]], np.float32)
    layer = _layer_arg(plan, "hand", "RNN", {"input_size": 1, "hidden_size": 1}, hand)
    plan.probes["hand"] = _call("rnn_forward", [layer, plan.array("hand", x)])
    with torch.no_grad():
        plan.expected["hand"] = to_numpy(api.rnn_forward(hand, torch.from_numpy(x)))
    return plan


def _forward_result(ctx: Context, key: str) -> tuple[Value, Value]:
    states, h_n = _items(ctx.answer(key).value(), 2, "rnn_forward")
    expect_tensor(states, "hidden_states")
    expect_tensor(h_n, "h_n")
    return states, h_n


def _expect_forward_values(ctx: Context, key: str) -> None:
    what = ctx.expected(f"{key}.what")
    expected_states, expected_h_n = ctx.expected(key)
    states, h_n = _forward_result(ctx, key)
    expect_tensor_close(states, expected_states, f"hidden_states for {what}")
    expect_tensor_close(h_n, expected_h_n, f"h_n for {what}")


@check(
    "returns hidden_states (20, 10, 512) and h_n (1, 10, 512) for nn.RNN(256, 512)",
    hidden=False,
    gate=True,
)
def forward_course_shapes(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "course")
    expect_shape(
        states, (20, 10, 512), "hidden_states (L, B, hidden_size); swap the batch and time axes"
    )
    expect_shape(h_n, (1, 10, 512), "h_n (num_layers * num_dirs, B, hidden_size)")


@check("nn.RNN(1, 1) with known weights gives the hand-computed states", hidden=False)
def forward_hand_values(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "hand")
    expected_states, expected_h_n = ctx.expected("hand")
    expect_tensor_close(
        states,
        expected_states,
        "hidden_states of the hand example (start from zeros, and swap the two axes: "
        "reshape or view mixes the sequences up)",
    )
    expect_tensor_close(h_n, expected_h_n, "h_n of the hand example (each sequence's last state)")


@check(
    "a 2-layer bidirectional nn.RNN(8, 16) gives h_n (4, B, 16) and hidden_states (L, B, 32)",
    hidden=False,
)
def forward_layers_and_directions(ctx: Context) -> None:
    states, h_n = _forward_result(ctx, "layers")
    expect_shape(
        h_n,
        (4, 3, 16),
        "h_n of a 2-layer bidirectional layer; size h_0 from the layer's num_layers, "
        "bidirectional and hidden_size",
    )
    expect_shape(states, (5, 3, 32), "hidden_states of a bidirectional layer (2 * hidden_size)")


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
        _expect_graph(list(_forward_result(ctx, key)), "rnn_forward")


@check("h_0 is created on the batch's device (the layer may live on a GPU)")
def forward_device(ctx: Context) -> None:
    values = _tensor_items(
        _off_cpu_result(ctx, "meta", "rnn_forward", "layers"), "rnn_forward's results"
    )
    _expect_on_device(values, "rnn_forward")
    expect(
        len(values) == 2 and values[0].shape == (4, 3, 10) and values[1].shape == (4, 3, 5),
        "on another device the results should have the same shapes as on the CPU",
        expected="hidden_states (L, B, num_dirs * H) and h_n (num_layers * num_dirs, B, H)",
        actual=", ".join(str(value.shape) for value in values),
    )


@check("batch_emb is left unchanged")
def forward_input_unchanged(ctx: Context) -> None:
    _expect_unchanged(ctx, ("course", "layers", "deep"), "rnn_forward")


# --- lstm_forward -----------------------------------------------------------------------------------

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
    return _forward_plan(rng, "LSTM", "lstm_forward", LSTM_CASES)


def _lstm_result(ctx: Context, key: str) -> tuple[Value, Value, Value]:
    states, pair = _items(ctx.answer(key).value(), 2, "lstm_forward")
    h_n, c_n = _items(pair, 2, "the second value of lstm_forward, (h_n, c_n),")
    for value, what in ((states, "hidden_states"), (h_n, "h_n"), (c_n, "c_n")):
        expect_tensor(value, what)
    return states, h_n, c_n


@check(
    "returns hidden_states (20, 10, 512) and (h_n, c_n), each (1, 10, 512), for nn.LSTM(256, 512)",
    hidden=False,
    gate=True,
)
def lstm_course_shapes(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "course")
    expect_shape(
        states, (20, 10, 512), "hidden_states (L, B, hidden_size); swap the batch and time axes"
    )
    expect_shape(h_n, (1, 10, 512), "h_n")
    expect_shape(c_n, (1, 10, 512), "c_n")


@check("h_n is the last step of hidden_states and c_n is the cell state, not h_n", hidden=False)
def lstm_course_facts(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "course")
    expect_close(
        h_n.array()[0], states.array()[-1], "h_n compared with the last step of hidden_states"
    )
    expect(
        not np.allclose(h_n.array(), c_n.array()),
        "c_n equals h_n; return the cell state the LSTM gives back",
    )


@check(
    "a 3-layer bidirectional nn.LSTM(8, 16) gives h_n and c_n (6, B, 16), hidden_states (L, B, 32)",
    hidden=False,
)
def lstm_layers_and_directions(ctx: Context) -> None:
    states, h_n, c_n = _lstm_result(ctx, "layers")
    for value, what in ((h_n, "h_n"), (c_n, "c_n")):
        expect_shape(
            value,
            (6, 2, 16),
            f"{what} of a 3-layer bidirectional layer; size h_0 and c_0 from the layer's "
            "num_layers, bidirectional and hidden_size",
        )
    expect_shape(states, (4, 2, 32), "hidden_states of a bidirectional layer (2 * hidden_size)")


@check("hidden_states and h_n equal the reference for stacked, bidirectional, bias-free layers")
def lstm_values(ctx: Context) -> None:
    for key in LSTM_CASES:
        what = ctx.expected(f"{key}.what")
        expected_states, (expected_h, _) = ctx.expected(key)
        states, h_n, _ = _lstm_result(ctx, key)
        expect_tensor_close(states, expected_states, f"hidden_states for {what}")
        expect_tensor_close(h_n, expected_h, f"h_n for {what}")


@check("c_n equals the reference's cell state (the cell state starts from zeros too)")
def lstm_cell_state(ctx: Context) -> None:
    for key in LSTM_CASES:
        _, (_, expected_c) = ctx.expected(key)
        _, _, c_n = _lstm_result(ctx, key)
        expect_tensor_close(c_n, expected_c, f"c_n for {ctx.expected(f'{key}.what')}")


@check("hidden_states, h_n and c_n stay connected to the layer's weights")
def lstm_keeps_graph(ctx: Context) -> None:
    for key in ("layers", "deep"):
        _expect_graph(list(_lstm_result(ctx, key)), "lstm_forward")


@check("h_0 and c_0 are created on the batch's device (the layer may live on a GPU)")
def lstm_device(ctx: Context) -> None:
    values = _tensor_items(
        _off_cpu_result(ctx, "meta", "lstm_forward", "layers"), "lstm_forward's results"
    )
    _expect_on_device(values, "lstm_forward")
    expect(
        [value.shape for value in values] == [(4, 3, 10), (4, 3, 5), (4, 3, 5)],
        "on another device the results should have the same shapes as on the CPU",
        expected="hidden_states (L, B, num_dirs * H), h_n and c_n (num_layers * num_dirs, B, H)",
        actual=", ".join(str(value.shape) for value in values),
    )


@check("batch_emb is left unchanged")
def lstm_input_unchanged(ctx: Context) -> None:
    _expect_unchanged(ctx, ("course", "layers", "deep"), "lstm_forward")


# --- packed_gru -------------------------------------------------------------------------------------

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
    x = _embedded_batch(rng, len(lens), lens[0], size)
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
        reference = _stock_layer("GRU", kwargs, _seed(rng)).train(mode == "train")
        x = _padded_batch(rng, lens, kwargs["input_size"])
        seed = _seed(rng)
        layer = _layer_arg(plan, key, "GRU", kwargs, reference, mode=mode)
        lens_arg = plan.array(f"{key}.lens", np.array(lens, np.int64))
        plan.probes[key] = _call(
            "packed_gru_forward", [layer, plan.array(key, x), lens_arg], seed=seed
        )
        torch.manual_seed(seed)
        with torch.no_grad():
            result = api.packed_gru_forward(
                reference, torch.from_numpy(x), torch.tensor(lens, dtype=torch.long)
            )
        plan.expected[key] = to_numpy(result)
        plan.expected[f"{key}.case"] = (kwargs, lens)
        plan.expected[f"{key}.what"] = _describe_layer("GRU", kwargs, len(lens), length)
    plan.arrays["meta"] = _padded_batch(rng, [5, 3, 3, 1], 8)
    plan.probes["meta"] = _call(
        "packed_gru_forward",
        [
            _layer_arg(plan, "meta", "GRU", PACKED_COURSE, device="meta"),
            {"array": "meta", "device": "meta"},
            plan.array("meta.lens", np.array([5, 3, 3, 1], np.int64)),
        ],
    )
    return plan


def _packed(ctx: Context, key: str) -> tuple[Value, Value, Value]:
    outputs, lens, h_n = _items(ctx.answer(key).value(), 3, "packed_gru_forward")
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
            "the top layer's forward state in h_n compared with the output at the last real token",
        )
        if dirs == 2:
            expect_close(
                top[1, row],
                values[0, row, hidden:],
                "the top layer's backward state in h_n compared with the output at the first token",
            )


def _expect_packed_values(ctx: Context, key: str) -> None:
    what = ctx.expected(f"{key}.what")
    expected_outputs, expected_lens, expected_h_n = ctx.expected(key)
    outputs, lens, h_n = _expect_packed_shapes(ctx, key)
    expect_tensor_close(h_n, expected_h_n, f"h_n for {what}")
    expect_tensor_close(outputs, expected_outputs, f"outputs for {what}")
    expect_tensor_equal(lens, expected_lens, f"outputs_lens for {what}")


@check(
    "returns outputs (5, 4, 32), outputs_lens [5, 3, 3, 1] and h_n (4, 4, 16) for a 2-layer "
    "bidirectional nn.GRU(8, 16)",
    hidden=False,
    gate=True,
)
def packed_shapes(ctx: Context) -> None:
    _expect_packed_shapes(ctx, "course")


@check(
    "padding is skipped: zero outputs there, last states at each sequence's real end", hidden=False
)
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
        "the first layer's last states (dropout never touches them) for "
        + ctx.expected("train.what"),
    )


@check("outputs and h_n stay connected to the layer's weights")
def packed_keeps_graph(ctx: Context) -> None:
    for key in ("course", "deep"):
        outputs, _, h_n = _packed(ctx, key)
        _expect_graph([outputs, h_n], "packed_gru_forward")


@check("h_0 is created on the batch's device (the layer may live on a GPU)")
def packed_device(ctx: Context) -> None:
    result = _off_cpu_result(ctx, "meta", "packed_gru_forward", "course")
    outputs, _, h_n = _items(result, 3, "packed_gru_forward")
    _expect_on_device([outputs, h_n], "packed_gru_forward")
    expect(
        outputs.shape == (5, 4, 32) and h_n.shape == (4, 4, 16),
        "on another device the results should have the same shapes as on the CPU",
        expected="outputs (L, B, num_dirs * H) and h_n (num_layers * num_dirs, B, H)",
        actual=f"{outputs.shape} and {h_n.shape}",
    )


@check("batch_emb and batch_lens are left unchanged")
def packed_input_unchanged(ctx: Context) -> None:
    _expect_unchanged(ctx, ("course", "deep", "uni"), "packed_gru_forward")


# --- the exercises ----------------------------------------------------------------------------------

EXERCISES = (
    Exercise(
        "string_to_onehot",
        ASSIGNMENT,
        "string_to_onehot(string)",
        _onehot_plan,
        (onehot_returns_int_array, onehot_course_rows, onehot_random_strings, onehot_empty_string),
        (
            Mistake(
                "start and end tokens swapped",
                (
                    "[n_letters - 2] + [char_list.index(char) for char in string] + [n_letters - 1]",
                    "[n_letters - 1] + [char_list.index(char) for char in string] + [n_letters - 2]",
                ),
                ("onehot_course_rows",),
            ),
            Mistake(
                "no start and end rows",
                (
                    "[n_letters - 2] + [char_list.index(char) for char in string] + [n_letters - 1]",
                    "[char_list.index(char) for char in string]",
                ),
                ("onehot_returns_int_array",),
            ),
            Mistake(
                "float array",
                ("dtype=int)", "dtype=float)"),
                ("onehot_returns_int_array",),
            ),
            Mistake(
                "index shifted by one",
                ("[char_list.index(char) for char", "[char_list.index(char) + 1 for char"),
                ("onehot_course_rows", "onehot_random_strings"),
            ),
            Mistake(
                "start token at index 0",
                ("[n_letters - 2] +", "[0] +"),
                ("onehot_course_rows",),
            ),
            Mistake(
                "every row gets every column",
                ("onehot[np.arange(len(indices)), indices] = 1", "onehot[:, indices] = 1"),
                ("onehot_course_rows",),
            ),
            Mistake(
                "a torch tensor",
                ("    return onehot\n", "    return torch.from_numpy(onehot)\n"),
                ("onehot_returns_int_array",),
            ),
            Mistake(
                "end row missing",
                (" + [n_letters - 1]", ""),
                ("onehot_returns_int_array",),
            ),
        ),
    ),
    Exercise(
        "rnn_cell",
        ASSIGNMENT,
        "RNN.forward and RNN.init_hidden (one-hot cell)",
        _rnn_cell_plan,
        (
            cell_returns_pair,
            cell_init_hidden_zeros,
            cell_course_values,
            cell_sequence_matches,
            cell_gradients,
            cell_init_hidden_device,
        ),
        (
            Mistake(
                "previous hidden state ignored",
                (
                    "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                    "hidden = torch.tanh(self.i2h(input))",
                ),
                ("cell_course_values", "cell_sequence_matches"),
            ),
            Mistake(
                "output from the old hidden state",
                (
                    "        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n        output = self.i2o(hidden)\n",
                    "        output = self.i2o(hidden)\n        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))\n",
                ),
                ("cell_course_values", "cell_sequence_matches"),
            ),
            Mistake(
                "relu instead of tanh",
                ("hidden = torch.tanh(", "hidden = torch.relu("),
                ("cell_course_values", "cell_sequence_matches"),
            ),
            Mistake(
                "tanh on the output too",
                ("output = self.i2o(hidden)", "output = torch.tanh(self.i2o(hidden))"),
                ("cell_course_values", "cell_sequence_matches"),
            ),
            Mistake(
                "returned pair swapped",
                ("return output, hidden", "return hidden, output"),
                ("cell_returns_pair",),
            ),
            Mistake(
                "first hidden state of ones",
                (
                    "return torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                    "return torch.ones(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                ),
                ("cell_init_hidden_zeros",),
            ),
            Mistake(
                "first hidden state on the CPU",
                (
                    "torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                    "torch.zeros(1, self.hidden_size)",
                ),
                ("cell_init_hidden_device",),
            ),
            Mistake(
                "first hidden state without the batch axis",
                (
                    "torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)",
                    "torch.zeros(self.hidden_size, dtype=weight.dtype, device=weight.device)",
                ),
                ("cell_init_hidden_zeros",),
            ),
            Mistake(
                "hidden state detached each step",
                (
                    "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                    "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden.detach()))",
                ),
                ("cell_gradients",),
            ),
        ),
    ),
    Exercise(
        "char_tensor",
        ASSIGNMENT,
        "char_tensor(string)",
        _char_tensor_plan,
        (char_returns_long, char_course_example, char_random_strings, char_empty_string),
        (
            Mistake(
                "int32 indices",
                ("dtype=torch.long)", "dtype=torch.int32)"),
                ("char_returns_long",),
            ),
            Mistake(
                "float indices",
                ("dtype=torch.long)", "dtype=torch.float32)"),
                ("char_returns_long",),
            ),
            Mistake(
                "index shifted by one",
                ("all_characters.index(char) for", "all_characters.index(char) + 1 for"),
                ("char_course_example",),
            ),
            Mistake(
                "character codes instead of positions",
                ("all_characters.index(char) for", "ord(char) for"),
                ("char_course_example",),
            ),
            Mistake(
                "case folded",
                ("all_characters.index(char) for", "all_characters.index(char.lower()) for"),
                ("char_course_example",),
            ),
            Mistake(
                "a list instead of a tensor",
                (
                    "return torch.tensor([all_characters.index(char) for char in string], dtype=torch.long)",
                    "return [all_characters.index(char) for char in string]",
                ),
                ("char_returns_long",),
            ),
            Mistake(
                "stacked scalars (fails on the empty string)",
                (
                    "return torch.tensor([all_characters.index(char) for char in string], dtype=torch.long)",
                    "return torch.stack([torch.tensor(all_characters.index(char)) for char in string])",
                ),
                ("char_empty_string",),
            ),
            Mistake(
                "a batch axis added",
                ("dtype=torch.long)", "dtype=torch.long).unsqueeze(0)"),
                ("char_returns_long",),
            ),
        ),
    ),
    Exercise(
        "random_training_set",
        ASSIGNMENT,
        "random_training_set(text, chunk_len, generator)",
        _training_set_plan,
        (
            set_returns_pair,
            set_target_shifted,
            set_whole_text,
            set_covers_every_start,
            set_random_texts,
            set_reproducible_draw,
        ),
        (
            Mistake(
                "target not shifted",
                (
                    "return char_tensor(chunk[:-1]), char_tensor(chunk[1:])",
                    "return char_tensor(chunk[:-1]), char_tensor(chunk[:-1])",
                ),
                ("set_target_shifted",),
            ),
            Mistake(
                "input and target swapped",
                (
                    "return char_tensor(chunk[:-1]), char_tensor(chunk[1:])",
                    "return char_tensor(chunk[1:]), char_tensor(chunk[:-1])",
                ),
                ("set_target_shifted",),
            ),
            Mistake(
                "last start never drawn",
                (
                    "torch.randint(len(text) - chunk_len,",
                    "torch.randint(len(text) - chunk_len - 1,",
                ),
                ("set_whole_text", "set_covers_every_start"),
            ),
            Mistake(
                "start may run past the end",
                ("torch.randint(len(text) - chunk_len,", "torch.randint(len(text),"),
                ("set_covers_every_start", "set_random_texts"),
            ),
            Mistake(
                "chunk one character short",
                (
                    "chunk = text[start : start + chunk_len + 1]",
                    "chunk = text[start : start + chunk_len]",
                ),
                ("set_returns_pair",),
            ),
            Mistake(
                "always the first chunk",
                (
                    "start = int(torch.randint(len(text) - chunk_len, (1,), generator=generator))",
                    "start = 0",
                ),
                ("set_covers_every_start",),
            ),
            Mistake(
                "numpy's random generator",
                (
                    "start = int(torch.randint(len(text) - chunk_len, (1,), generator=generator))",
                    "start = int(np.random.randint(len(text) - chunk_len))",
                ),
                ("set_reproducible_draw",),
            ),
            Mistake(
                "float tensors",
                (
                    "return char_tensor(chunk[:-1]), char_tensor(chunk[1:])",
                    "return char_tensor(chunk[:-1]).float(), char_tensor(chunk[1:]).float()",
                ),
                ("set_returns_pair",),
            ),
        ),
        depends_on=("char_tensor",),
    ),
    Exercise(
        "embedding_rnn",
        ASSIGNMENT,
        "RNN with nn.Embedding and nn.RNN (one character per call)",
        _embedding_rnn_plan,
        (
            embed_returns_pair,
            embed_layers,
            embed_time_major,
            embed_scalar_or_vector,
            embed_hidden_used,
            embed_logits_match,
            embed_hidden_carried,
            embed_gradients,
        ),
        (
            Mistake(
                "batch_first set",
                (
                    "nn.RNN(embedding_size, hidden_size, num_layers)",
                    "nn.RNN(embedding_size, hidden_size, num_layers, batch_first=True)",
                ),
                ("embed_time_major",),
            ),
            Mistake(
                "num_layers ignored",
                (
                    "nn.RNN(embedding_size, hidden_size, num_layers)",
                    "nn.RNN(embedding_size, hidden_size)",
                ),
                ("embed_returns_pair",),
            ),
            Mistake(
                "given hidden ignored",
                ("self.rnn(embedded, hidden)", "self.rnn(embedded)"),
                ("embed_hidden_used", "embed_hidden_carried"),
            ),
            Mistake(
                "read-out from the first layer's state",
                ("logits = self.decoder(output.view(1, -1))", "logits = self.decoder(hidden[0])"),
                ("embed_logits_match",),
            ),
            Mistake(
                "softmax instead of logits",
                (
                    "logits = self.decoder(output.view(1, -1))",
                    "logits = torch.softmax(self.decoder(output.view(1, -1)), dim=1)",
                ),
                ("embed_logits_match",),
            ),
            Mistake(
                "logits without the batch axis",
                ("self.decoder(output.view(1, -1))", "self.decoder(output.view(-1))"),
                ("embed_returns_pair",),
            ),
            Mistake(
                "output returned instead of hidden",
                ("return logits, hidden", "return logits, output"),
                ("embed_returns_pair",),
            ),
            Mistake(
                "nn.GRU instead of nn.RNN",
                (
                    "nn.RNN(embedding_size, hidden_size, num_layers)",
                    "nn.GRU(embedding_size, hidden_size, num_layers)",
                ),
                ("embed_layers",),
            ),
            Mistake(
                "embedding sizes swapped",
                (
                    "nn.Embedding(input_size, embedding_size)",
                    "nn.Embedding(embedding_size, input_size)",
                ),
                ("embed_returns_pair",),
            ),
        ),
    ),
    Exercise(
        "pad_and_sort",
        ASSIGNMENT,
        "pad_and_sort(sequences, pad_id)",
        _pad_plan,
        (
            pad_returns_pair,
            pad_small_example,
            pad_ties_and_pad_id,
            pad_course_data,
            pad_random_batches,
            pad_edge_cases,
            pad_no_mutation,
        ),
        (
            Mistake(
                "not sorted",
                ("return batch[order], batch_lens", "return batch, lengths"),
                ("pad_small_example",),
            ),
            Mistake(
                "shortest first",
                ("lengths.sort(descending=True, stable=True)", "lengths.sort(stable=True)"),
                ("pad_small_example",),
            ),
            Mistake(
                "sorted ascending then flipped (ties reversed)",
                (
                    "    batch_lens, order = lengths.sort(descending=True, stable=True)\n",
                    "    batch_lens, order = lengths.sort(stable=True)\n    batch_lens, order = batch_lens.flip(0), order.flip(0)\n",
                ),
                ("pad_ties_and_pad_id",),
            ),
            Mistake(
                "padding with zeros instead of pad_id",
                (
                    "torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)",
                    "torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)",
                ),
                ("pad_ties_and_pad_id",),
            ),
            Mistake(
                "padding on the left",
                ("batch[row, : len(seq)] =", "batch[row, batch.size(1) - len(seq) :] ="),
                ("pad_small_example",),
            ),
            Mistake(
                "lengths left in the original order",
                ("return batch[order], batch_lens", "return batch[order], lengths"),
                ("pad_small_example",),
            ),
            Mistake(
                "int32 lengths",
                (
                    "lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)",
                    "lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.int32)",
                ),
                ("pad_returns_pair",),
            ),
            Mistake(
                "the given list sorted in place",
                (
                    "    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)\n",
                    "    sequences.sort(key=len, reverse=True)\n    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)\n",
                ),
                ("pad_no_mutation",),
            ),
        ),
    ),
    Exercise(
        "embed_batch",
        ASSIGNMENT,
        "embed_batch(batch, vocab_size, embedding_size)",
        _embed_batch_plan,
        (
            embed_batch_returns_pair,
            embed_batch_default_size,
            embed_batch_lookup,
            embed_batch_values,
            embed_batch_keeps_graph,
            embed_batch_device,
        ),
        (
            Mistake(
                "sizes swapped",
                (
                    "nn.Embedding(vocab_size, embedding_size)",
                    "nn.Embedding(embedding_size, vocab_size)",
                ),
                ("embed_batch_returns_pair",),
            ),
            Mistake(
                "size hard-coded to 256",
                ("nn.Embedding(vocab_size, embedding_size)", "nn.Embedding(vocab_size, 256)"),
                ("embed_batch_returns_pair",),
            ),
            Mistake(
                "table left on the CPU",
                (
                    "nn.Embedding(vocab_size, embedding_size).to(batch.device)",
                    "nn.Embedding(vocab_size, embedding_size)",
                ),
                ("embed_batch_device",),
            ),
            Mistake(
                "only batch_emb returned",
                ("return embedding, batch_emb", "return batch_emb"),
                ("embed_batch_returns_pair",),
            ),
            Mistake(
                "time-major output",
                ("batch_emb = embedding(batch)", "batch_emb = embedding(batch.t())"),
                ("embed_batch_returns_pair",),
            ),
            Mistake(
                "scaled by sqrt(embedding_size)",
                (
                    "batch_emb = embedding(batch)",
                    "batch_emb = embedding(batch) * embedding_size**0.5",
                ),
                ("embed_batch_values",),
            ),
            Mistake(
                "detached",
                ("batch_emb = embedding(batch)", "batch_emb = embedding(batch).detach()"),
                ("embed_batch_keeps_graph",),
            ),
            Mistake(
                "looked up in a second table",
                (
                    "batch_emb = embedding(batch)",
                    "batch_emb = nn.Embedding(vocab_size, embedding_size).to(batch.device)(batch)",
                ),
                ("embed_batch_values",),
            ),
        ),
    ),
    Exercise(
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
        ),
        (
            Mistake(
                "axes not swapped",
                ("rnn(batch_emb.transpose(0, 1), h_0)", "rnn(batch_emb, h_0)"),
                ("forward_course_shapes",),
            ),
            Mistake(
                "reshape instead of swapping axes",
                (
                    "rnn(batch_emb.transpose(0, 1), h_0)",
                    "rnn(batch_emb.reshape(batch_emb.size(1), batch_emb.size(0), -1), h_0)",
                ),
                ("forward_hand_values", "forward_values"),
            ),
            Mistake(
                "initial state of ones",
                (
                    "h_0 = batch_emb.new_zeros(rnn.num_layers * num_dirs,",
                    "h_0 = batch_emb.new_ones(rnn.num_layers * num_dirs,",
                ),
                ("forward_hand_values", "forward_values"),
            ),
            Mistake(
                "directions ignored",
                ("num_dirs = 2 if rnn.bidirectional else 1", "num_dirs = 1"),
                ("forward_layers_and_directions",),
            ),
            Mistake(
                "layers ignored",
                ("new_zeros(rnn.num_layers * num_dirs,", "new_zeros(num_dirs,"),
                ("forward_layers_and_directions",),
            ),
            Mistake(
                "batch size hard-coded",
                ("batch_emb.size(0), rnn.hidden_size", "10, rnn.hidden_size"),
                ("forward_hand_values", "forward_values"),
            ),
            Mistake(
                "hidden size hard-coded to 512",
                ("batch_emb.size(0), rnn.hidden_size)", "batch_emb.size(0), 512)"),
                ("forward_hand_values", "forward_layers_and_directions", "forward_values"),
            ),
            Mistake(
                "h_0 created on the CPU",
                (
                    "h_0 = batch_emb.new_zeros(rnn.num_layers",
                    "h_0 = torch.zeros(rnn.num_layers",
                ),
                ("forward_device",),
            ),
            Mistake(
                "run under torch.no_grad()",
                (
                    "    hidden_states, h_n = rnn(batch_emb.transpose(0, 1), h_0)\n",
                    "    with torch.no_grad():\n"
                    "        hidden_states, h_n = rnn(batch_emb.transpose(0, 1), h_0)\n",
                ),
                ("forward_keeps_graph",),
            ),
            Mistake(
                "last step of hidden_states returned as h_n",
                ("return hidden_states, h_n", "return hidden_states, hidden_states[-1:]"),
                ("forward_layers_and_directions",),
            ),
            Mistake(
                "batch-first hidden_states returned",
                ("return hidden_states, h_n", "return hidden_states.transpose(0, 1), h_n"),
                ("forward_course_shapes",),
            ),
            Mistake(
                "in-place transpose of the input",
                ("rnn(batch_emb.transpose(0, 1), h_0)", "rnn(batch_emb.transpose_(0, 1), h_0)"),
                ("forward_input_unchanged",),
            ),
        ),
    ),
    Exercise(
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
        ),
        (
            Mistake(
                "cell state starts at ones",
                ("c_0 = torch.zeros_like(h_0)", "c_0 = torch.ones_like(h_0)"),
                ("lstm_values", "lstm_cell_state"),
            ),
            Mistake(
                "h_n returned twice",
                ("return hidden_states, (h_n, c_n)", "return hidden_states, (h_n, h_n)"),
                ("lstm_course_facts",),
            ),
            Mistake(
                "state pair swapped",
                ("return hidden_states, (h_n, c_n)", "return hidden_states, (c_n, h_n)"),
                ("lstm_course_facts",),
            ),
            Mistake(
                "reshape instead of swapping axes",
                (
                    "lstm(batch_emb.transpose(0, 1), (h_0, c_0))",
                    "lstm(batch_emb.reshape(batch_emb.size(1), batch_emb.size(0), -1), (h_0, c_0))",
                ),
                ("lstm_values",),
            ),
            Mistake(
                "flat triple returned",
                ("return hidden_states, (h_n, c_n)", "return hidden_states, h_n, c_n"),
                ("lstm_course_shapes",),
            ),
            Mistake(
                "only h_0 passed",
                ("(batch_emb.transpose(0, 1), (h_0, c_0))", "(batch_emb.transpose(0, 1), h_0)"),
                ("lstm_course_shapes",),
            ),
            Mistake(
                "batch-first hidden_states returned",
                (
                    "return hidden_states, (h_n, c_n)",
                    "return hidden_states.transpose(0, 1), (h_n, c_n)",
                ),
                ("lstm_course_shapes",),
            ),
            Mistake(
                "directions ignored",
                ("num_dirs = 2 if lstm.bidirectional else 1", "num_dirs = 1"),
                ("lstm_layers_and_directions",),
            ),
            Mistake(
                "layers ignored",
                ("new_zeros(lstm.num_layers * num_dirs,", "new_zeros(num_dirs,"),
                ("lstm_layers_and_directions",),
            ),
            Mistake(
                "hidden size hard-coded to 512",
                ("batch_emb.size(0), lstm.hidden_size)", "batch_emb.size(0), 512)"),
                ("lstm_layers_and_directions", "lstm_values"),
            ),
            Mistake(
                "h_0 created on the CPU",
                (
                    "h_0 = batch_emb.new_zeros(lstm.num_layers",
                    "h_0 = torch.zeros(lstm.num_layers",
                ),
                ("lstm_device",),
            ),
            Mistake(
                "c_0 created on the CPU",
                ("c_0 = torch.zeros_like(h_0)", "c_0 = torch.zeros(h_0.shape)"),
                ("lstm_device",),
            ),
            Mistake(
                "run under torch.no_grad()",
                (
                    "    hidden_states, (h_n, c_n) = lstm(batch_emb.transpose(0, 1), (h_0, c_0))\n",
                    "    with torch.no_grad():\n"
                    "        hidden_states, (h_n, c_n) = lstm(batch_emb.transpose(0, 1), (h_0, c_0))\n",
                ),
                ("lstm_keeps_graph",),
            ),
        ),
    ),
    Exercise(
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
        (
            Mistake(
                "padding not skipped",
                (
                    "    packed_batch = pack_padded_sequence(batch_emb.transpose(0, 1), batch_lens.cpu())\n"
                    "    packed_outputs, h_n = gru(packed_batch, h_0)\n"
                    "    outputs, outputs_lens = pad_packed_sequence(packed_outputs)\n",
                    "    outputs, h_n = gru(batch_emb.transpose(0, 1), h_0)\n"
                    "    outputs_lens = batch_lens\n",
                ),
                ("packed_skips_padding",),
            ),
            Mistake(
                "directions ignored",
                ("num_dirs = 2 if gru.bidirectional else 1", "num_dirs = 1"),
                ("packed_shapes",),
            ),
            Mistake(
                "always two directions",
                ("num_dirs = 2 if gru.bidirectional else 1", "num_dirs = 2"),
                ("packed_values", "packed_random_lengths"),
            ),
            Mistake(
                "batch-first unpacking",
                (
                    "pad_packed_sequence(packed_outputs)",
                    "pad_packed_sequence(packed_outputs, batch_first=True)",
                ),
                ("packed_shapes",),
            ),
            Mistake(
                "h_n split into layers and directions",
                (
                    "return outputs, outputs_lens, h_n",
                    "return outputs, outputs_lens, h_n.view(gru.num_layers, num_dirs, -1, gru.hidden_size)",
                ),
                ("packed_shapes",),
            ),
            Mistake(
                "every length set to the padded length",
                (
                    "batch_lens.cpu())",
                    "torch.full_like(batch_lens, batch_emb.size(1)).cpu())",
                ),
                ("packed_shapes", "packed_skips_padding"),
            ),
            Mistake(
                "initial state of ones",
                (
                    "h_0 = batch_emb.new_zeros(gru.num_layers * num_dirs,",
                    "h_0 = batch_emb.new_ones(gru.num_layers * num_dirs,",
                ),
                ("packed_values",),
            ),
            Mistake(
                "hidden size hard-coded to 512",
                ("batch_emb.size(0), gru.hidden_size)", "batch_emb.size(0), 512)"),
                ("packed_shapes",),
            ),
            Mistake(
                "h_0 created on the CPU",
                (
                    "h_0 = batch_emb.new_zeros(gru.num_layers",
                    "h_0 = torch.zeros(gru.num_layers",
                ),
                ("packed_device",),
            ),
            Mistake(
                "run under torch.no_grad()",
                (
                    "    packed_outputs, h_n = gru(packed_batch, h_0)\n",
                    "    with torch.no_grad():\n        packed_outputs, h_n = gru(packed_batch, h_0)\n",
                ),
                ("packed_keeps_graph",),
            ),
            Mistake(
                "lengths returned as a list",
                ("return outputs, outputs_lens, h_n", "return outputs, outputs_lens.tolist(), h_n"),
                ("packed_shapes",),
            ),
            Mistake(
                "packed data returned",
                (
                    "outputs, outputs_lens = pad_packed_sequence(packed_outputs)",
                    "outputs, outputs_lens = packed_outputs.data, batch_lens",
                ),
                ("packed_shapes",),
            ),
        ),
    ),
)
