"""The class report for TAs and instructors, gathered from a run's store.

`gather` reads the store only (through `exports.rows`, so that the report and the gradebook agree
on every total and on what is not final) and the calibration files the training checks were
graded against; it returns plain data that the HTML page (`report_page`) and the terminal
(`rnn-grader show`) both present. Every message is rendered in the reader's language and cut to
file names: no folder of the grading machine reaches the page.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.batch import exports
from autograder.batch.report_students import (
    NO_SCORE,
    FileLine,
    StudentSection,
    file_line,
    said,
    student_section,
)
from autograder.batch.runner import DB_NAME
from autograder.batch.store import Store, StoredSubmission
from autograder.config import Assignment, Course
from autograder.engine.result import ExerciseResult
from autograder.errors import GraderError
from autograder.training import calibration

#: bin widths of the score distribution, the first that gives at most `MAX_BINS` bins
STEPS = (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500)
MAX_BINS = 12


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    not_final: int  # of `count`, totals that are not final (an exercise missing or stale)


@dataclass(frozen=True)
class Distribution:
    """The totals of the students who have one (a grader error or a pending grading has none)."""

    totals: list[float]
    max_points: float
    bins: list[Bin]
    not_final: int
    without_score: list[str]  # students the grader owes a score

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.totals) if self.totals else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.totals) if self.totals else None


@dataclass(frozen=True)
class ExerciseRate:
    """How one exercise went across the class; `graded` counts the students it was scored for."""

    id: str
    title: str
    max_points: float
    statuses: Counter[str]
    points: list[float]
    waiting: int  # students whose exercise is not graded yet (a --no-training run)

    @property
    def graded(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "not_graded")

    @property
    def pass_rate(self) -> float | None:
        return self.statuses["passed"] / self.graded if self.graded else None

    @property
    def mean_points(self) -> float | None:
        return statistics.fmean(self.points) if self.points else None


@dataclass(frozen=True)
class CheckRate:
    exercise: str
    name: str
    description: str
    hidden: bool
    runs: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs


@dataclass(frozen=True)
class MistakeCount:
    exercise: str
    name: str
    hint: str
    students: list[str]


@dataclass(frozen=True)
class Reached:
    """One student's run of a training check: the best held-out value against the threshold."""

    student: str
    best: float | None
    passed: bool
    steps: int
    seconds: float
    stopped: str


@dataclass(frozen=True)
class TrainingCheck:
    """A training check on one device: what the class reached, beside what the reference
    solution reached over its calibration runs (empty when the calibration file holds another
    threshold than the one graded against, or is missing)."""

    exercise: str
    device: str
    metric: str
    threshold: float
    higher_is_better: bool | None
    reached: list[Reached]
    reference: list[float]
    mistakes: dict[str, list[float]]


@dataclass(frozen=True)
class Report:
    assignment: str
    title: str
    lang: str
    distribution: Distribution
    exercises: list[ExerciseRate]
    checks: list[CheckRate]
    mistakes: list[MistakeCount]
    training: list[TrainingCheck]
    files: list[FileLine]
    tiers: Counter[str]
    students: list[StudentSection] = field(default_factory=list)

    @property
    def problems(self) -> list[FileLine]:
        """Late, superseded, refused and failed files: what the staff must look at."""
        return [f for f in self.files if f.late or f.status not in {"graded", "incomplete"}]

    def student(self, student: str) -> StudentSection:
        for section in self.students:
            if section.student == student:
                return section
        known = ", ".join(s.student for s in self.students[:10])
        more = " ..." if len(self.students) > 10 else ""
        raise GraderError(f"no student {student!r} in this run; it has {known}{more}")


def open_run(run_dir: Path) -> tuple[Store, str]:
    """The run's store and assignment; a folder that holds no run is refused, and said why."""
    if not (run_dir / DB_NAME).is_file():
        raise GraderError(f"{run_dir} holds no run ({DB_NAME} is missing); grade with --out first")
    store = Store(run_dir / DB_NAME)
    assignment = store.assignment()
    if assignment is None:
        store.close()
        raise GraderError(f"{run_dir}: the run records no assignment")
    return store, assignment


def gather(store: Store, course: Course, assignment: str, lang: str = "en") -> Report:
    """Everything the report shows, from the store and the calibration files."""
    spec = course.config.assignment(assignment)
    table = exports.rows(store, course, assignment)
    by_student: dict[str, list[StoredSubmission]] = defaultdict(list)
    for submission in store.submissions():
        by_student[submission.student].append(submission)
    counted = {row.submission.source for row in table}
    files = [
        file_line(s, row if s.source in counted else None, by_student[s.student], lang)
        for row in table
        for s in by_student[row.submission.student]
    ]
    students = [student_section(row, spec, files, lang) for row in table]
    order = {exercise: index for index, exercise in enumerate(spec.exercises)}
    results = [
        (row.submission.student, e)
        for row in table
        for e in sorted(row.exercises.values(), key=lambda e: order.get(e.id, len(order)))
    ]
    return Report(
        assignment=assignment,
        title=spec.title_in(lang),
        lang=lang,
        distribution=_distribution(table, spec.max_points),
        exercises=_rates(table, spec),
        checks=_checks(results, lang),
        mistakes=_mistakes(results, lang),
        training=_training(results, course),
        files=files,
        tiers=Counter(f.confinement for f in files if f.confinement),
        students=students,
    )


