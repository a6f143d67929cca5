"""The grader's own training loops ("recipes"), run in the sandboxed child on the student's code.

A training check asks the child to train the student's model (and, where the exercise is about
it, their dataset or batching function) with one of these loops, on arrays the grader sent,
under a budget of steps and seconds. At each checkpoint the child runs the model on held-out
INPUTS and keeps the raw outputs; it never sees the held-out labels and never decides whether
the student passed: the grader scores the outputs with its own targets. When grading, each
checkpoint's outputs are streamed to the grader as soon as they exist (`runner.live`), and the
run ends as soon as the grader replies that the verdict is known. A run that reaches its time
budget stops and is scored on what it reached, so a slow model still gets its curve back.

Only the standard library, numpy, torch and the child's alarm are imported here: this module
runs next to untrusted code and must not carry the grader's knowledge into the sandbox. The
grader also runs these loops in its own process to calibrate thresholds on the reference.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.sandbox.alarm import Timeout

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
        self.device = _device(str(probe.get("device", "cpu")))
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
                "device_name": _device_name(self.device),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "parameter_count": self.model_info.get("parameter_count"),
                **seeds,
            },
            "curve": self.curve,
            "checkpoints": self.saved,
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
    device = _device("cuda")
    lstm = nn.LSTM(8, 16, batch_first=True).to(device)
    output, _ = lstm(torch.randn(2, 5, 8, device=device))
    output.sum().backward()
    torch.cuda.synchronize(device)
    return {"device_name": _device_name(device)}


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


def _device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RecipeError("the grader asked for cuda, but no GPU is visible in the sandbox")
    return torch.device(name)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "cpu"


def _clip(model: nn.Module, limit: float | None) -> None:
    if limit:
        nn.utils.clip_grad_norm_(model.parameters(), float(limit))


def _no_grad_eval(model: nn.Module, compute: Callable[[], torch.Tensor]) -> Callable[[], Any]:
    """Wrap a held-out pass: eval mode, no gradients, then back to training mode."""

    def evaluate() -> torch.Tensor:
        model.eval()
        try:
            with torch.no_grad():
                return compute()
        finally:
            model.train()

    return evaluate


# --- names_charlm, part A: surname -> language with the student's CustomRNN --------------------


def names_classifier(s: Session) -> None:
    """Equal-length buckets of names drawn with class-balancing weights; SGD with clipping.

    The course's loop (batch 1, lr 0.005, 2 epochs) takes 30 s on a CPU and passes its own 50%
    only on lucky seeds; batches of equal-length names keep the model and the sampler and give
    the same accuracy in a few seconds (see the training baselines).
    """
    p = s.params
    vocab, batch_size = int(p["vocab"]), int(p["batch_size"])
    ids = torch.from_numpy(s.array("train_ids").astype(np.int64))
    lengths = torch.from_numpy(s.array("train_lengths").astype(np.int64))
    labels = torch.from_numpy(s.array("train_labels").astype(np.int64))
    held_ids = torch.from_numpy(s.array("heldout_ids").astype(np.int64))
    held_lengths = s.array("heldout_lengths").astype(np.int64)
    model = s.build()
    optimizer = torch.optim.SGD(model.parameters(), lr=float(p["lr"]))
    criterion = nn.CrossEntropyLoss()
    counts = torch.bincount(labels).double()
    weights = 1.0 / counts[labels]
    generator = s.generator()
    ids_on_device = ids.to(s.device)
    labels_on_device = labels.to(s.device)

    def compute() -> torch.Tensor:
        outputs: torch.Tensor | None = None
        for length in np.unique(held_lengths):
            rows = np.flatnonzero(held_lengths == length)
            for start in range(0, len(rows), EVAL_CHUNK):
                chunk = torch.from_numpy(rows[start : start + EVAL_CHUNK])
                x = F.one_hot(held_ids[chunk, :length], vocab).float().to(s.device)
                logits = model(x)
                if outputs is None:
                    outputs = logits.new_zeros((len(held_lengths), *logits.shape[1:]))
                outputs[chunk.to(s.device)] = logits
        assert outputs is not None
        return outputs

    evaluate = _no_grad_eval(model, compute)
    while True:
        for rows, length in _bucketed_epoch(weights, lengths, batch_size, generator):
            index = rows.to(s.device)
            x = F.one_hot(ids_on_device[index, :length], vocab).float()
            loss = criterion(model(x), labels_on_device[index])
            optimizer.zero_grad()
            loss.backward()
            _clip(model, p.get("clip"))
            optimizer.step()
            if not s.after_step(loss, evaluate):
                return


def _bucketed_epoch(
    weights: torch.Tensor, lengths: torch.Tensor, batch_size: int, generator: torch.Generator
) -> Iterator[tuple[torch.Tensor, int]]:
    """One epoch of weighted draws with replacement, cut into batches of equal-length names."""
    drawn = torch.multinomial(weights, len(weights), replacement=True, generator=generator)
    drawn_lengths = lengths[drawn]
    batches: list[tuple[torch.Tensor, int]] = []
    for length in torch.unique(drawn_lengths).tolist():
        rows = drawn[drawn_lengths == length]
        batches.extend((chunk, int(length)) for chunk in rows.split(batch_size))
    for position in torch.randperm(len(batches), generator=generator).tolist():
        yield batches[position]


# --- names_charlm, part B: character LM with the student's ShakespeareDataset and CharRNN -------


def char_lm(s: Session) -> None:
    """Random windows drawn from the student's ShakespeareDataset; Adam on next-char loss.

    The targets of the training windows are the student's (their `y`); the held-out windows are
    one-hot encoded here and scored by the grader with its own targets, so a dataset that does
    not shift its targets learns to copy its input and fails however low its own loss falls.
    """
    p = s.params
    vocab, seq_length, batch_size = int(p["vocab"]), int(p["seq_length"]), int(p["batch_size"])
    text = torch.from_numpy(s.array("train_ids").astype(np.int64))
    held = torch.from_numpy(s.array("heldout_ids").astype(np.int64))
    dataset = s.runner.lookup(s.probe["dataset"])(text, seq_length)
    model = s.build()
    optimizer = torch.optim.Adam(model.parameters(), lr=float(p["lr"]))
    criterion = nn.CrossEntropyLoss()
    generator = s.generator()
    size = len(dataset)

    def compute() -> torch.Tensor:
        chunks = []
        for start in range(0, len(held), EVAL_CHUNK):
            x = F.one_hot(held[start : start + EVAL_CHUNK], vocab).float().to(s.device)
            chunks.append(_first(model(x)))
        return torch.cat(chunks)

    evaluate = _no_grad_eval(model, compute)
    while True:
        starts = torch.randint(size, (batch_size,), generator=generator).tolist()
        items = [dataset[i] for i in starts]
        x = torch.stack([item[0] for item in items]).to(s.device)
        y = torch.stack([torch.as_tensor(item[1]) for item in items]).to(s.device)
        logits = _first(model(x))
        loss = criterion(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        _clip(model, p.get("clip"))
        optimizer.step()
        if not s.after_step(loss, evaluate):
            return


def _first(result: Any) -> torch.Tensor:
    """The logits of a forward that returns (logits, hidden), or the tensor itself."""
    return result[0] if isinstance(result, (tuple, list)) else result


# --- anna_lstm: the student's get_batches and CharRNN, the course's loop ------------------------


def anna_lstm(s: Session) -> None:
    """The course's `train` loop: the student's batches, hidden carried and detached, Adam, clip.

    The held-out windows start from a zero state and are one-hot encoded here.
    """
    p = s.params
    vocab, batch_size, seq_length = int(p["vocab"]), int(p["batch_size"]), int(p["seq_length"])
    text = s.array("train_ids").astype(np.int64)
    held = s.array("heldout_ids").astype(np.int64)
    get_batches = s.function("batches")
    net = s.build()
    optimizer = torch.optim.Adam(net.parameters(), lr=float(p["lr"]))
    criterion = nn.CrossEntropyLoss()
    eye = np.eye(vocab, dtype=np.float32)

    def compute() -> torch.Tensor:
        chunks = []
        for start in range(0, len(held), EVAL_CHUNK):
            rows = held[start : start + EVAL_CHUNK]
            hidden = net.init_hidden(len(rows))
            out, _ = net(torch.from_numpy(eye[rows]).to(s.device), hidden)
            chunks.append(out.reshape(len(rows), rows.shape[1], -1))
        return torch.cat(chunks)

    evaluate = _no_grad_eval(net, compute)
    while True:
        hidden = net.init_hidden(batch_size)
        for x, y in get_batches(text, batch_size, seq_length):
            inputs = torch.from_numpy(eye[np.asarray(x, dtype=np.int64)]).to(s.device)
            targets = torch.from_numpy(np.asarray(y)).to(s.device).reshape(-1).long()
            hidden = tuple(each.detach() for each in hidden)
            net.zero_grad()
            output, hidden = net(inputs, hidden)
            loss = criterion(output, targets)
            loss.backward()
            _clip(net, p.get("clip"))
            optimizer.step()
            if not s.after_step(loss, evaluate):
                return


# --- word_lm: the student's bptt_batchify and RNNModel.forward, the course's loop ---------------


def word_lm(s: Session) -> None:
    """Truncated BPTT with plain SGD and clipping, as the course's `train`, on a small vocabulary.

    The held-out windows are run from a zero state; the outputs must be log-probabilities, which
    the grader checks before it computes the perplexity with its own targets.
    """
    p = s.params
    batch_size, seq_length, lr = int(p["batch_size"]), int(p["seq_length"]), float(p["lr"])
    text = torch.from_numpy(s.array("train_ids").astype(np.int64))
    held = torch.from_numpy(s.array("heldout_ids").astype(np.int64))
    batchify = s.function("batchify")
    model = s.build()
    batches = batchify(text, batch_size, seq_length)

    def compute() -> torch.Tensor:
        chunks = []
        for start in range(0, len(held), EVAL_CHUNK):
            rows = held[start : start + EVAL_CHUNK].to(s.device)
            log_prob, _ = model(rows, model.init_hidden(len(rows)))
            chunks.append(log_prob)
        return torch.cat(chunks)

    evaluate = _no_grad_eval(model, compute)
    while True:
        hidden = model.init_hidden(batch_size)
        for batch in batches:
            batch = torch.as_tensor(batch).to(s.device).long()
            hidden = _detach(hidden)
            output, hidden = model(batch, hidden)
            loss = F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])
            model.zero_grad()
            loss.backward()
            _clip(model, p.get("clip"))
            with torch.no_grad():
                for parameter in model.parameters():
                    if parameter.grad is not None:
                        parameter.add_(parameter.grad, alpha=-lr)
            if not s.after_step(loss, evaluate):
                return


def _detach(hidden: Any) -> Any:
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return tuple(_detach(state) for state in hidden)


# --- rnn_basics: the student's RNN cell memorises one sentence ----------------------------------


def memorise(s: Session) -> None:
    """The course's `train_onehot_rnn`: one Adam step per pass over the sentence, summed MSE.

    The held-out pass feeds the sentence's rows again from a fresh state (teacher forcing); the
    grader compares each output with the row that follows.
    """
    p = s.params
    rows = torch.from_numpy(s.array("rows").astype(np.float32)).to(s.device)
    rnn = s.build()
    optimizer = torch.optim.Adam(rnn.parameters(), lr=float(p["lr"]))
    loss_func = nn.MSELoss()

    def compute() -> torch.Tensor:
        hidden = rnn.init_hidden()
        outputs = []
        for step in range(rows.size(0) - 1):
            output, hidden = rnn(rows[step : step + 1], hidden)
            outputs.append(output.reshape(-1))
        return torch.stack(outputs)

    evaluate = _no_grad_eval(rnn, compute)
    while True:
        optimizer.zero_grad()
        hidden = rnn.init_hidden()
        total = torch.zeros((), device=s.device)
        for step in range(rows.size(0) - 1):
            output, hidden = rnn(rows[step : step + 1], hidden)
            total = total + loss_func(output.view(-1), rows[step + 1])
        total.backward()
        optimizer.step()
        if not s.after_step(total, evaluate):
            return


RECIPES: dict[str, Callable[[Session], None]] = {
    "names_classifier": names_classifier,
    "char_lm": char_lm,
    "anna_lstm": anna_lstm,
    "word_lm": word_lm,
    "memorise": memorise,
}
