"""Part 3 of rnn_basics: PyTorch's recurrent layers on a padded batch of token ids.

Each exercise is a small function of modules and tensors, so it can be tried on any batch; the
notebook applies them to the course's ten sequences with the course's sizes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

vocab_size = 100
pad_id = 0
embedding_size = 256
hidden_size = 512
sequence_lengths = (20, 5, 8, 10, 15, 18, 17, 6, 6, 18)


def make_data(
    lengths: Sequence[int] = sequence_lengths, vocab_size: int = vocab_size, seed: int = 0
) -> list[list[int]]:
    """Fixed token-id sequences with the given lengths; ids start at 1 because 0 is padding."""
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randint(1, vocab_size, (length,), generator=generator).tolist() for length in lengths
    ]


data = make_data()


def pad_and_sort(
    sequences: Sequence[Sequence[int]], pad_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad every sequence to the longest one and order the rows longest first.

    Returns `batch` (N, max_len) long and `batch_lens` (N,) long, the true lengths in the same
    order. The sort is stable, so rows of equal length keep their original order.
    """
    # BEGIN SOLUTION
    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.long)
    batch = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        batch[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    batch_lens, order = lengths.sort(descending=True, stable=True)
    return batch[order], batch_lens
    # END SOLUTION


def embed_batch(
    batch: torch.Tensor, vocab_size: int, embedding_size: int = embedding_size
) -> tuple[nn.Embedding, torch.Tensor]:
    """A fresh embedding table and the batch looked up in it: (B, L) ids -> (B, L, E) vectors."""
    # BEGIN SOLUTION
    embedding = nn.Embedding(vocab_size, embedding_size).to(batch.device)
    batch_emb = embedding(batch)
    return embedding, batch_emb
    # END SOLUTION


def rnn_forward(rnn: nn.RNN, batch_emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a time-major nn.RNN over a batch-first (B, L, E) batch from a zero initial state.

    Returns `hidden_states` (L, B, num_dirs * H), every step's top-layer state, and `h_n`
    (num_layers * num_dirs, B, H), every layer's last state.
    """
    # BEGIN SOLUTION
    num_dirs = 2 if rnn.bidirectional else 1
    h_0 = batch_emb.new_zeros(rnn.num_layers * num_dirs, batch_emb.size(0), rnn.hidden_size)
    hidden_states, h_n = rnn(batch_emb.transpose(0, 1), h_0)
    return hidden_states, h_n
    # END SOLUTION


def lstm_forward(
    lstm: nn.LSTM, batch_emb: torch.Tensor
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """The same for an nn.LSTM, whose state is a pair: hidden state and cell state, both zero.

    Returns `hidden_states` (L, B, num_dirs * H) and `(h_n, c_n)`, each
    (num_layers * num_dirs, B, H).
    """
    # BEGIN SOLUTION
    num_dirs = 2 if lstm.bidirectional else 1
    h_0 = batch_emb.new_zeros(lstm.num_layers * num_dirs, batch_emb.size(0), lstm.hidden_size)
    c_0 = torch.zeros_like(h_0)
    hidden_states, (h_n, c_n) = lstm(batch_emb.transpose(0, 1), (h_0, c_0))
    return hidden_states, (h_n, c_n)
    # END SOLUTION


def greedy_generate(
    gru: nn.GRU,
    embedding: nn.Embedding,
    output_layer: nn.Linear,
    first_ids: torch.Tensor,
    max_len: int,
) -> torch.Tensor:
    """Greedy decoding with a one-directional nn.GRU, one step at a time for a whole batch.

    Starts from `first_ids` (B,) and feeds the most likely token of every step back in as the
    next input. Returns the generated ids, (max_len, B).
    """
    hidden = torch.zeros(
        gru.num_layers, first_ids.size(0), gru.hidden_size, device=first_ids.device
    )
    input_id = first_ids
    generated = []
    with torch.no_grad():
        for _ in range(max_len):
            input_emb = embedding(input_id).unsqueeze(0)
            output, hidden = gru(input_emb, hidden)
            logits = output_layer(output)
            input_id = logits.argmax(dim=-1).squeeze(0)
            generated.append(input_id)
    return torch.stack(generated)


def packed_gru_forward(
    gru: nn.GRU, batch_emb: torch.Tensor, batch_lens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run a (possibly stacked, bidirectional) nn.GRU over a packed batch so padding is skipped.

    `batch_emb` is batch-first (B, L, E) with rows sorted longest first. Returns `outputs`
    (max_len, B, num_dirs * H) with zeros after each row's length, `outputs_lens` (B,) and `h_n`
    (num_layers * num_dirs, B, H), taken at each row's true last step.
    """
    # BEGIN SOLUTION
    num_dirs = 2 if gru.bidirectional else 1
    h_0 = batch_emb.new_zeros(gru.num_layers * num_dirs, batch_emb.size(0), gru.hidden_size)
    packed_batch = pack_padded_sequence(batch_emb.transpose(0, 1), batch_lens.cpu())
    packed_outputs, h_n = gru(packed_batch, h_0)
    outputs, outputs_lens = pad_packed_sequence(packed_outputs)
    return outputs, outputs_lens, h_n
    # END SOLUTION
