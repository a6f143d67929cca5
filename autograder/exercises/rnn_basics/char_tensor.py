"""char_tensor: a string as a torch.long tensor of positions in all_characters.

Beyond the notebook's example the checks cover every printable character, random strings and the
empty string, which a list of stacked scalars cannot handle.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, to_numpy
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, PRINTABLE, call
from autograder.i18n import N_, t
from solutions.rnn_basics import shakespeare


def _char_tensor_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    words = {"course": "a0A \n", "empty": "", "all": PRINTABLE} | {
        f"random{i}": "".join(rng.choice(list(PRINTABLE), size=n)) for i, n in enumerate((1, 17))
    }
    for key, word in words.items():
        plan.probes[key] = call("char_tensor", [{"value": word}])
        plan.expected[key] = to_numpy(shakespeare.char_tensor(word))
    return plan


@check("returns a torch.long tensor of shape (len(string),)", gate=True)
def char_returns_long(ctx: Context) -> None:
    value = ctx.answer("course").value()
    expect_tensor(value, "char_tensor('a0A \\n')")
    expect_dtype(value, "int64", t("the index tensor (torch.long)"))
    expect_shape(value, (5,), "char_tensor('a0A \\n')")


@check("'a', '0', 'A', ' ', '\\n' map to 10, 0, 36, 94, 96")
def char_course_example(ctx: Context) -> None:
    expect_tensor_equal(
        ctx.answer("course").value(),
        ctx.expected("course"),
        t("the indices of 'a0A \\n' in all_characters"),
    )


@check("maps every printable character and random strings to their positions")
def char_random_strings(ctx: Context) -> None:
    for key in ("all", "random0", "random1"):
        expect_tensor_equal(
            ctx.answer(key).value(), ctx.expected(key), t("the indices in all_characters")
        )


@check("the empty string gives an empty long tensor")
def char_empty_string(ctx: Context) -> None:
    value = ctx.answer("empty").value()
    expect_tensor(value, "char_tensor('')")
    expect_dtype(value, "int64", "char_tensor('')")
    expect_shape(value, (0,), "char_tensor('')")


EXERCISE = Exercise(
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
            hint=N_(
                "the indices are int32; an embedding and the losses expect int64 "
                "(long): look at the dtype of the tensor"
            ),
        ),
        Mistake(
            "float indices",
            ("dtype=torch.long)", "dtype=torch.float32)"),
            ("char_returns_long",),
            hint=N_("the indices are floats: look at the dtype of the tensor"),
        ),
        Mistake(
            "index shifted by one",
            ("all_characters.index(char) for", "all_characters.index(char) + 1 for"),
            ("char_course_example",),
            hint=N_(
                "every index is one more than the character's position: look at the "
                "index you compute for each character"
            ),
        ),
        Mistake(
            "character codes instead of positions",
            ("all_characters.index(char) for", "ord(char) for"),
            ("char_course_example",),
            hint=N_(
                "the tensor holds the characters' codes instead of their positions in"
                " all_characters: look at how each character becomes a number"
            ),
        ),
        Mistake(
            "case folded",
            ("all_characters.index(char) for", "all_characters.index(char.lower()) for"),
            ("char_course_example",),
            hint=N_(
                "upper-case letters get the index of their lower-case forms: look at "
                "how each character is looked up"
            ),
        ),
        Mistake(
            "a list instead of a tensor",
            (
                "return torch.tensor([all_characters.index(char) for char in string], dtype=torch.long)",
                "return [all_characters.index(char) for char in string]",
            ),
            ("char_returns_long",),
            hint=N_("the function returns a list instead of a tensor: look at what you return"),
        ),
        Mistake(
            "stacked scalars (fails on the empty string)",
            (
                "return torch.tensor([all_characters.index(char) for char in string], dtype=torch.long)",
                "return torch.stack([torch.tensor(all_characters.index(char)) for char in string])",
            ),
            ("char_empty_string",),
            hint=N_(
                "the empty string raises an error instead of giving an empty tensor: "
                "look at how the tensor is built from the characters"
            ),
        ),
        Mistake(
            "a batch axis added",
            ("dtype=torch.long)", "dtype=torch.long).unsqueeze(0)"),
            ("char_returns_long",),
            hint=N_("the tensor has an extra leading axis: look at the shape of what you return"),
        ),
    ),
)
