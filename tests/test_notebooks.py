"""Whole notebooks, run top to bottom in a real kernel, on the real data.

Master notebooks must pass every public test (training cells run with the QUICK budget). Student
templates, left as handed out, must run to the end without killing the kernel and fail each
public check with a message a student can act on.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.sync import question_names
from autograder.config import Course
from tests.notebook_runner import execute, stage_master, text_of

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")

pytestmark = pytest.mark.slow


@pytest.fixture
def quick_env(course_data_dir: Path) -> dict[str, str]:
    return {"RNN_GRADER_DATA": str(course_data_dir), "RNN_GRADER_QUICK": "1", "MPLBACKEND": "Agg"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_notebook_passes_its_public_tests(
    course: Course, assignment: str, tmp_path: Path, quick_env: dict[str, str]
) -> None:
    staged = stage_master(course, assignment, tmp_path)
    nb = execute(staged, quick_env, allow_errors=False)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_template_runs_to_the_end_and_fails_checks_clearly(
    course: Course, assignment: str, tmp_path: Path, quick_env: dict[str, str]
) -> None:
    folder = tmp_path / assignment
    shutil.copytree(course.template_dir / assignment, folder)
    nb = execute(folder / f"{assignment}.ipynb", quick_env, allow_errors=True)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells), "the kernel died"

    checks = {
        match.group(1): text_of(cell)
        for cell in code_cells
        if (match := re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip()))
    }
    master = course.master_notebook(assignment)
    spec = course.config.assignment(assignment).exercises
    # Training checks have a question (the prompt) but no public test: the grader trains.
    with_public_tests = [
        name
        for name in question_names(nbformat.read(master, as_version=4))
        if spec[name].training is None
    ]
    assert sorted(checks) == sorted(with_public_tests)
    for exercise, shown in checks.items():
        assert "❌" in shown, f"{exercise}: the blank template passed its public check:\n{shown}"
        failures = re.findall(r"AssertionError: (.+)", shown)
        assert failures and all(HANGUL.search(message) for message in failures), (
            f"{exercise}: a public check failed without a Korean explanation:\n{shown}"
        )
