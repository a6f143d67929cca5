"""Export a run from its store: gradebooks for the LMS, feedback for students, Gradescope JSON.

Exports read only the store, so they can be written again at any time (`rnn-grader export`)
and always agree with what was graded. They hold it against grader.yaml and the grader as they
are now: a total with an exercise missing or stale (`autograder.batch.standing`) is marked
incomplete and kept out of canvas.csv unless asked (`allow_incomplete`), and a score whose
exercise's points changed since is rescaled from its stored fraction, and said.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.batch.adjustments import Adjustment
from autograder.batch.adjustments import standing as adjusted
from autograder.batch.feedback import Bands, feedback_html, feedback_markdown
from autograder.batch.policy import adjusted_column, policies_for, staff_notes, student_notes
from autograder.batch.standing import Standing, standing
from autograder.batch.store import Store, StoredSubmission
from autograder.config import Assignment, Course
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.exercises.fingerprint import Definitions
from autograder.i18n import N_, render
from autograder.policies.late import Lateness

#: the run's `--due` override, kept so that every later export applies it too
DUE_SETTING = "due_override"
#: students listed by name in the notes on totals that are not final (gradebook.csv has all)
LISTED = 20


@dataclass(frozen=True)
class Row:
    """What the gradebook says about one student: their counted submission and its grades."""

    submission: StoredSubmission
    exercises: dict[str, ExerciseResult]
    result: SubmissionResult | None
    #: what grader.yaml lists that is missing or stale in this row
    pending: Standing = field(default_factory=Standing)
    #: exercises rescaled to grader.yaml's points: the maximum they were graded out of
    rescaled: dict[str, float] = field(default_factory=dict)
    #: the TAs' standing adjustments, by exercise (`rnn-grader adjust`)
    adjustments: dict[str, Adjustment] = field(default_factory=dict)
    #: how late the submission was and what it keeps, where grader.yaml declares a late rule
    lateness: Lateness | None = None

    def points(self, exercise: str) -> float | None:
        """The exercise's points as they count: a TA's adjustment, else the automatic score."""
        if exercise in self.adjustments:
            return self.adjustments[exercise].points
        found = self.exercises.get(exercise)
        return found.points if found is not None else None

    @property
    def raw_total(self) -> float:
        """Before the late penalty: the automatic scores, with the adjustments in their place."""
        counted = {*self.exercises, *self.adjustments}
        return round(sum(self.points(e) or 0.0 for e in counted), 4)

    @property
    def total(self) -> float:
        """The final total: the raw total with the late penalty applied."""
        credit = self.lateness.credit if self.lateness is not None else 1.0
        return round(self.raw_total * credit, 4)

    @property
    def flagged(self) -> list[str]:
        """Adjusted exercises whose automatic score changed since the adjustment."""
        return [
            e
            for e, adjustment in self.adjustments.items()
            if adjustment.flagged(self.exercises[e].points if e in self.exercises else None)
        ]

    @property
    def not_graded(self) -> list[str]:
        """Exercises the grader could not grade (its fault): the row's total is not final."""
        return [e.id for e in self.exercises.values() if e.status == "not_graded"]

    @property
    def incomplete(self) -> bool:
        """The total is not final: an exercise is not graded, missing or stale."""
        return bool(self.not_graded or self.pending)


@dataclass(frozen=True)
class Export:
    """What `write_all` wrote, and what its reader must be told."""

    files: list[Path]
    table: list[Row]
    allow_incomplete: bool
    #: (exercise, points graded out of, points now) -> results rescaled
    rescaled: Counter[tuple[str, float, float]]

    @property
    def incomplete(self) -> list[Row]:
        return [row for row in self.table if row.incomplete]

    def notes(self) -> list[str]:
        """Lines for the instructor: rescaled scores, and totals that are not final."""
        lines = [
            f"rescaled: {exercise} was graded out of {old:g} points and grader.yaml now gives "
            f"{new:g}: {count} result(s) rescaled from their stored fraction"
            for (exercise, old, new), count in sorted(self.rescaled.items())
        ]
        if self.incomplete:
            where = (
                "in canvas.csv with their partial totals (--allow-incomplete)"
                if self.allow_incomplete
                else "no score in canvas.csv (--allow-incomplete puts their partial totals in)"
            )
            shown = self.incomplete[:LISTED]
            lines.append(f"not final: {len(self.incomplete)} student(s), {where}:")
            lines += [f"  {row.submission.student}: {_status(row)}" for row in shown]
            if len(self.incomplete) > len(shown):
                more = len(self.incomplete) - len(shown)
                lines.append(f"  and {more} more (gradebook.csv's status column lists each)")
        return lines + staff_notes(self.table)


