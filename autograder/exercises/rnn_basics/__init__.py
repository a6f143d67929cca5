"""Assignment 4, rnn_basics: one module per exercise, assembled here in course order.

Public checks restate the notebook's own tests (the course's printed facts); hidden checks
compare the student's code with `solutions.rnn_basics` on inputs drawn at random.

The course defines two classes named `RNN`: the one-hot cell of part 1 (three required
arguments) and the embedding model of part 2 (four); `target(..., arity=n)` picks the right one.

The API exercises (rnn_forward, lstm_forward, packed_gru) take PyTorch layers as arguments. The
probes have the child build small stock layers (`torch_module` arguments: 1 to 3 layers, one or
two directions, relu or bias-free variants, dropout between layers in eval mode so values are
exact) with weights the grader chose, and compare the results with `solutions.rnn_basics.api` run
here on identical layers. The course-sized layers (nn.RNN(256, 512), nn.LSTM(256, 512)) keep the
child's own initial weights and are checked for shapes and weight-free facts only; a layer and a
batch on the "meta" device check that the initial state follows the batch's device; one GRU in
training mode is checked only through what dropout cannot change. Nothing relies on the layers
the notebook's given cells create.

The training check (rnn_cell_training): of the two training tasks in the notebook, the
memorisation task separates faster and more clearly: the course's own loop (Adam 0.01, summed
MSE, 100 passes over "hello pytorch. how long can a rnn cell remember?") takes about a second, a
correct cell ends near 0.08 while a cell that drops its previous state cannot get below 0.78 (one
letter cannot tell what follows it). The embedding model on Shakespeare runs one character per
call, which makes a check of the same power cost tens of seconds. The grader feeds the sentence's
rows itself and compares each output with the next row.
"""

from __future__ import annotations

from autograder.exercises.rnn_basics import (
    char_tensor,
    embed_batch,
    embedding_rnn,
    lstm_forward,
    packed_gru,
    pad_and_sort,
    random_training_set,
    rnn_cell,
    rnn_cell_training,
    rnn_forward,
    string_to_onehot,
)

EXERCISES = (
    string_to_onehot.EXERCISE,
    rnn_cell.EXERCISE,
    char_tensor.EXERCISE,
    random_training_set.EXERCISE,
    embedding_rnn.EXERCISE,
    pad_and_sort.EXERCISE,
    embed_batch.EXERCISE,
    rnn_forward.EXERCISE,
    lstm_forward.EXERCISE,
    packed_gru.EXERCISE,
    rnn_cell_training.EXERCISE,
)
SPECS = (rnn_cell_training.SPEC,)
