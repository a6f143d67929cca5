"""Known mistakes applied to the reference notebook: the submissions that tests, calibration and
the demo grade to prove that each mistake is caught.

A mistake is a text replacement inside one exercise's otter question block, so that the wrong
code sits exactly where a student would have written it.
"""

from __future__ import annotations

import copy

import nbformat
import yaml

from autograder.config import Course
from autograder.engine.exercise import Exercise, Mistake


def with_mistakes(course: Course, assignment: str, mistakes: dict[str, Mistake]):
    """The reference notebook with each exercise's code rewritten by its known mistake.

    The text a mistake replaces must occur exactly once in its exercise's question block.
    """
    nb = nbformat.read(course.master_notebook(assignment), as_version=4)
    nb = copy.deepcopy(nb)
    for exercise_id, mistake in mistakes.items():
        old, new = mistake.replace
        cells = [cell for cell in question_cells(nb, exercise_id) if old in cell.source]
        matches = sum(cell.source.count(old) for cell in cells)
        if matches != 1:
            raise ValueError(
                f"{exercise_id}/{mistake.name}: {matches} matches of the text to replace"
            )
        cells[0].source = cells[0].source.replace(old, new)
    return nb


def mistake_rounds(exercises: list[Exercise]) -> list[dict[str, Mistake]]:
    """Every known mistake, grouped so that no round mutates two exercises that depend on each
    other (each failure is then the mutated exercise's own)."""
    related = {e.id: set(e.depends_on) for e in exercises}
    for exercise in exercises:
        for dependency in exercise.depends_on:
            related.setdefault(dependency, set()).add(exercise.id)
    rounds: list[dict[str, Mistake]] = []
    for exercise in exercises:
        for mistake in exercise.mistakes:
            for round_ in rounds:
                if exercise.id not in round_ and not related[exercise.id] & set(round_):
                    round_[exercise.id] = mistake
                    break
            else:
                rounds.append({exercise.id: mistake})
    return rounds


def question_cells(nb, exercise_id: str) -> list:
    """The code cells inside the otter question block named `exercise_id`."""
    inside, found = False, []
    for cell in nb.cells:
        source = cell.source.lstrip()
        if cell.cell_type == "raw" and source.startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(source[len("# BEGIN QUESTION") :]) or {}
            inside = config.get("name") == exercise_id
        elif cell.cell_type == "raw" and source.startswith("# END QUESTION"):
            inside = False
        elif inside and cell.cell_type == "code":
            found.append(cell)
    return found
