"""Training checks: the reference passes on CPU within budget, known mistakes fail, thresholds
are calibrated and refused without calibration, and a missing data directory costs only them.
"""

from __future__ import annotations

import importlib
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.authoring.mistakes import with_mistakes
from autograder.config import Course
from autograder.engine.exercise import Mistake
from autograder.errors import GraderError
from autograder.exercises import training_specs
from autograder.grading import grade_notebook
from autograder.i18n import render
from autograder.sandbox import tiers
from autograder.sandbox.exchange import Isolation
from autograder.sandbox.probes import ProbeRunner, Recorder
from autograder.training import calibration, data, device, metrics
from autograder.training.local import namespace, train_once
from autograder.training.settings import (
    Threshold,
    budget_for,
    check_device,
    resolve_threshold,
)
from autograder.training.spec import TrainingSpec
from autograder.training.verdict import EarlyStop
from tests import submissions
from tests.uids import UID_BASE

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]


def specs_of(assignment: str) -> tuple[TrainingSpec, ...]:
    return importlib.import_module(f"autograder.exercises.{assignment}").SPECS


@pytest.fixture
def with_data(course_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RNN_GRADER_DATA", str(course_data_dir))
    return course_data_dir


def mistake_rounds(specs: tuple[TrainingSpec, ...]) -> list[dict[str, tuple[str, Mistake]]]:
    """Every known mistake, grouped so that a round rewrites each question block at most once
    and holds at most one mistake per training check (each failure is then that mistake's)."""
    rounds: list[dict[str, tuple[str, Mistake]]] = []
    for spec in specs:
        for mistake in spec.mistakes:
            for round_ in rounds:
                used = {exercise_id for exercise_id, _ in round_.values()}
                if mistake.block not in round_ and spec.id not in used:
                    break
            else:
                round_ = {}
                rounds.append(round_)
            round_[mistake.block] = (spec.id, Mistake(mistake.name, mistake.replace, ()))
    return rounds


# --- through the sandbox, as grading runs them ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_passes_every_training_check_within_budget(
    course: Course, assignment: str, with_data: Path, tmp_path: Path
) -> None:
    specs = specs_of(assignment)
    nb = submissions.reference(course, assignment)
    started = time.monotonic()
    result = grade_notebook(
        course, assignment, submissions.write(nb, tmp_path, "ref"), only=[s.id for s in specs]
    )
    elapsed = time.monotonic() - started
    failing = {e.id: e.message for e in result.exercises if e.status != "passed"}
    assert not failing, failing
    assert result.confined
    for graded in result.exercises:  # the grader ended each run at its decision, not later
        record = graded.training
        assert record is not None and record.device == "cpu" and record.torch_version
        assert record.decided_step == record.steps == record.checkpoints[-1][0]
        assert record.stopped in ("decided", "steps") and record.curve
    walls = [course.config.assignment(assignment).exercises[s.id].wall_seconds for s in specs]
    assert elapsed < sum(walls)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_known_mistakes_fail_the_training_check(
    course: Course, assignment: str, with_data: Path, tmp_path: Path
) -> None:
    specs = specs_of(assignment)
    assert all(len(spec.mistakes) >= 2 for spec in specs)
    missed = []
    for number, round_ in enumerate(mistake_rounds(specs)):
        nb = with_mistakes(course, assignment, {block: m for block, (_, m) in round_.items()})
        path = submissions.write(nb, tmp_path, f"round{number}")
        result = grade_notebook(course, assignment, path, only=[s.id for s in specs])
        by_id = {e.id: e for e in result.exercises}
        for exercise_id, mistake in round_.values():
            graded = by_id[exercise_id]
            if graded.points > 0 or graded.status == "passed":
                missed.append(f"{exercise_id}/{mistake.name}: {graded.message}")
            if graded.training is not None:  # a run that ended without a crash
                assert graded.training.decided_step is None
            assert graded.message and "Traceback" not in render(graded.message, "en")
    assert not missed, "\n".join(missed)


@pytest.mark.slow
def test_unshifted_targets_fail_the_char_lm_check_despite_a_tiny_own_loss(
    course: Course, with_data: Path, tmp_path: Path
) -> None:
    spec = next(s for s in specs_of("names_charlm") if s.id == "charlm_training")
    mistake = next(m for m in spec.mistakes if m.name == "target not shifted")
    nb = with_mistakes(
        course, "names_charlm", {mistake.block: Mistake(mistake.name, mistake.replace, ())}
    )
    path = submissions.write(nb, tmp_path, "unshifted")
    result = grade_notebook(course, "names_charlm", path, only=[spec.id])
    (graded,) = result.exercises
    assert graded.status == "failed" and graded.points == 0
    check = next(c for c in graded.checks if c.name == "reaches_threshold")
    assert not check.passed
    assert "give the answer away" in render(
        check.message, "en"
    )  # its own loss fell far below the reference's
    said = render(check.message, "en")
    assert "Usual causes" in said and "Training loss on your own targets" in said


