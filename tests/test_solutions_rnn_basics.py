"""Reference code of rnn_basics: the course's facts, small hand-worked cases and properties."""

from __future__ import annotations

import math
import string as string_module
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from solutions.rnn_basics import api, scratch, shakespeare

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
LETTERS = "abcdefghijklmnopqrstuvwxyz ?!.,:;"


@pytest.fixture(autouse=True)
def one_thread():
    """These models are tiny: one thread is fastest and does not stall when the CPU is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------
# Part 1: one-hot strings and the hand-made cell
# ---------------------------------------------------------------------------------------------


def test_alphabet_has_35_symbols_with_start_and_end_tokens_last() -> None:
    assert scratch.n_letters == 35
    assert scratch.char_list[-2:] == ["0", "1"]
    assert "".join(scratch.char_list) == LETTERS + "01"


def test_string_to_onehot_frames_the_string_with_start_and_end_rows() -> None:
    expected = np.zeros((4, 35), dtype=int)
    expected[0, 33] = 1  # '0' starts
    expected[1, 1] = 1  # 'b'
    expected[2, 26] = 1  # ' '
    expected[3, 34] = 1  # '1' ends
    got = scratch.string_to_onehot("b ")
    assert np.issubdtype(got.dtype, np.integer)
    np.testing.assert_array_equal(got, expected)


def test_string_to_onehot_of_the_course_sentence() -> None:
    got = scratch.string_to_onehot(scratch.sentence)
    assert got.shape == (len(scratch.sentence) + 2, 35) == (50, 35)
    assert got.sum() == 50


def test_string_to_onehot_rejects_characters_outside_the_alphabet() -> None:
    with pytest.raises(ValueError):
        scratch.string_to_onehot("Hello")


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=LETTERS, max_size=30))
def test_onehot_rows_decode_back_to_the_framed_string(text: str) -> None:
    rows = scratch.string_to_onehot(text)
    assert rows.shape == (len(text) + 2, 35)
    assert set(np.unique(rows)) <= {0, 1}
    assert (rows.sum(axis=1) == 1).all()
    assert "".join(scratch.onehot_to_word(row) for row in rows) == "0" + text + "1"


def test_onehot_to_word_reads_scores_with_gradients_and_numpy_rows() -> None:
    scores = torch.full((1, 35), -1.0, requires_grad=True)
    with torch.no_grad():
        scores[0, 7] = 3.0
    assert scratch.onehot_to_word(scores) == "h"
    assert scratch.onehot_to_word(np.eye(35, dtype=int)[34]) == "1"


def set_linear(layer: nn.Linear, weight: list[list[float]], bias: list[float]) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))


def test_scratch_cell_matches_a_hand_computed_step() -> None:
    rnn = scratch.RNN(2, 2, 1)
    set_linear(rnn.i2h, [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])
    set_linear(rnn.h2h, [[0.5, 0.0], [0.0, 0.5]], [0.0, 0.0])
    set_linear(rnn.i2o, [[1.0, -1.0]], [0.25])
    output, hidden = rnn(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]))
    # pre-activation (1, 0) + 0.5 * (0, 1) = (1, 0.5)
    expected_hidden = torch.tensor([[math.tanh(1.0), math.tanh(0.5)]])
    torch.testing.assert_close(hidden, expected_hidden)
    torch.testing.assert_close(output, torch.tensor([[0.7615942 - 0.4621172 + 0.25]]))


@pytest.mark.parametrize("device", DEVICES)
def test_scratch_cell_shapes_and_zero_state_follow_the_module(device: str) -> None:
    rnn = scratch.RNN(35, 16, 35).to(device)
    hidden = rnn.init_hidden()
    assert hidden.shape == (1, 16)
    assert hidden.dtype == torch.float32
    assert hidden.device.type == device
    assert not hidden.any()
    output, new_hidden = rnn(torch.zeros(1, 35, device=device), hidden)
    assert output.shape == (1, 35)
    assert new_hidden.shape == (1, 16)
    assert new_hidden.abs().max() < 1  # tanh keeps the state inside (-1, 1)


def test_scratch_training_memorises_the_sentence() -> None:
    torch.manual_seed(0)
    one_hot = torch.from_numpy(scratch.string_to_onehot(scratch.sentence)).float()
    rnn = scratch.RNN(scratch.n_letters, 35, scratch.n_letters)
    history = scratch.train_onehot_rnn(rnn, one_hot, print_every=0)
    assert len(history) == 100
    # The course: the summed loss falls from about 2.6 to about 0.1.
    assert 1.5 < history[0] < 3.5
    assert history[-1] < 0.3
    assert scratch.generate_onehot(rnn, max_len=60) == scratch.sentence


def test_lstm_version_reproduces_the_whole_sentence() -> None:
    torch.manual_seed(0)
    one_hot = torch.from_numpy(scratch.string_to_onehot(scratch.sentence)).float()
    lstm = nn.LSTM(scratch.n_letters, 35, num_layers=3)
    history = scratch.train_onehot_lstm(lstm, one_hot, epochs=1000, print_every=0)
    assert history[-1] < history[0] / 10
    with torch.no_grad():
        outputs, _ = lstm(one_hot[:-1].unsqueeze(1))
    decoded = "".join(scratch.onehot_to_word(row) for row in outputs.squeeze(1))
    assert decoded == scratch.sentence + "1"


# ---------------------------------------------------------------------------------------------
# Part 2: the embedding model on Tiny Shakespeare
# ---------------------------------------------------------------------------------------------


def test_printable_alphabet_and_chunk_length() -> None:
    assert shakespeare.all_characters == string_module.printable
    assert shakespeare.n_characters == 100
    assert shakespeare.chunk_len == 200


def test_char_tensor_gives_long_positions_in_printable() -> None:
    got = shakespeare.char_tensor("a0A \n")
    assert got.dtype == torch.long
    assert got.tolist() == [10, 0, 36, 94, 96]
    assert shakespeare.char_tensor("").shape == (0,)


def test_char_tensor_encodes_all_of_tiny_shakespeare(raw_data_dir: Path) -> None:
    text = (raw_data_dir / "tiny_shakespeare.txt").read_text(encoding="utf-8")
    encoded = shakespeare.char_tensor(text)
    assert encoded.shape == (1_115_394,)
    assert int(encoded.max()) < 100
    assert shakespeare.all_characters[int(encoded[0])] == "F"


def test_random_training_set_target_is_the_input_shifted_by_one() -> None:
    text = "".join(string_module.ascii_lowercase[i % 26] for i in range(300))
    inp, target = shakespeare.random_training_set(
        text, chunk_len=20, generator=torch.Generator().manual_seed(3)
    )
    assert inp.dtype == target.dtype == torch.long
    assert inp.shape == target.shape == (20,)
    assert torch.equal(inp[1:], target[:-1])
    chunk = "".join(shakespeare.all_characters[i] for i in [*inp.tolist(), int(target[-1])])
    assert chunk in text


def test_random_training_set_of_a_text_one_longer_than_the_chunk_is_the_whole_text() -> None:
    text = "To be, or not to be"
    inp, target = shakespeare.random_training_set(text, chunk_len=len(text) - 1)
    assert torch.equal(inp, shakespeare.char_tensor(text[:-1]))
    assert torch.equal(target, shakespeare.char_tensor(text[1:]))


def test_random_training_set_reaches_every_window_and_follows_its_generator() -> None:
    text = "abcdefghij"  # chunk_len 7: windows start at 0, 1 or 2
    generator = torch.Generator().manual_seed(0)
    starts = {
        int(shakespeare.random_training_set(text, chunk_len=7, generator=generator)[0][0]) - 10
        for _ in range(100)
    }
    assert starts == {0, 1, 2}
    first = shakespeare.random_training_set(
        text, chunk_len=7, generator=torch.Generator().manual_seed(5)
    )
    again = shakespeare.random_training_set(
        text, chunk_len=7, generator=torch.Generator().manual_seed(5)
    )
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))


def test_random_training_set_reads_tiny_shakespeare_by_default(
    course_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shakespeare, "DATA_DIR", course_data_dir)
    shakespeare.shakespeare_text.cache_clear()
    try:
        inp, target = shakespeare.random_training_set(generator=torch.Generator().manual_seed(0))
        text = shakespeare.shakespeare_text()
    finally:
        shakespeare.shakespeare_text.cache_clear()
    assert len(text) == 1_115_394
    assert inp.shape == target.shape == (200,)
    window = "".join(shakespeare.all_characters[i] for i in inp.tolist())
    assert window in text


def test_embedding_model_has_the_course_layers() -> None:
    model = shakespeare.RNN(100, 70, 100, 100, num_layers=2)
    assert isinstance(model.encoder, nn.Embedding)
    assert (model.encoder.num_embeddings, model.encoder.embedding_dim) == (100, 70)
    assert isinstance(model.rnn, nn.RNN)
    assert (model.rnn.input_size, model.rnn.hidden_size, model.rnn.num_layers) == (70, 100, 2)
    assert not model.rnn.batch_first
    assert isinstance(model.decoder, nn.Linear)
    assert (model.decoder.in_features, model.decoder.out_features) == (100, 100)


def test_embedding_model_step_matches_the_elman_formula() -> None:
    torch.manual_seed(0)
    model = shakespeare.RNN(10, 3, 4, 6)
    hidden = torch.randn(1, 1, 4)
    logits, new_hidden = model(torch.tensor(7), hidden)
    assert logits.shape == (1, 6)
    assert new_hidden.shape == (1, 1, 4)
    cell = model.rnn
    x = model.encoder.weight[7]
    expected_hidden = torch.tanh(
        cell.weight_ih_l0 @ x + cell.bias_ih_l0 + cell.weight_hh_l0 @ hidden[0, 0] + cell.bias_hh_l0
    )
    torch.testing.assert_close(new_hidden[0, 0], expected_hidden)
    expected_logits = model.decoder.weight @ expected_hidden + model.decoder.bias
    torch.testing.assert_close(logits[0], expected_logits)
    same_logits, _ = model(torch.tensor([7]), hidden)
    torch.testing.assert_close(same_logits, logits)


@pytest.mark.parametrize("device", DEVICES)
def test_training_steps_lower_the_loss_on_a_real_chunk(device: str, raw_data_dir: Path) -> None:
    text = (raw_data_dir / "tiny_shakespeare.txt").read_text(encoding="utf-8")
    torch.manual_seed(0)
    model = shakespeare.RNN(100, 70, 100, 100).to(device)
    assert model.init_hidden().device.type == device
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    inp, target = shakespeare.random_training_set(
        text, chunk_len=50, generator=torch.Generator().manual_seed(0)
    )
    losses = [shakespeare.train_step(model, optimizer, inp, target) for _ in range(15)]
    assert abs(losses[0] - math.log(100)) < 0.3  # an untrained model is close to uniform
    assert losses[-1] < losses[0] - 0.5


def test_train_char_rnn_returns_one_loss_per_iteration() -> None:
    torch.manual_seed(0)
    model = shakespeare.RNN(100, 8, 16, 100)
    text = "the quick brown fox jumps over the lazy dog. " * 20
    losses = shakespeare.train_char_rnn(
        model, text, n_iterations=5, print_every=0, generator=torch.Generator().manual_seed(0)
    )
    assert len(losses) == 5
    assert all(0 < loss < 10 for loss in losses)


def test_sample_follows_a_model_that_always_prefers_one_character() -> None:
    model = shakespeare.RNN(100, 4, 8, 100)
    with torch.no_grad():
        model.decoder.weight.zero_()
        model.decoder.bias.fill_(-50.0)
        model.decoder.bias[shakespeare.all_characters.index("z")] = 50.0
    assert shakespeare.sample(model, "Ro", predict_len=5) == "Rozzzzz"


def test_sample_is_reproducible_and_stays_in_the_alphabet() -> None:
    torch.manual_seed(0)
    model = shakespeare.RNN(100, 4, 8, 100)
    first = shakespeare.sample(model, "Th", 30, generator=torch.Generator().manual_seed(1))
    again = shakespeare.sample(model, "Th", 30, generator=torch.Generator().manual_seed(1))
    assert first == again
    assert len(first) == 32 and first.startswith("Th")
    assert set(first) <= set(shakespeare.all_characters)


# ---------------------------------------------------------------------------------------------
# Part 3: nn.RNN, nn.LSTM and nn.GRU on a padded batch
# ---------------------------------------------------------------------------------------------


def test_course_data_has_the_ten_lengths_and_no_padding_id() -> None:
    assert [len(seq) for seq in api.data] == [20, 5, 8, 10, 15, 18, 17, 6, 6, 18]
    ids = [token for seq in api.data for token in seq]
    assert min(ids) >= 1 and max(ids) < api.vocab_size == 100
    assert api.pad_id == 0


def test_pad_and_sort_hand_example() -> None:
    batch, batch_lens = api.pad_and_sort([[5, 6], [7], [8, 9, 10]], pad_id=0)
    assert batch.dtype == batch_lens.dtype == torch.long
    assert batch.tolist() == [[8, 9, 10], [5, 6, 0], [7, 0, 0]]
    assert batch_lens.tolist() == [3, 2, 1]


def test_pad_and_sort_keeps_the_original_order_of_equal_lengths() -> None:
    batch, batch_lens = api.pad_and_sort([[1], [2, 3], [4], [5]], pad_id=9)
    assert batch.tolist() == [[2, 3], [1, 9], [4, 9], [5, 9]]
    assert batch_lens.tolist() == [2, 1, 1, 1]


def test_pad_and_sort_on_the_course_data() -> None:
    batch, batch_lens = api.pad_and_sort(api.data, api.pad_id)
    assert batch.shape == (10, 20)
    assert batch_lens.shape == (10,)
    assert batch_lens.tolist() == [20, 18, 18, 17, 15, 10, 8, 6, 6, 5]
    assert batch[0].tolist() == api.data[0]
    assert batch[1, :18].tolist() == api.data[5] and batch[2, :18].tolist() == api.data[9]
    assert batch[-1, :5].tolist() == api.data[1] and not batch[-1, 5:].any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 50), min_size=1, max_size=8), min_size=1, max_size=8),
    st.integers(-3, 0),
)
def test_pad_and_sort_rows_are_the_sequences_longest_first(
    sequences: list[list[int]], pad_id: int
) -> None:
    batch, batch_lens = api.pad_and_sort(sequences, pad_id)
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    assert batch.shape == (len(sequences), max(map(len, sequences)))
    assert batch_lens.tolist() == [len(sequences[i]) for i in order]
    for row, index in zip(batch.tolist(), order, strict=True):
        length = len(sequences[index])
        assert row[:length] == sequences[index]
        assert row[length:] == [pad_id] * (len(row) - length)


@pytest.mark.parametrize("device", DEVICES)
def test_embed_batch_looks_up_a_fresh_table_on_the_batch_device(device: str) -> None:
    batch = torch.tensor([[3, 1, 0], [2, 0, 0]], device=device)
    embedding, batch_emb = api.embed_batch(batch, vocab_size=5, embedding_size=4)
    assert isinstance(embedding, nn.Embedding)
    assert (embedding.num_embeddings, embedding.embedding_dim) == (5, 4)
    assert batch_emb.shape == (2, 3, 4)
    assert batch_emb.device.type == device
    torch.testing.assert_close(batch_emb[0, 0], embedding.weight[3])
    torch.testing.assert_close(batch_emb[1, 1], embedding.weight[0])


def test_embed_batch_uses_256_dimensions_by_default() -> None:
    batch, _ = api.pad_and_sort(api.data, api.pad_id)
    embedding, batch_emb = api.embed_batch(batch, api.vocab_size)
    assert embedding.weight.shape == (100, 256)
    assert batch_emb.shape == (10, 20, 256)


@pytest.fixture
def course_batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    batch, batch_lens = api.pad_and_sort(api.data, api.pad_id)
    _, batch_emb = api.embed_batch(batch, api.vocab_size)
    return batch_emb.detach(), batch_lens


def test_rnn_forward_course_shapes_and_heads(course_batch) -> None:
    batch_emb, _ = course_batch
    rnn = nn.RNN(input_size=256, hidden_size=512, num_layers=1, bidirectional=False)
    hidden_states, h_n = api.rnn_forward(rnn, batch_emb)
    assert hidden_states.shape == (20, 10, 512)
    assert h_n.shape == (1, 10, 512)
    torch.testing.assert_close(h_n[0], hidden_states[-1])
    assert nn.Linear(512, 2)(h_n.squeeze(0)).shape == (10, 2)
    assert nn.Linear(512, 5)(hidden_states).shape == (20, 10, 5)


def test_rnn_forward_hand_computed_two_steps() -> None:
    rnn = nn.RNN(1, 1)
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(1.0)
        rnn.weight_hh_l0.fill_(0.5)
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    batch_emb = torch.tensor([[[1.0], [0.0]], [[0.5], [-1.0]]])  # (B=2, L=2, E=1)
    hidden_states, h_n = api.rnn_forward(rnn, batch_emb)
    a1, b1 = math.tanh(1.0), math.tanh(0.5)
    a2, b2 = math.tanh(0.5 * a1), math.tanh(-1.0 + 0.5 * b1)  # 0.36340, -0.64631
    torch.testing.assert_close(hidden_states[..., 0], torch.tensor([[a1, b1], [a2, b2]]))
    torch.testing.assert_close(h_n.view(-1), torch.tensor([a2, b2]))


def test_rnn_forward_sizes_the_initial_state_from_the_module() -> None:
    rnn = nn.RNN(8, 16, num_layers=2, bidirectional=True)
    hidden_states, h_n = api.rnn_forward(rnn, torch.randn(3, 5, 8))
    assert hidden_states.shape == (5, 3, 32)
    assert h_n.shape == (4, 3, 16)


@pytest.mark.parametrize("device", DEVICES)
def test_lstm_forward_returns_both_states(device: str) -> None:
    torch.manual_seed(0)
    lstm = nn.LSTM(input_size=256, hidden_size=512).to(device)
    batch_emb = torch.randn(10, 20, 256, device=device)
    hidden_states, (h_n, c_n) = api.lstm_forward(lstm, batch_emb)
    assert hidden_states.shape == (20, 10, 512)
    assert h_n.shape == c_n.shape == (1, 10, 512)
    assert hidden_states.device.type == device
    torch.testing.assert_close(h_n[0], hidden_states[-1])
    reference, (ref_h, ref_c) = lstm(batch_emb.transpose(0, 1))  # torch starts from zeros too
    torch.testing.assert_close(hidden_states, reference)
    torch.testing.assert_close(c_n, ref_c)
    assert not torch.allclose(c_n, h_n)


def test_lstm_forward_sizes_both_states_from_the_module() -> None:
    lstm = nn.LSTM(8, 16, num_layers=3, bidirectional=True)
    hidden_states, (h_n, c_n) = api.lstm_forward(lstm, torch.randn(2, 4, 8))
    assert hidden_states.shape == (4, 2, 32)
    assert h_n.shape == c_n.shape == (6, 2, 16)


def test_greedy_generate_feeds_back_the_most_likely_token() -> None:
    torch.manual_seed(0)
    embedding = nn.Embedding(100, 256)
    gru = nn.GRU(256, 512)
    output_layer = nn.Linear(512, 100)
    with torch.no_grad():
        output_layer.weight.zero_()
        output_layer.bias.zero_()
        output_layer.bias[7] = 1.0
    first_ids = torch.tensor([3, 4, 5])
    generated = api.greedy_generate(gru, embedding, output_layer, first_ids, max_len=6)
    assert generated.shape == (6, 3)
    assert (generated == 7).all()


def test_greedy_generate_first_step_is_the_argmax_of_one_gru_step() -> None:
    torch.manual_seed(1)
    embedding, gru, output_layer = nn.Embedding(20, 4), nn.GRU(4, 8), nn.Linear(8, 20)
    first_ids = torch.tensor([0, 11])
    generated = api.greedy_generate(gru, embedding, output_layer, first_ids, max_len=2)
    with torch.no_grad():
        output, hidden = gru(embedding(first_ids).unsqueeze(0))
        step1 = output_layer(output[0]).argmax(-1)
        output, _ = gru(embedding(step1).unsqueeze(0), hidden)
        step2 = output_layer(output[0]).argmax(-1)
    assert generated.tolist() == [step1.tolist(), step2.tolist()]


def test_packed_gru_course_shapes(course_batch) -> None:
    batch_emb, batch_lens = course_batch
    gru = nn.GRU(256, 512, num_layers=2, bidirectional=True, dropout=0.1)
    outputs, outputs_lens, h_n = api.packed_gru_forward(gru, batch_emb, batch_lens)
    assert outputs.shape == (20, 10, 1024)
    assert outputs_lens.tolist() == batch_lens.tolist()
    assert h_n.shape == (4, 10, 512)
    assert h_n.view(2, 2, 10, 512).shape == (2, 2, 10, 512)


@pytest.mark.parametrize("device", DEVICES)
def test_packed_gru_skips_padding_like_running_each_sequence_alone(device: str) -> None:
    torch.manual_seed(0)
    gru = nn.GRU(8, 16, num_layers=2, bidirectional=True, dropout=0.1).to(device).eval()
    lengths = [5, 3, 3, 1]
    batch_emb = torch.randn(4, 5, 8, device=device)
    outputs, outputs_lens, h_n = api.packed_gru_forward(gru, batch_emb, torch.tensor(lengths))
    assert outputs.device.type == device
    assert outputs_lens.tolist() == lengths
    layered = h_n.view(2, 2, 4, 16)
    loose = {"atol": 1e-4, "rtol": 1e-3}  # cuDNN may order the sums differently for one sequence
    for b, length in enumerate(lengths):
        alone, alone_h = gru(batch_emb[b, :length].unsqueeze(1))
        torch.testing.assert_close(outputs[:length, b], alone[:, 0], **loose)
        assert not outputs[length:, b].any()  # padding positions stay zero
        torch.testing.assert_close(h_n[:, b], alone_h[:, 0], **loose)
        # the top layer's forward state ends at the last real token, the backward one at the first
        torch.testing.assert_close(layered[-1, 0, b], outputs[length - 1, b, :16])
        torch.testing.assert_close(layered[-1, 1, b], outputs[0, b, 16:])
