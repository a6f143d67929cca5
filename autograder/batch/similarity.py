"""Similarity across a class: which students' answers to an exercise share code that is their own.

Each counted submission's code for an exercise (its otter question block) is fingerprinted by
`autograder.batch.winnow`, without the lines the student template gave. Code that is also in the
reference solution is not the students' own either: two students who both wrote the reference's
lines (or were given them) are not evidence of copying between them, so the reference's k-grams
are left out too, and an answer with nothing else is listed as such, not compared. Pairs whose
shared own code reaches the threshold are listed with both answers side by side, matches marked.

This reads the run's store and the notebooks; it writes nothing to the store and never changes a
score. What it finds is for the staff (RUN/similarity.html, the class report), never a student.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat

from autograder.atomic import write_atomically
from autograder.batch.runner import DB_NAME
from autograder.batch.store import Store
from autograder.batch.winnow import (
    Document,
    Segment,
    all_kgrams,
    fingerprint,
    overlap,
    segments,
)
from autograder.config import Course
from autograder.engine.intake import clean_source, read_notebook
from autograder.errors import GraderError
from autograder.pages import environment

#: The share of one answer's own code found in the other's at which a pair is listed. Measured
#: on names_charlm (benchmarks/similarity_threshold.py): renamed, re-commented copies score 1.0;
#: the known-mistake notebooks against the reference (one edit apart) 0.74 to 1.0 in 38 of 44;
#: independently written answers, the reference left out, at most 0.52.
DEFAULT_THRESHOLD = 0.7
#: Fewer shared own tokens than this (two short lines) is never listed: two different known
#: mistakes share up to 19 (`F.softmax(...)` and `F.log_softmax(...)` put in the same place),
#: renamed copies of multi-line answers 21 to 46.
MIN_TOKENS = 20
PAGE_NAME = "similarity.html"
_CHECK = re.compile(r"""grader\.check\(\s*["'](?P<name>[^"']+)["']\s*\)""")


@dataclass(frozen=True)
class Side:
    """One student's answer in a pair: who, how much of their own code the other has, and the
    code cut into marked and unmarked stretches."""

    students: str
    share: float
    segments: list[Segment]


@dataclass(frozen=True)
class Pair:
    exercise: str
    a: Side
    b: Side
    score: float  # the larger of the two shares
    tokens: int  # shared own tokens (normalised), the smaller side's count


@dataclass
class ExerciseSummary:
    """What was compared for one exercise."""

    exercise: str
    compared: int = 0  # answers with code of their own
    as_given: list[str] = field(default_factory=list)  # only the template's or reference's code
    missing: list[str] = field(default_factory=list)  # no code found for the exercise


@dataclass(frozen=True)
class Similarity:
    assignment: str
    threshold: float
    pairs: list[Pair]
    exercises: list[ExerciseSummary]
    unreadable: list[str]  # students whose notebook could not be read
    min_tokens: int = MIN_TOKENS


def exercise_code(nb: nbformat.NotebookNode, exercise_id: str) -> str | None:
    """The code a notebook holds for an exercise, or None if it has none.

    An authoring notebook (otter's `# BEGIN QUESTION` raw cells, as the demo's submissions are)
    gives its question block's code cells outside the tests; a student notebook (built by otter)
    the code cells above `grader.check("<exercise>")`, up to the question's text.
    """
    cells = nb.get("cells", [])
    if any(_raw(cell).startswith("# BEGIN QUESTION") for cell in cells):
        return _join(_question_cells(cells, exercise_id))
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and _checked(cell) == exercise_id:
            above: list[dict] = []
            for previous in reversed(cells[:index]):
                if previous.get("cell_type") != "code" or _checked(previous):
                    break
                above.insert(0, previous)
            return _join(above)
    return None


def _raw(cell: dict) -> str:
    return _source(cell).lstrip() if cell.get("cell_type") == "raw" else ""


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _checked(cell: dict) -> str | None:
    match = _CHECK.search(_source(cell))
    return match["name"] if match else None


def _question_cells(cells: list, exercise_id: str) -> list:
    """The code cells of an authoring notebook's question block, without its tests."""
    inside = tests = False
    found = []
    for cell in cells:
        raw = _raw(cell)
        if raw.startswith("# BEGIN QUESTION"):
            inside = re.search(rf"^name:\s*{re.escape(exercise_id)}\s*$", raw, re.M) is not None
        elif raw.startswith("# END QUESTION"):
            inside = False
        elif raw.startswith(("# BEGIN TESTS", "# END TESTS")):
            tests = raw.startswith("# BEGIN")
        elif inside and not tests and cell.get("cell_type") == "code":
            found.append(cell)
    return found


