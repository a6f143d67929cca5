"""Assignment 2, anna_lstm: each exercise's probes, checks and known mistakes, one module each.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.anna_lstm` on inputs drawn here at random. The
student's CharRNN has dropout, so its values are compared in eval mode only; in train mode the
checks look at shapes and at what dropout may and may not change.

The training check (validation loss of the character LSTM): the grader runs the course's `train`
loop (the student's `get_batches`, the hidden state carried and detached, Adam, clipping at 5) on
the student's `CharRNN`, smaller than the course's (2 x 64 units, dropout 0.1, batches of
32 x 50) so that it learns measurably in seconds, and scores held-out windows from the last
tenth of the novel with its own next-character targets. Adam's rate is 0.005: at 0.01 one seed
in thirty stayed on the unigram plateau (loss 3.1) for most of the budget, and at 0.02 none
left it.
"""

from __future__ import annotations

from autograder.exercises.anna_lstm import anna_training, char_rnn, get_batches

EXERCISES = (get_batches.EXERCISE, char_rnn.EXERCISE, anna_training.EXERCISE)
SPECS = (anna_training.SPEC,)
