"""Assignment 3, word_lm: one module per exercise, each with its probes, checks and mistakes.

Public checks restate the notebook's own tests (the course's facts); hidden checks compare the
student's code with `solutions.word_lm` on small models and token streams drawn here at random.
Models are tiny (a vocabulary of 20 to 50 words, a dozen hidden units) so that one submission
grades in seconds.

Dropout makes training-mode outputs random, so values are compared in eval mode only. In
training mode the checks look at properties that hold whatever the random masks are: the output
is still a distribution, the first layer's state moves when the embedding is dropped, and with
weights that make a dropout site irrelevant (a zero embedding, a zero projection) the output is
the one the reference gives in eval mode.

The training check (validation perplexity of the word LM): one epoch of WikiText-2 with the
course's model takes over 20 minutes on a CPU, so the grader keeps the course's loop (the
student's `bptt_batchify`, truncated BPTT with the hidden state carried and detached, plain SGD
with clipping at 0.25) but trains a small LSTM (2 x 64) on the first 200,000 training tokens over
the 1,000 most frequent words (the rest become <unk>), with a learning rate of 5 instead of 20,
which is stable at that size. The student's `RNNModel.forward` must return log-probabilities: the
grader checks that they are, then computes the perplexity of held-out windows of valid.txt with
its own targets.
"""

from __future__ import annotations

from autograder.exercises.word_lm import (
    bptt_batchify,
    evaluate,
    rnn_model_forward,
    word_lm_training,
)

EXERCISES = (
    rnn_model_forward.EXERCISE,
    bptt_batchify.EXERCISE,
    evaluate.EXERCISE,
    word_lm_training.EXERCISE,
)
SPECS = (word_lm_training.SPEC,)
