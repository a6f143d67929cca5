"""Tests for solutions/word_lm.py: the WikiText-2 word language model (EXERCISES.md, part 3)."""

import inspect
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from solutions import word_lm
from solutions.word_lm import (
    EOS,
    Corpus,
    Dictionary,
    RNNModel,
    bptt_batchify,
    detach_hidden,
    evaluate,
    generate,
    get_device,
    train,
)

RNN_TYPES = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]


@pytest.fixture(scope="module")
def corpus(raw_data_dir: Path) -> Corpus:
    """The real WikiText-2 corpus, tokenised once for the whole module."""
    return Corpus(raw_data_dir / "wikitext-2")


def tiny_model(rnn_type: str = "LSTM", vocab_size: int = 11, dropout: float = 0.0) -> RNNModel:
    """A small seeded model; embedding 6 != hidden 10 so misplaced layers show up in shapes."""
    torch.manual_seed(0)
    return RNNModel(
        rnn_type,
        vocab_size,
        embedding_size=6,
        hidden_size=10,
        num_hidden_layers=2,
        dropout=dropout,
    )


def hidden_shapes(hidden: word_lm.Hidden) -> list[tuple[int, ...]]:
    """The shapes of a state, as a list whether or not it is an LSTM pair."""
    states = hidden if isinstance(hidden, tuple) else (hidden,)
    return [tuple(state.shape) for state in states]


# --- course constants ----------------------------------------------------------------------------


def test_course_hyperparameters() -> None:
    assert word_lm.TRAIN_BATCH_SIZE == 20
    assert word_lm.EVAL_BATCH_SIZE == 10
    assert word_lm.SEQUENCE_LENGTH == 35
    assert word_lm.LEARNING_RATE == 20
    assert word_lm.RNN_TYPE == "LSTM"
    assert EOS == "<eos>"


def test_rnn_model_signature_defaults() -> None:
    parameters = inspect.signature(RNNModel.__init__).parameters
    defaults = {name: p.default for name, p in parameters.items() if name != "self"}
    assert defaults == {
        "rnn_type": inspect.Parameter.empty,
        "vocab_size": inspect.Parameter.empty,
        "embedding_size": 200,
        "hidden_size": 200,
        "num_hidden_layers": 2,
        "dropout": 0.5,
    }


# --- Dictionary and Corpus -----------------------------------------------------------------------


def test_dictionary_gives_ids_in_order_of_first_appearance() -> None:
    dictionary = Dictionary()
    assert [dictionary.add_word(w) for w in ["a", "b", "a", "c", "b"]] == [0, 1, 0, 2, 1]
    assert dictionary.idx2word == ["a", "b", "c"]
    assert dictionary.word2idx == {"a": 0, "b": 1, "c": 2}
    assert len(dictionary) == 3


def test_corpus_splits_lines_and_closes_them_with_eos(tmp_path: Path) -> None:
    (tmp_path / "train.txt").write_text("the cat\n\n sat  down \n", encoding="utf-8")
    (tmp_path / "valid.txt").write_text("the dog\n", encoding="utf-8")
    (tmp_path / "test.txt").write_text("cat\n", encoding="utf-8")
    corpus = Corpus(tmp_path)
    # ids by first appearance: the 0, cat 1, <eos> 2, sat 3, down 4, dog 5 (one shared dictionary)
    assert corpus.dictionary.idx2word == ["the", "cat", "<eos>", "sat", "down", "dog"]
    assert corpus.train.tolist() == [0, 1, 2, 2, 3, 4, 2]
    assert corpus.valid.tolist() == [0, 5, 2]
    assert corpus.test.tolist() == [1, 2]
    for split in (corpus.train, corpus.valid, corpus.test):
        assert split.dtype == torch.long
        assert split.dim() == 1


def test_corpus_real_wikitext2_counts(corpus: Corpus) -> None:
    assert len(corpus.dictionary) == 33_278
    assert len(corpus.train) == 2_088_628
    assert len(corpus.valid) == 217_646
    assert len(corpus.test) == 245_569
    # train.txt starts with a blank line, then " = Valkyria Chronicles III = "
    first = [corpus.dictionary.idx2word[i] for i in corpus.train[:6].tolist()]
    assert first == ["<eos>", "=", "Valkyria", "Chronicles", "III", "="]
    for split in (corpus.train, corpus.valid, corpus.test):
        assert int(split.min()) >= 0
        assert int(split.max()) < len(corpus.dictionary)


