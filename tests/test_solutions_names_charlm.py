"""Reference code of names_charlm (solutions/names_charlm.py) against the facts of EXERCISES.md."""

from __future__ import annotations

import math
import string
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, random_split

from solutions import names_charlm as nc

CLASS_NAMES = [
    "Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
    "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
    "Vietnamese",
]  # fmt: skip
FIRST_100 = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou"
)
vocab_text = st.text(alphabet=st.sampled_from(nc.VOCAB), max_size=25)


@pytest.fixture(scope="module")
def names_csv(course_data_dir: Path) -> Path:
    return course_data_dir / "names.csv"


@pytest.fixture(scope="module")
def names_dataset(names_csv: Path) -> nc.NamesDataset:
    return nc.NamesDataset(names_csv)


@pytest.fixture(scope="module")
def shakespeare_text(raw_data_dir: Path) -> str:
    return nc.load_text(raw_data_dir / "tiny_shakespeare.txt")


# ---------------------------------------------------------------------------------------------
# Part A: vocabulary and one-hot encoding
# ---------------------------------------------------------------------------------------------


def test_vocab_is_the_courses_58_symbols_and_the_maps_invert_each_other() -> None:
    assert list(string.ascii_letters + " .,;'_") == nc.VOCAB
    assert len(nc.VOCAB) == 58
    assert (
        nc.INDEX_TO_CHAR[0] == "a" and nc.INDEX_TO_CHAR[26] == "A" and nc.INDEX_TO_CHAR[57] == "_"
    )
    assert all(nc.CHAR_TO_INDEX[char] == index for index, char in nc.INDEX_TO_CHAR.items())


def test_one_hot_of_a_is_one_row_with_the_one_at_index_0() -> None:
    encoded = nc.one_hot_encode_string("a")
    expected = torch.zeros(1, 58)
    expected[0, 0] = 1.0
    assert encoded.dtype == torch.float32
    assert torch.equal(encoded, expected)


def test_one_hot_of_ahn_puts_the_ones_at_26_7_13() -> None:
    encoded = nc.one_hot_encode_string("Ahn")
    assert encoded.shape == (3, 58)
    assert encoded.nonzero().tolist() == [[0, 26], [1, 7], [2, 13]]


@settings(max_examples=60, deadline=None)
@given(vocab_text)
def test_one_hot_rows_decode_back_to_the_text(text: str) -> None:
    encoded = nc.one_hot_encode_string(text)
    assert encoded.shape == (len(text), 58)
    assert torch.equal(encoded.sum(dim=1), torch.ones(len(text)))
    assert "".join(nc.VOCAB[i] for i in encoded.argmax(dim=1).tolist()) == text


# ---------------------------------------------------------------------------------------------
# Part A: NamesDataset
# ---------------------------------------------------------------------------------------------


def test_names_dataset_on_a_hand_made_csv(tmp_path: Path) -> None:
    csv = tmp_path / "tiny.csv"
    # "NA" and "Nan" are names here: pandas' default NA handling would turn "NA" into NaN.
    csv.write_text("name,language\nNA,Korean\nAbe,Japanese\nNan,Chinese\nAhn,Korean\n")
    dataset = nc.NamesDataset(csv)

    assert len(dataset) == 4
    assert dataset.class_names == ["Chinese", "Japanese", "Korean"]
    assert dataset.num_classes == 3
    name_tensor, label = dataset[3]
    assert torch.equal(name_tensor, nc.one_hot_encode_string("Ahn"))
    assert label.dtype == torch.long and label.shape == () and label.item() == 2
    first, first_label = dataset[0]
    assert first.argmax(dim=1).tolist() == [nc.CHAR_TO_INDEX["N"], nc.CHAR_TO_INDEX["A"]]
    assert first_label.item() == 2
    assert dataset[1][1].item() == 1 and dataset[2][1].item() == 0
    assert dataset.get_sample_weights().tolist() == [0.5, 1.0, 1.0, 0.5]


def test_names_dataset_on_the_course_data(names_dataset: nc.NamesDataset) -> None:
    assert len(names_dataset) == 20_074
    assert names_dataset.class_names == CLASS_NAMES
    assert names_dataset.num_classes == 18
    name_tensor, label = names_dataset[0]  # Khoury, Arabic
    assert name_tensor.shape == (6, 58)
    assert label.item() == 0
    batch_x, batch_y = next(iter(DataLoader(names_dataset, batch_size=1)))
    assert batch_x.shape == (1, 6, 58) and batch_y.shape == (1,)


