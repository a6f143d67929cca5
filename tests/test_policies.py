"""Course policies where they apply: late penalties and submission limits on Gradescope, and in a
batch the late rule from file times, extensions, the hard close and TA adjustments in every export.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.config import Course
from autograder.gradescope.package import build_gradescope_zip
from autograder.gradescope.policies import submission_policy
from autograder.gradescope.run import main
from autograder.policies.late import CreditWindow, LatePolicy
from autograder.policies.limits import FULL_GRADING, SubmissionLimit
from tests import submissions
from tests.test_gradescope import ASSIGNMENT, autograder_root

SEOUL = timezone(timedelta(hours=9))
DUE = datetime(2026, 12, 10, 23, 59, tzinfo=SEOUL)
RULE = LatePolicy(
    due=DUE,
    grace_minutes=10,
    windows=[CreditWindow(within_days=1, credit=0.9), CreditWindow(within_days=3, credit=0.7)],
    close=DUE + timedelta(days=5),
)
LIMIT = SubmissionLimit(full_gradings=2, window_hours=24)


@pytest.fixture(scope="module")
def zip_path(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gradescope_zip(course, ASSIGNMENT, tmp_path_factory.mktemp("dist"))


def with_rules(course: Course, late: LatePolicy | None, limit: SubmissionLimit | None) -> Course:
    changed = copy.copy(course)
    spec = course.config.assignments[ASSIGNMENT].model_copy(
        update={"late": late, "submission_limit": limit}
    )
    assignments = {**course.config.assignments, ASSIGNMENT: spec}
    changed.config = course.config.model_copy(update={"assignments": assignments})
    return changed


def metadata(root: Path, created: datetime, previous: list[tuple[datetime, bool, float]] = (),
             due: datetime = DUE) -> Path:  # fmt: skip
    """Gradescope's submission_metadata.json for one student (77) under `root`."""
    data = {
        "created_at": created.isoformat(),
        "assignment": {"due_date": DUE.isoformat(), "late_due_date": None},
        "users": [
            {"id": 77, "email": "s77@example.edu", "assignment": {"due_date": due.isoformat()}}
        ],
        "previous_submissions": [
            {
                "submission_time": when.isoformat(),
                "score": score,
                "results": {"extra_data": {FULL_GRADING: full}},
            }
            for when, full, score in previous
        ],
    }
    (root / "submission_metadata.json").write_text(json.dumps(data), encoding="utf-8")
    return root


def graded(points: float = 10.0) -> dict:
    return {"score": points, "output": "summary", "extra_data": {"status": "graded"}, "tests": []}


@pytest.mark.parametrize(
    ("late_by", "due", "score", "says"),
    [
        (timedelta(minutes=5), DUE, 10.0, None),
        (timedelta(hours=12), DUE, 9.0, "90% credit"),
        (timedelta(days=2), DUE, 7.0, "70% credit"),
        (timedelta(days=4), DUE, 0.0, "later than every credit window"),
        (timedelta(days=6), DUE, 0.0, "after the hard close"),
        (timedelta(days=2), DUE + timedelta(days=3), 10.0, "extended"),  # Gradescope's extension
    ],
)
def test_gradescope_late_penalty_from_the_metadata(
    course: Course, tmp_path: Path, late_by: timedelta, due: datetime, score: float, says: str
) -> None:
    root = metadata(tmp_path, DUE + late_by, due=due)
    policy = submission_policy(with_rules(course, RULE, None), ASSIGNMENT, root)
    document = policy.apply(graded(), 10.0, "en")
    assert document["score"] == pytest.approx(score)
    assert document["extra_data"][FULL_GRADING] is True
    if says is None:
        assert document["output"] == "summary"
    else:
        assert says in document["output"] and document["output"].endswith("summary")


def test_an_extension_from_the_course_csv_counts_on_gradescope(
    course: Course, tmp_path: Path
) -> None:
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,days\ns77@example.edu,3\n", encoding="utf-8")
    rule = RULE.model_copy(update={"extensions": extensions})
    root = metadata(tmp_path, DUE + timedelta(days=2))
    document = submission_policy(with_rules(course, rule, None), ASSIGNMENT, root).apply(
        graded(), 10.0, "ko"
    )
    assert document["score"] == 10.0 and "연장" in document["output"]


def test_past_the_submission_limit_only_public_checks_and_the_last_full_score(
    course: Course, tmp_path: Path
) -> None:
    now = DUE - timedelta(days=1)
    previous = [
        (now - timedelta(hours=20), True, 8.0),
        (now - timedelta(hours=3), False, 0.0),  # past the limit then: does not count
        (now - timedelta(hours=2), True, 11.0),
    ]
    root = metadata(tmp_path, now, previous)
    policy = submission_policy(with_rules(course, None, LIMIT), ASSIGNMENT, root)
    assert not policy.full and policy.allowance.used == 2
    document = policy.apply(graded(0.0), 0.0, "en")
    assert document["score"] == 11.0
    assert document["extra_data"][FULL_GRADING] is False
    assert "only the public checks ran" in document["output"]
    next_full = now - timedelta(hours=20) + timedelta(hours=24)  # as Gradescope's clock says
    assert f"{next_full:%Y-%m-%d %H:%M} UTC+09:00" in document["output"]


def test_no_metadata_applies_nothing_and_says_why(course: Course, tmp_path: Path) -> None:
    policy = submission_policy(with_rules(course, RULE, LIMIT), ASSIGNMENT, tmp_path)
    assert policy.full and policy.lateness is None
    assert any("missing" in problem for problem in policy.problems)


