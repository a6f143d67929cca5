"""ShakespeareDataset target: the student returns the window's next characters as y.

The checks read random windows of random text and compare X and y (shape, dtype, values) with the
reference dataset's.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, target, to_numpy
from autograder.exercises.names_charlm.shared import ASSIGNMENT
from autograder.i18n import N_, t
from solutions import names_charlm as ref


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


@check("returns (one-hot window, target ids)", gate=True)
def returns_window_pair(ctx: Context) -> None:
    item = ctx.answer("items").step(0)
    expect(
        item.type in ("tuple", "list") and len(item.items()) == 2,
        "__getitem__ should return (X_onehot, y)",
        actual=item.describe(),
    )
    expect_tensor(item.item(1), "y")


@check("y holds seq_length integer ids")
def target_shape_and_dtype(ctx: Context) -> None:
    target_value = ctx.answer("items").step(0).item(1)
    expect_tensor(target_value, "y")
    expect_dtype(target_value, "int64", t("y (class ids for CrossEntropyLoss)"))
    expect_shape(target_value, (ctx.expected("seq_length"),), "y")


@check("y is the window shifted by one character, up to the last window")
def target_is_next_characters(ctx: Context) -> None:
    for number, (_, expected) in enumerate(ctx.expected("items")):
        expect_tensor_equal(
            ctx.answer("items").step(number).item(1),
            expected,
            t("y (the characters that follow each input position)"),
        )


@check("X stays the given one-hot window")
def input_unchanged(ctx: Context) -> None:
    for number, (expected, _) in enumerate(ctx.expected("items")):
        expect_tensor_equal(ctx.answer("items").step(number).item(0), expected, "X_onehot")


EXERCISE = Exercise(
    "shakespeare_dataset",
    ASSIGNMENT,
    N_("ShakespeareDataset target"),
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
            hint=N_(
                "the target is the input itself, not the next characters: look at "
                "where the target's slice starts"
            ),
        ),
        Mistake(
            "target shifted by two",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx + 2 : idx + self.seq_length + 2]",
            ),
            ("target_is_next_characters",),
            hint=N_(
                "the target runs two characters ahead of the input instead of one: "
                "look at where the target's slice starts"
            ),
        ),
        Mistake(
            "one-hot target",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "F.one_hot(self.data[idx + 1 : idx + self.seq_length + 1], self.vocab_size)",
            ),
            ("target_shape_and_dtype",),
            hint=N_(
                "the target is one-hot encoded; it should hold character indices: "
                "look at what you do to the target slice"
            ),
        ),
        Mistake(
            "float target",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx + 1 : idx + self.seq_length + 1].float()",
            ),
            ("target_shape_and_dtype",),
            hint=N_(
                "the target holds floats; class indices are integers: look at the target's dtype"
            ),
        ),
        Mistake(
            "only the next character",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx + self.seq_length]",
            ),
            ("target_shape_and_dtype",),
            hint=N_(
                "the target is a single character, not a sequence as long as the "
                "input: look at the target's slice"
            ),
        ),
        Mistake(
            "target one too short",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx + 1 : idx + self.seq_length]",
            ),
            ("target_shape_and_dtype",),
            hint=N_(
                "the target is one character shorter than the input: look at where "
                "the target's slice ends"
            ),
        ),
    ),
)
