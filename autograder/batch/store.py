"""The run's record: a SQLite file in RUN_DIR that every finished result is committed to at once.

Killing a batch (Ctrl-C, `kill -9`, power loss) loses at most the exercise being graded: each
exercise result is its own transaction (WAL journal, synchronous=FULL), keyed by (submission,
exercise), so a resumed run skips what finished and never writes a duplicate. Exports read only
this store.

Each exercise row keeps what its score was graded under: the sha256 of the submission's file,
the fingerprint of the exercise's definition (`autograder.exercises.fingerprint`), the grader's
version, and its points against the maximum of the time. A store written before these columns
existed is migrated on opening (its rows have no fingerprint, so the next run grades them again).

A submission's message and intake error are kept language-neutral: a template (`Text`) is stored
as its JSON after `TEXT_PREFIX` and read back as a `Text`; a plain string (an older store's
English) is kept and read as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from autograder import __version__
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.errors import GraderError
from autograder.i18n import N_, Text

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    source TEXT PRIMARY KEY,
    student TEXT NOT NULL,
    path TEXT,
    submitted_at TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0,
    intake_error TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    message TEXT NOT NULL DEFAULT '',
    result_json TEXT,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS exercises (
    source TEXT NOT NULL REFERENCES submissions(source),
    exercise TEXT NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    result_json TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (source, exercise)
);
CREATE TABLE IF NOT EXISTS changes (
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    before REAL,
    after REAL NOT NULL,
    at TEXT NOT NULL
);
"""
#: (table, column, declaration): added to a store that lacks them, old rows reading NULL
MIGRATIONS = (
    ("submissions", "sha256", "TEXT"),  # the file's hash as the latest intake found it
    ("submissions", "graded_sha256", "TEXT"),  # the file's hash when it was last graded
    ("exercises", "sha256", "TEXT"),
    ("exercises", "fingerprint", "TEXT"),
    ("exercises", "grader_version", "TEXT"),
    ("submissions", "time_source", "TEXT"),  # who says when it came in (collect.Submission)
)
#: what marks a stored message as a template's JSON rather than plain text
TEXT_PREFIX = "i18n.Text:"
SUPERSEDED = N_("a newer submission counts")


@dataclass(frozen=True)
class StoredSubmission:
    source: str
    student: str
    path: str | None
    submitted_at: str | None
    late: bool
    superseded: bool
    intake_error: Text | str | None
    status: str
    message: Text | str
    #: the file's hash as the latest intake found it, and when it was last graded
    sha256: str | None = None
    graded_sha256: str | None = None
    #: "gradescope", "lms" or "file" (the last resort); None when no time is known
    time_source: str | None = None


@dataclass(frozen=True)
class Graded:
    """What one stored exercise score was graded under (None: before the store recorded it)."""

    status: str
    sha256: str | None
    fingerprint: str | None
    device: str | None  # where a training check trained; its calibration is in the fingerprint


def stored_message(message: Text | str) -> str:
    """A message as a store's column keeps it: a template as its JSON, plain text as it is."""
    return TEXT_PREFIX + message.model_dump_json() if isinstance(message, Text) else message


