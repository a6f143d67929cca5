from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_forward"
points = 2

@test_case(points=None, hidden=False)
def test_lstm_forward_shapes(lstm_forward):
    import torch
    from torch import nn
    torch.manual_seed(0)
    lstm = nn.LSTM(input_size=256, hidden_size=512)
    result = lstm_forward(lstm, torch.randn(10, 20, 256))
    assert isinstance(result, tuple) and len(result) == 2, 'lstm_forward는 (hidden_states, (h_n, c_n))을 돌려줘야 합니다.'
    hidden_states, states = result
    assert isinstance(states, tuple) and len(states) == 2, '두 번째 반환값은 (h_n, c_n) 튜플이어야 합니다.'
    h_n, c_n = states
    assert tuple(hidden_states.shape) == (20, 10, 512), f'hidden_states의 모양은 (20, 10, 512)여야 하는데 {tuple(hidden_states.shape)}입니다.'
    assert tuple(h_n.shape) == (1, 10, 512) and tuple(c_n.shape) == (1, 10, 512), 'h_n과 c_n의 모양은 모두 (1, B, hidden_size)여야 합니다.'
    assert torch.allclose(h_n[0], hidden_states[-1]), 'h_n은 마지막 시점의 은닉 상태여야 합니다.'
    assert not torch.allclose(h_n, c_n), 'c_n이 h_n과 같습니다. LSTM이 돌려준 셀 상태를 그대로 돌려주세요.'

@test_case(points=None, hidden=False)
def test_lstm_forward_layers_and_directions(lstm_forward):
    import torch
    from torch import nn
    lstm = nn.LSTM(8, 16, num_layers=3, bidirectional=True)
    result = lstm_forward(lstm, torch.randn(2, 4, 8))
    assert isinstance(result, tuple) and len(result) == 2, 'lstm_forward는 (hidden_states, (h_n, c_n))을 돌려줘야 합니다.'
    hidden_states, (h_n, c_n) = result
    assert tuple(h_n.shape) == (6, 2, 16) and tuple(c_n.shape) == (6, 2, 16), '3층 양방향 LSTM이면 h_0, c_0, h_n, c_n은 (6, B, hidden_size)입니다. 크기를 lstm의 속성에서 구하세요.'
    assert tuple(hidden_states.shape) == (4, 2, 32), '양방향이면 hidden_states의 마지막 차원은 2 * hidden_size입니다.'

