"""Tests of solutions/anna_lstm.py: the course facts of Assignment 2 and the behaviour behind them.

Everything runs on one thread: tiny models crawl on two when other jobs share the CPU.
"""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from solutions import anna_lstm
from solutions.anna_lstm import (
    CharRNN,
    build_char_maps,
    encode_text,
    evaluate,
    get_batches,
    get_device,
    load_checkpoint,
    one_hot_encode,
    predict,
    sample,
    save_checkpoint,
    train,
)

TOKENS = ("a", "b", "c", "d", "e")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def anna(raw_data_dir: Path) -> dict:
    """The novel, its vocabulary and its encoding, read once for the module."""
    text = anna_lstm.load_text(raw_data_dir / "anna.txt")
    chars, int2char, char2int = build_char_maps(text)
    return {
        "text": text,
        "chars": chars,
        "int2char": int2char,
        "char2int": char2int,
        "encoded": encode_text(text, char2int),
    }


def small_net(n_hidden: int = 16, n_layers: int = 2, drop_prob: float = 0.5) -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(TOKENS, n_hidden=n_hidden, n_layers=n_layers, drop_prob=drop_prob)


def one_hot_batch(ids: np.ndarray, n_labels: int = len(TOKENS)) -> torch.Tensor:
    return torch.from_numpy(one_hot_encode(ids, n_labels))


def force_next_char(net: CharRNN, favourites: dict[str, float]) -> None:
    """Make the read-out ignore the LSTM: logits are the given biases (0 for other chars)."""
    with torch.no_grad():
        net.fc.weight.zero_()
        net.fc.bias.zero_()
        for char, logit in favourites.items():
            net.fc.bias[net.char2int[char]] = logit


# --- data ----------------------------------------------------------------------------------------


def test_anna_text_mode_counts(anna: dict) -> None:
    text = anna["text"]
    assert len(text) == 1_985_223
    assert len(set(text)) == 83
    assert "\r" not in text
    assert text.startswith("Chapter 1\n\n\nHappy families are all alike;")


def test_char_maps_on_anna(anna: dict) -> None:
    chars, int2char, char2int = anna["chars"], anna["int2char"], anna["char2int"]
    assert isinstance(chars, tuple)
    assert len(chars) == 83
    assert set(chars) == set(anna["text"])
    assert sorted(int2char) == list(range(83))
    assert all(char2int[int2char[i]] == i for i in range(83))


def test_build_char_maps_small_example() -> None:
    chars, int2char, char2int = build_char_maps("abca")
    assert sorted(chars) == ["a", "b", "c"]
    assert int2char == dict(enumerate(chars))
    assert char2int == {char: i for i, char in enumerate(chars)}


def test_encode_text_by_hand() -> None:
    encoded = encode_text("abca", {"a": 0, "b": 1, "c": 2})
    assert encoded.dtype == np.int64
    assert encoded.tolist() == [0, 1, 2, 0]


def test_encoded_anna_decodes_back(anna: dict) -> None:
    encoded, int2char = anna["encoded"], anna["int2char"]
    assert encoded.shape == (1_985_223,)
    assert encoded.dtype == np.int64
    assert "".join(int2char[i] for i in encoded.tolist()) == anna["text"]


def test_one_hot_by_hand() -> None:
    result = one_hot_encode(np.array([[1, 0], [2, 2]]), 3)
    expected = [[[0, 1, 0], [1, 0, 0]], [[0, 0, 1], [0, 0, 1]]]
    assert result.dtype == np.float32
    assert result.shape == (2, 2, 3)
    assert result.tolist() == expected


@settings(max_examples=40, deadline=None)
@given(
    n_labels=st.integers(1, 20),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    data=st.data(),
)
def test_one_hot_properties(n_labels: int, shape: list[int], data: st.DataObject) -> None:
    size = math.prod(shape)
    ids = data.draw(st.lists(st.integers(0, n_labels - 1), min_size=size, max_size=size))
    arr = np.array(ids, dtype=np.int64).reshape(shape)
    result = one_hot_encode(arr, n_labels)
    assert result.dtype == np.float32
    assert result.shape == (*shape, n_labels)
    assert np.all(result.sum(axis=-1) == 1)
    assert np.array_equal(result.argmax(axis=-1), arr)


