"""Assignment 3, word_lm: each exercise's probes, checks and known mistakes, in one place.

Public checks restate the notebook's own tests (the course's facts); hidden checks compare the
student's code with `solutions.word_lm` on small models and token streams drawn here at random.
Models are tiny (a vocabulary of 20 to 50 words, a dozen hidden units) so that one submission
grades in seconds.

Dropout makes training-mode outputs random, so values are compared in eval mode only. In
training mode the checks look at properties that hold whatever the random masks are: the output
is still a distribution, the first layer's state moves when the embedding is dropped, and with
weights that make a dropout site irrelevant (a zero embedding, a zero projection) the output is
the one the reference gives in eval mode.
"""

from __future__ import annotations

import ast
import math

import numpy as np
import torch

from autograder.engine.checks import (
    CheckFailure,
    Value,
    expect,
    expect_dtype,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import (
    cotangent,
    expect_grads_close,
    expect_tensor_close,
    expect_tensor_equal,
    on_other_device,
    reference_grads,
    state_arrays,
    target,
    to_numpy,
)
from solutions import word_lm as ref

ASSIGNMENT = "word_lm"


def _seed_torch(rng: np.random.Generator) -> None:
    torch.manual_seed(int(rng.integers(2**31)))


def _reference_model(
    rng: np.random.Generator,
    rnn_type: str,
    vocab: int,
    embedding: int,
    hidden: int,
    layers: int,
) -> tuple[ref.RNNModel, list]:
    """A reference RNNModel in eval mode and the positional arguments that build it.

    Larger weights than the course's near-uniform initialisation, so that the predictions
    depend clearly on the context and on the carried state, and a wrong shift, a reset state
    or dropout left on move the loss by far more than the tolerance.
    """
    _seed_torch(rng)
    dropout = 0.5 if layers > 1 else 0.0  # nn.LSTM warns about dropout with a single layer
    args = [rnn_type, vocab, embedding, hidden, layers, dropout]
    model = ref.RNNModel(*args)
    with torch.no_grad():
        model.embedding.weight.normal_(0.0, 1.0)
        model.projection.weight.normal_(0.0, 3.0)
        model.projection.bias.normal_(0.0, 0.3)
        for name, parameter in model.rnn.named_parameters():
            if name.startswith("weight"):
                parameter.mul_(2.5)
    return model.eval(), args


def _object_probe(
    plan: Plan,
    key: str,
    model: torch.nn.Module,
    init_args: list,
    steps: list[dict],
    *,
    mode: str = "eval",
    backward: list[dict] | None = None,
) -> None:
    """Build the student's RNNModel with the reference weights and run `steps` on it."""
    probe = {
        "kind": "object",
        "target": target("RNNModel"),
        "init": {"args": [{"value": arg} for arg in init_args]},
        "state": state_arrays(plan, f"{key}.state", model),
        "mode": mode,
        "steps": steps,
        "seed": 0,
    }
    if backward:
        probe["backward"] = backward
    plan.probes[key] = probe


def _states(hidden) -> list[np.ndarray]:
    """The reference's next_hidden as a list of arrays: [h] or [h, c]."""
    if isinstance(hidden, torch.Tensor):
        return [to_numpy(hidden)]
    return [to_numpy(state) for state in hidden]


# --- rnn_model_forward -------------------------------------------------------------------------

#: key: (rnn_type, vocab, embedding, hidden, layers, batch, first chunk); the second chunk's
#: length is drawn per plan. "course" and the three other types use the notebook's sizes.
FORWARD_CASES = {
    "course": ("LSTM", 50, 8, 12, 2, 3, 7),
    "gru": ("GRU", 30, 8, 12, 2, 2, 5),
    "tanh": ("RNN_TANH", 30, 8, 12, 2, 2, 5),
    "relu": ("RNN_RELU", 30, 8, 12, 2, 2, 5),
    "tiny": ("LSTM", 20, 6, 6, 1, 1, 1),
}
VALUE_CASES = ("course", "gru", "tanh", "relu", "random")


def _forward_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases = dict(FORWARD_CASES)
    cases["random"] = (
        str(rng.choice(["LSTM", "GRU"])),
        int(rng.integers(20, 41)),
        int(rng.integers(4, 9)),
        int(rng.integers(5, 11)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 5)),
        int(rng.integers(2, 9)),
    )
    for key, (rnn_type, vocab, embedding, hidden, layers, batch, first) in cases.items():
        model, args = _reference_model(rng, rnn_type, vocab, embedding, hidden, layers)
        second = 1 if key == "tiny" else int(rng.integers(1, 7))
        ids = rng.integers(0, vocab, size=(batch, first + second)).astype(np.int64)
        x1, x2 = ids[:, :first], ids[:, first:]
        steps = [
            {"method": "init_hidden", "args": [{"value": batch}]},
            {"args": [plan.array(f"{key}.x1", x1), {"step": 0}]},
            {"args": [plan.array(f"{key}.x2", x2), {"step": 1, "path": [1]}]},
        ]
        if key == "course":
            steps.append({"args": [plan.array(f"{key}.x", ids), {"step": 0}]})
            # The gate's probe makes one call only, so that a wrong return value is reported
            # as such rather than as a failure of the next call that uses it.
            _object_probe(plan, "first_call", model, args, steps[:2])
        _object_probe(plan, key, model, args, steps)
        with torch.no_grad():
            log_prob1, hidden1 = model(torch.from_numpy(x1), model.init_hidden(batch))
            log_prob2, hidden2 = model(torch.from_numpy(x2), hidden1)
        plan.expected[key] = {
            "type": rnn_type,
            "shape": (batch, first, vocab),
            "state_shape": (layers, batch, hidden),
            "log_prob1": to_numpy(log_prob1),
            "hidden1": _states(hidden1),
            "log_prob2": to_numpy(log_prob2),
            "hidden2": _states(hidden2),
        }
    _gradient_probe(plan, rng)
    _dropout_probes(plan, rng)
    return plan


