"""The grading core: one submission in, one `SubmissionResult` out. Every route calls this.

intake (notebook -> cells) -> run (sandboxed child answers every exercise's probes) -> check
(the checks compare the answers with the reference, here in the grader) -> result.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

import nbformat
import numpy as np
import torch

from autograder.authoring.build import shipped_files
from autograder.config import Course
from autograder.engine.checks import Answer, CheckFailure, explain_error
from autograder.engine.exercise import Check, Context, Exercise, Plan
from autograder.engine.intake import intake, read_notebook
from autograder.engine.messages import (
    cell_places,
    cell_problems,
    error_message,
    failure_summary,
    plain_places,
)
from autograder.engine.public_tests import place_public_tests, with_public_tests
from autograder.engine.result import (
    CheckResult,
    ExerciseResult,
    Message,
    SubmissionResult,
    Timings,
)
from autograder.engine.scoring import Policy, exercise_points, policy_for
from autograder.errors import GraderError
from autograder.i18n import N_, Text, t
from autograder.sandbox.exchange import (
    ChildOutcome,
    ExerciseAnswer,
    ExerciseRequest,
    Isolation,
    SandboxError,
)
from autograder.sandbox.launcher import run_submission
from autograder.sandbox.spawn import Zygote
from autograder.sandbox.tiers import isolation_for

#: What a student reads when the grader, not their notebook, failed.
GRADER_FAILED = N_(
    "The autograder could not run your notebook. This is not a problem with your work; the "
    "course staff have been told."
)
#: What a student reads for one exercise the grader could not grade (its plan's grader_error).
NOT_GRADED = N_(
    "not graded: the autograder could not run this check. This is not a problem with your work; "
    "the course staff have been told."
)
NO_ANSWER = N_("no answer")

DEFAULT_SEED = 2025


def exercise_seed(seed: int, exercise_id: str) -> int:
    """A stable per-exercise seed, so adding an exercise never changes another's inputs."""
    return (seed * 1_000_003 + zlib.crc32(exercise_id.encode())) % 2**31


