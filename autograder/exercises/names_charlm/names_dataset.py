"""NamesDataset.__getitem__: the student returns a name's one-hot encoding and its language label.

The checks read items of a small random CSV and compare them with the index of the language in
the sorted class names, and with the encoding the student's own one_hot_encode_string gives each
probed name: a mistake there is one_hot_encode_string's, and costs nothing here.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from autograder.engine.checks import (
    CheckFailure,
    Value,
    expect,
    expect_dtype,
    expect_shape,
    expect_tensor,
)
from autograder.engine.exercise import Context, Exercise, Mistake, Plan, check
from autograder.exercises.common import expect_tensor_equal, target, to_numpy
from autograder.exercises.names_charlm.shared import ASSIGNMENT, random_name
from autograder.i18n import N_, t
from solutions import names_charlm as ref


def _names_plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    languages = ["Zulu", "Arabic", "Korean", "English"]
    rows = [
        (random_name(rng, int(rng.integers(2, 12))).replace("_", "x"), str(rng.choice(languages)))
        for _ in range(12)
    ]
    rows[0] = ("O'Neill", "Zulu")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("name", "language"), *rows])
    csv_text = buffer.getvalue()
    indices = [0, len(rows) - 1, int(rng.integers(1, len(rows) - 1))]
    plan.probes["items"] = {
        "kind": "object",
        "target": target("NamesDataset"),
        "init": {"args": [{"text_file": csv_text}]},
        "steps": [{"method": "__getitem__", "args": [{"value": i}]} for i in indices],
    }
    for number, index in enumerate(indices):
        plan.probes[f"encoded{number}"] = {
            "kind": "call",
            "target": target("one_hot_encode_string"),
            "args": [{"value": rows[index][0]}],
        }
    classes = sorted(set(language for _, language in rows))
    plan.expected["items"] = [
        (to_numpy(ref.one_hot_encode_string(rows[i][0])), classes.index(rows[i][1]))
        for i in indices
    ]
    return plan


@check("returns (one-hot name, label)", gate=True)
def returns_pair(ctx: Context) -> None:
    item = ctx.answer("items").step(0)
    expect(
        item.type in ("tuple", "list") and len(item.items()) == 2,
        "__getitem__ should return a pair (encoded name, label)",
        actual=item.describe(),
    )


@check("the name is one-hot encoded with one_hot_encode_string")
def name_encoded(ctx: Context) -> None:
    for number, (encoded, _) in enumerate(ctx.expected("items")):
        value = ctx.answer("items").step(number).item(0)
        own = ctx.answer(f"encoded{number}")
        ok = bool(own.raw.get("ok"))
        if (ok and _same(value, own.value())) or _equals(value, encoded):
            continue  # a wrong one_hot_encode_string is judged in its own exercise
        if not ok:
            expect_tensor_equal(value, encoded, t("the encoded name"))
        raise CheckFailure(
            N_(
                "the encoded name is not what one_hot_encode_string returns for the name of "
                "that row: encode the row's own name with one_hot_encode_string"
            ),
            expected=N_("one_hot_encode_string(name) of row idx"),
            actual=value.describe(),
        )


def _same(value: Value, own: Value) -> bool:
    """The item's encoding is exactly the student's own one_hot_encode_string(name)."""
    if value.meta.get("array") is None or own.meta.get("array") is None:
        return False
    keys = ("type", "dtype", "shape")
    same_kind = all(value.meta.get(key) == own.meta.get(key) for key in keys)
    return same_kind and bool(np.array_equal(value.array(), own.array()))


def _equals(value: Value, encoded: np.ndarray) -> bool:
    """The item's encoding is the correct one (a dataset that encodes names by itself)."""
    try:
        expect_tensor_equal(value, encoded, t("the encoded name"))
    except CheckFailure:
        return False
    return True


@check("the label is a long scalar tensor")
def label_is_long_scalar(ctx: Context) -> None:
    label = ctx.answer("items").step(0).item(1)
    expect_tensor(label, t("the label"))
    expect_dtype(label, "int64", t("the label"))
    expect_shape(label, (), t("the label"))


@check("the label is the index of the language in the sorted class_names")
def label_matches_class_index(ctx: Context) -> None:
    for number, (_, label) in enumerate(ctx.expected("items")):
        value = ctx.answer("items").step(number).item(1)
        expect_tensor_equal(value, np.array(label, dtype=np.int64), t("the label"))


EXERCISE = Exercise(
    "names_dataset",
    ASSIGNMENT,
    "NamesDataset.__getitem__",
    _names_plan,
    (returns_pair, name_encoded, label_is_long_scalar, label_matches_class_index),
    (
        Mistake(
            "float label",
            ("dtype=torch.long)", "dtype=torch.float32)"),
            ("label_is_long_scalar",),
            hint=N_(
                "the label is a float tensor; a class index for cross-entropy is an "
                "integer: look at the dtype of the label"
            ),
        ),
        Mistake(
            "label from unsorted languages",
            (
                "self.class_names.index(language)",
                "self.df['language'].unique().tolist().index(language)",
            ),
            ("label_matches_class_index",),
            hint=N_(
                "the label counts languages in the order they first appear in the "
                "data, not in the dataset's sorted class list: look at where the "
                "label's index comes from"
            ),
        ),
        Mistake(
            "next row",
            ("row = self.df.iloc[idx]", "row = self.df.iloc[(idx + 1) % len(self.df)]"),
            ("name_encoded",),
            hint=N_(
                "item idx returns the name and language of another row: look at which"
                " row __getitem__ reads"
            ),
        ),
        Mistake(
            "pair swapped",
            (
                "return one_hot_encode_string(name), label",
                "return label, one_hot_encode_string(name)",
            ),
            ("name_encoded",),
            hint=N_(
                "the pair comes back in the wrong order: look at the order of the "
                "values __getitem__ returns"
            ),
        ),
        Mistake(
            "plain int label",
            (
                "label = torch.tensor(self.class_names.index(language), dtype=torch.long)",
                "label = self.class_names.index(language)",
            ),
            ("label_is_long_scalar",),
            hint=N_("the label is a Python int, not a tensor: look at how the label is built"),
        ),
        Mistake(
            "label as a one-element vector",
            (
                "torch.tensor(self.class_names.index(language), dtype=torch.long)",
                "torch.tensor([self.class_names.index(language)], dtype=torch.long)",
            ),
            ("label_is_long_scalar",),
            hint=N_(
                "the label has shape (1,) instead of being a scalar tensor: look at "
                "the value you pass to torch.tensor"
            ),
        ),
        Mistake(
            "name lower-cased",
            (
                "return one_hot_encode_string(name), label",
                "return one_hot_encode_string(name.lower()), label",
            ),
            ("name_encoded",),
            hint=N_(
                "the name is changed before it is encoded (upper-case letters are "
                "lost): look at what you pass to one_hot_encode_string"
            ),
        ),
    ),
    depends_on=("one_hot_encode_string",),
)