def _join(cells: list) -> str | None:
    code = "\n\n".join(clean_source(_source(cell)) for cell in cells).strip("\n")
    return code + "\n" if code.strip() else None


def compare_answers(
    exercise: str, answers: dict[str, str], template: str, reference: str, threshold: float
) -> tuple[list[Pair], ExerciseSummary]:
    """The pairs of `answers` (students -> code) at or above `threshold`, best first."""
    given = frozenset(line.strip() for line in template.splitlines() if line.strip())
    ignored = all_kgrams(template) | all_kgrams(reference, given)
    summary = ExerciseSummary(exercise)
    documents: dict[str, Document] = {}
    for students, code in answers.items():
        document = fingerprint(code, given, ignored)
        if document.own:
            documents[students] = document
        else:
            summary.as_given.append(students)
    summary.compared = len(documents)
    pairs = []
    for (name_a, a), (name_b, b) in combinations(documents.items(), 2):
        found = overlap(a, b)
        if found.score >= threshold and found.tokens >= MIN_TOKENS:
            pairs.append(
                Pair(
                    exercise,
                    Side(name_a, found.share_a, segments(a, found.marked_a)),
                    Side(name_b, found.share_b, segments(b, found.marked_b)),
                    found.score,
                    found.tokens,
                )
            )
    pairs.sort(key=lambda pair: (-pair.score, -pair.tokens, pair.a.students, pair.b.students))
    return pairs, summary


def similar_pairs(
    course: Course,
    run_dir: Path,
    threshold: float = DEFAULT_THRESHOLD,
    exercises: list[str] | None = None,
) -> Similarity:
    """Every exercise's similar pairs among the run's counted submissions (the newest of each
    student; refused files have no code to compare)."""
    if not (run_dir / DB_NAME).is_file():
        raise GraderError(f"{run_dir}: no {DB_NAME}; grade the class with --out {run_dir} first")
    store = Store(run_dir / DB_NAME)
    try:
        assignment = store.assignment()
        submissions = store.submissions()
    finally:
        store.close()
    if assignment is None:
        raise GraderError(f"{run_dir}: the run has no assignment recorded yet")
    spec = course.config.assignment(assignment)
    for exercise in exercises or []:
        if exercise not in spec.exercises:
            raise GraderError(f"--exercise {exercise}: {assignment} has no such exercise")
    template_path = course.template_dir / assignment / f"{assignment}.ipynb"
    if not template_path.is_file():
        raise GraderError(f"{template_path.name}: no student template; run `rnn-grader build`")
    template = read_notebook(template_path)
    reference = read_notebook(course.master_notebook(assignment))
    by_path: dict[str, list[str]] = {}
    for submission in submissions:
        if submission.path and not submission.superseded and not submission.intake_error:
            by_path.setdefault(submission.path, []).append(submission.student)
    notebooks: dict[str, nbformat.NotebookNode] = {}
    unreadable = []
    for path, students in sorted(by_path.items(), key=lambda item: item[1]):
        label = " + ".join(students)  # a group's one file
        try:
            notebooks[label] = read_notebook(Path(path))
        except GraderError:
            unreadable.append(label)
    pairs: list[Pair] = []
    summaries = []
    for exercise in exercises or list(spec.exercises):
        given = exercise_code(template, exercise)
        if given is None:
            continue  # a training check: no code block of its own to compare
        answers: dict[str, str] = {}
        missing = []
        for label, nb in notebooks.items():
            code = exercise_code(nb, exercise)
            if code is None:
                missing.append(label)
            else:
                answers[label] = code
        found, summary = compare_answers(
            exercise,
            answers,
            given,
            exercise_code(reference, exercise) or "",
            threshold,
        )
        summary.missing = missing
        pairs += found
        summaries.append(summary)
    return Similarity(assignment, threshold, pairs, summaries, unreadable)


def render_html(similarity: Similarity, lang: str = "en") -> str:
    """RUN/similarity.html: the pairs per exercise, both answers side by side, one file."""
    return (
        environment(lang)
        .get_template("similarity.html.j2")
        .render(similarity=similarity, lang=lang)
    )


def write_page(similarity: Similarity, run_dir: Path, lang: str = "en") -> Path:
    return write_atomically(run_dir / PAGE_NAME, render_html(similarity, lang).encode("utf-8"))