def test_every_course_name_is_inside_the_vocabulary(names_dataset: nc.NamesDataset) -> None:
    used = set("".join(names_dataset.df["name"]))
    assert used <= set(nc.VOCAB)


def test_sample_weights_are_one_over_the_class_count(names_dataset: nc.NamesDataset) -> None:
    weights = names_dataset.get_sample_weights()
    languages = names_dataset.df["language"]
    assert weights.shape == (20_074,)
    assert weights[torch.tensor(list(languages == "Russian"))].unique().tolist() == [1 / 9408]
    assert weights[torch.tensor(list(languages == "Vietnamese"))].unique().tolist() == [1 / 73]
    # every language carries the same total weight, so the sampler balances them
    assert weights.sum().item() == pytest.approx(18.0)


# ---------------------------------------------------------------------------------------------
# Part A: CustomRNN and its parameter count
# ---------------------------------------------------------------------------------------------


def test_custom_rnn_course_check_gives_logits_4_by_10() -> None:
    torch.manual_seed(0)
    logits = nc.CustomRNN(32, 64, 10)(torch.randn(4, 5, 32))
    assert logits.shape == (4, 10)
    assert logits.dtype == torch.float32


def test_custom_rnn_is_built_from_linear_layers_only() -> None:
    model = nc.CustomRNN(32, 64, 10)
    recurrent = (nn.RNN, nn.RNNCell, nn.LSTM, nn.LSTMCell, nn.GRU, nn.GRUCell)
    assert not any(isinstance(module, recurrent) for module in model.modules())
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {
        "W_xh.weight": (64, 32),
        "W_hh.weight": (64, 64),
        "W_hh.bias": (64,),
        "W_hy.weight": (10, 64),
        "W_hy.bias": (10,),
    }


def test_num_params_is_6858_and_matches_the_model() -> None:
    model = nc.CustomRNN(32, 64, 10)
    counted = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert nc.num_params_customRNN == 6858 == counted


def test_custom_rnn_on_a_hand_computed_sequence() -> None:
    model = nc.CustomRNN(1, 1, 1)
    with torch.no_grad():
        model.W_xh.weight.fill_(0.5)
        model.W_hh.weight.fill_(-1.0)
        model.W_hh.bias.fill_(0.1)
        model.W_hy.weight.fill_(2.0)
        model.W_hy.bias.fill_(-0.3)
    x = torch.tensor([[[1.0], [2.0], [-1.0]]])
    h1 = math.tanh(0.5 * 1.0 + 0.1)  # h0 = 0
    h2 = math.tanh(0.5 * 2.0 - h1 + 0.1)
    h3 = math.tanh(0.5 * -1.0 - h2 + 0.1)
    assert model(x).item() == pytest.approx(2.0 * h3 - 0.3, rel=1e-6)


def test_custom_rnn_remembers_the_first_step() -> None:
    torch.manual_seed(1)
    model = nc.CustomRNN(8, 16, 3)
    x = torch.randn(2, 6, 8)
    changed = x.clone()
    changed[:, 0, :] += 1.0
    assert not torch.allclose(model(x), model(changed))


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 7), st.integers(0, 2**16))
def test_custom_rnn_treats_batch_rows_independently(batch: int, steps: int, seed: int) -> None:
    torch.manual_seed(seed)
    model = nc.CustomRNN(4, 6, 3)
    x = torch.randn(batch, steps, 4)
    together = model(x)
    alone = torch.cat([model(x[i : i + 1]) for i in range(batch)])
    assert torch.allclose(together, alone, atol=1e-6)


def test_custom_rnn_follows_the_input_device_and_dtype() -> None:
    model = nc.CustomRNN(4, 6, 3).to("meta")
    assert model(torch.empty(2, 3, 4, device="meta")).device.type == "meta"
    model64 = nc.CustomRNN(4, 6, 3).double()
    assert model64(torch.randn(2, 3, 4, dtype=torch.float64)).dtype == torch.float64


# ---------------------------------------------------------------------------------------------
# Part A: training recipe and prediction
# ---------------------------------------------------------------------------------------------


