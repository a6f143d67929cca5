"""Gradescope's results.json from a graded submission: one test per check, written atomically.

The format is Gradescope's "Autograder Specifications" (score, execution_time, output, visibility,
stdout_visibility, extra_data, tests). Each check of each exercise becomes one test worth its
share of the exercise's points, so students see which check failed and why, and the visibility
of hidden checks is the course's choice (grader.yaml, `gradescope`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from autograder.atomic import write_atomically
from autograder.engine.result import CheckResult, ExerciseResult, SubmissionResult

#: The run's own log (stdout) is for instructors: it names hidden checks and their messages.
STDOUT_VISIBILITY = "hidden"
#: Enough cell problems to point a student at the first mistakes, few enough to stay readable.
MAX_LISTED_CELLS = 10
#: A not-graded check's output: the grader failed there, so nothing in it is the student's.
NOT_GRADED_OUTPUT = (
    "Not graded: the autograder could not run this check. This is a problem on the grader's "
    "side, not in your work; the course staff have been told."
)
DATA_NOTE = (
    "(The course data is not available while grading, so cells that load data, train or sample "
    "are expected to fail or be skipped; only the graded functions and classes count.)"
)


def to_gradescope(
    result: SubmissionResult, public_visibility: str, hidden_visibility: str
) -> dict[str, Any]:
    """The results.json document for `result`, with the course's visibility settings."""
    tests: list[dict[str, Any]] = []
    for number, exercise in enumerate(result.exercises, start=1):
        tests.extend(_exercise_tests(exercise, number, public_visibility, hidden_visibility))
    return {
        "score": round(result.points, 4),
        "execution_time": max(0, round(result.seconds)),
        "output": summary(result),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        # The summary says only what public checks say, so it is as visible as they are.
        "visibility": public_visibility,
        "stdout_visibility": STDOUT_VISIBILITY,
        "extra_data": {
            "assignment": result.assignment,
            "status": result.status,
            "max_points": result.max_points,
            "sha256": result.sha256,
            "seed": result.seed,
            "torch_version": result.torch_version,
            "confined": result.confined,
            "confinement": result.confinement,
            # For the staff: why each not-graded exercise could not be graded (paths included).
            "not_graded": {e.id: e.grader_problem for e in result.exercises if _not_graded(e)},
        },
        "tests": tests,
    }


def _exercise_tests(
    exercise: ExerciseResult, number: int, public_visibility: str, hidden_visibility: str
) -> list[dict[str, Any]]:
    """One test per check, each worth the exercise's points times its share of the weights."""
    tests = []
    shares = _shares(exercise)
    earned = _earned(exercise, shares)
    for index, (check, share, score) in enumerate(
        zip(exercise.checks, shares, earned, strict=True), start=1
    ):
        test: dict[str, Any] = {
            "name": f"{exercise.id}: {check.description}",
            "number": f"{number}.{index}",
            "score": score,
            "max_score": share,
            "status": "passed" if check.passed else "failed",
            "output": _check_output(check),
            "visibility": hidden_visibility if check.hidden else public_visibility,
        }
        if _not_graded(exercise):  # the student never sees the grader's own problem here
            test.update(name=f"{test['name']} (not graded)", output=NOT_GRADED_OUTPUT)
            test["tags"] = ["not graded"]
        tests.append(test)
    return tests


def _not_graded(exercise: ExerciseResult) -> bool:
    return exercise.status == "not_graded"


def _shares(exercise: ExerciseResult) -> list[float]:
    """Each check's points, rounded, the last weighted one taking the rest, so that they add up
    to the maximum; a check of weight 0 (a public check, a gate) is worth nothing."""
    total_weight = sum(check.weight for check in exercise.checks)
    if not total_weight:  # no checks: the engine scores such an exercise 0 of its points
        return [0.0] * len(exercise.checks)
    shares = [
        round(exercise.max_points * check.weight / total_weight, 4) for check in exercise.checks
    ]
    last = max(i for i, check in enumerate(exercise.checks) if check.weight)
    shares[last] = round(exercise.max_points - sum(shares) + shares[last], 4)
    return shares


def _earned(exercise: ExerciseResult, shares: list[float]) -> list[float]:
    """Each check's score: its share when it passed, scaled so that the scores add up to the
    exercise's points (the same under `proportional`; under `all_or_nothing` a check that passed
    in an exercise that earned nothing shows 0, so no test claims points the total lacks)."""
    pairs = zip(exercise.checks, shares, strict=True)
    passed = [share if check.passed else 0.0 for check, share in pairs]
    total = sum(passed)
    if not total:
        return passed
    scaled = [round(share * exercise.points / total, 4) for share in passed]
    last = max(i for i, share in enumerate(passed) if share)
    scaled[last] = round(exercise.points - sum(scaled) + scaled[last], 4)
    return scaled


def _check_output(check: CheckResult) -> str:
    if check.passed:
        return "passed"
    lines = [check.message or "failed"]
    if check.expected is not None:
        lines.append(f"expected: {check.expected}")
    if check.actual is not None:
        lines.append(f"got: {check.actual}")
    return "\n".join(lines)


def summary(result: SubmissionResult) -> str:
    """What concerns the whole submission, without revealing any hidden check."""
    if result.status == "error":
        return f"Your submission could not be graded: {result.message}"
    graded = [e for e in result.exercises if not _not_graded(e)]
    public = [c for e in graded for c in e.checks if not c.hidden]
    lines = [f"Public checks passed: {sum(c.passed for c in public)} of {len(public)}."]
    trained = [e for e in result.exercises if e.training is not None]
    if trained:
        lines.append("Training runs (the grader's own loop on your code):")
        lines += [f"  {e.id}: {e.training.summary()}" for e in trained if e.training]
    skipped = [e.id for e in result.exercises if _not_graded(e)]
    if skipped:
        lines.append(
            f"Not graded: {', '.join(skipped)}. The autograder could not run "
            f"{'these checks' if len(skipped) > 1 else 'this check'} (a problem on the grader's "
            "side, not in your work); the course staff have been told. Your score here does not "
            "include them."
        )
    broken = [e for e in result.exercises if e.status == "error"]
    if broken:
        lines.append("Exercises that could not be graded:")
        lines += [f"  {e.id}: {e.message}" for e in broken]
    problems = [problem for problem in result.cell_problems if problem.in_feedback]
    if problems:
        lines.append(f"Cells that raised an error while grading ({len(problems)}):")
        for problem in problems[:MAX_LISTED_CELLS]:
            where = f"cell {problem.cell}" + (f", line {problem.line}" if problem.line else "")
            lines.append(f"  {where}: {problem.kind}: {problem.message}")
        if len(problems) > MAX_LISTED_CELLS:
            lines.append(f"  ... and {len(problems) - MAX_LISTED_CELLS} more")
    if result.skipped_cells:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for cell, reason in sorted(result.skipped_cells.items()):
            by_reason[reason].append(str(cell))
        lines.append("Cells not run while grading:")
        lines += [f"  {', '.join(cells)}: {reason}" for reason, cells in by_reason.items()]
    if problems or result.skipped_cells:
        lines.append(DATA_NOTE)
    return "\n".join(lines)


def write_results(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` in one step, so that Gradescope never reads a half-written file.

    The grader rewrites results.json after every exercise; a run killed at the time limit
    between two writes must leave the previous complete file, never a truncated one.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"), sync=True)