def _gradient_probe(plan: Plan, rng: np.random.Generator) -> None:
    """Two chunks with the state carried; backward from the second chunk's log-probabilities."""
    rnn_type = str(rng.choice(["LSTM", "GRU", "RNN_TANH"]))
    model, args = _reference_model(rng, rnn_type, 24, 6, 8, 2)
    batch, first, second = 2, 4, 3
    ids = rng.integers(0, 24, size=(batch, first + second)).astype(np.int64)
    x1, x2 = ids[:, :first], ids[:, first:]
    weights = cotangent(plan, "grad.cot", (batch, second, 24), rng)
    _object_probe(
        plan,
        "grad",
        model,
        args,
        [
            {"method": "init_hidden", "args": [{"value": batch}]},
            {"args": [plan.array("grad.x1", x1), {"step": 0}]},
            {"args": [plan.array("grad.x2", x2), {"step": 1, "path": [1]}]},
        ],
        backward=[{"step": 2, "path": [0], "cotangent": weights}],
    )
    _, hidden1 = model(torch.from_numpy(x1), model.init_hidden(batch))
    log_prob2, _ = model(torch.from_numpy(x2), hidden1)
    (log_prob2 * torch.from_numpy(plan.arrays[weights])).sum().backward()
    plan.expected["grad.grads"] = reference_grads(model)


def _dropout_probes(plan: Plan, rng: np.random.Generator) -> None:
    """Training-mode probes whose verdicts do not depend on the random dropout masks.

    "train": ordinary weights; the output must stay a distribution and the first layer's state
    must differ from eval mode (the embedding is dropped before the RNN).
    "sites": a zero embedding and zero input weights for layer 2 make the embedding dropout and
    the RNN's own inter-layer dropout irrelevant; the output must still differ from eval mode
    (the recurrent output is dropped before the projection).
    "projection": a zero projection weight makes every dropout before the projection
    irrelevant; the output must equal eval mode's (nothing is dropped after the projection).
    """
    batch, steps, vocab = 4, 6, 20
    ids = rng.integers(0, vocab, size=(batch, steps)).astype(np.int64)
    data = plan.array("dropout.x", ids)
    for key in ("train", "sites", "projection"):
        model, args = _reference_model(rng, "LSTM", vocab, 8, 12, 2)
        with torch.no_grad():
            if key == "sites":
                model.embedding.weight.zero_()
                model.rnn.weight_ih_l1.zero_()
            if key == "projection":
                model.projection.weight.zero_()
                model.projection.bias.normal_(0.0, 1.0)
            log_prob, hidden = model(torch.from_numpy(ids), model.init_hidden(batch))
        _object_probe(
            plan,
            key,
            model,
            args,
            [{"method": "init_hidden", "args": [{"value": batch}]}, {"args": [data, {"step": 0}]}],
            mode="train",
        )
        plan.expected[key] = {"log_prob": to_numpy(log_prob), "hidden": _states(hidden)}


def _forward_result(ctx: Context, key: str, step: int = 1) -> tuple[Value, Value]:
    value = ctx.answer(key).step(step)
    expect(
        value.type in {"tuple", "list"} and len(value.items()) == 2,
        "forward should return the tuple (log_prob, next_hidden)",
        actual=value.describe(),
    )
    return value.item(0), value.item(1)


def _state_values(value: Value, rnn_type: str) -> list[Value]:
    if rnn_type == "LSTM":
        expect(
            value.type in {"tuple", "list"} and len(value.items()) == 2,
            "an LSTM's next_hidden should be the pair (h, c) that self.rnn returns",
            actual=value.describe(),
        )
        return value.items()
    expect(
        value.type == "tensor",
        f"a {rnn_type} model's next_hidden should be the single tensor that self.rnn returns",
        actual=value.describe(),
    )
    return [value]