def grade_submission(
    course: Course,
    assignment: str,
    path: Path,
    exercises: list[Exercise],
    *,
    isolation: Isolation | None = None,
    seed: int = DEFAULT_SEED,
    on_result: Callable[[ExerciseResult], None] | None = None,
    zygote: Zygote | None = None,
    observe: Callable[[str, ExerciseAnswer], None] | None = None,
    explain: Callable[[Exercise, Plan, ExerciseAnswer, ExerciseResult], ExerciseResult]
    | None = None,
) -> SubmissionResult:
    """Grade one notebook file against `exercises`. Problems with the file become an 'error'
    result, not exceptions.

    The engine knows exercises only through their definitions, handed down by the route (see
    `autograder.grading`). `on_result` sees each exercise's result as soon as it is scored, so
    that a caller can keep what finished even if grading is cut short later. `observe` sees each
    exercise's raw answer (tooling: which modules its process imported); `explain` may add to a
    scored result before `on_result` sees it (a known mistake: engine/mistaken.py). Without
    `isolation` the strongest confinement tier that holds here is proven and used (an
    IsolationError where none does: nothing is graded unconfined unless grader.yaml says so).
    """
    started = time.monotonic()
    isolation = isolation or isolation_for(course, zygote=zygote)
    preflight = time.monotonic() - started
    spec = course.config.assignment(assignment)
    policies = {
        e.id: policy_for(e, spec.exercises[e.id], f"assignments.{assignment}.exercises.{e.id}")
        for e in exercises
    }
    exercises = with_public_tests(course, assignment, exercises)  # after the policies: no points
    base = {
        "assignment": assignment,
        "submission": str(path),
        "sha256": _sha256(path),
        "max_points": sum(spec.exercises[e.id].points for e in exercises),
        "seed": seed,
        "torch_version": torch.__version__,
        "device": "cpu",
        "confined": isolation.confine,
        "confinement": isolation.confinement,
    }
    try:
        notebook = read_notebook(path)
        _require_assignment(notebook, assignment, course)
    except GraderError as error:
        return SubmissionResult(
            **base,
            status="error",
            message=error_message(error),
            points=0.0,
            exercises=[
                unanswered(e, spec.exercises[e.id].points, error_message(error)) for e in exercises
            ],
            seconds=time.monotonic() - started,
        )
    submission = intake(notebook)
    places = cell_places(notebook)
    plans, plan_seconds = _plans(exercises, seed, course)
    place_public_tests(plans, notebook)
    check_seconds = 0.0
    requests = [
        ExerciseRequest(
            e.id,
            list(plans[e.id].probes.values()),
            plans[e.id].arrays,
            spec.exercises[e.id].wall_seconds,
            spec.exercises[e.id].cpu_seconds,
        )
        for e in exercises
    ]
    by_id = {e.id: e for e in exercises}
    scored: dict[str, ExerciseResult] = {}

    def settle(exercise_id: str, answer: ExerciseAnswer) -> None:
        nonlocal check_seconds
        if observe is not None:
            observe(exercise_id, answer)
        exercise = by_id[exercise_id]
        points = spec.exercises[exercise_id].points
        began = time.monotonic()
        result = score(
            exercise,
            plans[exercise_id],
            answer,
            submission.cells,
            points,
            policies[exercise_id],
            places=places,
        )
        explained = explain(exercise, plans[exercise_id], answer, result) if explain else result
        scored[exercise_id] = explained
        check_seconds += time.monotonic() - began
        if on_result is not None:
            on_result(scored[exercise_id])

    def checkpoint(exercise_id: str, header: dict, arrays: dict[str, np.ndarray]) -> bool:
        decide = plans[exercise_id].on_checkpoint
        return decide is not None and decide(header, arrays)

    try:
        outcome = run_submission(
            submission.cells,
            requests,
            course.config.limits,
            isolation,
            files=support_files(course, assignment),
            on_answer=settle,
            zygote=zygote,
            on_checkpoint=checkpoint,
        )
    except SandboxError as error:
        problem = f"{error}\n{error.detail}".strip()
        kept = [
            scored.get(e.id) or not_graded(e, spec.exercises[e.id].points, problem)
            for e in exercises
        ]
        return SubmissionResult(
            **base,
            status="grader_error",
            message=GRADER_FAILED,
            grader_problem=problem,
            points=round(sum(r.points for r in kept), 4),
            exercises=kept,
            seconds=round(time.monotonic() - started, 3),
        )
    results = [
        scored.get(e.id) or unanswered(e, spec.exercises[e.id].points, NO_ANSWER) for e in exercises
    ]
    problems = cell_problems(outcome, submission.cells, places)
    devices = {r.training.device for r in results if r.training is not None}
    base["device"] = "cuda" if "cuda" in devices else "cpu"
    total = time.monotonic() - started
    return SubmissionResult(
        **base,
        status="graded",
        points=round(sum(r.points for r in results), 4),
        exercises=results,
        cell_problems=problems,
        skipped_cells=submission.skipped,
        seconds=round(total, 3),
        timings=_timings(total, preflight, outcome, plan_seconds, check_seconds),
    )


def _require_assignment(notebook, assignment: str, course: Course) -> None:
    """Refuse the notebook of another assignment of the course, named in otter's metadata."""
    named = notebook.get("metadata", {}).get("otter", {}).get("assignment_name")
    if named and named != assignment and named in course.config.assignments:
        raise GraderError(
            t(
                "this is the notebook of the assignment {named}, not {assignment}",
                named=repr(named),
                assignment=repr(assignment),
            )
        )


def _plans(
    exercises: list[Exercise], seed: int, course: Course
) -> tuple[dict[str, Plan], dict[str, float]]:
    """Every exercise's plan, and the seconds each took. One thread: the reference models are
    tiny, and on a shared machine torch's thread pool makes them slower, not faster."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    plans, seconds = {}, {}
    try:
        for e in exercises:
            began = time.monotonic()
            plans[e.id] = e.make_plan(np.random.default_rng(exercise_seed(seed, e.id)), course)
            seconds[e.id] = round(time.monotonic() - began, 4)
    finally:
        torch.set_num_threads(threads)
    return plans, seconds


def _timings(
    total: float, preflight: float, outcome: ChildOutcome, plans: dict[str, float], checks: float
) -> Timings:
    """Split the submission's seconds by phase (see `Timings`)."""
    exercises = {name: round(seconds, 4) for name, seconds in outcome.exercise_seconds.items()}
    start, cells = outcome.start_seconds, outcome.cell_seconds
    return Timings(
        preflight=round(preflight, 4),
        start=round(start, 4),
        cells=round(cells, 4),
        exercises=exercises,
        plans=plans,
        checks=round(checks, 4),
        parent=round(max(0.0, total - preflight - start - cells - sum(exercises.values())), 4),
        child_peak_mb=outcome.peak_mb.get("child"),
        exercise_peak_mb=outcome.peak_mb.get("exercise"),
    )


