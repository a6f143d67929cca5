"""How one exercise is defined: its plan (probes and reference answers), checks and mistakes.

An exercise module under `autograder/exercises/` builds `Exercise` objects. The engine knows
nothing else about exercises: it asks each for a plan, sends the probes to the child, hands the
answers to the checks and adds up the points `grader.yaml` gives.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.config import Scoring
from autograder.engine.checks import Answer, CheckFailure, MalformedAnswer
from autograder.i18n import Text, t
from autograder.sandbox.exchange import Cell


@dataclass
class Plan:
    """What to ask the child (`probes`, `arrays`) and what the reference answered (`expected`).

    `expected` never leaves the grading process.
    """

    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    #: training checks: sees each streamed checkpoint (header, arrays) and returns True once
    #: the verdict is known, so that the child stops training early
    on_checkpoint: Callable[[dict[str, Any], dict[str, np.ndarray]], bool] | None = None

    def array(self, key: str, value: np.ndarray) -> dict[str, Any]:
        """Register an input array and return the argument that refers to it."""
        self.arrays[key] = np.asarray(value, order="C")
        return {"array": key}


@dataclass
class Context:
    """What a check may look at: the plan, the child's answers and the student's source."""

    plan: Plan
    answers: dict[str, Answer]
    cells: list[Cell]
    #: facts a check records for the result (a training run's device, seeds and curve)
    details: dict[str, Any] = field(default_factory=dict)

    def answer(self, probe: str) -> Answer:
        if probe not in self.answers:
            raise MalformedAnswer(t("no answer came back for the probe {probe}", probe=repr(probe)))
        return self.answers[probe]

    def expected(self, key: str) -> Any:
        return self.plan.expected[key]

    def definitions(self, name: str) -> list[ast.AST]:
        """Every top-level def/class/assignment of `name` in the student's cells (parsed only)."""
        found: list[ast.AST] = []
        for cell in self.cells:
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in tree.body:
                names = _bound_names(node)
                if name in names:
                    found.append(node)
        return found


CheckFunction = Callable[[Context], None]


@dataclass(frozen=True)
class Check:
    """One named check. `gate` checks stop the rest of the exercise when they fail. A unit
    exercise's public (`hidden=False`) checks are the notebook's own tests, added at grading
    with weight 0 (engine/public_tests.py); its module's checks are hidden."""

    name: str
    description: Text | str
    run: CheckFunction
    hidden: bool = True
    weight: float = 1.0
    gate: bool = False


@dataclass(frozen=True)
class Mistake:
    """A realistic wrong implementation: `replace` turns the reference into it.

    `caught_by` names the checks of which at least one must fail for the mistake to be caught;
    the mistake tests build a notebook with the replacement and grade it.
    """

    name: str
    replace: tuple[str, str]
    caught_by: tuple[str, ...]
    #: where to look, in plain words, when the feedback names this mistake (never the fix)
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    id: str
    assignment: str
    title: str
    plan: Callable[..., Plan]
    checks: tuple[Check, ...]
    mistakes: tuple[Mistake, ...] = ()
    #: exercises whose student code this one's probes also run (a NamesDataset calls the
    #: student's one_hot_encode_string); the mistake tests never mutate both at once.
    depends_on: tuple[str, ...] = ()
    #: training checks build their plan from the course (data directory, budgets, thresholds):
    #: their `plan` takes (rng, course)
    uses_course: bool = False
    #: the default scoring rule; grader.yaml's `scoring` overrides it
    scoring: Scoring = "proportional"

    def make_plan(self, rng: np.random.Generator, course: Any) -> Plan:
        return self.plan(rng, course) if self.uses_course else self.plan(rng)

    def __post_init__(self) -> None:
        names = [check.name for check in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: check names must be unique")
        for mistake in self.mistakes:
            unknown = set(mistake.caught_by) - set(names)
            if unknown:
                raise ValueError(f"{self.id}/{mistake.name}: unknown checks {sorted(unknown)}")


def check(
    description: str, *, weight: float = 1.0, gate: bool = False
) -> Callable[[CheckFunction], Check]:
    """Decorator: a function becomes a hidden Check named after it (the public checks are the
    notebook's own tests, attached at grading: `engine/public_tests.py`)."""

    def wrap(function: CheckFunction) -> Check:
        return Check(function.__name__, description, function, True, weight, gate)

    return wrap


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
    return set()


__all__ = [
    "Check",
    "CheckFailure",
    "Context",
    "Exercise",
    "Mistake",
    "Plan",
    "Scoring",
    "check",
]
