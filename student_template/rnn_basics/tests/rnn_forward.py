from otter.test_files import test_case

OK_FORMAT = False

name = "rnn_forward"
points = 2

@test_case(points=None, hidden=False)
def test_rnn_forward_shapes(rnn_forward):
    import torch
    from torch import nn
    torch.manual_seed(0)
    rnn = nn.RNN(input_size=256, hidden_size=512, num_layers=1, bidirectional=False)
    result = rnn_forward(rnn, torch.randn(10, 20, 256))
    assert isinstance(result, tuple) and len(result) == 2, 'rnn_forward는 (hidden_states, h_n)을 돌려줘야 합니다.'
    hidden_states, h_n = result
    assert tuple(hidden_states.shape) == (20, 10, 512), f'hidden_states의 모양은 (L, B, hidden_size) = (20, 10, 512)여야 하는데 {tuple(hidden_states.shape)}입니다. 입력의 두 축을 바꿨는지 확인하세요.'
    assert tuple(h_n.shape) == (1, 10, 512), f'h_n의 모양은 (1, B, hidden_size)여야 하는데 {tuple(h_n.shape)}입니다.'

@test_case(points=None, hidden=False)
def test_rnn_forward_values(rnn_forward):
    import math
    import torch
    from torch import nn
    rnn = nn.RNN(1, 1)
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(1.0)
        rnn.weight_hh_l0.fill_(0.5)
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    batch_emb = torch.tensor([[[1.0], [0.0]], [[0.5], [-1.0]]])
    result = rnn_forward(rnn, batch_emb)
    assert isinstance(result, tuple) and len(result) == 2, 'rnn_forward는 (hidden_states, h_n)을 돌려줘야 합니다.'
    hidden_states, h_n = result
    a1, b1 = (math.tanh(1.0), math.tanh(0.5))
    a2, b2 = (math.tanh(0.5 * a1), math.tanh(-1.0 + 0.5 * b1))
    expected = torch.tensor([[a1, b1], [a2, b2]])
    assert tuple(hidden_states.shape) == (2, 2, 1), 'hidden_states의 모양은 (L, B, hidden_size)여야 합니다.'
    assert torch.allclose(hidden_states[..., 0], expected), '손으로 계산한 상태와 다릅니다. 처음 상태는 0이어야 하고, (B, L, E)를 (L, B, E)로 바꿀 때는 reshape/view가 아니라 두 축을 맞바꿔야 합니다.'
    assert torch.allclose(h_n.flatten(), torch.tensor([a2, b2])), 'h_n은 각 시퀀스의 마지막 시점 상태여야 합니다.'

@test_case(points=None, hidden=False)
def test_rnn_forward_layers_and_directions(rnn_forward):
    import torch
    from torch import nn
    rnn = nn.RNN(8, 16, num_layers=2, bidirectional=True)
    result = rnn_forward(rnn, torch.randn(3, 5, 8))
    assert isinstance(result, tuple) and len(result) == 2, 'rnn_forward는 (hidden_states, h_n)을 돌려줘야 합니다.'
    hidden_states, h_n = result
    assert tuple(h_n.shape) == (4, 3, 16), '2층 양방향 RNN이면 h_0과 h_n은 (4, B, hidden_size)입니다. h_0의 크기를 rnn의 속성에서 구하세요.'
    assert tuple(hidden_states.shape) == (5, 3, 32), '양방향이면 hidden_states의 마지막 차원은 2 * hidden_size입니다.'

