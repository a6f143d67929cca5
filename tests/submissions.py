"""Make submissions for grading tests: reference, blank template, known mistakes, attacks."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.config import Course

__all__ = ["blank", "mistake_rounds", "reference", "with_mistakes", "write"]


def reference(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The master notebook, as a submission: every solution filled in."""
    return nbformat.read(course.master_notebook(assignment), as_version=4)


def blank(course: Course, assignment: str) -> nbformat.NotebookNode:
    """The student template exactly as handed out."""
    path = course.template_dir / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4)


def write(nb: nbformat.NotebookNode, folder: Path, name: str) -> Path:
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path
