"""Where training checks train: the CPU, or the GPU when the sandbox can really use it.

A GPU the grader sees is not enough: student code runs in the confined child (its own root,
rlimits, an unprivileged uid), and a GPU that child cannot initialise would fail every
student's training check. So before the first training check sends work to cuda, a confined
child initialises CUDA and takes one LSTM step there (the "gpu_check" probe), once per process.
"""

from __future__ import annotations

import functools
import logging

import torch

from autograder.config import Course, Limits
from autograder.errors import GraderError
from autograder.sandbox.exchange import ExerciseRequest, Isolation, SandboxError
from autograder.sandbox.launcher import run_submission
from autograder.sandbox.tiers import isolation_for

log = logging.getLogger(__name__)


def device_class(course: Course) -> str:
    """grader.yaml's `device`: cpu; cuda (an error when unusable); auto (cuda when usable)."""
    wanted = course.config.device
    if wanted == "cpu":
        return "cpu"
    problem = sandbox_cuda_problem(course.config.limits, isolation_for(course))
    if problem is None:
        return "cuda"
    if wanted == "cuda":
        raise GraderError(f"grader.yaml asks for `device: cuda`, but {problem}")
    return "cpu"


def sandbox_cuda_problem(limits: Limits, isolation: Isolation) -> str | None:
    """Why a child confined as `isolation` cannot train on the GPU, or None when it can."""
    return _probe_sandbox_cuda(limits.model_dump_json(), isolation)


@functools.cache
def _probe_sandbox_cuda(limits_json: str, isolation: Isolation) -> str | None:
    if not torch.cuda.is_available():
        return "no CUDA device is visible to the grader"
    request = ExerciseRequest("gpu_check", [{"kind": "gpu_check", "device": "cuda"}])
    try:
        outcome = run_submission([], [request], Limits.model_validate_json(limits_json), isolation)
    except SandboxError as error:
        return f"CUDA does not work inside the sandbox ({error})"
    answer = outcome.answers.get("gpu_check")
    result = answer.probes[0] if answer and answer.probes else {}
    if answer is None or answer.fatal or not result.get("ok"):
        error = (answer.fatal if answer else None) or result.get("error") or {}
        problem = (
            "CUDA does not work inside the sandbox "
            f"({error.get('type', 'no answer')}: {error.get('message', '')})"
        )
        log.warning("%s; training checks with `device: auto` use the CPU", problem)
        return problem
    log.info("the sandbox trains on %s", result.get("device_name", "a GPU"))
    return None
