"""Grades that stay right: a run without training checks is incomplete until they are graded, and
a stored score outlives neither its file, nor its exercise's definition, nor its point value.

One graded run (the reference notebook, unit checks only) is copied by each test, which then
changes one thing: the training checks, the file, the stored definition, the points.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch.runner import DB_NAME
from autograder.batch.standing import to_grade
from autograder.batch.store import Store
from autograder.config import Course
from autograder.exercises.fingerprint import Definitions
from tests import submissions
from tests.submissions import scratch_course

ASSIGNMENT = "names_charlm"
STUDENT = "1001"
NOTEBOOK = f"lovelace_{STUDENT}_5001_{ASSIGNMENT}.ipynb"
TRAINING = ("names_training", "charlm_training")
UNIT = (
    "one_hot_encode_string",
    "names_dataset",
    "custom_rnn",
    "num_params_custom_rnn",
    "shakespeare_dataset",
    "char_rnn",
)


def cli(*args: str, config: Path | None = None, data: Path | None = None) -> str:
    """Run `rnn-grader ARGS` as an instructor would; its stdout (the command must succeed)."""
    env = {**os.environ, "COLUMNS": "300"}
    if data is not None:
        env["RNN_GRADER_DATA"] = str(data)
    extra = ["--config", str(config)] if config else []
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", *args, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def grade(folder: Path, run: Path, *extra: str, data: Path | None = None) -> str:
    command = ["grade", str(folder), "-a", ASSIGNMENT, "--out", str(run), "--workers", "1"]
    return cli(*command, *extra, data=data)


def gradebook(run: Path) -> dict[str, str]:
    with (run / "gradebook.csv").open(encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}[STUDENT]


def canvas_score(run: Path) -> str:
    with (run / "canvas.csv").open(encoding="utf-8") as handle:
        return {row[1]: row[5] for row in csv.reader(handle)}[STUDENT]


def graded_at(run: Path) -> dict[str, str]:
    with sqlite3.connect(run / DB_NAME) as db:
        return dict(db.execute("SELECT exercise, graded_at FROM exercises"))


def exercises_of_last_grading(run: Path) -> set[str]:
    """The exercises the latest grading of the submission ran (its timings name them)."""
    with sqlite3.connect(run / DB_NAME) as db:
        (text,) = db.execute("SELECT result_json FROM submissions").fetchone()
    return set(json.loads(text)["timings"]["exercises"])


@pytest.fixture(scope="module")
def unit_run(course: Course, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The class (one reference notebook) and its run, graded with --no-training."""
    folder = tmp_path_factory.mktemp("class")
    shutil.copyfile(course.master_notebook(ASSIGNMENT), folder / NOTEBOOK)
    run = tmp_path_factory.mktemp("unit-run") / "run"
    grade(folder, run, "--no-training")
    return folder, run


