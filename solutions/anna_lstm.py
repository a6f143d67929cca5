"""Assignment 2 (anna_lstm): a character-level LSTM trained on Anna Karenina.

Given code and reference solutions for the course's Udacity-style notebook. The student writes
`get_batches` and the layers and `forward` of `CharRNN`; everything else is given.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def get_device() -> torch.device:
    """The fastest device available here: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def load_text(path: str | Path) -> str:
    """Read the novel in text mode: CRLF becomes '\\n' (1,985,223 chars, 83 distinct)."""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def build_char_maps(text: str) -> tuple[tuple[str, ...], dict[int, str], dict[str, int]]:
    """The course's vocabulary `tuple(set(text))` and the two maps between chars and ids.

    The order of a set of strings changes with PYTHONHASHSEED, so ids differ between runs; a
    checkpoint therefore stores the tokens next to the weights.
    """
    chars = tuple(set(text))
    int2char = dict(enumerate(chars))
    char2int = {char: index for index, char in int2char.items()}
    return chars, int2char, char2int


def encode_text(text: str, char2int: dict[str, int]) -> np.ndarray:
    """The text as an int64 array of character ids (the course's `encoded`)."""
    return np.fromiter((char2int[char] for char in text), dtype=np.int64, count=len(text))


def one_hot_encode(arr: np.ndarray, n_labels: int) -> np.ndarray:
    """One-hot vectors for integer ids: float32 of shape (*arr.shape, n_labels), the LSTM input."""
    return np.eye(n_labels, dtype=np.float32)[np.asarray(arr)]


