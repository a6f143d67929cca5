"""get_batches: the course's generator of (x, y) mini-batches from an array of character ids.
Public checks restate the notebook's facts on np.arange(26) and a long text; hidden checks compare
each batch with `solutions.anna_lstm` for random arrays and sizes, and check dtype and mutation.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import MalformedAnswer, Value, expect, expect_equal, expect_shape
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.anna_lstm.shared import ASSIGNMENT, Y_LINE
from autograder.exercises.common import target
from autograder.i18n import N_, Text, t
from solutions import anna_lstm as ref

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
            item.type in ("tuple", "list") and len(item.items()) == 2,
            "each mini-batch should be a pair (x, y)",
            actual=item.describe(),
        )
        pairs.append((item.item(0), item.item(1)))
    return pairs


def _ids(value: Value, what: Text | str) -> np.ndarray:
    expect(
        value.type in ("ndarray", "tensor"),
        t("{what} should be a numpy array", what=what),
        actual=value.describe(),
    )
    return value.array()


def _batch_count(count: int) -> Text:
    """'3 batches', '1 batch'."""
    return t("1 batch") if count == 1 else t("{count} batches", count=count)


def _expect_batches(ctx: Context, key: str, where: Text) -> None:
    pairs = _batch_list(ctx, key)
    expected = ctx.expected(key)
    expect(
        len(pairs) == len(expected),
        t(
            "{where}, the number of mini-batches is wrong; use only the n_batches full batches",
            where=where,
        ),
        expected=str(len(expected)),
        actual=str(len(pairs)),
    )
    for number, ((x, y), (want_x, want_y)) in enumerate(zip(pairs, expected, strict=True)):
        for value, want, name in ((x, want_x, "x"), (y, want_y, "y")):
            what = t("{where}, {name} of batch {number}", where=where, name=name, number=number + 1)
            expect_equal(_ids(value, name), want, what)


@check("is a generator that yields (x, y) pairs", gate=True)
def is_generator(ctx: Context) -> None:
    value = ctx.answer("lazy").value()
    expect(
        value.type == "generator",
        "get_batches should be a generator: give out each mini-batch with `yield x, y` "
        "instead of returning",
        expected=N_("a generator"),
        actual=value.describe(),
    )
    pairs = _batch_list(ctx, "course")
    expect(bool(pairs), "get_batches(np.arange(26), 2, 4) yields no mini-batch")
    _ids(pairs[0][0], "x")
    _ids(pairs[0][1], "y")


@check("np.arange(26) with batch_size=2, seq_length=4 gives 3 batches of (2, 4)")
def count_and_shapes(ctx: Context) -> None:
    pairs = _batch_list(ctx, "course")
    expect(
        len(pairs) == 3,
        "26 ids make n_batches = 26 // 8 = 3 full batches; drop the 2 left over and slide "
        "seq_length columns at a time",
        expected=N_("3 batches"),
        actual=_batch_count(len(pairs)),
    )
    for x, y in pairs:
        expect_shape(x, (2, 4), "x (batch_size, seq_length)")
        expect_shape(y, (2, 4), "y (batch_size, seq_length)")


@check("np.arange(26): the first and last x and y are the course's")
def course_targets(ctx: Context) -> None:
    pairs = _batch_list(ctx, "course")
    expect(len(pairs) == 3, "the number of batches is wrong; see the check on the count first")
    (x0, y0), _, (x2, y2) = pairs
    facts = (
        (x0, [[0, 1, 2, 3], [12, 13, 14, 15]], t("the first x (each row a contiguous stretch)")),
        (x2, [[8, 9, 10, 11], [20, 21, 22, 23]], t("the last x")),
        (y0, [[1, 2, 3, 4], [13, 14, 15, 16]], t("the first y (x shifted left by one)")),
        (
            y2,
            [[9, 10, 11, 0], [21, 22, 23, 12]],
            t("the last y (its last column wraps to column 0)"),
        ),
    )
    for value, wanted, what in facts:
        actual = _ids(value, what)
        expect(
            actual.shape == (2, 4) and np.array_equal(actual, np.array(wanted)),
            t("{what} is not right", what=what),
            expected=str(wanted),
            actual=(
                str(actual.tolist())
                if actual.size <= 16
                else t("shape {shape}", shape=str(actual.shape))
            ),
        )


@check("on a long text with batch 8 and length 50, y is x shifted by one")
def long_text_shift(ctx: Context) -> None:
    pairs = _batch_list(ctx, "long")
    expect(bool(pairs), "get_batches(encoded, 8, 50) yields no mini-batch")
    x, y = pairs[0]
    expect_shape(x, (8, 50), t("the first x"))
    expect_shape(y, (8, 50), t("the first y"))
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
        _expect_batches(ctx, key, t("for another array and other sizes"))
    _expect_batches(ctx, "long", t("on a long text"))


@check("x and y are numpy arrays of the input's integer dtype")
def arrays_keep_dtype(ctx: Context) -> None:
    for key in ("course", "tail"):
        for x, y in _batch_list(ctx, key):
            for value, name in ((x, "x"), (y, "y")):
                expect(
                    value.type == "ndarray",
                    t(
                        "{name} should be a numpy array (train() calls torch.from_numpy on it)",
                        name=name,
                    ),
                    expected="numpy.ndarray",
                    actual=value.describe(),
                )
                expect(
                    value.dtype == "int64",
                    t(
                        "{name} should keep the integer dtype of arr: character ids are class "
                        "labels, not floats",
                        name=name,
                    ),
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
        expected=N_("no batch"),
        actual=_batch_count(len(pairs)),
    )


@check("does not change the array it is given")
def input_not_mutated(ctx: Context) -> None:
    for key in ("course", "tail", "exact"):
        mutated = ctx.answer(key).raw.get("mutated", [])
        if not isinstance(mutated, list):
            raise MalformedAnswer(N_("the answer's list of mutated arguments is malformed"))
        expect(
            0 not in mutated,
            "get_batches changed arr while batching: x and the grid are views of arr, so "
            "build y as a new array instead of writing into x",
        )


EXERCISE = Exercise(
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
            hint=N_(
                "the characters that do not fill a whole batch are kept: look at how "
                "much of arr you keep before reshaping"
            ),
        ),
        Mistake(
            "rows interleaved (column-major reshape)",
            (".reshape(batch_size, -1)", ".reshape(-1, batch_size).T"),
            ("course_targets", "random_batches"),
            hint=N_(
                "each row of a batch is not one continuous stretch of the text: look "
                "at how you reshape the array into batch_size rows"
            ),
        ),
        Mistake(
            "target not shifted",
            (Y_LINE, "y = x.copy()"),
            ("course_targets",),
            hint=N_("y equals x instead of the characters one step ahead: look at how y is built"),
        ),
        Mistake(
            "last column zero instead of wrapping",
            ("else grid[:, 0]", "else np.zeros_like(grid[:, 0])"),
            ("course_targets",),
            hint=N_(
                "in the last batch, y's last column is zero instead of wrapping to "
                "the start of the row: look at the character after the last window"
            ),
        ),
        Mistake(
            "last target repeats the last input",
            ("following = grid[:, stop] if", "following = grid[:, stop - 1] if"),
            ("course_targets",),
            hint=N_(
                "y's last column repeats x's last character instead of the character "
                "after the window: look at which column gives y its last value"
            ),
        ),
        Mistake(
            "window slides one column at a time",
            ("range(0, n_columns, seq_length)", "range(0, n_columns - seq_length + 1)"),
            ("count_and_shapes",),
            hint=N_(
                "the windows overlap, moving one column at a time instead of "
                "seq_length: look at the step of the loop over columns"
            ),
        ),
        Mistake(
            "last window dropped",
            ("range(0, n_columns, seq_length)", "range(0, n_columns - seq_length, seq_length)"),
            ("count_and_shapes",),
            hint=N_("the last batch is never yielded: look at where the loop over columns stops"),
        ),
        Mistake(
            "float targets",
            (
                Y_LINE,
                "y = np.zeros((batch_size, seq_length))\n        y[:, :-1], y[:, -1] = x[:, 1:], following",
            ),
            ("arrays_keep_dtype",),
            hint=N_("y holds floats instead of the text's integer codes: look at how y is created"),
        ),
        Mistake(
            "y written into x (mutates arr)",
            (Y_LINE, "y = x\n        y[:, :-1], y[:, -1] = x[:, 1:], following"),
            ("input_not_mutated", "course_targets"),
            hint=N_(
                "y is written into the same memory as x, which changes x and the "
                "array passed in: look at how y is created"
            ),
        ),
        Mistake(
            "x and y swapped",
            ("yield x, y", "yield y, x"),
            ("course_targets",),
            hint=N_("the pair comes out in the wrong order: look at what the generator yields"),
        ),
        Mistake(
            "return instead of yield",
            ("yield x, y", "return x, y"),
            ("is_generator",),
            hint=N_(
                "get_batches gives back one batch instead of being a generator of "
                "batches: look at how each batch is handed out"
            ),
        ),
    ),
)
