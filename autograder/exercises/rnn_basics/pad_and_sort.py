"""pad_and_sort: sequences padded with pad_id and sorted longest first (ties keep their order).

Exact results on the course's data, ties, one sequence, equal lengths and random batches, and the
given list must be left as it was.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import Value, expect, expect_dtype, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, to_numpy
from autograder.exercises.rnn_basics.shared import ASSIGNMENT, call, items
from autograder.i18n import N_, Text, t
from solutions.rnn_basics import api


def _pad_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    cases: dict[str, tuple[list[list[int]], int]] = {
        "small": ([[5, 6], [7], [8, 9, 10]], 0),
        "ties": ([[1], [2, 3], [4], [5]], 9),
        "course": (api.make_data(), api.pad_id),
        "single": ([[int(v) for v in rng.integers(1, 50, size=4)]], 0),
        "equal": ([[int(v) for v in rng.integers(1, 50, size=3)] for _ in range(4)], 7),
    }
    for i, count in enumerate((5, 9)):
        lengths = [int(n) for n in rng.integers(1, 12, size=count)]
        lengths[-1] = lengths[0]
        sequences = [[int(v) for v in rng.integers(1, 100, size=n)] for n in lengths]
        cases[f"random{i}"] = (sequences, int(rng.integers(0, 100)))
    for key, (sequences, pad) in cases.items():
        plan.probes[key] = call("pad_and_sort", [{"value": sequences}, {"value": pad}])
        plan.expected[key] = to_numpy(api.pad_and_sort(sequences, pad))
    return plan


def _padded(ctx: Context, key: str) -> tuple[Value, Value]:
    batch, lens = items(ctx.answer(key).value(), 2, "pad_and_sort")
    for value, what in ((batch, "batch"), (lens, "batch_lens")):
        expect_tensor(value, what)
        expect_dtype(value, "int64", t("{what} (torch.long)", what=what))
    return batch, lens


def _expect_padded(ctx: Context, key: str, case: Text | str) -> None:
    """batch_lens and the padded batch of probe `key` are the reference's; `case` names it."""
    batch, lens = _padded(ctx, key)
    expected_batch, expected_lens = ctx.expected(key)
    expect_tensor_equal(lens, expected_lens, t("batch_lens {case}", case=case))
    expect_tensor_equal(batch, expected_batch, t("the padded batch {case}", case=case))


@check("returns (batch, batch_lens) as torch.long tensors", gate=True)
def pad_returns_pair(ctx: Context) -> None:
    _padded(ctx, "small")


@check(
    "[[5, 6], [7], [8, 9, 10]] becomes [[8, 9, 10], [5, 6, 0], [7, 0, 0]], lengths [3, 2, 1]",
)
def pad_small_example(ctx: Context) -> None:
    _expect_padded(ctx, "small", t("of the small example"))


@check("equal lengths keep their order and the padding uses pad_id")
def pad_ties_and_pad_id(ctx: Context) -> None:
    _expect_padded(ctx, "ties", t("(rows of equal length keep their order; fill with pad_id)"))


@check("the course data gives (10, 20) and lengths 20, 18, 18, 17, 15, 10, 8, 6, 6, 5")
def pad_course_data(ctx: Context) -> None:
    batch, lens = _padded(ctx, "course")
    expect_shape(batch, (10, 20), "batch")
    expect_tensor_equal(lens, ctx.expected("course")[1], t("batch_lens (longest first)"))


@check("random batches with ties and other pad ids are padded and sorted exactly")
def pad_random_batches(ctx: Context) -> None:
    for key in ("random0", "random1", "course"):
        _expect_padded(ctx, key, t("of a random batch"))


@check("one sequence, and sequences all of one length, are handled")
def pad_edge_cases(ctx: Context) -> None:
    _expect_padded(ctx, "single", t("of a single sequence"))
    _expect_padded(ctx, "equal", t("of sequences that all have the same length"))


@check("the given list of sequences is left unchanged")
def pad_no_mutation(ctx: Context) -> None:
    for key in ("small", "random0", "random1"):
        ctx.answer(key).require_ok()
        expect(
            not ctx.answer(key).raw.get("mutated"),
            "pad_and_sort changed the list it was given; sort a copy or sort indices instead",
        )


EXERCISE = Exercise(
    "pad_and_sort",
    ASSIGNMENT,
    "pad_and_sort(sequences, pad_id)",
    _pad_plan,
    (
        pad_returns_pair,
        pad_small_example,
        pad_ties_and_pad_id,
        pad_course_data,
        pad_random_batches,
        pad_edge_cases,
        pad_no_mutation,
    ),
    (
        Mistake(
            "not sorted",
            ("return batch[order], batch_lens", "return batch, lengths"),
            ("pad_small_example",),
            hint=N_(
                "the batch and the lengths come back in the original order, not "
                "longest first: look at what you return"
            ),
        ),
        Mistake(
            "shortest first",
            ("lengths.sort(descending=True, stable=True)", "lengths.sort(stable=True)"),
            ("pad_small_example",),
            hint=N_("the sequences are sorted shortest first: look at the direction of the sort"),
        ),
        Mistake(
            "sorted ascending then flipped (ties reversed)",
            (
                "    batch_lens, order = lengths.sort(descending=True, stable=True)\n",
                "    batch_lens, order = lengths.sort(stable=True)\n    batch_lens, order = batch_lens.flip(0), order.flip(0)\n",
            ),
            ("pad_ties_and_pad_id",),
            hint=N_(
                "sequences of equal length come out in reversed order: look at how "
                "the order is computed"
            ),
        ),
        Mistake(
            "padding with zeros instead of pad_id",
            (
                "torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)",
                "torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)",
            ),
            ("pad_ties_and_pad_id",),
            hint=N_("the padding is 0 instead of pad_id: look at how the padded batch is created"),
        ),
        Mistake(
            "padding on the left",
            ("batch[row, : len(seq)] =", "batch[row, batch.size(1) - len(seq) :] ="),
            ("pad_small_example",),
            hint=N_(
                "the padding comes before the tokens instead of after them: look at "
                "where each sequence is written in its row"
            ),
        ),
        Mistake(
            "lengths left in the original order",
            ("return batch[order], batch_lens", "return batch[order], lengths"),
            ("pad_small_example",),
            hint=N_("the lengths are not reordered with the batch: look at the lengths you return"),
        ),
        Mistake(
            "int32 lengths",
            (
                "lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)",
                "lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.int32)",
            ),
            ("pad_returns_pair",),
            hint=N_(
                "the lengths are int32 instead of int64 (long): look at the dtype of the lengths"
            ),
        ),
        Mistake(
            "the given list sorted in place",
            (
                "    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)\n",
                "    sequences.sort(key=len, reverse=True)\n    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)\n",
            ),
            ("pad_no_mutation",),
            hint=N_("the list passed in is reordered: look at how the sequences are sorted"),
        ),
    ),
)
