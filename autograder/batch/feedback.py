"""Feedback for one student, as Markdown and as a self-contained HTML page.

Both are drawn from one `Page`, so they say the same: exercises in notebook order (grader.yaml's),
scores rounded to two decimals, no path of the grading machine (a message that names a file keeps
only its name), and a submission that could not be graded says so and why instead of a total out
of nothing. The HTML page is a Jinja2 template with autoescaping, its CSS inline and each training
check's learning curve a PNG data URI: it opens anywhere, offline, and loads nothing.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from autograder.engine.report import without_folders
from autograder.engine.result import ExerciseResult, TrainingRecord
from autograder.training import calibration

if TYPE_CHECKING:
    from autograder.batch.exports import Row

#: Every string a student reads, in one place, so that it can be wrapped for translation.
TEXT = {
    "heading": "{title}: feedback for {student}",
    "total": "Total: {points} / {max_points}",
    "score": "Score",
    "could_not_grade": "Your submission could not be graded",
    "no_score": "No points were given for this file.",
    "grader_failed": (
        "The autograder failed on this submission. This is not a problem with your work; "
        "the course staff have been told and will grade it again."
    ),
    "not_final": "This total is not final ({why}).",
    "rescaled": "Points changed since grading; these scores were rescaled:",
    "rescaled_item": "{exercise}: graded out of {old}, now worth {new}",
    "late": "This submission was marked late.",
    "exercise": "exercise",
    "points": "points",
    "max_points": "max",
    "status": "status",
    "not_graded": "Not graded",
    "expected": "expected {expected}",
    "got": "got {actual}",
    "training": "Training runs",
    "curve_alt": "learning curve of {exercise}",
    "held_out": "held-out {metric}",
    "train_loss": "training loss",
    "threshold": "threshold {threshold}",
    "band": "reference solution at the end, {n} runs",
    "step": "step",
    "cell_problems": "Cells that raised an error while grading",
    "cell": "cell {cell}",
    "line": "line {line}",
}
STATUS = {
    "passed": "passed",
    "partial": "partial",
    "failed": "failed",
    "error": "error",
    "not_graded": "not graded",
    "pending": "not graded yet",
}
#: cell errors listed at most
PROBLEMS = 20


#: a folder path that starts at the root (or a drive): the grading machine's, never the student's
@dataclass(frozen=True)
class Failure:
    """A failed check: what it checks, and what went wrong."""

    description: str
    detail: str


@dataclass(frozen=True)
class ExerciseView:
    id: str
    points: str
    max_points: str
    status: str
    label: str
    failures: list[Failure]
    training: TrainingRecord | None


@dataclass(frozen=True)
class Page:
    """What a student is told, before it is written as Markdown or HTML."""

    heading: str
    #: why nothing could be graded; None when the submission was graded
    failure: str | None
    total: str
    notes: list[str]
    rescaled: list[str]
    exercises: list[ExerciseView]
    not_graded: list[Failure]
    problems: list[str] = field(default_factory=list)


class Bands:
    """The reference solution's final metric over its calibration runs, per training check.

    Read from calibration/<device>/<exercise>.json, and drawn only when that file still holds the
    threshold the run was graded against (else it describes another calibration).
    """

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._found: dict[tuple[str, str, float], tuple[float, float, int] | None] = {}

    def get(self, exercise_id: str, record: TrainingRecord) -> tuple[float, float, int] | None:
        """(lowest, highest, runs) of the reference's final metric; None when not known."""
        if self.root is None:
            return None
        key = (record.device, exercise_id, record.threshold)
        if key not in self._found:
            found = calibration.load(self.root, record.device, exercise_id) or {}
            reference = found.get("reference") or {}
            same = abs(float(found.get("threshold", "nan")) - record.threshold) <= 1e-9
            known = same and {"min", "max", "n"} <= reference.keys()
            band = (reference["min"], reference["max"], reference["n"]) if known else None
            self._found[key] = band
        return self._found[key]


def number(value: float) -> str:
    """A score for people: two decimals at most, no trailing zeros."""
    return f"{round(value, 2):g}"


def scrub(text: str) -> str:
    """The text without the grading machine's folders: /home/ta/run/1090.ipynb -> 1090.ipynb."""
    return without_folders(text)


def page(row: Row, title: str, points: Mapping[str, float] | None = None) -> Page:
    """The feedback for `row`; `points` is grader.yaml's (exercise -> points, in notebook order):
    its order is the table's, and what it lists that `row` lacks is shown as not graded yet."""
    points = points or {}
    rank = {exercise: index for index, exercise in enumerate(points)}
    exercises = sorted(row.exercises.values(), key=lambda e: rank.get(e.id, len(rank)))
    views = [_exercise(e) for e in exercises]
    failure = None
    if row.submission.status == "grader_error":
        failure = TEXT["grader_failed"]
    elif row.submission.status == "error":
        failure = scrub(row.submission.message) or TEXT["no_score"]
    if failure is None:
        views += [_waiting(e, p) for e, p in points.items() if e not in row.exercises]
        views.sort(key=lambda view: rank.get(view.id, len(rank)))
    missing = sum(p for e, p in points.items() if e not in row.exercises)
    max_points = sum(e.max_points for e in exercises) + missing
    notes = []
    if row.pending and row.submission.status != "pending":
        notes.append(TEXT["not_final"].format(why=row.pending.describe()))
    if row.submission.late:
        notes.append(TEXT["late"])
    rescaled = [
        TEXT["rescaled_item"].format(
            exercise=name, old=number(old), new=number(row.exercises[name].max_points)
        )
        for name, old in row.rescaled.items()
    ]
    problems = [p for p in row.result.cell_problems if p.in_feedback] if row.result else []
    return Page(
        heading=TEXT["heading"].format(title=title, student=row.submission.student),
        failure=failure,
        total=TEXT["total"].format(points=number(row.total), max_points=number(max_points)),
        notes=notes,
        rescaled=rescaled,
        exercises=views,
        not_graded=[Failure(e.id, scrub(e.message)) for e in exercises if e.status == "not_graded"],
        problems=[_problem(p.cell, p.line, p.kind, p.message) for p in problems[:PROBLEMS]],
    )


