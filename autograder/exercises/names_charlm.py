"""Assignment 1, names_charlm: each exercise's probes, checks and known mistakes, in one place.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.names_charlm` on inputs drawn here at random.
"""

from __future__ import annotations

import ast
import csv
import io
import string

import numpy as np
import torch
import torch.nn.functional as F

from autograder.engine.checks import (
    expect,
    expect_dtype,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    BUILTIN_RECURRENT,
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    expect_tensor_equal,
    expect_weights_mapped,
    module_probe,
    module_types,
    on_other_device,
    reference_grads,
    target,
    to_numpy,
)
from solutions import names_charlm as ref

ASSIGNMENT = "names_charlm"
LETTERS = string.ascii_letters + " .,;'_"


def _random_name(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(LETTERS), size=length))


# --- one_hot_encode_string ----------------------------------------------------------------------


def _one_hot_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    words = {"ahn": "Ahn", "a": "a"} | {
        f"random{i}": _random_name(rng, int(n)) for i, n in enumerate((1, 7, 20))
    }
    for key, word in words.items():
        plan.probes[key] = {
            "kind": "call",
            "target": target("one_hot_encode_string"),
            "args": [{"value": word}],
        }
        plan.expected[key] = to_numpy(ref.one_hot_encode_string(word))
    return plan


@check("returns a float tensor", hidden=False, gate=True)
def returns_float_tensor(ctx: Context) -> None:
    value = ctx.answer("ahn").value()
    expect_tensor(value, "the encoding of 'Ahn'")
    expect_dtype(value, "float32", "the encoding of 'Ahn'")


@check("one row per character, one column per vocabulary symbol", hidden=False)
def shape_is_length_by_vocab(ctx: Context) -> None:
    expect_shape(ctx.answer("ahn").value(), (3, 58), "the encoding of 'Ahn'")
    expect_shape(ctx.answer("a").value(), (1, 58), "the encoding of 'a'")


@check("'Ahn' has its 1s at indices 26, 7 and 13", hidden=False)
def course_example(ctx: Context) -> None:
    expect_tensor_equal(ctx.answer("ahn").value(), ctx.expected("ahn"), "the encoding of 'Ahn'")


@check("encodes random names of length 1 to 20 exactly")
def random_names(ctx: Context) -> None:
    for key in ("random0", "random1", "random2"):
        expect_tensor_equal(ctx.answer(key).value(), ctx.expected(key), "the encoding of a name")


# --- names_dataset --------------------------------------------------------------------------------


def _names_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    languages = ["Zulu", "Arabic", "Korean", "English"]
    rows = [
        (_random_name(rng, int(rng.integers(2, 12))).replace("_", "x"), str(rng.choice(languages)))
        for _ in range(12)
    ]
    rows[0] = ("O'Neill", "Zulu")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("name", "language"), *rows])
    csv_text = buffer.getvalue()
    indices = [0, len(rows) - 1, int(rng.integers(1, len(rows) - 1))]
    plan.probes["items"] = {
        "kind": "object",
        "target": target("NamesDataset"),
        "init": {"args": [{"text_file": csv_text}]},
        "steps": [{"method": "__getitem__", "args": [{"value": i}]} for i in indices],
    }
    classes = sorted(set(language for _, language in rows))
    plan.expected["items"] = [
        (to_numpy(ref.one_hot_encode_string(rows[i][0])), classes.index(rows[i][1]))
        for i in indices
    ]
    return plan


@check("returns (one-hot name, label)", hidden=False, gate=True)
def returns_pair(ctx: Context) -> None:
    item = ctx.answer("items").step(0)
    expect(
        item.type in {"tuple", "list"} and len(item.items()) == 2,
        "__getitem__ should return a pair (encoded name, label)",
        actual=item.describe(),
    )


@check("the name is one-hot encoded with one_hot_encode_string", hidden=False)
def name_encoded(ctx: Context) -> None:
    for number, (encoded, _) in enumerate(ctx.expected("items")):
        expect_tensor_equal(ctx.answer("items").step(number).item(0), encoded, "the encoded name")


@check("the label is a long scalar tensor", hidden=False)
def label_is_long_scalar(ctx: Context) -> None:
    label = ctx.answer("items").step(0).item(1)
    expect_tensor(label, "the label")
    expect_dtype(label, "int64", "the label")
    expect_shape(label, (), "the label")


