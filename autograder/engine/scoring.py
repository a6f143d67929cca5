"""How an exercise's check results become its points: the scoring rule and the weights.

The rule (docs/grading.md, "How points are given"): gate checks carry no points, they only decide
whether the value checks run; the value checks share the exercise's points by weight
("proportional") or earn them together ("all_or_nothing": a single answer, right or wrong).
The exercise module declares its default rule and weights; grader.yaml may override both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from autograder.config import Exercise as ExerciseConfig
from autograder.engine.exercise import Check, Exercise, Scoring
from autograder.engine.result import CheckResult
from autograder.errors import GraderError


@dataclass(frozen=True)
class Policy:
    """How one exercise's checks become points: its scoring rule and each check's weight
    (`weights` holds grader.yaml's overrides; a check not named keeps its module's weight)."""

    scoring: Scoring = "proportional"
    weights: Mapping[str, float] = field(default_factory=dict)

    def weight(self, item: Check) -> float:
        """The points weight of a check: none for a gate, which only decides if the rest run."""
        return 0.0 if item.gate else self.weights.get(item.name, item.weight)


def policy_for(exercise: Exercise, config: ExerciseConfig, where: str) -> Policy:
    """grader.yaml's scoring and weights (at `where`) over the module's defaults.

    A weight for a check the exercise does not have, or for a gate, stops grading with the
    names it can take: a misspelt name must not silently keep the module's weight.
    """
    names = [item.name for item in exercise.checks]
    unknown = sorted(set(config.weights) - set(names))
    if unknown:
        raise GraderError(
            f"grader.yaml: {where}.weights: no check named {', '.join(unknown)}; "
            f"the checks of {exercise.id} are: {', '.join(names)}"
        )
    gates = sorted(
        item.name for item in exercise.checks if item.gate and item.name in config.weights
    )
    if gates:
        raise GraderError(
            f"grader.yaml: {where}.weights: {', '.join(gates)} only gates the other checks and "
            "carries no points (docs/grading.md, How points are given); give weights to the "
            "value checks instead"
        )
    return Policy(config.scoring or exercise.scoring, dict(config.weights))


def exercise_points(
    checks: list[CheckResult], points: float, scoring: Scoring, gates: set[str]
) -> tuple[float, bool]:
    """The exercise's points from its checks' results (their weights already the policy's), and
    whether every check that counts passed.

    The checks that count are those with a weight: not the gates, nor the notebook's public tests
    (weight 0: they inform). An exercise with no weighted check at all is scored all or nothing
    on its gates, so that it can still be earned and lost.
    """
    hidden = [c for c in checks if c.hidden]  # a public test runs beside student code: no say
    counted = [c for c in hidden if c.weight > 0] or [c for c in hidden if c.name in gates]
    passed = bool(counted) and all(c.passed for c in counted)
    total = sum(c.weight for c in counted)
    if scoring == "all_or_nothing" or not total:
        return (points if passed else 0.0), passed
    return round(points * sum(c.weight for c in counted if c.passed) / total, 4), passed
