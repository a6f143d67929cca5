"""What more than one names_charlm exercise uses: the assignment's name and random names."""

from __future__ import annotations

import string

import numpy as np

ASSIGNMENT = "names_charlm"
LETTERS = string.ascii_letters + " .,;'_"


def random_name(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list(LETTERS), size=length))
