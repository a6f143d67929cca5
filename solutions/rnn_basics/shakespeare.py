"""Part 2 of rnn_basics: a character model on Tiny Shakespeare that looks characters up in an
embedding table instead of feeding one-hot rows.

The model reads one character at a time (batch 1), as the course does, so that the loop over the
chunk and the hidden state passed from step to step stay visible.
"""

from __future__ import annotations

import os
import string
from functools import cache
from pathlib import Path

import torch
from torch import nn

all_characters = string.printable
n_characters = len(all_characters)
chunk_len = 200
DATA_DIR = Path(os.environ.get("RNN_GRADER_DATA", "/datasets/NLP"))


@cache
def shakespeare_text() -> str:
    """Tiny Shakespeare from the course data directory, read once and kept."""
    return (DATA_DIR / "tiny_shakespeare.txt").read_text(encoding="utf-8")


def char_tensor(string: str) -> torch.Tensor:
    """The position of every character in `all_characters`, as a long tensor (len(string),)."""
    # BEGIN SOLUTION
    return torch.tensor([all_characters.index(char) for char in string], dtype=torch.long)
    # END SOLUTION


def random_training_set(
    text: str | None = None,
    *,
    chunk_len: int = chunk_len,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random window of `chunk_len + 1` characters as (input, target) index tensors.

    The target is the input shifted by one character: at every position the model must predict
    the character that follows. `text` defaults to Tiny Shakespeare; `generator` makes the
    choice of window reproducible.
    """
    text = shakespeare_text() if text is None else text
    # BEGIN SOLUTION
    start = int(torch.randint(len(text) - chunk_len, (1,), generator=generator))
    chunk = text[start : start + chunk_len + 1]
    return char_tensor(chunk[:-1]), char_tensor(chunk[1:])
    # END SOLUTION


class RNN(nn.Module):
    """Embedding -> nn.RNN -> linear decoder, fed one character index per call."""

    def __init__(
        self,
        input_size: int,
        embedding_size: int,
        hidden_size: int,
        output_size: int,
        num_layers: int = 1,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.embedding_size = embedding_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        self.num_layers = num_layers
        self.encoder = nn.Embedding(input_size, embedding_size)  # SOLUTION
        self.rnn = nn.RNN(embedding_size, hidden_size, num_layers)  # SOLUTION
        self.decoder = nn.Linear(hidden_size, output_size)

    def forward(
        self, input: torch.Tensor, hidden: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One character index -> logits (1, output_size) and the new hidden state."""
        # BEGIN SOLUTION
        embedded = self.encoder(input.view(1, 1))
        output, hidden = self.rnn(embedded, hidden)
        logits = self.decoder(output.view(1, -1))
        return logits, hidden
        # END SOLUTION

    def init_hidden(self) -> torch.Tensor:
        """Zeros (num_layers, 1, hidden_size) on the model's device."""
        device = self.decoder.weight.device
        return torch.zeros(self.num_layers, 1, self.hidden_size, device=device)


def train_step(
    model: RNN, optimizer: torch.optim.Optimizer, inp: torch.Tensor, target: torch.Tensor
) -> float:
    """One optimisation step on one chunk: the cross-entropy is summed over every character.

    Returns the loss per character, which starts near ln(n_characters) = 4.6 for an untrained
    model.
    """
    loss_func = nn.CrossEntropyLoss()
    device = model.decoder.weight.device
    inp, target = inp.to(device), target.to(device)
    hidden = model.init_hidden()
    optimizer.zero_grad()
    loss = torch.zeros((), device=device)
    for position in range(inp.size(0)):
        logits, hidden = model(inp[position], hidden)
        loss = loss + loss_func(logits, target[position].view(1))
    loss.backward()
    optimizer.step()
    return loss.item() / inp.size(0)


def train_char_rnn(
    model: RNN,
    text: str | None = None,
    n_iterations: int = 2000,
    lr: float = 0.002,
    print_every: int = 100,
    generator: torch.Generator | None = None,
) -> list[float]:
    """The course's training run: Adam on one random chunk per iteration.

    Prints the mean per-character loss of the last `print_every` iterations and returns every
    iteration's loss.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for iteration in range(1, n_iterations + 1):
        inp, target = random_training_set(text, generator=generator)
        losses.append(train_step(model, optimizer, inp, target))
        if print_every and iteration % print_every == 0:
            recent = losses[-print_every:]
            print(f"iteration {iteration:5d}  loss per char {sum(recent) / len(recent):.3f}")
    return losses


def sample(
    model: RNN,
    prime_str: str = "A",
    predict_len: int = 100,
    temperature: float = 0.8,
    generator: torch.Generator | None = None,
) -> str:
    """Continue `prime_str` by drawing each next character from softmax(logits / temperature).

    A low temperature sharpens the distribution (safer, more repetitive text); a high one
    flattens it (more varied, more mistakes).
    """
    device = model.decoder.weight.device
    prime = char_tensor(prime_str).to(device)
    text = prime_str
    with torch.no_grad():
        hidden = model.init_hidden()
        for position in range(len(prime_str) - 1):
            _, hidden = model(prime[position], hidden)
        current = prime[-1]
        for _ in range(predict_len):
            logits, hidden = model(current, hidden)
            probs = torch.softmax(logits.view(-1) / temperature, dim=0).cpu()
            index = int(torch.multinomial(probs, 1, generator=generator))
            text += all_characters[index]
            current = torch.tensor(index, device=device)
    return text
