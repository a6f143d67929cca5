"""The from-scratch RNN cell memorises the course's sentence: the training check of rnn_cell.

A correct cell ends near 0.08 summed MSE on the course's own loop; one that drops its previous
state cannot get below 0.78, since one letter cannot tell what follows it.
"""

from __future__ import annotations

from pathlib import Path

from autograder.exercises.rnn_basics.shared import ASSIGNMENT
from autograder.i18n import N_
from autograder.training import data
from autograder.training.exercise import make_exercise
from autograder.training.spec import TrainingMistake, TrainingSpec

LETTERS = len(data.SCRATCH_CHARS)


def _prepare(data_dir: Path) -> data.Prepared:
    return data.sentence()  # no data file: the sentence is part of the course


SPEC = TrainingSpec(
    id="rnn_cell_training",
    assignment=ASSIGNMENT,
    title=N_("The from-scratch RNN cell memorises the course's sentence"),
    recipe="memorise",
    metric="sentence_mse",
    module="rnn_basics.scratch",
    params={"lr": 0.01},
    prepare=_prepare,
    data={},
    parts={
        "model": {
            "target": {"name": "RNN", "arity": 3},
            "init": {"args": [{"value": LETTERS}, {"value": 35}, {"value": LETTERS}]},
        }
    },
    expected={},
    mistakes=(
        TrainingMistake(
            "previous hidden state ignored",
            "rnn_cell",
            "rnn_basics.scratch",
            (
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                "hidden = torch.tanh(self.i2h(input))",
            ),
            "the cell sees one letter at a time: 'l' cannot tell whether 'l' or 'o' follows",
        ),
        TrainingMistake(
            "hidden state detached each step",
            "rnn_cell",
            "rnn_basics.scratch",
            (
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden))",
                "hidden = torch.tanh(self.i2h(input) + self.h2h(hidden.detach()))",
            ),
            "no gradient flows back through time: the cell cannot learn what to remember",
        ),
    ),
    causes=(
        N_("the new hidden state does not include h2h(hidden), the previous state;"),
        N_("the previous state is detached inside forward, so no gradient flows through time;"),
        N_("forward returns the old hidden state, or the output is not i2o of the new one;"),
        N_("init_hidden does not return zeros of shape (1, hidden_size)."),
    ),
    depends_on=("rnn_cell",),
    curve_every=10,
)

EXERCISE = make_exercise(SPEC)
