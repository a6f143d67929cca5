"""A row's final score: its automatic scores, the TAs' adjustments, then the late penalty.

Exports hold every row to the policies as they are when exporting (grader.yaml's `late:` block,
its extensions file, the adjustments in the store), so that a new extension or an adjustment
takes effect by exporting again, and the raw automatic scores are never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from autograder.batch.adjustments import Adjustment
from autograder.config import Assignment, Course
from autograder.i18n import Text, render, t
from autograder.policies.late import Extension, Lateness, LatePolicy, lateness, read_extensions

if TYPE_CHECKING:
    from autograder.batch.exports import Row


@dataclass(frozen=True)
class Policies:
    """What applies to one run's rows: the late rule with its extensions, and adjustments."""

    late: LatePolicy | None = None
    extensions: dict[str, Extension] = field(default_factory=dict)
    adjustments: dict[tuple[str, str], Adjustment] = field(default_factory=dict)
    #: `--due` given on the command line: it replaces grader.yaml's due date, and is said
    due_override: datetime | None = None

    def lateness_of(
        self, student: str, submitted_at: str | None, source: str | None
    ) -> Lateness | None:
        """None where no late rule is declared or no submission time is known."""
        if self.late is None or not submitted_at:
            return None
        policy = self.late
        if self.due_override is not None:
            policy = policy.model_copy(update={"due": self.due_override})
        known = source if source in ("gradescope", "lms", "file") else "file"
        return lateness(
            policy, datetime.fromisoformat(submitted_at), known, self.extensions.get(student)
        )


def policies_for(
    course: Course,
    spec: Assignment,
    adjustments: dict[tuple[str, str], Adjustment],
    due_override: datetime | None = None,
) -> Policies:
    late = spec.late
    extensions: dict[str, Extension] = {}
    if late is not None and late.extensions is not None:
        path = late.extensions if late.extensions.is_absolute() else course.root / late.extensions
        extensions = read_extensions(path, late)
    return Policies(late, extensions, adjustments, due_override)


def adjusted_column(row: Row) -> str:
    """gradebook.csv's `adjusted`: each adjustment with its automatic score, who and why."""
    parts = []
    for exercise, a in sorted(row.adjustments.items()):
        automatic = "none" if a.automatic is None else f"{a.automatic:g}"
        flag = " [review: the automatic score changed since]" if exercise in row.flagged else ""
        parts.append(
            f"{exercise}: {a.points:g} (automatic {automatic}; {a.who}, {a.at}: {a.reason}){flag}"
        )
    return "; ".join(parts)


def student_notes(row: Row, lang: str) -> list[str]:
    """What the student reads about the policies applied to their total, in `lang`."""
    notes = []
    for exercise, a in sorted(row.adjustments.items()):
        automatic: str | float = "–" if a.automatic is None else float(a.automatic)
        notes.append(
            render(
                t(
                    "{exercise}: set to {points} points by {who} on {date} (the automatic "
                    "checks gave {automatic}). Reason: {reason}",
                    exercise=exercise,
                    points=float(a.points),
                    who=a.who,
                    date=a.at[:10],
                    automatic=automatic,
                    reason=a.reason,
                ),
                lang,
            )
        )
    if row.lateness is not None:
        notes += late_notes(row.lateness, row.raw_total, row.total, lang)
    return notes


def late_notes(late: Lateness, raw: float, final: float, lang: str) -> list[str]:
    """The extension and the penalty, as the student reads them in `lang`."""
    notes = []
    if late.extended:
        notes.append(render(t("Your due date was extended to {due}.", due=_when(late.due)), lang))
    if late.credit < 1:  # within the grace period nothing is said: it counts as on time
        notes.append(
            render(
                t(
                    "Submitted {late_by} after the due date ({due}): {rule}. Total before the "
                    "penalty {raw}, penalty {penalty}.",
                    late_by=duration(late.late_by),
                    due=_when(late.due),
                    rule=late.rule,
                    raw=float(raw),
                    penalty=float(raw - final),
                ),
                lang,
            )
        )
    return notes


def staff_notes(table: list[Row]) -> list[str]:
    """Lines for the instructor after an export: adjustments to review, penalties applied,
    and submission times that come only from files."""
    lines = [
        f"review: {row.submission.student} {exercise}: the automatic score changed since "
        f"{row.adjustments[exercise].who} adjusted it on {row.adjustments[exercise].at[:10]}"
        for row in table
        for exercise in row.flagged
    ]
    penalised = [row for row in table if row.lateness is not None and row.lateness.credit < 1]
    if penalised:
        names = ", ".join(row.submission.student for row in penalised[:20])
        lines.append(f"late: {len(penalised)} student(s) penalised ({names})")
    by_file = [
        row.submission.student
        for row in table
        if row.lateness is not None and row.lateness.source == "file"
    ]
    if by_file:
        lines.append(
            f"late: the submission times of {len(by_file)} student(s) are the files' own "
            "modification times (no LMS or Gradescope time was found): check them before "
            "publishing penalties, or give --due"
        )
    return lines


def duration(span: timedelta) -> Text:
    """A lateness for people: minutes under an hour, hours under two days, days after."""
    seconds = span.total_seconds()
    if seconds < 3600:
        return t("{minutes} minutes", minutes=max(1, round(seconds / 60)))
    if seconds < 48 * 3600:
        return t("{hours} hours", hours=round(seconds / 3600, 1))
    return t("{days} days", days=round(seconds / 86400, 1))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
