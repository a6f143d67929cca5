"""The course's helpers module (solutions/helpers.py): epoch loops and the confusion matrix."""

from __future__ import annotations

import io
import math

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from solutions.helpers import (
    confusion_matrix,
    draw_confusion_matrix,
    evaluate_one_epoch,
    train_one_epoch,
)

# Four samples whose logits are the inputs themselves (see `identity_model`).
LOGITS = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0], [5.0, 0.0]])
TARGETS = torch.tensor([0, 1, 0, 0])


def identity_model() -> nn.Linear:
    """A 2 -> 2 linear layer that returns its input, so logits are known in advance."""
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    return model


def hand_cross_entropy(logits: list[float], target: int) -> float:
    return math.log(sum(math.exp(value) for value in logits)) - logits[target]


@pytest.mark.parametrize("batch_size", [1, 3, 4])
def test_evaluate_gives_per_sample_mean_loss_and_accuracy(batch_size: int, capsys) -> None:
    loader = DataLoader(TensorDataset(LOGITS, TARGETS), batch_size=batch_size)
    expected_loss = (
        hand_cross_entropy([2, 0], 0)
        + hand_cross_entropy([0, 1], 1)
        + hand_cross_entropy([1, 3], 0)
        + hand_cross_entropy([5, 0], 0)
    ) / 4

    loss, accuracy = evaluate_one_epoch(identity_model(), "cpu", loader, nn.CrossEntropyLoss(), 7)

    assert loss == pytest.approx(expected_loss, rel=1e-6)
    assert accuracy == 0.75  # sample 3 is predicted as class 1
    printed = capsys.readouterr().out
    assert "epoch 7" in printed and "75.00%" in printed


def test_evaluate_leaves_the_weights_and_gradients_alone() -> None:
    model = identity_model()
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    loader = DataLoader(TensorDataset(LOGITS, TARGETS), batch_size=2)
    evaluate_one_epoch(model, torch.device("cpu"), loader, nn.CrossEntropyLoss(), 1)
    assert not model.training
    for param, old in zip(model.parameters(), before, strict=True):
        assert param.grad is None
        assert torch.equal(param, old)


def test_max_batches_limits_both_loops(capsys) -> None:
    loader = DataLoader(TensorDataset(LOGITS, TARGETS), batch_size=1)
    _, accuracy = evaluate_one_epoch(
        identity_model(), "cpu", loader, nn.CrossEntropyLoss(), 1, max_batches=2
    )
    assert accuracy == 1.0  # the first two samples are both right
    model = identity_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    train_one_epoch(model, "cpu", loader, nn.CrossEntropyLoss(), optimizer, 1, max_batches=3)
    out = capsys.readouterr().out
    assert "(2 samples)" in out and "(3 samples)" in out


def test_an_empty_loader_is_reported() -> None:
    empty = DataLoader(TensorDataset(LOGITS[:0], TARGETS[:0]), batch_size=2)
    with pytest.raises(ValueError, match="no samples"):
        evaluate_one_epoch(identity_model(), "cpu", empty, nn.CrossEntropyLoss(), 1)


def test_train_one_epoch_reduces_the_loss_on_separable_data(capsys) -> None:
    torch.manual_seed(0)
    inputs = torch.randn(64, 2)
    targets = (inputs[:, 0] > inputs[:, 1]).long()
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=8, shuffle=True)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    criterion = nn.CrossEntropyLoss()
    first_loss, _ = train_one_epoch(model, "cpu", loader, criterion, optimizer, 1)
    for epoch in range(2, 6):
        last_loss, last_accuracy = train_one_epoch(
            model, "cpu", loader, criterion, optimizer, epoch
        )
    assert model.training
    assert last_loss < 0.5 * first_loss
    assert last_accuracy >= 0.9
    assert "epoch 5 train" in capsys.readouterr().out


def test_confusion_matrix_counts_truth_by_row() -> None:
    loader = DataLoader(TensorDataset(LOGITS, TARGETS), batch_size=3)
    counts = confusion_matrix(identity_model(), loader, 2, "cpu")
    # truth 0: predicted 0, 1, 0 ; truth 1: predicted 1
    assert counts.tolist() == [[2, 1], [0, 1]]


def test_draw_confusion_matrix_normalises_rows_and_keeps_absent_classes_at_zero() -> None:
    inputs = torch.tensor([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    targets = torch.tensor([0, 0, 0, 1])  # class 2 never occurs
    model = nn.Identity()
    loader = DataLoader(TensorDataset(inputs, targets), batch_size=2)
    names = ["Alpha", "Beta", "Gamma"]

    open_before = plt.get_fignums()
    figure = draw_confusion_matrix(model, loader, names, "cpu")

    assert isinstance(figure, Figure)
    assert plt.get_fignums() == open_before  # closed in pyplot: shown once, never leaked
    shown = torch.as_tensor(figure.axes[0].images[0].get_array())
    expected = torch.tensor([[2 / 3, 1 / 3, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    assert torch.allclose(shown.double(), expected.double())
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()] == names
    figure.savefig(io.BytesIO(), format="png")  # renders without a display
