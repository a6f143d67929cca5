"""Make submissions for grading tests: reference, blank template, known mistakes, attacks."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.authoring.mistakes import mistake_rounds, with_mistakes
from autograder.authoring.submissions import blank, reference, write
from autograder.config import Course

__all__ = ["blank", "mistake_rounds", "reference", "scratch_course", "with_mistakes", "write"]


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
