"""One module per assignment; each defines its exercises in one place (`EXERCISES`)."""

from __future__ import annotations

import importlib

from autograder.engine.exercise import Exercise
from autograder.errors import GraderError


def exercises_for(assignment: str, ids: list[str]) -> list[Exercise]:
    """The definitions of `ids` (the exercises grader.yaml lists), in that order."""
    try:
        module = importlib.import_module(f"autograder.exercises.{assignment}")
    except ModuleNotFoundError as error:
        if error.name != f"autograder.exercises.{assignment}":
            raise
        raise GraderError(f"{assignment}: the grader has no exercise definitions") from None
    defined = {exercise.id: exercise for exercise in module.EXERCISES}
    missing = [exercise_id for exercise_id in ids if exercise_id not in defined]
    if missing:
        raise GraderError(f"{assignment}: grader.yaml lists undefined exercises {missing}")
    return [defined[exercise_id] for exercise_id in ids]
