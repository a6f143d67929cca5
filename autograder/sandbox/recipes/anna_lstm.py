"""anna_lstm: the student's get_batches and CharRNN, trained with the course's loop."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from autograder.sandbox.recipes.session import EVAL_CHUNK, Session, clip, no_grad_eval


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

    evaluate = no_grad_eval(net, compute)
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
            clip(net, p.get("clip"))
            optimizer.step()
            if not s.after_step(loss, evaluate):
                return
