"""Warm once, fork many: an exercise's process imports nothing the zygote could have loaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.authoring import warm as authoring_warm
from autograder.config import Course
from autograder.sandbox import warm


def test_the_list_never_names_the_graders_own_modules() -> None:
    assert warm.names(), "autograder/sandbox/warm.txt is empty"
    assert not [name for name in warm.names() if name.startswith(("autograder", "solutions"))]


@pytest.mark.slow
def test_grading_every_reference_imports_nothing_inside_an_exercise(
    repo_root: Path, course_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training checks included: the course data is there, so every recipe runs."""
    monkeypatch.setitem(os.environ, "RNN_GRADER_DATA", str(course_data_dir))
    course = Course(repo_root / "grader.yaml")
    missing = authoring_warm.missing_imports(course, tmp_path)
    assert missing == set(), (
        f"{len(missing)} module(s) are imported inside exercises; run "
        f"`python -m autograder.authoring.warm`: {sorted(missing)[:20]}"
    )
