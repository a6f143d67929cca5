"""The course's policies on Gradescope: the late rule and the submission limit.

Both are decided once per submission from Gradescope's metadata (`metadata.py`) and applied to
every results.json the run publishes, so that a run cut short by the time limit already carries
the penalty and the limit's note. What cannot be known (no metadata, no time) applies nothing and
is said on the staff's log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from autograder.batch.policy import late_notes
from autograder.config import Course
from autograder.gradescope.metadata import Metadata, read_metadata
from autograder.i18n import render, t
from autograder.policies.late import Extension, Lateness, lateness, read_extensions
from autograder.policies.limits import FULL_GRADING, Allowance, allowance


@dataclass(frozen=True)
class SubmissionPolicy:
    """What the course's policies decide for this one submission."""

    allowance: Allowance = field(default_factory=lambda: Allowance(True, 0, 0))
    lateness: Lateness | None = None
    #: the latest full grading's score, kept by a submission past the limit
    kept_score: float | None = None
    window_hours: float = 0.0
    #: for the staff's log: what could not be known
    problems: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return self.allowance.full

    def apply(self, document: dict[str, Any], points: float, lang: str) -> dict[str, Any]:
        """`document` (a results.json) with the limit's note or the late penalty applied."""
        extra = document.setdefault("extra_data", {})
        # a file refused at intake or a grader failure uses up no full grading
        extra[FULL_GRADING] = self.full and extra.get("status") == "graded"
        notes: list[str] = []
        if not self.full:
            when = self.allowance.next_full_at
            notes.append(
                render(
                    t(
                        "You have used {used} of {limit} fully graded submissions in {hours} "
                        "hours, so only the public checks ran on this one. The score shown is "
                        "that of your latest fully graded submission ({score}); activate that "
                        "submission in Gradescope to keep it counted. The next full grading is "
                        "possible from {when}.",
                        used=self.allowance.used,
                        limit=self.allowance.limit,
                        hours=self.window_hours,
                        score=float(self.kept_score or 0.0),
                        when=when.strftime("%Y-%m-%d %H:%M %Z") if when else "–",
                    ),
                    lang,
                )
            )
            document["score"] = float(self.kept_score or 0.0)
        elif self.lateness is not None:
            final = round(points * self.lateness.credit, 4)
            notes += late_notes(self.lateness, points, final, lang)
            document["score"] = final
            extra["late"] = {
                "late_by_hours": round(self.lateness.late_by.total_seconds() / 3600, 2),
                "credit": self.lateness.credit,
                "raw_score": points,
            }
        if notes:
            document["output"] = "\n\n".join([*notes, document.get("output", "")]).strip()
        return document


def submission_policy(course: Course, assignment: str, root: Path) -> SubmissionPolicy:
    """The policies for the submission under Gradescope's `root` (/autograder)."""
    spec = course.config.assignment(assignment)
    if spec.late is None and spec.submission_limit is None:
        return SubmissionPolicy()
    metadata = read_metadata(root)
    now = metadata.submitted_at or datetime.now(timezone.utc)
    limit = spec.submission_limit
    return SubmissionPolicy(
        allowance=allowance(limit, now, metadata.full_gradings()),
        lateness=_lateness(course, spec.late, metadata),
        kept_score=metadata.latest_full_score(),
        window_hours=limit.window_hours if limit else 0.0,
        problems=tuple(metadata.problems),
    )


def _lateness(course: Course, rule: Any, metadata: Metadata) -> Lateness | None:
    """The late rule applied to Gradescope's time; a later due date Gradescope gives this
    student (an extension granted there) counts as an extension, as does the course's CSV."""
    if rule is None or metadata.submitted_at is None:
        return None
    extension = None
    if rule.extensions is not None:
        path = rule.extensions if rule.extensions.is_absolute() else course.root / rule.extensions
        granted = read_extensions(path, rule)
        extension = next((granted[s] for s in metadata.students if s in granted), None)
    if extension is None and metadata.due and metadata.due > rule.aware(rule.due):
        extension = Extension(due=metadata.due)
    return lateness(rule, metadata.submitted_at, "gradescope", extension)
