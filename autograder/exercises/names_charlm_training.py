"""Assignment 1, names_charlm: the training checks (surname classifier, character LM).

The grader trains the student's `CustomRNN` on the names with its own fast loop (equal-length
batches of 16 drawn with the class-balancing weights, SGD 0.1, clipping at 1: the same accuracy
as the course's batch-1 loop in a tenth of the time) and scores balanced accuracy on the
course's held-out split. For the language model it trains the student's `CharRNN` on windows
from the student's `ShakespeareDataset` and scores the held-out text with its own next-character
targets, so a dataset whose targets are not shifted fails however low its own loss falls.
"""

from __future__ import annotations

from autograder.training import data
from autograder.training.spec import TrainingMistake, TrainingSpec, make_exercise

ASSIGNMENT = "names_charlm"
NAMES_VOCAB = len(data.NAMES_VOCAB)
NAMES_CLASSES = 18
SHAKESPEARE_VOCAB = 65


NAMES = TrainingSpec(
    id="names_training",
    assignment=ASSIGNMENT,
    title="CustomRNN learns to tell a surname's language",
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
        "the hidden state is not passed from one step to the next (h = tanh(W_xh x_t + W_hh h));",
        "the logits are read from the first step, or inside the loop, instead of from the last h;",
        "h is re-created inside the loop, or the loop does not run over every step of x;",
        "the read-out uses another layer than W_hy, or a nonlinearity is applied to the logits.",
    ),
    depends_on=("custom_rnn",),
    curve_every=100,
)


CHAR_LM = TrainingSpec(
    id="charlm_training",
    assignment=ASSIGNMENT,
    title="CharRNN learns to predict the next character of Shakespeare",
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
        "ShakespeareDataset's y is not the window shifted by one character (y = data[idx+1 : "
        "idx+seq_length+1]);",
        "CharRNN.forward applies fc to the final hidden state instead of to the output of every "
        "step;",
        "the logits are passed through softmax or log_softmax (return raw scores);",
        "the given hidden state is ignored or reset inside forward.",
    ),
    leak_floor=True,
    depends_on=("shakespeare_dataset", "char_rnn"),
    curve_every=25,
)

SPECS = (NAMES, CHAR_LM)
EXERCISES = tuple(make_exercise(spec) for spec in SPECS)
