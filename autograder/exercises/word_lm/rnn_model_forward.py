"""RNNModel.forward: log-probabilities over the vocabulary and the next state, for every RNN type.

Values are compared with the reference in eval mode; in train mode the checks look only at what
holds whatever the dropout masks are, to see that self.dropout sits where the course puts it.
"""

from __future__ import annotations

import numpy as np

from autograder.engine.checks import CheckFailure, Value, expect, expect_shape, expect_tensor
from autograder.engine.exercise import Context, Exercise, check
from autograder.exercises.common import expect_grads_close, expect_tensor_close
from autograder.exercises.word_lm.rnn_model_forward_mistakes import MISTAKES
from autograder.exercises.word_lm.rnn_model_forward_plan import forward_plan
from autograder.exercises.word_lm.shared import ASSIGNMENT
from autograder.i18n import N_, Text, t

VALUE_CASES = ("course", "gru", "tanh", "relu", "random")


def _forward_result(ctx: Context, key: str, step: int = 1) -> tuple[Value, Value]:
    value = ctx.answer(key).step(step)
    expect(
        value.type in ("tuple", "list") and len(value.items()) == 2,
        "forward should return the tuple (log_prob, next_hidden)",
        actual=value.describe(),
    )
    return value.item(0), value.item(1)


def _state_values(value: Value, rnn_type: str) -> list[Value]:
    if rnn_type == "LSTM":
        expect(
            value.type in ("tuple", "list") and len(value.items()) == 2,
            "an LSTM's next_hidden should be the pair (h, c) that self.rnn returns",
            actual=value.describe(),
        )
        return value.items()
    expect(
        value.type == "tensor",
        t(
            "the next_hidden of a {rnn_type} model should be the single tensor that self.rnn "
            "returns",
            rnn_type=rnn_type,
        ),
        actual=value.describe(),
    )
    return [value]


def _log_prob_array(value: Value, what: Text | str) -> np.ndarray:
    expect_tensor(value, what)
    data = value.array().astype(np.float64)
    expect(bool(np.all(np.isfinite(data))), t("{what} contains NaN or infinite values", what=what))
    return data


def _largest_difference(value: Value, expected: np.ndarray, what: Text | str) -> float:
    expect_tensor(value, what)
    expect_shape(value, expected.shape, what)
    return float(np.max(np.abs(value.array().astype(np.float64) - expected)))


@check("forward returns (log_prob, next_hidden) of the course's shapes", gate=True)
def returns_log_prob_and_hidden(ctx: Context) -> None:
    log_prob, hidden = _forward_result(ctx, "first_call")
    expect_tensor(log_prob, "log_prob")
    expect_shape(log_prob, (3, 7, 50), "log_prob (batch, seq_len, vocab_size)")
    for state in _state_values(hidden, "LSTM"):
        expect_tensor(state, "next_hidden")
        expect_shape(
            state, (2, 3, 12), t("each of h and c (num_hidden_layers, batch, hidden_size)")
        )


@check("log_prob holds log-probabilities over the vocabulary, in train and eval mode")
def log_probabilities(ctx: Context) -> None:
    for key, mode in (("course", "eval"), ("train", "train")):
        log_prob, _ = _forward_result(ctx, key)
        data = _log_prob_array(log_prob, t("log_prob in {mode} mode", mode=mode))
        expect(
            data.ndim == 3,
            t("log_prob in {mode} mode should be (batch, seq_len, vocab_size)", mode=mode),
            actual=str(log_prob.shape),
        )
        expect(
            bool(np.all(data <= 1e-6)),
            t(
                "log_prob in {mode} mode has positive entries: return log-probabilities (the "
                "last step of forward), not logits or probabilities",
                mode=mode,
            ),
            expected=N_("every entry <= 0"),
            actual=t("largest entry {value:.3g}", value=float(data.max())),
        )
        total = np.exp(data).sum(axis=-1)
        worst = float(np.max(np.abs(total - 1.0)))
        expect(
            worst < 1e-4,
            t(
                "in {mode} mode exp(log_prob) does not sum to 1 over the vocabulary (the last "
                "dimension): check which dimension log_softmax normalises and what comes after "
                "it",
                mode=mode,
            ),
            expected=N_("sums of 1"),
            actual=t("sums off by up to {difference:.3g}", difference=worst),
        )


@check("GRU, RNN_TANH and RNN_RELU models return one state tensor")
def other_rnn_types(ctx: Context) -> None:
    for key in ("gru", "tanh", "relu"):
        expected = ctx.expected(key)
        log_prob, hidden = _forward_result(ctx, key)
        log_prob_label = t("log_prob of the {rnn_type} model", rnn_type=expected["type"])
        expect_tensor(log_prob, log_prob_label)
        expect_shape(log_prob, expected["shape"], log_prob_label)
        (state,) = _state_values(hidden, expected["type"])
        expect_shape(
            state,
            expected["state_shape"],
            t("next_hidden of the {rnn_type} model", rnn_type=expected["type"]),
        )


@check("two chunks with the returned state passed on equal one pass")
def state_carried(ctx: Context) -> None:
    head, _ = _forward_result(ctx, "course", 1)
    tail, _ = _forward_result(ctx, "course", 2)
    whole, _ = _forward_result(ctx, "course", 3)
    for part in (head, tail, whole):
        expect_tensor(part, "log_prob")
    expect(
        head.array().ndim == 3 and tail.array().ndim == 3,
        "log_prob should be (batch, seq_len, vocab_size)",
        actual=str(head.shape),
    )
    joined = np.concatenate([head.array(), tail.array()], axis=1)
    expect_tensor_close(
        whole,
        joined,
        t(
            "the log_prob of the whole sequence compared with two chunks (pass prev_hidden to "
            "self.rnn and return the state it gives back)"
        ),
    )


