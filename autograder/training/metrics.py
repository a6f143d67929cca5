"""Scores of raw model outputs, computed with the grader's own labels and targets.

The child returns what the student's model produced on held-out inputs; nothing it says about
its own loss is believed. Every metric first checks that the outputs are what the recipe's
contract promises (finite logits of the right shape, or log-probabilities that sum to one over
the vocabulary), because a model that emits something else can score absurdly well on a naive
metric (a log_softmax over the wrong axis reports a perplexity of 18 where a real model gets
600). Problems become `UnusableOutputError` with a sentence a student can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from autograder.i18n import N_, Text, t

#: How far a row of log-probabilities may sum from 1 (outputs come back as float16 for words).
LOG_PROB_TOLERANCE = 0.02


class UnusableOutputError(Exception):
    """The held-out outputs break the contract (shape, finiteness, normalisation)."""


@dataclass(frozen=True)
class Metric:
    """A named score; `higher_is_better` fixes the direction of the threshold."""

    name: str
    description: str
    higher_is_better: bool
    compute: Callable[[np.ndarray, dict[str, np.ndarray]], float]
    unit: str = ""

    def passes(self, value: float, threshold: float) -> bool:
        return value >= threshold if self.higher_is_better else value <= threshold

    def better(self, left: float, right: float) -> float:
        """The better of two values in this metric's direction."""
        return max(left, right) if self.higher_is_better else min(left, right)

    def format(self, value: float) -> str:
        return f"{value:.4g}{self.unit}"


def _finite(outputs: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(outputs, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        share = float(np.mean(~np.isfinite(values)))
        raise UnusableOutputError(
            t(
                "{share} of the {what} are NaN or infinite: training diverged or the forward "
                "pass divides by zero",
                share=format(share, ".0%"),
                what=Text(template=what),
            )
        )
    return values


def _shape(outputs: np.ndarray, shape: tuple[int, ...], what: str) -> None:
    if tuple(outputs.shape) != tuple(shape):
        raise UnusableOutputError(
            t(
                "the {what} have shape {shape}, expected {expected}",
                what=Text(template=what),
                shape=str(tuple(outputs.shape)),
                expected=str(tuple(shape)),
            )
        )


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _mean_nll(log_probs: np.ndarray, targets: np.ndarray) -> float:
    picked = np.take_along_axis(log_probs, targets[..., None].astype(np.int64), axis=-1)
    return float(-picked.mean())


def balanced_accuracy(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    """Mean per-language recall of the argmax: the weighted sampler trains for exactly this.

    Plain accuracy is dominated by Russian (47% of the held-out names), so a model that always
    answers "Russian" would look half right; balanced accuracy gives it 1/18.
    """
    labels = expected["labels"]
    classes = int(expected["num_classes"]) if "num_classes" in expected else int(labels.max()) + 1
    _shape(outputs, (len(labels), classes), N_("logits for the held-out names"))
    predicted = _finite(outputs, N_("logits")).argmax(axis=1)
    recalls = [np.mean(predicted[labels == c] == c) for c in np.unique(labels)]
    return float(np.mean(recalls))


def plain_accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.asarray(outputs).argmax(axis=1) == labels))


def next_char_loss(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    """Cross-entropy (nats) of logits (windows, steps, vocab) against the grader's next chars."""
    targets = expected["targets"]
    vocab = int(expected["vocab"])
    if outputs.ndim == 2 and outputs.shape[0] == targets.size:
        outputs = outputs.reshape(*targets.shape, -1)  # forward returns (batch * seq, vocab)
    _shape(outputs, (*targets.shape, vocab), N_("logits for the held-out windows"))
    return _mean_nll(_log_softmax(_finite(outputs, N_("logits"))), targets)


def word_loss(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    """Mean NLL (nats) of log-probabilities (windows, steps, vocab) against the next words.

    The outputs must already be log-probabilities over the vocabulary (the forward pass ends in
    log_softmax over its last axis): they are checked, not normalised, because the course's
    loss (`nll_loss`) trusts them the same way.
    """
    targets = expected["targets"]
    vocab = int(expected["vocab"])
    _shape(outputs, (*targets.shape, vocab), N_("log-probabilities for the held-out windows"))
    values = _finite(outputs, N_("log-probabilities"))
    if values.max() > LOG_PROB_TOLERANCE:
        raise UnusableOutputError(
            t(
                "the outputs reach {largest}, but log-probabilities are never positive: "
                "forward should return log_softmax(logits, dim=-1), not probabilities or logits",
                largest=format(float(values.max()), ".3g"),
            )
        )
    sums = np.exp(values).sum(axis=-1)
    worst = float(np.max(np.abs(np.log(sums))))
    if worst > LOG_PROB_TOLERANCE:
        raise UnusableOutputError(
            t(
                "the outputs do not sum to 1 over the vocabulary (exp sums range from {low} to "
                "{high}): apply log_softmax over the last axis, the vocabulary, not over the "
                "sequence or the batch",
                low=format(float(sums.min()), ".3g"),
                high=format(float(sums.max()), ".3g"),
            )
        )
    return _mean_nll(values, targets)


def perplexity(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    return float(np.exp(word_loss(outputs, expected)))


def sentence_mse(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    """The course's memorisation loss: per-step MSE against the next one-hot row, summed."""
    targets = expected["targets"]
    _shape(outputs, targets.shape, "outputs for the sentence")
    values = _finite(outputs, "outputs")
    return float(((values - targets) ** 2).mean(axis=1).sum())


def next_row_accuracy(outputs: np.ndarray, expected: dict[str, np.ndarray]) -> float:
    return float(np.mean(np.asarray(outputs).argmax(axis=1) == expected["target_ids"]))


METRICS = {
    metric.name: metric
    for metric in (
        Metric(
            "balanced_accuracy",
            N_("balanced accuracy (mean recall per language) on held-out names"),
            True,
            balanced_accuracy,
        ),
        Metric(
            "next_char_loss",
            N_("cross-entropy on held-out text, with the grader's next-character targets"),
            False,
            next_char_loss,
            " nats",
        ),
        Metric(
            "perplexity",
            N_("perplexity on held-out WikiText-2 windows (valid.txt), with the grader's targets"),
            False,
            perplexity,
        ),
        Metric(
            "sentence_mse",
            N_("summed MSE between each output and the next one-hot row of the sentence"),
            False,
            sentence_mse,
        ),
    )
}
