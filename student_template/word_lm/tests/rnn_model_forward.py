from otter.test_files import test_case

OK_FORMAT = False

name = "rnn_model_forward"
points = 4

@test_case(points=None, hidden=False)
def test_forward_shapes(RNNModel, torch):
    torch.manual_seed(0)
    model = RNNModel('LSTM', 50, embedding_size=8, hidden_size=12, num_hidden_layers=2)
    result = model(torch.randint(0, 50, (3, 7)), model.init_hidden(3))
    assert isinstance(result, tuple) and len(result) == 2, 'forward는 (log_prob, next_hidden) 두 값을 튜플로 반환해야 합니다. return 문을 확인하세요.'
    log_prob, next_hidden = result
    assert isinstance(log_prob, torch.Tensor) and tuple(log_prob.shape) == (3, 7, 50), 'log_prob의 모양은 (batch, seq_len, vocab_size) = (3, 7, 50)이어야 합니다. 순환 층의 출력 전체(모든 위치)에 self.projection을 적용했는지 확인하세요.'
    assert isinstance(next_hidden, tuple) and len(next_hidden) == 2, 'LSTM의 next_hidden은 (h, c) 쌍이어야 합니다. 순환 층이 돌려준 상태를 그대로 반환하세요.'
    assert all((tuple(state.shape) == (2, 3, 12) for state in next_hidden)), 'next_hidden의 h와 c는 각각 (num_hidden_layers, batch, hidden_size) = (2, 3, 12) 모양이어야 합니다.'

@test_case(points=None, hidden=False)
def test_forward_log_probabilities(RNNModel, torch):
    torch.manual_seed(0)
    model = RNNModel('LSTM', 50, embedding_size=8, hidden_size=12)
    for training in (True, False):
        model.train(training)
        result = model(torch.randint(0, 50, (4, 6)), model.init_hidden(4))
        assert isinstance(result, tuple) and isinstance(result[0], torch.Tensor), 'forward는 (log_prob, next_hidden) 튜플을 반환해야 하고, log_prob는 텐서여야 합니다.'
        log_prob = result[0]
        assert bool((log_prob <= 1e-06).all()), 'log_prob에 양수가 있습니다. 로짓이나 확률이 아니라 로그 확률을 반환해야 합니다. 마지막 단계를 확인하세요.'
        total = log_prob.exp().sum(dim=-1)
        assert torch.allclose(total, torch.ones_like(total), atol=0.0001), 'exp(log_prob)를 어휘 차원(마지막 차원)으로 더하면 1이 되어야 합니다. log_softmax를 어느 차원에 적용했는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_forward_other_rnn_types(RNNModel, torch):
    for rnn_type in ('GRU', 'RNN_TANH', 'RNN_RELU'):
        torch.manual_seed(0)
        model = RNNModel(rnn_type, 30, embedding_size=8, hidden_size=12)
        result = model(torch.randint(0, 30, (2, 5)), model.init_hidden(2))
        assert isinstance(result, tuple) and len(result) == 2, f'{rnn_type}: forward는 (log_prob, next_hidden) 튜플을 반환해야 합니다.'
        log_prob, next_hidden = result
        assert isinstance(log_prob, torch.Tensor) and tuple(log_prob.shape) == (2, 5, 30), f'{rnn_type}: log_prob의 모양은 (batch, seq_len, vocab_size) = (2, 5, 30)이어야 합니다.'
        assert isinstance(next_hidden, torch.Tensor) and tuple(next_hidden.shape) == (2, 2, 12), f'{rnn_type}: next_hidden은 (num_hidden_layers, batch, hidden_size) = (2, 2, 12) 모양의 텐서 하나여야 합니다. (h, c) 쌍은 LSTM에만 있습니다. rnn_type에 따라 분기하지 말고 self.rnn을 그대로 쓰세요.'

@test_case(points=None, hidden=False)
def test_forward_dropout_and_state(RNNModel, torch):
    torch.manual_seed(0)
    model = RNNModel('LSTM', 40, embedding_size=8, hidden_size=12, dropout=0.5)
    tokens = torch.randint(0, 40, (2, 9))
    first = model(tokens, model.init_hidden(2))
    assert isinstance(first, tuple) and isinstance(first[0], torch.Tensor), 'forward는 (log_prob, next_hidden) 튜플을 반환해야 합니다.'
    seen = []

    class Recorder(torch.nn.Module):

        def forward(self, x):
            seen.append(tuple(x.shape))
            return x
    model.dropout = Recorder()
    model(tokens, model.init_hidden(2))
    assert seen == [(2, 9, 8), (2, 9, 12)], f'self.dropout은 임베딩 출력(마지막 차원 embedding_size=8)에 한 번, 순환 층 출력(마지막 차원 hidden_size=12)에 한 번, 이 순서로 두 번 적용해야 합니다. 지금은 입력 모양 {seen}로 호출되었습니다.'
    model.eval()
    with torch.no_grad():
        whole = model(tokens, model.init_hidden(2))[0]
        head, hidden = model(tokens[:, :4], model.init_hidden(2))
        tail = model(tokens[:, 4:], hidden)[0]
    assert torch.allclose(torch.cat([head, tail], dim=1), whole, atol=1e-05), '시퀀스를 두 번에 나누어 넣으면서 돌려받은 상태를 다음 호출에 넘기면, 한 번에 넣은 결과와 같아야 합니다. prev_hidden을 순환 층에 넘기고, 순환 층이 돌려준 상태를 반환했는지 확인하세요.'