def _rates(table: list[exports.Row], spec: Assignment) -> list[ExerciseRate]:
    """Each exercise's statuses and points over the class, in notebook order."""
    rates = []
    for exercise, entry in spec.exercises.items():
        found = [row.exercises[exercise] for row in table if exercise in row.exercises]
        waiting = sum(
            exercise not in row.exercises and row.submission.status != "error" for row in table
        )
        rates.append(
            ExerciseRate(
                id=exercise,
                title=found[0].title if found else exercise,
                max_points=entry.points,
                statuses=Counter(e.status for e in found),
                points=[e.points for e in found if e.status != "not_graded"],
                waiting=waiting,
            )
        )
    return rates


def _distribution(table: list[exports.Row], max_points: float) -> Distribution:
    scored = [row for row in table if row.submission.status not in NO_SCORE]
    step = next((s for s in STEPS if max_points / s <= MAX_BINS), STEPS[-1])
    edges = [0.0]
    while edges[-1] + step < max_points:
        edges.append(edges[-1] + step)
    edges.append(max_points)
    bins = []
    for index, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        last = index == len(edges) - 2
        inside = [r for r in scored if low <= r.total < high or (last and r.total >= high)]
        bins.append(Bin(low, high, len(inside), sum(r.incomplete for r in inside)))
    return Distribution(
        totals=[row.total for row in scored],
        max_points=max_points,
        bins=bins,
        not_final=sum(row.incomplete for row in scored),
        without_score=[r.submission.student for r in table if r.submission.status in NO_SCORE],
    )


def _checks(results: list[tuple[str, ExerciseResult]], lang: str) -> list[CheckRate]:
    """Each check's pass rate over the exercises it was run for, in the order checks ran."""
    described: dict[tuple[str, str], tuple[str, bool]] = {}
    runs: Counter[tuple[str, str]] = Counter()
    passes: Counter[tuple[str, str]] = Counter()
    for _, exercise in results:
        if exercise.status == "not_graded":
            continue
        for check in exercise.checks:
            key = (exercise.id, check.name)
            described.setdefault(key, (said(check.description, lang), check.hidden))
            runs[key] += 1
            passes[key] += check.passed
    return [CheckRate(*key, *described[key], runs[key], passes[key]) for key in runs]


def _mistakes(results: list[tuple[str, ExerciseResult]], lang: str) -> list[MistakeCount]:
    """The named mistakes, most common first, with who made them."""
    found: dict[tuple[str, str], MistakeCount] = {}
    for student, exercise in results:
        if exercise.mistake is None:
            continue
        name = said(exercise.mistake.name, lang)
        entry = found.setdefault(
            (exercise.id, name),
            MistakeCount(exercise.id, name, said(exercise.mistake.hint, lang), []),
        )
        entry.students.append(student)
    return sorted(found.values(), key=lambda m: (-len(m.students), m.exercise, m.name))


def _training(results: list[tuple[str, ExerciseResult]], course: Course) -> list[TrainingCheck]:
    """Each training check's runs per (exercise, device, threshold), beside its calibration."""
    groups: dict[tuple[str, str, float], list[Reached]] = defaultdict(list)
    metrics: dict[tuple[str, str, float], str] = {}
    for student, exercise in results:
        record = exercise.training
        if record is None or exercise.status == "not_graded":
            continue
        key = (exercise.id, record.device, record.threshold)
        metrics[key] = record.metric
        passed = exercise.status == "passed"
        reached = Reached(
            student, record.best, passed, record.steps, record.seconds, record.stopped
        )
        groups[key].append(reached)
    checks = []
    for (exercise_id, device, threshold), reached in groups.items():
        found = calibration.load(course.root, device, exercise_id) or {}
        if abs(float(found.get("threshold", "nan")) - threshold) > 1e-9:
            found = {}  # another calibration than the one graded against: not comparable
        checks.append(
            TrainingCheck(
                exercise=exercise_id,
                device=device,
                metric=metrics[(exercise_id, device, threshold)],
                threshold=threshold,
                higher_is_better=found.get("higher_is_better"),
                reached=reached,
                reference=[float(v) for v in found.get("reference", {}).get("final", [])],
                mistakes={
                    str(m["name"]): [float(v) for v in m.get("best", []) if v is not None]
                    for m in found.get("mistakes", [])
                },
            )
        )
    return checks