def _log_prob_array(value: Value, what: str) -> np.ndarray:
    expect_tensor(value, what)
    data = value.array().astype(np.float64)
    expect(bool(np.all(np.isfinite(data))), f"{what} contains NaN or infinite values")
    return data


def _largest_difference(value: Value, expected: np.ndarray, what: str) -> float:
    expect_tensor(value, what)
    expect_shape(value, expected.shape, what)
    return float(np.max(np.abs(value.array().astype(np.float64) - expected)))


@check("forward returns (log_prob, next_hidden) of the course's shapes", hidden=False, gate=True)
def returns_log_prob_and_hidden(ctx: Context) -> None:
    log_prob, hidden = _forward_result(ctx, "first_call")
    expect_tensor(log_prob, "log_prob")
    expect_shape(log_prob, (3, 7, 50), "log_prob (batch, seq_len, vocab_size)")
    for state in _state_values(hidden, "LSTM"):
        expect_tensor(state, "next_hidden")
        expect_shape(state, (2, 3, 12), "each of h and c (num_hidden_layers, batch, hidden_size)")


@check("log_prob holds log-probabilities over the vocabulary, in train and eval mode", hidden=False)
def log_probabilities(ctx: Context) -> None:
    for key, mode in (("course", "eval"), ("train", "train")):
        log_prob, _ = _forward_result(ctx, key)
        data = _log_prob_array(log_prob, f"log_prob in {mode} mode")
        expect(
            data.ndim == 3,
            f"log_prob in {mode} mode should be (batch, seq_len, vocab_size)",
            actual=str(log_prob.shape),
        )
        expect(
            bool(np.all(data <= 1e-6)),
            f"log_prob in {mode} mode has positive entries: return log-probabilities (the last "
            "step of forward), not logits or probabilities",
            expected="every entry <= 0",
            actual=f"largest entry {data.max():.3g}",
        )
        total = np.exp(data).sum(axis=-1)
        worst = float(np.max(np.abs(total - 1.0)))
        expect(
            worst < 1e-4,
            f"in {mode} mode exp(log_prob) does not sum to 1 over the vocabulary (the last "
            "dimension): check which dimension log_softmax normalises and what comes after it",
            expected="sums of 1",
            actual=f"sums off by up to {worst:.3g}",
        )


@check("GRU, RNN_TANH and RNN_RELU models return one state tensor", hidden=False)
def other_rnn_types(ctx: Context) -> None:
    for key in ("gru", "tanh", "relu"):
        expected = ctx.expected(key)
        log_prob, hidden = _forward_result(ctx, key)
        expect_tensor(log_prob, f"log_prob of a {expected['type']} model")
        expect_shape(log_prob, expected["shape"], f"log_prob of a {expected['type']} model")
        (state,) = _state_values(hidden, expected["type"])
        expect_shape(state, expected["state_shape"], f"next_hidden of a {expected['type']} model")


@check("two chunks with the returned state passed on equal one pass", hidden=False)
def state_carried(ctx: Context) -> None:
    head, _ = _forward_result(ctx, "course", 1)
    tail, _ = _forward_result(ctx, "course", 2)
    whole, _ = _forward_result(ctx, "course", 3)
    for part in (head, tail, whole):
        expect_tensor(part, "log_prob")
    expect(
        head.array().ndim == 3 and tail.array().ndim == 3,
        "log_prob should be (batch, seq_len, vocab_size)",
        actual=str(head.shape),
    )
    joined = np.concatenate([head.array(), tail.array()], axis=1)
    expect_tensor_close(
        whole,
        joined,
        "the log_prob of the whole sequence compared with two chunks (pass prev_hidden to "
        "self.rnn and return the state it gives back)",
    )


@check("self.dropout is applied to the embedding output and to the recurrent output", hidden=False)
def dropout_on_embedding_and_output(ctx: Context) -> None:
    _, hidden = _forward_result(ctx, "train")
    first_layer = _state_values(hidden, "LSTM")[0]
    expect_tensor(first_layer, "h of next_hidden")
    expect_shape(first_layer, (2, 4, 12), "h of next_hidden in train mode")
    eval_first_layer = ctx.expected("train")["hidden"][0][0]
    moved = float(np.max(np.abs(first_layer.array()[0] - eval_first_layer)))
    expect(
        moved > 1e-3,
        "in train mode the first recurrent layer sees the same input as in eval mode: pass the "
        "embedding output through self.dropout before self.rnn",
    )
    log_prob, _ = _forward_result(ctx, "sites")
    moved = _largest_difference(log_prob, ctx.expected("sites")["log_prob"], "log_prob")
    expect(
        moved > 1e-3,
        "in train mode the projection sees the recurrent output undropped: pass the output of "
        "self.rnn through self.dropout before self.projection",
    )


