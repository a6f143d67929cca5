"""Checks in the style of check50: small named functions that raise `CheckFailure`.

A failure carries a rationale a student can act on and, where it helps, the expected and the
actual value, described rather than dumped, so that a message teaches without revealing the
hidden test. The child's answers reach checks through `Answer`/`Value`, which validate every
array against its own description before a check sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.i18n import Text, t
from autograder.sandbox.deaths import DIED

#: A message as a check records it: an English literal, or a template with values (`t`).
Message = Text | str


class CheckFailure(Exception):  # noqa: N818 - it is a verdict, named like check50's Failure
    """A check did not pass. `rationale` is shown to the student, in their language: it stays a
    template until rendered (`autograder.i18n.render`)."""

    def __init__(
        self, rationale: Message, expected: Message | None = None, actual: Message | None = None
    ):
        super().__init__(str(rationale))
        self.rationale = rationale
        self.expected = expected
        self.actual = actual


class MalformedAnswer(CheckFailure):
    """The child's answer does not match its own description: treated as a failed check."""


@dataclass
class Value:
    """One value the student's code produced, as described by the child."""

    meta: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False)

    @property
    def type(self) -> str:
        return str(self.meta.get("type"))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.meta.get("shape", []))

    @property
    def dtype(self) -> str:
        return str(self.meta.get("dtype", ""))

    @property
    def device(self) -> str:
        return str(self.meta.get("device", ""))

    @property
    def scalar(self) -> Any:
        return self.meta.get("value")

    def array(self) -> np.ndarray:
        """The numeric data; the shape must be the one the child described."""
        key = self.meta.get("array")
        if key is None or key not in self.arrays:
            raise MalformedAnswer(
                t("no numeric data came back for a {value}", value=self.describe())
            )
        data = self.arrays[key]
        if tuple(data.shape) != self.shape:
            raise MalformedAnswer("the answer's data does not match its declared shape")
        return data

    def items(self) -> list[Value]:
        return [Value(item, self.arrays) for item in self.meta.get("items", [])]

    def item(self, index: int) -> Value:
        items = self.items()
        if index >= len(items):
            raise CheckFailure(
                t("expected at least {count} returned values", count=index + 1),
                actual=self.describe(),
            )
        return items[index]

    def describe(self) -> Text:
        """A short description: 'tensor float32 (4, 10) on cpu', 'tuple of 2', 'None'."""
        kind = self.type
        if kind == "tensor":
            shape = str(self.shape)
            return t(
                "tensor {dtype} {shape} on {device}",
                dtype=self.dtype,
                shape=shape,
                device=self.device,
            )
        if kind == "ndarray":
            return t("numpy array {dtype} {shape}", dtype=self.dtype, shape=str(self.shape))
        if kind in {"tuple", "list"}:
            return t("{kind} of {length}", kind=kind, length=str(self.meta.get("length")))
        if kind in {"int", "float", "bool"}:
            return t("{kind} {value}", kind=kind, value=repr(self.scalar))
        if kind == "none":
            return t("None")
        if kind == "ellipsis":
            return t("... (the exercise is not filled in yet)")
        if kind == "str":
            return t("str of length {length}", length=str(self.meta.get("length")))
        return t("{name} object", name=str(self.meta.get("class", kind)))


@dataclass
class Answer:
    """The child's answer to one probe: a result, or the error the student's code raised."""

    raw: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False)
    #: the notebook's cells as the student finds them (index -> place), to name an error's cell
    places: Mapping[int, Text] = field(default_factory=dict, repr=False)

    def value(self, key: str = "result") -> Value:
        self.require_ok()
        if key not in self.raw:
            raise MalformedAnswer(t("the answer has no {key}", key=repr(key)))
        return Value(self.raw[key], self.arrays)

    def step(self, index: int) -> Value:
        self.require_ok()
        steps = self.raw.get("steps", [])
        if index >= len(steps):
            raise MalformedAnswer(t("step {index} has no answer", index=index))
        return Value(steps[index], self.arrays)

    def grads(self) -> dict[str, Value]:
        self.require_ok()
        return {name: Value(meta, self.arrays) for name, meta in self.raw.get("grads", {}).items()}

    def require_ok(self) -> None:
        if not self.raw.get("ok"):
            raise CheckFailure(explain_error(self.raw.get("error") or {}, self.places))


