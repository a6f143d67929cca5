"""One module per assignment, defining its exercises in one place (`EXERCISES`).

`<assignment>.py` holds the unit exercises; `<assignment>_training.py`, where it exists, the
training checks of the same assignment.
"""

from __future__ import annotations

import importlib

from autograder.engine.exercise import Exercise
from autograder.errors import GraderError


def exercises_for(assignment: str, ids: list[str]) -> list[Exercise]:
    """The definitions of `ids` (the exercises grader.yaml lists), in that order."""
    defined: dict[str, Exercise] = {}
    for suffix in ("", "_training"):
        name = f"autograder.exercises.{assignment}{suffix}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        defined.update({exercise.id: exercise for exercise in module.EXERCISES})
    if not defined:
        raise GraderError(f"{assignment}: the grader has no exercise definitions")
    missing = [exercise_id for exercise_id in ids if exercise_id not in defined]
    if missing:
        raise GraderError(f"{assignment}: grader.yaml lists undefined exercises {missing}")
    return [defined[exercise_id] for exercise_id in ids]