@check("self.dropout is applied to the embedding output and to the recurrent output")
def dropout_on_embedding_and_output(ctx: Context) -> None:
    _, hidden = _forward_result(ctx, "train")
    first_layer = _state_values(hidden, "LSTM")[0]
    expect_tensor(first_layer, t("h of next_hidden"))
    expect_shape(first_layer, (2, 4, 12), t("h of next_hidden in train mode"))
    eval_first_layer = ctx.expected("train")["hidden"][0][0]
    moved = float(np.max(np.abs(first_layer.array()[0] - eval_first_layer)))
    expect(
        moved > 1e-3,
        "in train mode the first recurrent layer sees the same input as in eval mode: pass the "
        "embedding output through self.dropout before self.rnn",
    )
    log_prob, _ = _forward_result(ctx, "sites")
    moved = _largest_difference(log_prob, ctx.expected("sites")["log_prob"], "log_prob")
    expect(
        moved > 1e-3,
        "in train mode the projection sees the recurrent output undropped: pass the output of "
        "self.rnn through self.dropout before self.projection",
    )


@check("in train mode self.rnn keeps its own dropout between the recurrent layers")
def dropout_between_layers(ctx: Context) -> None:
    _, hidden = _forward_result(ctx, "between")
    h = _state_values(hidden, "LSTM")[0]
    expect_tensor(h, t("h of next_hidden"))
    expect_shape(h, (2, 4, 12), t("h of next_hidden in train mode"))
    eval_h = ctx.expected("between")["hidden"][0]
    expect(
        float(np.max(np.abs(h.array()[0] - eval_h[0]))) <= 1e-4,
        "in train mode with a zero embedding the first recurrent layer's state should be as in "
        "eval mode: drop only the embedding output before self.rnn",
    )
    expect(
        float(np.max(np.abs(h.array()[1] - eval_h[1]))) > 1e-3,
        "in train mode the top recurrent layer's state is as in eval mode, so self.rnn dropped "
        "nothing between its layers: leave the layers in the model's mode (no self.rnn.eval() "
        "or self.eval() inside forward)",
    )


@check("log-probabilities match the reference for the same weights (eval mode)")
def log_prob_matches(ctx: Context) -> None:
    for key in VALUE_CASES:
        expected = ctx.expected(key)
        log_prob, _ = _forward_result(ctx, key)
        expect_tensor_close(
            log_prob,
            expected["log_prob1"],
            t("log_prob of the {rnn_type} model", rnn_type=expected["type"]),
        )


@check("next_hidden and a second chunk continued from it match the reference")
def hidden_matches(ctx: Context) -> None:
    for key in VALUE_CASES:
        expected = ctx.expected(key)
        kind = expected["type"]
        for step, suffix in ((1, "1"), (2, "2")):
            log_prob, hidden = _forward_result(ctx, key, step)
            states = _state_values(hidden, kind)
            for state, reference in zip(states, expected[f"hidden{suffix}"], strict=True):
                expect_tensor_close(
                    state, reference, t("next_hidden of the {rnn_type} model", rnn_type=kind)
                )
        log_prob, _ = _forward_result(ctx, key, 2)
        expect_tensor_close(
            log_prob,
            expected["log_prob2"],
            t(
                "log_prob of the {rnn_type} model for a chunk that continues from the returned "
                "state",
                rnn_type=kind,
            ),
        )


@check("works for one sequence of length one")
def batch_one_length_one(ctx: Context) -> None:
    expected = ctx.expected("tiny")
    for step in (1, 2):
        log_prob, hidden = _forward_result(ctx, "tiny", step)
        expect_tensor_close(
            log_prob, expected[f"log_prob{step}"], t("log_prob for one word of one sequence")
        )
        for state, reference in zip(
            _state_values(hidden, "LSTM"), expected[f"hidden{step}"], strict=True
        ):
            expect_tensor_close(state, reference, t("next_hidden for one word of one sequence"))


@check("gradients flow from log_prob back to every layer as in the reference")
def gradients_match(ctx: Context) -> None:
    answer = ctx.answer("grad")
    if not answer.raw.get("ok"):
        raise CheckFailure(
            N_(
                "backpropagating from log_prob failed: keep log_prob attached to the graph (no "
                ".detach(), no torch.no_grad() inside forward)"
            ),
            actual=str(answer.raw.get("error", {}).get("message", ""))[:160],
        )
    expect_grads_close(ctx, "grad", "grad.grads", t("the gradient"))


@check("nothing is dropped after the projection")
def no_dropout_after_projection(ctx: Context) -> None:
    log_prob, _ = _forward_result(ctx, "projection")
    expect_tensor_close(
        log_prob,
        ctx.expected("projection")["log_prob"],
        t(
            "log_prob in train mode when only the projection's bias decides the prediction "
            "(dropout belongs before self.projection, not on the logits or the "
            "log-probabilities)"
        ),
    )


EXERCISE = Exercise(
    "rnn_model_forward",
    ASSIGNMENT,
    "RNNModel.forward",
    forward_plan,
    (
        returns_log_prob_and_hidden,
        log_probabilities,
        other_rnn_types,
        state_carried,
        dropout_on_embedding_and_output,
        dropout_between_layers,
        log_prob_matches,
        hidden_matches,
        batch_one_length_one,
        gradients_match,
        no_dropout_after_projection,
    ),
    MISTAKES,
)