def _waiting(exercise_id: str, max_points: float) -> ExerciseView:
    """A row for an exercise not graded yet (a batch graded without its training checks)."""
    return ExerciseView(
        exercise_id, "–", number(max_points), "pending", STATUS["pending"], [], None
    )


def _exercise(exercise: ExerciseResult) -> ExerciseView:
    failures = []
    if exercise.status != "not_graded":
        for check in exercise.checks:
            if check.passed:
                continue
            detail = scrub(check.message)
            if check.expected is not None:
                found = [TEXT["expected"].format(expected=scrub(check.expected))]
                if check.actual is not None:
                    found.append(TEXT["got"].format(actual=scrub(check.actual)))
                detail += f" ({', '.join(found)})"
            failures.append(Failure(check.description, detail))
    return ExerciseView(
        id=exercise.id,
        points=number(exercise.points),
        max_points=number(exercise.max_points),
        status=exercise.status,
        label=STATUS.get(exercise.status, exercise.status),
        failures=failures,
        training=exercise.training,
    )


def _problem(cell: int, line: int | None, kind: str, message: str) -> str:
    where = TEXT["cell"].format(cell=cell)
    if line:
        where += ", " + TEXT["line"].format(line=line)
    return f"{where}: {kind}: {scrub(message)}"


def feedback_markdown(row: Row, title: str, points: Mapping[str, float] | None = None) -> str:
    """The feedback as Markdown (feedback/<id>.md)."""
    view = page(row, title, points)
    lines = [f"# {view.heading}", ""]
    if view.failure is not None:
        lines += [f"## {TEXT['could_not_grade']}", "", view.failure, ""]
    lines += [f"**{view.total}**", ""]
    lines += [line for note in view.notes for line in (f"*{note}*", "")]
    if view.rescaled:
        lines += [f"*{TEXT['rescaled']}*", "", *(f"- {item}" for item in view.rescaled), ""]
    if view.exercises:
        header = [TEXT["exercise"], TEXT["points"], TEXT["status"]]
        lines += [f"| {' | '.join(header)} |", "|---|---:|---|"]
        lines += [f"| {e.id} | {e.points} / {e.max_points} | {e.label} |" for e in view.exercises]
    if view.not_graded:
        lines += ["", f"## {TEXT['not_graded']}", ""]
        lines += [f"- **{item.description}**: {item.detail}" for item in view.not_graded]
    for exercise in view.exercises:
        if exercise.failures:
            lines += ["", f"## {exercise.id}", ""]
            lines += [f"- **{item.description}**: {item.detail}" for item in exercise.failures]
    trained = [e for e in view.exercises if e.training is not None]
    if trained:
        lines += ["", f"## {TEXT['training']}", ""]
        lines += [f"- {e.id}: {e.training.summary()}" for e in trained if e.training]
    if view.problems:
        lines += ["", f"## {TEXT['cell_problems']}", ""]
        lines += [f"- {problem}" for problem in view.problems]
    return "\n".join(lines) + "\n"


def feedback_html(
    row: Row,
    title: str,
    points: Mapping[str, float] | None = None,
    bands: Bands | None = None,
) -> str:
    """The feedback as one HTML page that needs nothing else (feedback/<id>.html)."""
    view = page(row, title, points)
    bands = bands or Bands(None)
    figures = {
        e.id: learning_curve(e.id, e.training, bands.get(e.id, e.training))
        for e in view.exercises
        if e.training is not None and (e.training.checkpoints or e.training.curve)
    }
    return _template().render(view=view, title=title, text=TEXT, figures=figures)


@cache
def _template() -> jinja2.Template:
    source = resources.files("autograder").joinpath("templates", "feedback.html.j2")
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return environment.from_string(source.read_text(encoding="utf-8"))


def learning_curve(
    exercise_id: str, record: TrainingRecord, band: tuple[float, float, int] | None = None
) -> str:
    """The run as a small PNG data URI: the held-out metric at the checkpoints against the
    threshold (and the reference's final values, when known), the training loss behind it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=80)
    figure.subplots_adjust(left=0.12, right=0.88, bottom=0.15, top=0.9)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    handles = []
    if record.curve:
        loss = axes.twinx()
        steps, values = zip(*record.curve, strict=True)
        handles += loss.plot(steps, values, color="0.6", lw=1, label=TEXT["train_loss"])
        loss.set_ylabel(TEXT["train_loss"], color="0.4")
        axes.set_zorder(loss.get_zorder() + 1)
        axes.patch.set_visible(False)
    points = [(step, value) for step, value in record.checkpoints if value is not None]
    if points:
        steps, values = zip(*points, strict=True)
        label = TEXT["held_out"].format(metric=record.metric)
        handles += axes.plot(steps, values, "o-", color="tab:blue", label=label)
    threshold = TEXT["threshold"].format(threshold=f"{record.threshold:.4g}")
    handles.append(axes.axhline(record.threshold, color="tab:red", ls="--", label=threshold))
    if band is not None:
        low, high, runs = band
        label = TEXT["band"].format(n=runs)
        handles.append(axes.axhspan(low, high, color="tab:green", alpha=0.25, label=label))
    axes.set_xlabel(TEXT["step"])
    axes.set_ylabel(record.metric)
    axes.set_title(exercise_id)
    axes.legend(handles=handles, fontsize="small", loc="best")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
