"""evaluate: the mean loss of a model over batches of text, in eval mode and without a graph.

The checks compare the loss with the reference's on models whose weights isolate one thing at a
time: the shift of the targets, the mean over batches, and the state carried from batch to batch.
The reference's loss is the one a correct evaluate gets on the student's own RNNModel where its
outputs allow (`own_model`), so that a mistake in forward costs only rnn_model_forward.
"""

from __future__ import annotations

import ast
import functools
import math

import numpy as np
import torch

from autograder.engine.checks import CheckFailure, expect
from autograder.engine.exercise import Context, Exercise, Plan, check
from autograder.exercises.common import state_arrays, target
from autograder.exercises.word_lm.evaluate_mistakes import MISTAKES
from autograder.exercises.word_lm.own_model import own_model_loss, own_model_probe
from autograder.exercises.word_lm.shared import ASSIGNMENT, reference_model, seed_torch
from autograder.exercises.word_lm.stand_in import judged_probe, stand_in_probe
from autograder.i18n import N_, Text, t
from solutions import word_lm as ref


def _evaluate_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    # The notebook's own setting: an untrained LSTM handed over in training mode.
    seed_torch(rng)
    course_args = ["LSTM", 20, 8, 12, 2, 0.5]
    course = ref.RNNModel(*course_args).eval()
    course_data = rng.integers(0, 20, size=(6, 4, 8)).astype(np.int64)
    _evaluate_probe(plan, "course", course, course_args, course_data, "train")

    single, single_args = reference_model(rng, "LSTM", 25, 6, 10, 2)
    single_data = _batches(rng, 25, 1, 3, int(rng.integers(6, 10)))
    _evaluate_probe(plan, "single", single, single_args, single_data, "eval")
    _evaluate_probe(plan, "single_train", single, single_args, single_data, "train")

    memoryless, memoryless_args = reference_model(rng, "RNN_TANH", 30, 6, 10, 2)
    with torch.no_grad():
        memoryless.rnn.weight_hh_l0.zero_()
        memoryless.rnn.weight_hh_l1.zero_()
    memoryless_data = _batches(rng, 30, 4, 2, 5)
    _evaluate_probe(plan, "memoryless", memoryless, memoryless_args, memoryless_data, "eval")

    carried, carried_args = reference_model(rng, "LSTM", 22, 6, 10, 2)
    _evaluate_probe(plan, "carried", carried, carried_args, _batches(rng, 22, 5, 3, 6), "eval")
    gru, gru_args = reference_model(rng, "GRU", 18, 5, 8, 1)
    _evaluate_probe(plan, "gru", gru, gru_args, _batches(rng, 18, 3, 1, 4), "eval")
    return plan


def _batches(rng: np.random.Generator, vocab: int, samples: int, batch: int, length: int):
    """A token stream cut as the course cuts it, with a tail to drop."""
    stream = rng.integers(0, vocab, size=samples * batch * length + 3).astype(np.int64)
    return ref.bptt_batchify(torch.from_numpy(stream), batch, length).numpy()


def _evaluate_probe(
    plan: Plan, key: str, model: ref.RNNModel, args: list, data: np.ndarray, mode: str
) -> None:
    state = state_arrays(plan, f"{key}.state" if key != "single_train" else "single.state", model)
    plan.probes[key] = {
        "kind": "call",
        "target": target("evaluate"),
        "args": [
            {
                "construct": {
                    "target": target("RNNModel"),
                    "init": {"args": [{"value": arg} for arg in args]},
                    "state": state,
                    "mode": mode,
                }
            },
            plan.array(f"{key}.data", data),
        ],
    }
    plan.expected[key] = float(ref.evaluate(model, torch.from_numpy(data)))
    stand_in_probe(plan, key, data, mode, layers=int(args[4]), lstm=args[0] == "LSTM")
    if key != "single_train":
        own_model_probe(plan, key, args, state, data)


def _mean_loss(ctx: Context, key: str) -> float:
    value = ctx.answer(judged_probe(ctx, key)).value()
    if value.type in {"int", "float"}:
        return float(value.scalar)
    if value.type == "tensor" and math.prod(value.shape) == 1:
        return float(value.array().reshape(-1)[0])
    raise CheckFailure(
        N_("evaluate should return the mean loss as one number (a Python float)"),
        expected="float",
        actual=value.describe(),
    )


#: how a failure names the simpler probes that `after` refers to
CASE_NAMES = {
    "single": t("the loss of a single batch"),
    "memoryless": t("the averaging over batches"),
}


def _target(ctx: Context, key: str) -> float:
    """What a correct evaluate returns on the student's model, else on the stand-in."""
    own = own_model_loss(ctx, key)
    return ctx.expected(f"{key}.stand_in") if own is None else own


