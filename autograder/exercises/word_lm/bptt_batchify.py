"""bptt_batchify: cut a token stream into (num_sample, batch_size, sequence_length) samples.

The checks read the course's examples and random streams so that each row of consecutive samples
is one contiguous stretch of text, and see that the input's dtype, device and values are kept.
"""

from __future__ import annotations

import numpy as np
import torch

from autograder.engine.checks import expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, on_other_device, target, to_numpy
from autograder.exercises.word_lm.shared import ASSIGNMENT
from autograder.i18n import N_, t
from solutions import word_lm as ref


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


@check("bptt_batchify(torch.arange(23), 2, 3) has shape (3, 2, 3)", gate=True)
def course_example_shape(ctx: Context) -> None:
    value = ctx.answer("course").value()
    expect_tensor(value, t("the result of bptt_batchify"))
    expect_shape(value, (3, 2, 3), "bptt_batchify(torch.arange(23), 2, 3)")


@check("the course's example: row 0 reads 0..8, row 1 reads 9..17")
def course_example_values(ctx: Context) -> None:
    expect_tensor_equal(
        ctx.answer("course").value(),
        ctx.expected("course"),
        "bptt_batchify(torch.arange(23), 2, 3)",
    )


@check("each row continues the same stretch of text from sample to sample")
def rows_continue(ctx: Context) -> None:
    value = ctx.answer("rows").value()
    expect_tensor(value, t("the result of bptt_batchify"))
    expect_shape(value, (5, 4, 5), t("bptt_batchify of 100 tokens with batch 4, length 5"))
    expect_dtype(value, "int64", t("the result (the same torch.long as the input)"))
    expect_tensor_equal(
        value,
        ctx.expected("rows"),
        t("the samples (row b of consecutive samples should read one contiguous stretch)"),
    )


@check("random token streams, batch 1, length 1, exact fits and a single sample")
def random_streams(ctx: Context) -> None:
    for key in BATCHIFY_HIDDEN:
        expected = ctx.expected(key)
        value = ctx.answer(key).value()
        expect_tensor(value, t("the result of bptt_batchify"))
        expect_shape(value, expected.shape, "(num_sample, batch_size, sequence_length)")
        expect_tensor_equal(value, expected, t("the samples"))


@check("the result keeps the input's dtype and device")
def keeps_dtype_and_device(ctx: Context) -> None:
    for key in BATCHIFY_HIDDEN:
        value = ctx.answer(key).value()
        expect_tensor(value, t("the result of bptt_batchify"))
        expect_dtype(value, "int64", t("the result (the same torch.long as the input)"))
    value = on_other_device(
        ctx,
        "meta",
        t(
            "bptt_batchify fails for a tensor on another device: slice and reshape the tensor "
            "itself, without going through numpy, lists or new tensors"
        ),
        t("the result"),
    )
    expect_shape(value, ctx.expected("meta"), t("the result for a tensor on another device"))


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


EXERCISE = Exercise(
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
            hint=N_(
                "the tokens that do not fill a whole sample are kept: look at how "
                "much of data you keep before reshaping"
            ),
        ),
        Mistake(
            "axes not swapped",
            (
                "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                "kept.reshape(batch_size, num_sample, sequence_length)",
            ),
            ("course_example_shape",),
            hint=N_(
                "the result is (batch_size, num_sample, sequence_length) instead of "
                "having the samples first: look at the axes after the reshape"
            ),
        ),
        Mistake(
            "consecutive samples instead of parallel streams",
            (
                "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                "kept.reshape(num_sample, batch_size, sequence_length)",
            ),
            ("course_example_values", "rows_continue", "random_streams"),
            hint=N_(
                "the rows of one sample are neighbouring pieces of the text instead "
                "of parallel streams that continue in the next sample: look at the "
                "shape you reshape to"
            ),
        ),
        Mistake(
            "wrong axes permuted",
            (
                "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                "kept.reshape(batch_size, sequence_length, num_sample).permute(2, 0, 1)",
            ),
            ("course_example_values", "rows_continue", "random_streams"),
            hint=N_(
                "the axes end up in the wrong order, so a row is not a stretch of "
                "consecutive tokens: look at the reshape and the axes you permute"
            ),
        ),
        Mistake(
            "one sample too few",
            (
                "num_sample = len(data) // (batch_size * sequence_length)",
                "num_sample = len(data) // (batch_size * sequence_length) - 1",
            ),
            ("course_example_shape",),
            hint=N_("one full sample is left out: look at how num_sample is computed"),
        ),
        Mistake(
            "head dropped instead of the tail",
            (
                "kept = data[: num_sample * batch_size * sequence_length]",
                "kept = data[len(data) - num_sample * batch_size * sequence_length :]",
            ),
            ("course_example_values", "rows_continue", "random_streams"),
            hint=N_(
                "the tokens left over are cut from the start of the data instead of "
                "its end: look at the slice that keeps the data"
            ),
        ),
        Mistake(
            "float result",
            (
                ".transpose(0, 1)  # SOLUTION",
                ".transpose(0, 1).float()  # SOLUTION",
            ),
            ("rows_continue", "keeps_dtype_and_device"),
            hint=N_(
                "the result holds floats instead of integer token ids: look at the "
                "dtype of what you return"
            ),
        ),
        Mistake(
            "round trip through numpy",
            (
                "kept = data[: num_sample * batch_size * sequence_length]",
                "kept = torch.from_numpy(data.numpy()[: num_sample * batch_size * sequence_length])",
            ),
            ("keeps_dtype_and_device",),
            hint=N_(
                "the data goes through numpy, which fails for a tensor on the GPU or "
                "one that needs gradients: look at how the data is kept"
            ),
        ),
        Mistake(
            "input resized in place",
            (
                "kept = data[: num_sample * batch_size * sequence_length]",
                "kept = data.resize_(num_sample * batch_size * sequence_length)",
            ),
            ("input_not_modified",),
            hint=N_(
                "the tensor passed in is changed in place: look at how the data is cut to size"
            ),
        ),
    ),
)
