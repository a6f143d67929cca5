"""RNN of part 2 (nn.Embedding, nn.RNN, a decoder), called one character at a time.

Shapes, layer sizes and the time-major layout come first; the reference's weights then pin the
logits, the hidden state carried from call to call and the gradients for 1 to 3 layers; a model
and inputs on the "meta" stand-in for a GPU must give results there.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np
import torch

from autograder.engine.checks import CheckFailure, expect, expect_shape, expect_tensor
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
from solutions.rnn_basics import shakespeare


def _pairs(raw: Any) -> dict[str, Any]:
    """A list of [name, value] pairs from the child as a dict; anything malformed is dropped."""
    items = raw if isinstance(raw, list) else []
    return {
        item[0]: item[1]
        for item in items
        if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
    }


EMBED_CASES = {
    "course": (100, 70, 100, 100, 2, 0),
    "small": (12, 5, 7, 12, 1, 5),
    "deep": (9, 4, 6, 11, 3, 3),
}


def _embedding_rnn_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    for key, (inputs, embed, hidden, outputs, layers, steps) in EMBED_CASES.items():
        torch.manual_seed(seed(rng))
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
                        plan.array(f"{key}.c{i}", c.astype(np.int64)),
                        plan.array(f"{key}.h{i}", h),
                    ]
                }
                for i, (c, h) in enumerate(calls)
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
        for i, char in enumerate(chars):
            shaped = np.array(char if i % 2 == 0 else [char], np.int64)
            state = plan.array(f"{key}.h0", h0) if i == 0 else {"step": i - 1, "path": [1]}
            specs.append({"args": [plan.array(f"{key}.c{i}", shaped), state]})
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
        for i, char in enumerate(chars):
            shaped = torch.tensor(int(char) if i % 2 == 0 else [int(char)])
            logits, state = model(shaped, state)
            results.append((logits, state))
        (logits * torch.from_numpy(plan.arrays[logit_weights])).sum().backward()
        plan.expected[key] = to_numpy(results)
        plan.expected[f"{key}.grads"] = reference_grads(model)
    inputs, embed, hidden, outputs, layers, _ = EMBED_CASES["small"]
    module_probe(
        plan,
        "meta",
        "RNN",
        [inputs, embed, hidden, outputs, layers],
        shakespeare.RNN(inputs, embed, hidden, outputs, layers),
        [
            {
                "args": [
                    {"array": "small.c0", "device": "meta"},
                    {"array": "small.h0", "device": "meta"},
                ]
            }
        ],
        device="meta",
        arity=4,
    )
    return plan


@check(
    "forward returns logits (1, output_size) and hidden (num_layers, 1, hidden_size)",
    gate=True,
)
def embed_returns_pair(ctx: Context) -> None:
    logits, hidden = items(ctx.answer("course").step(0), 2, "forward")
    expect_tensor(logits, "logits")
    expect_shape(logits, (1, 100), t("logits of RNN(100, 70, 100, 100, num_layers=2)"))
    expect_tensor(hidden, "hidden")
    expect_shape(hidden, (2, 1, 100), t("hidden of RNN(100, 70, 100, 100, num_layers=2)"))


@check(
    "encoder is nn.Embedding(input_size, embedding_size), rnn an nn.RNN with num_layers layers",
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
        actual=t("wrong or missing: {names}", names=", ".join(wrong))
        if wrong
        else N_("extra layers"),
    )


@check("nn.RNN keeps its default time-major layout (batch_first is not set)")
def embed_time_major(ctx: Context) -> None:
    for node in ctx.definitions("RNN"):
        for item in ast.walk(node):
            if isinstance(item, ast.keyword) and item.arg == "batch_first":
                literal = isinstance(item.value, ast.Constant) and item.value.value is False
                expect(literal, "this model works time-major: leave batch_first at its default")


@check("a character as a 0-d or a (1,) tensor gives the same logits")
def embed_scalar_or_vector(ctx: Context) -> None:
    first = ctx.answer("course").step(0).item(0)
    expect_tensor(first, "logits")
    expect_tensor_close(
        ctx.answer("course").step(1).item(0),
        first.array(),
        t("the logits for torch.tensor([c]) compared with torch.tensor(c)"),
    )


@check("the given hidden state changes the result")
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
        for number, (logits, _) in enumerate(ctx.expected(key)):
            got = items(ctx.answer(key).step(number), 2, "forward")[0]
            expect_tensor_close(got, logits, t("the logits of call {number}", number=number + 1))


@check("the hidden state is carried from one character to the next as in the reference")
def embed_hidden_carried(ctx: Context) -> None:
    for key in ("small", "deep"):
        for step, (_, hidden) in enumerate(ctx.expected(key)):
            got = items(ctx.answer(key).step(step), 2, "forward")[1]
            after = t("the hidden state after character {number}", number=step + 1)
            expect_tensor_close(got, hidden, after)


@check("gradients reach the embedding, the RNN and the decoder as in the reference")
def embed_gradients(ctx: Context) -> None:
    for key in ("small", "deep"):
        expect_grads_close(ctx, key, f"{key}.grads", t("the gradient"))


@check("works when the model, the character and the state live on another device")
def embed_follows_device(ctx: Context) -> None:
    answer = ctx.answer("meta")
    if not answer.raw.get("ok"):
        raise CheckFailure(
            N_(
                "forward fails when the model and its inputs are on another device (as on a "
                "GPU): pass the given tensors to the layers (input.view(1, 1) keeps their "
                "device) rather than building new ones, which land on the CPU"
            ),
            actual=str(answer.raw.get("error", {}).get("message", ""))[:160],
        )
    for value in items(answer.step(0), 2, "forward"):
        expect(
            value.type == "tensor" and value.device == "meta",
            "the logits and hidden should stay on the device of the model and its inputs",
            expected=N_("the inputs' device"),
            actual=value.describe(),
        )


EXERCISE = Exercise(
    "embedding_rnn",
    ASSIGNMENT,
    N_("RNN with nn.Embedding and nn.RNN (one character per call)"),
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
        embed_follows_device,
    ),
    (
        Mistake(
            "character index rebuilt on the CPU",
            (
                "embedded = self.encoder(input.view(1, 1))",
                "embedded = self.encoder(torch.tensor([[int(input)]]))",
            ),
            ("embed_follows_device",),
            hint=N_(
                "the character index is rebuilt as a new tensor on the CPU, whatever "
                "the input's device: look at what you give the embedding"
            ),
        ),
        Mistake(
            "batch_first set",
            (
                "nn.RNN(embedding_size, hidden_size, num_layers)",
                "nn.RNN(embedding_size, hidden_size, num_layers, batch_first=True)",
            ),
            ("embed_time_major",),
            hint=N_(
                "the recurrent layer is created with an axis order this exercise does"
                " not use: look at the arguments of nn.RNN in __init__"
            ),
        ),
        Mistake(
            "num_layers ignored",
            (
                "nn.RNN(embedding_size, hidden_size, num_layers)",
                "nn.RNN(embedding_size, hidden_size)",
            ),
            ("embed_returns_pair",),
            hint=N_(
                "the recurrent layer has one layer whatever num_layers says: look at "
                "the arguments of nn.RNN in __init__"
            ),
        ),
        Mistake(
            "given hidden ignored",
            ("self.rnn(embedded, hidden)", "self.rnn(embedded)"),
            ("embed_hidden_used", "embed_hidden_carried"),
            hint=N_(
                "the hidden state passed to forward is not used: look at the call of "
                "the recurrent layer"
            ),
        ),
        Mistake(
            "read-out from the first layer's state",
            ("logits = self.decoder(output.view(1, -1))", "logits = self.decoder(hidden[0])"),
            ("embed_logits_match",),
            hint=N_(
                "the logits come from the first layer's hidden state instead of the "
                "output of the last layer: look at what you give the decoder"
            ),
        ),
        Mistake(
            "softmax instead of logits",
            (
                "logits = self.decoder(output.view(1, -1))",
                "logits = torch.softmax(self.decoder(output.view(1, -1)), dim=1)",
            ),
            ("embed_logits_match",),
            hint=N_(
                "forward returns probabilities, not raw logits: look at what is "
                "applied after the decoder"
            ),
        ),
        Mistake(
            "logits without the batch axis",
            ("self.decoder(output.view(1, -1))", "self.decoder(output.view(-1))"),
            ("embed_returns_pair",),
            hint=N_(
                "the logits have no batch axis: look at the shape of what you give the decoder"
            ),
        ),
        Mistake(
            "output returned instead of hidden",
            ("return logits, hidden", "return logits, output"),
            ("embed_returns_pair",),
            hint=N_(
                "forward returns the layer's output where the hidden state belongs: "
                "look at the return statement"
            ),
        ),
        Mistake(
            "nn.GRU instead of nn.RNN",
            (
                "nn.RNN(embedding_size, hidden_size, num_layers)",
                "nn.GRU(embedding_size, hidden_size, num_layers)",
            ),
            ("embed_layers",),
            hint=N_(
                "the model uses another recurrent layer than the one the exercise "
                "asks for: look at the layer created in __init__"
            ),
        ),
        Mistake(
            "embedding sizes swapped",
            (
                "nn.Embedding(input_size, embedding_size)",
                "nn.Embedding(embedding_size, input_size)",
            ),
            ("embed_returns_pair",),
            hint=N_(
                "the embedding's two sizes are in the wrong order: look at how "
                "nn.Embedding is created in __init__"
            ),
        ),
    ),
)