@check("the label is the index of the language in the sorted class_names")
def label_matches_class_index(ctx: Context) -> None:
    for number, (_, label) in enumerate(ctx.expected("items")):
        value = ctx.answer("items").step(number).item(1)
        expect_tensor_equal(value, np.array(label, dtype=np.int64), "the label")


# --- custom_rnn -------------------------------------------------------------------------------------

CUSTOM_CASES = {"course": (32, 64, 10, 4, 5), "small": (6, 8, 5, 3, 7), "tiny": (6, 8, 5, 1, 1)}


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


@check("forward returns logits of shape (batch, output_dim)", hidden=False, gate=True)
def logits_shape(ctx: Context) -> None:
    value = ctx.answer("course").step(0)
    expect_tensor(value, "CustomRNN(32, 64, 10) on randn(4, 5, 32)")
    expect_shape(value, (4, 10), "the logits of CustomRNN(32, 64, 10) on randn(4, 5, 32)")


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
        actual="uses " + ", ".join(sorted(set(used))),
    )


@check("logits match the reference for the same weights")
def logits_match(ctx: Context) -> None:
    for key in ("course", "small"):
        expect_tensor_close(ctx.answer(key).step(0), ctx.expected(key), "the logits")


@check("works for a batch of one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    expect_tensor_close(
        ctx.answer("tiny").step(0), ctx.expected("tiny"), "the logits for one sequence of length 1"
    )


@check("gradients flow to every weight as in the reference")
def gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", "the gradient")


@check("creates the hidden state on the input's device")
def follows_input_device(ctx: Context) -> None:
    on_other_device(
        ctx,
        "meta",
        "forward fails when the model and input are on another device: create h with "
        "device=x.device",
        "the logits",
    )


# --- num_params_custom_rnn ---------------------------------------------------------------------------


def _num_params_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    plan.probes["value"] = {"kind": "value", "target": target("num_params_customRNN")}
    plan.expected["value"] = sum(p.numel() for p in ref.CustomRNN(32, 64, 10).parameters())
    return plan


@check("equals the number of learnable parameters of CustomRNN(32, 64, 10)", hidden=False, weight=2)
def count_is_right(ctx: Context) -> None:
    value = ctx.answer("value").value()
    expect(
        value.type in {"int", "float"},
        "num_params_customRNN should be a number",
        actual=value.describe(),
    )
    expect(
        value.scalar == ctx.expected("value"),
        "the parameter count is not right; count every weight matrix and every bias vector",
        actual=str(value.scalar),
    )


@check("is written with numbers only, not computed from the model")
def written_by_hand(ctx: Context) -> None:
    assignments = ctx.definitions("num_params_customRNN")
    expect(bool(assignments), "num_params_customRNN is not assigned in the notebook")
    value = getattr(assignments[-1], "value", None)
    nodes = list(ast.walk(value)) if value is not None else []
    numbers = [n for n in nodes if isinstance(n, ast.Constant) and type(n.value) in (int, float)]
    others = sorted({type(n).__name__ for n in nodes if not _is_arithmetic(n)})
    expect(
        bool(numbers) and not others,
        "write the count by hand as numbers and arithmetic (e.g. 3 * 4 + 5), without variables"
        " or function calls",
        actual="uses " + ", ".join(others) if others else "no number",
    )


def _is_arithmetic(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop))


# --- shakespeare_dataset -----------------------------------------------------------------------------


def _shakespeare_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    data = rng.integers(0, ref.VOCAB_SIZE, size=int(rng.integers(40, 80))).astype(np.int64)
    seq_length = int(rng.integers(5, 12))
    dataset = ref.ShakespeareDataset(torch.from_numpy(data), seq_length)
    indices = [0, len(dataset) - 1, int(rng.integers(1, len(dataset) - 1))]
    plan.probes["items"] = {
        "kind": "object",
        "target": target("ShakespeareDataset"),
        "init": {"args": [plan.array("data", data), {"value": seq_length}]},
        "steps": [{"method": "__getitem__", "args": [{"value": i}]} for i in indices],
    }
    plan.expected["items"] = [to_numpy(dataset[i]) for i in indices]
    plan.expected["seq_length"] = seq_length
    return plan


