from otter.test_files import test_case

OK_FORMAT = False

name = "bptt_batchify"
points = 3

@test_case(points=None, hidden=False)
def test_bptt_batchify_small_example(bptt_batchify, torch):
    result = bptt_batchify(torch.arange(23), 2, 3)
    assert isinstance(result, torch.Tensor), 'bptt_batchify는 텐서를 반환해야 합니다.'
    assert tuple(result.shape) == (3, 2, 3), f'bptt_batchify(torch.arange(23), 2, 3)의 모양이 {tuple(result.shape)}입니다. 꼬리 5개를 버리면 (num_sample, batch_size, sequence_length) = (3, 2, 3)이어야 합니다.'
    expected = torch.tensor([[[0, 1, 2], [9, 10, 11]], [[3, 4, 5], [12, 13, 14]], [[6, 7, 8], [15, 16, 17]]])
    assert torch.equal(result, expected), '모양은 맞지만 값의 배치가 다릅니다. 위 설명의 예시처럼 0행은 0…8, 1행은 9…17을 샘플 순서대로 읽어야 합니다.'

@test_case(points=None, hidden=False)
def test_bptt_batchify_rows_continue(bptt_batchify, torch):
    data = torch.arange(100, 200)
    result = bptt_batchify(data, 4, 5)
    assert isinstance(result, torch.Tensor) and tuple(result.shape) == (5, 4, 5), '토큰 100개를 batch_size 4, sequence_length 5로 나누면 모양이 (5, 4, 5)여야 합니다.'
    assert result.dtype == torch.long, '결과의 dtype은 입력과 같은 torch.long이어야 합니다.'
    for row in range(4):
        assert torch.equal(result[:, row, :].reshape(-1), data[row * 25:(row + 1) * 25]), f'{row}행을 샘플 순서대로 이어 붙이면 원래 데이터의 연속된 구간이 되어야 합니다. 모양을 바꾼 뒤 어느 축들을 맞바꿨는지 확인하세요.'

@test_case(points=None, hidden=False)
def test_bptt_batchify_wikitext_sizes(bptt_batchify, corpus, torch):
    train_batches = bptt_batchify(corpus.train, 20, 35)
    valid_batches = bptt_batchify(corpus.valid, 10, 35)
    assert isinstance(train_batches, torch.Tensor) and isinstance(valid_batches, torch.Tensor), 'bptt_batchify는 텐서를 반환해야 합니다.'
    train_shape = tuple(train_batches.shape)
    valid_shape = tuple(valid_batches.shape)
    assert train_shape == (2983, 20, 35), f'학습 데이터를 (20, 35)로 나눈 모양이 {train_shape}입니다. (2983, 20, 35)여야 합니다.'
    assert valid_shape == (621, 10, 35), f'검증 데이터를 (10, 35)로 나눈 모양이 {valid_shape}입니다. (621, 10, 35)여야 합니다.'

