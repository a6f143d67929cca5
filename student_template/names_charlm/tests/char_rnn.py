from otter.test_files import test_case

OK_FORMAT = False

name = "char_rnn"
points = 3

@test_case(points=None, hidden=False)
def test_char_rnn_shapes(CharRNN, torch):
    model = CharRNN(65, 256, 2)
    with torch.no_grad():
        result = model(torch.randn(128, 100, 65))
    assert isinstance(result, tuple) and len(result) == 2, 'forward는 (logits, hidden) 두 값을 반환해야 합니다.'
    logits, hidden = result
    assert tuple(logits.shape) == (128, 100, 65), f'logits 모양은 (128, 100, 65)여야 하는데 {tuple(logits.shape)}입니다. 모든 스텝의 출력에 fc를 적용하세요.'
    assert tuple(hidden.shape) == (2, 128, 256), f'hidden 모양은 (num_layers, batch, hidden_dim) = (2, 128, 256)이어야 하는데 {tuple(hidden.shape)}입니다.'

@test_case(points=None, hidden=False)
def test_char_rnn_carries_hidden(CharRNN, torch):
    torch.manual_seed(0)
    model = CharRNN(11, 8, 2)
    x = torch.randn(3, 9, 11)
    with torch.no_grad():
        whole = model(x)
        first = model(x[:, :4])
        assert isinstance(whole, tuple) and isinstance(first, tuple), 'forward는 (logits, hidden) 튜플을 반환해야 합니다.'
        second = model(x[:, 4:], first[1])
    joined = torch.cat([first[0], second[0]], dim=1)
    assert torch.allclose(joined, whole[0], atol=1e-05), '앞 조각의 hidden을 넘겨 이어서 계산한 결과가 한 번에 계산한 결과와 다릅니다. 받은 hidden을 self.rnn에 전달하고, 모든 스텝에서 logit을 내는지 확인하세요.'
    assert torch.allclose(second[1], whole[1], atol=1e-05), '반환한 hidden이 RNN의 마지막 은닉 상태와 다릅니다.'

