"""Feedback for one student, as Markdown and as a self-contained HTML page.

Both are drawn from one `Page`, so they say the same: exercises in notebook order (grader.yaml's),
scores rounded to two decimals, no path of the grading machine (a message that names a file keeps
only its name), and a submission that could not be graded says so and why instead of a total out
of nothing. The HTML page is a Jinja2 template with autoescaping, its CSS inline and each training
check's learning curve a PNG data URI: it opens anywhere, offline, and loads nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.batch.policy import student_notes
from autograder.engine.messages import check_detail, mistake_line, problem_line
from autograder.engine.report import STATUS as TABLE_STATUS
from autograder.engine.report import without_folders
from autograder.engine.result import ExerciseResult, TrainingRecord
from autograder.figures import data_uri, figure_language, new_figure
from autograder.i18n import N_, Text, render, t
from autograder.pages import environment, number
from autograder.training import calibration

if TYPE_CHECKING:
    from autograder.batch.exports import Row

#: The page's own words, marked for the catalogs and rendered in the reader's language.
TEXT = {
    "heading": N_("{title}: feedback for {student}"),
    "total": N_("Total: {points} / {max_points}"),
    "could_not_grade": N_("Your submission could not be graded"),
    "no_score": N_("No points were given for this file."),
    "grader_failed": N_(
        "The autograder failed on this submission. This is not a problem with your work; "
        "the course staff have been told and will grade it again."
    ),
    "not_final": N_("This total is not final ({why})."),
    "rescaled": N_("Points changed since grading; these scores were rescaled:"),
    "rescaled_item": N_("{exercise}: graded out of {old}, now worth {new}"),
    "late": N_("This submission was marked late."),
    "exercise": N_("exercise"),
    "points": N_("points"),
    "max_points": N_("max"),
    "status": N_("status"),
    "not_graded": N_("Not graded"),
    "training": N_("Training runs"),
    "curve_alt": N_("learning curve of {exercise}"),
    "held_out": N_("held-out {metric}"),
    "train_loss": N_("training loss"),
    "threshold": N_("threshold {threshold}"),
    "band": N_("reference solution at the end, {n} runs"),
    "step": N_("step"),
    "cell_problems": N_("Cells that raised an error while grading"),
}
#: the tables' words for a status; an exercise still to grade reads "not graded yet" here
STATUS = {**TABLE_STATUS, "pending": N_("not graded yet")}
#: why a total is not final, by the `Standing` field that lists the exercises
PENDING = {
    "missing": N_("not graded yet: {exercises}"),
    "edited": N_("graded on an older file: {exercises}"),
    "redefined": N_("graded under an older definition: {exercises}"),
    "unrecorded": N_("graded before definitions were recorded: {exercises}"),
}
#: cell errors listed at most
PROBLEMS = 20


#: a folder path that starts at the root (or a drive): the grading machine's, never the student's
@dataclass(frozen=True)
class Failure:
    """A failed check: what it checks, and what went wrong (rendered)."""

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
    #: the training run in one line, rendered
    summary: str = ""
    #: the known mistake the answers match, said in one sentence
    mistake: str = ""


@dataclass(frozen=True)
class Page:
    """What a student is told, before it is written as Markdown or HTML: every sentence already
    in the reader's language (`lang`), every number rounded for people."""

    lang: str
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


def scrub(text: str) -> str:
    """The text without the grading machine's folders: /home/ta/run/1090.ipynb -> 1090.ipynb."""
    return without_folders(text)


def say(key: str, lang: str, **params: str | int | float | Text) -> str:
    """The page's message `key` in `lang`, its fields filled in."""
    return render(t(TEXT[key], **params) if params else TEXT[key], lang)


