"""The course configuration, `grader.yaml`, validated so that a typo fails loudly and precisely."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from autograder.errors import GraderError
from autograder.i18n import DEFAULT_LANGUAGE, LANGUAGES
from autograder.policies.late import LatePolicy
from autograder.policies.limits import SubmissionLimit

DATA_ENV = "RNN_GRADER_DATA"
CONFIG_ENV = "RNN_GRADER_CONFIG"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Resources student code may use while one exercise is graded."""

    cpu_seconds: PositiveInt = 60
    wall_seconds: PositiveInt = 120
    memory_mb: PositiveInt = 4096
    max_processes: PositiveInt = 64
    max_output_kb: PositiveInt = 256


class Sandbox(_Strict):
    """How student code is confined (docs/sandbox.md). `auto` picks the strongest tier that the
    preflight proves on this machine; `none` grades unconfined and exists only for an
    instructor's own machine: every result then says so."""

    confinement: Literal["auto", "namespaces", "container", "none"] = "auto"
    uid_base: int = Field(
        61000, ge=1000, le=2**31 - 1000, description="slot k runs as uid/gid uid_base + k"
    )


class RayResources(_Strict):
    """What one submission's Ray task asks the cluster for (`--executor ray`,
    docs/scale-out.md): CPUs for the unit checks, a share of a GPU for training sent to cuda."""

    cpus: float = Field(1.0, gt=0, description="CPUs for a submission's unit and CPU checks")
    gpu_fraction: float = Field(
        0.5, gt=0, le=1, description="the share of a GPU for its training checks on cuda"
    )


Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class Gradescope(_Strict):
    """How results appear on Gradescope (its own visibility words)."""

    public_visibility: Visibility = "visible"
    hidden_visibility: Visibility = "after_published"


class Feedback(_Strict):
    """What students read: the language of every message, page and table (`--lang` overrides)."""

    language: str = Field(DEFAULT_LANGUAGE, description="ko (this course) or en")

    @field_validator("language")
    @classmethod
    def _spoken(cls, language: str) -> str:
        if language not in LANGUAGES:
            raise ValueError(
                f"the grader has no messages in {language!r}; it speaks {', '.join(LANGUAGES)}"
            )
        return language


DeviceClass = Literal["cpu", "cuda"]
TrainingMetric = Literal["balanced_accuracy", "next_char_loss", "perplexity", "sentence_mse"]


class TrainingBudget(_Strict):
    """How long the grader trains on one device class; calibrations hold for these steps only."""

    steps: PositiveInt = Field(description="optimiser steps of the grader's recipe")
    seconds: PositiveFloat = Field(description="wall-clock cap; a run is scored on what it reached")
    checkpoints: list[PositiveInt] = Field(
        default_factory=list, description="steps at which held-out outputs also come back"
    )

    @model_validator(mode="after")
    def _checkpoints_inside(self) -> TrainingBudget:
        if any(step >= self.steps for step in self.checkpoints):
            raise ValueError("every checkpoint must come before the last step")
        return self


class Training(_Strict):
    """A training check: the grader trains the student's model and scores held-out outputs."""

    metric: TrainingMetric
    threshold: Literal["calibrated"] | float = Field(
        "calibrated", description="'calibrated': from calibration/<device>/<exercise>.json"
    )
    allow_uncalibrated: bool = Field(
        False, description="grade with a threshold no calibration of this device class backs"
    )
    budgets: dict[DeviceClass, TrainingBudget] = Field(min_length=1)


#: How an exercise's checks become points (docs/grading.md, "How points are given"):
#: "proportional" shares the points by the weights of the value checks that pass;
#: "all_or_nothing" gives them only when every check passes (a single answer: a count, a number).
Scoring = Literal["proportional", "all_or_nothing"]


class Exercise(_Strict):
    points: float = Field(gt=0, description="points for a fully correct answer")
    wall_seconds: PositiveInt | None = Field(None, description="overrides limits.wall_seconds")
    cpu_seconds: PositiveInt | None = Field(None, description="overrides limits.cpu_seconds")
    training: Training | None = Field(None, description="set for a training check")
    scoring: Scoring | None = Field(
        None, description="overrides the exercise module's scoring rule (docs/grading.md)"
    )
    weights: dict[str, NonNegativeFloat] = Field(
        default_factory=dict,
        description="check name -> weight, overriding the module's; names checked when grading",
    )


