"""Submission limits counted from Gradescope's own record of earlier submissions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.gradescope.metadata import read_metadata
from autograder.policies.limits import FULL_GRADING, SubmissionLimit, allowance

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=timezone.utc)
THREE_A_DAY = SubmissionLimit(full_gradings=3, window_hours=24)


def hours_ago(*hours: float) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours]


def test_no_limit_grades_everything() -> None:
    assert allowance(None, NOW, hours_ago(1, 2, 3, 4)).full


def test_under_the_limit_grades_in_full() -> None:
    found = allowance(THREE_A_DAY, NOW, hours_ago(1, 2, 30))  # one is outside the window
    assert found.full and found.used == 2


def test_past_the_limit_says_when_the_next_full_grading_is() -> None:
    found = allowance(THREE_A_DAY, NOW, hours_ago(1, 5, 20, 30))
    assert not found.full and found.used == 3
    assert found.next_full_at == NOW - timedelta(hours=20) + timedelta(hours=24)


def write(root: Path, data: object) -> Path:
    (root / "submission_metadata.json").write_text(json.dumps(data), encoding="utf-8")
    return root


def test_metadata_gives_times_submitters_and_earlier_full_gradings(tmp_path: Path) -> None:
    data = {
        "created_at": "2026-12-09T21:00:00.365935+09:00",
        "assignment": {"due_date": "2026-12-10T23:59:00.000000+09:00", "late_due_date": None},
        "users": [
            {
                "id": 77,
                "name": "Student",
                "assignment": {"due_date": "2026-12-12T23:59:00+09:00"},  # an extension
            }
        ],
        "previous_submissions": [
            {"submission_time": "2026-12-09T10:00:00+09:00", "score": 3.0, "results": {}},
            {
                "submission_time": "2026-12-09T11:00:00+09:00",
                "score": 0.0,
                "results": {"extra_data": {FULL_GRADING: False}},
            },
        ],
    }
    found = read_metadata(write(tmp_path, data))
    assert found.submitted_at == datetime(2026, 12, 9, 12, 0, 0, 365935, tzinfo=timezone.utc)
    assert found.due == datetime(2026, 12, 12, 14, 59, tzinfo=timezone.utc)
    assert found.students == ("77",)
    # a public-only run does not count against the limit; one without the mark does
    assert found.full_gradings() == [datetime(2026, 12, 9, 1, 0, tzinfo=timezone.utc)]
    assert found.problems == []


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (None, "missing"),
        ("[1, 2", "unreadable"),
        ([1, 2], "not a JSON object"),
        ({"created_at": "yesterday"}, "'yesterday' is not a date"),
        ({"created_at": "2026-12-09T21:00:00"}, "has no time zone"),
    ],
)
def test_unusable_metadata_means_nothing_known_and_says_why(
    tmp_path: Path, data: object, says: str
) -> None:
    if isinstance(data, str):
        (tmp_path / "submission_metadata.json").write_text(data, encoding="utf-8")
    elif data is not None:
        write(tmp_path, data)
    found = read_metadata(tmp_path)
    assert found.submitted_at is None
    assert any(says in problem for problem in found.problems), found.problems
