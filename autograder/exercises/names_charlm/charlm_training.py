"""charlm_training: the student's CharRNN is trained to predict the next character of Shakespeare.

It learns on windows from the student's ShakespeareDataset but is scored on held-out text with
the grader's own next-character targets, so unshifted targets fail however low their loss falls.
"""

from __future__ import annotations

from autograder.exercises.names_charlm.shared import ASSIGNMENT
from autograder.i18n import N_
from autograder.training import data
from autograder.training.exercise import make_exercise
from autograder.training.spec import TrainingMistake, TrainingSpec

SHAKESPEARE_VOCAB = 65


SPEC = TrainingSpec(
    id="charlm_training",
    assignment=ASSIGNMENT,
    title=N_("CharRNN learns to predict the next character of Shakespeare"),
    recipe="char_lm",
    metric="next_char_loss",
    module="names_charlm",
    params={"vocab": SHAKESPEARE_VOCAB, "batch_size": 32, "seq_length": 64, "lr": 0.003},
    prepare=lambda data_dir, **options: data.characters(
        data_dir, "tiny_shakespeare.txt", **options
    ),
    data={"train_chars": 300_000, "windows": 64, "window": 64},
    parts={
        "model": {
            "target": {"name": "CharRNN"},
            "init": {"args": [{"value": SHAKESPEARE_VOCAB}, {"value": 128}, {"value": 1}]},
        },
        "dataset": {"name": "ShakespeareDataset"},
    },
    expected={"vocab": SHAKESPEARE_VOCAB},
    mistakes=(
        TrainingMistake(
            "target not shifted",
            "shakespeare_dataset",
            "names_charlm",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx : idx + self.seq_length]",
            ),
            "y equals X: the model learns to copy; its own loss falls to 0.00",
        ),
        TrainingMistake(
            "target shifted by two",
            "shakespeare_dataset",
            "names_charlm",
            (
                "self.data[idx + 1 : idx + self.seq_length + 1]",
                "self.data[idx + 2 : idx + self.seq_length + 2]",
            ),
            "the model predicts the character after next",
        ),
        TrainingMistake(
            "read-out from the hidden state",
            "char_rnn",
            "names_charlm",
            (
                "logits = self.fc(outputs)",
                "logits = self.fc(hidden[-1]).unsqueeze(1).expand(-1, x.shape[1], -1)",
            ),
            "every position gets the logits of the window's last state",
        ),
    ),
    causes=(
        N_(
            "ShakespeareDataset's y is not the window shifted by one character (y = data[idx+1 : "
            "idx+seq_length+1]);"
        ),
        N_(
            "CharRNN.forward applies fc to the final hidden state instead of to the output of "
            "every step;"
        ),
        N_("the logits are passed through softmax or log_softmax (return raw scores);"),
        N_("the given hidden state is ignored or reset inside forward."),
    ),
    leak_floor=True,
    depends_on=("shakespeare_dataset", "char_rnn"),
    curve_every=25,
)

EXERCISE = make_exercise(SPEC)
