"""`rnn-grader demo`: the whole product on a fresh machine, in one command.

It builds the student templates, writes a small class of submissions in LMS (Canvas) naming (the
reference, the blank template, notebooks with known mistakes, a truncated file and a .py file),
grades them as a batch and prints the gradebook.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import yaml

from autograder.config import Course
from autograder.engine.exercise import Exercise, Mistake
from autograder.exercises import exercises_for

DEMO_ASSIGNMENT = "names_charlm"


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


def write_class(course: Course, folder: Path, assignment: str = DEMO_ASSIGNMENT) -> list[Path]:
    """A small class of submissions named like a Canvas bulk download."""
    folder.mkdir(parents=True, exist_ok=True)
    exercises = exercises_for(assignment, list(course.config.assignment(assignment).exercises))
    reference = nbformat.read(course.master_notebook(assignment), as_version=4)
    blank = nbformat.read(course.template_dir / assignment / f"{assignment}.ipynb", as_version=4)
    students: list[tuple[str, object]] = [("lovelace", reference), ("babbage", blank)]
    names = ["hopper", "turing", "noether", "curie", "shannon", "germain", "ramanujan"]
    for name, round_ in zip(names, mistake_rounds(exercises), strict=False):
        students.append((name, with_mistakes(course, assignment, round_)))
    written = []
    for number, (name, nb) in enumerate(students, start=1):
        path = folder / f"{name}_{1000 + number}_{5000 + number}_{assignment}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    truncated = folder / f"knuth_1090_5090_{assignment}.ipynb"
    truncated.write_text(nbformat.writes(reference)[:2000], encoding="utf-8")
    script = folder / f"liskov_1091_5091_{assignment}.py"
    script.write_text("def one_hot_encode_string(text):\n    return None\n", encoding="utf-8")
    return [*written, truncated, script]
