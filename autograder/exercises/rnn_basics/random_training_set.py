"""random_training_set: a random chunk of the text as (input, target), the target shifted by one.

Seeded probes pin the drawn start to the one torch.randint gives the reference, and many seeds on
a short text show that every start, the last one included, can be drawn.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.rnn_basics import shared
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, PRINTABLE, call, items
from solutions.rnn_basics import shakespeare

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
    seeds: dict[str, int] = {key: shared.seed(rng) for key in cases}
    starts: set[int] = set()
    number = 0
    while len(starts) < 3 or number < 8:
        seed = shared.seed(rng)
        key = f"cover{number}"
        cases[key], seeds[key] = (COVER_TEXT, COVER_CHUNK), seed
        starts.add(_window(COVER_TEXT, COVER_CHUNK, seed))
        number += 1
    plan.expected["cover"] = number
    for key, (text, chunk) in cases.items():
        plan.probes[key] = call(
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
    inp, tgt = items(ctx.answer(key).value(), 2, "random_training_set")
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


EXERCISE = Exercise(
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
)