# --- get_batches (exercise) ---------------------------------------------------------------------


def test_get_batches_by_hand() -> None:
    # 26 ids, 2 rows x 4 columns per batch: 3 full batches (24 ids), rows 0..11 and 12..23.
    batches = list(get_batches(np.arange(26), 2, 4))
    expected = [
        ([[0, 1, 2, 3], [12, 13, 14, 15]], [[1, 2, 3, 4], [13, 14, 15, 16]]),
        ([[4, 5, 6, 7], [16, 17, 18, 19]], [[5, 6, 7, 8], [17, 18, 19, 20]]),
        # the final window wraps round to column 0 of each row
        ([[8, 9, 10, 11], [20, 21, 22, 23]], [[9, 10, 11, 0], [21, 22, 23, 12]]),
    ]
    assert len(batches) == 3
    for (x, y), (want_x, want_y) in zip(batches, expected, strict=True):
        assert x.tolist() == want_x
        assert y.tolist() == want_y


def test_get_batches_is_a_generator_and_drops_the_tail() -> None:
    batches = get_batches(np.arange(7), 2, 4)
    assert iter(batches) is batches
    assert list(batches) == []


@settings(max_examples=60, deadline=None)
@given(length=st.integers(0, 400), batch_size=st.integers(1, 6), seq_length=st.integers(1, 12))
def test_get_batches_properties(length: int, batch_size: int, seq_length: int) -> None:
    batches = list(get_batches(np.arange(length), batch_size, seq_length))
    n_batches = length // (batch_size * seq_length)
    row_length = n_batches * seq_length
    assert len(batches) == n_batches
    for index, (x, y) in enumerate(batches):
        assert x.shape == y.shape == (batch_size, seq_length)
        # With ids equal to positions, row r of batch i starts at r * row_length + i * seq_length.
        starts = np.arange(batch_size)[:, None] * row_length + index * seq_length
        assert np.array_equal(x, starts + np.arange(seq_length))
        assert np.array_equal(y[:, :-1], x[:, 1:])
        last = index == n_batches - 1
        want_last = np.arange(batch_size) * row_length if last else x[:, -1] + 1
        assert np.array_equal(y[:, -1], want_last)


