"""Grade one notebook: pick the exercises grader.yaml lists, resolve their definitions, grade.

Every route (the CLI, a batch worker, Gradescope, the tooling) calls `grade_notebook`. It sits
above the engine so that the engine never imports the exercise definitions: it is handed them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from autograder.config import Course
from autograder.engine.exercise import Exercise, Plan
from autograder.engine.grade import DEFAULT_SEED, grade_submission
from autograder.engine.result import ExerciseResult, SubmissionResult
from autograder.exercises import exercises_for
from autograder.mistake_signatures import mistake_namer
from autograder.sandbox.exchange import ExerciseAnswer, Isolation
from autograder.sandbox.spawn import Zygote

#: sees each scored exercise and returns it, perhaps with more said (`grade_submission`)
Explain = Callable[[Exercise, Plan, ExerciseAnswer, ExerciseResult], ExerciseResult]


def grade_notebook(
    course: Course,
    assignment: str,
    path: Path,
    *,
    isolation: Isolation | None = None,
    seed: int = DEFAULT_SEED,
    on_result: Callable[[ExerciseResult], None] | None = None,
    only: list[str] | None = None,
    zygote: Zygote | None = None,
    training: bool = True,
    observe: Callable[[str, ExerciseAnswer], None] | None = None,
    explain: Explain | None = None,
) -> SubmissionResult:
    """Grade `path` as a submission of `assignment` (see `grade_submission` for the options).

    `only` restricts grading to those exercises (a resumed or partial regrade); the result then
    holds just them. With `training=False` the training checks are left out (unit checks only).
    `explain` sees each scored exercise (the default names the known mistake its answers match,
    where the signatures of its mistakes are at hand: autograder/mistake_signatures.py).
    """
    spec = course.config.assignment(assignment)
    wanted = [
        exercise_id
        for exercise_id, config in spec.exercises.items()
        if (only is None or exercise_id in only) and (training or config.training is None)
    ]
    if explain is None:
        explain = mistake_namer(course, assignment, wanted, seed)
    return grade_submission(
        course,
        assignment,
        path,
        exercises_for(assignment, wanted),
        isolation=isolation,
        seed=seed,
        on_result=on_result,
        zygote=zygote,
        observe=observe,
        explain=explain,
    )
