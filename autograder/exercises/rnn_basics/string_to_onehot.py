"""string_to_onehot: a string as one-hot integer rows, framed by the start and end tokens.

The public checks restate the notebook's 'hi!' example; hidden ones compare random strings and the
empty string with the reference row by row, so that an off-by-one index or token shows.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import expect, expect_shape
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, call
from autograder.i18n import N_, t
from solutions.rnn_basics import scratch


def _is_integer_dtype(dtype: str) -> bool:
    try:
        return np.dtype(dtype).kind in "iu"
    except TypeError:
        return False


def _onehot_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    letters = list(scratch.chars[:-2])
    words = {"hi": "hi", "hi!": "hi!", "empty": ""} | {
        f"random{i}": "".join(rng.choice(letters, size=n)) for i, n in enumerate((1, 9, 30))
    }
    for key, word in words.items():
        plan.probes[key] = call("string_to_onehot", [{"value": word}])
        plan.expected[key] = scratch.string_to_onehot(word)
    return plan


@check("returns an integer numpy array of shape (len(string) + 2, 35)", gate=True)
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
        expected=N_("an integer dtype (int)"),
        actual=value.dtype,
    )
    expect_shape(value, (4, 35), t("the encoding of 'hi' (a start row, 2 characters, an end row)"))


@check("'hi!' gives the start token, 7, 8, 28 and the end token")
def onehot_course_rows(ctx: Context) -> None:
    value = ctx.answer("hi!").value()
    expect_shape(value, (5, 35), t("the encoding of 'hi!'"))
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
        expect_shape(value, expected.shape, t("the encoding of a string"))
        differing = int(np.sum(np.any(value.array() != expected, axis=1)))
        expect(
            differing == 0,
            "some rows of the encoding are wrong",
            expected=N_("one row per character between the start and end rows"),
            actual=t(
                "{differing} of {rows} rows differ", differing=differing, rows=expected.shape[0]
            ),
        )


@check("the empty string gives just the start and end rows")
def onehot_empty_string(ctx: Context) -> None:
    value = ctx.answer("empty").value()
    expect_shape(value, (2, 35), t("the encoding of ''"))
    expect(
        bool(np.array_equal(value.array(), ctx.expected("empty"))),
        "the encoding of '' should be the start row followed by the end row",
    )


EXERCISE = Exercise(
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
            hint=N_(
                "the first row marks the end token and the last the start token: look"
                " at the indices you put around the characters"
            ),
        ),
        Mistake(
            "no start and end rows",
            (
                "[n_letters - 2] + [char_list.index(char) for char in string] + [n_letters - 1]",
                "[char_list.index(char) for char in string]",
            ),
            ("onehot_returns_int_array",),
            hint=N_(
                "the encoding has no start and end rows: look at the list of indices you build"
            ),
        ),
        Mistake(
            "float array",
            ("dtype=int)", "dtype=float)"),
            ("onehot_returns_int_array",),
            hint=N_(
                "the array holds floats instead of integers: look at the dtype you create it with"
            ),
        ),
        Mistake(
            "index shifted by one",
            ("[char_list.index(char) for char", "[char_list.index(char) + 1 for char"),
            ("onehot_course_rows", "onehot_random_strings"),
            hint=N_(
                "each character's 1 is one column away from its place: look at the "
                "index you compute for each character"
            ),
        ),
        Mistake(
            "start token at index 0",
            ("[n_letters - 2] +", "[0] +"),
            ("onehot_course_rows",),
            hint=N_(
                "the start row has its 1 in column 0 instead of the start token's "
                "column: look at the index of the start token"
            ),
        ),
        Mistake(
            "every row gets every column",
            ("onehot[np.arange(len(indices)), indices] = 1", "onehot[:, indices] = 1"),
            ("onehot_course_rows",),
            hint=N_(
                "every row gets a 1 in every character's column: look at the row "
                "index of the assignment that writes the 1s"
            ),
        ),
        Mistake(
            "a torch tensor",
            ("    return onehot\n", "    return torch.from_numpy(onehot)\n"),
            ("onehot_returns_int_array",),
            hint=N_(
                "the function returns a torch tensor instead of a numpy array: look "
                "at what you return"
            ),
        ),
        Mistake(
            "end row missing",
            (" + [n_letters - 1]", ""),
            ("onehot_returns_int_array",),
            hint=N_("the encoding has no end row: look at the list of indices you build"),
        ),
    ),
)
