"""Assignment 3 (word_lm): a word-level language model on WikiText-2.

The given code and the reference solutions of the course notebook, in the order the notebook shows
them. Student parts are delimited with otter's solution markers; `rnn-grader sync` copies every
object into the master notebook.
"""

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

# The token that closes every line of the corpus (and starts generated text).
EOS = "<eos>"

# A recurrent state: one tensor, or the (h, c) pair of an LSTM.
Hidden = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

TRAIN_BATCH_SIZE = 20
EVAL_BATCH_SIZE = 10
SEQUENCE_LENGTH = 35
LEARNING_RATE = 20.0
RNN_TYPE = "LSTM"
NUM_EPOCHS = 6
SEED = 1111


def get_device() -> torch.device:
    """Pick the fastest available backend so the same notebook runs on a laptop or a GPU node."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class Dictionary:
    """Two-way map between words and ids; ids are handed out in order of first appearance."""

    def __init__(self) -> None:
        self.word2idx: dict[str, int] = {}
        self.idx2word: list[str] = []

    def add_word(self, word: str) -> int:
        """Return the id of `word`, giving it the next free id the first time it is seen."""
        if word not in self.word2idx:
            self.word2idx[word] = len(self.idx2word)
            self.idx2word.append(word)
        return self.word2idx[word]

    def __len__(self) -> int:
        return len(self.idx2word)


class Corpus:
    """The three WikiText-2 splits as long 1-D id tensors that share one dictionary.

    Sharing the dictionary means a word seen only in valid or test still has an id, so the
    model's vocabulary covers every split.
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.dictionary = Dictionary()
        self.train = self.tokenize(path / "train.txt")
        self.valid = self.tokenize(path / "valid.txt")
        self.test = self.tokenize(path / "test.txt")

    def tokenize(self, path: Path) -> torch.Tensor:
        """Split every line on whitespace, close it with EOS and map the words to ids."""
        ids: list[int] = []
        with open(path, encoding="utf-8") as file:
            for line in file:
                ids.extend(self.dictionary.add_word(word) for word in line.split() + [EOS])
        return torch.tensor(ids, dtype=torch.long)


class RNNModel(nn.Module):
    """Embedding, a stack of recurrent layers and a projection onto the vocabulary (batch first).

    `rnn_type` is one of 'LSTM', 'GRU', 'RNN_TANH' and 'RNN_RELU'.
    """

    def __init__(
        self,
        rnn_type: str,
        vocab_size: int,
        embedding_size: int = 200,
        hidden_size: int = 200,
        num_hidden_layers: int = 2,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.rnn_type = rnn_type
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.embedding = nn.Embedding(vocab_size, embedding_size)
        self.dropout = nn.Dropout(dropout)
        layers = (embedding_size, hidden_size, num_hidden_layers)
        options = {"dropout": dropout, "batch_first": True}
        if rnn_type == "LSTM":
            self.rnn = nn.LSTM(*layers, **options)
        elif rnn_type == "GRU":
            self.rnn = nn.GRU(*layers, **options)
        elif rnn_type in ("RNN_TANH", "RNN_RELU"):
            nonlinearity = rnn_type.removeprefix("RNN_").lower()
            self.rnn = nn.RNN(*layers, nonlinearity=nonlinearity, **options)
        else:
            raise ValueError(
                f"rnn_type must be 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU', not {rnn_type!r}"
            )
        self.projection = nn.Linear(hidden_size, vocab_size)
        self.init_weights()

    def init_weights(self) -> None:
        """Small uniform weights and a zero output bias: the first predictions are near uniform."""
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.uniform_(self.projection.weight, -0.1, 0.1)
        nn.init.zeros_(self.projection.bias)

    def forward(self, input: torch.Tensor, prev_hidden: Hidden) -> tuple[torch.Tensor, Hidden]:
        """Next-word log-probabilities (batch, seq_len, vocab) and the state to carry on."""
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(input))
        output, next_hidden = self.rnn(embedded, prev_hidden)
        logits = self.projection(self.dropout(output))
        log_prob = F.log_softmax(logits, dim=-1)
        return log_prob, next_hidden
        # END SOLUTION

    @property
    def device(self) -> torch.device:
        """Where the parameters live; inputs and states are moved here."""
        return self.projection.weight.device

    def init_hidden(self, batch_size: int) -> Hidden:
        """A zero state of shape (layers, batch, hidden), an (h, c) pair for an LSTM."""
        weight = self.projection.weight
        shape = (self.num_hidden_layers, batch_size, self.hidden_size)
        if self.rnn_type == "LSTM":
            return weight.new_zeros(shape), weight.new_zeros(shape)
        return weight.new_zeros(shape)