# --- RNNModel: given parts -----------------------------------------------------------------------


def test_rnn_model_layers_follow_the_course() -> None:
    model = RNNModel("LSTM", 33_278)
    assert isinstance(model.embedding, nn.Embedding)
    assert tuple(model.embedding.weight.shape) == (33_278, 200)
    assert isinstance(model.dropout, nn.Dropout)
    assert model.dropout.p == 0.5
    assert isinstance(model.rnn, nn.LSTM)
    assert (model.rnn.input_size, model.rnn.hidden_size, model.rnn.num_layers) == (200, 200, 2)
    assert model.rnn.batch_first
    assert model.rnn.dropout == 0.5
    assert isinstance(model.projection, nn.Linear)
    assert tuple(model.projection.weight.shape) == (33_278, 200)
    for weight in (model.embedding.weight, model.projection.weight):
        assert 0.09 < float(weight.detach().abs().max()) <= 0.1 + 1e-6  # uniform(-0.1, 0.1)
    assert torch.count_nonzero(model.projection.bias) == 0


@pytest.mark.parametrize(
    ("rnn_type", "cls", "nonlinearity"),
    [
        ("LSTM", nn.LSTM, None),
        ("GRU", nn.GRU, None),
        ("RNN_TANH", nn.RNN, "tanh"),
        ("RNN_RELU", nn.RNN, "relu"),
    ],
)
def test_rnn_type_picks_the_recurrent_layer(
    rnn_type: str, cls: type[nn.Module], nonlinearity: str | None
) -> None:
    model = tiny_model(rnn_type)
    assert type(model.rnn) is cls
    assert model.rnn.batch_first
    if nonlinearity is not None:
        assert model.rnn.nonlinearity == nonlinearity


def test_unknown_rnn_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="rnn_type"):
        RNNModel("TRANSFORMER", 10)


@pytest.mark.parametrize("rnn_type", RNN_TYPES)
def test_init_hidden_is_zero_state_on_the_model_device(rnn_type: str) -> None:
    model = tiny_model(rnn_type)
    hidden = model.init_hidden(3)
    expected = [(2, 3, 10)] * (2 if rnn_type == "LSTM" else 1)
    assert hidden_shapes(hidden) == expected
    assert isinstance(hidden, tuple) == (rnn_type == "LSTM")
    for state in hidden if isinstance(hidden, tuple) else (hidden,):
        assert state.device == model.device == torch.device("cpu")
        assert torch.count_nonzero(state) == 0


# --- RNNModel.forward (exercise) -----------------------------------------------------------------


@pytest.mark.parametrize("rnn_type", RNN_TYPES)
def test_forward_shapes(rnn_type: str) -> None:
    model = tiny_model(rnn_type)
    tokens = torch.randint(0, 11, (3, 7))
    log_prob, next_hidden = model(tokens, model.init_hidden(3))
    assert tuple(log_prob.shape) == (3, 7, 11)
    assert log_prob.dtype == torch.float32
    assert hidden_shapes(next_hidden) == hidden_shapes(model.init_hidden(3))


@pytest.mark.parametrize("training", [True, False])
def test_forward_returns_log_probabilities(training: bool) -> None:
    model = tiny_model(dropout=0.5).train(training)
    log_prob, _ = model(torch.randint(0, 11, (4, 5)), model.init_hidden(4))
    assert torch.all(log_prob <= 0)
    torch.testing.assert_close(log_prob.exp().sum(-1), torch.ones(4, 5))


