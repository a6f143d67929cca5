"""Models of the grader's, for judging student code that takes a model (word_lm's evaluate).

When the student's own model cannot run (a mistake in its forward is another exercise's), the
code that takes a model is judged on one of these instead, so that one mistake costs one
exercise. They are plain, deterministic torch modules: the grader builds the same one to know
the right answer, and the child builds it from the same arguments. Each behaves differently
where a mistake in the caller would show: in training mode, and with the state not carried.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

Hidden = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class LanguageModel(torch.nn.Module):
    """A batch-first word model with the course RNNModel's interface: `init_hidden(batch)`,
    `forward(batch, hidden) -> (log-probabilities (batch, seq, vocab), hidden)`, `device`.

    The next-word logits are a row of `table` for each input word, shifted along `bias` by the
    number of words the state has seen (`memory` per word), and halved in training mode; the
    state counts the words of each row, so a caller that does not carry it gets other losses.
    """

    def __init__(self, vocab: int, layers: int, hidden: int, lstm: bool, memory: float) -> None:
        super().__init__()
        self.table = torch.nn.Parameter(torch.zeros(vocab, vocab))
        self.bias = torch.nn.Parameter(torch.zeros(vocab))
        self.layers, self.hidden_size, self.lstm, self.memory = layers, hidden, lstm, memory

    @property
    def device(self) -> torch.device:
        return self.table.device

    def init_hidden(self, batch_size: int) -> Hidden:
        zeros = self.table.new_zeros((self.layers, batch_size, self.hidden_size))
        return (zeros, zeros.clone()) if self.lstm else zeros

    def forward(self, batch: torch.Tensor, hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        state = hidden[0] if isinstance(hidden, tuple) else hidden
        seen = state[0, :, 0]
        steps = torch.arange(batch.shape[1], device=batch.device, dtype=seen.dtype)
        shift = self.memory * (seen[:, None] + steps[None, :] + 1)
        logits = self.table[batch] + shift[..., None] * self.bias
        if self.training:
            logits = logits * 0.5
        counted = state + batch.shape[1]
        new_state = (counted, counted.clone()) if isinstance(hidden, tuple) else counted
        return F.log_softmax(logits, dim=-1), new_state


STAND_INS = {"language_model": LanguageModel}
