"""What Gradescope says about a submission: /autograder/submission_metadata.json.

The submission's time, the assignment's due dates (per student where Gradescope gave an
extension), the submitters, and the earlier submissions with the results.json each got. The file
is Gradescope's, not the student's; it is read defensively all the same, and a missing or
malformed file means "nothing known" (no penalty, no limit), said on the staff's output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.policies.limits import FULL_GRADING

METADATA_FILE = "submission_metadata.json"


@dataclass(frozen=True)
class Previous:
    submitted_at: datetime
    full_grading: bool
    score: float | None = None


@dataclass(frozen=True)
class Metadata:
    submitted_at: datetime | None = None
    due: datetime | None = None
    late_due: datetime | None = None
    #: the submitters' ids and e-mail addresses (a group submission has several)
    students: tuple[str, ...] = ()
    previous: tuple[Previous, ...] = ()
    #: why parts are missing, for the staff's output
    problems: list[str] = field(default_factory=list)

    def full_gradings(self) -> list[datetime]:
        return [p.submitted_at for p in self.previous if p.full_grading]

    def latest_full_score(self) -> float | None:
        """The score of the newest earlier submission that was graded in full."""
        full = [p for p in self.previous if p.full_grading and p.score is not None]
        return max(full, key=lambda p: p.submitted_at).score if full else None


def read_metadata(root: Path) -> Metadata:
    """The metadata under `root` (Gradescope's /autograder), or an empty one that says why."""
    path = root / METADATA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Metadata(problems=[f"{METADATA_FILE} is missing"])
    except (OSError, ValueError) as error:
        return Metadata(problems=[f"{METADATA_FILE} is unreadable: {error}"])
    if not isinstance(data, dict):
        return Metadata(problems=[f"{METADATA_FILE} is not a JSON object"])
    problems: list[str] = []
    users = [u for u in data.get("users") or [] if isinstance(u, dict)]
    assignment = data.get("assignment") if isinstance(data.get("assignment"), dict) else {}
    # Gradescope repeats the assignment per user with that user's own (extended) dates
    own = next((u["assignment"] for u in users if isinstance(u.get("assignment"), dict)), {})
    previous = []
    for entry in data.get("previous_submissions") or []:
        when = _time(entry.get("submission_time"), "previous submission_time", problems)
        if when is not None:
            extra = (entry.get("results") or {}).get("extra_data") or {}
            full = bool(extra.get(FULL_GRADING, True))
            previous.append(Previous(when, full, _score(entry.get("score"))))
    return Metadata(
        submitted_at=_time(data.get("created_at"), "created_at", problems),
        due=_time(own.get("due_date") or assignment.get("due_date"), "due_date", problems),
        late_due=_time(own.get("late_due_date") or assignment.get("late_due_date"), None, []),
        students=tuple(str(u[key]) for u in users for key in ("id", "email") if u.get(key)),
        previous=tuple(previous),
        problems=problems,
    )


def _score(value: object) -> float | None:
    """Gradescope writes scores as numbers or as strings ("20.0")."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _time(value: Any, name: str | None, problems: list[str]) -> datetime | None:
    if value in (None, ""):
        if name:
            problems.append(f"{METADATA_FILE} has no {name}")
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{METADATA_FILE}: {name or 'a date'} {value!r} is not a date")
        return None
    if moment.tzinfo is None:
        problems.append(f"{METADATA_FILE}: {name or 'a date'} {value!r} has no time zone")
        return None
    return moment
