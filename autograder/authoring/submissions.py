"""The course's own submissions: the reference (the master notebook) and the blank template.

The release check, the tests and the demo grade these to show that full marks and zero come out
where they should.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.config import Course


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
