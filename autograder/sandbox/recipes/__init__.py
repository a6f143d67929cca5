"""The grader's own training loops ("recipes"), run in the sandboxed child on the student's code.

A training check asks the child to train the student's model (and, where the exercise is about
it, their dataset or batching function) with one of these loops, on arrays the grader sent,
under a budget of steps and seconds. At each checkpoint the child runs the model on held-out
INPUTS and keeps the raw outputs; it never sees the held-out labels and never decides whether
the student passed: the grader scores the outputs with its own targets. When grading, each
checkpoint's outputs are streamed to the grader as soon as they exist (`runner.live`), and the
run ends as soon as the grader replies that the verdict is known. A run that reaches its time
budget stops and is scored on what it reached, so a slow model still gets its curve back.

One module per recipe; `session` holds what they share. Only the standard library, numpy,
torch and the child's alarm are imported here: this package runs next to untrusted code and must
not carry the grader's knowledge into the sandbox. The grader also runs these loops in its own
process to calibrate thresholds on the reference.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from autograder.sandbox.alarm import Timeout
from autograder.sandbox.recipes.anna_lstm import anna_lstm
from autograder.sandbox.recipes.char_lm import char_lm
from autograder.sandbox.recipes.memorise import memorise
from autograder.sandbox.recipes.names_classifier import names_classifier
from autograder.sandbox.recipes.session import RecipeError, Session, describe_device, device_for
from autograder.sandbox.recipes.word_lm import word_lm

RECIPES: dict[str, Callable[[Session], None]] = {
    "names_classifier": names_classifier,
    "char_lm": char_lm,
    "anna_lstm": anna_lstm,
    "word_lm": word_lm,
    "memorise": memorise,
}


def run(runner: Any, probe: dict[str, Any], recorder: Any) -> dict[str, Any]:
    """Entry point for the probe kind "train": seed, train with the named recipe, report."""
    name = probe.get("recipe")
    recipe = RECIPES.get(str(name))
    if recipe is None:
        raise RecipeError(f"unknown training recipe {name!r}")
    session = Session(runner, probe, recorder)
    seeds = seed_everything(int(probe.get("seed", 0)), session.device)
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        recipe(session)
    except Timeout:
        if not session.saved:
            raise
        session.stopped = "time_limit"  # scored on the checkpoints it reached
    finally:
        torch.use_deterministic_algorithms(previous)
    return session.result(seeds)


def gpu_check() -> dict[str, Any]:
    """Initialise CUDA and take one LSTM step: the grader's test that the sandbox reaches a GPU."""
    device = device_for("cuda")
    lstm = nn.LSTM(8, 16, batch_first=True).to(device)
    output, _ = lstm(torch.randn(2, 5, 8, device=device))
    output.sum().backward()
    torch.cuda.synchronize(device)
    return {"device_name": describe_device(device)}


def seed_everything(seed: int, device: torch.device) -> dict[str, Any]:
    """Seed torch, numpy, random and CUDA for one run; cuDNN set to deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if device.type == "cuda":
        # cuBLAS needs this before its first use to pick deterministic reductions.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.cuda.manual_seed_all(seed)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return {"seed": seed, "numpy_seed": seed % 2**32, "random_seed": seed}
