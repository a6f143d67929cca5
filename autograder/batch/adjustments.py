"""TA adjustments: a person's score for one exercise of one student, with who, when and why.

An adjustment sits beside the automatic score, in its own table of the run's store, and never
replaces it: exports show both, a regrade leaves the adjustment standing, and when a regrade
changes the automatic score under it, the adjustment is flagged for a person to look at again
(its points were decided against a score that no longer holds).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime, timezone

from autograder.batch.store import Store
from autograder.errors import GraderError

SCHEMA = """
CREATE TABLE IF NOT EXISTS adjustments (
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    points REAL,
    automatic REAL,
    reason TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Adjustment:
    """The standing adjustment of one (student, exercise); `points` None means withdrawn."""

    student: str
    exercise: str
    points: float
    #: the automatic score when the adjustment was made
    automatic: float | None
    reason: str
    who: str
    at: str

    def flagged(self, automatic_now: float | None) -> bool:
        """The automatic score changed since: the adjustment was decided against another one."""
        if self.automatic is None or automatic_now is None:
            return self.automatic != automatic_now
        return abs(self.automatic - automatic_now) > 1e-9


def who_adjusts() -> str:
    """The person at the keyboard, for the record (RNN_GRADER_TA overrides the login name)."""
    if os.environ.get("RNN_GRADER_TA"):
        return os.environ["RNN_GRADER_TA"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record(
    store: Store,
    student: str,
    exercise: str,
    points: float | None,
    reason: str,
    automatic: float | None,
    who: str,
) -> None:
    """Add an adjustment (or, with `points` None, withdraw the standing one); history is kept."""
    if not reason.strip():
        raise GraderError("an adjustment needs a --reason: the student and other TAs read it")
    store.db.executescript(SCHEMA)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO adjustments VALUES (?, ?, ?, ?, ?, ?, ?)",
            (student, exercise, points, automatic, reason.strip(), who, _now()),
        )


def standing(store: Store) -> dict[tuple[str, str], Adjustment]:
    """(student, exercise) -> the latest adjustment, where it was not withdrawn."""
    store.db.executescript(SCHEMA)
    latest: dict[tuple[str, str], tuple] = {}
    for row in store.db.execute("SELECT * FROM adjustments ORDER BY rowid"):
        latest[(row[0], row[1])] = row
    return {key: Adjustment(*row) for key, row in latest.items() if row[2] is not None}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def automatic_points(store: Store, student: str, exercise: str) -> float | None:
    """The automatic score of `student`'s counted submission for `exercise` (None: not graded)."""
    counted = [s for s in store.submissions() if s.student == student and not s.superseded]
    if not counted:
        known = sorted({s.student for s in store.submissions()})
        raise GraderError(
            f"no student {student!r} in this run; it has {len(known)}: "
            + ", ".join(known[:10])
            + (" ..." if len(known) > 10 else "")
        )
    newest = max(counted, key=lambda s: s.submitted_at or "")
    graded = store.exercise_rows(newest.source).get(exercise)
    return graded.points if graded is not None else None
