"""random_training_set: a random chunk of the text as (input, target), the target shifted by one.

Seeded probes pin the drawn start to the one torch.randint gives the reference, and many seeds on
a short text show that every start, the last one included, can be drawn. The chunks are read as
windows of the text encoded by the student's own char_tensor: a mistake there is char_tensor's,
and costs nothing here.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import (
    Value,
    expect,
    expect_dtype,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.rnn_basics import shared
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, PRINTABLE, call, items
from autograder.i18n import N_, Text, t
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
        if _text_probe(key) not in plan.probes:
            plan.probes[_text_probe(key)] = call("char_tensor", [{"value": text}])
    return plan


def _text_probe(key: str) -> str:
    """The probe of the student's char_tensor on the text of case `key` (one for the covers)."""
    return "text:cover" if key.startswith("cover") else f"text:{key}"


def _pair(ctx: Context, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input, target, text) as index arrays, the text encoded as the student's char_tensor
    encodes it, once input and target have the form that char_tensor gives a chunk_len string
    (the reference's, long tensors of length chunk_len, when the student's is not usable)."""
    text, chunk, _ = ctx.expected(key)
    inp, tgt = items(ctx.answer(key).value(), 2, "random_training_set")
    reference = np.array([PRINTABLE.index(char) for char in text], dtype=np.int64)
    own = ctx.answer(_text_probe(key))
    if own.raw.get("ok"):
        encoded = own.value()
        ids = _ids(encoded, len(text))
        if ids is not None and _alike(inp, encoded, chunk) and _alike(tgt, encoded, chunk):
            return _ids(inp, chunk), _ids(tgt, chunk), ids
    for value, what in ((inp, "input"), (tgt, "target")):
        expect_tensor(value, what)
        expect_dtype(value, "int64", t("{what} (made with char_tensor)", what=what))
        expect_shape(value, (chunk,), t("{what} for chunk_len={chunk}", what=what, chunk=chunk))
    return inp.array(), tgt.array(), reference


def _ids(value: Value, length: int) -> np.ndarray | None:
    """The indices of a char_tensor-like value of `length` characters (a tensor with any axes of
    size 1 before the last, or a list of ints); None when it is not one."""
    if value.type == "list" and value.meta.get("length") == length:
        numbers = [item.scalar for item in value.items()]
        if all(item.type == "int" for item in value.items()):
            return np.array(numbers, dtype=np.int64)
        return None
    shape = value.shape
    if value.type != "tensor" or not shape or shape[-1] != length or np.prod(shape[:-1]) != 1:
        return None
    return value.array().reshape(-1)


def _alike(value: Value, encoded: Value, chunk: int) -> bool:
    """`value` has the form the student's char_tensor gives a string of `chunk` characters."""
    if value.type != encoded.type or value.dtype != encoded.dtype:
        return False
    if value.type == "tensor" and value.shape != (*encoded.shape[:-1], chunk):
        return False
    return _ids(value, chunk) is not None


def _starts(ids: np.ndarray, window: np.ndarray) -> list[int]:
    """Every position of the text where `window` (a chunk's indices) sits."""
    size = len(window)
    return [s for s in range(len(ids) - size + 1) if np.array_equal(ids[s : s + size], window)]


def _expect_window(
    inp: np.ndarray, tgt: np.ndarray, ids: np.ndarray, rationale: Text | str
) -> None:
    """Input and target are one contiguous chunk of the text, the target one character on."""
    expect(
        bool(np.array_equal(inp[1:], tgt[:-1])),
        "the target must be the input moved one character on",
    )
    expect(bool(_starts(ids, np.concatenate([inp, tgt[-1:]]))), rationale)


@check("returns (input, target): long tensors of length chunk_len", gate=True)
def set_returns_pair(ctx: Context) -> None:
    _pair(ctx, "shift")


@check("the target is the input shifted by one character of a contiguous chunk")
def set_target_shifted(ctx: Context) -> None:
    inp, tgt, ids = _pair(ctx, "shift")
    _expect_window(
        inp, tgt, ids, N_("input and target must come from one contiguous chunk of the text")
    )