def rows(store: Store, course: Course, assignment: str, due: datetime | None = None) -> list[Row]:
    """One row per student: the newest submission counts; errors still get a row.

    Each row is held against grader.yaml and the grader as they are now: its missing or stale
    exercises are listed, and scores of an exercise whose points changed are rescaled.
    """
    spec = course.config.assignment(assignment)
    definitions = Definitions(course, assignment)
    policies = policies_for(course, spec, adjusted(store), due)
    counted: dict[str, StoredSubmission] = {}
    for submission in store.submissions():
        if submission.superseded:
            continue
        previous = counted.get(submission.student)
        if previous is None or (submission.submitted_at or "") > (previous.submitted_at or ""):
            counted[submission.student] = submission
    table = []
    for s in sorted(counted.values(), key=lambda s: s.student):
        exercises, rescaled = _rescaled(store.exercise_rows(s.source), spec)
        result = store.submission_result(s.source)
        if result is not None and rescaled:
            redone = [exercises.get(e.id, e) for e in result.exercises]
            result = result.model_copy(
                update={
                    "exercises": redone,
                    "points": round(sum(e.points for e in redone), 4),
                    "max_points": sum(e.max_points for e in redone),
                }
            )
        pending = Standing()
        if s.status != "error":  # a submission that failed as a whole is final at 0
            pending = standing(spec.exercises, store.graded_under(s.source), s.sha256, definitions)
        if s.status in {"graded", "incomplete"}:  # what the store said, as it stands now
            s = replace(s, status="incomplete" if pending else "graded")
        lateness = policies.lateness_of(s.student, s.submitted_at, s.time_source)
        mine = {e: a for (student, e), a in policies.adjustments.items() if student == s.student}
        table.append(Row(s, exercises, result, pending, rescaled, mine, lateness))
    return table


def _rescaled(
    stored: dict[str, ExerciseResult], spec: Assignment
) -> tuple[dict[str, ExerciseResult], dict[str, float]]:
    """The scores at grader.yaml's points (same fraction), and the maximum each changed from."""
    exercises, changed = {}, {}
    for exercise_id, result in stored.items():
        entry = spec.exercises.get(exercise_id)
        if entry is not None and entry.points != result.max_points:
            fraction = result.points / result.max_points if result.max_points else 0.0
            update = {"points": round(fraction * entry.points, 4), "max_points": entry.points}
            changed[exercise_id] = result.max_points
            result = result.model_copy(update=update)
        exercises[exercise_id] = result
    return exercises, changed


def write_all(
    store: Store,
    course: Course,
    assignment: str,
    run_dir: Path,
    allow_incomplete: bool = False,
    lang: str | None = None,
    due: datetime | None = None,
) -> Export:
    """Write every export of the run; an incomplete total reaches canvas.csv only if allowed.

    What students read (feedback pages, Gradescope's output) is rendered in `lang`, by default
    grader.yaml's `feedback.language`; the store keeps the messages language-neutral, so an
    export in another language says the same."""
    lang = lang or course.config.feedback.language
    spec = course.config.assignment(assignment)
    kept = store.setting(DUE_SETTING)
    table = rows(store, course, assignment, due or (datetime.fromisoformat(kept) if kept else None))
    written = [
        _write(
            run_dir / "gradebook.csv", gradebook_csv(table, list(spec.exercises), spec.max_points)
        ),
        # one column name whatever --lang says: Canvas matches a column by its header
        _write(run_dir / "canvas.csv", canvas_csv(table, spec.title_in("en"), allow_incomplete)),
    ]
    points, bands = {e: entry.points for e, entry in spec.exercises.items()}, Bands(course.root)
    for row in table:
        name = safe_name(row.submission.student)
        markdown = feedback_markdown(row, spec.title_in(lang), points, lang=lang)
        page = feedback_html(row, spec.title_in(lang), points, bands, lang=lang)
        written.append(_write(run_dir / "feedback" / f"{name}.md", markdown))
        written.append(_write(run_dir / "feedback" / f"{name}.html", page))
        data = gradescope_json(row, course, lang)
        written.append(_write(run_dir / "results" / f"{name}.json", json.dumps(data, indent=2)))
    rescaled = Counter(
        (exercise, old, spec.exercises[exercise].points)
        for row in table
        for exercise, old in row.rescaled.items()
    )
    return Export(written, table, allow_incomplete, rescaled)


