from otter.test_files import test_case

OK_FORMAT = False

name = "evaluate"
points = 3

@test_case(points=None, hidden=False)
def test_evaluate_by_hand(evaluate, torch, math):

    class BigramStub(torch.nn.Module):

        def __init__(self):
            super().__init__()
            probs = torch.tensor([[0.5, 0.5], [0.25, 0.75]])
            self.log_probs = torch.nn.Parameter(probs.log())

        @property
        def device(self):
            return self.log_probs.device

        def init_hidden(self, batch_size):
            return torch.zeros(())

        def forward(self, input, prev_hidden):
            return (self.log_probs[input], prev_hidden + 1)
    data = torch.tensor([[[0, 1, 1]], [[1, 0, 0]]])
    expected = (math.log(8 / 3) / 2 + math.log(8) / 2) / 2
    result = evaluate(BigramStub(), data)
    assert isinstance(result, (int, float)) or (isinstance(result, torch.Tensor) and result.numel() == 1), 'evaluate는 평균 손실 하나를 숫자(float)로 반환해야 합니다.'
    assert abs(float(result) - expected) < 1e-05, f'다음 단어 확률이 정해진 가짜 모델에서 evaluate 결과가 {float(result):.4f}인데, 손으로 계산한 값은 {expected:.4f}입니다. 각 배치의 손실이 train과 같은지, 그리고 배치 수로 나눈 평균을 반환하는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_evaluate_state_and_mode(evaluate, torch):

    class RecordingStub(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.log_probs = torch.nn.Parameter(torch.full((3, 3), 1 / 3).log())
            self.batch_sizes = []
            self.calls = []

        @property
        def device(self):
            return self.log_probs.device

        def init_hidden(self, batch_size):
            self.batch_sizes.append(batch_size)
            return torch.zeros(())

        def forward(self, input, prev_hidden):
            self.calls.append((float(prev_hidden), torch.is_grad_enabled(), self.training))
            return (self.log_probs[input], prev_hidden + 1)
    stub = RecordingStub().train()
    evaluate(stub, torch.randint(0, 3, (4, 2, 5)))
    assert len(stub.calls) == 4, 'evaluate는 data의 배치마다 모델을 한 번씩 호출해야 합니다.'
    assert stub.batch_sizes == [2], '초기 은닉 상태는 model.init_hidden(data.shape[1])로 처음에 한 번만 만들어야 합니다.'
    assert [step for step, _, _ in stub.calls] == [0, 1, 2, 3], '앞 배치에서 모델이 돌려준 은닉 상태를 다음 배치에 넘겨야 합니다.'
    assert not any((grad for _, grad, _ in stub.calls)), '평가 중에 기울기 계산이 켜져 있습니다. torch.no_grad()를 쓰세요.'
    assert not any((training for _, _, training in stub.calls)), '평가 중에 모델이 훈련 모드입니다. 모델을 호출하기 전에 평가 모드로 바꾸세요.'

@test_case(points=None, hidden=False)
def test_evaluate_untrained_model(evaluate, RNNModel, torch, math):
    torch.manual_seed(0)
    model = RNNModel('LSTM', 20, embedding_size=8, hidden_size=12, dropout=0.5).train()
    data = torch.randint(0, 20, (6, 4, 8))
    first = evaluate(model, data)
    second = evaluate(model, data)
    assert isinstance(first, (int, float)) or (isinstance(first, torch.Tensor) and first.numel() == 1), 'evaluate는 평균 손실 하나를 숫자(float)로 반환해야 합니다.'
    assert float(first) == float(second), '같은 데이터로 두 번 평가했는데 결과가 다릅니다. 드롭아웃이 꺼져 있는지 확인하세요.'
    assert abs(float(first) - math.log(20)) < 0.1, f'학습하지 않은 모델의 평균 손실은 ln(20) = {math.log(20):.3f} 근처여야 하는데 {float(first):.3f}입니다. 손실 계산과 평균을 확인하세요.'
    assert all((p.grad is None for p in model.parameters())), 'evaluate가 기울기를 만들었습니다. 평가에서는 backward를 하지 않고 no_grad를 써야 합니다.'