def loaded_message(value: str) -> Text | str:
    """A stored message as it was recorded (`stored_message`); plain text stays text."""
    if value.startswith(TEXT_PREFIX):
        return Text.model_validate_json(value.removeprefix(TEXT_PREFIX))
    return value


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """One run directory's database. Only the batch's main process writes to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """Add the columns an older run's store lacks (SQLite adds a column in place)."""
        for table, column, declaration in MIGRATIONS:
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                with self.transaction() as db:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction; inside another, part of it (a class's intake commits once: a
        commit per submission is an fsync each, 0.17 s for 24 notebooks)."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- the run's identity ---

    def bind_assignment(self, assignment: str) -> None:
        """A run directory belongs to one assignment; reusing it for another is a mistake."""
        row = self.db.execute("SELECT value FROM meta WHERE key='assignment'").fetchone()
        if row is None:
            with self.transaction() as db:
                db.execute("INSERT INTO meta VALUES ('assignment', ?)", (assignment,))
                db.execute("INSERT INTO meta VALUES ('created', ?)", (_now(),))
        elif row[0] != assignment:
            raise GraderError(
                f"{self.path.parent} holds a run of {row[0]!r}, not {assignment!r}; "
                "use another --out folder"
            )

    def assignment(self) -> str | None:
        return self.setting("assignment")

    def setting(self, key: str) -> str | None:
        """A value the run keeps for its later exports (the assignment, a `--due` override)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def keep_setting(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- submissions ---

    def register(
        self,
        source: str,
        student: str,
        path: str | None,
        submitted_at: str | None,
        late: bool,
        superseded: bool,
        intake_error: Text | str | None,
        sha256: str | None = None,
        time_source: str | None = None,
    ) -> None:
        """Record a submission found by intake; an existing row keeps its grading state."""
        error = stored_message(intake_error) if intake_error is not None else None
        with self.transaction() as db:
            db.execute(
                """INSERT INTO submissions
                   (source, student, path, submitted_at, late, superseded, intake_error, status,
                    message, sha256, time_source)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(source) DO UPDATE SET
                     student=excluded.student, path=excluded.path,
                     submitted_at=excluded.submitted_at, late=excluded.late,
                     superseded=excluded.superseded, intake_error=excluded.intake_error,
                     sha256=excluded.sha256, time_source=excluded.time_source""",
                (
                    source,
                    student,
                    path,
                    submitted_at,
                    int(late),
                    int(superseded),
                    error,
                    "superseded" if superseded else "error" if error else "pending",
                    error or (SUPERSEDED if superseded else ""),
                    sha256,
                    time_source,
                ),
            )

    def submissions(self) -> list[StoredSubmission]:
        rows = self.db.execute(
            """SELECT source, student, path, submitted_at, late, superseded, intake_error, status,
                      message, sha256, graded_sha256, time_source
               FROM submissions ORDER BY student, source"""
        ).fetchall()
        return [
            StoredSubmission(
                r[0],
                r[1],
                r[2],
                r[3],
                bool(r[4]),
                bool(r[5]),
                loaded_message(r[6]) if r[6] is not None else None,
                r[7],
                loaded_message(r[8]),
                r[9],
                r[10],
                r[11],
            )
            for r in rows
        ]

    def graded_under(self, source: str) -> dict[str, Graded]:
        """What each of the submission's stored scores was graded under."""
        rows = self.db.execute(
            """SELECT exercise, status, sha256, fingerprint,
                      json_extract(result_json, '$.training.device')
               FROM exercises WHERE source=?""",
            (source,),
        ).fetchall()
        return {row[0]: Graded(*row[1:]) for row in rows}

    # --- results ---

    def record_exercise(
        self, source: str, student: str, result: ExerciseResult, sha256: str, fingerprint: str
    ) -> None:
        """Commit one exercise result now, with what it was graded under; a regrade that changes
        the points is logged."""
        with self.transaction() as db:
            before = db.execute(
                "SELECT points FROM exercises WHERE source=? AND exercise=?", (source, result.id)
            ).fetchone()
            db.execute(
                """INSERT INTO exercises
                   (source, exercise, points, max_points, status, result_json, graded_at, sha256,
                    fingerprint, grader_version)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(source, exercise) DO UPDATE SET points=excluded.points,
                     max_points=excluded.max_points, status=excluded.status,
                     result_json=excluded.result_json, graded_at=excluded.graded_at,
                     sha256=excluded.sha256, fingerprint=excluded.fingerprint,
                     grader_version=excluded.grader_version""",
                (
                    source,
                    result.id,
                    result.points,
                    result.max_points,
                    result.status,
                    result.model_dump_json(),
                    _now(),
                    sha256,
                    fingerprint,
                    __version__,
                ),
            )
            if before is not None and before[0] != result.points:
                db.execute(
                    "INSERT INTO changes VALUES (?, ?, ?, ?, ?)",
                    (student, result.id, before[0], result.points, _now()),
                )

    def finish(
        self, source: str, result: SubmissionResult, sha256: str, incomplete: bool = False
    ) -> None:
        """Mark a submission finished, with its whole result (exercise rows already committed).

        A "grader_error" submission is graded again by the next run of the batch; an
        "incomplete" one (exercises left out, as training checks by --no-training, or scores
        graded under an older definition or file) has the rest graded by the next run that
        grades them.
        """
        status = result.status if result.status in {"error", "grader_error"} else "graded"
        if status == "graded" and any(e.status == "not_graded" for e in result.exercises):
            status = "grader_error"  # the next run grades what the grader could not
        elif status == "graded" and incomplete:
            status = "incomplete"
        with self.transaction() as db:
            db.execute(
                """UPDATE submissions SET status=?, message=?, result_json=?, finished_at=?,
                   graded_sha256=? WHERE source=?""",
                (
                    status,
                    stored_message(result.message),
                    result.model_dump_json(),
                    _now(),
                    sha256,
                    source,
                ),
            )

    def fail(self, source: str, message: Text | str, sha256: str, *, grader: bool = False) -> None:
        """Record a submission that could not be graded: the student's fault ("error", final at
        0) or, with `grader`, the grader's ("grader_error": no score, graded again next run)."""
        with self.transaction() as db:
            db.execute(
                """UPDATE submissions SET status=?, message=?, finished_at=?,
                   graded_sha256=? WHERE source=?""",
                (
                    "grader_error" if grader else "error",
                    stored_message(message),
                    _now(),
                    sha256,
                    source,
                ),
            )

    def reset(self, source: str) -> None:
        """Make a gradable submission pending again, for a regrade."""
        with self.transaction() as db:
            db.execute(
                "UPDATE submissions SET status='pending', finished_at=NULL WHERE source=? "
                "AND superseded=0 AND intake_error IS NULL",
                (source,),
            )

    def exercise_rows(self, source: str) -> dict[str, ExerciseResult]:
        rows = self.db.execute(
            "SELECT exercise, result_json FROM exercises WHERE source=?", (source,)
        ).fetchall()
        return {row[0]: ExerciseResult.model_validate_json(row[1]) for row in rows}

    def submission_result(self, source: str) -> SubmissionResult | None:
        row = self.db.execute(
            "SELECT result_json FROM submissions WHERE source=?", (source,)
        ).fetchone()
        return SubmissionResult.model_validate_json(row[0]) if row and row[0] else None

    def changes_since(self, moment: str) -> list[tuple[str, str, float | None, float]]:
        rows = self.db.execute(
            "SELECT student, exercise, before, after FROM changes WHERE at >= ? ORDER BY student",
            (moment,),
        ).fetchall()
        return [tuple(row) for row in rows]  # type: ignore[misc]
