"""Checks in the style of check50: small named functions that raise `CheckFailure`.

A failure carries a rationale a student can act on and, where it helps, the expected and the
actual value, described rather than dumped, so that a message teaches without revealing the
hidden test. The child's answers reach checks through `Answer`/`Value`, which validate every
array against its own description before a check sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class CheckFailure(Exception):  # noqa: N818 - it is a verdict, named like check50's Failure
    """A check did not pass. `rationale` is shown to the student."""

    def __init__(self, rationale: str, expected: str | None = None, actual: str | None = None):
        super().__init__(rationale)
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
            raise MalformedAnswer(f"no numeric data came back for a {self.describe()}")
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
                f"expected at least {index + 1} returned values", actual=self.describe()
            )
        return items[index]

    def describe(self) -> str:
        """A short human description: 'tensor float32 (4, 10) on cpu', 'tuple of 2', 'None'."""
        kind = self.type
        if kind == "tensor":
            return f"tensor {self.dtype} {self.shape} on {self.device}"
        if kind == "ndarray":
            return f"numpy array {self.dtype} {self.shape}"
        if kind in {"tuple", "list"}:
            return f"{kind} of {self.meta.get('length')}"
        if kind in {"int", "float", "bool"}:
            return f"{kind} {self.scalar!r}"
        if kind == "none":
            return "None"
        if kind == "ellipsis":
            return "... (the exercise is not filled in yet)"
        if kind == "str":
            return f"str of length {self.meta.get('length')}"
        return f"{self.meta.get('class', kind)} object"


@dataclass
class Answer:
    """The child's answer to one probe: a result, or the error the student's code raised."""

    raw: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(repr=False)

    def value(self, key: str = "result") -> Value:
        self.require_ok()
        if key not in self.raw:
            raise MalformedAnswer(f"the answer has no {key!r}")
        return Value(self.raw[key], self.arrays)

    def step(self, index: int) -> Value:
        self.require_ok()
        steps = self.raw.get("steps", [])
        if index >= len(steps):
            raise MalformedAnswer(f"step {index} has no answer")
        return Value(steps[index], self.arrays)

    def grads(self) -> dict[str, Value]:
        self.require_ok()
        return {name: Value(meta, self.arrays) for name, meta in self.raw.get("grads", {}).items()}

    def require_ok(self) -> None:
        if not self.raw.get("ok"):
            raise CheckFailure(explain_error(self.raw.get("error") or {}))


def explain_error(error: dict[str, Any]) -> str:
    """'Your code raised ValueError: ... (cell 12, line 4: `x.view(-1)`)'."""
    kind = error.get("type", "Error")
    message = str(error.get("message", "")).strip()
    if kind == "Timeout":
        return "your code did not finish within the time limit (an endless loop?)"
    if kind == "ProbeError":
        return message
    text = f"your code raised {kind}" + (f": {message}" if message else "")
    frames = error.get("frames") or []
    if frames:
        last = frames[-1]
        cell = str(last.get("cell", "")).strip("<>").replace("cell ", "cell ")
        code = str(last.get("code") or "").strip()
        text += f" ({cell}, line {last.get('line')}" + (f": `{code}`" if code else "") + ")"
    return text


# --- expectations: one sentence each, used by the exercise definitions -------------------------


def expect(condition: bool, rationale: str, expected: str | None = None, actual: str | None = None):
    if not condition:
        raise CheckFailure(rationale, expected, actual)


def expect_tensor(value: Value, what: str) -> None:
    expect(
        value.type == "tensor",
        f"{what} should be a torch tensor",
        expected="torch.Tensor",
        actual=value.describe(),
    )


def expect_shape(value: Value, shape: Sequence[int], what: str) -> None:
    expect(
        value.shape == tuple(shape),
        f"{what} has the wrong shape",
        expected=str(tuple(shape)),
        actual=str(value.shape),
    )


def expect_dtype(value: Value, dtypes: str | Sequence[str], what: str) -> None:
    allowed = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)
    expect(
        value.dtype in allowed,
        f"{what} has the wrong dtype",
        expected=" or ".join(allowed),
        actual=value.dtype,
    )


def expect_close(
    actual: np.ndarray, expected: np.ndarray, what: str, *, rtol: float = 1e-4, atol: float = 1e-5
) -> None:
    """Numbers agree within tolerance; the message gives the size of the disagreement only."""
    expect(
        actual.shape == expected.shape,
        f"{what} has the wrong shape",
        expected=str(tuple(expected.shape)),
        actual=str(tuple(actual.shape)),
    )
    actual64 = actual.astype(np.float64)
    if not np.all(np.isfinite(actual64)):
        raise CheckFailure(f"{what} contains NaN or infinite values")
    expected64 = expected.astype(np.float64)
    if not np.allclose(actual64, expected64, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(actual64 - expected64)))
        share = float(np.mean(~np.isclose(actual64, expected64, rtol=rtol, atol=atol)))
        raise CheckFailure(
            f"{what} differs from the correct values",
            expected=f"agreement within {atol:g} (+{rtol:g} relative)",
            actual=f"largest difference {worst:.3g}; {share:.0%} of entries differ",
        )


def expect_equal(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    expect(
        actual.shape == expected.shape,
        f"{what} has the wrong shape",
        expected=str(tuple(expected.shape)),
        actual=str(tuple(actual.shape)),
    )
    differing = int(np.sum(actual != expected))
    expect(
        differing == 0,
        f"{what} differs from the correct values",
        expected="an exact match",
        actual=f"{differing} of {actual.size} entries differ",
    )