def page(row: Row, title: str, points: Mapping[str, float] | None = None, *, lang: str) -> Page:
    """The feedback for `row` in `lang`; `points` is grader.yaml's (exercise -> points, in
    notebook order): its order is the table's, and what it lists that `row` lacks is shown as
    not graded yet."""
    points = points or {}
    rank = {exercise: index for index, exercise in enumerate(points)}
    exercises = sorted(row.exercises.values(), key=lambda e: rank.get(e.id, len(rank)))
    views = [exercise_view(e, lang) for e in exercises]
    views = [  # a TA's adjustment counts in the exercise's place (the notes say why)
        replace(v, points=number(row.adjustments[v.id].points)) if v.id in row.adjustments else v
        for v in views
    ]
    failure = None
    if row.submission.status == "grader_error":
        failure = say("grader_failed", lang)
    elif row.submission.status == "error":
        said = row.result.message if row.result else row.submission.message
        failure = scrub(render(said, lang)) or say("no_score", lang)
    if failure is None:
        views += [_waiting(e, p, lang) for e, p in points.items() if e not in row.exercises]
        views.sort(key=lambda view: rank.get(view.id, len(rank)))
    missing = sum(p for e, p in points.items() if e not in row.exercises)
    max_points = sum(e.max_points for e in exercises) + missing
    notes = []
    if row.pending and row.submission.status != "pending":
        notes.append(say("not_final", lang, why=pending_reason(row, lang)))
    if row.submission.late and row.lateness is None:
        notes.append(say("late", lang))  # the LMS's marker, where no late rule applies
    notes += student_notes(row, lang)
    rescaled = [
        say(
            "rescaled_item",
            lang,
            exercise=name,
            old=number(old),
            new=number(row.exercises[name].max_points),
        )
        for name, old in row.rescaled.items()
    ]
    problems = [p for p in row.result.cell_problems if p.in_feedback] if row.result else []
    not_graded = [e for e in exercises if e.status == "not_graded"]
    return Page(
        lang=lang,
        heading=say("heading", lang, title=render(title, lang), student=row.submission.student),
        failure=failure,
        total=say("total", lang, points=number(row.total), max_points=number(max_points)),
        notes=notes,
        rescaled=rescaled,
        exercises=views,
        not_graded=[Failure(e.id, scrub(render(e.message, lang))) for e in not_graded],
        problems=[scrub(problem_line(p, lang)) for p in problems[:PROBLEMS]],
    )


def pending_reason(row: Row, lang: str) -> str:
    """Why the row's total is not final, in `lang`."""
    found = {name: getattr(row.pending, name) for name in PENDING}
    return "; ".join(
        render(t(PENDING[name], exercises=", ".join(ids)), lang)
        for name, ids in found.items()
        if ids
    )


def _waiting(exercise_id: str, max_points: float, lang: str) -> ExerciseView:
    """A row for an exercise not graded yet (a batch graded without its training checks)."""
    label = render(STATUS["pending"], lang)
    return ExerciseView(exercise_id, "–", number(max_points), "pending", label, [], None)


def exercise_view(exercise: ExerciseResult, lang: str) -> ExerciseView:
    """One exercise as its table row and its list of failed checks, in `lang`."""
    failures = []
    if exercise.status != "not_graded":
        failures = [
            Failure(render(check.description, lang), scrub(check_detail(check, lang)))
            for check in exercise.checks
            if not check.passed
        ]
    return ExerciseView(
        id=exercise.id,
        points=number(exercise.points),
        max_points=number(exercise.max_points),
        status=exercise.status,
        label=render(STATUS.get(exercise.status, exercise.status), lang),
        failures=failures,
        training=exercise.training,
        summary=render(exercise.training.summary(), lang) if exercise.training else "",
        mistake=mistake_line(exercise.mistake, lang),
    )


