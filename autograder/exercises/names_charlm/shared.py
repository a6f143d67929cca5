"""What more than one names_charlm exercise uses: the assignment's name, random names, and the
answer of a probe that calls one model several times."""

from __future__ import annotations

import string

import numpy as np

from autograder.engine.checks import Answer, CheckFailure, explain_error
from autograder.engine.exercise import Context
from autograder.i18n import t

ASSIGNMENT = "names_charlm"
LETTERS = string.ascii_letters + " .,;'_"


def random_name(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(LETTERS), size=length))


def repeated_calls(ctx: Context, probe: str) -> Answer:
    """The answer of a probe that calls forward several times on one model; when a later call
    fails, say that each call must start afresh (a state kept on self breaks a new batch size)."""
    answer = ctx.answer(probe)
    if not answer.raw.get("ok"):
        raise CheckFailure(
            t(
                "calling forward several times on one model failed; each call without a given "
                "hidden state should start from zeros, whatever the batch size of the call "
                "before: {error}",
                error=explain_error(answer.raw.get("error") or {}),
            )
        )
    return answer
