"""Assignment 1, names_charlm: one module per exercise, each with its probes, checks and mistakes.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.names_charlm` on inputs drawn here at random.

The training checks: the grader trains the student's `CustomRNN` on the names with its own fast
loop (equal-length batches of 16 drawn with the class-balancing weights, SGD 0.1, clipping at 1:
the same accuracy as the course's batch-1 loop in a tenth of the time) and scores balanced
accuracy on the course's held-out split. For the language model it trains the student's
`CharRNN` on windows from the student's `ShakespeareDataset` and scores the held-out text with
its own next-character targets, so a dataset whose targets are not shifted fails however low its
own loss falls.
"""

from __future__ import annotations

from autograder.exercises.names_charlm import (
    char_rnn,
    charlm_training,
    custom_rnn,
    names_dataset,
    names_training,
    num_params_custom_rnn,
    one_hot_encode_string,
    shakespeare_dataset,
)

EXERCISES = (
    one_hot_encode_string.EXERCISE,
    names_dataset.EXERCISE,
    custom_rnn.EXERCISE,
    num_params_custom_rnn.EXERCISE,
    shakespeare_dataset.EXERCISE,
    char_rnn.EXERCISE,
    names_training.EXERCISE,
    charlm_training.EXERCISE,
)
SPECS = (names_training.SPEC, charlm_training.SPEC)