@pytest.mark.slow
def test_a_run_cut_off_by_the_time_limit_is_scored_on_what_it_reached(
    course: Course, with_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model that hangs in its first training step after the first held-out evaluation.
    hang = (
        "F.log_softmax(logits, dim=-1)\n"
        "        self.evaluated = getattr(self, 'evaluated', False) or not self.training\n"
        "        if self.training and self.evaluated:\n"
        "            __import__('time').sleep(3600)"
    )
    mistake = Mistake("hangs after a checkpoint", ("F.log_softmax(logits, dim=-1)", hang), ())
    nb = with_mistakes(course, "word_lm", {"rnn_model_forward": mistake})
    exercises = course.config.assignment("word_lm").exercises
    quick = exercises["word_lm_training"].model_copy(update={"wall_seconds": 20})
    monkeypatch.setitem(exercises, "word_lm_training", quick)
    path = submissions.write(nb, tmp_path, "hangs")
    result = grade_notebook(course, "word_lm", path, only=["word_lm_training"])
    (graded,) = result.exercises
    record = graded.training
    assert record is not None, graded.message
    assert record.stopped == "time_limit"
    assert [step for step, _ in record.checkpoints] == [300]  # the first checkpoint, scored
    assert record.checkpoints[0][1] is not None and record.curve
    assert graded.status == "failed" and "cut off by the exercise's time limit" in render(
        graded.message, "en"
    )


def test_missing_data_leaves_the_training_check_not_graded_and_nothing_else(
    course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RNN_GRADER_DATA", str(tmp_path / "no-data-here"))
    nb = submissions.reference(course, "names_charlm")
    path = submissions.write(nb, tmp_path, "ref")
    result = grade_notebook(
        course, "names_charlm", path, only=["one_hot_encode_string", "names_training"]
    )
    by_id = {e.id: e for e in result.exercises}
    assert result.status == "graded"
    assert by_id["one_hot_encode_string"].status == "passed"
    training = by_id["names_training"]
    assert training.points == 0 and training.status == "not_graded"
    assert "course data file names.csv" in training.grader_problem  # for the staff
    said = render(training.message, "en")
    assert "names.csv" not in said and "RNN_GRADER" not in said


# --- calibration ---------------------------------------------------------------------------------


def test_every_training_check_has_a_current_cpu_calibration(course: Course) -> None:
    specs = training_specs(course)
    assert set(specs) == {s.id for a in ASSIGNMENTS for s in specs_of(a)}
    for exercise_id, spec in specs.items():
        found = calibration.load(course.root, "cpu", exercise_id)
        assert found is not None, f"calibration/cpu/{exercise_id}.json is missing"
        assert found["fingerprint"] == spec.fingerprint(budget_for(course, spec, "cpu"))
        assert found["reference"]["n"] >= 20
        assert found["false_fail_estimate"] <= 1e-3
        assert found["reference"]["observed_failures"] == 0
        assert all(m["verdict"].startswith("fails") for m in found["mistakes"])
        assert len(found["mistakes"]) >= 2
        for suffix in (".md", ".png"):
            assert (course.root / "calibration" / "cpu" / f"{exercise_id}{suffix}").is_file()


def _course_copy(repo_root: Path, target: Path, yaml_edit: tuple[str, str] | None = None) -> Course:
    text = (repo_root / "grader.yaml").read_text(encoding="utf-8")
    if yaml_edit:
        assert yaml_edit[0] in text
        text = text.replace(*yaml_edit)
    (target / "grader.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(repo_root / "calibration", target / "calibration")
    return Course(target / "grader.yaml")


def test_grading_refuses_a_threshold_without_calibration(repo_root: Path, tmp_path: Path) -> None:
    course = _course_copy(repo_root, tmp_path)
    spec = specs_of("rnn_basics")[0]
    assert resolve_threshold(course, spec, "cpu").calibration is not None
    shutil.rmtree(tmp_path / "calibration" / "cuda", ignore_errors=True)
    with pytest.raises(GraderError, match="refusing to grade.*no calibration for the device class"):
        resolve_threshold(course, spec, "cuda")


def test_a_changed_budget_makes_the_calibration_stale(repo_root: Path, tmp_path: Path) -> None:
    edit = (
        "cpu: {steps: 100, seconds: 30, checkpoints: [50]}",
        "cpu: {steps: 120, seconds: 30, checkpoints: [50]}",
    )
    course = _course_copy(repo_root, tmp_path, edit)
    with pytest.raises(GraderError, match="another recipe or budget"):
        resolve_threshold(course, specs_of("rnn_basics")[0], "cpu")


def test_an_explicit_uncalibrated_threshold_is_used_only_when_allowed(
    repo_root: Path, tmp_path: Path
) -> None:
    edit = (
        "metric: sentence_mse\n          threshold: calibrated",
        "metric: sentence_mse\n          threshold: 0.25\n          allow_uncalibrated: true",
    )
    course = _course_copy(repo_root, tmp_path, edit)
    shutil.rmtree(tmp_path / "calibration")
    found = resolve_threshold(course, specs_of("rnn_basics")[0], "cpu")
    assert found.value == 0.25 and found.calibration is None and "uncalibrated" in found.source


def test_a_check_without_a_cuda_budget_trains_on_the_cpu(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        device, "sandbox_cuda_problem", lambda limits, isolation: None
    )  # a usable GPU
    course = _course_copy(repo_root, tmp_path, ("device: auto", "device: cuda"))
    names = next(s for s in specs_of("names_charlm") if s.id == "names_training")
    assert check_device(course, names) == "cpu"
    assert resolve_threshold(course, names, "cpu").calibration is not None
    assert check_device(course, specs_of("rnn_basics")[0]) == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine's sandbox may reach its GPU")
def test_auto_falls_back_to_the_cpu_when_the_sandbox_cannot_use_the_gpu(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The grader "sees" a GPU; a real confined child then fails to initialise CUDA.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    device._probe_sandbox_cuda.cache_clear()
    try:
        (tmp_path / "auto").mkdir()
        (tmp_path / "cuda").mkdir()
        auto = _course_copy(repo_root, tmp_path / "auto", None)
        assert device.device_class(auto) == "cpu"
        problem = device.sandbox_cuda_problem(auto.config.limits, Isolation())
        assert problem and "CUDA does not work inside the sandbox" in problem
        explicit = _course_copy(repo_root, tmp_path / "cuda", ("device: auto", "device: cuda"))
        with pytest.raises(GraderError, match="asks for `device: cuda`, but CUDA does not work"):
            device.device_class(explicit)
    finally:
        device._probe_sandbox_cuda.cache_clear()


def test_device_cpu_never_looks_for_a_gpu(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        device, "sandbox_cuda_problem", lambda limits, isolation: pytest.fail("probed")
    )
    assert device.device_class(_course_copy(repo_root, tmp_path, ("device: auto", "device: cpu")))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("tier", ["namespaces", "container"])
def test_the_sandbox_trains_on_the_gpu_when_there_is_one(course: Course, tier: str) -> None:
    """CUDA initialises and an LSTM takes a step in a child confined in each tier.

    Run it inside tests/dockersim.py's Docker-default simulation too: there only the container
    tier holds, and device_class must still pick cuda.
    """
    device._probe_sandbox_cuda.cache_clear()
    isolation = Isolation(tier=tier, uid_base=UID_BASE)
    assert device.sandbox_cuda_problem(course.config.limits, isolation) is None
    try:
        chosen = tiers.isolation_for(course).tier
    except tiers.IsolationError:  # in the simulation, a world-readable checkout: no tier holds
        chosen = None
    if chosen == tier:
        assert device.device_class(course) == "cuda"


def test_tolerance_factor_matches_tables() -> None:
    assert calibration.tolerance_factor(20) == pytest.approx(4.29, abs=0.05)
    assert calibration.tolerance_factor(100_000) == pytest.approx(3.09, abs=0.02)
    assert calibration.place_threshold(0.45, 0.30, True) == pytest.approx(0.375)
    with pytest.raises(ValueError):
        calibration.place_threshold(0.45, 0.50, True)


def test_recipes_are_deterministic_per_seed(course: Course) -> None:
    spec = specs_of("rnn_basics")[0]
    prepared = data.sentence()
    budget = budget_for(course, spec, "cpu")
    first = train_once(spec, prepared, budget, "cpu", seed=7)
    second = train_once(spec, prepared, budget, "cpu", seed=7)
    other = train_once(spec, prepared, budget, "cpu", seed=8)
    assert first.scored and second.scored and other.scored
    assert first.scored.values == second.scored.values
    assert first.scored.values != other.scored.values
    assert first.scored.train["seed"] == 7 and first.scored.train["torch"]


def _train_live(course: Course, decide) -> tuple[dict, Recorder, list[tuple[int, list[str]]]]:
    """The memorisation recipe in-process, with `decide` standing in for the grader."""
    spec = specs_of("rnn_basics")[0]
    probe = spec.probe(data.sentence(), budget_for(course, spec, "cpu"), "cpu", seed=3)
    calls: list[tuple[int, list[str]]] = []

    def live(point: dict, arrays: dict) -> bool:
        calls.append((point["step"], sorted(arrays)))
        return decide(point["step"])

    runner = ProbeRunner(namespace(spec.module, None), {}, dict(data.sentence().arrays), live)
    recorder = Recorder("p0")
    return runner.run(probe, recorder), recorder, calls


def test_training_stops_at_the_checkpoint_where_the_grader_decides(course: Course) -> None:
    result, recorder, calls = _train_live(course, lambda step: step == 50)
    assert calls == [(50, ["p0/checkpoint0"])]
    assert result["train"]["stopped"] == "decided" and result["train"]["steps"] == 50
    assert not recorder.arrays  # the outputs went with the checkpoint, not again at the end


def test_training_runs_its_budget_while_the_grader_is_undecided(course: Course) -> None:
    budget = budget_for(course, specs_of("rnn_basics")[0], "cpu")
    result, _, calls = _train_live(course, lambda step: False)
    assert [step for step, _ in calls] == [*budget.checkpoints, budget.steps]
    assert result["train"]["steps"] == budget.steps and result["train"]["stopped"] == "steps"


class _Mean:
    """A stand-in metric: the mean of the outputs, lower is better."""

    @staticmethod
    def compute(outputs: np.ndarray, targets: dict) -> float:
        if outputs.size == 0:
            raise metrics.UnusableOutputError("no outputs")
        return float(outputs.mean())

    @staticmethod
    def passes(value: float, threshold: float) -> bool:
        return value <= threshold


def _point(value: float | None) -> tuple[dict, dict[str, np.ndarray]]:
    data = np.full(4, value, dtype=np.float32) if value is not None else np.zeros(0, np.float32)
    meta = {"type": "tensor", "dtype": "float32", "shape": list(data.shape), "array": "k"}
    return {"step": 1, "outputs": meta}, {"k": data}


def test_early_stop_decides_on_a_pass_or_a_leak_and_never_on_bad_outputs() -> None:
    threshold = Threshold(2.0, 0.5, "test", None)
    passing, failing = EarlyStop(_Mean, threshold, {}), EarlyStop(_Mean, threshold, {})
    assert not passing(*_point(3.0))
    assert passing(*_point(1.5))  # met the threshold: passed, the run may end
    assert failing(*_point(0.1))  # below the floor: it fails whatever follows
    undecided = EarlyStop(_Mean, threshold, {})
    assert not undecided(*_point(None))  # unusable outputs: go on, the final scoring explains
    assert not undecided({"step": 1, "outputs": {"type": "str"}}, {})
    assert not undecided({"step": 1, "outputs": {"type": "tensor", "array": "missing"}}, {})


# --- metrics: the grader's targets and the outputs' contract -------------------------------------


def test_word_loss_rejects_what_is_not_log_probabilities() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 5, 7))
    targets = {"targets": rng.integers(0, 7, (2, 5)), "vocab": np.array(7)}
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert metrics.word_loss(log_probs, targets) > 0
    with pytest.raises(metrics.UnusableOutputError, match="never positive"):
        metrics.word_loss(np.exp(log_probs), targets)  # probabilities
    over_time = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    with pytest.raises(metrics.UnusableOutputError, match="do not sum to 1"):
        metrics.word_loss(over_time, targets)


def test_balanced_accuracy_sees_through_the_majority_class() -> None:
    labels = np.array([0] * 90 + [1] * 5 + [2] * 5)
    always_zero = np.tile([5.0, 0.0, 0.0], (100, 1))
    expected = {"labels": labels, "num_classes": np.array(3)}
    assert metrics.plain_accuracy(always_zero, labels) == pytest.approx(0.9)
    assert metrics.balanced_accuracy(always_zero, expected) == pytest.approx(1 / 3)
    with pytest.raises(metrics.UnusableOutputError, match="NaN"):
        metrics.balanced_accuracy(np.full((100, 3), np.nan), expected)
