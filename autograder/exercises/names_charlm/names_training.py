"""names_training: the student's CustomRNN is trained to tell a surname's language.

The grader's fast loop (equal-length batches of 16 drawn with the class-balancing weights, SGD 0.1,
clipping at 1) trains it and scores balanced accuracy on the course's held-out split.
"""

from __future__ import annotations

from autograder.exercises.names_charlm.shared import ASSIGNMENT
from autograder.i18n import N_
from autograder.training import data
from autograder.training.exercise import make_exercise
from autograder.training.spec import TrainingMistake, TrainingSpec

NAMES_VOCAB = len(data.NAMES_VOCAB)
NAMES_CLASSES = 18


SPEC = TrainingSpec(
    id="names_training",
    assignment=ASSIGNMENT,
    title=N_("CustomRNN learns to tell a surname's language"),
    recipe="names_classifier",
    metric="balanced_accuracy",
    module="names_charlm",
    params={"vocab": NAMES_VOCAB, "batch_size": 16, "lr": 0.1, "clip": 1.0},
    prepare=lambda data_dir: data.names(data_dir),
    data={},
    parts={
        "model": {
            "target": {"name": "CustomRNN"},
            "init": {"args": [{"value": NAMES_VOCAB}, {"value": 128}, {"value": NAMES_CLASSES}]},
        }
    },
    expected={"num_classes": NAMES_CLASSES},
    mistakes=(
        TrainingMistake(
            "hidden state not carried",
            "custom_rnn",
            "names_charlm",
            ("self.W_xh(x[:, t, :]) + self.W_hh(h))", "self.W_xh(x[:, t, :]) + self.W_hh.bias)"),
            "each step forgets the previous letters: only the last letter decides",
        ),
        TrainingMistake(
            "output from the first step",
            "custom_rnn",
            "names_charlm",
            (
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n",
                "            h = torch.tanh(self.W_xh(x[:, t, :]) + self.W_hh(h))\n            break\n",
            ),
            "the logits come from the first letter only",
        ),
    ),
    causes=(
        N_(
            "the hidden state is not passed from one step to the next "
            "(h = tanh(W_xh x_t + W_hh h));"
        ),
        N_(
            "the logits are read from the first step, or inside the loop, instead of from the "
            "last h;"
        ),
        N_("h is re-created inside the loop, or the loop does not run over every step of x;"),
        N_(
            "the read-out uses another layer than W_hy, or a nonlinearity is applied to the logits."
        ),
    ),
    depends_on=("custom_rnn",),
    curve_every=100,
)

EXERCISE = make_exercise(SPEC)