def support_files(course: Course, assignment: str) -> dict[str, str]:
    """The public files a student's notebook imports (helpers.py), by name."""
    master = nbformat.read(course.master_notebook(assignment), as_version=4)
    return {
        name: path.read_text(encoding="utf-8")
        for name, path in shipped_files(course, assignment, master).items()
        if name.endswith(".py")
    }


def score(
    exercise: Exercise,
    plan: Plan,
    answer: ExerciseAnswer | None,
    cells: list,
    points: float,
    policy: Policy | None = None,
    *,
    places: Mapping[int, Text] | None = None,
) -> ExerciseResult:
    """Run the checks of one exercise on the child's answer and turn them into points.

    Gates carry no points: they decide whether the value checks run, and only those share the
    points (by weight, or all of them when every check passes: `policy.scoring`).
    """
    policy = policy or Policy(exercise.scoring)
    problem = plan.expected.get("grader_error")
    if problem:  # the grader's fault (its course data is missing): no score, no blame
        return not_graded(exercise, points, problem)
    places = plain_places(cells) if places is None else places
    if answer is None or answer.fatal:
        reason = explain_error(answer.fatal, places) if answer and answer.fatal else NO_ANSWER
        return unanswered(exercise, points, reason)
    names = list(plan.probes)
    answers = {
        name: Answer(raw, answer.arrays, places)
        for name, raw in zip(names, answer.probes, strict=False)
    }
    context = Context(plan, answers, cells)
    checks: list[CheckResult] = []
    blocked: Message | None = None
    for item in exercise.checks:
        weight = policy.weight(item)
        if blocked is not None:
            checks.append(
                _check_result(item, False, t("not run: {reason}", reason=blocked), weight=weight)
            )
            continue
        try:
            item.run(context)
        except CheckFailure as failure:
            checks.append(_check_result(item, False, failure.rationale, failure, weight))
            if item.gate:
                blocked = failure.rationale
        else:
            checks.append(_check_result(item, True, "", weight=weight))
    gates = {item.name for item in exercise.checks if item.gate}
    got, passed = exercise_points(checks, points, policy.scoring, gates)
    status = "passed" if passed else "failed" if got == 0 else "partial"
    # the message names what cost points first; a failed public test only where nothing did
    counted = [c for c in checks if c.hidden and (c.weight > 0 or c.name in gates)]
    first_failure = next((c for c in counted + checks if not c.passed), None)
    message = failure_summary(first_failure) if first_failure else N_("all checks passed")
    return ExerciseResult(
        id=exercise.id,
        title=exercise.title,
        points=got,
        max_points=points,
        status=status,
        message=message,
        checks=checks,
        training=context.details.get("training"),
    )


def _check_result(
    item: Check,
    passed: bool,
    message: Message,
    failure: CheckFailure | None = None,
    weight: float | None = None,
) -> CheckResult:
    return CheckResult(
        name=item.name,
        description=item.description,
        hidden=item.hidden,
        passed=passed,
        weight=Policy().weight(item) if weight is None else weight,
        message=message,
        expected=failure.expected if failure else None,
        actual=failure.actual if failure else None,
    )


def unanswered(exercise: Exercise, points: float, reason: Message) -> ExerciseResult:
    """An exercise without a score: every check listed as failed, with the reason."""
    return ExerciseResult(
        id=exercise.id,
        title=exercise.title,
        points=0.0,
        max_points=points,
        status="error",
        message=reason,
        checks=[_check_result(item, False, reason) for item in exercise.checks],
    )


def not_graded(exercise: Exercise, points: float, problem: str) -> ExerciseResult:
    """An exercise the grader failed to grade: no score, no blame on the student, and the cause
    (`problem`, paths and settings included) kept for the staff only."""
    return unanswered(exercise, points, NOT_GRADED).model_copy(
        update={"status": "not_graded", "grader_problem": problem}
    )


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