def test_main_runs_the_course_recipe_on_the_real_data(names_csv: Path, capsys) -> None:
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    run = nc.main(names_csv, num_epochs=2, max_batches=40, device="cpu")

    assert torch.get_num_threads() == threads  # main trains on one thread, then restores

    assert run.class_names == CLASS_NAMES
    assert len(run.history) == 2
    assert set(run.history[0]) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert all(0.0 <= epoch["val_acc"] <= 1.0 for epoch in run.history)
    assert isinstance(run.model, nc.CustomRNN)
    assert run.model.W_xh.in_features == 58 and run.model.hidden_dim == 128
    assert run.model.W_hy.out_features == 18
    # the validation split is random_split([.85, .15]) seeded with 2025: 3,011 names
    _, expected_val = random_split(
        range(20_074), [0.85, 0.15], generator=torch.Generator().manual_seed(2025)
    )
    assert run.val_loader.batch_size == 1
    assert list(run.val_loader.dataset.indices) == list(expected_val.indices)
    assert len(expected_val) == 3011
    assert "epoch 2 val" in capsys.readouterr().out


def test_predict_returns_the_top_languages_with_their_probabilities() -> None:
    model = nc.CustomRNN(58, 4, 3)
    with torch.no_grad():
        model.W_hy.weight.zero_()
        model.W_hy.bias.copy_(torch.tensor([0.0, math.log(2.0), math.log(5.0)]))
    names = ["Czech", "Dutch", "Greek"]
    top = nc.predict(model, "Jackson", names, 2, "cpu")
    assert [language for _, language in top] == ["Greek", "Dutch"]
    assert [p for p, _ in top] == pytest.approx([5 / 8, 2 / 8])
    assert len(nc.predict(model, "Choi", names, 3)) == 3


# ---------------------------------------------------------------------------------------------
# Part B: text, vocabulary and ShakespeareDataset
# ---------------------------------------------------------------------------------------------


def test_build_vocab_on_a_hand_example() -> None:
    chars, char2idx, idx2char = nc.build_vocab("hello")
    assert chars == ["e", "h", "l", "o"]
    assert char2idx == {"e": 0, "h": 1, "l": 2, "o": 3}
    assert idx2char == {0: "e", 1: "h", 2: "l", 3: "o"}
    encoded = nc.encode_text("hello", char2idx)
    assert encoded.dtype == torch.long and encoded.tolist() == [1, 0, 2, 2, 3]


def test_tiny_shakespeare_has_the_courses_65_characters(shakespeare_text: str) -> None:
    assert len(shakespeare_text) == 1_115_394
    chars, _, _ = nc.build_vocab(shakespeare_text)
    assert len(chars) == 65 == nc.VOCAB_SIZE
    assert "".join(chars) == nc.SHAKESPEARE_VOCAB


def test_shakespeare_dataset_on_a_hand_example() -> None:
    dataset = nc.ShakespeareDataset(torch.arange(10), seq_length=3, vocab_size=10)
    assert len(dataset) == 7
    X, y = dataset[0]
    assert X.dtype == torch.float32 and X.shape == (3, 10)
    assert X.argmax(dim=1).tolist() == [0, 1, 2]
    assert y.dtype == torch.long and y.tolist() == [1, 2, 3]
    assert dataset[6][1].tolist() == [7, 8, 9]  # the last window still has a full target


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 64), min_size=3, max_size=40), st.data())
def test_shakespeare_targets_are_the_inputs_shifted_by_one(ids: list[int], data) -> None:
    seq_length = data.draw(st.integers(1, len(ids) - 1))
    idx = data.draw(st.integers(0, len(ids) - seq_length - 1))
    dataset = nc.ShakespeareDataset(torch.tensor(ids), seq_length)
    X, y = dataset[idx]
    assert X.shape == (seq_length, 65) and y.shape == (seq_length,)
    assert y.tolist() == ids[idx + 1 : idx + seq_length + 1]
    assert X.argmax(dim=1).tolist() == ids[idx : idx + seq_length]


def test_first_shakespeare_window_decodes_to_the_course_text(shakespeare_text: str) -> None:
    chars, char2idx, idx2char = nc.build_vocab(shakespeare_text)
    data = nc.encode_text(shakespeare_text, char2idx)
    dataset = nc.ShakespeareDataset(data, 100)
    assert len(dataset) == 1_115_294
    X, y = dataset[0]
    assert X.shape == (100, 65) and y.shape == (100,)
    assert "".join(idx2char[i] for i in X.argmax(dim=1).tolist()) == FIRST_100
    assert "".join(idx2char[i] for i in y.tolist()) == FIRST_100[1:] + " "
    X_batch, y_batch = next(iter(DataLoader(dataset, batch_size=128, drop_last=True)))
    assert X_batch.shape == (128, 100, 65) and y_batch.shape == (128, 100)


# ---------------------------------------------------------------------------------------------
# Part B: CharRNN, training and sampling
# ---------------------------------------------------------------------------------------------


