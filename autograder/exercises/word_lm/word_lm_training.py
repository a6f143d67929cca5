"""word_lm_training: the student's RNNModel and bptt_batchify train a word-level language model.

The grader trains a small LSTM with the course's loop and reads the validation perplexity.
"""

from __future__ import annotations

from pathlib import Path

from autograder.exercises.word_lm.shared import ASSIGNMENT
from autograder.i18n import N_
from autograder.training import data
from autograder.training.exercise import make_exercise
from autograder.training.spec import TrainingMistake, TrainingSpec

VOCAB = 1000
SIZE = 64


def _prepare(data_dir: Path, **options: int) -> data.Prepared:
    return data.words(data_dir, VOCAB, **options)


SPEC = TrainingSpec(
    id="word_lm_training",
    assignment=ASSIGNMENT,
    title=N_("RNNModel learns a word-level language model of WikiText-2"),
    recipe="word_lm",
    metric="perplexity",
    module="word_lm",
    params={"batch_size": 20, "seq_length": 35, "lr": 5.0, "clip": 0.25},
    prepare=_prepare,
    data={"train_tokens": 200_000, "windows": 64, "window": 35},
    parts={
        "model": {
            "target": {"name": "RNNModel"},
            "init": {
                "args": [
                    {"value": "LSTM"},
                    {"value": VOCAB},
                    {"value": SIZE},
                    {"value": SIZE},
                    {"value": 2},
                    {"value": 0.0},
                ]
            },
        },
        "functions": {"batchify": {"name": "bptt_batchify"}},
    },
    expected={"vocab": VOCAB},
    mistakes=(
        TrainingMistake(
            "wrong axes permuted",
            "bptt_batchify",
            "word_lm",
            (
                "kept.reshape(batch_size, num_sample, sequence_length).transpose(0, 1)",
                "kept.reshape(batch_size, sequence_length, num_sample).permute(2, 0, 1)",
            ),
            "consecutive positions of a sample are num_sample words apart: no sentence to learn",
        ),
        TrainingMistake(
            "softmax instead of log_softmax",
            "rnn_model_forward",
            "word_lm",
            ("F.log_softmax(logits, dim=-1)", "F.softmax(logits, dim=-1)"),
            "probabilities, not log-probabilities: nll_loss rewards nothing sensible",
        ),
        TrainingMistake(
            "log_softmax over the sequence",
            "rnn_model_forward",
            "word_lm",
            ("F.log_softmax(logits, dim=-1)", "F.log_softmax(logits, dim=1)"),
            "normalised over time, not over the vocabulary (a naive perplexity looks excellent)",
        ),
    ),
    causes=(
        N_("forward does not end with F.log_softmax(..., dim=-1) over the vocabulary;"),
        N_(
            "bptt_batchify does not reshape to (batch_size, -1, sequence_length) before "
            "swapping the first two axes, so a sample's words are not consecutive text;"
        ),
        N_(
            "the recurrent layer's output is not what the projection reads (for example the "
            "embedding or the final state instead);"
        ),
        N_("prev_hidden is not passed to the recurrent layer, or the new state is not returned."),
    ),
    half_outputs=True,
    depends_on=("rnn_model_forward", "bptt_batchify"),
    curve_every=25,
)

EXERCISE = make_exercise(SPEC)