@pytest.mark.slow
def test_gradescope_run_past_the_limit_runs_the_public_checks_only(
    course: Course, zip_path: Path, tmp_path: Path
) -> None:
    root = autograder_root(zip_path, tmp_path, submissions.reference(course, ASSIGNMENT))
    config = root / "source" / "grader.yaml"
    text = config.read_text(encoding="utf-8").replace(
        f"  {ASSIGNMENT}:\n", f"  {ASSIGNMENT}:\n    submission_limit: {{full_gradings: 1}}\n", 1
    )
    config.write_text(text, encoding="utf-8")
    earlier = datetime.now(timezone.utc) - timedelta(hours=1)
    metadata(root, datetime.now(timezone.utc), [(earlier, True, 12.5)])
    assert main(root) == 0
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 12.5 and results["extra_data"][FULL_GRADING] is False
    assert results["tests"], "the public checks still answer"
    public = [t for t in results["tests"] if t["visibility"] == "visible"]
    assert public == results["tests"], "no hidden check ran past the limit"
    assert all(t["status"] == "passed" for t in results["tests"])


# --- a batch ---------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "autograder.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "RNN_GRADER_TA": "ta-kim"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def dated(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


@pytest.mark.slow
def test_a_batch_applies_the_late_rule_extensions_and_adjustments(
    course: Course, tmp_path: Path
) -> None:
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("student,days\nextended,3\n", encoding="utf-8")
    rule = (
        f"  {ASSIGNMENT}:\n    late:\n      due: 2026-12-10T23:59\n      grace_minutes: 10\n"
        "      windows: [{within_days: 1, credit: 0.9}, {within_days: 3, credit: 0.7}]\n"
        f"      close: 2026-12-15T23:59\n      extensions: {extensions}\n"
    )
    scratch = submissions.scratch_course(course, tmp_path / "course", {f"  {ASSIGNMENT}:\n": rule})
    folder = tmp_path / "class"
    folder.mkdir()
    reference = submissions.reference(course, ASSIGNMENT)
    for student, late_by in {
        "ontime": timedelta(hours=-5),
        "windowed": timedelta(days=2),
        "extended": timedelta(days=2),
        "closed": timedelta(days=6),
    }.items():
        dated(submissions.write(reference, folder, student), DUE + late_by)
    config = str(scratch.config_path)
    run = tmp_path / "run"
    graded_out = run_cli("grade", str(folder), "-a", ASSIGNMENT, "--out", str(run),
                         "--no-training", "--config", config, "--lang", "en")  # fmt: skip
    assert "modification times" in graded_out.stdout  # the file times are said to be the source
    run_cli("adjust", str(run), "ontime", "custom_rnn", "--points", "3", "--reason",
            "hand-checked the loop", "--config", config)  # fmt: skip
    rows = {r["student"]: r for r in csv.DictReader((run / "gradebook.csv").open())}
    exercises = course.config.assignment(ASSIGNMENT).exercises
    full = sum(e.points for e in exercises.values() if e.training is None)  # --no-training
    assert float(rows["ontime"]["raw_total"]) == pytest.approx(full - 1)  # custom_rnn 4 -> 3
    assert float(rows["ontime"]["total"]) == pytest.approx(full - 1)
    assert "custom_rnn: 3 (automatic 4; ta-kim" in rows["ontime"]["adjusted"]
    assert float(rows["windowed"]["total"]) == pytest.approx(0.7 * full)
    assert float(rows["windowed"]["penalty"]) == pytest.approx(0.3 * full)
    assert rows["windowed"]["time_source"] == "file" and rows["windowed"]["late"] == "yes"
    assert float(rows["extended"]["total"]) == pytest.approx(full)
    assert float(rows["closed"]["total"]) == 0.0
    # unit checks only: incomplete totals stay out of canvas.csv; --allow-incomplete shows them
    run_cli("export", str(run), "--allow-incomplete", "--config", config)
    canvas = {r[1]: r[5] for r in csv.reader((run / "canvas.csv").open())}
    assert float(canvas["windowed"]) == pytest.approx(0.7 * full)
    assert float(canvas["ontime"]) == pytest.approx(full - 1)
    page = (run / "feedback" / "windowed.html").read_text(encoding="utf-8")
    assert "70%" in page
    adjusted = (run / "feedback" / "ontime.md").read_text(encoding="utf-8")
    assert "hand-checked the loop" in adjusted and "ta-kim" in adjusted
    report = (run / "report.html").read_text(encoding="utf-8")
    assert "late by at most 3 day(s): 70% credit" in report
    assert "hand-checked the loop" in report
    # the student's file changes and is graded again: the adjustment stands, and is flagged
    mistake = submissions.with_mistakes(
        course, ASSIGNMENT, {"custom_rnn": next(iter(_custom_rnn_mistakes()))}
    )
    dated(submissions.write(mistake, folder, "ontime"), DUE - timedelta(hours=1))
    regraded = run_cli("grade", str(folder), "-a", ASSIGNMENT, "--out", str(run),
                       "--no-training", "--config", config)  # fmt: skip
    assert "review: ontime custom_rnn" in regraded.stdout
    rows = {r["student"]: r for r in csv.DictReader((run / "gradebook.csv").open())}
    assert rows["ontime"]["custom_rnn"] == "3"
    assert "[review: the automatic score changed since]" in rows["ontime"]["adjusted"]


def _custom_rnn_mistakes():
    from autograder.exercises import exercises_for

    (exercise,) = exercises_for(ASSIGNMENT, ["custom_rnn"])
    return exercise.mistakes
