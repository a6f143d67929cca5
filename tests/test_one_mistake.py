"""One mistake, one exercise: an exercise that runs another's student code (`depends_on`) judges
only its own part, so every known mistake of the upstream exercise costs nothing downstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.config import Course
from autograder.engine.exercise import Exercise
from autograder.exercises import exercises_for
from autograder.grading import grade_notebook
from tests import submissions
from tests.conftest import REPO_ROOT
from tests.test_grading import zygote  # noqa: F401 - the module-scoped zygote fixture

pytestmark = pytest.mark.slow


def _units(course: Course, assignment: str) -> dict[str, Exercise]:
    spec = course.config.assignment(assignment)
    ids = [e for e, config in spec.exercises.items() if config.training is None]
    return {e.id: e for e in exercises_for(assignment, ids)}


def _cases() -> Iterator:
    course = Course(REPO_ROOT / "grader.yaml")
    for assignment in course.config.assignments:
        units = _units(course, assignment)
        for downstream in units.values():
            for upstream in downstream.depends_on:
                for mistake in units[upstream].mistakes:
                    case = (downstream.id, upstream, mistake.name)
                    yield pytest.param(assignment, *case, id="/".join((*case[:2], mistake.name)))


def test_the_dependent_pairs_are_the_known_ones(course: Course) -> None:
    pairs = {
        (downstream.id, upstream)
        for assignment in course.config.assignments
        for downstream in _units(course, assignment).values()
        for upstream in downstream.depends_on
    }
    assert pairs == {
        ("names_dataset", "one_hot_encode_string"),
        ("random_training_set", "char_tensor"),
        ("evaluate", "rnn_model_forward"),
    }


@pytest.mark.parametrize(("assignment", "downstream", "upstream", "mistake"), list(_cases()))
def test_an_upstream_mistake_costs_nothing_downstream(
    course: Course,
    assignment: str,
    downstream: str,
    upstream: str,
    mistake: str,
    tmp_path: Path,
    zygote,  # noqa: F811 - the fixture imported above
) -> None:
    units = _units(course, assignment)
    known = next(m for m in units[upstream].mistakes if m.name == mistake)
    nb = submissions.with_mistakes(course, assignment, {upstream: known})
    path = submissions.write(nb, tmp_path, "mistake")
    result = grade_notebook(
        course, assignment, path, only=[upstream, downstream], training=False, zygote=zygote
    )
    by_id = {e.id: e for e in result.exercises}
    assert by_id[upstream].points < by_id[upstream].max_points, "the mistake is not caught"
    graded = by_id[downstream]
    own = {check.name for check in units[downstream].checks}
    failed = [c.name for c in graded.checks if c.name in own and not c.passed]
    assert graded.points == graded.max_points and not failed, (failed, graded.message)
