"""Late penalties: credit windows, deductions per day, grace, the hard close and extensions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from autograder.errors import GraderError
from autograder.i18n import render
from autograder.policies.late import (
    CreditWindow,
    Extension,
    LatePolicy,
    lateness,
    read_extensions,
)

SEOUL = timezone(timedelta(hours=9))
DUE = datetime(2026, 12, 10, 23, 59)  # read in Asia/Seoul
WINDOWS = LatePolicy(
    due=DUE,
    grace_minutes=10,
    windows=[CreditWindow(within_days=1, credit=0.9), CreditWindow(within_days=3, credit=0.7)],
    close=datetime(2026, 12, 14, 23, 59),
)


def at(days: float = 0, minutes: float = 0) -> datetime:
    return DUE.replace(tzinfo=SEOUL) + timedelta(days=days, minutes=minutes)


@pytest.mark.parametrize(
    ("submitted", "credit", "rule"),
    [
        (at(minutes=-1), 1.0, "on time"),
        (at(minutes=9), 1.0, "within the grace period: full credit"),
        (at(minutes=11), 0.9, "late by at most 1 day(s): 90% credit"),
        (at(days=1), 0.9, "late by at most 1 day(s): 90% credit"),
        (at(days=2.5), 0.7, "late by at most 3 day(s): 70% credit"),
        (at(days=3.5), 0.0, "later than every credit window: no credit"),
        (at(days=4.1), 0.0, "after the hard close: no credit"),
    ],
)
def test_each_credit_window(submitted: datetime, credit: float, rule: str) -> None:
    found = lateness(WINDOWS, submitted, "gradescope")
    assert found.credit == credit
    assert render(found.rule, "en") == rule
    assert found.final(8.0) == pytest.approx(8.0 * credit)
    assert found.penalty(8.0) == pytest.approx(8.0 * (1 - credit))


def test_a_time_in_another_zone_is_compared_as_the_same_instant() -> None:
    utc = at(minutes=5).astimezone(timezone.utc)  # 14:54 UTC is 23:54 in Seoul
    assert lateness(WINDOWS, utc, "lms").credit == 1.0
    naive = DUE + timedelta(hours=2)  # a naive time is read in the course's zone
    assert lateness(WINDOWS, naive, "file").late_by == timedelta(hours=2)


def test_deduction_per_started_day_never_goes_below_zero() -> None:
    policy = LatePolicy(due=DUE, deduction_per_day=0.25)
    assert lateness(policy, at(minutes=1), "lms").credit == 0.75
    assert lateness(policy, at(days=1, minutes=1), "lms").credit == 0.5
    assert render(lateness(policy, at(days=1.5), "lms").rule, "en") == (
        "2 started day(s) late: 50% credit"
    )
    assert lateness(policy, at(days=9), "lms").credit == 0.0


def test_an_extension_moves_the_due_date_and_the_close() -> None:
    extended = lateness(WINDOWS, at(days=4.1), "gradescope", Extension(days=2))
    assert extended.extended and extended.credit == 0.7  # 2.1 days after the new due date
    new_due = Extension(due=WINDOWS.aware(DUE + timedelta(days=7)))
    assert lateness(WINDOWS, at(days=6), "gradescope", new_due).credit == 1.0


def test_extensions_are_read_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "extensions.csv"
    path.write_text("student,days,due\n1003,2,\n1004,,2026-12-20T12:00\n", encoding="utf-8")
    found = read_extensions(path, WINDOWS)
    assert found["1003"] == Extension(days=2.0)
    assert found["1004"].due == datetime(2026, 12, 20, 12, 0, tzinfo=SEOUL).astimezone(
        found["1004"].due.tzinfo
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("student,days\n1003,soon\n", "line 2: 'soon' is not a number of days"),
        ("student,days,due\n1003,2,2026-12-20\n", "line 2: give a student and either days"),
        ("student,days\n,2\n", "line 2: give a student"),
    ],
)
def test_a_bad_extension_line_is_named(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "extensions.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GraderError, match=says):
        read_extensions(path, WINDOWS)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"windows": [{"within_days": 1, "credit": 0.9}], "deduction_per_day": 0.1}, "either"),
        (
            {"windows": [{"within_days": 3, "credit": 0.7}, {"within_days": 1, "credit": 0.9}]},
            "shortest",
        ),
        (
            {"windows": [{"within_days": 1, "credit": 0.5}, {"within_days": 3, "credit": 0.7}]},
            "more credit",
        ),
        ({"close": DUE - timedelta(hours=1)}, "close must come after due"),
    ],
)
def test_an_inconsistent_policy_is_refused(fields: dict, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        LatePolicy(due=DUE, **fields)


@given(st.floats(min_value=-5, max_value=10), st.floats(min_value=0, max_value=10))
def test_later_never_earns_more(first: float, extra: float) -> None:
    earlier = lateness(WINDOWS, at(days=first), "gradescope").credit
    later = lateness(WINDOWS, at(days=first + extra), "gradescope").credit
    assert later <= earlier
