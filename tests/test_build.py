"""`rnn-grader build`: deterministic templates, nothing secret in them, committed copy not stale."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder.authoring import build as build_step
from autograder.authoring.sources import solution_lines
from autograder.cli import app
from autograder.config import Course
from autograder.errors import GraderError

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]


@pytest.fixture(scope="module")
def fresh_build(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A copy of the course checkout, built from scratch into its own dist/ and templates."""
    root = tmp_path_factory.mktemp("course")
    for name in ("assignments", "solutions"):
        shutil.copytree(repo_root / name, root / name)
    shutil.copyfile(repo_root / "grader.yaml", root / "grader.yaml")
    course = Course(root / "grader.yaml")
    for assignment in ASSIGNMENTS:
        build_step.build(course, assignment, root / "dist")
    return course


def tree_differences(left: Path, right: Path) -> list[str]:
    comparison = filecmp.dircmp(left, right)
    found = [f"only in {left}: {n}" for n in comparison.left_only]
    found += [f"only in {right}: {n}" for n in comparison.right_only]
    found += [
        f"differs: {n}"
        for n in comparison.common_files
        if not filecmp.cmp(left / n, right / n, shallow=False)
    ]
    for sub in comparison.common_dirs:
        found += tree_differences(left / sub, right / sub)
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_template_matches_a_fresh_build(
    course: Course, fresh_build: Course, assignment: str
) -> None:
    differences = tree_differences(
        course.template_dir / assignment, fresh_build.template_dir / assignment
    )
    assert not differences, "student_template/ is stale; run `rnn-grader build`:\n" + "\n".join(
        differences
    )


def test_build_is_deterministic(fresh_build: Course, tmp_path: Path) -> None:
    first = tmp_path / "first"
    shutil.copytree(fresh_build.template_dir / "names_charlm", first)
    build_step.build(fresh_build, "names_charlm", tmp_path / "dist")
    assert not tree_differences(first, fresh_build.template_dir / "names_charlm")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_template_has_no_solution_line_and_no_hidden_test(
    course: Course, fresh_build: Course, assignment: str
) -> None:
    master = nbformat.read(course.master_notebook(assignment), as_version=4)
    template = fresh_build.template_dir / assignment
    helpers = [course.solutions_dir / "helpers.py"] if (template / "helpers.py").exists() else []
    assert build_step.template_leaks(master, helpers, template) == []
    for test_file in (template / "tests").glob("*.py"):
        assert "hidden=True" not in test_file.read_text(encoding="utf-8")
    student_nb = nbformat.read(template / f"{assignment}.ipynb", as_version=4)
    assert "BEGIN SOLUTION" not in str(student_nb) and "# SOLUTION" not in str(student_nb)


def test_a_planted_solution_line_is_detected(
    course: Course, fresh_build: Course, tmp_path: Path
) -> None:
    master = nbformat.read(course.master_notebook("names_charlm"), as_version=4)
    template = tmp_path / "template"
    shutil.copytree(fresh_build.template_dir / "names_charlm", template)
    secret = solution_lines("\n".join(c.source for c in master.cells if c.cell_type == "code"))
    notebook = template / "names_charlm.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"# a hint left by mistake\n{secret[0]}"))
    nbformat.write(nb, notebook)
    leaks = build_step.template_leaks(master, [course.solutions_dir / "helpers.py"], template)
    assert leaks


def test_build_reports_a_missing_master_notebook(fresh_build: Course, tmp_path: Path) -> None:
    root = tmp_path / "course"
    shutil.copytree(
        fresh_build.root, root, ignore=shutil.ignore_patterns("dist", "student_template")
    )
    (root / "assignments" / "anna_lstm" / "anna_lstm.ipynb").unlink()
    with pytest.raises(GraderError, match="master notebook .* does not exist"):
        build_step.build(Course(root / "grader.yaml"), "anna_lstm", root / "dist")


def _course_with_points_changed(repo_root: Path, folder: Path) -> Path:
    """A copy of the course whose grader.yaml gives custom_rnn 5 points (the notebook says 4)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("assignments", "solutions", "calibration", "autograder"):
        shutil.copytree(repo_root / name, folder / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(repo_root / name, folder / name)
    text = (repo_root / "grader.yaml").read_text(encoding="utf-8")
    assert text.count("custom_rnn: {points: 4}") == 1
    config = folder / "grader.yaml"
    config.write_text(text.replace("custom_rnn: {points: 4}", "custom_rnn: {points: 5}"))
    return config


def test_build_refuses_a_master_notebook_out_of_date_with_grader_yaml(
    repo_root: Path, tmp_path: Path
) -> None:
    config = _course_with_points_changed(repo_root, tmp_path)
    result = CliRunner().invoke(app, ["build", "-a", "names_charlm", "--config", str(config)])
    assert result.exit_code == 2
    assert "refusing to build" in result.output and "names_charlm (1 cell(s))" in result.output
    assert not (tmp_path / "dist").exists() and not (tmp_path / "student_template").exists()


@pytest.mark.slow
def test_build_with_sync_brings_the_notebook_up_to_date_first(
    repo_root: Path, tmp_path: Path
) -> None:
    config = _course_with_points_changed(repo_root, tmp_path)
    result = CliRunner().invoke(
        app, ["build", "-a", "names_charlm", "--sync", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "names_charlm: synced first (1 cell(s)" in result.output
    master = nbformat.read(tmp_path / "assignments/names_charlm/names_charlm.ipynb", as_version=4)
    questions = [c.source for c in master.cells if c.source.startswith("# BEGIN QUESTION")]
    assert "# BEGIN QUESTION\nname: custom_rnn\npoints: 5" in questions
    assert (tmp_path / "dist/names_charlm/gradescope.zip").is_file()
