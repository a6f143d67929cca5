"""Assignment 1 (names_charlm): which language a surname comes from, then a character LM.

Part A classifies surnames from `names.csv` with a recurrent network written by hand
(`CustomRNN`); Part B trains `nn.RNN` to predict the next character of Tiny Shakespeare.
Given code and reference solutions live together here; otter's markers show what a student
writes. The master notebook embeds these definitions, so they only use the names imported below.
"""

import string
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler, random_split
from tqdm.auto import tqdm

from solutions.helpers import evaluate_one_epoch, train_one_epoch

# ----------------------------------------------------------------------------------------------
# Part A: surname -> language
# ----------------------------------------------------------------------------------------------

VOCAB = list(string.ascii_letters + " .,;'" + "_")

INDEX_TO_CHAR = dict(enumerate(VOCAB))

CHAR_TO_INDEX = {char: index for index, char in INDEX_TO_CHAR.items()}


def one_hot_encode_string(text: str) -> torch.Tensor:
    """Encode `text` as a float tensor [len(text), 58]: row i has a single 1 at its char's index.

    One-hot rows carry no order between characters, so the network learns what each one means.
    """
    # BEGIN SOLUTION
    encoded = torch.zeros(len(text), len(VOCAB))
    for position, char in enumerate(text):
        encoded[position, CHAR_TO_INDEX[char]] = 1.0
    return encoded
    # END SOLUTION