def feedback_markdown(
    row: Row, title: str, points: Mapping[str, float] | None = None, *, lang: str
) -> str:
    """The feedback as Markdown (feedback/<id>.md), in `lang`."""
    view = page(row, title, points, lang=lang)
    text = {key: say(key, lang) for key in TEXT if "{" not in TEXT[key]}
    lines = [f"# {view.heading}", ""]
    if view.failure is not None:
        lines += [f"## {text['could_not_grade']}", "", view.failure, ""]
    lines += [f"**{view.total}**", ""]
    lines += [line for note in view.notes for line in (f"*{note}*", "")]
    if view.rescaled:
        lines += [f"*{text['rescaled']}*", "", *(f"- {item}" for item in view.rescaled), ""]
    if view.exercises:
        header = [text["exercise"], text["points"], text["status"]]
        lines += [f"| {' | '.join(header)} |", "|---|---:|---|"]
        lines += [f"| {e.id} | {e.points} / {e.max_points} | {e.label} |" for e in view.exercises]
    if view.not_graded:
        lines += ["", f"## {text['not_graded']}", ""]
        lines += [f"- **{item.description}**: {item.detail}" for item in view.not_graded]
    for exercise in view.exercises:
        if exercise.failures or exercise.mistake:
            lines += ["", f"## {exercise.id}", ""]
            lines += [f"*{exercise.mistake}*", ""] if exercise.mistake else []
            lines += [f"- **{item.description}**: {item.detail}" for item in exercise.failures]
    trained = [e for e in view.exercises if e.training is not None]
    if trained:
        lines += ["", f"## {text['training']}", ""]
        lines += [f"- {e.id}: {e.summary}" for e in trained]
    if view.problems:
        lines += ["", f"## {text['cell_problems']}", ""]
        lines += [f"- {problem}" for problem in view.problems]
    return "\n".join(lines) + "\n"


def feedback_html(
    row: Row,
    title: str,
    points: Mapping[str, float] | None = None,
    bands: Bands | None = None,
    *,
    lang: str,
) -> str:
    """The feedback as one HTML page that needs nothing else (feedback/<id>.html), in `lang`."""
    view = page(row, title, points, lang=lang)
    bands = bands or Bands(None)
    figures = {
        e.id: learning_curve(e.id, e.training, bands.get(e.id, e.training), lang=lang)
        for e in view.exercises
        if e.training is not None and (e.training.checkpoints or e.training.curve)
    }
    text = {key: say(key, lang) for key in TEXT if "{" not in TEXT[key]}
    alts = {e.id: say("curve_alt", lang, exercise=e.id) for e in view.exercises}
    template = environment(lang).get_template("feedback.html.j2")
    return template.render(view=view, text=text, alts=alts, figures=figures)


def learning_curve(
    exercise_id: str,
    record: TrainingRecord,
    band: tuple[float, float, int] | None = None,
    *,
    lang: str,
) -> str:
    """The run as a small PNG data URI: the held-out metric at the checkpoints against the
    threshold (and the reference's final values, when known), the training loss behind it."""
    lang = figure_language(lang)
    figure, axes = new_figure(6, 3.2)
    figure.subplots_adjust(left=0.12, right=0.88, bottom=0.15, top=0.9)
    handles = []
    if record.curve:
        loss = axes.twinx()
        steps, values = zip(*record.curve, strict=True)
        handles += loss.plot(steps, values, color="0.6", lw=1, label=say("train_loss", lang))
        loss.set_ylabel(say("train_loss", lang), color="0.4")
        axes.set_zorder(loss.get_zorder() + 1)
        axes.patch.set_visible(False)
    points = [(step, value) for step, value in record.checkpoints if value is not None]
    if points:
        steps, values = zip(*points, strict=True)
        label = say("held_out", lang, metric=record.metric)
        handles += axes.plot(steps, values, "o-", color="tab:blue", label=label)
    threshold = say("threshold", lang, threshold=record.threshold)
    handles.append(axes.axhline(record.threshold, color="tab:red", ls="--", label=threshold))
    if band is not None:
        low, high, runs = band
        label = say("band", lang, n=runs)
        handles.append(axes.axhspan(low, high, color="tab:green", alpha=0.25, label=label))
    axes.set_xlabel(say("step", lang))
    axes.set_ylabel(record.metric)
    axes.set_title(exercise_id)
    axes.legend(handles=handles, fontsize="small", loc="best")
    return data_uri(figure)
