"""rnn_basics: the student's RNN cell memorises one sentence."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from autograder.sandbox.recipes.session import Session, no_grad_eval


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

    evaluate = no_grad_eval(rnn, compute)
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
