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
from autograder.engine.messages import mistake_line, problem_line
from autograder.engine.result import CheckResult, ExerciseResult, SubmissionResult
from autograder.i18n import N_, render, t

#: The run's own log (stdout) is for instructors: it names hidden checks and their messages.
STDOUT_VISIBILITY = "hidden"
#: Enough cell problems to point a student at the first mistakes, few enough to stay readable.
MAX_LISTED_CELLS = 10
#: A not-graded check's output: the grader failed there, so nothing in it is the student's.
NOT_GRADED_OUTPUT = N_(
    "Not graded: the autograder could not run this check. This is a problem on the grader's "
    "side, not in your work; the course staff have been told."
)
DATA_NOTE = N_(
    "(The course data is not available while grading, so cells that load data, train or sample "
    "are expected to fail or be skipped; only the graded functions and classes count.)"
)


def to_gradescope(
    result: SubmissionResult, public_visibility: str, hidden_visibility: str, *, lang: str
) -> dict[str, Any]:
    """The results.json document for `result`, with the course's visibility settings, every
    sentence in `lang`."""
    tests: list[dict[str, Any]] = []
    for number, exercise in enumerate(result.exercises, start=1):
        tests.extend(_exercise_tests(exercise, number, public_visibility, hidden_visibility, lang))
    return {
        "score": round(result.points, 4),
        "execution_time": max(0, round(result.seconds)),
        "output": summary(result, lang),
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
    exercise: ExerciseResult,
    number: int,
    public_visibility: str,
    hidden_visibility: str,
    lang: str,
) -> list[dict[str, Any]]:
    """One test per check, each worth the exercise's points times its share of the weights.
    A known mistake is named on the exercise's first failed hidden check (where its points go)."""
    tests = []
    shares = _shares(exercise)
    earned = _earned(exercise, shares)
    named = next((c.name for c in exercise.checks if c.hidden and not c.passed), None)
    for index, (check, share, score) in enumerate(
        zip(exercise.checks, shares, earned, strict=True), start=1
    ):
        test: dict[str, Any] = {
            "name": f"{exercise.id}: {render(check.description, lang)}",
            "number": f"{number}.{index}",
            "score": score,
            "max_score": share,
            "status": "passed" if check.passed else "failed",
            "output": _check_output(check, lang),
            "visibility": hidden_visibility if check.hidden else public_visibility,
        }
        if check.name == named and exercise.mistake is not None:
            test["output"] += "\n" + mistake_line(exercise.mistake, lang)
        if _not_graded(exercise):  # the student never sees the grader's own problem here
            name = render(t("{test} (not graded)", test=test["name"]), lang)
            test.update(name=name, output=render(NOT_GRADED_OUTPUT, lang))
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


def _check_output(check: CheckResult, lang: str) -> str:
    if check.passed:
        return render(N_("passed"), lang)
    lines = [render(check.message, lang) or render(N_("failed"), lang)]
    if check.expected is not None:
        lines.append(render(t("expected: {expected}", expected=check.expected), lang))
    if check.actual is not None:
        lines.append(render(t("got: {actual}", actual=check.actual), lang))
    return "\n".join(lines)


def summary(result: SubmissionResult, lang: str) -> str:
    """What concerns the whole submission, in `lang`, without revealing any hidden check."""
    if result.status == "error":
        said = t("Your submission could not be graded: {reason}", reason=result.message)
        return render(said, lang)
    graded = [e for e in result.exercises if not _not_graded(e)]
    public = [c for e in graded for c in e.checks if not c.hidden]
    passed = sum(c.passed for c in public)
    lines = [render(t("Public checks passed: {n} of {total}.", n=passed, total=len(public)), lang)]
    trained = [e for e in result.exercises if e.training is not None]
    if trained:
        lines.append(render(N_("Training runs (the grader's own loop on your code):"), lang))
        lines += [f"  {e.id}: {render(e.training.summary(), lang)}" for e in trained if e.training]
    skipped = [e.id for e in result.exercises if _not_graded(e)]
    if skipped:
        said = t(
            "Not graded: {exercises}. The autograder could not run this check (a problem on "
            "the grader's side, not in your work); the course staff have been told. Your score "
            "here does not include it.",
            exercises=skipped[0],
        )
        if len(skipped) > 1:
            said = t(
                "Not graded: {exercises}. The autograder could not run these checks (a problem "
                "on the grader's side, not in your work); the course staff have been told. Your "
                "score here does not include them.",
                exercises=", ".join(skipped),
            )
        lines.append(render(said, lang))
    broken = [e for e in result.exercises if e.status == "error"]
    if broken:
        lines.append(render(N_("Exercises that could not be graded:"), lang))
        lines += [f"  {e.id}: {render(e.message, lang)}" for e in broken]
    problems = [problem for problem in result.cell_problems if problem.in_feedback]
    if problems:
        said = t("Cells that raised an error while grading ({n}):", n=len(problems))
        lines.append(render(said, lang))
        lines += [f"  {problem_line(problem, lang)}" for problem in problems[:MAX_LISTED_CELLS]]
        if len(problems) > MAX_LISTED_CELLS:
            more = t("... and {n} more", n=len(problems) - MAX_LISTED_CELLS)
            lines.append(f"  {render(more, lang)}")
    if result.skipped_cells:
        by_reason: dict[str, list[str]] = defaultdict(list)
        for cell, reason in sorted(result.skipped_cells.items()):
            by_reason[reason].append(str(cell))
        lines.append(render(N_("Cells not run while grading:"), lang))
        lines += [
            f"  {', '.join(cells)}: {render(reason, lang)}" for reason, cells in by_reason.items()
        ]
    if problems or result.skipped_cells:
        lines.append(render(DATA_NOTE, lang))
    return "\n".join(lines)


def write_results(path: Path, data: dict[str, Any]) -> None:
    """Replace `path` in one step, so that Gradescope never reads a half-written file.

    The grader rewrites results.json after every exercise; a run killed at the time limit
    between two writes must leave the previous complete file, never a truncated one.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"), sync=True)