@check("returns (one-hot window, target ids)", hidden=False, gate=True)
def returns_window_pair(ctx: Context) -> None:
    item = ctx.answer("items").step(0)
    expect(
        item.type in {"tuple", "list"} and len(item.items()) == 2,
        "__getitem__ should return (X_onehot, y)",
        actual=item.describe(),
    )
    expect_tensor(item.item(1), "y")


@check("y holds seq_length integer ids", hidden=False)
def target_shape_and_dtype(ctx: Context) -> None:
    target_value = ctx.answer("items").step(0).item(1)
    expect_tensor(target_value, "y")
    expect_dtype(target_value, "int64", "y (class ids for CrossEntropyLoss)")
    expect_shape(target_value, (ctx.expected("seq_length"),), "y")


@check("y is the window shifted by one character, up to the last window")
def target_is_next_characters(ctx: Context) -> None:
    for number, (_, expected) in enumerate(ctx.expected("items")):
        expect_tensor_equal(
            ctx.answer("items").step(number).item(1),
            expected,
            "y (the characters that follow each input position)",
        )


@check("X stays the given one-hot window")
def input_unchanged(ctx: Context) -> None:
    for number, (expected, _) in enumerate(ctx.expected("items")):
        expect_tensor_equal(ctx.answer("items").step(number).item(0), expected, "X_onehot")


# --- char_rnn -------------------------------------------------------------------------------------------


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
    return plan


@check("forward returns (logits, hidden) of the course's shapes", hidden=False, gate=True)
def returns_logits_and_hidden(ctx: Context) -> None:
    value = ctx.answer("course").step(0)
    expect(
        value.type in {"tuple", "list"} and len(value.items()) == 2,
        "forward should return (logits, hidden)",
        actual=value.describe(),
    )
    expect_shape(value.item(0), (2, 4, 65), "logits (batch, seq_len, vocab)")
    expect_shape(value.item(1), (2, 2, 256), "hidden (num_layers, batch, hidden_dim)")


@check("logits at every step match the reference")
def char_logits_match(ctx: Context) -> None:
    for key in ("course", "small"):
        expect_tensor_close(ctx.answer(key).step(0).item(0), ctx.expected(key)[0], "the logits")


@check("the given hidden state is carried into the next call")
def hidden_is_carried(ctx: Context) -> None:
    for key in ("course", "small"):
        expected = ctx.expected(key)
        expect_tensor_close(
            ctx.answer(key).step(1).item(0),
            expected[2],
            "the logits of a second chunk that continues from the returned hidden",
        )
        expect_tensor_close(ctx.answer(key).step(1).item(1), expected[3], "the returned hidden")


@check("works for one sequence of length one")
def char_batch_one(ctx: Context) -> None:
    expect_tensor_close(
        ctx.answer("tiny").step(0).item(0), ctx.expected("tiny")[0], "the logits for one character"
    )


@check("gradients reach the RNN and the read-out as in the reference")
def char_gradients_match(ctx: Context) -> None:
    expect_grads_close(ctx, "small", "small.grads", "the gradient")