def get_batches(
    arr: np.ndarray, batch_size: int, seq_length: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (x, y) mini-batches of shape (batch_size, seq_length) from a 1-D array of ids.

    Each of the batch_size rows is one contiguous stretch of the text, so the hidden state of
    row r can be carried from one batch to the next. y is x shifted left by one: the target of
    every character is the character that follows it.
    """
    # BEGIN SOLUTION
    chars_per_batch = batch_size * seq_length
    n_batches = len(arr) // chars_per_batch
    grid = np.asarray(arr)[: n_batches * chars_per_batch].reshape(batch_size, -1)
    n_columns = grid.shape[1]
    for start in range(0, n_columns, seq_length):
        stop = start + seq_length
        x = grid[:, start:stop]
        # The last window has no column after it; the course wraps around to column 0.
        following = grid[:, stop] if stop < n_columns else grid[:, 0]
        y = np.concatenate([x[:, 1:], following[:, None]], axis=1)
        yield x, y
    # END SOLUTION


class CharRNN(nn.Module):
    """A stacked LSTM over one-hot characters with a linear read-out to next-character logits."""

    def __init__(
        self,
        tokens: Sequence[str],
        n_hidden: int = 256,
        n_layers: int = 2,
        drop_prob: float = 0.5,
        lr: float = 0.001,
    ) -> None:
        super().__init__()
        self.drop_prob = drop_prob
        self.n_layers = n_layers
        self.n_hidden = n_hidden
        self.lr = lr
        self.chars = tokens
        self.int2char = dict(enumerate(self.chars))
        self.char2int = {char: index for index, char in self.int2char.items()}

        # Define the layers: self.lstm, self.dropout and self.fc.
        # BEGIN SOLUTION
        self.lstm = nn.LSTM(
            len(self.chars), n_hidden, n_layers, dropout=drop_prob, batch_first=True
        )
        self.dropout = nn.Dropout(drop_prob)
        self.fc = nn.Linear(n_hidden, len(self.chars))
        # END SOLUTION

    def forward(
        self, x: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits of shape (batch * seq_len, vocab) for x (batch, seq_len, vocab), and the new
        hidden state, which the caller passes back in for the next stretch of text."""
        # LSTM, dropout, flatten to (-1, n_hidden), then fc; return the LSTM's new hidden state.
        # BEGIN SOLUTION
        lstm_out, hidden = self.lstm(x, hidden)
        out = self.dropout(lstm_out)
        out = out.reshape(-1, self.n_hidden)
        out = self.fc(out)
        # END SOLUTION
        return out, hidden

    def init_hidden(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero (h, c), each (n_layers, batch_size, n_hidden), on the weights' device and dtype."""
        weight = next(self.parameters())
        shape = (self.n_layers, batch_size, self.n_hidden)
        return weight.new_zeros(shape), weight.new_zeros(shape)


def evaluate(net: CharRNN, data: np.ndarray, batch_size: int, seq_length: int) -> float:
    """Mean cross-entropy per batch of `net` on `data`, in eval mode (no dropout, no gradients).

    The hidden state flows through the batches as in training; the module's mode is restored.
    """
    weight = next(net.parameters())
    criterion = nn.CrossEntropyLoss()
    was_training = net.training
    net.eval()
    losses = []
    with torch.no_grad():
        h = net.init_hidden(batch_size)
        for x, y in get_batches(data, batch_size, seq_length):
            inputs = torch.from_numpy(one_hot_encode(x, len(net.chars)))
            inputs = inputs.to(device=weight.device, dtype=weight.dtype)
            targets = torch.from_numpy(y).to(weight.device).reshape(-1).long()
            output, h = net(inputs, h)
            losses.append(criterion(output, targets).item())
    net.train(was_training)
    if not losses:
        raise ValueError(f"{len(data)} ids cannot fill one {batch_size} x {seq_length} batch")
    return float(np.mean(losses))


def train(
    net: CharRNN,
    data: np.ndarray,
    epochs: int = 10,
    batch_size: int = 10,
    seq_length: int = 50,
    lr: float = 0.001,
    clip: float = 5,
    val_frac: float = 0.1,
    print_every: int = 10,
) -> list[tuple[int, float, float]]:
    """Train `net` with Adam on the first 1 - val_frac of `data`, validating on the rest.

    The hidden state is carried from batch to batch but detached, so gradients flow back at
    most seq_length steps (truncated backpropagation through time); clipping the gradient norm
    keeps the LSTM from exploding. Every print_every steps the validation loss is printed and
    (step, train loss, val loss) is appended to the returned history. Training runs on the
    device of the model's weights.
    """
    val_idx = int(len(data) * (1 - val_frac))
    train_data, val_data = data[:val_idx], data[val_idx:]
    chars_per_batch = batch_size * seq_length
    if len(train_data) < chars_per_batch or len(val_data) < chars_per_batch:
        raise ValueError(
            f"{len(data)} characters split {len(train_data)}/{len(val_data)} cannot fill one "
            f"batch of {batch_size} x {seq_length} on both sides; use more data or smaller batches"
        )
    weight = next(net.parameters())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    history = []
    step = 0
    net.train()
    for epoch in range(epochs):
        h = net.init_hidden(batch_size)
        for x, y in get_batches(train_data, batch_size, seq_length):
            step += 1
            inputs = torch.from_numpy(one_hot_encode(x, len(net.chars)))
            inputs = inputs.to(device=weight.device, dtype=weight.dtype)
            targets = torch.from_numpy(y).to(weight.device).reshape(-1).long()
            h = tuple(each.detach() for each in h)
            net.zero_grad()
            output, h = net(inputs, h)
            loss = criterion(output, targets)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            if step % print_every == 0:
                val_loss = evaluate(net, val_data, batch_size, seq_length)
                history.append((step, loss.item(), val_loss))
                print(
                    f"Epoch: {epoch + 1}/{epochs}...",
                    f"Step: {step}...",
                    f"Loss: {loss.item():.4f}...",
                    f"Val Loss: {val_loss:.4f}",
                )
    return history


def save_checkpoint(net: CharRNN, path: str | Path) -> None:
    """Save what rebuilds the model: its sizes, weights and tokens (the id order of this run)."""
    checkpoint = {
        "n_hidden": net.n_hidden,
        "n_layers": net.n_layers,
        "state_dict": net.state_dict(),
        "tokens": net.chars,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> CharRNN:
    """Rebuild a CharRNN from `save_checkpoint`'s file; weights land on map_location."""
    checkpoint = torch.load(path, map_location=map_location)
    net = CharRNN(
        checkpoint["tokens"], n_hidden=checkpoint["n_hidden"], n_layers=checkpoint["n_layers"]
    )
    net.load_state_dict(checkpoint["state_dict"])
    return net.to(map_location)


def predict(
    net: CharRNN,
    char: str,
    h: tuple[torch.Tensor, torch.Tensor] | None = None,
    top_k: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[str, tuple[torch.Tensor, torch.Tensor]]:
    """Draw the character that follows `char` and return it with the new hidden state.

    With top_k, only the k most likely characters can be drawn: the text stays random without
    wandering into rare characters. `rng` makes the draw reproducible; without it numpy's global
    generator is used (so np.random.seed works as in the course).
    """
    weight = next(net.parameters())
    if h is None:
        h = net.init_hidden(1)
    x = one_hot_encode(np.array([[net.char2int[char]]]), len(net.chars))
    inputs = torch.from_numpy(x).to(device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        out, h = net(inputs, tuple(each.detach() for each in h))
        probs = F.softmax(out, dim=1).squeeze(0).cpu().double()
    if top_k is None:
        candidates = np.arange(len(net.chars))
    else:
        probs, top_ids = probs.topk(top_k)
        candidates = top_ids.numpy()
    weights = probs.numpy()
    generator = rng if rng is not None else np.random
    choice = generator.choice(candidates, p=weights / weights.sum())
    return net.int2char[int(choice)], h


def sample(
    net: CharRNN,
    size: int,
    prime: str = "The",
    top_k: int | None = None,
    rng: np.random.Generator | None = None,
) -> str:
    """Generate text: warm the hidden state up on `prime`, then draw `size` more characters.

    The result is prime, the character predicted after it, and size further characters, so it
    has len(prime) + size + 1 characters. The model is put in eval mode (no dropout).
    """
    if not prime:
        raise ValueError("prime must hold at least one character to start from")
    net.eval()
    h = net.init_hidden(1)
    for char in prime:
        next_char, h = predict(net, char, h, top_k=top_k, rng=rng)
    chars = [*prime, next_char]
    for _ in range(size):
        next_char, h = predict(net, chars[-1], h, top_k=top_k, rng=rng)
        chars.append(next_char)
    return "".join(chars)