def gradebook_csv(table: list[Row], exercises: list[str], max_points: float) -> str:
    """One row per student: each exercise's points as they count (adjusted where a TA did),
    the raw total, the late penalty and the final total, and where each came from."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["student", *exercises, "raw_total", "penalty", "total", "max_points", "status"]
    header += ["late", "late_by_hours", "credit", "submitted_at", "time_source", "adjusted"]
    writer.writerow([*header, "message", "confinement"])
    for row in table:
        points = [_points(row, exercise) for exercise in exercises]
        late = row.lateness
        writer.writerow(
            [
                row.submission.student,
                *points,
                f"{row.raw_total:g}",
                f"{row.raw_total - row.total:g}",
                f"{row.total:g}",
                f"{max_points:g}",
                _status(row),
                "yes" if (late.late if late else row.submission.late) else "no",
                f"{late.late_by.total_seconds() / 3600:.2f}" if late else "",
                f"{late.credit:g}" if late else "",
                row.submission.submitted_at or "",
                row.submission.time_source or "",
                adjusted_column(row),
                _one_line(
                    render(row.result.message if row.result else row.submission.message, "en")
                ),
                row.result.confinement if row.result else "",
            ]
        )
    return out.getvalue()


def canvas_csv(table: list[Row], title: str, allow_incomplete: bool = False) -> str:
    """Canvas's gradebook import: its five identity columns, then one column for the assignment.

    An incomplete row (an exercise not graded, missing or stale) gets no score: a total that is
    not final must not reach the LMS as the student's grade (Canvas leaves a blank cell's grade
    unchanged), unless `allow_incomplete` asks for the partial totals.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
    writer.writerow(["Points Possible", "", "", "", "", ""])
    for row in table:
        score = "" if row.incomplete and not allow_incomplete else f"{row.total:g}"
        writer.writerow(["", row.submission.student, "", "", "", score])
    return out.getvalue()


def gradescope_json(row: Row, course: Course, lang: str) -> dict:
    """The student's results in Gradescope's results.json format, in `lang`."""
    from autograder.gradescope.results import to_gradescope

    result = row.result
    if result is None:
        said = render(row.submission.message or N_("not graded"), lang)
        return {"score": 0, "output": said, "tests": []}
    settings = course.config.gradescope
    data = to_gradescope(result, settings.public_visibility, settings.hidden_visibility, lang=lang)
    notes = student_notes(row, lang)
    if notes or row.total != row.raw_total or row.adjustments:
        data["score"] = row.total  # the adjusted, penalised total, as gradebook.csv has it
        data["output"] = "\n\n".join([*notes, data.get("output", "")]).strip()
    return data


def safe_name(student: str) -> str:
    """A file name for a student id: letters, digits, '-', '_' and '.' only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    return cleaned[:100]


def _points(row: Row, exercise: str) -> str:
    found = row.exercises.get(exercise)
    if found and found.status == "not_graded" and exercise not in row.adjustments:
        return "not graded"
    points = row.points(exercise)
    return f"{points:g}" if points is not None else ""


def _status(row: Row) -> str:
    graded = row.submission.status in {"graded", "grader_error", "incomplete"}
    parts = [f"not graded: {', '.join(row.not_graded)}"] if row.not_graded and graded else []
    if row.pending and graded:
        parts.append(row.pending.describe())
    if parts:
        return f"incomplete: {'; '.join(parts)}"
    if row.submission.status != "graded":
        return row.submission.status
    return "complete" if len(row.exercises) else "error"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _write(path: Path, text: str) -> Path:
    return write_atomically(path, text.encode("utf-8"))
