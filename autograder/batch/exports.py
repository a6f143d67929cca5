"""Export a run from its store: gradebooks for the LMS, feedback for students, Gradescope JSON.

Exports read only the store, so they can be written again at any time (`rnn-grader export`)
and always agree with what was graded.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.batch.store import Store, StoredSubmission
from autograder.config import Course
from autograder.engine.result import ExerciseResult, SubmissionResult


@dataclass(frozen=True)
class Row:
    """What the gradebook says about one student: their counted submission and its grades."""

    submission: StoredSubmission
    exercises: dict[str, ExerciseResult]
    result: SubmissionResult | None

    @property
    def total(self) -> float:
        return round(sum(e.points for e in self.exercises.values()), 4)

    @property
    def not_graded(self) -> list[str]:
        """Exercises the grader could not grade (its fault): the row's total is not final."""
        return [e.id for e in self.exercises.values() if e.status == "not_graded"]


def rows(store: Store) -> list[Row]:
    """One row per student: the newest submission counts; errors still get a row."""
    counted: dict[str, StoredSubmission] = {}
    for submission in store.submissions():
        if submission.superseded:
            continue
        previous = counted.get(submission.student)
        if previous is None or (submission.submitted_at or "") > (previous.submitted_at or ""):
            counted[submission.student] = submission
    return [
        Row(s, store.exercise_rows(s.source), store.submission_result(s.source))
        for s in sorted(counted.values(), key=lambda s: s.student)
    ]


def write_all(store: Store, course: Course, assignment: str, run_dir: Path) -> list[Path]:
    """Write every export of the run; returns the files written."""
    spec = course.config.assignment(assignment)
    table = rows(store)
    written = [
        _write(
            run_dir / "gradebook.csv", gradebook_csv(table, list(spec.exercises), spec.max_points)
        ),
        _write(run_dir / "canvas.csv", canvas_csv(table, spec.title)),
    ]
    for row in table:
        name = safe_name(row.submission.student)
        written.append(
            _write(run_dir / "feedback" / f"{name}.md", feedback_markdown(row, spec.title))
        )
        written.append(
            _write(run_dir / "feedback" / f"{name}.html", feedback_html(row, spec.title))
        )
        data = gradescope_json(row, course)
        written.append(_write(run_dir / "results" / f"{name}.json", json.dumps(data, indent=2)))
    return written


def gradebook_csv(table: list[Row], exercises: list[str], max_points: float) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["student", *exercises, "total", "max_points", "status", "late", "message"]
    writer.writerow([*header, "confinement"])
    for row in table:
        points = [_points(row, exercise) for exercise in exercises]
        writer.writerow(
            [
                row.submission.student,
                *points,
                f"{row.total:g}",
                f"{max_points:g}",
                _status(row),
                "yes" if row.submission.late else "no",
                _one_line(row.submission.message),
                row.result.confinement if row.result else "",
            ]
        )
    return out.getvalue()


def canvas_csv(table: list[Row], title: str) -> str:
    """Canvas's gradebook import: its five identity columns, then one column for the assignment.

    A row with a not-graded exercise gets no score: a total the grader left incomplete must not
    reach the LMS as the student's grade (Canvas leaves a blank cell's grade unchanged).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", title])
    writer.writerow(["Points Possible", "", "", "", "", ""])
    for row in table:
        score = "" if row.not_graded else f"{row.total:g}"
        writer.writerow(["", row.submission.student, "", "", "", score])
    return out.getvalue()


def feedback_markdown(row: Row, title: str) -> str:
    lines = [f"# {title}: feedback for {row.submission.student}", ""]
    max_points = sum(e.max_points for e in row.exercises.values())
    if row.submission.status == "error" and not row.exercises:
        lines += [f"**Your submission could not be graded:** {row.submission.message}", ""]
    lines += [f"**Total: {row.total:g} / {max_points:g}**", ""]
    if row.submission.late:
        lines += ["*This submission was marked late.*", ""]
    lines += ["| exercise | points | status |", "|---|---:|---|"]
    for exercise in row.exercises.values():
        status = exercise.status.replace("_", " ")
        lines.append(
            f"| {exercise.id} | {exercise.points:g} / {exercise.max_points:g} | {status} |"
        )
    if row.not_graded:
        lines += ["", "## Not graded", ""]
        lines += [f"- **{name}**: {row.exercises[name].message}" for name in row.not_graded]
    for exercise in row.exercises.values():
        failed = [check for check in exercise.checks if not check.passed]
        if not failed or exercise.status == "not_graded":
            continue
        lines += ["", f"## {exercise.id}", ""]
        for check in failed:
            detail = f"- **{check.description}**: {check.message}"
            if check.expected is not None:
                detail += f" (expected {check.expected}"
                detail += f", got {check.actual})" if check.actual is not None else ")"
            lines.append(detail)
    trained = [e for e in row.exercises.values() if e.training is not None]
    if trained:
        lines += ["", "## Training runs", ""]
        lines += [f"- {e.id}: {e.training.summary()}" for e in trained if e.training]
    problems = [p for p in row.result.cell_problems if p.in_feedback] if row.result else []
    if problems:
        lines += ["", "## Cells that raised an error while grading", ""]
        lines += [
            f"- cell {p.cell}{f', line {p.line}' if p.line else ''}: {p.kind}: {p.message}"
            for p in problems[:20]
        ]
    return "\n".join(lines) + "\n"


def feedback_html(row: Row, title: str) -> str:
    """The Markdown feedback as a small self-contained page (escaped, no scripts)."""
    body = []
    for line in feedback_markdown(row, title).splitlines():
        text = html.escape(line)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        if line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("| ") and not line.startswith("|---"):
            cells = "".join(f"<td>{cell.strip()}</td>" for cell in text.strip("|").split("|"))
            body.append(f"<tr>{cells}</tr>")
        elif line.startswith("- "):
            body.append(f"<li>{text[2:]}</li>")
        elif line and not line.startswith("|---"):
            body.append(f"<p>{text}</p>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "td{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def gradescope_json(row: Row, course: Course) -> dict:
    """The student's results in Gradescope's results.json format."""
    from autograder.gradescope.results import to_gradescope

    result = row.result
    if result is None:
        return {"score": 0, "output": row.submission.message or "not graded", "tests": []}
    settings = course.config.gradescope
    return to_gradescope(result, settings.public_visibility, settings.hidden_visibility)


def safe_name(student: str) -> str:
    """A file name for a student id: letters, digits, '-', '_' and '.' only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    return cleaned[:100]


def _points(row: Row, exercise: str) -> str:
    found = row.exercises.get(exercise)
    if found and found.status == "not_graded":
        return "not graded"
    return f"{found.points:g}" if found else ""


def _status(row: Row) -> str:
    if row.not_graded and row.submission.status in {"graded", "grader_error"}:
        return f"incomplete: not graded: {', '.join(row.not_graded)}"
    if row.submission.status != "graded":
        return row.submission.status
    return "complete" if len(row.exercises) else "error"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _write(path: Path, text: str) -> Path:
    return write_atomically(path, text.encode("utf-8"))
