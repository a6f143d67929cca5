"""The grading core on real submissions: reference -> full marks, blank -> zero, mistakes caught."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from autograder.config import Course
from autograder.engine.result import SubmissionResult
from autograder.exercises import exercises_for
from autograder.grading import grade_notebook
from autograder.sandbox.spawn import Zygote
from tests import submissions

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """One pre-loaded parent for the module's gradings, as a batch worker has: each grading
    then starts its child by a fork instead of a fresh interpreter that imports torch."""
    with Zygote() as started:
        yield started


def grade(
    course: Course, assignment: str, nb, folder: Path, name: str, zygote: Zygote | None
) -> SubmissionResult:
    """Unit checks only: the training checks have their own tests (test_training.py)."""
    path = submissions.write(nb, folder, name)
    return grade_notebook(course, assignment, path, training=False, zygote=zygote)


def unit_ids(course: Course, assignment: str) -> list[str]:
    spec = course.config.assignment(assignment)
    return [e for e, config in spec.exercises.items() if config.training is None]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_gets_full_marks(
    course: Course, assignment: str, tmp_path: Path, zygote: Zygote
) -> None:
    nb = submissions.reference(course, assignment)
    result = grade(course, assignment, nb, tmp_path, "ref", zygote)
    failing = {e.id: e.message for e in result.exercises if e.status != "passed"}
    assert not failing, failing
    assert result.points == result.max_points
    assert result.confined
    timings = result.timings  # where the seconds went: every exercise timed, peaks measured
    assert set(timings.exercises) == set(timings.plans) == {e.id for e in result.exercises}
    assert min(timings.exercises.values()) > 0 and timings.start > 0 and timings.cells > 0
    assert timings.parent >= sum(timings.plans.values()) - 0.01  # plans come before the child
    assert timings.exercise_peak_mb > 50 and 50 < timings.child_peak_mb < 2048


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_template_gets_zero_without_crashing(
    course: Course, assignment: str, tmp_path: Path, zygote: Zygote
) -> None:
    nb = submissions.blank(course, assignment)
    result = grade(course, assignment, nb, tmp_path, "blank", zygote)
    assert result.status == "graded"
    assert {e.id: e.points for e in result.exercises} == {e.id: 0.0 for e in result.exercises}
    assert all(e.message for e in result.exercises)


def test_grading_is_deterministic(course: Course, tmp_path: Path, zygote: Zygote) -> None:
    """The same notebook twice, once through the zygote and once in a fresh child."""
    exercises = exercises_for(
        "names_charlm", list(course.config.assignment("names_charlm").exercises)
    )
    round_ = submissions.mistake_rounds(exercises)[0]
    nb = submissions.with_mistakes(course, "names_charlm", round_)
    first = grade(course, "names_charlm", nb, tmp_path, "first", zygote)
    second = grade(course, "names_charlm", nb, tmp_path, "second", None)  # a fresh child
    strip = lambda r: [e.model_dump() for e in r.exercises]  # noqa: E731
    assert strip(first) == strip(second)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_known_mistake_is_caught(
    course: Course, assignment: str, tmp_path: Path, zygote: Zygote
) -> None:
    exercises = exercises_for(assignment, unit_ids(course, assignment))
    for exercise in exercises:
        assert len(exercise.mistakes) >= 6, f"{exercise.id}: fewer than six known mistakes"
    missed = []
    for number, round_ in enumerate(submissions.mistake_rounds(exercises)):
        nb = submissions.with_mistakes(course, assignment, round_)
        result = grade(course, assignment, nb, tmp_path, f"round{number}", zygote)
        by_id = {e.id: e for e in result.exercises}
        for exercise_id, mistake in round_.items():
            graded = by_id[exercise_id]
            failed = {c.name for c in graded.checks if not c.passed}
            hidden_or_named = failed & set(mistake.caught_by)
            if graded.points >= graded.max_points or not hidden_or_named:
                missed.append(f"{exercise_id}/{mistake.name}: failed {sorted(failed)}")
            messages = [c.message for c in graded.checks if not c.passed]
            assert all(messages), f"{exercise_id}/{mistake.name}: a failure without a message"
        untouched = [
            e
            for e in result.exercises
            if e.id not in round_ and not _depends(e.id, round_, exercises)
        ]
        for e in untouched:
            assert e.status == "passed", (
                f"round {number}: {e.id} failed without a mistake: {e.message}"
            )
    assert not missed, "\n".join(missed)


def _depends(exercise_id: str, round_: dict, exercises) -> bool:
    deps = {e.id: set(e.depends_on) for e in exercises}
    return bool(deps[exercise_id] & set(round_))


def _cell_defining(nb, name: str):
    return next(
        cell
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.lstrip().startswith(f"class {name}")
    )


def test_a_syntax_error_costs_only_what_its_cell_defines(
    course: Course, tmp_path: Path, zygote: Zygote
) -> None:
    nb = submissions.reference(course, "names_charlm")
    cell = _cell_defining(nb, "CharRNN")
    cell.source = cell.source.replace("return logits, hidden", "return logits, hidden)")
    result = grade(course, "names_charlm", nb, tmp_path, "syntax", zygote)
    by_id = {e.id: e for e in result.exercises}
    assert by_id["char_rnn"].points == 0
    assert all(e.status == "passed" for e in result.exercises if e.id != "char_rnn")
    problem = next(p for p in result.cell_problems if p.kind == "SyntaxError")
    assert problem.cell == nb.cells.index(cell) and problem.line is not None


def test_moved_split_and_duplicated_cells_still_resolve(
    course: Course, tmp_path: Path, zygote: Zygote
) -> None:
    nb = submissions.reference(course, "names_charlm")
    custom = _cell_defining(nb, "CustomRNN")
    nb.cells.remove(custom)
    nb.cells.append(custom)  # moved to the very end
    stale = nbformat.v4.new_code_cell(custom.source.replace("h = torch.tanh(", "h = torch.relu("))
    nb.cells.insert(nb.cells.index(custom), stale)  # an older wrong copy, run first
    dataset = _cell_defining(nb, "NamesDataset")
    head, _, tail = dataset.source.partition("    def __getitem__")
    dataset.source = head.rstrip() + "\n"
    nb.cells.insert(
        nb.cells.index(dataset) + 1,
        nbformat.v4.new_code_cell(
            "def _getitem(self, idx):\n"
            + _dedent_method(tail)
            + "\n\nNamesDataset.__getitem__ = _getitem"
        ),
    )
    result = grade(course, "names_charlm", nb, tmp_path, "moved", zygote)
    assert {e.id: e.status for e in result.exercises} == {e.id: "passed" for e in result.exercises}


def _dedent_method(tail: str) -> str:
    """The body of a method cut out of its class, as a function body."""
    lines = tail.splitlines()[1:]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in lines)


def test_the_command_grades_one_notebook_as_the_library_does(
    course: Course, course_data_dir: Path, tmp_path: Path
) -> None:
    """`rnn-grader grade NOTEBOOK` (its own zygote: the tier's proof and the child are forks of
    it) gives the reference full marks, writes the JSON result and prints where the time went."""
    import json
    import os
    import subprocess
    import sys

    notebook = submissions.write(submissions.reference(course, "names_charlm"), tmp_path, "ref")
    command = [sys.executable, "-m", "autograder.cli", "grade", str(notebook), "-a"]
    command += ["names_charlm", "--no-training", "--timings", "--json", str(tmp_path / "r.json")]
    env = {**os.environ, "RNN_GRADER_DATA": str(course_data_dir), "COLUMNS": "200"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = SubmissionResult.model_validate(json.loads((tmp_path / "r.json").read_text()))
    assert result.status == "graded" and result.points == result.max_points == 14
    assert result.confined and result.timings is not None
    # the table in the course's language (Korean: 총점 is the total), the split for the staff
    assert "Where the seconds went" in done.stdout and "총점" in done.stdout