def _loss_is_right(ctx: Context, key: str) -> bool:
    actual = _mean_loss(ctx, key)
    expected = _target(ctx, key)
    return math.isfinite(actual) and abs(actual - expected) <= 1e-4 + 1e-5 * abs(expected)


def _expect_loss(
    ctx: Context, key: str, rationale: Text | str, *, after: tuple[str, ...] = ()
) -> None:
    """The mean loss matches the reference's; `after` names probes whose own errors come first.

    When one of those is already wrong the failure says so instead of blaming this check's
    subject (a loss computed wrongly is also wrong over several batches).
    """
    actual, expected = _mean_loss(ctx, key), _target(ctx, key)
    expect(math.isfinite(actual), "evaluate returned NaN or an infinite loss", actual=str(actual))
    if abs(actual - expected) <= 1e-4 + 1e-5 * abs(expected):
        return
    if not all(_loss_is_right(ctx, earlier) for earlier in after):
        cases = functools.reduce(
            lambda first, second: t("{first} or {second}", first=first, second=second),
            (CASE_NAMES[earlier] for earlier in after),
        )
        rationale = t(
            "the mean loss over several batches differs from the correct one, but so does a "
            "simpler case ({cases}): fix that first",
            cases=cases,
        )
    raise CheckFailure(
        rationale,
        expected=N_("the mean of the per-batch losses, to within 1e-4"),
        actual=t("off by {difference:.3g}", difference=abs(actual - expected)),
    )


@check("returns the mean loss as a number", gate=True)
def returns_a_number(ctx: Context) -> None:
    _mean_loss(ctx, "course")


@check("an untrained model's loss is close to ln(vocabulary size)")
def untrained_loss_near_log_vocab(ctx: Context) -> None:
    own = own_model_loss(ctx, "course")
    if own is None or abs(own - math.log(20)) >= 0.1:  # forward's mistake, not evaluate's
        _expect_loss(
            ctx, "course", N_("the mean loss differs from the one a correct evaluate gets")
        )
        return
    loss = _mean_loss(ctx, "course")
    expect(
        math.isfinite(loss) and abs(loss - math.log(20)) < 0.1,
        "an untrained model predicts nearly uniformly, so the mean loss should be near "
        "ln(vocab_size); check the loss and the averaging",
        expected=t("about {loss:.3f}", loss=math.log(20)),
        actual=str(round(loss, 3)),
    )


@check("no computation graph: the work runs under torch.no_grad()")
def without_graph(ctx: Context) -> None:
    value = ctx.answer(judged_probe(ctx, "course")).value()
    expect(
        not value.meta.get("requires_grad"),
        "the returned loss is attached to a computation graph: evaluate under torch.no_grad() "
        "and return a plain number",
        actual=N_("a tensor that requires grad"),
    )
    definitions = ctx.definitions("evaluate")
    if definitions and not _turns_off_gradients(definitions[-1]):
        raise CheckFailure(
            N_(
                "evaluate builds a computation graph for every batch: run the loop inside "
                "`with torch.no_grad():`"
            )
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
        N_(
            "for a single batch the loss differs from the one train computes: the output at "
            "position t is scored against the word at t+1, with the vocabulary as nll_loss's "
            "class dimension"
        ),
    )


@check("switches the model to eval mode (dropout off)")
def switches_to_eval_mode(ctx: Context) -> None:
    in_eval, in_train = _mean_loss(ctx, "single"), _mean_loss(ctx, "single_train")
    expect(
        math.isfinite(in_train) and abs(in_train - in_eval) <= 1e-6 * max(1.0, abs(in_eval)),
        "the result depends on the mode the model arrives in: dropout is still on during "
        "evaluation; put the model in eval mode before the loop",
        expected=N_("the same loss for a model handed over in training or in eval mode"),
        actual=t("they differ by {difference:.3g}", difference=abs(in_train - in_eval)),
    )


@check("returns the mean over batches of the per-batch losses")
def mean_over_batches(ctx: Context) -> None:
    _expect_loss(
        ctx,
        "memoryless",
        N_(
            "over several batches the result is not the mean of the per-batch losses: add up "
            "each batch's loss and divide by the number of batches"
        ),
        after=("single",),
    )


@check("the state from init_hidden(data.shape[1]) is carried from batch to batch")
def state_carried_across_batches(ctx: Context) -> None:
    for key in ("carried", "gru"):
        _expect_loss(
            ctx,
            key,
            N_(
                "the loss differs where the recurrent state matters: create the state once with "
                "model.init_hidden(data.shape[1]) before the loop and pass the state each batch "
                "returns on to the next batch"
            ),
            after=("single", "memoryless"),
        )


EXERCISE = Exercise(
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
    MISTAKES,
    depends_on=("rnn_model_forward",),
)
