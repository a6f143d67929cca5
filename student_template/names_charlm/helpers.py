"""The course's `helpers` module for names_charlm: one epoch of training or evaluation, and a plot.

It is shipped beside the student notebook as `helpers.py`, so it imports nothing from this
project. The functions work for any classifier that maps a batch of inputs to logits of shape
(batch, num_classes); tensors are moved to the `device` the caller passes.
"""

from collections.abc import Iterable, Sequence
from itertools import islice

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn


def _limited(loader: Iterable, max_batches: int | None) -> Iterable:
    """The loader itself, or only its first `max_batches` batches (a short run for quick checks)."""
    return loader if max_batches is None else islice(loader, max_batches)


def _summary(
    kind: str, epoch: int, loss_sum: float, correct: int, seen: int
) -> tuple[float, float]:
    """Mean loss and accuracy over `seen` samples, printed as one line per epoch."""
    if seen == 0:
        raise ValueError(f"{kind} epoch {epoch}: the loader yielded no samples")
    mean_loss, accuracy = loss_sum / seen, correct / seen
    print(f"epoch {epoch} {kind}: loss {mean_loss:.4f}, accuracy {accuracy:.2%} ({seen} samples)")
    return mean_loss, accuracy


def train_one_epoch(
    model: nn.Module,
    device: torch.device | str,
    loader: Iterable,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    epoch: int,
    max_batches: int | None = None,
) -> tuple[float, float]:
    """One pass of gradient steps over `loader`; returns the mean loss and the accuracy.

    Both are averaged per sample, so a last, smaller batch weighs what it holds.
    """
    model.train()
    loss_sum, correct, seen = 0.0, 0, 0
    for inputs, targets in _limited(loader, max_batches):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        logits = model(inputs)
        loss = criterion(logits, targets)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * targets.size(0)
        correct += (logits.argmax(dim=1) == targets).sum().item()
        seen += targets.size(0)
    return _summary("train", epoch, loss_sum, correct, seen)


def evaluate_one_epoch(
    model: nn.Module,
    device: torch.device | str,
    loader: Iterable,
    criterion: nn.Module,
    epoch: int,
    max_batches: int | None = None,
) -> tuple[float, float]:
    """Mean loss and accuracy over `loader` without touching the weights (eval mode, no grad)."""
    model.eval()
    loss_sum, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in _limited(loader, max_batches):
            inputs, targets = inputs.to(device), targets.to(device)
            logits = model(inputs)
            loss_sum += criterion(logits, targets).item() * targets.size(0)
            correct += (logits.argmax(dim=1) == targets).sum().item()
            seen += targets.size(0)
    return _summary("val", epoch, loss_sum, correct, seen)


def confusion_matrix(
    model: nn.Module,
    loader: Iterable,
    num_classes: int,
    device: torch.device | str,
    max_batches: int | None = None,
) -> torch.Tensor:
    """Counts of (true class, predicted class) pairs: row = truth, column = prediction."""
    model.eval()
    counts = torch.zeros(num_classes, num_classes, dtype=torch.long)
    with torch.no_grad():
        for inputs, targets in _limited(loader, max_batches):
            predicted = model(inputs.to(device)).argmax(dim=1).cpu()
            flat = targets.cpu() * num_classes + predicted
            counts += torch.bincount(flat, minlength=num_classes**2).view(num_classes, num_classes)
    return counts


def draw_confusion_matrix(
    model: nn.Module,
    loader: Iterable,
    class_names: Sequence[str],
    device: torch.device | str,
    max_batches: int | None = None,
) -> Figure:
    """The row-normalised confusion matrix as a figure: row i shows where class i's samples went.

    Normalising each row makes rare classes as readable as frequent ones. A class that never
    occurs in `loader` keeps a row of zeros. The figure is closed in pyplot before it is
    returned: a notebook shows it once, as the cell's value, and a headless machine (Agg)
    keeps no figure open.
    """
    counts = confusion_matrix(model, loader, len(class_names), device, max_batches).double()
    rates = counts / counts.sum(dim=1, keepdim=True).clamp(min=1)
    size = max(6.0, 0.45 * len(class_names))
    figure, axes = plt.subplots(figsize=(size, size))
    image = axes.imshow(rates.numpy(), vmin=0.0, vmax=1.0, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    ticks = range(len(class_names))
    axes.set_xticks(ticks, labels=class_names, rotation=90)
    axes.set_yticks(ticks, labels=class_names)
    axes.set_xlabel("predicted language")
    axes.set_ylabel("true language")
    axes.set_title("Confusion matrix (each row sums to 1)")
    figure.tight_layout()
    plt.close(figure)
    return figure
