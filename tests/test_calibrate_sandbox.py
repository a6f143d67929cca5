"""Calibration through the sandbox: the route grading trains on, several workers at a time.

The memorisation check is the quickest, so it stands in for every check here; the GPU side
(a cuda probe reaching the child's training fork) runs on a GPU machine only
(benchmarks/gpu_issue11.sh), and here only the request that asks for it is checked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.config import Course
from autograder.exercises import training_specs
from autograder.sandbox.exchange import Isolation
from autograder.training.calibrate import FIRST_SEED, calibrate
from autograder.training.local import RunKey, best_value, train_in_process
from autograder.training.sandboxed import SandboxTrainer
from autograder.training.settings import budget_for
from tests.uids import UID_BASE

CHECK = "rnn_cell_training"
#: The fewest seeds whose tolerance bound stays clear of this check's mistakes (k = 7.5).
SEEDS = 5


def _course_copy(repo_root: Path, target: Path) -> Course:
    """The course in `target`, with no calibration yet and this test run's sandbox uids."""
    text = (repo_root / "grader.yaml").read_text(encoding="utf-8")
    assert "uid_base: 61000" in text
    (target / "grader.yaml").write_text(
        text.replace("uid_base: 61000", f"uid_base: {UID_BASE}"), encoding="utf-8"
    )
    for folder in ("assignments", "solutions"):
        shutil.copytree(repo_root / folder, target / folder)
    target.chmod(0o700)  # as unreadable to the sandbox uid as the checkout itself
    return Course(target / "grader.yaml")


@pytest.mark.slow
def test_a_sandboxed_calibration_records_every_run_and_matches_the_in_process_route(
    repo_root: Path, tmp_path: Path
) -> None:
    course = _course_copy(repo_root, tmp_path)
    spec = training_specs(course)[CHECK]
    said: list[str] = []
    record = calibrate(
        course, spec, "cpu", SEEDS, 1, "test", said.append, through="sandbox", workers=2
    )
    written = json.loads((tmp_path / "calibration" / "cpu" / f"{CHECK}.json").read_text())
    assert written["status"] == record["status"] == "ok" and written["threshold"] is not None
    assert written["through"] == "sandbox" and written["workers"] == 2
    assert written["tier"] in ("namespaces", "container") and written["device_name"] == "cpu"
    reference = written["reference"]
    assert reference["seeds"] == [FIRST_SEED + n for n in range(SEEDS)]
    assert len(reference["final"]) == SEEDS and reference["observed_failures"] == 0
    assert {m["name"] for m in written["mistakes"]} == {m.name for m in spec.mistakes}
    assert all(m["verdict"].startswith("fails") for m in written["mistakes"])
    assert (tmp_path / "calibration" / "cpu" / f"{CHECK}.md").is_file()
    assert len(said) == SEEDS + len(spec.mistakes)  # one line per run, as it finished

    # The same recipe and seed in this process give the very same numbers: on a CPU the
    # route changes nothing but where the code runs.
    budget = budget_for(course, spec, "cpu")
    prepared = spec.prepared(course.config.resolved_data_dir())
    keys: list[RunKey] = [(None, seed) for seed in reference["seeds"]]
    keys += [(mistake, FIRST_SEED) for mistake in spec.mistakes]
    here = train_in_process(spec, prepared, budget, "cpu", keys, lambda key, run: True)
    assert [here[(None, s)].scored.values[-1] for s in reference["seeds"]] == reference["final"]
    for mistake, found in zip(spec.mistakes, written["mistakes"], strict=True):
        assert found["best"] == [best_value(spec, here[(mistake, FIRST_SEED)])]


def test_a_cuda_calibration_asks_the_sandbox_for_the_gpu(course: Course) -> None:
    """The probe's device is what makes the launcher bind /dev/nvidia* and the child show the
    GPU to the training fork (ExerciseRequest.needs_gpu)."""
    spec = training_specs(course)[CHECK]
    prepared = spec.prepared(course.config.resolved_data_dir())
    for device in ("cuda", "cpu"):
        budget = budget_for(course, spec, device)
        trainer = SandboxTrainer(course, spec, prepared, budget, device, Isolation())
        request = trainer.request(FIRST_SEED)
        assert request.needs_gpu == (device == "cuda")
        assert request.trains and request.probes[0]["seed"] == FIRST_SEED
        assert request.probes[0]["budget"]["steps"] == budget.steps


def test_a_failed_reference_run_stops_the_runs_not_yet_started(course: Course) -> None:
    """`on_run` saying False (a reference run that did not train) drops the queue: a broken
    reference costs one round of runs, not the whole calibration's time."""
    spec = training_specs(course)[CHECK]
    prepared = spec.prepared(course.config.resolved_data_dir())
    budget = budget_for(course, spec, "cpu")
    isolation = Isolation(confine=False, uid_base=UID_BASE)
    trainer = SandboxTrainer(course, spec, prepared, budget, "cpu", isolation)
    keys: list[RunKey] = [(None, FIRST_SEED + n) for n in range(6)]
    done = trainer.train(keys, lambda key, run: False, workers=2)
    assert 1 <= len(done) <= 2
    assert all(run.scored is not None and run.error is None for run in done.values())
