"""names_charlm, part A: surname -> language with the student's CustomRNN."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.sandbox.recipes.session import EVAL_CHUNK, Session, clip, no_grad_eval


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

    evaluate = no_grad_eval(model, compute)
    while True:
        for rows, length in _bucketed_epoch(weights, lengths, batch_size, generator):
            index = rows.to(s.device)
            x = F.one_hot(ids_on_device[index, :length], vocab).float()
            loss = criterion(model(x), labels_on_device[index])
            optimizer.zero_grad()
            loss.backward()
            clip(model, p.get("clip"))
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