@check("log-probabilities match the reference for the same weights (eval mode)")
def log_prob_matches(ctx: Context) -> None:
    for key in VALUE_CASES:
        expected = ctx.expected(key)
        log_prob, _ = _forward_result(ctx, key)
        expect_tensor_close(
            log_prob, expected["log_prob1"], f"log_prob of a {expected['type']} model"
        )


@check("next_hidden and a second chunk continued from it match the reference")
def hidden_matches(ctx: Context) -> None:
    for key in VALUE_CASES:
        expected = ctx.expected(key)
        kind = expected["type"]
        for step, suffix in ((1, "1"), (2, "2")):
            log_prob, hidden = _forward_result(ctx, key, step)
            states = _state_values(hidden, kind)
            for state, reference in zip(states, expected[f"hidden{suffix}"], strict=True):
                expect_tensor_close(state, reference, f"next_hidden of a {kind} model")
        log_prob, _ = _forward_result(ctx, key, 2)
        expect_tensor_close(
            log_prob,
            expected["log_prob2"],
            f"log_prob of a {kind} model for a chunk that continues from the returned state",
        )


@check("works for one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    expected = ctx.expected("tiny")
    for step in (1, 2):
        log_prob, hidden = _forward_result(ctx, "tiny", step)
        expect_tensor_close(
            log_prob, expected[f"log_prob{step}"], "log_prob for one word of one sequence"
        )
        for state, reference in zip(
            _state_values(hidden, "LSTM"), expected[f"hidden{step}"], strict=True
        ):
            expect_tensor_close(state, reference, "next_hidden for one word of one sequence")


@check("gradients flow from log_prob back to every layer as in the reference")
def gradients_match(ctx: Context) -> None:
    answer = ctx.answer("grad")
    if not answer.raw.get("ok"):
        raise CheckFailure(
            "backpropagating from log_prob failed: keep log_prob attached to the graph (no "
            ".detach(), no torch.no_grad() inside forward)",
            actual=str(answer.raw.get("error", {}).get("message", ""))[:160],
        )
    expect_grads_close(ctx, "grad", "grad.grads", "the gradient")


@check("nothing is dropped after the projection")
def no_dropout_after_projection(ctx: Context) -> None:
    log_prob, _ = _forward_result(ctx, "projection")
    expect_tensor_close(
        log_prob,
        ctx.expected("projection")["log_prob"],
        "log_prob in train mode when only the projection's bias decides the prediction "
        "(dropout belongs before self.projection, not on the logits or the log-probabilities)",
    )


# --- bptt_batchify -------------------------------------------------------------------------------


def _batchify_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases: dict[str, tuple[np.ndarray, int, int]] = {
        "course": (np.arange(23, dtype=np.int64), 2, 3),
        "rows": (np.arange(100, 200, dtype=np.int64), 4, 5),
    }
    batch, length = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    size = int(rng.integers(3, 8)) * batch * length + int(rng.integers(1, batch * length))
    cases["random"] = (_tokens(rng, size), batch, length)
    batch, length = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    cases["exact"] = (_tokens(rng, 4 * batch * length), batch, length)
    length = int(rng.integers(3, 9))
    cases["batch_one"] = (_tokens(rng, 5 * length + int(rng.integers(0, length))), 1, length)
    batch = int(rng.integers(2, 6))
    cases["length_one"] = (_tokens(rng, 6 * batch + int(rng.integers(0, batch))), batch, 1)
    batch, length = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    cases["one_sample"] = (_tokens(rng, batch * length + int(rng.integers(0, 3))), batch, length)
    for key, (data, batch, length) in cases.items():
        plan.probes[key] = {
            "kind": "call",
            "target": target("bptt_batchify"),
            "args": [plan.array(f"{key}.data", data), {"value": batch}, {"value": length}],
        }
        plan.expected[key] = to_numpy(ref.bptt_batchify(torch.from_numpy(data), batch, length))
    # A call probe cannot snapshot a meta tensor, so the device probe calls the function as
    # the "constructor" of an object probe and reads the result back with .detach().
    data, batch, length = cases["random"]
    plan.probes["meta"] = {
        "kind": "object",
        "target": target("bptt_batchify"),
        "init": {
            "args": [
                {"array": "random.data", "device": "meta"},
                {"value": batch},
                {"value": length},
            ]
        },
        "steps": [{"method": "detach"}],
    }
    plan.expected["meta"] = plan.expected["random"].shape
    return plan


def _tokens(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.integers(0, 40, size=size).astype(np.int64)


BATCHIFY_HIDDEN = ("random", "exact", "batch_one", "length_one", "one_sample")


@check("bptt_batchify(torch.arange(23), 2, 3) has shape (3, 2, 3)", hidden=False, gate=True)
def course_example_shape(ctx: Context) -> None:
    value = ctx.answer("course").value()
    expect_tensor(value, "the result of bptt_batchify")
    expect_shape(value, (3, 2, 3), "bptt_batchify(torch.arange(23), 2, 3)")


@check("the course's example: row 0 reads 0..8, row 1 reads 9..17", hidden=False)
def course_example_values(ctx: Context) -> None:
    expect_tensor_equal(
        ctx.answer("course").value(),
        ctx.expected("course"),
        "bptt_batchify(torch.arange(23), 2, 3)",
    )


@check("each row continues the same stretch of text from sample to sample", hidden=False)
def rows_continue(ctx: Context) -> None:
    value = ctx.answer("rows").value()
    expect_tensor(value, "the result of bptt_batchify")
    expect_shape(value, (5, 4, 5), "bptt_batchify of 100 tokens with batch 4, length 5")
    expect_dtype(value, "int64", "the result (the same torch.long as the input)")
    expect_tensor_equal(
        value,
        ctx.expected("rows"),
        "the samples (row b of consecutive samples should read one contiguous stretch)",
    )


@check("random token streams, batch 1, length 1, exact fits and a single sample")
def random_streams(ctx: Context) -> None:
    for key in BATCHIFY_HIDDEN:
        expected = ctx.expected(key)
        value = ctx.answer(key).value()
        expect_tensor(value, "the result of bptt_batchify")
        expect_shape(value, expected.shape, "(num_sample, batch_size, sequence_length)")
        expect_tensor_equal(value, expected, "the samples")


@check("the result keeps the input's dtype and device")
def keeps_dtype_and_device(ctx: Context) -> None:
    for key in BATCHIFY_HIDDEN:
        value = ctx.answer(key).value()
        expect_tensor(value, "the result of bptt_batchify")
        expect_dtype(value, "int64", "the result (the same torch.long as the input)")
    value = on_other_device(
        ctx,
        "meta",
        "bptt_batchify fails for a tensor on another device: slice and reshape the tensor "
        "itself, without going through numpy, lists or new tensors",
        "the result",
    )
    expect_shape(value, ctx.expected("meta"), "the result for a tensor on another device")


@check("the input tensor is left unchanged")
def input_not_modified(ctx: Context) -> None:
    for key in ("course", "rows", *BATCHIFY_HIDDEN):
        answer = ctx.answer(key)
        answer.require_ok()
        expect(
            0 not in answer.raw.get("mutated", []),
            "bptt_batchify changed the tensor it was given: cut with slicing and reshape, not "
            "with in-place operations",
        )


# --- evaluate --------------------------------------------------------------------------------------


def _evaluate_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    # The notebook's own setting: an untrained LSTM handed over in training mode.
    _seed_torch(rng)
    course_args = ["LSTM", 20, 8, 12, 2, 0.5]
    course = ref.RNNModel(*course_args).eval()
    course_data = rng.integers(0, 20, size=(6, 4, 8)).astype(np.int64)
    _evaluate_probe(plan, "course", course, course_args, course_data, "train")

    single, single_args = _reference_model(rng, "LSTM", 25, 6, 10, 2)
    single_data = _batches(rng, 25, 1, 3, int(rng.integers(6, 10)))
    _evaluate_probe(plan, "single", single, single_args, single_data, "eval")
    _evaluate_probe(plan, "single_train", single, single_args, single_data, "train")

    memoryless, memoryless_args = _reference_model(rng, "RNN_TANH", 30, 6, 10, 2)
    with torch.no_grad():
        memoryless.rnn.weight_hh_l0.zero_()
        memoryless.rnn.weight_hh_l1.zero_()
    memoryless_data = _batches(rng, 30, 4, 2, 5)
    _evaluate_probe(plan, "memoryless", memoryless, memoryless_args, memoryless_data, "eval")

    carried, carried_args = _reference_model(rng, "LSTM", 22, 6, 10, 2)
    _evaluate_probe(plan, "carried", carried, carried_args, _batches(rng, 22, 5, 3, 6), "eval")
    gru, gru_args = _reference_model(rng, "GRU", 18, 5, 8, 1)
    _evaluate_probe(plan, "gru", gru, gru_args, _batches(rng, 18, 3, 1, 4), "eval")
    return plan


def _batches(rng: np.random.Generator, vocab: int, samples: int, batch: int, length: int):
    """A token stream cut as the course cuts it, with a tail to drop."""
    stream = rng.integers(0, vocab, size=samples * batch * length + 3).astype(np.int64)
    return ref.bptt_batchify(torch.from_numpy(stream), batch, length).numpy()


def _evaluate_probe(
    plan: Plan, key: str, model: ref.RNNModel, args: list, data: np.ndarray, mode: str
) -> None:
    state = f"{key}.state" if key != "single_train" else "single.state"
    plan.probes[key] = {
        "kind": "call",
        "target": target("evaluate"),
        "args": [
            {
                "construct": {
                    "target": target("RNNModel"),
                    "init": {"args": [{"value": arg} for arg in args]},
                    "state": state_arrays(plan, state, model),
                    "mode": mode,
                }
            },
            plan.array(f"{key}.data", data),
        ],
    }
    plan.expected[key] = float(ref.evaluate(model, torch.from_numpy(data)))


def _mean_loss(ctx: Context, key: str) -> float:
    value = ctx.answer(key).value()
    if value.type in {"int", "float"}:
        return float(value.scalar)
    if value.type == "tensor" and math.prod(value.shape) == 1:
        return float(value.array().reshape(-1)[0])
    raise CheckFailure(
        "evaluate should return the mean loss as one number (a Python float)",
        expected="float",
        actual=value.describe(),
    )


#: how a failure names the simpler probes that `after` refers to
CASE_NAMES = {"single": "the loss of a single batch", "memoryless": "the averaging over batches"}


def _loss_is_right(ctx: Context, key: str) -> bool:
    actual = _mean_loss(ctx, key)
    expected = ctx.expected(key)
    return math.isfinite(actual) and abs(actual - expected) <= 1e-4 + 1e-5 * abs(expected)


def _expect_loss(ctx: Context, key: str, rationale: str, *, after: tuple[str, ...] = ()) -> None:
    """The mean loss matches the reference's; `after` names probes whose own errors come first.

    When one of those is already wrong the failure says so instead of blaming this check's
    subject (a loss computed wrongly is also wrong over several batches).
    """
    actual, expected = _mean_loss(ctx, key), ctx.expected(key)
    expect(math.isfinite(actual), "evaluate returned NaN or an infinite loss", actual=str(actual))
    if abs(actual - expected) <= 1e-4 + 1e-5 * abs(expected):
        return
    if not all(_loss_is_right(ctx, earlier) for earlier in after):
        rationale = (
            "the mean loss over several batches differs from the correct one, but so does a "
            "simpler case (" + " or ".join(CASE_NAMES[earlier] for earlier in after) + "): fix "
            "that first"
        )
    raise CheckFailure(
        rationale,
        expected="the mean of the per-batch losses, to within 1e-4",
        actual=f"off by {abs(actual - expected):.3g}",
    )


@check("returns the mean loss as a number", hidden=False, gate=True)
def returns_a_number(ctx: Context) -> None:
    _mean_loss(ctx, "course")


@check("an untrained model's loss is close to ln(vocabulary size)", hidden=False)
def untrained_loss_near_log_vocab(ctx: Context) -> None:
    loss = _mean_loss(ctx, "course")
    expect(
        math.isfinite(loss) and abs(loss - math.log(20)) < 0.1,
        "an untrained model predicts nearly uniformly, so the mean loss should be near "
        "ln(vocab_size); check the loss and the averaging",
        expected=f"about {math.log(20):.3f}",
        actual=f"{loss:.3f}",
    )


@check("no computation graph: the work runs under torch.no_grad()", hidden=False)
def without_graph(ctx: Context) -> None:
    value = ctx.answer("course").value()
    expect(
        not value.meta.get("requires_grad"),
        "the returned loss is attached to a computation graph: evaluate under torch.no_grad() "
        "and return a plain number",
        actual="a tensor that requires grad",
    )
    definitions = ctx.definitions("evaluate")
    if definitions and not _turns_off_gradients(definitions[-1]):
        raise CheckFailure(
            "evaluate builds a computation graph for every batch: run the loop inside "
            "`with torch.no_grad():`"
        )


def _turns_off_gradients(node: ast.AST) -> bool:
    for item in ast.walk(node):
        name = item.attr if isinstance(item, ast.Attribute) else getattr(item, "id", None)
        if name in {"no_grad", "inference_mode"}:
            return True
        if isinstance(item, ast.Call):
            called = item.func.attr if isinstance(item.func, ast.Attribute) else None
            called = called or getattr(item.func, "id", None)
            first = item.args[0] if item.args else None
            if (
                called == "set_grad_enabled"
                and isinstance(first, ast.Constant)
                and first.value is False
            ):
                return True
    return False


@check("the loss of a single batch equals train's loss, with dropout off")
def loss_of_one_batch(ctx: Context) -> None:
    _expect_loss(
        ctx,
        "single",
        "for a single batch the loss differs from the one train computes: the output at "
        "position t is scored against the word at t+1, with the vocabulary as nll_loss's class "
        "dimension",
    )


@check("switches the model to eval mode (dropout off)")
def switches_to_eval_mode(ctx: Context) -> None:
    in_eval, in_train = _mean_loss(ctx, "single"), _mean_loss(ctx, "single_train")
    expect(
        math.isfinite(in_train) and abs(in_train - in_eval) <= 1e-6 * max(1.0, abs(in_eval)),
        "the result depends on the mode the model arrives in: dropout is still on during "
        "evaluation; put the model in eval mode before the loop",
        expected="the same loss for a model handed over in training or in eval mode",
        actual=f"they differ by {abs(in_train - in_eval):.3g}",
    )


@check("returns the mean over batches of the per-batch losses")
def mean_over_batches(ctx: Context) -> None:
    _expect_loss(
        ctx,
        "memoryless",
        "over several batches the result is not the mean of the per-batch losses: add up each "
        "batch's loss and divide by the number of batches",
        after=("single",),
    )


@check("the state from init_hidden(data.shape[1]) is carried from batch to batch")
def state_carried_across_batches(ctx: Context) -> None:
    for key in ("carried", "gru"):
        _expect_loss(
            ctx,
            key,
            "the loss differs where the recurrent state matters: create the state once with "
            "model.init_hidden(data.shape[1]) before the loop and pass the state each batch "
            "returns on to the next batch",
            after=("single", "memoryless"),
        )


EXERCISES = (
    Exercise(
        "rnn_model_forward",
        ASSIGNMENT,
        "RNNModel.forward",
        _forward_plan,
        (
            returns_log_prob_and_hidden,
            log_probabilities,
            other_rnn_types,
            state_carried,
            dropout_on_embedding_and_output,
            log_prob_matches,
            hidden_matches,
            batch_one_length_one,
            gradients_match,
            no_dropout_after_projection,
        ),
        (
            Mistake(
                "softmax instead of log_softmax",
                ("F.log_softmax(logits, dim=-1)", "F.softmax(logits, dim=-1)"),
                ("log_probabilities",),
            ),
            Mistake(
                "log_softmax over the sequence",
                ("F.log_softmax(logits, dim=-1)", "F.log_softmax(logits, dim=1)"),
                ("log_probabilities",),
            ),
            Mistake(
                "logits returned",
                ("log_prob = F.log_softmax(logits, dim=-1)", "log_prob = logits"),
                ("log_probabilities",),
            ),
            Mistake(
                "prev_hidden ignored",
                ("self.rnn(embedded, prev_hidden)", "self.rnn(embedded)"),
                ("state_carried", "hidden_matches"),
            ),
            Mistake(
                "prev_hidden returned",
                ("return log_prob, next_hidden", "return log_prob, prev_hidden"),
                ("state_carried", "hidden_matches"),
            ),
            Mistake(
                "no dropout on the embedding",
                (
                    "embedded = self.dropout(self.embedding(input))",
                    "embedded = self.embedding(input)",
                ),
                ("dropout_on_embedding_and_output",),
            ),
            Mistake(
                "no dropout on the recurrent output",
                ("self.projection(self.dropout(output))", "self.projection(output)"),
                ("dropout_on_embedding_and_output",),
            ),
            Mistake(
                "dropout after the projection",
                ("self.projection(self.dropout(output))", "self.dropout(self.projection(output))"),
                ("no_dropout_after_projection",),
            ),
            Mistake(
                "dropout on the log-probabilities",
                (
                    "log_prob = F.log_softmax(logits, dim=-1)",
                    "log_prob = self.dropout(F.log_softmax(logits, dim=-1))",
                ),
                ("log_probabilities", "no_dropout_after_projection"),
            ),
            Mistake(
                "projection only on the last step",
                (
                    "self.projection(self.dropout(output))",
                    "self.projection(self.dropout(output[:, -1]))",
                ),
                ("returns_log_prob_and_hidden",),
            ),
            Mistake(
                "log_prob detached",
                ("return log_prob, next_hidden", "return log_prob.detach(), next_hidden"),
                ("gradients_match",),
            ),
            Mistake(
                "dropout on in eval mode",
                (
                    "embedded = self.dropout(self.embedding(input))",
                    "embedded = F.dropout(self.embedding(input), 0.5, training=True)",
                ),
                ("log_prob_matches",),
            ),
        ),
    ),
    Exercise(
        "bptt_batchify",
        ASSIGNMENT,
        "bptt_batchify(data, batch_size, sequence_length)",
        _batchify_plan,
        (
            course_example_shape,
            course_example_values,
            rows_continue,
            random_streams,
            keeps_dtype_and_device,
            input_not_modified,
        ),
        (
            Mistake(
                "tail not dropped",
                ("kept = data[: num_sample * batch_size * sequence_length]", "kept = data"),
                ("course_example_shape",),
            ),
            Mistake(
                "axes not swapped",
                (
                    "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                    "kept.reshape(batch_size, num_sample, sequence_length)",
                ),
                ("course_example_shape",),
            ),
            Mistake(
                "consecutive samples instead of parallel streams",
                (
                    "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                    "kept.reshape(num_sample, batch_size, sequence_length)",
                ),
                ("course_example_values", "rows_continue", "random_streams"),
            ),
            Mistake(
                "wrong axes permuted",
                (
                    "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                    "kept.reshape(batch_size, sequence_length, num_sample).permute(2, 0, 1)",
                ),
                ("course_example_values", "rows_continue", "random_streams"),
            ),
            Mistake(
                "one sample too few",
                (
                    "num_sample = len(data) // (batch_size * sequence_length)",
                    "num_sample = len(data) // (batch_size * sequence_length) - 1",
                ),
                ("course_example_shape",),
            ),
            Mistake(
                "head dropped instead of the tail",
                (
                    "kept = data[: num_sample * batch_size * sequence_length]",
                    "kept = data[len(data) - num_sample * batch_size * sequence_length :]",
                ),
                ("course_example_values", "rows_continue", "random_streams"),
            ),
            Mistake(
                "float result",
                (
                    ".transpose(0, 1)  # SOLUTION",
                    ".transpose(0, 1).float()  # SOLUTION",
                ),
                ("rows_continue", "keeps_dtype_and_device"),
            ),
            Mistake(
                "round trip through numpy",
                (
                    "kept = data[: num_sample * batch_size * sequence_length]",
                    "kept = torch.from_numpy(data.numpy()[: num_sample * batch_size * sequence_length])",
                ),
                ("keeps_dtype_and_device",),
            ),
            Mistake(
                "input resized in place",
                (
                    "kept = data[: num_sample * batch_size * sequence_length]",
                    "kept = data.resize_(num_sample * batch_size * sequence_length)",
                ),
                ("input_not_modified",),
            ),
        ),
    ),
    Exercise(
        "evaluate",
        ASSIGNMENT,
        "evaluate(model, data)",
        _evaluate_plan,
        (
            returns_a_number,
            untrained_loss_near_log_vocab,
            without_graph,
            loss_of_one_batch,
            switches_to_eval_mode,
            mean_over_batches,
            state_carried_across_batches,
        ),
        (
            Mistake(
                "no torch.no_grad",
                (
                    "    with torch.no_grad():\n"
                    "        model.eval()\n"
                    "        hidden = model.init_hidden(data.shape[1])\n"
                    "        total_loss = torch.zeros((), device=model.device)\n"
                    "        for batch in data:\n"
                    "            batch = batch.to(model.device)\n"
                    "            output, hidden = model(batch, hidden)\n"
                    "            total_loss += F.nll_loss(",
                    "    model.eval()\n"
                    "    hidden = model.init_hidden(data.shape[1])\n"
                    "    total_loss = torch.zeros((), device=model.device)\n"
                    "    for batch in data:\n"
                    "        batch = batch.to(model.device)\n"
                    "        output, hidden = model(batch, hidden)\n"
                    "        total_loss += F.nll_loss(",
                ),
                ("without_graph",),
            ),
            Mistake(
                "loss tensor with its graph returned",
                (
                    "    with torch.no_grad():\n"
                    "        model.eval()\n"
                    "        hidden = model.init_hidden(data.shape[1])\n"
                    "        total_loss = torch.zeros((), device=model.device)\n"
                    "        for batch in data:\n"
                    "            batch = batch.to(model.device)\n"
                    "            output, hidden = model(batch, hidden)\n"
                    "            total_loss += F.nll_loss(output[:, :-1, :].transpose(1, 2), "
                    "batch[:, 1:])\n"
                    "    # END SOLUTION\n"
                    "    mean_loss = total_loss.item() / len(data)",
                    "    model.eval()\n"
                    "    hidden = model.init_hidden(data.shape[1])\n"
                    "    total_loss = 0\n"
                    "    for batch in data:\n"
                    "        batch = batch.to(model.device)\n"
                    "        output, hidden = model(batch, hidden)\n"
                    "        total_loss += F.nll_loss(output[:, :-1, :].transpose(1, 2), "
                    "batch[:, 1:])\n"
                    "    # END SOLUTION\n"
                    "    mean_loss = total_loss / len(data)",
                ),
                ("without_graph",),
            ),
            Mistake(
                "model.eval() missing",
                ("        model.eval()\n", ""),
                ("switches_to_eval_mode",),
            ),
            Mistake(
                "state reset at every batch",
                (
                    "output, hidden = model(batch, hidden)",
                    "output, hidden = model(batch, model.init_hidden(data.shape[1]))",
                ),
                ("state_carried_across_batches",),
            ),
            Mistake(
                "init_hidden with the number of samples",
                (
                    "hidden = model.init_hidden(data.shape[1])",
                    "hidden = model.init_hidden(data.shape[0])",
                ),
                ("returns_a_number",),
            ),
            Mistake(
                "targets not shifted",
                (
                    "F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])",
                    "F.nll_loss(output.transpose(1, 2), batch)",
                ),
                ("loss_of_one_batch",),
            ),
            Mistake(
                "targets shifted the wrong way",
                (
                    "F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])",
                    "F.nll_loss(output[:, 1:, :].transpose(1, 2), batch[:, :-1])",
                ),
                ("loss_of_one_batch",),
            ),
            Mistake(
                "sum instead of mean",
                ("total_loss.item() / len(data)", "total_loss.item()"),
                ("mean_over_batches",),
            ),
            Mistake(
                "mean over tokens",
                ("total_loss.item() / len(data)", "total_loss.item() / data.numel()"),
                ("mean_over_batches",),
            ),
        ),
        depends_on=("rnn_model_forward",),
    ),
)
