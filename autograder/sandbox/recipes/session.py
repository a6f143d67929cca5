"""What every recipe uses: the `Session` of one training run (clock, budget, curve, checkpoints)
and the small helpers the loops share (device, clipping, the held-out pass).

Imports only the standard library, numpy and torch: it runs next to untrusted code.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

#: Held-out outputs are computed in chunks of this many sequences, to bound memory.
EVAL_CHUNK = 256


class RecipeError(Exception):
    """The probe cannot run as asked (an unknown recipe, a missing array): the grader's bug."""


class Session:
    """One training run: the clock, the budget, the learning curve and the checkpoints.

    A recipe calls `after_step(loss, evaluate)` once per optimiser step; the session records the
    loss, evaluates the held-out inputs at the scheduled checkpoints and says when to stop.
    """

    def __init__(self, runner: Any, probe: dict[str, Any], recorder: Any) -> None:
        self.runner = runner
        self.probe = probe
        self.recorder = recorder
        self.params: dict[str, Any] = dict(probe.get("params", {}))
        budget = probe.get("budget", {})
        self.max_steps = int(budget["steps"])
        self.max_seconds = float(budget.get("seconds", 60.0))
        self.checkpoints = sorted(
            {int(s) for s in budget.get("checkpoints", [])} | {self.max_steps}
        )
        self.curve_every = max(1, int(budget.get("curve_every", 25)))
        self.half = bool(probe.get("half_outputs", False))
        self.device = device_for(str(probe.get("device", "cpu")))
        #: (checkpoint header, arrays) -> True when the grader has decided; None in-process
        self.live: Callable[[dict[str, Any], dict[str, np.ndarray]], bool] | None = runner.live
        self.step = 0
        self.stopped = ""
        self.started = time.monotonic()
        self.eval_seconds = 0.0
        self.curve: list[list[float]] = []
        self.saved: list[dict[str, Any]] = []
        self._loss_sum: torch.Tensor | None = None
        self._loss_count = 0
        self.model_info: dict[str, Any] = {}

    # --- what recipes use --------------------------------------------------------------------

    def array(self, key: str) -> np.ndarray:
        """An input array the grader sent, by its name in the probe's `data`."""
        spec = self.probe.get("data", {}).get(key)
        if spec is None:
            raise RecipeError(f"the probe sends no array {key!r}")
        return np.asarray(self.runner.value_of({**spec, "as": "numpy"}, []))

    def build(self, role: str = "model") -> Any:
        """The student's object for `role` (a class in the probe), built and moved to the device."""
        spec = {**self.probe[role], "mode": "train"}
        obj = self.runner.build(spec, self.model_info)
        if isinstance(obj, nn.Module):
            obj.to(self.device)
            obj.train()
            self.model_info["parameter_count"] = sum(p.numel() for p in obj.parameters())
        return obj

    def function(self, role: str) -> Callable[..., Any]:
        """The student's function for `role` (for example their batching function)."""
        return self.runner.lookup(self.probe["functions"][role])

    def generator(self, offset: int = 0) -> torch.Generator:
        """A CPU generator for the recipe's own random choices (batches, sampling order)."""
        return torch.Generator().manual_seed(int(self.probe.get("seed", 0)) * 7919 + offset)

    def after_step(self, loss: torch.Tensor, evaluate: Callable[[], torch.Tensor]) -> bool:
        """Record one optimiser step; True while the budget allows another."""
        self.step += 1
        value = loss.detach().float()
        self._loss_sum = value if self._loss_sum is None else self._loss_sum + value
        self._loss_count += 1
        diverged = False
        if self.step % self.curve_every == 0 or self.step in self.checkpoints:
            diverged = not self._flush_curve()
        if diverged:
            self.stopped = "diverged"
        elif self.step >= self.max_steps:
            self.stopped = "steps"
        elif self.train_seconds() >= self.max_seconds:
            self.stopped = "seconds"
        if self.step in self.checkpoints or self.stopped:
            self.checkpoint(evaluate)
        return not self.stopped

    def checkpoint(self, evaluate: Callable[[], torch.Tensor]) -> None:
        """Run the model on the held-out inputs and keep the raw outputs (once per step)."""
        if self.saved and self.saved[-1]["step"] == self.step:
            return
        self._flush_curve()
        seconds = self.train_seconds()
        began = time.monotonic()
        outputs = evaluate()
        if not isinstance(outputs, torch.Tensor):
            raise TypeError(f"the model returned {type(outputs).__name__}, not a tensor")
        outputs = outputs.detach().to("cpu")
        if outputs.is_floating_point():
            outputs = outputs.to(torch.float16 if self.half else torch.float32)
        point = {
            "step": self.step,
            "seconds": round(seconds, 4),
            "outputs": self.recorder.describe(outputs, f"checkpoint{len(self.saved)}"),
        }
        self.saved.append(point)
        self.eval_seconds += time.monotonic() - began
        if self.live is not None:
            # The outputs travel now and not again with the final answer.
            key = point["outputs"].get("array")
            sent = {key: self.recorder.arrays.pop(key)} if key in self.recorder.arrays else {}
            if self.live(point, sent) and not self.stopped:
                self.stopped = "decided"

    def train_seconds(self) -> float:
        """Seconds spent training so far, not counting the held-out evaluations."""
        return time.monotonic() - self.started - self.eval_seconds

    # --- the answer ----------------------------------------------------------------------------

    def _flush_curve(self) -> bool:
        """Append the mean loss since the last point; False when it is not finite."""
        if not self._loss_count or self._loss_sum is None:
            return True
        mean = float(self._loss_sum.item()) / self._loss_count
        self.curve.append([self.step, round(self.train_seconds(), 4), mean])
        self._loss_sum, self._loss_count = None, 0
        return math.isfinite(mean)

    def result(self, seeds: dict[str, Any]) -> dict[str, Any]:
        self._flush_curve()
        return {
            "train": {
                "recipe": self.probe["recipe"],
                "steps": self.step,
                "seconds": round(self.train_seconds(), 4),
                "eval_seconds": round(self.eval_seconds, 4),
                "stopped": self.stopped or "steps",
                "device": self.device.type,
                "device_name": describe_device(self.device),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "parameter_count": self.model_info.get("parameter_count"),
                **seeds,
            },
            "curve": self.curve,
            "checkpoints": self.saved,
        }


def device_for(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RecipeError("the grader asked for cuda, but no GPU is visible in the sandbox")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.getdescribe_device(device)
    return "cpu"


def clip(model: nn.Module, limit: float | None) -> None:
    if limit:
        nn.utils.clip_grad_norm_(model.parameters(), float(limit))


def no_grad_eval(model: nn.Module, compute: Callable[[], torch.Tensor]) -> Callable[[], Any]:
    """Wrap a held-out pass: eval mode, no gradients, then back to training mode."""

    def evaluate() -> torch.Tensor:
        model.eval()
        try:
            with torch.no_grad():
                return compute()
        finally:
            model.train()

    return evaluate
