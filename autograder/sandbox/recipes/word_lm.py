"""word_lm: the student's bptt_batchify and RNNModel.forward, the course's loop."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from autograder.sandbox.recipes.session import EVAL_CHUNK, Session, clip, no_grad_eval


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

    evaluate = no_grad_eval(model, compute)
    while True:
        hidden = model.init_hidden(batch_size)
        for batch in batches:
            batch = torch.as_tensor(batch).to(s.device).long()
            hidden = _detach(hidden)
            output, hidden = model(batch, hidden)
            loss = F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])
            model.zero_grad()
            loss.backward()
            clip(model, p.get("clip"))
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
