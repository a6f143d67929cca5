"""Submission limits on Gradescope: so many fully graded submissions per window per student.

Hidden checks answer every submission, so a student could use them as an oracle: submit, read
which hidden check failed, change one line, submit again. With a limit, a submission past it runs
the public checks only and says when the next full grading is possible. The count comes from
Gradescope's own record (`previous_submissions` in submission_metadata.json): each results.json
this grader writes says in `extra_data` whether it was a full grading, so nothing is kept between
runs on our side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

#: the key of results.json's extra_data that marks a full grading
FULL_GRADING = "rnn_grader_full_grading"


class SubmissionLimit(BaseModel):
    """`submission_limit:` in an assignment of grader.yaml; absent means no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    full_gradings: int = Field(gt=0, description="fully graded submissions allowed per window")
    window_hours: float = Field(24, gt=0, description="length of the rolling window")


@dataclass(frozen=True)
class Allowance:
    """Whether this submission is graded in full, and if not, from when the next one is."""

    full: bool
    used: int
    limit: int
    next_full_at: datetime | None = None


def allowance(
    limit: SubmissionLimit | None, now: datetime, full_gradings: Iterable[datetime]
) -> Allowance:
    """`full_gradings` are the times of this student's earlier fully graded submissions."""
    if limit is None:
        return Allowance(full=True, used=0, limit=0)
    window = timedelta(hours=limit.window_hours)
    recent = sorted(time for time in full_gradings if now - window < time <= now)
    if len(recent) < limit.full_gradings:
        return Allowance(full=True, used=len(recent), limit=limit.full_gradings)
    # the window frees a place when the oldest grading that fills it leaves it
    frees = recent[len(recent) - limit.full_gradings] + window
    return Allowance(full=False, used=len(recent), limit=limit.full_gradings, next_full_at=frees)
