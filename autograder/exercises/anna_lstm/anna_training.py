"""anna_training: the student's get_batches and CharRNN, in the course's training loop, must lower
the validation loss of next-character prediction on Anna Karenina to the calibrated threshold.
"""

from __future__ import annotations

from pathlib import Path

from autograder.errors import GraderError
from autograder.exercises.anna_lstm.shared import ASSIGNMENT, Y_LINE
from autograder.i18n import N_
from autograder.training import data
from autograder.training.exercise import make_exercise
from autograder.training.spec import TrainingMistake, TrainingSpec

#: Anna Karenina read in text mode has 83 distinct characters; the grader orders them sorted.
VOCAB = 83


def _prepare(data_dir: Path, **options: int) -> data.Prepared:
    prepared = data.characters(data_dir, "anna.txt", **options)
    if len(prepared.info["vocab"]) != VOCAB:
        raise GraderError(
            f"anna.txt has {len(prepared.info['vocab'])} distinct characters, not {VOCAB}; "
            "prepare the data directory again"
        )
    return prepared


SPEC = TrainingSpec(
    id="anna_training",
    assignment=ASSIGNMENT,
    title=N_("CharRNN (LSTM) learns to predict the next character of Anna Karenina"),
    recipe="anna_lstm",
    metric="next_char_loss",
    module="anna_lstm",
    params={"vocab": VOCAB, "batch_size": 32, "seq_length": 50, "lr": 0.005, "clip": 5.0},
    prepare=_prepare,
    data={"train_chars": 400_000, "windows": 64, "window": 50},
    parts={
        "model": {
            "target": {"name": "CharRNN"},
            "init": {
                "args": [{"info": "vocab"}],  # the sorted characters
                "kwargs": {
                    "n_hidden": {"value": 64},
                    "n_layers": {"value": 2},
                    "drop_prob": {"value": 0.1},
                },
            },
        },
        "functions": {"batches": {"name": "get_batches"}},
    },
    expected={"vocab": VOCAB},
    mistakes=(
        TrainingMistake(
            "target not shifted",
            "get_batches",
            "anna_lstm",
            (Y_LINE, "y = x.copy()"),
            "y equals x: the LSTM learns to copy its input",
        ),
        TrainingMistake(
            "x and y swapped",
            "get_batches",
            "anna_lstm",
            ("yield x, y", "yield y, x"),
            "the LSTM learns the character before, which it has already seen",
        ),
        TrainingMistake(
            "flattened time-major",
            "char_rnn",
            "anna_lstm",
            (
                "out = out.reshape(-1, self.n_hidden)",
                "out = out.transpose(0, 1).reshape(-1, self.n_hidden)",
            ),
            "the rows of the scores no longer line up with the targets",
        ),
    ),
    causes=(
        N_(
            "get_batches' y is not x shifted left by one (its last column is the character "
            "after the window);"
        ),
        N_("get_batches yields (y, x) instead of (x, y);"),
        N_(
            "CharRNN.forward flattens the LSTM output in the wrong order (transpose before "
            "reshape) or without batch_first=True;"
        ),
        N_("the scores pass through softmax, or the hidden state returned is not the LSTM's."),
    ),
    leak_floor=True,
    depends_on=("get_batches", "char_rnn"),
    curve_every=25,
)

EXERCISE = make_exercise(SPEC)
