"""Batch grading: a class in one command, nothing lost on a kill, regrades that say what changed."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from autograder.batch.runner import DB_NAME
from autograder.cli import app
from autograder.config import Course
from autograder.demo import write_class
from tests.submissions import scratch_course

pytestmark = pytest.mark.slow
ASSIGNMENT = "names_charlm"


@pytest.fixture(scope="module")
def class_folder(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_class(course, tmp_path_factory.mktemp("class"))[0].parent


def gradebook(run: Path) -> list[dict[str, str]]:
    with (run / "gradebook.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def grade_command(class_folder: Path, run: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder.cli",
        "grade",
        str(class_folder),
        "--assignment",
        ASSIGNMENT,
        "--out",
        str(run),
        "--workers",
        "2",
        "--no-training",  # unit checks only, whether or not this machine has the course data
        *extra,
    ]


@pytest.fixture(scope="module")
def full_run(class_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(app, grade_command(class_folder, run)[3:])  # without python -m
    assert result.exit_code == 0, result.output
    return run


def test_batch_grades_the_class_and_exports_everything(full_run: Path) -> None:
    rows = {row["student"]: row for row in gradebook(full_run)}
    # graded --no-training: the total is not final, and the status says what is missing
    assert float(rows["1001"]["total"]) == 14
    assert rows["1001"]["status"] == "incomplete: not graded yet: names_training, charlm_training"
    assert rows["1001"]["confinement"] == "namespaces"  # the tier this machine's preflight proved
    assert float(rows["1002"]["total"]) == 0
    for student in ("1003", "1004", "1005"):
        assert 0 < float(rows[student]["total"]) < 14, rows[student]
    assert rows["1090"]["status"] == "error" and "JSON" in rows["1090"]["message"]
    assert rows["1091"]["status"] == "error" and ".py" in rows["1091"]["message"]
    with (full_run / "canvas.csv").open(encoding="utf-8") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert ["", "1001", "", "", "", ""] in canvas  # an incomplete total never reaches Canvas
    feedback = (full_run / "feedback" / "1003.md").read_text(encoding="utf-8")
    assert "총점:" in feedback and "##" in feedback  # the course's language: Korean
    page = (full_run / "feedback" / "1003.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<table" in page and "<tr" in page
    refused = (full_run / "feedback" / "1090.md").read_text(encoding="utf-8")
    assert "JSON" in refused and "/ 0**" not in refused and str(full_run) not in refused
    assert (full_run / "results" / "1001.json").is_file()


def test_killed_batch_resumes_without_regrading_or_duplicates(
    class_folder: Path, full_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    process = subprocess.Popen(
        grade_command(class_folder, run),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = run / DB_NAME
    deadline = time.monotonic() + 240
    finished_before: dict[str, str] = {}
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        if database.exists():
            finished_before = _finished(database)
            if len(finished_before) >= 2:
                break
    assert process.poll() is None, "the batch ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished_before = _finished(database)
    total = len(list(class_folder.glob("*.ipynb")))  # the .py file is refused at intake
    assert 2 <= len(finished_before) < total

    resumed = subprocess.run(grade_command(class_folder, run), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    finished_after = _finished(database)
    assert len(finished_after) == total
    for source, moment in finished_before.items():
        assert finished_after[source] == moment, f"{source} was graded again"
    with sqlite3.connect(database) as db:
        duplicates = db.execute(
            "SELECT source, exercise, COUNT(*) FROM exercises GROUP BY source, exercise "
            "HAVING COUNT(*) > 1"
        ).fetchall()
    assert duplicates == []
    assert gradebook(run) == gradebook(full_run)


def test_regrade_reports_score_changes(class_folder: Path, course: Course, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    blank = next(p for p in class_folder.iterdir() if p.name.startswith("babbage"))
    target = folder / blank.name
    target.write_bytes(blank.read_bytes())
    run = tmp_path / "run"
    first = subprocess.run(grade_command(folder, run), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    nbformat.write(nbformat.read(course.master_notebook(ASSIGNMENT), as_version=4), target)
    again = subprocess.run(
        grade_command(folder, run, "--regrade", "--only", "custom_rnn"),
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0, again.stderr
    assert "changed: 1002 custom_rnn: 0 -> 4" in again.stdout
    rows = gradebook(run)
    assert rows[0]["custom_rnn"] == "4" and rows[0]["one_hot_encode_string"] == "0"


def _finished(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT source, finished_at FROM submissions WHERE finished_at IS NOT NULL "
            "AND intake_error IS NULL"
        ).fetchall()
    return dict(rows)


def test_a_batch_where_no_tier_holds_grades_nothing_and_leaves_no_worker(
    class_folder: Path, course: Course, tmp_path: Path
) -> None:
    """The first worker proves the tier while the others start; when no tier holds, the driver
    says why and every worker stops. Here the container tier's uid is taken (nobody's)."""
    from autograder.batch import runner
    from autograder.sandbox.tiers import IsolationError

    edits = {"confinement: auto": "confinement: container", "uid_base: 61000": "uid_base: 65534"}
    scratch = scratch_course(course, tmp_path / "course", edits)
    assert scratch.config.sandbox.uid_base == 65534
    with pytest.raises(IsolationError, match="uid 65534 belongs to user nobody"):
        runner.run_batch(scratch, ASSIGNMENT, class_folder, tmp_path / "run", workers=2)
    deadline = time.monotonic() + 30
    while runner.mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not runner.mp.active_children()
    with sqlite3.connect(tmp_path / "run" / DB_NAME) as db:
        statuses = {row[0] for row in db.execute("SELECT status FROM submissions")}
    assert "pending" in statuses and not statuses & {"graded", "grader_error"}, statuses
