from otter.test_files import test_case

OK_FORMAT = False

name = "custom_rnn"
points = 4

@test_case(points=None, hidden=False)
def test_custom_rnn_output_shape(CustomRNN, torch):
    model = CustomRNN(32, 64, 10)
    logits = model(torch.randn(4, 5, 32))
    assert isinstance(logits, torch.Tensor), 'forward는 logit 텐서를 반환해야 합니다. return 문을 확인하세요.'
    assert tuple(logits.shape) == (4, 10), f'CustomRNN(32, 64, 10)에 (4, 5, 32)를 넣으면 (4, 10)이 나와야 하는데 {tuple(logits.shape)}입니다. 마지막 은닉 상태 하나에서만 출력을 내는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_custom_rnn_one_step(CustomRNN, torch):
    torch.manual_seed(0)
    model = CustomRNN(6, 5, 3)
    x = torch.randn(2, 1, 6)
    logits = model(x)
    assert isinstance(logits, torch.Tensor), 'forward는 logit 텐서를 반환해야 합니다.'
    with torch.no_grad():
        first_state = torch.tanh(model.W_xh(x[:, 0]) + model.W_hh.bias)
        expected = model.W_hy(first_state)
    assert torch.allclose(logits, expected, atol=1e-05), '길이 1인 입력에서 결과가 식 h_1 = tanh(W_xh x_1 + W_hh h_0), h_0 = 0과 다릅니다. 초기 은닉 상태(0)와 tanh, W_hy의 적용을 확인하세요.'

@test_case(points=None, hidden=False)
def test_custom_rnn_reads_every_step(CustomRNN, torch):
    torch.manual_seed(1)
    model = CustomRNN(8, 16, 4)
    x = torch.randn(3, 6, 8)
    base = model(x)
    assert isinstance(base, torch.Tensor), 'forward는 logit 텐서를 반환해야 합니다.'
    first_changed, last_changed = (x.clone(), x.clone())
    first_changed[:, 0] += 1.0
    last_changed[:, -1] += 1.0
    assert not torch.allclose(model(first_changed), base), '첫 글자를 바꿔도 출력이 그대로입니다. 은닉 상태를 다음 스텝으로 이어서 전달하는지 확인하세요.'
    assert not torch.allclose(model(last_changed), base), '마지막 글자를 바꿔도 출력이 그대로입니다. 모든 스텝을 읽고 마지막 은닉 상태로 출력을 내는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_custom_rnn_uses_linear_layers_only(CustomRNN, nn):
    model = CustomRNN(32, 64, 10)
    forbidden = (nn.RNN, nn.RNNCell, nn.LSTM, nn.GRU)
    assert not any((isinstance(module, forbidden) for module in model.modules())), '이 문제에서는 nn.RNN/nn.RNNCell 등을 쓸 수 없습니다. nn.Linear 세 개와 torch.tanh로 구현하세요.'
    names = sorted((name for name, _ in model.named_parameters()))
    assert names == ['W_hh.bias', 'W_hh.weight', 'W_hy.bias', 'W_hy.weight', 'W_xh.weight'], f'주어진 세 층 외의 파라미터가 있습니다: {names}. __init__은 바꾸지 마세요.'

