"""Make submissions for grading tests: reference, blank template, known mistakes, attacks."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import yaml

from autograder.config import Course
from autograder.engine.exercise import Exercise, Mistake


def reference(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The master notebook, as a submission: every solution filled in."""
    return nbformat.read(course.master_notebook(assignment), as_version=4)


def blank(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The student template exactly as handed out."""
    path = course.template_dir / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4)


def with_mistakes(
    course: Course, assignment: str, mistakes: dict[str, Mistake]
) -> nbformat.NotebookNode:
    """The reference with each exercise's block rewritten by its mistake (exactly one match)."""
    nb = copy.deepcopy(reference(course, assignment))
    for exercise_id, mistake in mistakes.items():
        old, new = mistake.replace
        cells = [cell for cell in _question_cells(nb, exercise_id) if old in cell.source]
        matches = sum(cell.source.count(old) for cell in cells)
        if matches != 1:
            raise AssertionError(
                f"{exercise_id}/{mistake.name}: {matches} matches of the text to replace"
            )
        cells[0].source = cells[0].source.replace(old, new)
    return nb


def mistake_rounds(exercises: list[Exercise]) -> list[dict[str, Mistake]]:
    """Group every mistake into rounds; a round never mutates two exercises that depend on each
    other, so each failure is the mutated exercise's own."""
    related = {e.id: set(e.depends_on) for e in exercises}
    for e in exercises:
        for dependency in e.depends_on:
            related.setdefault(dependency, set()).add(e.id)
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


def write(nb: nbformat.NotebookNode, folder: Path, name: str) -> Path:
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _question_cells(nb: nbformat.NotebookNode, exercise_id: str) -> list[nbformat.NotebookNode]:
    inside, found = False, []
    for cell in nb.cells:
        source = cell.source.lstrip()
        if cell.cell_type == "raw" and source.startswith("# BEGIN QUESTION"):
            inside = (yaml.safe_load(source[len("# BEGIN QUESTION") :]) or {}).get("name") == (
                exercise_id
            )
        elif cell.cell_type == "raw" and source.startswith("# END QUESTION"):
            inside = False
        elif inside and cell.cell_type == "code":
            found.append(cell)
    return found
