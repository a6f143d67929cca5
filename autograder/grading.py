"""Grade one notebook: pick the exercises grader.yaml lists, resolve their definitions, grade.

Every route (the CLI, a batch worker, Gradescope, the tooling) calls `grade_notebook`. It sits
above the engine so that the engine never imports the exercise definitions: it is handed them.
"""

from __future__ import annotations

import dataclasses
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
    public_only: bool = False,
) -> SubmissionResult:
    """Grade `path` as a submission of `assignment` (see `grade_submission` for the options).

    `only` restricts grading to those exercises (a resumed or partial regrade); the result then
    holds just them. With `training=False` the training checks are left out (unit checks only).
    `explain` sees each scored exercise (the default names the known mistake its answers match,
    where the signatures of its mistakes are at hand: autograder/mistake_signatures.py).
    `public_only` runs only the notebook's public tests (weight 0: no points), no hidden probe,
    no training: a Gradescope submission past the course's submission limit.
    """
    spec = course.config.assignment(assignment)
    wanted = [
        exercise_id
        for exercise_id, config in spec.exercises.items()
        if (only is None or exercise_id in only) and (training or config.training is None)
    ]
    exercises = exercises_for(assignment, wanted)
    if public_only:  # past a submission limit: the notebook's own tests, nothing hidden
        wanted = [e for e in wanted if spec.exercises[e].training is None]
        exercises = [_public_only(e) for e in exercises_for(assignment, wanted)]
        explain = _as_is
    if explain is None:
        explain = mistake_namer(course, assignment, wanted, seed)
    return grade_submission(
        course,
        assignment,
        path,
        exercises,
        isolation=isolation,
        seed=seed,
        on_result=on_result,
        zygote=zygote,
        observe=observe,
        explain=explain,
    )


def _public_only(exercise: Exercise) -> Exercise:
    """The exercise without its hidden checks and probes (its public tests are added later)."""
    return dataclasses.replace(exercise, plan=_no_probes, checks=(), mistakes=(), uses_course=False)


def _no_probes(rng: object) -> Plan:
    return Plan()


def _as_is(
    exercise: Exercise, plan: Plan, answer: ExerciseAnswer, result: ExerciseResult
) -> ExerciseResult:
    return result
