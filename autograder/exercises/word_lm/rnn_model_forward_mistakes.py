"""The known mistakes of rnn_model_forward, with their hints: apart from the checks so that
rnn_model_forward.py stays short."""

from __future__ import annotations

from autograder.engine.exercise import Mistake
from autograder.i18n import N_

MISTAKES = (
    Mistake(
        "softmax instead of log_softmax",
        ("F.log_softmax(logits, dim=-1)", "F.softmax(logits, dim=-1)"),
        ("log_probabilities",),
        hint=N_(
            "forward returns probabilities, not log-probabilities: look at the "
            "function applied to the logits"
        ),
    ),
    Mistake(
        "log_softmax over the sequence",
        ("F.log_softmax(logits, dim=-1)", "F.log_softmax(logits, dim=1)"),
        ("log_probabilities",),
        hint=N_(
            "the log-softmax normalises over the wrong axis: look at the dim of the log-softmax"
        ),
    ),
    Mistake(
        "logits returned",
        ("log_prob = F.log_softmax(logits, dim=-1)", "log_prob = logits"),
        ("log_probabilities",),
        hint=N_(
            "forward returns raw logits, not log-probabilities: look at what "
            "happens to the logits before they are returned"
        ),
    ),
    Mistake(
        "prev_hidden ignored",
        ("self.rnn(embedded, prev_hidden)", "self.rnn(embedded)"),
        ("state_carried", "hidden_matches"),
        hint=N_(
            "the hidden state passed to forward is not used: look at the call of "
            "the recurrent layer"
        ),
    ),
    Mistake(
        "prev_hidden returned",
        ("return log_prob, next_hidden", "return log_prob, prev_hidden"),
        ("state_carried", "hidden_matches"),
        hint=N_(
            "forward returns the hidden state it was given instead of the new "
            "one: look at the return statement"
        ),
    ),
    Mistake(
        "no dropout on the embedding",
        (
            "embedded = self.dropout(self.embedding(input))",
            "embedded = self.embedding(input)",
        ),
        ("dropout_on_embedding_and_output",),
        hint=N_(
            "the embeddings reach the recurrent layer without dropout: look at "
            "the step after the embedding"
        ),
    ),
    Mistake(
        "no dropout on the recurrent output",
        ("self.projection(self.dropout(output))", "self.projection(output)"),
        ("dropout_on_embedding_and_output",),
        hint=N_(
            "the recurrent output reaches the projection without dropout: look at"
            " the step before the projection"
        ),
    ),
    Mistake(
        "dropout after the projection",
        ("self.projection(self.dropout(output))", "self.dropout(self.projection(output))"),
        ("no_dropout_after_projection",),
        hint=N_(
            "dropout is applied after the projection instead of before it: look "
            "at where dropout sits around the projection"
        ),
    ),
    Mistake(
        "dropout on the log-probabilities",
        (
            "log_prob = F.log_softmax(logits, dim=-1)",
            "log_prob = self.dropout(F.log_softmax(logits, dim=-1))",
        ),
        ("log_probabilities", "no_dropout_after_projection"),
        hint=N_(
            "dropout is applied to the log-probabilities: look at what happens "
            "after the log-softmax"
        ),
    ),
    Mistake(
        "projection only on the last step",
        (
            "self.projection(self.dropout(output))",
            "self.projection(self.dropout(output[:, -1]))",
        ),
        ("returns_log_prob_and_hidden",),
        hint=N_(
            "log-probabilities are computed for the last time step only: look at "
            "what you give the projection"
        ),
    ),
    Mistake(
        "log_prob detached",
        ("return log_prob, next_hidden", "return log_prob.detach(), next_hidden"),
        ("gradients_match",),
        hint=N_(
            "the returned log-probabilities are cut from the graph, so no "
            "gradient reaches the model: look at the return statement"
        ),
    ),
    Mistake(
        "dropout on in eval mode",
        (
            "embedded = self.dropout(self.embedding(input))",
            "embedded = F.dropout(self.embedding(input), 0.5, training=True)",
        ),
        ("log_prob_matches",),
        hint=N_(
            "dropout still drops values after model.eval(): look at how dropout "
            "is applied to the embeddings"
        ),
    ),
    Mistake(
        "recurrent layers switched to eval mode",
        (
            "        output, next_hidden = self.rnn(embedded, prev_hidden)\n",
            "        self.rnn.eval()\n        output, next_hidden = self.rnn(embedded, prev_hidden)\n",
        ),
        ("dropout_between_layers",),
        hint=N_(
            "forward switches the recurrent layer to eval mode, so its dropout is"
            " off during training: look at what forward does to the layer before "
            "calling it"
        ),
    ),
)
