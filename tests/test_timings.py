"""The class's time split: phases add up; a training check's overhead is what is not training."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from autograder.engine.result import ExerciseResult, SubmissionResult, Timings, TrainingRecord
from autograder.engine.timings import class_split, print_split


def _result(train_seconds: float, decision: float) -> SubmissionResult:
    record = TrainingRecord(
        recipe="char_lm",
        device="cpu",
        device_name="cpu",
        torch_version="2",
        seed=1,
        numpy_seed=1,
        random_seed=1,
        steps=100,
        seconds=train_seconds,
        stopped="decided",
        metric="next_char_loss",
        threshold=2.0,
        eval_seconds=0.25,
    )
    exercises = [
        ExerciseResult(id="unit", title="u", points=1, max_points=1, status="passed"),
        ExerciseResult(
            id="lm", title="t", points=1, max_points=1, status="passed", training=record
        ),
    ]
    timings = Timings(
        start=1.0,
        cells=0.5,
        exercises={"unit": 0.5, "lm": decision},
        plans={"unit": 0.1, "lm": 0.5},
        checks=0.2,
        parent=8.0 - decision,
        child_peak_mb=300.0,
        exercise_peak_mb=400.0,
    )
    return SubmissionResult(
        assignment="a",
        submission="s",
        sha256="x",
        status="graded",
        points=2,
        max_points=2,
        exercises=exercises,
        seed=1,
        torch_version="2",
        device="cpu",
        confined=True,
        seconds=10.0,
        timings=timings,
    )


def test_training_overhead_is_data_and_decision_minus_the_training_steps() -> None:
    split = class_split([_result(3.0, 4.0), _result(5.0, 6.0)])
    lm = split.training["lm"]
    assert (lm.runs, lm.training, lm.decision, lm.data) == (2, 8.0, 10.0, 1.0)
    assert lm.overhead == pytest.approx(3.0)
    assert lm.overhead_share == pytest.approx(3.0 / 11.0)
    assert split.exercises == {"unit": 1.0, "lm": 10.0}
    assert split.phases["plans"] == pytest.approx(1.2)
    assert (split.child_peak_mb, split.exercise_peak_mb) == (300.0, 400.0)


def test_the_report_shows_each_phase_and_the_overhead() -> None:
    out = io.StringIO()
    print_split(class_split([_result(3.0, 4.0)]), Console(file=out, width=120))
    text = out.getvalue()
    assert "exercise: lm" in text and "child: student cells" in text
    assert "overhead 33.3%" in text  # (0.5 data + 4.0 decision - 3.0 training) / 4.5
    assert "peak memory: child 300 MB" in text


def test_results_without_timings_are_skipped() -> None:
    result = _result(3.0, 4.0).model_copy(update={"timings": None})
    assert class_split([result]).submissions == 0