def bptt_batchify(data: torch.Tensor, batch_size: int, sequence_length: int) -> torch.Tensor:
    """Cut a 1-D token stream into (num_sample, batch_size, sequence_length).

    Row b of sample i+1 continues row b of sample i, so the hidden state left by one batch is the
    right starting state for the next one.
    """
    # BEGIN SOLUTION
    num_sample = len(data) // (batch_size * sequence_length)
    kept = data[: num_sample * batch_size * sequence_length]
    # END SOLUTION
    batches = kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)  # SOLUTION
    return batches


def detach_hidden(hidden: Hidden) -> Hidden:
    """Keep the state's values but drop its history, so backward stops at the batch boundary."""
    if isinstance(hidden, torch.Tensor):
        return hidden.detach()
    return tuple(detach_hidden(state) for state in hidden)


def train(model: RNNModel, data: torch.Tensor, lr: float, clip: float = 0.25) -> float:
    """One epoch of truncated backpropagation through time with plain SGD.

    `data` comes from `bptt_batchify`. Returns the mean training loss in nats.
    """
    model.train()
    hidden = model.init_hidden(data.shape[1])
    total_loss = 0.0
    progress = tqdm(data, desc="train", leave=False)
    for step, batch in enumerate(progress, start=1):
        batch = batch.to(model.device)
        hidden = detach_hidden(hidden)
        output, hidden = model(batch, hidden)
        loss = F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])
        model.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        total_loss += loss.item()
        mean_loss = total_loss / step
        progress.set_postfix(loss=f"{mean_loss:.3f}", ppl=f"{math.exp(mean_loss):.1f}")
    return total_loss / max(len(data), 1)


def evaluate(model: RNNModel, data: torch.Tensor) -> float:
    """Mean loss per batch (nats) over `data`, without dropout and without building a graph.

    The state is carried from batch to batch as in training; exp() of the result is the
    perplexity.
    """
    # BEGIN SOLUTION
    with torch.no_grad():
        model.eval()
        hidden = model.init_hidden(data.shape[1])
        total_loss = torch.zeros((), device=model.device)
        for batch in data:
            batch = batch.to(model.device)
            output, hidden = model(batch, hidden)
            total_loss += F.nll_loss(output[:, :-1, :].transpose(1, 2), batch[:, 1:])
    # END SOLUTION
    mean_loss = total_loss.item() / len(data)  # SOLUTION
    return mean_loss


def generate(
    model: RNNModel, dictionary: Dictionary, num_words: int = 1000, temperature: float = 1.0
) -> str:
    """Sample `num_words` words one at a time, each fed back in as the next input.

    A temperature below 1 sharpens the distribution (safer, more repetitive text), above 1 it
    flattens it. Generation starts after an EOS, i.e. at the beginning of a line, and every EOS
    it samples becomes a line break.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    model.eval()
    word = torch.tensor([[dictionary.word2idx[EOS]]], device=model.device)
    hidden = model.init_hidden(1)
    words: list[str] = []
    with torch.no_grad():
        for _ in range(num_words):
            log_prob, hidden = model(word, hidden)
            probs = torch.softmax(log_prob[0, -1] / temperature, dim=-1)
            word = torch.multinomial(probs, 1).view(1, 1)
            words.append(dictionary.idx2word[word.item()])
    lines = " ".join(words).split(EOS)
    return "\n".join(line.strip() for line in lines)
