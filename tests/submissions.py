"""Make submissions for grading tests: reference, blank template, known mistakes, attacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.config import Course

__all__ = ["blank", "mistake_rounds", "reference", "scratch_course", "with_mistakes", "write"]


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


def scratch_course(course: Course, folder: Path, edits: dict[str, str] | None = None) -> Course:
    """A copy of the course in `folder` whose grader.yaml has each `edits` key replaced by its
    value (each must occur), so that a test can change the configuration without the repo."""
    for name in ("assignments", "solutions", "student_template", "calibration"):
        shutil.copytree(course.root / name, folder / name)
    text = course.config_path.read_text(encoding="utf-8")
    for old, new in (edits or {}).items():
        if old not in text:
            raise ValueError(f"grader.yaml has no {old!r} to replace")
        text = text.replace(old, new)
    (folder / "grader.yaml").write_text(text, encoding="utf-8")
    return Course(folder / "grader.yaml")
