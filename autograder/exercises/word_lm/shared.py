"""What more than one word_lm exercise uses: the assignment's name and the reference models."""

from __future__ import annotations

import numpy as np
import torch

from solutions import word_lm as ref

ASSIGNMENT = "word_lm"


def seed_torch(rng: np.random.Generator) -> None:
    torch.manual_seed(int(rng.integers(2**31)))


def reference_model(
    rng: np.random.Generator,
    rnn_type: str,
    vocab: int,
    embedding: int,
    hidden: int,
    layers: int,
) -> tuple[ref.RNNModel, list]:
    """A reference RNNModel in eval mode and the positional arguments that build it.

    Larger weights than the course's near-uniform initialisation, so that the predictions
    depend clearly on the context and on the carried state, and a wrong shift, a reset state
    or dropout left on move the loss by far more than the tolerance.
    """
    seed_torch(rng)
    dropout = 0.5 if layers > 1 else 0.0  # nn.LSTM warns about dropout with a single layer
    args = [rnn_type, vocab, embedding, hidden, layers, dropout]
    model = ref.RNNModel(*args)
    with torch.no_grad():
        model.embedding.weight.normal_(0.0, 1.0)
        model.projection.weight.normal_(0.0, 3.0)
        model.projection.bias.normal_(0.0, 0.3)
        for name, parameter in model.rnn.named_parameters():
            if name.startswith("weight"):
                parameter.mul_(2.5)
    return model.eval(), args
