from otter.test_files import test_case

OK_FORMAT = False

name = "embedding_rnn"
points = 3

@test_case(points=None, hidden=False)
def test_embedding_rnn_layers(RNN):
    from torch import nn
    model = RNN(100, 70, 100, 100, num_layers=2)
    assert isinstance(model.encoder, nn.Embedding), 'self.encoder는 nn.Embedding이어야 합니다.'
    assert (model.encoder.num_embeddings, model.encoder.embedding_dim) == (100, 70), '임베딩 표의 크기는 (input_size, embedding_size)여야 합니다.'
    assert isinstance(model.rnn, nn.RNN), 'self.rnn은 nn.RNN이어야 합니다.'
    assert (model.rnn.input_size, model.rnn.hidden_size, model.rnn.num_layers) == (70, 100, 2), 'nn.RNN은 embedding_size를 받아 hidden_size 상태를 내고, 층 수는 num_layers여야 합니다.'
    assert not model.rnn.batch_first, '이 모델은 (시간, 배치, 특징) 순서를 씁니다. batch_first는 기본값(False)으로 두세요.'
    assert isinstance(model.decoder, nn.Linear), 'self.decoder는 nn.Linear여야 합니다.'
    assert (model.decoder.in_features, model.decoder.out_features) == (100, 100), 'decoder는 hidden_size를 받아 output_size개 점수를 내야 합니다.'

@test_case(points=None, hidden=False)
def test_embedding_rnn_forward(RNN):
    import torch
    torch.manual_seed(0)
    model = RNN(100, 8, 16, 100, num_layers=2)
    result = model(torch.tensor(5), model.init_hidden())
    assert isinstance(result, tuple) and len(result) == 2, 'forward는 (logits, hidden)을 돌려줘야 합니다.'
    logits, hidden = result
    assert tuple(logits.shape) == (1, 100), f'logits의 모양은 (1, output_size) = (1, 100)이어야 하는데 {tuple(logits.shape)}입니다.'
    assert tuple(hidden.shape) == (2, 1, 16), f'hidden의 모양은 (num_layers, 1, hidden_size) = (2, 1, 16)이어야 하는데 {tuple(hidden.shape)}입니다.'
    again = model(torch.tensor([5]), model.init_hidden())
    assert torch.allclose(again[0], logits), '글자 하나가 0차원 텐서로 오든 (1,) 텐서로 오든 같은 결과가 나와야 합니다.'
    other = model(torch.tensor(5), torch.ones(2, 1, 16))
    assert not torch.allclose(other[0], logits), '넘겨받은 hidden이 결과에 영향을 주지 않습니다. hidden을 nn.RNN에 넘기세요.'

