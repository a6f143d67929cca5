"""How points are given: gates carry none, value checks share them (or earn them all at once),
grader.yaml overrides an exercise's scoring rule and weights, and a wrong single answer earns 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder.authoring import mistake_table
from autograder.config import Course, load_config
from autograder.engine.checks import expect
from autograder.engine.exercise import Check, Context, Exercise, Plan, check
from autograder.engine.grade import score
from autograder.engine.scoring import Policy, policy_for
from autograder.errors import GraderError
from autograder.exercises import exercises_for
from autograder.grading import grade_notebook
from autograder.i18n import render
from autograder.sandbox.exchange import ExerciseAnswer
from tests import submissions
from tests.test_grading import zygote  # noqa: F401 - the module-scoped zygote fixture


def _plan(rng: np.random.Generator) -> Plan:
    plan = Plan()
    plan.probes["value"] = {"kind": "value", "target": {"name": "x"}}
    return plan


@check("is an int", gate=True)
def is_int(ctx: Context) -> None:
    expect(ctx.answer("value").value().type == "int", "not an int")


@check("is positive", weight=1)
def positive(ctx: Context) -> None:
    expect(ctx.answer("value").value().scalar > 0, "not positive")


@check("is 7", weight=3)
def is_seven(ctx: Context) -> None:
    expect(ctx.answer("value").value().scalar == 7, "not 7")


TOY = Exercise("toy", "a1", "toy", _plan, (is_int, positive, is_seven))


def _graded(value: object, policy: Policy | None = None, exercise: Exercise = TOY):
    meta = {"type": type(value).__name__, "value": value}
    answer = ExerciseAnswer(probes=[{"ok": True, "result": meta}])
    plan = exercise.make_plan(np.random.default_rng(0), None)
    return score(exercise, plan, answer, [], 4.0, policy)


def test_gates_carry_no_points_and_value_checks_share_them_by_weight() -> None:
    assert _graded(7).points == 4.0 and _graded(7).status == "passed"
    wrong = _graded(3)  # the gate passes, the value is wrong: only "positive" earns its share
    assert wrong.points == 1.0 and wrong.status == "partial"
    assert [c.weight for c in wrong.checks] == [0.0, 1.0, 3.0]
    nothing = _graded(-2)  # an int, but every value check fails: the gate alone earns nothing
    assert nothing.points == 0.0 and nothing.status == "failed"
    blocked = _graded(7.0)  # the gate fails: the rest do not run
    assert blocked.points == 0.0 and render(blocked.checks[2].message, "en").startswith("not run")


def test_all_or_nothing_gives_the_points_only_when_every_check_passes() -> None:
    policy = Policy("all_or_nothing")
    assert _graded(7, policy).points == 4.0
    assert _graded(3, policy).points == 0.0 and _graded(3, policy).status == "failed"
    module_default = Exercise("toy", "a1", "toy", _plan, TOY.checks, scoring="all_or_nothing")
    assert _graded(3, exercise=module_default).points == 0.0


def _never(ctx: Context) -> None:
    expect(False, "no")


def test_a_failed_public_test_costs_nothing_even_all_or_nothing() -> None:
    """A notebook test runs beside the student's code (it could be forged either way): it
    informs, and neither a failure nor a pass of it moves the points or the status."""
    public = Check("test_x", "the notebook's test test_x", _never, hidden=False, weight=0)
    with_public = Exercise("toy", "a1", "toy", _plan, (public, *TOY.checks))
    for policy in (Policy(), Policy("all_or_nothing")):
        result = _graded(7, policy, with_public)
        assert (result.points, result.status) == (4.0, "passed")
        assert (
            render(result.message, "en") == "the notebook's test test_x: no"
        )  # said, when nothing cost
    wrong = _graded(3, Policy(), with_public)
    assert "not 7" in render(
        wrong.message, "en"
    )  # the message names what cost points, not the public test


def test_weights_from_grader_yaml_override_the_modules() -> None:
    assert _graded(3, Policy(weights={"positive": 3.0, "is_seven": 1.0})).points == 3.0
    assert _graded(3, Policy(weights={"positive": 0.0})).points == 0.0


def _exercise_config(tmp_path: Path, entry: dict):
    data = {
        "course": "c",
        "data_dir": "/data",
        "assignments": {"a1": {"title": "t", "exercises": {"toy": {"points": 4, **entry}}}},
    }
    path = tmp_path / "grader.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path).assignments["a1"].exercises["toy"]


def test_grader_yaml_scoring_overrides_the_module_default(tmp_path: Path) -> None:
    lenient = Exercise("toy", "a1", "toy", _plan, TOY.checks, scoring="all_or_nothing")
    config = _exercise_config(tmp_path, {"scoring": "proportional", "weights": {"is_seven": 1}})
    policy = policy_for(lenient, config, "assignments.a1.exercises.toy")
    assert policy.scoring == "proportional"
    assert _graded(3, policy, lenient).points == 2.0
    assert policy_for(lenient, _exercise_config(tmp_path, {}), "x").scoring == "all_or_nothing"


def test_a_wrong_scoring_or_weight_is_refused_with_its_location(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match=r"assignments\.a1\.exercises\.toy\.scoring"):
        _exercise_config(tmp_path, {"scoring": "some"})
    with pytest.raises(GraderError, match=r"assignments\.a1\.exercises\.toy\.weights\.is_seven"):
        _exercise_config(tmp_path, {"weights": {"is_seven": -1}})
    misspelt = _exercise_config(tmp_path, {"weights": {"is_sevem": 2}})
    with pytest.raises(GraderError) as caught:
        policy_for(TOY, misspelt, "assignments.a1.exercises.toy")
    assert str(caught.value) == (
        "grader.yaml: assignments.a1.exercises.toy.weights: no check named is_sevem; "
        "the checks of toy are: is_int, positive, is_seven"
    )
    with pytest.raises(GraderError, match="is_int only gates the other checks"):
        policy_for(TOY, _exercise_config(tmp_path, {"weights": {"is_int": 1}}), "x")


def test_the_course_policies_resolve(course: Course) -> None:
    """Every exercise's grader.yaml scoring and weights name checks it has."""
    for assignment, spec in course.config.assignments.items():
        for exercise in exercises_for(assignment, list(spec.exercises)):
            where = f"assignments.{assignment}.exercises.{exercise.id}"
            policy_for(exercise, spec.exercises[exercise.id], where)
    (num_params,) = exercises_for("names_charlm", ["num_params_custom_rnn"])
    assert num_params.scoring == "all_or_nothing"