@pytest.fixture
def copied(unit_run: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the class (under the same name: it names the submissions) and of its run."""
    folder, run = tmp_path / unit_run[0].name, tmp_path / "run"
    shutil.copytree(unit_run[0], folder)
    shutil.copytree(unit_run[1], run)
    return folder, run


@pytest.mark.slow
def test_a_run_without_training_is_incomplete_until_the_training_checks_are_graded(
    copied: tuple[Path, Path], course_data_dir: Path
) -> None:
    folder, run = copied
    row = gradebook(run)
    assert row["status"] == "incomplete: not graded yet: names_training, charlm_training"
    assert float(row["total"]) == 14 and float(row["max_points"]) == 22
    assert canvas_score(run) == ""  # not final: Canvas keeps the student's grade as it was
    with sqlite3.connect(run / DB_NAME) as db:
        assert db.execute("SELECT status FROM submissions").fetchone() == ("incomplete",)

    allowed = cli("export", str(run), "--allow-incomplete")
    assert canvas_score(run) == "14"
    assert "not final: 1 student(s), in canvas.csv with their partial totals" in allowed
    assert f"{STUDENT}: incomplete: not graded yet: names_training, charlm_training" in allowed

    before = graded_at(run)
    again = grade(folder, run, data=course_data_dir)
    assert "graded 1," in again and "already graded 0" in again
    assert "completed: 1 incomplete submission(s), graded what they lacked" in again
    assert exercises_of_last_grading(run) == set(TRAINING)
    after = graded_at(run)
    assert {e: after[e] for e in UNIT} == {e: before[e] for e in UNIT}
    row = gradebook(run)
    assert row["status"] == "complete", row
    assert all(row[e] != "" for e in TRAINING)
    assert float(row["total"]) == 22 and canvas_score(run) == "22"
    assert "not final" not in again
    assert "graded 0," in grade(folder, run, data=course_data_dir)  # nothing left to grade


@pytest.mark.slow
def test_changed_points_are_rescaled_at_export_and_said(
    copied: tuple[Path, Path], course: Course, tmp_path: Path
) -> None:
    _, run = copied
    edit = {"custom_rnn: {points: 4}": "custom_rnn: {points: 5}"}
    changed = scratch_course(course, tmp_path / "course", edit)
    # in English: this test reads the feedback's words (test_i18n reads the Korean)
    said = cli("export", str(run), "--allow-incomplete", "--lang", "en", config=changed.config_path)
    expected = (
        "rescaled: custom_rnn was graded out of 4 points and grader.yaml now gives 5: "
        "1 result(s) rescaled from their stored fraction"
    )
    assert expected in said
    row = gradebook(run)
    assert row["custom_rnn"] == "5" and float(row["total"]) == 15
    assert float(row["max_points"]) == 23 and canvas_score(run) == "15"
    feedback = (run / "feedback" / f"{STUDENT}.md").read_text(encoding="utf-8")
    assert "- custom_rnn: graded out of 4, now worth 5" in feedback
    assert "**Total: 15 / 23**" in feedback  # as the gradebook: every exercise counts in the max
    results = json.loads((run / "results" / f"{STUDENT}.json").read_text(encoding="utf-8"))
    assert results["score"] == 15 and results["extra_data"]["max_points"] == 15


@pytest.mark.slow
def test_a_file_edited_in_place_is_graded_again_without_regrade(
    copied: tuple[Path, Path], course: Course
) -> None:
    folder, run = copied
    submissions.write(submissions.blank(course, ASSIGNMENT), folder, Path(NOTEBOOK).stem)
    said = grade(folder, run, "--no-training")
    assert f"edited since graded: 1 submission(s) ({STUDENT}), graded again" in said
    assert f"changed: {STUDENT} custom_rnn: 4 -> 0" in said
    assert exercises_of_last_grading(run) == set(UNIT)
    row = gradebook(run)
    assert float(row["total"]) == 0
    assert row["status"] == "incomplete: not graded yet: names_training, charlm_training"


@pytest.mark.slow
def test_a_changed_definition_regrades_its_exercises_and_says_how_many(
    copied: tuple[Path, Path],
) -> None:
    folder, run = copied
    with sqlite3.connect(run / DB_NAME) as db:
        db.execute(
            "UPDATE exercises SET fingerprint='0000000000000000' "
            "WHERE exercise IN ('custom_rnn', 'char_rnn')"
        )
    export = cli("export", str(run))
    assert "graded under an older definition: custom_rnn, char_rnn" in gradebook(run)["status"]
    assert "not final: 1 student(s), no score in canvas.csv" in export
    said = grade(folder, run, "--no-training")
    assert "definition changed: char_rnn: 1 result(s) graded again" in said
    assert "definition changed: custom_rnn: 1 result(s) graded again" in said
    assert exercises_of_last_grading(run) == {"custom_rnn", "char_rnn"}
    assert gradebook(run)["status"] == "incomplete: not graded yet: names_training, charlm_training"


@pytest.mark.slow
def test_a_store_from_before_the_record_opens_and_its_scores_are_graded_again(
    copied: tuple[Path, Path], course: Course
) -> None:
    _, run = copied
    with sqlite3.connect(run / DB_NAME) as db:  # the store as the first release wrote it
        for table, column in [
            ("exercises", "sha256"),
            ("exercises", "fingerprint"),
            ("exercises", "grader_version"),
            ("submissions", "sha256"),
            ("submissions", "graded_sha256"),
        ]:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    store = Store(run / DB_NAME)
    try:
        (submission,) = store.submissions()
        assert submission.sha256 is None and submission.status == "incomplete"
        spec = course.config.assignment(ASSIGNMENT)
        planned, why = to_grade(store, spec, False, None, False, Definitions(course, ASSIGNMENT))
    finally:
        store.close()
    assert [(s.student, todo) for s, todo in planned] == [(STUDENT, list(UNIT))]
    assert why.unrecorded == len(UNIT) and why.already_graded == 0


def test_a_definition_fingerprint_covers_modules_settings_and_calibration_but_not_points(
    course: Course, tmp_path: Path
) -> None:
    from autograder.exercises import fingerprint

    modules = set(fingerprint._sources(f"autograder.exercises.{ASSIGNMENT}.custom_rnn"))
    assert {
        f"autograder.exercises.{ASSIGNMENT}.custom_rnn",
        f"autograder.exercises.{ASSIGNMENT}.shared",
        "autograder.exercises.common",
        f"solutions.{ASSIGNMENT}",
    } <= modules
    assert f"autograder.exercises.{ASSIGNMENT}.char_rnn" not in modules  # another exercise's

    def fingerprints(of: Course) -> dict[tuple[str, str | None], str]:
        definitions = Definitions(of, ASSIGNMENT)
        keys = [("custom_rnn", None), ("names_training", "cpu"), ("charlm_training", "cpu")]
        return {key: definitions.of(*key) for key in keys}

    now = fingerprints(course)
    points = {"custom_rnn: {points: 4}": "custom_rnn: {points: 5}"}
    assert fingerprints(scratch_course(course, tmp_path / "points", points)) == now
    budget = {"cpu: {steps: 3200, seconds: 60": "cpu: {steps: 3200, seconds: 61"}
    changed = fingerprints(scratch_course(course, tmp_path / "budget", budget))
    assert changed[("names_training", "cpu")] != now[("names_training", "cpu")]
    assert {k: v for k, v in changed.items() if k[0] != "names_training"} == {
        k: v for k, v in now.items() if k[0] != "names_training"
    }
    recalibrated = scratch_course(course, tmp_path / "calibration")
    with (recalibrated.root / "calibration" / "cpu" / "charlm_training.json").open("a") as file:
        file.write("\n")
    changed = fingerprints(recalibrated)
    assert changed[("charlm_training", "cpu")] != now[("charlm_training", "cpu")]
    assert changed[("names_training", "cpu")] == now[("names_training", "cpu")]


@pytest.mark.slow
def test_a_grader_failure_is_never_the_students_zero_and_the_next_run_grades_it(
    course: Course, tmp_path: Path
) -> None:
    """A course checkout without its master notebook: the grader cannot grade (its public checks
    come from that notebook). The submission is the grader's failure, not a 0 in Canvas, and
    the run after the checkout is repaired grades it."""
    scratch = scratch_course(course, tmp_path / "course")
    master = scratch.master_notebook(ASSIGNMENT)
    kept = master.read_bytes()
    master.unlink()
    folder, run = tmp_path / "class", tmp_path / "run"
    folder.mkdir()
    shutil.copyfile(course.master_notebook(ASSIGNMENT), folder / NOTEBOOK)
    command = ["grade", str(folder), "-a", ASSIGNMENT, "--out", str(run), "--no-training"]
    broken = cli(*command, config=scratch.config_path)
    assert "could not grade 1" in broken
    row = gradebook(run)
    assert row["status"].startswith("incomplete: not graded yet: one_hot_encode_string"), row
    assert "cannot read the master notebook" in row["message"]
    assert canvas_score(run) == ""  # never the student's 0
    with sqlite3.connect(run / DB_NAME) as db:
        assert db.execute("SELECT status FROM submissions").fetchone() == ("grader_error",)

    master.write_bytes(kept)
    repaired = cli(*command, config=scratch.config_path)
    assert "graded 1," in repaired, repaired
    assert float(gradebook(run)["total"]) == 14