def test_char_rnn_course_check_shapes() -> None:
    torch.manual_seed(0)
    model = nc.CharRNN(65, 256, 2)
    logits, hidden = model(torch.randn(128, 100, 65))
    assert logits.shape == (128, 100, 65)
    assert hidden.shape == (2, 128, 256)


def test_char_rnn_reads_out_every_step_of_the_rnn() -> None:
    torch.manual_seed(0)
    model = nc.CharRNN(7, 5, 1)
    x = torch.randn(3, 4, 7)
    logits, hidden = model(x)
    states = torch.zeros(3, 5)
    expected = []
    with torch.no_grad():
        for t in range(4):
            states = torch.tanh(
                x[:, t] @ model.rnn.weight_ih_l0.T
                + model.rnn.bias_ih_l0
                + states @ model.rnn.weight_hh_l0.T
                + model.rnn.bias_hh_l0
            )
            expected.append(states @ model.fc.weight.T + model.fc.bias)
    assert torch.allclose(logits, torch.stack(expected, dim=1), atol=1e-5)
    assert torch.allclose(hidden[0], states, atol=1e-5)


def test_char_rnn_carries_the_given_hidden_state() -> None:
    torch.manual_seed(0)
    model = nc.CharRNN(11, 8, 2)
    x = torch.randn(3, 9, 11)
    whole, whole_hidden = model(x)
    first, hidden = model(x[:, :4])
    second, second_hidden = model(x[:, 4:], hidden)
    assert torch.allclose(torch.cat([first, second], dim=1), whole, atol=1e-6)
    assert torch.allclose(second_hidden, whole_hidden, atol=1e-6)
    restarted, _ = model(x[:, 4:])
    assert not torch.allclose(restarted, second)


def test_char_rnn_without_hidden_starts_from_zeros_on_the_input_device() -> None:
    torch.manual_seed(0)
    model = nc.CharRNN(5, 4, 1)
    x = torch.randn(2, 3, 5)
    assert torch.equal(model(x)[0], model(x, torch.zeros(1, 2, 4))[0])
    meta_logits, meta_hidden = nc.CharRNN(5, 4, 1).to("meta")(x.to("meta"))
    assert meta_logits.device.type == "meta" and meta_hidden.device.type == "meta"


def test_train_char_rnn_lowers_the_loss_and_stops_at_max_steps() -> None:
    torch.manual_seed(0)
    data = torch.arange(4).repeat(50)  # 0 1 2 3 0 1 2 3 ...: fully predictable
    loader = DataLoader(nc.ShakespeareDataset(data, 8, vocab_size=4), batch_size=16, shuffle=True)
    model = nc.CharRNN(4, 16, 1)
    losses = nc.train_char_rnn(model, loader, num_epochs=3, lr=1e-2, max_steps=30)
    assert len(losses) == 30  # 12 batches per epoch: the third epoch is cut short
    assert losses[0] > 1.2  # about ln 4 before learning
    assert sum(losses[-5:]) / 5 < 0.5 * losses[0]
    assert len(nc.train_char_rnn(model, loader, num_epochs=1)) == len(loader)


def test_sample_text_follows_a_rigged_model() -> None:
    model = nc.CharRNN(nc.VOCAB_SIZE, 4, 1)
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.fill_(-30.0)
        model.fc.bias[nc.SHAKESPEARE_VOCAB.index("e")] = 30.0
    text = nc.sample_text(model, "T", length=20)
    assert text == "T" + "e" * 20
    assert nc.sample_text(model, "Th", length=5, temperature=0.5) == "Th" + "e" * 5


def test_sample_text_temperature_scales_the_logits() -> None:
    torch.manual_seed(0)
    model = nc.CharRNN(2, 3, 1)
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.tensor([0.0, math.log(3.0)]))  # p(b) = 3/4 at temperature 1
    maps = {"char2idx": {"a": 0, "b": 1}, "idx2char": {0: "a", 1: "b"}}
    warm = nc.sample_text(model, "a", length=4000, temperature=1.0, **maps)
    hot = nc.sample_text(model, "a", length=4000, temperature=1e6, **maps)
    cold = nc.sample_text(model, "a", length=200, temperature=0.01, **maps)
    assert len(warm) == 4001 and set(warm) <= {"a", "b"}
    assert warm[1:].count("b") / 4000 == pytest.approx(0.75, abs=0.03)
    assert hot[1:].count("b") / 4000 == pytest.approx(0.5, abs=0.03)
    assert cold == "a" + "b" * 200