@check("a text of chunk_len + 1 characters gives the whole text")
def set_whole_text(ctx: Context) -> None:
    inp, tgt, ids = _pair(ctx, "whole")
    expect(
        bool(np.array_equal(inp, ids[:-1]) and np.array_equal(tgt, ids[1:])),
        "when the text is only chunk_len + 1 characters long the chunk must be the whole text; "
        "check the range the start is drawn from",
    )


@check("every start position, the last one included, can be drawn")
def set_covers_every_start(ctx: Context) -> None:
    found: set[int] = set()
    for number in range(ctx.expected("cover")):
        inp, _, ids = _pair(ctx, f"cover{number}")
        found.update(_starts(ids, inp)[:1])
    expect(
        found == set(range(3)),  # (a set display would end babel's argument list)
        "with a 10-character text and chunk_len 7 the starts 0, 1 and 2 must all occur; "
        "check both ends of the range",
        expected=t("starts {starts}", starts="[0, 1, 2]"),
        actual=t("starts {starts}", starts=str(sorted(found))),
    )


@check("random texts and chunk lengths (1 up to the whole text): a shifted window of the text")
def set_random_texts(ctx: Context) -> None:
    for number in range(4):
        inp, tgt, ids = _pair(ctx, f"random{number}")
        _expect_window(
            inp, tgt, ids, N_("input and target must be one contiguous chunk of the given text")
        )


@check("draws the start with torch.randint over the valid starts (same seed, same chunk)")
def set_reproducible_draw(ctx: Context) -> None:
    for key in ("shift", "random0", "random3"):
        _, chunk, start = ctx.expected(key)
        inp, _, ids = _pair(ctx, key)
        expect(
            bool(np.array_equal(inp, ids[start : start + chunk])),
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
            hint=N_(
                "the target equals the input instead of the next characters: look at "
                "the slice that gives the target"
            ),
        ),
        Mistake(
            "input and target swapped",
            (
                "return char_tensor(chunk[:-1]), char_tensor(chunk[1:])",
                "return char_tensor(chunk[1:]), char_tensor(chunk[:-1])",
            ),
            ("set_target_shifted",),
            hint=N_(
                "the input and the target come back in the wrong order: look at the "
                "return statement"
            ),
        ),
        Mistake(
            "last start never drawn",
            (
                "torch.randint(len(text) - chunk_len,",
                "torch.randint(len(text) - chunk_len - 1,",
            ),
            ("set_whole_text", "set_covers_every_start"),
            hint=N_(
                "the last possible start of a chunk is never drawn: look at the upper"
                " bound of the random start"
            ),
        ),
        Mistake(
            "start may run past the end",
            ("torch.randint(len(text) - chunk_len,", "torch.randint(len(text),"),
            ("set_covers_every_start", "set_random_texts"),
            hint=N_(
                "a chunk may start too close to the end of the text and come out "
                "short: look at the upper bound of the random start"
            ),
        ),
        Mistake(
            "chunk one character short",
            (
                "chunk = text[start : start + chunk_len + 1]",
                "chunk = text[start : start + chunk_len]",
            ),
            ("set_returns_pair",),
            hint=N_(
                "the chunk is one character short, so input and target lose a step: "
                "look at the slice that cuts the chunk"
            ),
        ),
        Mistake(
            "always the first chunk",
            (
                "start = int(torch.randint(len(text) - chunk_len, (1,), generator=generator))",
                "start = 0",
            ),
            ("set_covers_every_start",),
            hint=N_(
                "the chunk always starts at the beginning of the text: look at how "
                "the start is chosen"
            ),
        ),
        Mistake(
            "numpy's random generator",
            (
                "start = int(torch.randint(len(text) - chunk_len, (1,), generator=generator))",
                "start = int(np.random.randint(len(text) - chunk_len))",
            ),
            ("set_reproducible_draw",),
            hint=N_(
                "the start does not come from the generator passed in: look at which "
                "random source draws the start"
            ),
        ),
        Mistake(
            "float tensors",
            (
                "return char_tensor(chunk[:-1]), char_tensor(chunk[1:])",
                "return char_tensor(chunk[:-1]).float(), char_tensor(chunk[1:]).float()",
            ),
            ("set_returns_pair",),
            hint=N_(
                "input and target hold floats instead of integer indices: look at "
                "what happens to the tensors before they are returned"
            ),
        ),
    ),
    depends_on=("char_tensor",),
)
