"""Every exercise of the course: one package per assignment, one module per exercise.

`autograder/exercises/<assignment>/<exercise_id>.py` defines one exercise (`EXERCISE`): its plan,
checks and known mistakes, and for a training check its `SPEC`. The package's `__init__.py`
assembles them in course order (`EXERCISES`, and `SPECS` for the training checks). This package
is the top of the grading layers: the engine, training and sandbox never import it; the routes
(CLI, batch, Gradescope) resolve exercises here and hand them down.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from autograder.config import Course
from autograder.engine.exercise import Exercise
from autograder.errors import GraderError
from autograder.training.spec import TrainingSpec


def _package(assignment: str) -> ModuleType:
    name = f"autograder.exercises.{assignment}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        raise GraderError(f"{assignment}: the grader has no exercise definitions") from None


def exercises_for(assignment: str, ids: list[str]) -> list[Exercise]:
    """The definitions of `ids` (the exercises grader.yaml lists), in that order."""
    package = _package(assignment)
    defined = {exercise.id: exercise for exercise in package.EXERCISES}
    missing = [exercise_id for exercise_id in ids if exercise_id not in defined]
    if missing:
        raise GraderError(f"{assignment}: grader.yaml lists undefined exercises {missing}")
    return [defined[exercise_id] for exercise_id in ids]


def training_specs(course: Course) -> dict[str, TrainingSpec]:
    """Every training check grader.yaml lists, by exercise id."""
    found: dict[str, TrainingSpec] = {}
    for assignment, spec in course.config.assignments.items():
        wanted = [e for e, entry in spec.exercises.items() if entry.training is not None]
        if not wanted:
            continue
        by_id = {item.id: item for item in _package(assignment).SPECS}
        for exercise_id in wanted:
            if exercise_id not in by_id:
                raise GraderError(f"{assignment}: no training recipe defines {exercise_id!r}")
            found[exercise_id] = by_id[exercise_id]
    return found