@pytest.mark.slow
def test_a_wrong_parameter_count_earns_nothing(
    course: Course,
    tmp_path: Path,
    zygote,  # noqa: F811 - the fixture imported above
) -> None:
    (exercise,) = exercises_for("names_charlm", ["num_params_custom_rnn"])
    wrong_counts = [m for m in exercise.mistakes if "count_is_right" in m.caught_by]
    assert len(wrong_counts) >= 5
    for mistake in wrong_counts:
        nb = submissions.with_mistakes(course, "names_charlm", {exercise.id: mistake})
        path = submissions.write(nb, tmp_path, "count")
        result = grade_notebook(
            course, "names_charlm", path, only=[exercise.id], training=False, zygote=zygote
        )
        (graded,) = result.exercises
        assert (graded.points, graded.status) == (0.0, "failed"), mistake.name
        assert any(c.name == "written_by_hand" and c.passed for c in graded.checks)


def test_the_mistake_table_in_the_docs_lists_every_known_mistake(course: Course) -> None:
    """docs/grading.md's table is regenerated after mistakes change (its points need grading)."""
    text = (course.root / "docs" / "grading.md").read_text(encoding="utf-8")
    table = text.partition(mistake_table.START)[2].partition(mistake_table.END)[0]
    listed = [line.split(" | ")[:3] for line in table.strip().splitlines()[2:]]
    known = [
        [f"| {assignment}", exercise.id, mistake.name]
        for assignment, spec in course.config.assignments.items()
        for exercise in exercises_for(
            assignment, [e for e, config in spec.exercises.items() if config.training is None]
        )
        for mistake in exercise.mistakes
    ]
    assert listed == known, "rerun python -m autograder.authoring.mistake_table --write FILE"
    assert mistake_table.replace_table(text, table.strip()) == text


@pytest.mark.slow
def test_grader_yaml_overrides_reach_grading(
    course: Course,
    tmp_path: Path,
    zygote,  # noqa: F811 - the fixture imported above
) -> None:
    """A course that wants partial credit for the count gets it; a misspelt check name stops
    grading with its location instead of being ignored."""
    entry = "num_params_custom_rnn: {points: 1}"
    (exercise,) = exercises_for("names_charlm", [entry.partition(":")[0]])
    mistake = next(m for m in exercise.mistakes if m.name == "W_hh bias forgotten")
    nb = submissions.with_mistakes(course, "names_charlm", {exercise.id: mistake})
    lenient = submissions.scratch_course(
        course, tmp_path / "lenient", {entry: entry.replace("}", ", scoring: proportional}")}
    )
    path = submissions.write(nb, tmp_path, "count")
    only = {"only": [exercise.id], "training": False, "zygote": zygote}
    (graded,) = grade_notebook(lenient, "names_charlm", path, **only).exercises
    assert (graded.points, graded.status) == (pytest.approx(1 / 3, abs=1e-4), "partial")
    misspelt = submissions.scratch_course(
        course, tmp_path / "misspelt", {entry: entry.replace("}", ", weights: {count: 2}}")}
    )
    where = r"assignments\.names_charlm\.exercises\.num_params_custom_rnn\.weights"
    with pytest.raises(GraderError, match=f"{where}: no check named count; the checks of"):
        grade_notebook(misspelt, "names_charlm", path, **only)
