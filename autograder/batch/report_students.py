"""The class report's lines per file and per student: what `rnn-grader show` prints and each
student's section of the report holds.

A superseded file names the one that counts, a refused or failed one gives its reason (for a
grader error, the grader's problem too: the report is for the staff), and every message is
rendered in the reader's language without the grading machine's folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autograder.batch import exports
from autograder.batch.feedback import pending_reason
from autograder.batch.policy import student_notes
from autograder.batch.store import StoredSubmission
from autograder.config import Assignment
from autograder.engine.report import without_folders
from autograder.i18n import N_, Text, join, render, t

#: submission statuses that give the student no score: the grader's fault, or not graded yet
NO_SCORE = {"grader_error", "pending"}
#: a TA adjustment whose exercise was graded again since (the adjusted score may be wrong now)
REVIEW = N_("review: {exercise}: the automatic score changed since it was adjusted")


@dataclass(frozen=True)
class FileLine:
    """One submitted file: what became of it, how long it took and how it was confined."""

    student: str
    file: str
    submitted_at: str
    status: str  # counted, superseded, refused, or the counted file's grading status
    late: bool
    #: the late rule's verdict on the file that counts, where a penalty applies
    late_rule: str
    total: float | None
    seconds: float | None
    confinement: str | None
    device: str | None
    reason: str


@dataclass(frozen=True)
class ExerciseLine:
    id: str
    points: float
    max_points: float | None
    status: str
    mistake: str
    failed_checks: list[str]
    training: str
    grader_problem: str


@dataclass(frozen=True)
class StudentSection:
    student: str
    anchor: str
    status: str
    total: float | None  # None: no score (a grader error, a grading not finished)
    max_points: float
    not_final: str  # why the total is not final ("" when it is)
    late: bool
    #: adjustments (flagged ones said so), the extension and the late penalty, as the student
    #: reads them in the feedback
    policy_notes: list[str]
    reason: str  # why the counted file could not be graded
    files: list[FileLine]
    exercises: list[ExerciseLine]
    feedback: str  # the student's feedback page, relative to the report


def file_line(
    s: StoredSubmission, row: exports.Row | None, others: list[StoredSubmission], lang: str
) -> FileLine:
    """A submitted file as the report lists it; `row` is set for the file that counts."""
    result = row.result if row is not None else None
    late = row.lateness if row is not None else None
    reason: Text | str = ""
    if s.superseded:
        status = "superseded"
        newer = next((o for o in others if not o.superseded), None)
        if newer is not None:
            reason = t("a newer submission counts: {file}", file=newer.source)
    elif s.intake_error:
        status, reason = "refused", s.intake_error
    else:
        status = row.submission.status if row is not None else s.status
        if status in {"error", "grader_error"}:
            reason = _with_problem(s.message, result.grader_problem if result else "")
    return FileLine(
        student=s.student,
        file=without_folders(s.source),
        submitted_at=_moment(s.submitted_at),
        status=status,
        late=s.late or bool(late is not None and late.late),
        late_rule=said(late.rule, lang) if late is not None and late.credit < 1 else "",
        total=row.total if row is not None and status not in NO_SCORE else None,
        seconds=result.seconds if result else None,
        confinement=result.confinement if result else None,
        device=result.device if result else None,
        reason=said(reason, lang),
    )


def student_section(
    row: exports.Row, spec: Assignment, files: list[FileLine], lang: str
) -> StudentSection:
    """One student's part: their files, then their exercises in notebook order."""
    student = row.submission.student
    mine = [f for f in files if f.student == student]
    counted = next(f for f in mine if f.file == without_folders(row.submission.source))
    rank = {exercise: index for index, exercise in enumerate(spec.exercises)}
    exercises = [
        ExerciseLine(
            id=e.id,
            points=e.points,
            max_points=e.max_points,
            status=e.status,
            mistake=said(e.mistake.name, lang) if e.mistake else "",
            failed_checks=[c.name for c in e.checks if not c.passed],
            training=said(e.training.summary(), lang) if e.training else "",
            grader_problem=said(e.grader_problem, lang),
        )
        for e in sorted(row.exercises.values(), key=lambda e: rank.get(e.id, len(rank)))
    ]
    return StudentSection(
        student=student,
        anchor=f"student-{exports.safe_name(student)}",
        status=row.submission.status,
        total=None if row.submission.status in NO_SCORE else row.total,
        max_points=spec.max_points,
        not_final=pending_reason(row, lang) if row.pending else "",
        late=counted.late,
        policy_notes=[
            *(said(t(REVIEW, exercise=e), lang) for e in row.flagged),
            *student_notes(row, lang),
        ],
        reason=counted.reason,
        files=mine,
        exercises=exercises,
        feedback=f"feedback/{exports.safe_name(student)}.html",
    )


def _with_problem(message: Text | str, problem: str) -> Text | str:
    """A failed file's message, followed by the grader's problem where it does not say it."""
    english = str(message)  # a template's English: what the problem is compared with
    if problem in english:
        return message
    return join([message, problem], ": ") if english else problem


def said(message: Text | str | None, lang: str) -> str:
    """A recorded message as the staff read it: in `lang`, without the machine's folders."""
    return without_folders(render(message, lang))


def _moment(stamp: str | None) -> str:
    """A submission time to the minute ("2026-12-04 21:33+00:00"); unparsable ones as given."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    zone = moment.strftime("%z")
    return moment.strftime("%Y-%m-%d %H:%M") + (f"{zone[:3]}:{zone[3:]}" if zone else "")
