from otter.test_files import test_case

OK_FORMAT = False

name = "char_rnn"
points = 4

@test_case(points=None, hidden=False)
def test_char_rnn_layers(CharRNN, nn):
    net = CharRNN(('a', 'b', 'c', 'd', 'e'), n_hidden=16, n_layers=3, drop_prob=0.3)
    assert isinstance(getattr(net, 'lstm', None), nn.LSTM), '__init__에서 self.lstm을 nn.LSTM으로 정의하세요.'
    assert net.lstm.input_size == 5, f'LSTM의 입력 크기가 {net.lstm.input_size}입니다. 원-핫 입력이므로 글자 수(len(tokens))여야 합니다.'
    assert (net.lstm.hidden_size, net.lstm.num_layers) == (16, 3), 'LSTM의 은닉 크기와 층 수는 n_hidden과 n_layers 인자를 따라야 합니다.'
    assert net.lstm.dropout == 0.3, 'LSTM 층 사이의 드롭아웃 확률로 drop_prob를 넘기세요.'
    assert net.lstm.batch_first, '입력이 (batch, seq_len, 글자 수) 순서이므로 LSTM에 batch_first=True가 필요합니다.'
    assert isinstance(getattr(net, 'dropout', None), nn.Dropout) and net.dropout.p == 0.3, 'self.dropout은 확률이 drop_prob인 nn.Dropout이어야 합니다.'
    assert isinstance(getattr(net, 'fc', None), nn.Linear), '__init__에서 self.fc를 nn.Linear로 정의하세요.'
    assert (net.fc.in_features, net.fc.out_features) == (16, 5), f'self.fc의 크기가 {net.fc.in_features} → {net.fc.out_features}입니다. n_hidden → 글자 수여야 합니다.'

@test_case(points=None, hidden=False)
def test_char_rnn_forward_shapes(CharRNN, torch):
    torch.manual_seed(0)
    net = CharRNN(('a', 'b', 'c', 'd', 'e'), n_hidden=16, n_layers=2)
    assert hasattr(net, 'lstm') and hasattr(net, 'fc'), '먼저 __init__에서 self.lstm과 self.fc를 정의하세요.'
    ids = torch.tensor([[0, 1, 2, 3, 4, 0, 1], [4, 3, 2, 1, 0, 4, 3], [1, 1, 1, 1, 1, 1, 1]])
    x = torch.eye(5)[ids]
    try:
        out, (h, c) = net(x, net.init_hidden(3))
    except Exception as error:
        raise AssertionError(f'forward(x, hidden)를 실행하다 오류가 났습니다: {error!r}. (out, hidden)을 돌려주는지 확인하세요.') from error
    assert tuple(out.shape) == (21, 5), f'배치 3, 길이 7, 글자 5개일 때 out은 (21, 5)여야 하는데 {tuple(out.shape)}입니다. fc 앞에서 (-1, n_hidden)으로 펼쳤는지 확인하세요.'
    assert tuple(h.shape) == (2, 3, 16) and tuple(c.shape) == (2, 3, 16), '돌려주는 hidden은 LSTM이 내놓은 (h, c)로, 각각 (n_layers, batch, n_hidden) 모양이어야 합니다.'

@test_case(points=None, hidden=False)
def test_char_rnn_carries_hidden(CharRNN, torch):
    torch.manual_seed(0)
    net = CharRNN(('a', 'b', 'c', 'd', 'e'), n_hidden=16, n_layers=2)
    assert hasattr(net, 'lstm') and hasattr(net, 'fc'), '먼저 __init__에서 층을 정의하세요.'
    net.eval()
    ids = torch.tensor([[0, 1, 2, 3, 4, 3, 2, 1], [4, 4, 2, 2, 0, 0, 1, 3]])
    x = torch.eye(5)[ids]
    with torch.no_grad():
        try:
            whole, _ = net(x, net.init_hidden(2))
            again, _ = net(x, net.init_hidden(2))
            first, hidden = net(x[:, :3], net.init_hidden(2))
            second, _ = net(x[:, 3:], hidden)
        except Exception as error:
            raise AssertionError(f'forward(x, hidden)를 실행하다 오류가 났습니다: {error!r}') from error
    assert torch.equal(whole, again), 'eval 모드에서는 같은 입력에 언제나 같은 출력이 나와야 합니다.'
    joined = torch.cat([first.reshape(2, 3, -1), second.reshape(2, 5, -1)], dim=1)
    assert torch.allclose(joined, whole.reshape(2, 8, -1), atol=1e-05), '시퀀스를 두 조각으로 나눠 앞 조각의 hidden을 넘겨준 결과가 한 번에 넣은 결과와 다릅니다. forward가 받은 hidden을 LSTM에 넘기고 LSTM이 돌려준 hidden을 반환하는지, 그리고 출력을 펼칠 때 b번째 행의 t번째 시점이 b * seq_len + t번째 줄이 되는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_char_rnn_dropout(CharRNN, torch):
    torch.manual_seed(0)
    net = CharRNN(('a', 'b', 'c', 'd', 'e'), n_hidden=16, n_layers=2, drop_prob=0.5)
    assert hasattr(net, 'lstm') and hasattr(net, 'fc'), '먼저 __init__에서 층을 정의하세요.'
    x = torch.eye(5)[torch.tensor([[0, 1, 2, 3, 4, 0]] * 4)]
    net.lstm.dropout = 0.0
    net.train()
    with torch.no_grad():
        try:
            first, _ = net(x, net.init_hidden(4))
            second, _ = net(x, net.init_hidden(4))
            net.fc.weight.zero_()
            net.fc.bias.fill_(1.0)
            flat, _ = net(x, net.init_hidden(4))
        except Exception as error:
            raise AssertionError(f'forward(x, hidden)를 실행하다 오류가 났습니다: {error!r}') from error
    assert not torch.allclose(first, second), 'train 모드인데 같은 입력의 출력이 매번 같습니다. forward에서 LSTM 출력에 self.dropout을 적용하세요.'
    assert torch.equal(flat, torch.ones_like(flat)), '드롭아웃은 LSTM 출력에 적용하고, 그 결과를 fc에 넣어야 합니다. fc가 낸 점수에는 드롭아웃을 적용하지 마세요.'