class NamesDataset(Dataset):
    """Surnames and their languages from a `name,language` CSV, encoded one sample at a time."""

    def __init__(self, csv_path: str | Path) -> None:
        # keep_default_na=False: every cell is text, so no surname can be read as a missing value.
        self.df = pd.read_csv(csv_path, keep_default_na=False)
        self.class_names = sorted(self.df["language"].unique().tolist())
        self.num_classes = len(self.class_names)

    def __len__(self) -> int:
        return len(self.df)

    def get_sample_weights(self) -> torch.Tensor:
        """Per row, 1 / (number of rows of its language): every language gets the same total."""
        counts = self.df["language"].map(self.df["language"].value_counts())
        return torch.tensor(1.0 / counts.to_numpy(dtype="float64"), dtype=torch.float64)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Row `idx` as (one-hot name [len(name), 58], class index as a long scalar)."""
        # BEGIN SOLUTION
        row = self.df.iloc[idx]
        name, language = row["name"], row["language"]
        label = torch.tensor(self.class_names.index(language), dtype=torch.long)
        return one_hot_encode_string(name), label
        # END SOLUTION


class CustomRNN(nn.Module):
    """An Elman RNN from linear layers: h_t = tanh(W_xh x_t + W_hh h_(t-1)), logits = W_hy h_T."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.W_xh = nn.Linear(input_dim, hidden_dim, bias=False)
        self.W_hh = nn.Linear(hidden_dim, hidden_dim, bias=True)
        self.W_hy = nn.Linear(hidden_dim, output_dim, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Read x (batch, seq_len, input_dim) step by step; return logits (batch, output_dim)."""
        # BEGIN SOLUTION
        batch_size, seq_len, _ = x.shape
        h = torch.zeros(batch_size, self.hidden_dim, device=x.device, dtype=x.dtype)
        for t in range(seq_len):
            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))
        return self.W_hy(h)
        # END SOLUTION


num_params_customRNN = 32 * 64 + 64 * 64 + 64 + 64 * 10 + 10  # noqa: N816  # SOLUTION


def get_device() -> torch.device:
    """The fastest device available here: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class NamesRun(NamedTuple):
    """What `main` leaves behind for the demos: the model, the validation data and the scores."""

    model: nn.Module
    val_loader: DataLoader
    class_names: list[str]
    history: list[dict[str, float]]


def main(
    csv_path: str | Path,
    hidden_dim: int = 128,
    lr: float = 0.005,
    num_epochs: int = 2,
    split_seed: int = 2025,
    max_batches: int | None = None,
    device: torch.device | str | None = None,
) -> NamesRun:
    """Train CustomRNN on the surnames with the course's recipe and report every epoch.

    Batches hold one name each (the names have different lengths and nothing pads them). The
    training rows are drawn with a WeightedRandomSampler so that every language is seen about
    equally often; validation keeps the real, imbalanced mix. `max_batches` cuts every epoch
    short (quick mode); the defaults are the course's settings.

    A batch of one short name is a handful of tiny matrix products, so on the CPU the training
    runs on one thread: more threads only add synchronisation, which is slow on a busy machine.
    The previous thread count is restored afterwards.
    """
    device = torch.device(device) if device is not None else get_device()
    dataset = NamesDataset(csv_path)
    split_generator = torch.Generator().manual_seed(split_seed)
    train_set, val_set = random_split(dataset, [0.85, 0.15], generator=split_generator)
    train_weights = dataset.get_sample_weights()[train_set.indices]
    sampler = WeightedRandomSampler(train_weights, num_samples=len(train_weights), replacement=True)
    train_loader = DataLoader(train_set, batch_size=1, sampler=sampler)
    val_loader = DataLoader(val_set, batch_size=1, shuffle=True)

    model = CustomRNN(len(VOCAB), hidden_dim, dataset.num_classes).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = []
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for epoch in range(1, num_epochs + 1):
            train_loss, train_acc = train_one_epoch(
                model, device, train_loader, criterion, optimizer, epoch, max_batches=max_batches
            )
            val_loss, val_acc = evaluate_one_epoch(
                model, device, val_loader, criterion, epoch, max_batches=max_batches
            )
            history.append(
                {
                    "train_loss": train_loss,
                    "train_acc": train_acc,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                }
            )
    finally:
        torch.set_num_threads(previous_threads)
    return NamesRun(model, val_loader, dataset.class_names, history)


def predict(
    model: nn.Module,
    name: str,
    class_names: list[str],
    n_predictions: int = 3,
    device: torch.device | str | None = None,
) -> list[tuple[float, str]]:
    """The `n_predictions` likeliest languages of `name` as (probability, language), best first."""
    if device is None:
        device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        logits = model(one_hot_encode_string(name).unsqueeze(0).to(device))
        top = torch.softmax(logits[0], dim=0).topk(n_predictions)
    return [
        (probability, class_names[index])
        for probability, index in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    ]


# ----------------------------------------------------------------------------------------------
# Part B: character-level language model on Tiny Shakespeare
# ----------------------------------------------------------------------------------------------

SHAKESPEARE_VOCAB = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

VOCAB_SIZE = len(SHAKESPEARE_VOCAB)


def load_text(path: str | Path) -> str:
    """The whole corpus as one string (UTF-8)."""
    return Path(path).read_text(encoding="utf-8")


def build_vocab(text: str) -> tuple[list[str], dict[str, int], dict[int, str]]:
    """The sorted distinct characters of `text` and the maps char -> id and id -> char.

    Sorting makes the ids the same on every run, so a saved model keeps its meaning.
    For tiny_shakespeare.txt the characters are exactly SHAKESPEARE_VOCAB (65 of them).
    """
    chars = sorted(set(text))
    char2idx = {char: index for index, char in enumerate(chars)}
    idx2char = dict(enumerate(chars))
    return chars, char2idx, idx2char


def encode_text(text: str, char2idx: dict[str, int]) -> torch.Tensor:
    """The text as a 1-D long tensor of character ids."""
    return torch.tensor([char2idx[char] for char in text], dtype=torch.long)


class ShakespeareDataset(Dataset):
    """Every window of `seq_length` characters, paired with the characters that follow each one.

    `vocab_size` is the width of the one-hot input (VOCAB_SIZE, 65, for Tiny Shakespeare).
    """

    def __init__(self, data: torch.Tensor, seq_length: int, vocab_size: int = VOCAB_SIZE) -> None:
        self.data = data
        self.seq_length = seq_length
        self.vocab_size = vocab_size

    def __len__(self) -> int:
        return len(self.data) - self.seq_length

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(one-hot window (seq_length, vocab_size) float, target ids (seq_length,) long)."""
        X = self.data[idx : idx + self.seq_length]
        X_onehot = F.one_hot(X, self.vocab_size).float()
        y = self.data[idx + 1 : idx + self.seq_length + 1]  # SOLUTION
        return X_onehot, y


class CharRNN(nn.Module):
    """nn.RNN over one-hot characters and a linear read-out to next-character logits."""

    def __init__(self, vocab_size: int, hidden_dim: int, num_layers: int) -> None:
        super().__init__()
        self.rnn = nn.RNN(
            input_size=vocab_size, hidden_size=hidden_dim, num_layers=num_layers, batch_first=True
        )
        self.fc = nn.Linear(hidden_dim, vocab_size)

    def forward(
        self, x: torch.Tensor, hidden: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (batch, seq, vocab) -> logits (batch, seq, vocab) and hidden (layers, batch, hidden).

        A given `hidden` continues the sequence where the previous call stopped; None starts
        from zeros.
        """
        # BEGIN SOLUTION
        outputs, hidden = self.rnn(x, hidden)
        logits = self.fc(outputs)
        return logits, hidden
        # END SOLUTION


def train_char_rnn(
    model: nn.Module,
    loader: DataLoader,
    num_epochs: int = 2,
    lr: float = 1e-3,
    max_steps: int | None = None,
) -> list[float]:
    """Train with Adam on next-character cross-entropy; returns the loss of every step.

    Every position of every window is one classification over the vocabulary, so logits
    (batch, seq_len, V) and targets (batch, seq_len) are flattened to (batch*seq_len, V) and
    (batch*seq_len,). `max_steps` stops early (quick mode); the batches go to the model's device.
    """
    device = next(model.parameters()).device
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    model.train()
    for epoch in range(1, num_epochs + 1):
        steps = len(loader) if max_steps is None else min(len(loader), max_steps - len(losses))
        if steps <= 0:
            break
        progress = tqdm(islice(loader, steps), total=steps, desc=f"epoch {epoch}")
        for X, y in progress:
            X, y = X.to(device), y.to(device)
            logits, _ = model(X)
            loss = criterion(logits.view(-1, logits.size(-1)), y.view(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            progress.set_postfix(loss=f"{losses[-1]:.3f}")
    return losses


def sample_text(
    model: nn.Module,
    start_char: str,
    length: int = 200,
    temperature: float = 1.0,
    char2idx: dict[str, int] | None = None,
    idx2char: dict[int, str] | None = None,
) -> str:
    """`start_char` followed by `length` characters drawn one at a time from the model.

    Each step divides the logits by `temperature` before the softmax: below 1 the text gets
    safer and more repetitive, above 1 more surprising and more misspelt. `start_char` may be
    longer than one character; all of it primes the hidden state. The maps default to the
    Tiny Shakespeare vocabulary.
    """
    if char2idx is None or idx2char is None:
        _, char2idx, idx2char = build_vocab(SHAKESPEARE_VOCAB)
    device = next(model.parameters()).device
    vocab_size = len(char2idx)
    model.eval()
    generated = list(start_char)
    step_input = encode_text(start_char, char2idx).unsqueeze(0).to(device)
    hidden = None
    with torch.no_grad():
        for _ in range(length):
            logits, hidden = model(F.one_hot(step_input, vocab_size).float(), hidden)
            probabilities = torch.softmax(logits[0, -1] / temperature, dim=0)
            next_id = torch.multinomial(probabilities, num_samples=1)
            generated.append(idx2char[next_id.item()])
            step_input = next_id.view(1, 1)
    return "".join(generated)