def test_get_batches_course_check(anna: dict) -> None:
    encoded = anna["encoded"]
    row_length = (1_985_223 // (8 * 50)) * 50
    batches = get_batches(encoded, 8, 50)
    x, y = next(batches)
    assert x.shape == y.shape == (8, 50)
    assert x.dtype == y.dtype == np.int64
    assert np.array_equal(y[:, :-1], x[:, 1:])
    for row in range(8):
        assert np.array_equal(x[row], encoded[row * row_length : row * row_length + 50])
        assert y[row, -1] == encoded[row * row_length + 50]
    assert 1 + sum(1 for _ in batches) == 1_985_223 // 400


# --- CharRNN (exercise) -------------------------------------------------------------------------


def test_char_rnn_defaults_and_layers() -> None:
    net = CharRNN(TOKENS)
    assert (net.n_hidden, net.n_layers, net.drop_prob, net.lr) == (256, 2, 0.5, 0.001)
    assert net.chars == TOKENS
    assert net.int2char == dict(enumerate(TOKENS))
    assert net.char2int == {char: i for i, char in enumerate(TOKENS)}
    assert isinstance(net.lstm, nn.LSTM)
    assert net.lstm.input_size == len(TOKENS)
    assert net.lstm.hidden_size == 256
    assert net.lstm.num_layers == 2
    assert net.lstm.dropout == 0.5
    assert net.lstm.batch_first
    assert isinstance(net.dropout, nn.Dropout) and net.dropout.p == 0.5
    assert isinstance(net.fc, nn.Linear)
    assert (net.fc.in_features, net.fc.out_features) == (256, len(TOKENS))


def test_char_rnn_custom_sizes() -> None:
    net = CharRNN(TOKENS, n_hidden=7, n_layers=3, drop_prob=0.25)
    assert (net.lstm.hidden_size, net.lstm.num_layers, net.lstm.dropout) == (7, 3, 0.25)
    assert net.dropout.p == 0.25
    assert net.fc.in_features == 7


def test_init_hidden_zeros() -> None:
    net = small_net(n_hidden=16, n_layers=2)
    h, c = net.init_hidden(3)
    for state in (h, c):
        assert state.shape == (2, 3, 16)
        assert state.dtype == torch.float32
        assert not state.any()


def test_forward_shapes() -> None:
    net = small_net(n_hidden=16, n_layers=2)
    x = one_hot_batch(
        np.array([[0, 1, 2, 3, 4, 0, 1], [4, 3, 2, 1, 0, 4, 3], [1, 1, 1, 1, 1, 1, 1]])
    )
    out, (h, c) = net(x, net.init_hidden(3))
    assert out.shape == (3 * 7, len(TOKENS))
    assert h.shape == c.shape == (2, 3, 16)


def test_forward_is_lstm_then_linear_in_eval_mode() -> None:
    net = small_net().eval()
    x = one_hot_batch(np.array([[0, 2, 4, 1], [3, 3, 0, 2]]))
    hidden = net.init_hidden(2)
    out, (h, c) = net(x, hidden)
    with torch.no_grad():
        lstm_out, (want_h, want_c) = net.lstm(x, hidden)
        # Row b * seq_len + t holds the logits of batch row b at time t.
        want = net.fc(lstm_out).reshape(2 * 4, len(TOKENS))
    assert torch.allclose(out, want, atol=1e-6)
    assert torch.allclose(h, want_h) and torch.allclose(c, want_c)


def test_hidden_state_carries_over_chunks() -> None:
    net = small_net().eval()
    ids = np.array([[0, 1, 2, 3, 4, 3, 2, 1, 0, 0], [4, 4, 2, 2, 0, 0, 1, 3, 1, 3]])
    with torch.no_grad():
        whole, (h_whole, c_whole) = net(one_hot_batch(ids), net.init_hidden(2))
        first, hidden = net(one_hot_batch(ids[:, :4]), net.init_hidden(2))
        second, (h_two, c_two) = net(one_hot_batch(ids[:, 4:]), hidden)
    chunks = torch.cat([first.reshape(2, 4, -1), second.reshape(2, 6, -1)], dim=1)
    assert torch.allclose(chunks, whole.reshape(2, 10, -1), atol=1e-5)
    assert torch.allclose(h_two, h_whole, atol=1e-6) and torch.allclose(c_two, c_whole, atol=1e-6)
    # Without the carried state the second chunk comes out different.
    with torch.no_grad():
        fresh, _ = net(one_hot_batch(ids[:, 4:]), net.init_hidden(2))
    assert not torch.allclose(fresh, second, atol=1e-4)


def test_eval_is_deterministic_and_train_mode_drops_out() -> None:
    net = small_net(drop_prob=0.5)
    x = one_hot_batch(np.array([[0, 1, 2, 3, 4, 0]] * 4))
    net.eval()
    with torch.no_grad():
        first, _ = net(x, net.init_hidden(4))
        second, _ = net(x, net.init_hidden(4))
    assert torch.equal(first, second)
    # Switch off the LSTM's own inter-layer dropout: only the dropout after the LSTM is left.
    net.lstm.dropout = 0.0
    net.train()
    with torch.no_grad():
        noisy, _ = net(x, net.init_hidden(4))
    assert not torch.allclose(noisy, first, atol=1e-4)


def test_dropout_comes_before_the_read_out() -> None:
    net = small_net(drop_prob=0.5).train()
    with torch.no_grad():
        net.fc.weight.zero_()
        net.fc.bias.fill_(1.0)
    x = one_hot_batch(np.array([[0, 1, 2, 3, 4, 0]] * 4))
    with torch.no_grad():
        out, _ = net(x, net.init_hidden(4))
    # Dropped LSTM outputs meet zero weights, so the logits are the bias; dropout on the logits
    # would turn them into 0 or 2.
    assert torch.equal(out, torch.ones_like(out))


def test_without_dropout_train_equals_eval() -> None:
    net = small_net(drop_prob=0.0)
    x = one_hot_batch(np.array([[0, 1, 2, 3, 4, 0]] * 2))
    with torch.no_grad():
        trained, _ = net.train()(x, net.init_hidden(2))
        evaluated, _ = net.eval()(x, net.init_hidden(2))
    assert torch.allclose(trained, evaluated)


def test_gradients_reach_every_parameter() -> None:
    net = small_net()
    x = one_hot_batch(np.array([[0, 1, 2, 3], [4, 3, 2, 1]]))
    out, _ = net(x, net.init_hidden(2))
    nn.CrossEntropyLoss()(out, torch.tensor([1, 2, 3, 4, 3, 2, 1, 0])).backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_init_hidden_follows_dtype_and_device() -> None:
    net = small_net().double()
    h, c = net.init_hidden(2)
    assert h.dtype == c.dtype == torch.float64
    meta = small_net().to("meta")
    h, c = meta.init_hidden(2)
    assert h.device.type == c.device.type == "meta"


def test_forward_on_anna_starts_near_uniform(anna: dict) -> None:
    torch.manual_seed(0)
    net = CharRNN(anna["chars"], n_hidden=32, n_layers=2).eval()
    x, y = next(get_batches(anna["encoded"], 8, 50))
    with torch.no_grad():
        out, _ = net(torch.from_numpy(one_hot_encode(x, 83)), net.init_hidden(8))
    loss = nn.CrossEntropyLoss()(out, torch.from_numpy(y).reshape(-1)).item()
    assert out.shape == (400, 83)
    assert abs(loss - math.log(83)) < 0.3


# --- device -------------------------------------------------------------------------------------


def test_get_device_prefers_cuda_then_mps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_everything_runs_on_cuda() -> None:
    net = small_net().to("cuda")
    assert net.init_hidden(2)[0].device.type == "cuda"
    data = np.tile(np.arange(len(TOKENS)), 100)
    history = train(net, data, epochs=1, batch_size=2, seq_length=10, print_every=5)
    assert history and all(math.isfinite(loss) for _, loss, _ in history)
    char, (h, c) = predict(net, "a", top_k=2)
    assert char in TOKENS and h.device.type == "cuda"
    assert len(sample(net, 5, prime="ab")) == 8


# --- training -----------------------------------------------------------------------------------


def test_evaluate_of_a_uniform_model_is_log_vocab() -> None:
    net = small_net()
    force_next_char(net, {})
    net.train()
    loss = evaluate(net, np.tile(np.arange(len(TOKENS)), 20), batch_size=2, seq_length=5)
    assert loss == pytest.approx(math.log(len(TOKENS)), abs=1e-6)
    assert net.training


def test_evaluate_refuses_data_too_short_for_a_batch() -> None:
    with pytest.raises(ValueError, match="cannot fill one"):
        evaluate(small_net(), np.arange(9) % 5, batch_size=2, seq_length=5)


def test_training_lowers_the_loss(capsys: pytest.CaptureFixture[str]) -> None:
    data = np.tile(np.array([0, 1, 2, 3, 4, 3, 2, 1]), 500)  # 4,000 ids; 3,600 for training
    net = small_net(n_hidden=32, drop_prob=0.0)
    # 45 batches of 4 x 20 per epoch over 3 epochs: 135 steps. Carrying an undetached hidden
    # state from one batch to the next would make the second backward pass fail.
    history = train(net, data, epochs=3, batch_size=4, seq_length=20, lr=0.01, print_every=15)
    assert [step for step, _, _ in history] == list(range(15, 136, 15))
    first_train, first_val = history[0][1:]
    last_train, last_val = history[-1][1:]
    assert last_train < first_train - 0.5
    assert last_val < first_val - 0.5
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 9
    assert printed[0].startswith("Epoch: 1/3... Step: 15... Loss: ")
    assert printed[-1].startswith("Epoch: 3/3... Step: 135... Loss: ")
    assert "Val Loss: " in printed[-1]


def test_training_holds_out_the_last_part() -> None:
    # Training text is all 'a', the last 10% all 'b': only a held-out tail scores badly.
    data = np.array([0] * 900 + [1] * 100)
    net = small_net(n_hidden=16, drop_prob=0.0)
    history = train(net, data, epochs=4, batch_size=2, seq_length=10, lr=0.02, print_every=45)
    _, train_loss, val_loss = history[-1]
    assert train_loss < 0.1
    assert val_loss > 2.0


def test_training_clips_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real_clip = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm, *args, **kwargs):
        seen.append(max_norm)
        return real_clip(parameters, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    train(small_net(), np.tile(np.arange(5), 40), epochs=1, batch_size=2, seq_length=9)
    assert seen and set(seen) == {5}


def test_training_refuses_data_too_short_for_a_batch() -> None:
    with pytest.raises(ValueError, match="cannot fill one batch"):
        train(small_net(), np.arange(100) % 5, batch_size=10, seq_length=50)


def test_a_few_steps_on_anna_lower_the_loss(anna: dict) -> None:
    torch.manual_seed(0)
    net = CharRNN(anna["chars"], n_hidden=64, n_layers=2)
    data = anna["encoded"][:44_000]
    val_data = data[int(len(data) * 0.9) :]
    before = evaluate(net, val_data, batch_size=16, seq_length=50)
    history = train(net, data, epochs=1, batch_size=16, seq_length=50, lr=0.01, print_every=5)
    assert abs(before - math.log(83)) < 0.3
    assert len(history) == 9
    assert history[-1][2] < before - 0.8


# --- checkpoint and sampling --------------------------------------------------------------------


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    net = small_net(n_hidden=12, n_layers=3).eval()
    path = tmp_path / "rnn_x_epoch.net"
    save_checkpoint(net, path)
    checkpoint = torch.load(path)
    assert set(checkpoint) == {"n_hidden", "n_layers", "state_dict", "tokens"}
    assert (checkpoint["n_hidden"], checkpoint["n_layers"]) == (12, 3)
    assert tuple(checkpoint["tokens"]) == TOKENS
    loaded = load_checkpoint(path).eval()
    assert (loaded.n_hidden, loaded.n_layers, loaded.chars) == (12, 3, TOKENS)
    x = one_hot_batch(np.array([[0, 1, 2, 3]]))
    with torch.no_grad():
        assert torch.equal(net(x, net.init_hidden(1))[0], loaded(x, loaded.init_hidden(1))[0])


def test_predict_returns_the_forced_char_and_new_state() -> None:
    net = small_net(n_hidden=8, n_layers=2).eval()
    force_next_char(net, {"c": 50.0})
    char, (h, c) = predict(net, "a")
    assert char == "c"
    assert h.shape == c.shape == (2, 1, 8)
    assert h.abs().sum() > 0
    assert predict(net, "e", (h, c), top_k=1)[0] == "c"


def test_predict_top_k_limits_the_candidates() -> None:
    net = small_net().eval()
    force_next_char(net, {"b": 3.0, "d": 3.0, "e": 2.0})
    rng = np.random.default_rng(0)
    drawn = {predict(net, "a", top_k=2, rng=rng)[0] for _ in range(60)}
    assert drawn == {"b", "d"}
    force_next_char(net, {})
    drawn = {predict(net, "a", rng=rng)[0] for _ in range(200)}
    assert drawn == set(TOKENS)


def test_sample_by_hand() -> None:
    net = small_net().train()
    force_next_char(net, {"c": 50.0})
    # prime, the char predicted after it, then `size` more: 2 + 1 + 5 characters.
    assert sample(net, 5, prime="ab") == "abcccccc"
    assert not net.training
    with pytest.raises(ValueError):
        sample(net, 5, prime="")


def test_sample_is_reproducible_with_a_seed() -> None:
    net = small_net()
    first = sample(net, 30, prime="abc", top_k=3, rng=np.random.default_rng(7))
    second = sample(net, 30, prime="abc", top_k=3, rng=np.random.default_rng(7))
    assert first == second
    assert len(first) == 34 and first.startswith("abc")
    assert set(first) <= set(TOKENS)
