"""Modules the sandbox imports before it forks: once per worker, never once per exercise.

Every exercise runs in a process forked from the child, and every child is forked from the
zygote (or started fresh, on Gradescope). A module first imported inside an exercise's process
is imported again by every exercise of every submission (PyTorch's dynamo and sympy, reached
through meta tensors, cost about a second each time), and in the container tier it is read as
the sandbox uid, which may not be able to read it. So the zygote and a fresh child import the
modules listed in warm.txt while they are still trusted.

The list is derived, not hand-picked: `python -m autograder.authoring.warm` grades the reference
of every assignment and records what each exercise's process had to import itself (the child
reports it with every answer). Names of the grader's own packages never appear in it.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from pathlib import Path

LIST = Path(__file__).with_name("warm.txt")
#: The child must never hold these, whatever the list says (tests/test_sandbox.py checks).
NEVER = ("autograder.engine", "autograder.exercises", "autograder.training", "solutions")


def names() -> list[str]:
    """The modules to import, in the listed order (one per line, # comments allowed)."""
    with contextlib.suppress(OSError):
        lines = LIST.read_text(encoding="utf-8").splitlines()
        return [
            name
            for line in lines
            if (name := line.split("#", 1)[0].strip()) and not name.startswith(NEVER)
        ]
    return []


def load() -> None:
    """Import every listed module that this interpreter has; the rest are skipped quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names():
            with contextlib.suppress(Exception):
                importlib.import_module(name)
