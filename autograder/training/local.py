"""Run a training recipe in this process on the reference solution or on a known mistake.

The in-process route of `rnn-grader calibrate --in-process` (sandboxed.py is the default route,
the one grading takes): the solution module is executed afresh (with a mistake's text replaced
first), and the same `ProbeRunner` and recipe the child uses train it. It needs no confinement
tier, so it works where no sandbox can start. The answer has the child's shape, so
`verdict.score_answer` scores both routes alike, and `TrainingRun` is what both return.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from autograder.errors import GraderError
from autograder.sandbox.probes import ProbeRunner, Recorder
from autograder.training.data import Prepared
from autograder.training.spec import TrainingMistake, TrainingSpec
from autograder.training.verdict import Scored, score_answer

SOLUTIONS_DIR = Path(__file__).resolve().parents[2] / "solutions"


def namespace(module: str, mistake: TrainingMistake | None = None) -> dict[str, Any]:
    """The globals of `solutions/<module>.py`, executed fresh, with a mistake applied if given."""
    path = SOLUTIONS_DIR.joinpath(*module.split(".")).with_suffix(".py")
    source = path.read_text(encoding="utf-8")
    if mistake is not None:
        old, new = mistake.replace
        if source.count(old) != 1:
            raise GraderError(
                f"mistake {mistake.name!r}: the text to replace occurs {source.count(old)} times "
                f"in {path.name}, not once"
            )
        source = source.replace(old, new)
    names: dict[str, Any] = {"__name__": f"rnn_grader_calibration.{module}", "__file__": str(path)}
    exec(compile(source, str(path), "exec"), names)  # our own reference code
    return names


@dataclass
class TrainingRun:
    """One training run (in this process or through the sandbox) and its score.

    `error` is a crash of the trained code, which is a result for a known mistake; `scored`
    holds every checkpoint's metric, the seconds, the device name and the loss curve.
    """

    seed: int
    scored: Scored | None
    error: str | None
    wall_seconds: float


def train_once(
    spec: TrainingSpec,
    prepared: Prepared,
    budget: Any,
    device: str,
    seed: int,
    mistake: TrainingMistake | None = None,
    threads: int = 1,
) -> TrainingRun:
    """Train the reference (or a mistake) once, on one thread as the sandbox does."""
    names = namespace(spec.module, mistake)
    probe = spec.probe(prepared, budget, device, seed)
    runner = ProbeRunner(names, {}, dict(prepared.arrays))
    recorder = Recorder("local")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    began = time.monotonic()
    try:
        raw = {"ok": True, **runner.run(probe, recorder)}
    except Exception as error:  # a mistake may crash training; that is a result, not a bug
        return TrainingRun(seed, None, f"{type(error).__name__}: {error}", time.monotonic() - began)
    finally:
        torch.set_num_threads(previous)
    wall = time.monotonic() - began
    scored = score_answer(spec, raw, recorder.arrays, spec.expected_for(prepared))
    return TrainingRun(seed, scored, None, wall)


#: One calibration run: the known mistake trained (None: the reference) and the seed.
RunKey = tuple[TrainingMistake | None, int]
#: Called with each finished run; False stops the runs not yet started (the reference failed).
OnRun = Callable[[RunKey, TrainingRun], bool]


def train_in_process(
    spec: TrainingSpec,
    prepared: Prepared,
    budget: Any,
    device: str,
    keys: list[RunKey],
    on_run: OnRun,
) -> dict[RunKey, TrainingRun]:
    """Train each run one after the other, here; stop early when `on_run` says so."""
    done: dict[RunKey, TrainingRun] = {}
    for mistake, seed in keys:
        run = train_once(spec, prepared, budget, device, seed, mistake)
        done[(mistake, seed)] = run
        if not on_run((mistake, seed), run):
            break
    return done


def final_value(run: TrainingRun) -> float | None:
    if run.scored is None:
        return None
    return run.scored.values[-1]


def best_value(spec: TrainingSpec, run: TrainingRun) -> float | None:
    if run.scored is None:
        return None
    values = [v for v in run.scored.values if v is not None]
    if not values:
        return None
    best = values[0]
    for value in values[1:]:
        best = spec.metric_spec.better(best, value)
    return best
