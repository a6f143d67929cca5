"""Assignment rnn_basics: a recurrent cell written by hand, then PyTorch's recurrent API.

The course defines two classes named `RNN` (a one-hot cell and an embedding model), so each part
lives in its own module: `scratch` (one-hot strings and a hand-made cell), `shakespeare` (a
character model with an embedding on Tiny Shakespeare) and `api` (nn.RNN, nn.LSTM, nn.GRU,
padding and packing).
"""
