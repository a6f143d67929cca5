"""Late penalties, as an assignment's `late:` block in grader.yaml declares them.

The rule a course writes down, applied the same way on Gradescope and in a batch:
- a due date in the course's time zone, and a grace period during which nothing is late;
- then either credit windows ("90% up to a day late, 70% up to three") or a deduction per started
  day, never below zero;
- a hard close, after which a submission earns nothing;
- per-student extensions (a CSV of student and extra days or a new due date), which move the due
  date and the close alike.

The penalty scales the total the checks gave; the raw score is never changed, so that a changed
policy or a new extension is applied by exporting again.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autograder.errors import GraderError
from autograder.i18n import Text, t

#: where a submission's time came from, strongest first
TimeSource = Literal["gradescope", "lms", "override", "file"]


class CreditWindow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    within_days: float = Field(gt=0, description="late by at most this many days")
    credit: float = Field(ge=0, le=1, description="fraction of the score kept")


class LatePolicy(BaseModel):
    """An assignment's late rule. Times without an offset are read in `timezone`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due: datetime
    timezone: str = "Asia/Seoul"
    grace_minutes: float = Field(0, ge=0)
    windows: list[CreditWindow] = []
    deduction_per_day: float | None = Field(None, gt=0, le=1)
    close: datetime | None = None
    #: CSV with columns `student` and `days` (extra days) or `due` (a new due date)
    extensions: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r} (an IANA name: Asia/Seoul)") from None
        return zone

    @model_validator(mode="after")
    def _one_rule(self) -> LatePolicy:
        if self.windows and self.deduction_per_day is not None:
            raise ValueError("give either credit windows or deduction_per_day, not both")
        days = [w.within_days for w in self.windows]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("credit windows must be listed from the shortest to the longest")
        credits = [w.credit for w in self.windows]
        if credits != sorted(credits, reverse=True):
            raise ValueError("a later credit window cannot give more credit than an earlier one")
        if self.close is not None and self.aware(self.close) <= self.aware(self.due):
            raise ValueError("close must come after due")
        return self

    def aware(self, moment: datetime) -> datetime:
        """`moment` with the course's time zone where it has none."""
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(self.timezone))

    def local(self, moment: datetime) -> datetime:
        """`moment` as the course's clock shows it (what students are told)."""
        return self.aware(moment).astimezone(ZoneInfo(self.timezone))


@dataclass(frozen=True)
class Extension:
    days: float = 0.0
    due: datetime | None = None


@dataclass(frozen=True)
class Lateness:
    """How late one submission was and what it keeps: `credit` scales its raw total."""

    submitted_at: datetime
    due: datetime
    late_by: timedelta
    credit: float
    #: why this credit, for the student and the gradebook
    rule: Text
    source: TimeSource
    extended: bool = False

    @property
    def late(self) -> bool:
        return self.late_by > timedelta(0)

    def final(self, raw: float) -> float:
        return raw * self.credit

    def penalty(self, raw: float) -> float:
        return raw - self.final(raw)


def read_extensions(path: Path, policy: LatePolicy) -> dict[str, Extension]:
    """student -> extension, from a CSV with `student` and `days` or `due` columns."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise GraderError(f"{path}: cannot read the extensions ({error.strerror})") from None
    found: dict[str, Extension] = {}
    for number, row in enumerate(rows, start=2):
        student = (row.get("student") or "").strip()
        days, due = (row.get("days") or "").strip(), (row.get("due") or "").strip()
        if not student or bool(days) == bool(due):
            raise GraderError(
                f"{path}, line {number}: give a student and either days or due, not {row}"
            )
        try:
            found[student] = (
                Extension(days=float(days))
                if days
                else Extension(due=policy.aware(datetime.fromisoformat(due)))
            )
        except ValueError:
            raise GraderError(
                f"{path}, line {number}: {days or due!r} is not a number of days or a date "
                "(2026-12-10T23:59)"
            ) from None
    return found


def lateness(
    policy: LatePolicy,
    submitted_at: datetime,
    source: TimeSource,
    extension: Extension | None = None,
) -> Lateness:
    """What `policy` keeps of a submission made at `submitted_at` (with its extension)."""
    due, close = policy.local(policy.due), policy.close and policy.local(policy.close)
    if extension is not None:
        shift = (extension.due - due) if extension.due else timedelta(days=extension.days)
        due, close = due + shift, close and close + shift
    submitted = policy.aware(submitted_at)
    late_by = max(submitted - due, timedelta(0))
    common = {"submitted_at": submitted, "due": due, "late_by": late_by, "source": source}
    common["extended"] = extension is not None
    if close is not None and submitted > close:
        return Lateness(**common, credit=0.0, rule=t("after the hard close: no credit"))
    if late_by <= timedelta(minutes=policy.grace_minutes):
        rule = t("on time") if not late_by else t("within the grace period: full credit")
        return Lateness(**common, credit=1.0, rule=rule)
    days = late_by / timedelta(days=1)
    if policy.deduction_per_day is not None:
        started = math.ceil(days)
        credit = max(0.0, 1.0 - started * policy.deduction_per_day)
        rule = t("{days} started day(s) late: {credit:.0%} credit", days=started, credit=credit)
        return Lateness(**common, credit=credit, rule=rule)
    for window in policy.windows:
        if days <= window.within_days:
            rule = t(
                "late by at most {within} day(s): {credit:.0%} credit",
                within=_days(window.within_days),
                credit=window.credit,
            )
            return Lateness(**common, credit=window.credit, rule=rule)
    return Lateness(**common, credit=0.0, rule=t("later than every credit window: no credit"))


def _days(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
