"""names_charlm, part B: a character LM with the student's ShakespeareDataset and CharRNN."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.sandbox.recipes.session import EVAL_CHUNK, Session, clip, no_grad_eval


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

    evaluate = no_grad_eval(model, compute)
    while True:
        starts = torch.randint(size, (batch_size,), generator=generator).tolist()
        items = [dataset[i] for i in starts]
        x = torch.stack([item[0] for item in items]).to(s.device)
        y = torch.stack([torch.as_tensor(item[1]) for item in items]).to(s.device)
        logits = _first(model(x))
        loss = criterion(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        clip(model, p.get("clip"))
        optimizer.step()
        if not s.after_step(loss, evaluate):
            return


def _first(result: Any) -> torch.Tensor:
    """The logits of a forward that returns (logits, hidden), or the tensor itself."""
    return result[0] if isinstance(result, (tuple, list)) else result
