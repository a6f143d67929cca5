"""The class report: RUN/report.html agrees with the store on every count, lists what the staff
must look at with its reason, has a section per student and no path of the grading machine;
`rnn-grader show` prints one student's part, and refuses an unknown student or a folder that holds
no run."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autograder.batch.report import gather, open_run
from autograder.batch.report_page import render_html
from autograder.batch.runner import DB_NAME
from autograder.batch.store import Store
from autograder.cli import app
from autograder.config import Course
from autograder.demo import write_class
from autograder.engine.result import (
    CheckResult,
    ExerciseResult,
    NamedMistake,
    SubmissionResult,
    TrainingRecord,
)
from autograder.errors import GraderError
from autograder.training import calibration
from tests.test_feedback_html import PNG, Element, Tree

ASSIGNMENT = "names_charlm"
#: the demo class's students this run keeps: the reference, the blank template, two notebooks
#: with known mistakes (one of them marked late by its Canvas name), a truncated file, a .py file
KEPT = ("lovelace", "babbage", "hopper", "turing", "knuth", "liskov")
SECTIONS = (
    "distribution", "exercises", "checks", "mistakes", "training", "submissions", "problems",
    "students",
)  # fmt: skip


def _rows(table: Element) -> list[list[str]]:
    return [[td.content().strip() for td in tr.all("td")] for tr in table.all("tr") if tr.all("td")]


def _by_id(tree: Tree, ident: str) -> Element:
    found = [
        e for tag in ("section", "table") for e in tree.root.all(tag) if e.attrs.get("id") == ident
    ]
    assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
    return found[0]


@pytest.fixture(scope="module")
def graded(course: Course, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real run, graded --no-training: the run folder and what the grade command printed."""
    folder = tmp_path_factory.mktemp("class")
    for path in write_class(course, folder):
        if not path.name.startswith(KEPT):
            path.unlink()
    hopper = next(folder.glob("hopper_*"))
    # an earlier submission of hopper's (the blank template), superseded by the later one
    older = folder / hopper.name.replace("_5003_", "_4003_")
    older.write_bytes(next(folder.glob("babbage_*")).read_bytes())
    os.utime(older, (1_700_000_000, 1_700_000_000))
    turing = next(folder.glob("turing_*"))
    turing.rename(folder / turing.name.replace("turing_", "turing_late_"))
    run = tmp_path_factory.mktemp("run")
    command = ["grade", str(folder), "-a", ASSIGNMENT, "--out", str(run), "--workers", "2"]
    result = CliRunner().invoke(app, [*command, "--no-training"])
    assert result.exit_code == 0, result.output
    return run, result.output


@pytest.fixture(scope="module")
def page(graded: tuple[Path, str]) -> str:
    return (graded[0] / "report.html").read_text(encoding="utf-8")


def _counted(run: Path) -> dict[str, tuple[str, str]]:
    """student -> (source, status) of the file that counts, read from the store's own tables."""
    with sqlite3.connect(run / DB_NAME) as db:
        rows = db.execute("SELECT student, source, status FROM submissions WHERE superseded=0")
        return {student: (source, status) for student, source, status in rows}


def _exercise_rows(run: Path) -> list[tuple[str, str, float, str, str]]:
    with sqlite3.connect(run / DB_NAME) as db:
        return db.execute(
            "SELECT s.student, e.exercise, e.points, e.status, e.result_json FROM exercises e "
            "JOIN submissions s ON s.source = e.source WHERE s.superseded=0"
        ).fetchall()


@pytest.mark.slow
def test_grade_writes_the_report_and_ends_by_pointing_at_it(graded: tuple[Path, str]) -> None:
    run, output = graded
    assert (run / "report.html").is_file()
    last = output.strip().splitlines()[-1]
    assert last.startswith("report for TAs and instructors:") and "report.html" in last
    (run / "report.html").unlink()
    exported = CliRunner().invoke(app, ["export", str(run)])
    assert exported.exit_code == 0, exported.output
    assert (run / "report.html").is_file()
    assert exported.output.strip().splitlines()[-1].startswith("report for TAs and instructors:")


@pytest.mark.slow
def test_every_section_is_there_and_the_page_is_self_contained(graded, page: str) -> None:
    tree = Tree(page)
    for section in SECTIONS:
        _by_id(tree, section)
    assert "/tmp" not in page and "/work" not in page and str(graded[0]) not in page
    assert not tree.root.all("script") and not tree.root.all("link")
    images = tree.root.all("img")
    assert images
    for image in images:
        source = image.attrs["src"] or ""
        assert source.startswith("data:image/png;base64,"), source[:40]
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG)


