"""one_hot_encode_string: the student turns a name into a (length, 58) float one-hot tensor.

The checks compare with the reference on the course's 'Ahn' and on random names of 1 to 20 letters.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, target, to_numpy
from autograder.exercises.names_charlm.shared import ASSIGNMENT, random_name
from autograder.i18n import N_, t
from solutions import names_charlm as ref


def _one_hot_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    words = {"ahn": "Ahn", "a": "a"} | {
        f"random{i}": random_name(rng, int(n)) for i, n in enumerate((1, 7, 20))
    }
    for key, word in words.items():
        plan.probes[key] = {
            "kind": "call",
            "target": target("one_hot_encode_string"),
            "args": [{"value": word}],
        }
        plan.expected[key] = to_numpy(ref.one_hot_encode_string(word))
    return plan


@check("returns a float tensor", gate=True)
def returns_float_tensor(ctx: Context) -> None:
    value = ctx.answer("ahn").value()
    expect_tensor(value, t("the encoding of 'Ahn'"))
    expect_dtype(value, "float32", t("the encoding of 'Ahn'"))


@check("one row per character, one column per vocabulary symbol")
def shape_is_length_by_vocab(ctx: Context) -> None:
    expect_shape(ctx.answer("ahn").value(), (3, 58), t("the encoding of 'Ahn'"))
    expect_shape(ctx.answer("a").value(), (1, 58), t("the encoding of 'a'"))


@check("'Ahn' has its 1s at indices 26, 7 and 13")
def course_example(ctx: Context) -> None:
    expect_tensor_equal(ctx.answer("ahn").value(), ctx.expected("ahn"), t("the encoding of 'Ahn'"))


@check("encodes random names of length 1 to 20 exactly")
def random_names(ctx: Context) -> None:
    for key in ("random0", "random1", "random2"):
        expect_tensor_equal(ctx.answer(key).value(), ctx.expected(key), t("the encoding of a name"))


EXERCISE = Exercise(
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
            hint=N_(
                "each 1 is one column away from its character's place: look at the "
                "column you set for each character"
            ),
        ),
        Mistake(
            "rows and columns swapped",
            (
                "encoded = torch.zeros(len(text), len(VOCAB))\n    for position, char in enumerate(text):\n        encoded[position, CHAR_TO_INDEX[char]] = 1.0",
                "encoded = torch.zeros(len(VOCAB), len(text))\n    for position, char in enumerate(text):\n        encoded[CHAR_TO_INDEX[char], position] = 1.0",
            ),
            ("shape_is_length_by_vocab",),
            hint=N_(
                "the tensor has one row per vocabulary symbol instead of one per "
                "character: look at the shape you create and the order of the two "
                "indices"
            ),
        ),
        Mistake(
            "integer tensor",
            (
                "torch.zeros(len(text), len(VOCAB))",
                "torch.zeros(len(text), len(VOCAB), dtype=torch.long)",
            ),
            ("returns_float_tensor",),
            hint=N_(
                "the encoding holds integers, not floats: look at how the tensor of "
                "zeros is created"
            ),
        ),
        Mistake(
            "case folded",
            ("CHAR_TO_INDEX[char]]", "CHAR_TO_INDEX[char.lower()]]"),
            ("course_example",),
            hint=N_(
                "upper-case letters are encoded as their lower-case forms: look at "
                "how each character is turned into its index"
            ),
        ),
        Mistake(
            "first character repeated",
            ("CHAR_TO_INDEX[char]]", "CHAR_TO_INDEX[text[0]]]"),
            ("course_example",),
            hint=N_(
                "every row encodes the same character, the first one: look at which "
                "character the loop looks up at each position"
            ),
        ),
        Mistake(
            "extra row",
            ("torch.zeros(len(text), len(VOCAB))", "torch.zeros(len(text) + 1, len(VOCAB))"),
            ("shape_is_length_by_vocab",),
            hint=N_(
                "the encoding has one row more than the name has characters: look at "
                "the number of rows you create"
            ),
        ),
        Mistake(
            "whole column set",
            (
                "encoded[position, CHAR_TO_INDEX[char]] = 1.0",
                "encoded[:, CHAR_TO_INDEX[char]] = 1.0",
            ),
            ("course_example", "random_names"),
            hint=N_(
                "a character's 1 is written into every row, not only its own: look at"
                " the row index of the assignment in the loop"
            ),
        ),
    ),
)
