from otter.test_files import test_case

OK_FORMAT = False

name = "rnn_cell"
points = 2

@test_case(points=None, hidden=False)
def test_rnn_cell_init_hidden(RNN):
    import torch
    rnn = RNN(35, 16, 35)
    hidden = rnn.init_hidden()
    assert isinstance(hidden, torch.Tensor), 'init_hidden()은 torch 텐서를 돌려줘야 합니다.'
    assert tuple(hidden.shape) == (1, 16), f'init_hidden()의 모양은 (1, hidden_size) = (1, 16)이어야 하는데 {tuple(hidden.shape)}입니다.'
    assert hidden.dtype == torch.float32, '처음 은닉 상태는 가중치와 같은 실수형(float32)이어야 합니다.'
    assert not hidden.any(), '처음 은닉 상태는 모두 0이어야 합니다.'

@test_case(points=None, hidden=False)
def test_rnn_cell_forward(RNN):
    import math
    import torch
    rnn = RNN(2, 2, 1)
    with torch.no_grad():
        rnn.i2h.weight.copy_(torch.eye(2))
        rnn.i2h.bias.zero_()
        rnn.h2h.weight.copy_(0.5 * torch.eye(2))
        rnn.h2h.bias.zero_()
        rnn.i2o.weight.copy_(torch.tensor([[1.0, -1.0]]))
        rnn.i2o.bias.fill_(0.25)
    result = rnn(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]))
    assert isinstance(result, tuple) and len(result) == 2, 'forward는 (output, hidden) 두 값을 튜플로 돌려줘야 합니다.'
    output, hidden = result
    assert tuple(output.shape) == (1, 1), 'output의 모양은 (1, output_size)여야 합니다. output은 i2o로 만드세요.'
    assert tuple(hidden.shape) == (1, 2), '새 hidden의 모양은 (1, hidden_size)여야 합니다.'
    expected = [math.tanh(1.0), math.tanh(0.5)]
    assert torch.allclose(hidden, torch.tensor([expected]), atol=1e-05), '새 은닉 상태가 손으로 계산한 값과 다릅니다. 입력과 이전 은닉 상태를 모두 쓰고 tanh를 적용했는지 확인하세요.'
    assert abs(output.item() - (expected[0] - expected[1] + 0.25)) < 1e-05, 'output은 새 은닉 상태(이전 상태가 아니라)에 i2o를 적용한 값이어야 합니다.'

