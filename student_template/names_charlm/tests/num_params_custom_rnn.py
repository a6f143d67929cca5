from otter.test_files import test_case

OK_FORMAT = False

name = "num_params_custom_rnn"
points = 1

@test_case(points=None, hidden=False)
def test_num_params(num_params_customRNN, CustomRNN):
    assert isinstance(num_params_customRNN, int), 'num_params_customRNN은 정수여야 합니다. 숫자 또는 숫자로 된 계산식으로 적으세요.'
    model = CustomRNN(32, 64, 10)
    counted = sum((p.numel() for p in model.parameters() if p.requires_grad))
    assert num_params_customRNN == counted, f'적은 값 {num_params_customRNN}이 실제 파라미터 수와 다릅니다. 층마다 가중치와 편향을 따로 세어 보세요(W_xh에는 편향이 없습니다).'

