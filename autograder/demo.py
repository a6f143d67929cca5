"""`rnn-grader demo`: the whole product on a fresh machine, in one command.

It builds the student templates, writes a small class of submissions in LMS (Canvas) naming (the
reference, the blank template, notebooks with known mistakes, a truncated file and a .py file),
grades them as a batch and prints the gradebook.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.config import Course
from autograder.exercises import exercises_for

DEMO_ASSIGNMENT = "names_charlm"


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