class Assignment(_Strict):
    title: str | dict[str, str] = Field(
        description="what readers see: one string, or one per language ({ko: ..., en: ...})"
    )
    exercises: dict[str, Exercise] = Field(min_length=1)
    late: LatePolicy | None = Field(None, description="late penalties (docs/policies.md)")
    submission_limit: SubmissionLimit | None = Field(
        None, description="fully graded Gradescope submissions per window (docs/policies.md)"
    )

    @field_validator("exercises")
    @classmethod
    def _ids_are_identifiers(cls, exercises: dict[str, Exercise]) -> dict[str, Exercise]:
        for exercise_id in exercises:
            if not exercise_id.isidentifier():
                raise ValueError(f"exercise id {exercise_id!r} must be a Python identifier")
        return exercises

    @field_validator("title")
    @classmethod
    def _a_title_per_language(cls, title: str | dict[str, str]) -> str | dict[str, str]:
        """A title per language names each language the grader speaks (`--lang` picks any)."""
        if isinstance(title, dict) and sorted(title) != sorted(LANGUAGES):
            raise ValueError(
                f"a title per language gives exactly {', '.join(LANGUAGES)}; got "
                f"{', '.join(title) or 'none'}"
            )
        return title

    def title_in(self, lang: str) -> str:
        """The title as a reader of `lang` sees it; a plain string is the title in every one."""
        return self.title if isinstance(self.title, str) else self.title[lang]

    @property
    def max_points(self) -> float:
        return sum(exercise.points for exercise in self.exercises.values())


class CourseConfig(_Strict):
    course: str
    data_dir: Path
    device: Literal["auto", "cpu", "cuda"] = "auto"
    limits: Limits = Limits()
    sandbox: Sandbox = Sandbox()
    ray: RayResources = RayResources()
    gradescope: Gradescope = Gradescope()
    feedback: Feedback = Feedback()
    assignments: dict[str, Assignment] = Field(min_length=1)

    def assignment(self, name: str) -> Assignment:
        """The named assignment, or an error that lists the ones that exist."""
        try:
            return self.assignments[name]
        except KeyError:
            known = ", ".join(sorted(self.assignments))
            raise GraderError(
                f"unknown assignment {name!r}; grader.yaml defines: {known}"
            ) from None

    def resolved_data_dir(self) -> Path:
        """The data directory: $RNN_GRADER_DATA when set, else `data_dir` from grader.yaml."""
        return Path(os.environ.get(DATA_ENV) or self.data_dir).expanduser()


class Course:
    """A course checkout: the configuration plus the folders laid out beside it."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path.resolve()
        self.root = self.config_path.parent
        self.config = load_config(self.config_path)

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def template_dir(self) -> Path:
        return self.root / "student_template"

    def master_notebook(self, assignment: str) -> Path:
        return self.root / "assignments" / assignment / f"{assignment}.ipynb"

    @classmethod
    def discover(cls, config: Path | None = None) -> Course:
        """Find grader.yaml: the given path, $RNN_GRADER_CONFIG, or the nearest parent folder."""
        if config is None and os.environ.get(CONFIG_ENV):
            config = Path(os.environ[CONFIG_ENV])
        if config is not None:
            return cls(config)
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            candidate = folder / "grader.yaml"
            if candidate.is_file():
                return cls(candidate)
        raise GraderError(
            "no grader.yaml found in this folder or its parents; run inside the course checkout "
            f"or pass --config (or set {CONFIG_ENV})"
        )


def load_config(path: Path) -> CourseConfig:
    """Parse and validate grader.yaml, turning every problem into one readable GraderError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise GraderError(f"cannot read {path}: {error.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise GraderError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise GraderError(f"{path} must be a mapping of settings, found {type(raw).__name__}")
    try:
        return CourseConfig.model_validate(raw)
    except ValidationError as error:
        lines = [f"{path} has {error.error_count()} problem(s):"]
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
            lines.append(f"  {where}: {_describe(problem)}")
        raise GraderError("\n".join(lines)) from None


def _describe(problem: dict) -> str:
    if problem["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see docs/configuration.md)"
    if problem["type"] == "missing":
        return "required key is missing"
    return f"{problem['msg']} (got {problem.get('input')!r})"