EXERCISES = (
    Exercise(
        "one_hot_encode_string",
        ASSIGNMENT,
        "one_hot_encode_string(text)",
        _one_hot_plan,
        (returns_float_tensor, shape_is_length_by_vocab, course_example, random_names),
        (
            Mistake(
                "index shifted by one",
                ("CHAR_TO_INDEX[char]] = 1.0", "CHAR_TO_INDEX[char] - 1] = 1.0"),
                ("course_example",),
            ),
            Mistake(
                "rows and columns swapped",
                (
                    "encoded = torch.zeros(len(text), len(VOCAB))\n    for position, char in enumerate(text):\n        encoded[position, CHAR_TO_INDEX[char]] = 1.0",
                    "encoded = torch.zeros(len(VOCAB), len(text))\n    for position, char in enumerate(text):\n        encoded[CHAR_TO_INDEX[char], position] = 1.0",
                ),
                ("shape_is_length_by_vocab",),
            ),
            Mistake(
                "integer tensor",
                (
                    "torch.zeros(len(text), len(VOCAB))",
                    "torch.zeros(len(text), len(VOCAB), dtype=torch.long)",
                ),
                ("returns_float_tensor",),
            ),
            Mistake(
                "case folded",
                ("CHAR_TO_INDEX[char]]", "CHAR_TO_INDEX[char.lower()]]"),
                ("course_example",),
            ),
            Mistake(
                "first character repeated",
                ("CHAR_TO_INDEX[char]]", "CHAR_TO_INDEX[text[0]]]"),
                ("course_example",),
            ),
            Mistake(
                "extra row",
                ("torch.zeros(len(text), len(VOCAB))", "torch.zeros(len(text) + 1, len(VOCAB))"),
                ("shape_is_length_by_vocab",),
            ),
            Mistake(
                "whole column set",
                (
                    "encoded[position, CHAR_TO_INDEX[char]] = 1.0",
                    "encoded[:, CHAR_TO_INDEX[char]] = 1.0",
                ),
                ("course_example", "random_names"),
            ),
        ),
    ),
    Exercise(
        "names_dataset",
        ASSIGNMENT,
        "NamesDataset.__getitem__",
        _names_plan,
        (returns_pair, name_encoded, label_is_long_scalar, label_matches_class_index),
        (
            Mistake(
                "float label",
                ("dtype=torch.long)", "dtype=torch.float32)"),
                ("label_is_long_scalar",),
            ),
            Mistake(
                "label from unsorted languages",
                (
                    "self.class_names.index(language)",
                    "self.df['language'].unique().tolist().index(language)",
                ),
                ("label_matches_class_index",),
            ),
            Mistake(
                "next row",
                ("row = self.df.iloc[idx]", "row = self.df.iloc[(idx + 1) % len(self.df)]"),
                ("name_encoded",),
            ),
            Mistake(
                "pair swapped",
                (
                    "return one_hot_encode_string(name), label",
                    "return label, one_hot_encode_string(name)",
                ),
                ("name_encoded",),
            ),
            Mistake(
                "plain int label",
                (
                    "label = torch.tensor(self.class_names.index(language), dtype=torch.long)",
                    "label = self.class_names.index(language)",
                ),
                ("label_is_long_scalar",),
            ),
            Mistake(
                "label as a one-element vector",
                (
                    "torch.tensor(self.class_names.index(language), dtype=torch.long)",
                    "torch.tensor([self.class_names.index(language)], dtype=torch.long)",
                ),
                ("label_is_long_scalar",),
            ),
            Mistake(
                "name lower-cased",
                (
                    "return one_hot_encode_string(name), label",
                    "return one_hot_encode_string(name.lower()), label",
                ),
                ("name_encoded",),
            ),
        ),
        depends_on=("one_hot_encode_string",),
    ),
    Exercise(
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
        ),
        (
            Mistake(
                "hidden state not carried",
                (
                    "self.W_xh(x[:, t, :]) + self.W_hh(h))",
                    "self.W_xh(x[:, t, :]) + self.W_hh.bias)",
                ),
                ("logits_match",),
            ),
            Mistake(
                "output from the first step",
                (
                    "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                    "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n            break\n",
                ),
                ("logits_match",),
            ),
            Mistake(
                "relu instead of tanh", ("h = torch.tanh(", "h = torch.relu("), ("logits_match",)
            ),
            Mistake(
                "hidden state on the CPU",
                (
                    "torch.zeros(batch_size, self.hidden_dim, device=x.device, dtype=x.dtype)",
                    "torch.zeros(batch_size, self.hidden_dim)",
                ),
                ("follows_input_device",),
            ),
            Mistake(
                "time reversed",
                ("for t in range(seq_len):", "for t in reversed(range(seq_len)):"),
                ("logits_match",),
            ),
            Mistake(
                "hidden state returned", ("return self.W_hy(h)", "return h"), ("logits_shape",)
            ),
            Mistake(
                "built-in nn.RNN",
                (
                    "        for t in range(seq_len):\n            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                    "        rnn = nn.RNN(x.shape[-1], self.hidden_dim, batch_first=True, bias=False)\n"
                    "        h = rnn(x, h.unsqueeze(0))[1][0]\n",
                ),
                ("no_builtin_rnn",),
            ),
        ),
    ),
    Exercise(
        "num_params_custom_rnn",
        ASSIGNMENT,
        "num_params_customRNN",
        _num_params_plan,
        (count_is_right, written_by_hand),
        (
            Mistake(
                "W_hh bias forgotten",
                ("64 * 64 + 64 + 64 * 10", "64 * 64 + 64 * 10"),
                ("count_is_right",),
            ),
            Mistake("W_hy bias forgotten", ("64 * 10 + 10", "64 * 10"), ("count_is_right",)),
            Mistake(
                "bias added to W_xh",
                ("32 * 64 + 64 * 64", "32 * 64 + 64 + 64 * 64"),
                ("count_is_right",),
            ),
            Mistake(
                "computed from the model",
                (
                    "32 * 64 + 64 * 64 + 64 + 64 * 10 + 10",
                    "sum(p.numel() for p in CustomRNN(32, 64, 10).parameters())",
                ),
                ("written_by_hand",),
            ),
            Mistake(
                "both biases forgotten",
                ("64 * 64 + 64 + 64 * 10 + 10", "64 * 64 + 64 * 10"),
                ("count_is_right",),
            ),
            Mistake(
                "W_hh counted twice", ("64 * 64 + 64", "2 * 64 * 64 + 64"), ("count_is_right",)
            ),
        ),
    ),
    Exercise(
        "shakespeare_dataset",
        ASSIGNMENT,
        "ShakespeareDataset target",
        _shakespeare_plan,
        (returns_window_pair, target_shape_and_dtype, target_is_next_characters, input_unchanged),
        (
            Mistake(
                "target not shifted",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "self.data[idx : idx + self.seq_length]",
                ),
                ("target_is_next_characters",),
            ),
            Mistake(
                "target shifted by two",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "self.data[idx + 2 : idx + self.seq_length + 2]",
                ),
                ("target_is_next_characters",),
            ),
            Mistake(
                "one-hot target",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "F.one_hot(self.data[idx + 1 : idx + self.seq_length + 1], self.vocab_size)",
                ),
                ("target_shape_and_dtype",),
            ),
            Mistake(
                "float target",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "self.data[idx + 1 : idx + self.seq_length + 1].float()",
                ),
                ("target_shape_and_dtype",),
            ),
            Mistake(
                "only the next character",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "self.data[idx + self.seq_length]",
                ),
                ("target_shape_and_dtype",),
            ),
            Mistake(
                "target one too short",
                (
                    "self.data[idx + 1 : idx + self.seq_length + 1]",
                    "self.data[idx + 1 : idx + self.seq_length]",
                ),
                ("target_shape_and_dtype",),
            ),
        ),
    ),
    Exercise(
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
        ),
        (
            Mistake(
                "given hidden ignored",
                ("self.rnn(x, hidden)", "self.rnn(x)"),
                ("hidden_is_carried",),
            ),
            Mistake(
                "read-out only on the last step",
                ("logits = self.fc(outputs)", "logits = self.fc(outputs[:, -1, :])"),
                ("returns_logits_and_hidden",),
            ),
            Mistake(
                "softmax instead of logits",
                ("logits = self.fc(outputs)", "logits = torch.softmax(self.fc(outputs), dim=-1)"),
                ("char_logits_match",),
            ),
            Mistake(
                "log-softmax instead of logits",
                (
                    "logits = self.fc(outputs)",
                    "logits = torch.log_softmax(self.fc(outputs), dim=-1)",
                ),
                ("char_logits_match",),
            ),
            Mistake(
                "flattened logits",
                (
                    "logits = self.fc(outputs)",
                    "logits = self.fc(outputs.reshape(-1, outputs.shape[-1]))",
                ),
                ("returns_logits_and_hidden",),
            ),
            Mistake(
                "read-out from the hidden state",
                (
                    "logits = self.fc(outputs)",
                    "logits = self.fc(hidden[-1]).unsqueeze(1).expand(-1, x.shape[1], -1)",
                ),
                ("char_logits_match",),
            ),
            Mistake(
                "returned pair swapped",
                ("return logits, hidden", "return hidden, logits"),
                ("returns_logits_and_hidden",),
            ),
        ),
    ),
)
