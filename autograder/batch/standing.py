"""Whether a submission's stored scores still stand, against grader.yaml and the grader as they are.

A score stands when it was graded on the submission's current file (sha256) under the current
definition of its exercise (`autograder.exercises.fingerprint`). What grader.yaml lists and the
store lacks (training checks left out by --no-training, an exercise added since) is missing. The
runner grades what is missing or stale; the exports never present such a total as final. A
changed point value is not staleness: the exports rescale the stored fraction.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch.store import Graded, Store, StoredSubmission
from autograder.config import Assignment
from autograder.exercises.fingerprint import Definitions


@dataclass(frozen=True)
class Standing:
    """What keeps a submission's total from being final (empty: every score stands)."""

    missing: tuple[str, ...] = ()  # listed in grader.yaml, never graded
    edited: tuple[str, ...] = ()  # graded on another version of the submission's file
    redefined: tuple[str, ...] = ()  # graded under another definition of the exercise
    unrecorded: tuple[str, ...] = ()  # graded before the store recorded what it was graded under

    def __bool__(self) -> bool:
        return bool(self.missing or self.stale)

    @property
    def stale(self) -> tuple[str, ...]:
        return self.edited + self.redefined + self.unrecorded

    def describe(self) -> str:
        """One line for the gradebook and the run's output."""
        parts = [
            (self.missing, "not graded yet"),
            (self.edited, "graded on an older file"),
            (self.redefined, "graded under an older definition"),
            (self.unrecorded, "graded before definitions were recorded"),
        ]
        return "; ".join(f"{what}: {', '.join(ids)}" for ids, what in parts if ids)


def standing(
    expected: Iterable[str],
    graded: dict[str, Graded],
    sha256: str | None,
    definitions: Definitions,
) -> Standing:
    """Sort the `expected` exercises whose stored score does not stand.

    An exercise the grader could not grade ("not_graded") is its own case (the gradebook says
    "not graded", the runner grades it again) and is not listed here.
    """
    found: dict[str, list[str]] = {"missing": [], "edited": [], "redefined": [], "unrecorded": []}
    for exercise in expected:
        row = graded.get(exercise)
        if row is None:
            found["missing"].append(exercise)
        elif row.status == "not_graded":
            continue
        elif row.fingerprint is None or row.sha256 is None:
            found["unrecorded"].append(exercise)
        elif sha256 is not None and row.sha256 != sha256:
            found["edited"].append(exercise)
        elif row.fingerprint != definitions.of(exercise, row.device):
            found["redefined"].append(exercise)
    return Standing(**{key: tuple(value) for key, value in found.items()})


@dataclass
class Rerun:
    """Why a run grades finished submissions again, for its output."""

    already_graded: int = 0  # submissions with nothing to grade
    completed: int = 0  # submissions that lacked exercises (training checks, new ones)
    edited: list[str] = field(default_factory=list)  # students whose file changed
    redefined: Counter[str] = field(default_factory=Counter)  # results per exercise
    unrecorded: int = 0  # results graded before the store recorded definitions


def to_grade(
    store: Store,
    spec: Assignment,
    regrade: bool,
    only: list[str] | None,
    training: bool,
    definitions: Definitions,
) -> tuple[list[tuple[StoredSubmission, list[str] | None]], Rerun]:
    """What a run grades, per submission (None: every exercise), and why.

    Everything with `regrade` (`only` those exercises), else what does not stand of the
    exercises this run grades (no training checks with --no-training). A submission that failed
    as a whole ("error") is graded again only when its file changed.
    """
    wanted = [e for e, entry in spec.exercises.items() if training or entry.training is None]
    planned: list[tuple[StoredSubmission, list[str] | None]] = []
    why = Rerun()
    for submission in store.submissions():
        if submission.superseded or submission.intake_error or submission.path is None:
            continue
        todo: list[str] | None
        if regrade:
            store.reset(submission.source)
            todo = list(only) if only else None
        elif submission.status == "error":
            todo = None if submission.graded_sha256 != submission.sha256 else []
            if todo is None and submission.graded_sha256 is not None:
                why.edited.append(submission.student)
        else:
            todo = _not_standing(store, submission, spec, wanted, definitions, why)
        if todo == []:
            why.already_graded += 1
        else:
            planned.append((submission, todo))
    return planned, why


def _not_standing(
    store: Store,
    submission: StoredSubmission,
    spec: Assignment,
    wanted: list[str],
    definitions: Definitions,
    why: Rerun,
) -> list[str]:
    """The `wanted` exercises whose score does not stand; a finished submission's are counted."""
    graded = store.graded_under(submission.source)
    left = standing(spec.exercises, graded, submission.sha256, definitions)
    not_graded = (e for e, row in graded.items() if row.status == "not_graded")
    again = {*left.missing, *left.stale, *not_graded}
    todo = [e for e in wanted if e in again]
    if submission.status in {"graded", "incomplete"}:  # not a resumed or failed grading
        why.completed += any(e in left.missing for e in todo)
        if any(e in left.edited for e in todo):
            why.edited.append(submission.student)
        why.redefined.update(e for e in todo if e in left.redefined)
        why.unrecorded += sum(e in left.unrecorded for e in todo)
    return todo


def file_sha256(path: Path | None) -> str | None:
    """The hash a submission's scores are graded on; None where there is no readable file."""
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # the worker reports the unreadable file