def explain_error(error: dict[str, Any], places: Mapping[int, Text] | None = None) -> Text:
    """'your code raised ValueError: ... (exercise rnn_cell, the cell starting `class RNN...`,
    line 4: `x.view(-1)`)'.

    `places` names the notebook's cells as the student finds them (`engine.messages.
    cell_places`); a cell it lacks is named by its number.
    """
    kind = str(error.get("type", "Error"))
    message = str(error.get("message", "")).strip()
    if kind == "Timeout":
        return t("your code did not finish within the time limit (an endless loop?)")
    if kind == "ProbeError":
        return t("{message}", message=message)
    if kind == "ProcessDied" and message.startswith(DIED):  # the sandbox's words: translated
        return died(message)
    said = (
        t("your code raised {kind}: {message}", kind=kind, message=message)
        if message
        else t("your code raised {kind}", kind=kind)
    )
    frames = error.get("frames") or []
    if not frames:
        return said
    last = frames[-1]
    place = cell_place(str(last.get("cell", "")), places or {})
    code = str(last.get("code") or "").strip()
    line = str(last.get("line"))
    if code:
        return t(
            "{error} ({place}, line {line}: `{code}`)",
            error=said,
            place=place,
            line=line,
            code=code,
        )
    return t("{error} ({place}, line {line})", error=said, place=place, line=line)


def died(message: str) -> Text:
    """A death as the sandbox says it ("the process running your code was killed: CPU time
    limit"), its phrase looked up in the catalogs (sandbox/deaths.py marks them)."""
    return t("the process running your code {reason}", reason=phrase(message.removeprefix(DIED)))


def grader_words(kind: str, message: str) -> Text | str:
    """A cell's error as recorded: the sandbox's own words (a time limit, a death) translated,
    the student's Python error as it was raised."""
    if kind == "ProcessDied" and message.startswith(DIED):
        return died(message)
    if kind == "Timeout":
        return phrase(message)
    return message


def cell_place(cell: str, places: Mapping[int, Text]) -> Text:
    """The cell a traceback names ("<cell 12>"), as the student finds it where `places` knows
    it, else by its number."""
    number = cell.strip("<>").removeprefix("cell ").strip()
    known = places.get(int(number)) if number.isdigit() else None
    return known or t("cell {number}", number=number)


# --- expectations: one sentence each, used by the exercise definitions -------------------------


def expect(
    condition: bool,
    rationale: Message,
    expected: Message | None = None,
    actual: Message | None = None,
) -> None:
    if not condition:
        raise CheckFailure(rationale, expected, actual)


def phrase(what: Message) -> Text:
    """`what` a check is about ("the logits", "char_tensor('')") as a translatable message:
    an English literal is looked up in the catalogs like any other (code stays as it is)."""
    return what if isinstance(what, Text) else Text(template=what)


def expect_tensor(value: Value, what: Message) -> None:
    expect(
        value.type == "tensor",
        t("{what} should be a torch tensor", what=phrase(what)),
        expected="torch.Tensor",
        actual=value.describe(),
    )


def expect_shape(value: Value, shape: Sequence[int], what: Message) -> None:
    expect(
        value.shape == tuple(shape),
        t("{what} has the wrong shape", what=phrase(what)),
        expected=str(tuple(shape)),
        actual=str(value.shape),
    )


def expect_dtype(value: Value, dtypes: str | Sequence[str], what: Message) -> None:
    allowed = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)
    expect(
        value.dtype in allowed,
        t("{what} has the wrong dtype", what=phrase(what)),
        expected=allowed[0]
        if len(allowed) == 1
        else t("one of {dtypes}", dtypes=", ".join(allowed)),
        actual=value.dtype,
    )


def expect_close(
    actual: np.ndarray,
    expected: np.ndarray,
    what: Message,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> None:
    """Numbers agree within tolerance; the message gives the size of the disagreement only."""
    expect(
        actual.shape == expected.shape,
        t("{what} has the wrong shape", what=phrase(what)),
        expected=str(tuple(expected.shape)),
        actual=str(tuple(actual.shape)),
    )
    actual64 = actual.astype(np.float64)
    if not np.all(np.isfinite(actual64)):
        raise CheckFailure(t("{what} contains NaN or infinite values", what=phrase(what)))
    expected64 = expected.astype(np.float64)
    if not np.allclose(actual64, expected64, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(actual64 - expected64)))
        share = float(np.mean(~np.isclose(actual64, expected64, rtol=rtol, atol=atol)))
        raise CheckFailure(
            t("{what} differs from the correct values", what=phrase(what)),
            expected=t(
                "agreement within {atol} (+{rtol} relative)",
                atol=format(atol, "g"),
                rtol=format(rtol, "g"),
            ),
            actual=t(
                "largest difference {worst}; {share} of entries differ",
                worst=format(worst, ".3g"),
                share=format(share, ".0%"),
            ),
        )


def expect_equal(actual: np.ndarray, expected: np.ndarray, what: Message) -> None:
    expect(
        actual.shape == expected.shape,
        t("{what} has the wrong shape", what=phrase(what)),
        expected=str(tuple(expected.shape)),
        actual=str(tuple(actual.shape)),
    )
    differing = int(np.sum(actual != expected))
    expect(
        differing == 0,
        t("{what} differs from the correct values", what=phrase(what)),
        expected=t("an exact match"),
        actual=t("{count} of {total} entries differ", count=differing, total=int(actual.size)),
    )
