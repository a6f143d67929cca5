"""One training check's recipe: what the grader trains, on which data, and its known mistakes.

A `TrainingSpec` holds the grader's recipe choices (hyperparameters, data subset, metric) and
the known mistakes calibration runs. `training.exercise.make_exercise` turns it into an engine
`Exercise`; the budget and threshold come from grader.yaml and the calibration files
(`training.settings`); scoring and the verdict live in `training.verdict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.config import TrainingBudget
from autograder.training import calibration
from autograder.training.data import Prepared
from autograder.training.metrics import METRICS, Metric


@dataclass(frozen=True)
class TrainingMistake:
    """A realistic bug that passes the unit checks' shapes but should fail the training check.

    `replace` rewrites the code of the unit exercise `block` (its question block in the master
    notebook, and the same text in `solutions/<module>.py`, where calibration applies it).
    """

    name: str
    block: str
    module: str
    replace: tuple[str, str]
    effect: str


@dataclass(frozen=True)
class TrainingSpec:
    """The grader's recipe for one training check (everything grader.yaml does not set)."""

    id: str
    assignment: str
    title: str
    recipe: str
    metric: str
    module: str
    params: dict[str, Any]
    prepare: Callable[..., Prepared]
    data: dict[str, Any]
    parts: dict[str, Any]
    expected: dict[str, Any]
    mistakes: tuple[TrainingMistake, ...]
    causes: tuple[str, ...]
    #: the reference cannot plausibly reach a held-out loss below this share of its own lower
    #: bound; below it, the model sees what it must predict (a language model only).
    leak_floor: bool = False
    half_outputs: bool = False
    depends_on: tuple[str, ...] = ()
    curve_every: int = 25

    @property
    def metric_spec(self) -> Metric:
        return METRICS[self.metric]

    def prepared(self, data_dir: Path) -> Prepared:
        return self.prepare(data_dir, **self.data)

    def fingerprint(self, budget: TrainingBudget) -> str:
        """What a calibration is valid for: recipe, data selection, steps and checkpoints."""
        return calibration.fingerprint(
            {
                "exercise": self.id,
                "recipe": self.recipe,
                "metric": self.metric,
                "params": self.params,
                "data": self.data,
                "parts": self.parts,
                "steps": budget.steps,
                "checkpoints": sorted(budget.checkpoints),
            }
        )

    def probe(
        self, prepared: Prepared, budget: TrainingBudget, device: str, seed: int
    ) -> dict[str, Any]:
        """The "train" probe: plain data naming the student's objects and the grader's arrays."""
        return {
            "kind": "train",
            "recipe": self.recipe,
            "seed": seed,
            "device": device,
            "budget": {
                "steps": budget.steps,
                "seconds": budget.seconds,
                "checkpoints": sorted(budget.checkpoints),
                "curve_every": self.curve_every,
            },
            "params": self.params,
            "half_outputs": self.half_outputs,
            "data": {key: {"array": key} for key in prepared.arrays},
            **_fill(self.parts, prepared),
        }

    def expected_for(self, prepared: Prepared) -> dict[str, np.ndarray]:
        return {**prepared.expected, **{k: np.asarray(v) for k, v in self.expected.items()}}


def _fill(value: Any, prepared: Prepared) -> Any:
    """Replace {"info": key} by the prepared data's value (a vocabulary the model is built on)."""
    if isinstance(value, dict):
        if set(value) == {"info"}:
            found = prepared.info[value["info"]]
            return {"value": list(found) if isinstance(found, (list, tuple)) else found}
        return {key: _fill(item, prepared) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, prepared) for item in value]
    return value
