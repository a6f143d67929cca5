"""The pages people read, opened in a real browser: what a student, a TA and an instructor see.

One small class of names_charlm is graded for real, training checks included (so that feedback
pages carry learning curves): the reference, a notebook with known mistakes and a truncated file.
Each test opens one page in headless Chromium, asserts on the text and elements a reader sees,
and saves a full-page screenshot in its temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.authoring.mistake_table import unit_exercises
from autograder.config import Course
from autograder.demo import write_class
from tests.browser import Page

pytestmark = pytest.mark.slow
ASSIGNMENT = "names_charlm"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: the demo class's students this module grades: reference, first mistake round, truncated file
LMS_IDS = {"lovelace": "1001", "hopper": "1003", "knuth": "1090"}


@pytest.fixture(scope="module")
def graded_run(
    course: Course, course_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    everyone = tmp_path_factory.mktemp("everyone")
    folder = tmp_path_factory.mktemp("class")
    for path in write_class(course, everyone):
        if path.name.split("_")[0] in LMS_IDS:
            shutil.copy(path, folder / path.name)
    run = tmp_path_factory.mktemp("run")
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade", str(folder), "-a", ASSIGNMENT]
        + ["--out", str(run), "--workers", "2"],
        env={**os.environ, "RNN_GRADER_DATA": str(course_data_dir)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return run


def feedback_page(run: Path, student: str) -> Path:
    """`student`'s page, named by the LMS id the demo class gives it (hopper_1003_... -> 1003)."""
    return run / "feedback" / f"{LMS_IDS[student]}.html"


def test_a_students_feedback_page_reads_as_a_page(graded_run: Path, page: Page) -> None:
    page.open(feedback_page(graded_run, "hopper"))
    text = page.visible_text()
    assert HANGUL.search(text), "the student's feedback is not in Korean"
    rows = page.elements("table tr")
    assert len(rows) >= 1 + 6, "the score table should have a header and one row per exercise"
    cells = [cell.text for cell in page.elements("table tr:nth-child(2) td")]
    assert len(cells) >= 3 and all(cells), cells
    assert "##" not in text and "**" not in text, "raw Markdown on the page"
    assert "/tmp/" not in text and str(graded_run) not in text
    images = page.images_loaded()
    assert len(images) == 2, "one learning curve per training check"
    assert all(drawn for _, drawn in images), images
    assert page.screenshot("feedback-hopper").stat().st_size > 10_000


def test_the_page_of_a_file_that_could_not_be_graded_says_why(graded_run: Path, page: Page) -> None:
    page.open(feedback_page(graded_run, "knuth"))
    text = page.visible_text()
    assert HANGUL.search(text)
    assert "0 / 0" not in text
    assert "JSON" in text, "the reason (not a notebook: broken JSON) is missing"
    page.screenshot("feedback-knuth")


def test_the_class_report_reads_as_a_page(graded_run: Path, page: Page) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "report", str(graded_run), "--lang", "ko"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page.open(graded_run / "report.html")
    text = page.visible_text()
    assert HANGUL.search(text), "--lang ko gave no Korean"
    for section in ("distribution", "exercises", "checks", "training", "problems", "students"):
        assert page.elements(f"section#{section}"), f"no {section} section"
    students = page.elements("section.student")
    assert {s.get_attribute("data-student") for s in students} == {"1001", "1003", "1090"}
    exercise_rows = page.elements("#exercises-table tbody tr")
    assert len(exercise_rows) == 8, "one row per exercise of names_charlm"
    images = page.images_loaded()
    assert len(images) >= 3, "the distribution and one figure per training check"
    assert all(drawn for _, drawn in images), images
    assert "/tmp/" not in text and "##" not in text
    assert page.screenshot("report").stat().st_size > 10_000


def test_a_release_check_page_reads_as_a_page(
    course: Course, course_data_dir: Path, tmp_path: Path, page: Page
) -> None:
    """The instructor's report card of rnn_basics (one seed; training judged from the
    calibration records): every known mistake a row, caught and named, nothing surprising."""
    out = tmp_path / "release-check"
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "release-check", "-a", "rnn_basics"]
        + ["--seeds", "1", "--no-training", "--out", str(out)],
        env={**os.environ, "RNN_GRADER_DATA": str(course_data_dir)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page.open(out / "rnn_basics.html")
    text = page.visible_text()
    for section in ("summary", "surprises", "gradings", "calibration", "unit-mistakes"):
        assert page.elements(f"section#{section}"), f"no {section} section"
    cells = page.elements("#unit-mistakes td[data-caught]")
    mistakes = sum(len(e.mistakes) for e in unit_exercises(course, "rnn_basics"))
    assert len(cells) == mistakes, "one verdict per known mistake at the one seed"
    assert {c.get_attribute("data-caught") for c in cells} == {"true"}
    assert {c.get_attribute("data-named") for c in cells} == {"true"}
    assert not page.elements("#surprises td"), "a clean release lists no surprise"
    assert "/tmp/" not in text and "##" not in text
    page.screenshot("release-check-rnn_basics")
