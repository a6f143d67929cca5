"""Part 1 of rnn_basics: one-hot strings and a recurrent cell built from three linear layers.

The task is deliberately tiny (memorise one sentence) so that students can watch every step of
the recurrence: one input row in, one hidden state carried, one output row predicted.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

chars = "abcdefghijklmnopqrstuvwxyz ?!.,:;01"
char_list = list(chars)
n_letters = len(char_list)
sentence = "hello pytorch. how long can a rnn cell remember?"


def string_to_onehot(string: str) -> np.ndarray:
    """One-hot rows for a string, framed by the start token '0' and the end token '1'.

    Returns an int array of shape (len(string) + 2, n_letters).
    """
    # BEGIN SOLUTION
    indices = [n_letters - 2] + [char_list.index(char) for char in string] + [n_letters - 1]
    onehot = np.zeros((len(indices), n_letters), dtype=int)
    onehot[np.arange(len(indices)), indices] = 1
    return onehot
    # END SOLUTION


def onehot_to_word(t: torch.Tensor | np.ndarray) -> str:
    """The character whose score is highest in one row (a one-hot row or a model output)."""
    scores = torch.as_tensor(t).detach()
    return char_list[int(scores.argmax())]


class RNN(nn.Module):
    """An Elman cell: the new hidden state mixes the current input with the previous state."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.i2h = nn.Linear(input_size, hidden_size)
        self.h2h = nn.Linear(hidden_size, hidden_size)
        self.i2o = nn.Linear(hidden_size, output_size)

    def forward(
        self, input: torch.Tensor, hidden: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One time step: (batch, input_size), (batch, hidden_size) -> output, new hidden."""
        # BEGIN SOLUTION
        hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))
        output = self.i2o(hidden)
        return output, hidden
        # END SOLUTION

    def init_hidden(self) -> torch.Tensor:
        """The state before the first character: zeros (1, hidden_size) beside the weights."""
        # BEGIN SOLUTION
        weight = self.h2h.weight
        return torch.zeros(1, self.hidden_size, dtype=weight.dtype, device=weight.device)
        # END SOLUTION


def train_onehot_rnn(
    rnn: RNN,
    one_hot: torch.Tensor,
    epochs: int = 100,
    lr: float = 0.01,
    print_every: int = 10,
) -> list[float]:
    """Teach the cell to predict each next row of `one_hot` (float, (T, n_letters)).

    Every epoch runs the whole sequence from a fresh hidden state, sums the per-step MSE and
    takes one Adam step, so the gradient flows back through all T steps. Returns the summed
    loss of every epoch.
    """
    optimizer = torch.optim.Adam(rnn.parameters(), lr=lr)
    loss_func = nn.MSELoss()
    history = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        hidden = rnn.init_hidden()
        total_loss = torch.zeros((), device=one_hot.device)
        for step in range(one_hot.size(0) - 1):
            output, hidden = rnn(one_hot[step : step + 1], hidden)
            total_loss = total_loss + loss_func(output.view(-1), one_hot[step + 1])
        total_loss.backward()
        optimizer.step()
        history.append(total_loss.item())
        if print_every and (epoch % print_every == 0 or epoch == epochs - 1):
            print(f"epoch {epoch:4d}  summed loss {history[-1]:.4f}")
    return history


def generate_onehot(rnn: RNN, max_len: int) -> str:
    """Let the trained cell write on its own from the start token until the end token.

    Each predicted character is turned back into a one-hot row and fed in as the next input.
    """
    device = rnn.i2o.weight.device
    text = ""
    with torch.no_grad():
        hidden = rnn.init_hidden()
        row = torch.zeros(1, n_letters, device=device)
        row[0, n_letters - 2] = 1.0
        for _ in range(max_len):
            output, hidden = rnn(row, hidden)
            char = onehot_to_word(output)
            if char == char_list[-1]:
                break
            text += char
            row = torch.zeros(1, n_letters, device=device)
            row[0, char_list.index(char)] = 1.0
    return text


def train_onehot_lstm(
    lstm: nn.LSTM,
    one_hot: torch.Tensor,
    epochs: int = 1000,
    lr: float = 0.01,
    print_every: int = 100,
) -> list[float]:
    """The same memorisation task for a stacked nn.LSTM whose hidden size equals n_letters.

    The whole sentence goes in at once, time-major with batch 1; the LSTM's outputs are compared
    directly with the next rows. Returns the loss of every epoch.
    """
    optimizer = torch.optim.Adam(lstm.parameters(), lr=lr)
    loss_func = nn.MSELoss()
    inputs, targets = one_hot[:-1].unsqueeze(1), one_hot[1:].unsqueeze(1)
    history = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        outputs, _ = lstm(inputs)
        loss = loss_func(outputs, targets)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
        if print_every and (epoch % print_every == 0 or epoch == epochs - 1):
            print(f"epoch {epoch:4d}  loss {history[-1]:.5f}")
    return history