@pytest.mark.slow
def test_the_distribution_counts_the_totals_in_the_store(graded, page: str) -> None:
    run = graded[0]
    counted = _counted(run)
    totals = Counter()
    for student, _, points, _, _ in _exercise_rows(run):
        totals[student] += points
    scored = [s for s, (_, status) in counted.items() if status not in {"grader_error", "pending"}]
    expected = Counter(min(int(totals[s] // 2), 10) for s in scored)  # 22 points: bins of 2
    rows = _rows(_by_id(Tree(page), "distribution-table"))
    assert [row[0] for row in rows][:2] == ["0–2", "2–4"] and rows[-1][0].startswith("20–22")
    assert [int(row[1]) for row in rows] == [expected[index] for index in range(11)]
    assert sum(int(row[1]) for row in rows) == len(scored) == 6  # every student has a score
    assert int(rows[0][1]) >= 3  # the blank template, the truncated file and the .py file


@pytest.mark.slow
def test_pass_rates_per_exercise_and_per_check_agree_with_the_store(graded, page: str) -> None:
    run = graded[0]
    stored = _exercise_rows(run)
    tree = Tree(page)
    exercises = {row[0]: row for row in _rows(_by_id(tree, "exercises-table"))}
    for exercise in {row[1] for row in stored}:
        statuses = Counter(status for _, e, _, status, _ in stored if e == exercise)
        graded_here = sum(n for status, n in statuses.items() if status != "not_graded")
        row = exercises[exercise]
        assert int(row[2]) == graded_here and int(row[3]) == statuses["passed"], row
        assert row[9] == f"{statuses['passed'] / graded_here:.0%}", row
    checks = {(row[0], row[1]): row for row in _rows(_by_id(tree, "checks-table"))}
    runs: Counter[tuple[str, str]] = Counter()
    passes: Counter[tuple[str, str]] = Counter()
    for _, exercise, _, status, result in stored:
        if status == "not_graded":
            continue
        for check in json.loads(result)["checks"]:
            runs[(exercise, check["name"])] += 1
            passes[(exercise, check["name"])] += check["passed"]
    assert set(checks) == set(runs)
    for key, n in runs.items():
        assert (int(checks[key][3]), int(checks[key][4])) == (passes[key], n), key
    # the training checks were left out (--no-training): every graded student waits for them
    assert exercises["names_training"][2] == "0" and exercises["names_training"][8] != "0"


@pytest.mark.slow
def test_late_superseded_refused_and_failed_files_are_listed_with_reasons(page: str) -> None:
    rows = _rows(_by_id(Tree(page), "problems-table"))
    by_file = {row[1]: row for row in rows}
    older = next(row for name, row in by_file.items() if "hopper_1003_4003" in name)
    assert older[2] == "superseded" and "hopper_1003_5003" in older[4]
    late = next(row for name, row in by_file.items() if "turing_late_1004" in name)
    assert late[3] == "late"
    refused = next(row for row in rows if row[0] == "1091")
    assert refused[2] == "refused" and ".py" in refused[4]
    truncated = next(row for row in rows if row[0] == "1090")
    assert truncated[2] == "error" and "JSON" in truncated[4]
    assert not any(row[0] == "1001" for row in rows)  # the reference counts, on time


@pytest.mark.slow
def test_each_student_has_a_section_with_their_exercises(graded, page: str) -> None:
    run = graded[0]
    tree = Tree(page)
    students = _by_id(tree, "students")
    sections = {
        s.attrs["data-student"]: s for s in students.all("section") if "data-student" in s.attrs
    }
    assert set(sections) == set(_counted(run))
    for student, section in sections.items():
        assert section.attrs["id"] == f"student-{student}"
    reference = sections["1001"]
    rows = _rows(reference.all("table")[0])
    stored = [row for row in _exercise_rows(run) if row[0] == "1001"]
    assert len(rows) == len(stored) and all(row[2] == "passed" for row in rows)
    hopper = sections["1003"].content()
    assert "hopper_1003_4003" in hopper and "superseded" in hopper
    assert "JSON" in sections["1090"].content()


@pytest.mark.slow
def test_show_prints_one_students_part(graded: tuple[Path, str]) -> None:
    run = graded[0]
    result = CliRunner().invoke(app, ["show", str(run), "1003"], terminal_width=120)
    assert result.exit_code == 0, result.output
    total = sum(points for student, _, points, _, _ in _exercise_rows(run) if student == "1003")
    assert result.output.startswith(f"1003: {round(total, 2):g}/22")
    assert "hopper_1003_4003_names_charlm.ipynb: superseded" in result.output
    for _, exercise, *_ in (row for row in _exercise_rows(run) if row[0] == "1003"):
        assert exercise in result.output
    assert "1001" not in result.output and str(run) not in result.output


@pytest.mark.slow
def test_show_and_report_refuse_what_they_cannot_show(graded, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(app, ["show", str(graded[0]), "9999"])
    said = " ".join(unknown.output.split())  # the message, unwrapped
    assert unknown.exit_code == 2 and "no student '9999' in this run; it has 1001" in said
    for command in (["show", str(tmp_path), "1001"], ["report", str(tmp_path)]):
        refused = CliRunner().invoke(app, command)
        said = " ".join(refused.output.split())
        assert refused.exit_code == 2 and "holds no run (grades.sqlite is missing)" in said, said


def _exercise(exercise: str, points: float, mistake: str | None = None, **extra) -> ExerciseResult:
    status = "passed" if points == 2 else "partial" if points else "failed"
    check = CheckResult(name="values", description="the values", hidden=True,
                        passed=points == 2, weight=1.0)  # fmt: skip
    named = NamedMistake(name=mistake, hint="look at the loop") if mistake else None
    return ExerciseResult(id=exercise, title=exercise, points=points, max_points=2.0,
                          status=status, checks=[check], mistake=named, **extra)  # fmt: skip


def _run(course: Course, tmp_path: Path, threshold: float) -> Store:
    """A store of three students: two who made the same named mistake, three training runs."""
    store = Store(tmp_path / DB_NAME)
    store.bind_assignment(ASSIGNMENT)
    for number, (mistake, best) in enumerate([(None, 0.5), ("forgot the state", 0.3),
                                              ("forgot the state", None)]):  # fmt: skip
        student, source = f"20{number}", f"class/s{number}.ipynb"
        store.register(source, student, f"/srv/run/{source}", None, False, False, None, "0" * 64)
        training = TrainingRecord(
            recipe="names_classifier", device="cpu", device_name="cpu", torch_version="2",
            seed=1, numpy_seed=1, random_seed=1, steps=3200, seconds=3.0, stopped="budget",
            metric="balanced_accuracy", threshold=threshold, best=best,
        )  # fmt: skip
        exercises = [
            _exercise("one_hot_encode_string", 0.5 if mistake else 2.0, mistake),
            _exercise("names_training", 2.0 if best and best > threshold else 0.0,
                      training=training),
        ]  # fmt: skip
        for exercise in exercises:
            store.record_exercise(source, student, exercise, "0" * 64, "f")
        result = SubmissionResult(
            assignment=ASSIGNMENT, submission=source, sha256="0" * 64, status="graded",
            points=sum(e.points for e in exercises), max_points=22.0, exercises=exercises,
            seed=1, torch_version="2", device="cpu", confined=True, seconds=4.0 + number,
        )  # fmt: skip
        store.finish(source, result, "0" * 64)
    return store


def test_named_mistakes_are_counted_with_their_students(course: Course, tmp_path: Path) -> None:
    store = _run(course, tmp_path, 0.37)
    report = gather(store, course, ASSIGNMENT)
    [mistake] = report.mistakes
    assert (mistake.exercise, mistake.name, mistake.students) == (
        "one_hot_encode_string", "forgot the state", ["201", "202"],
    )  # fmt: skip
    rows = _rows(_by_id(Tree(render_html(report)), "mistakes-table"))
    assert rows == [["one_hot_encode_string", "forgot the state", "2", "201, 202",
                     "look at the loop"]]  # fmt: skip


def test_training_checks_stand_beside_their_calibration(course: Course, tmp_path: Path) -> None:
    calibrated = calibration.load(course.root, "cpu", "names_training")
    assert calibrated is not None
    store = _run(course, tmp_path, calibrated["threshold"])
    [check] = gather(store, course, ASSIGNMENT).training
    assert [r.best for r in check.reached] == [0.5, 0.3, None]
    assert [r.passed for r in check.reached] == [True, False, False]
    assert check.reference == calibrated["reference"]["final"]
    assert set(check.mistakes) == {m["name"] for m in calibrated["mistakes"]}
    section = Tree(render_html(gather(store, course, ASSIGNMENT))).root
    [training] = [s for s in section.all("section") if s.attrs.get("id") == "training"]
    text = training.content()
    assert f"{len(calibrated['reference']['final'])} calibration runs" in text
    assert "1 of 3 runs met it" in text
    # graded against another threshold: the calibration on file describes another check
    (tmp_path / "other").mkdir()
    other = _run(course, tmp_path / "other", calibrated["threshold"] + 0.01)
    [elsewhere] = gather(other, course, ASSIGNMENT).training
    assert elsewhere.reference == [] and elsewhere.mistakes == {}


def test_a_folder_without_a_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="holds no run"):
        open_run(tmp_path)