@pytest.mark.parametrize("rnn_type", RNN_TYPES)
def test_forward_composes_the_layers_in_order(rnn_type: str) -> None:
    model = tiny_model(rnn_type, dropout=0.5).eval()
    tokens = torch.randint(0, 11, (2, 6))
    prev_hidden = detach_hidden(model(tokens, model.init_hidden(2))[1])  # a non-zero state
    with torch.no_grad():
        output, expected_hidden = model.rnn(model.embedding(tokens), prev_hidden)
        expected = torch.log_softmax(model.projection(output), dim=2)
        log_prob, next_hidden = model(tokens, prev_hidden)
    torch.testing.assert_close(log_prob, expected)
    for got, want in zip(
        next_hidden if isinstance(next_hidden, tuple) else (next_hidden,),
        expected_hidden if isinstance(expected_hidden, tuple) else (expected_hidden,),
        strict=True,
    ):
        torch.testing.assert_close(got, want)


def test_forward_drops_out_after_the_embedding_and_after_the_rnn() -> None:
    seen: list[tuple[int, ...]] = []

    class Recorder(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(tuple(x.shape))
            return x

    model = tiny_model()
    model.dropout = Recorder()
    model(torch.randint(0, 11, (3, 4)), model.init_hidden(3))
    assert seen == [(3, 4, 6), (3, 4, 10)]


def test_dropout_is_active_only_in_training_mode() -> None:
    model = tiny_model(dropout=0.5)
    tokens = torch.randint(0, 11, (4, 8))
    model.train()
    a, _ = model(tokens, model.init_hidden(4))
    b, _ = model(tokens, model.init_hidden(4))
    assert not torch.allclose(a, b)
    model.eval()
    c, _ = model(tokens, model.init_hidden(4))
    d, _ = model(tokens, model.init_hidden(4))
    torch.testing.assert_close(c, d)


@pytest.mark.parametrize("rnn_type", RNN_TYPES)
def test_forward_carries_the_state_across_calls(rnn_type: str) -> None:
    model = tiny_model(rnn_type).eval()
    tokens = torch.randint(0, 11, (2, 9))
    with torch.no_grad():
        whole, _ = model(tokens, model.init_hidden(2))
        head, hidden = model(tokens[:, :4], model.init_hidden(2))
        tail, _ = model(tokens[:, 4:], hidden)
        fresh_tail, _ = model(tokens[:, 4:], model.init_hidden(2))
    torch.testing.assert_close(torch.cat([head, tail], dim=1), whole)
    assert not torch.allclose(tail, fresh_tail)


# --- bptt_batchify (exercise) --------------------------------------------------------------------


def test_bptt_batchify_by_hand() -> None:
    # 23 tokens, batch 2, length 3: 3 samples use 18 tokens; the last 5 are dropped.
    # Row 0 reads 0..8, row 1 reads 9..17, three tokens per sample.
    expected = torch.tensor(
        [
            [[0, 1, 2], [9, 10, 11]],
            [[3, 4, 5], [12, 13, 14]],
            [[6, 7, 8], [15, 16, 17]],
        ]
    )
    result = bptt_batchify(torch.arange(23), 2, 3)
    assert torch.equal(result, expected)
    assert result.dtype == torch.long


def test_bptt_batchify_too_short_gives_no_sample() -> None:
    assert tuple(bptt_batchify(torch.arange(5), 2, 3).shape) == (0, 2, 3)


@settings(max_examples=60, deadline=None)
@given(
    length=st.integers(0, 300),
    batch_size=st.integers(1, 7),
    sequence_length=st.integers(1, 9),
)
def test_bptt_batchify_rows_continue_the_same_text(
    length: int, batch_size: int, sequence_length: int
) -> None:
    data = torch.arange(1000, 1000 + length)
    result = bptt_batchify(data, batch_size, sequence_length)
    num_sample = length // (batch_size * sequence_length)
    assert tuple(result.shape) == (num_sample, batch_size, sequence_length)
    stretch = num_sample * sequence_length
    for row in range(batch_size):
        text = data[row * stretch : (row + 1) * stretch]
        assert torch.equal(result[:, row, :].reshape(-1), text)


def test_bptt_batchify_real_sizes(corpus: Corpus) -> None:
    assert tuple(bptt_batchify(corpus.train, 20, 35).shape) == (2983, 20, 35)
    assert tuple(bptt_batchify(corpus.valid, 10, 35).shape) == (621, 10, 35)


# --- train (given) -------------------------------------------------------------------------------


def test_detach_hidden_keeps_values_and_drops_history() -> None:
    x = torch.ones(2, 3, requires_grad=True)
    single = detach_hidden(x * 2)
    pair = detach_hidden((x * 3, x * 4))
    assert not single.requires_grad
    assert isinstance(pair, tuple)
    assert not any(state.requires_grad for state in pair)
    assert torch.equal(pair[1], torch.full((2, 3), 4.0))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_train_step_is_clipped_sgd(scale: float) -> None:
    model = tiny_model()
    with torch.no_grad():
        model.projection.weight.mul_(scale)  # 30x: the gradient norm exceeds the clip of 0.25
    batch = torch.randint(0, 11, (3, 6))
    before = [p.detach().clone() for p in model.parameters()]
    # the gradient of the first batch, computed here without train()
    log_prob, _ = model(batch, model.init_hidden(3))
    loss = -log_prob[:, :-1, :].gather(2, batch[:, 1:, None]).mean()
    grads = torch.autograd.grad(loss, list(model.parameters()))
    norm = float(torch.sqrt(sum((g**2).sum() for g in grads)))
    assert (norm > 0.25) == (scale > 1)
    lr = 2.0
    returned = train(model, batch[None], lr)
    assert returned == pytest.approx(loss.item(), rel=1e-5)
    factor = min(1.0, 0.25 / norm)
    for old, new, grad in zip(before, model.parameters(), grads, strict=True):
        torch.testing.assert_close(new.detach(), old - lr * factor * grad)


def test_train_lowers_the_loss_on_a_repeating_text() -> None:
    torch.manual_seed(0)
    model = RNNModel("LSTM", 5, embedding_size=8, hidden_size=16, num_hidden_layers=1, dropout=0.0)
    data = bptt_batchify(torch.arange(5).repeat(80), 4, 10)  # 0 1 2 3 4 0 1 2 ...
    start = evaluate(model, data)
    for _ in range(5):
        train(model, data, 5.0)
    assert start == pytest.approx(math.log(5), abs=0.05)
    assert evaluate(model, data) < 0.2


# --- evaluate (exercise) -------------------------------------------------------------------------


class BigramStub(nn.Module):
    """A fake language model with fixed next-word probabilities that records how it is called.

    Its state is a step counter, so the calls show whether the state was carried along.
    """

    def __init__(self, probs: torch.Tensor) -> None:
        super().__init__()
        self.log_probs = nn.Parameter(probs.log())
        self.hidden_batch_sizes: list[int] = []
        self.calls: list[tuple[float, bool, bool]] = []

    @property
    def device(self) -> torch.device:
        return self.log_probs.device

    def init_hidden(self, batch_size: int) -> torch.Tensor:
        self.hidden_batch_sizes.append(batch_size)
        return torch.zeros(())

    def forward(self, input: torch.Tensor, prev_hidden: torch.Tensor):
        self.calls.append((float(prev_hidden), torch.is_grad_enabled(), self.training))
        return self.log_probs[input], prev_hidden + 1


def test_evaluate_by_hand_with_a_bigram_stub() -> None:
    # P(next | 0) = [1/2, 1/2], P(next | 1) = [1/4, 3/4]
    stub = BigramStub(torch.tensor([[0.5, 0.5], [0.25, 0.75]]))
    data = torch.tensor([[[0, 1, 1]], [[1, 0, 0]]])  # 2 samples, batch 1, length 3
    # sample 0: -ln P(1|0) = ln 2, -ln P(1|1) = ln(4/3)   -> mean ln(8/3) / 2
    # sample 1: -ln P(0|1) = ln 4, -ln P(0|0) = ln 2      -> mean ln(8) / 2
    expected = (math.log(8 / 3) / 2 + math.log(8) / 2) / 2
    stub.train()
    result = evaluate(stub, data)
    assert isinstance(result, float)
    assert result == pytest.approx(expected, rel=1e-6)
    assert stub.hidden_batch_sizes == [1]
    assert [step for step, _, _ in stub.calls] == [0.0, 1.0]  # the state is carried
    assert not any(grad for _, grad, _ in stub.calls)
    assert not any(training for _, _, training in stub.calls)


def test_evaluate_weights_every_batch_equally() -> None:
    # a batch of 2 rows: the per-sample losses are means over both rows
    stub = BigramStub(torch.tensor([[0.5, 0.5], [0.25, 0.75]]))
    data = torch.tensor([[[0, 1], [1, 1]], [[1, 0], [0, 0]]])
    # sample 0: ln 2 and ln(4/3) -> ln(8/3) / 2;  sample 1: ln 4 and ln 2 -> ln 8 / 2
    expected = (math.log(8 / 3) / 2 + math.log(8) / 2) / 2
    assert evaluate(stub, data) == pytest.approx(expected, rel=1e-6)
    assert stub.hidden_batch_sizes == [2]


def test_evaluate_is_deterministic_and_builds_no_graph() -> None:
    model = tiny_model(dropout=0.5).train()
    data = bptt_batchify(torch.randint(0, 11, (200,)), 4, 8)
    first = evaluate(model, data)
    second = evaluate(model, data)
    assert first == second
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_matches_train_loss_when_nothing_changes() -> None:
    # without dropout and with lr 0, train's running mean is the same quantity as evaluate's
    model = tiny_model(dropout=0.0)
    data = bptt_batchify(torch.randint(0, 11, (300,)), 3, 7)
    assert train(model, data, 0.0) == pytest.approx(evaluate(model, data), rel=1e-5)


def test_evaluate_carries_the_state_across_batches() -> None:
    model = tiny_model()
    data = bptt_batchify(torch.randint(0, 11, (240,)), 3, 8)
    per_batch = sum(evaluate(model, data[i : i + 1]) for i in range(len(data))) / len(data)
    assert evaluate(model, data) != pytest.approx(per_batch, rel=1e-6)


def test_untrained_model_on_real_data_is_near_uniform(corpus: Corpus) -> None:
    torch.manual_seed(1111)
    model = RNNModel("LSTM", len(corpus.dictionary))
    loss = evaluate(model, bptt_batchify(corpus.valid, 10, 35)[:3])
    assert loss == pytest.approx(math.log(33_278), abs=0.05)


# --- generation and device -----------------------------------------------------------------------


def small_dictionary() -> Dictionary:
    dictionary = Dictionary()
    for word in [EOS, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]:
        dictionary.add_word(word)
    return dictionary


def test_generate_writes_the_requested_number_of_words() -> None:
    dictionary = small_dictionary()
    torch.manual_seed(3)
    text = generate(tiny_model(), dictionary, num_words=200)
    words = text.split()
    assert len(words) + text.count("\n") == 200
    assert text.count("\n") > 0  # EOS is likely at temperature 1 and becomes a line break
    assert set(words) <= set(dictionary.idx2word) - {EOS}


def test_generate_at_low_temperature_is_greedy() -> None:
    model = tiny_model().eval()
    dictionary = small_dictionary()
    word, hidden, greedy = torch.tensor([[0]]), model.init_hidden(1), []
    with torch.no_grad():
        for _ in range(12):
            log_prob, hidden = model(word, hidden)
            word = log_prob[:, -1].argmax(-1, keepdim=True)
            greedy.append(dictionary.idx2word[int(word)])
    expected = "\n".join(line.strip() for line in " ".join(greedy).split(EOS))
    texts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        texts.append(generate(model, dictionary, num_words=12, temperature=1e-3))
    assert texts == [expected, expected]


def test_generate_rejects_a_non_positive_temperature() -> None:
    with pytest.raises(ValueError, match="temperature"):
        generate(tiny_model(), small_dictionary(), num_words=1, temperature=0.0)


def test_get_device_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_training_helpers_follow_the_model_device() -> None:
    model = tiny_model().to(get_device())
    assert model.device == next(model.parameters()).device
    data = bptt_batchify(torch.randint(0, 11, (120,)), 2, 6)  # on the cpu, moved per batch
    assert math.isfinite(train(model, data, 0.5))
    assert math.isfinite(evaluate(model, data))
