"""One source for course code: master notebooks embed solutions/ verbatim, points come from yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import sources
from autograder.authoring.sync import SYNC_METADATA, question_names, sync_notebook
from autograder.config import Course
from autograder.errors import GraderError

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]


def copy_course(repo_root: Path, target: Path) -> Course:
    for name in ("assignments", "solutions"):
        shutil.copytree(repo_root / name, target / name)
    shutil.copyfile(repo_root / "grader.yaml", target / "grader.yaml")
    return Course(target / "grader.yaml")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_notebook_is_in_sync_with_solutions(course: Course, assignment: str) -> None:
    report = sync_notebook(course, assignment, check=True)
    assert not report.changed, (
        f"{assignment}: cells {sorted(set(report.changed_cells))} differ from solutions/ or "
        "grader.yaml; run `rnn-grader sync`"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_question_and_synced_code(course: Course, assignment: str) -> None:
    nb = nbformat.read(course.master_notebook(assignment), as_version=4)
    assert sorted(question_names(nb)) == sorted(course.config.assignment(assignment).exercises)
    synced = [cell for cell in nb.cells if SYNC_METADATA in cell.get("metadata", {})]
    secret = [line for cell in synced for line in sources.solution_lines(cell.source)]
    assert secret, f"{assignment}: no synced cell holds a solution"


def test_sync_rewrites_an_edited_cell_and_points(repo_root: Path, tmp_path: Path) -> None:
    course = copy_course(repo_root, tmp_path)
    path = course.master_notebook("names_charlm")
    nb = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if SYNC_METADATA in c.get("metadata", {}))
    original = nb.cells[index].source
    nb.cells[index].source = "# edited by hand\n" + original
    nbformat.write(nb, path)
    yaml_text = (tmp_path / "grader.yaml").read_text(encoding="utf-8")
    (tmp_path / "grader.yaml").write_text(
        yaml_text.replace(
            "one_hot_encode_string: {points: 2}", "one_hot_encode_string: {points: 5}"
        ),
        encoding="utf-8",
    )
    course = Course(tmp_path / "grader.yaml")

    assert sync_notebook(course, "names_charlm", check=True).changed
    report = sync_notebook(course, "names_charlm")
    synced = nbformat.read(path, as_version=4)
    assert index in report.changed_cells
    assert synced.cells[index].source == original
    question = next(c for c in synced.cells if "name: one_hot_encode_string" in c.source)
    assert "points: 5" in question.source
    assert not sync_notebook(course, "names_charlm", check=True).changed


def test_sync_reports_a_question_missing_from_grader_yaml(repo_root: Path, tmp_path: Path) -> None:
    copy_course(repo_root, tmp_path)
    yaml_text = (tmp_path / "grader.yaml").read_text(encoding="utf-8")
    (tmp_path / "grader.yaml").write_text(
        yaml_text.replace(
            "      get_batches: {points: 3}\n",
            "      get_batches: {points: 3}\n      extra: {points: 1}\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(GraderError, match="exercises in grader.yaml without a question: extra"):
        sync_notebook(Course(tmp_path / "grader.yaml"), "anna_lstm", check=True)


def test_definition_source_finds_functions_classes_and_assignments(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "import torch\n\nX = 3  # SOLUTION\n\n\n@staticmethod\ndef f(a):\n"
        "    # BEGIN SOLUTION\n    return a\n    # END SOLUTION\n\n\nclass C:\n    pass\n",
        encoding="utf-8",
    )
    get = lambda name: sources.definition_source(tmp_path, sources.SourceKey.parse(f"mod.{name}"))  # noqa: E731
    assert get("X") == "X = 3  # SOLUTION"
    assert get("f").startswith("@staticmethod\ndef f(a):") and get("f").endswith("# END SOLUTION")
    assert get("C") == "class C:\n    pass"
    with pytest.raises(GraderError, match="defines no top-level 'g'"):
        get("g")
    with pytest.raises(GraderError, match="no module"):
        sources.definition_source(tmp_path, sources.SourceKey.parse("nope.f"))


def test_solution_and_given_lines_split_on_otter_markers() -> None:
    code = (
        "def f(a):\n    b = a + 1\n    # BEGIN SOLUTION\n    c = b * 2\n    return c\n"
        "    # END SOLUTION\n\nn = 32 * 64 + 10  # SOLUTION\n"
    )
    assert sources.solution_lines(code) == ["c = b * 2", "return c", "32 * 64 + 10"]
    assert "b = a + 1" in sources.given_lines(code)
    assert "return c" not in sources.given_lines(code)
