from otter.test_files import test_case

OK_FORMAT = False

name = "pad_and_sort"
points = 2

@test_case(points=None, hidden=False)
def test_pad_and_sort_small(pad_and_sort):
    import torch
    result = pad_and_sort([[5, 6], [7], [8, 9, 10]], 0)
    assert isinstance(result, tuple) and len(result) == 2, 'pad_and_sort는 (batch, batch_lens)를 돌려줘야 합니다.'
    batch, batch_lens = result
    assert isinstance(batch, torch.Tensor) and batch.dtype == torch.long, 'batch는 torch.long 텐서여야 합니다.'
    assert isinstance(batch_lens, torch.Tensor) and batch_lens.dtype == torch.long, 'batch_lens는 torch.long 텐서여야 합니다.'
    assert batch.tolist() == [[8, 9, 10], [5, 6, 0], [7, 0, 0]], f'[[5, 6], [7], [8, 9, 10]]을 채우고 정렬한 결과가 틀렸습니다: {batch.tolist()}'
    assert batch_lens.tolist() == [3, 2, 1], 'batch_lens는 원래 길이를 batch와 같은 순서(긴 것부터)로 담아야 합니다.'

@test_case(points=None, hidden=False)
def test_pad_and_sort_ties(pad_and_sort):
    result = pad_and_sort([[1], [2, 3], [4], [5]], 9)
    assert isinstance(result, tuple) and len(result) == 2, 'pad_and_sort는 (batch, batch_lens)를 돌려줘야 합니다.'
    batch, batch_lens = result
    assert batch.tolist()[0] == [2, 3], '가장 긴 시퀀스가 첫 행에 와야 합니다.'
    assert batch.tolist()[1:] == [[1, 9], [4, 9], [5, 9]], '길이가 같은 행들은 원래 순서를 지켜야 하고, 빈 자리는 인자로 받은 pad_id로 채워야 합니다.'
    assert batch_lens.tolist() == [2, 1, 1, 1], 'batch_lens가 batch의 행 순서와 맞지 않습니다.'

@test_case(points=None, hidden=False)
def test_pad_and_sort_course_data(pad_and_sort, data, pad_id):
    result = pad_and_sort(data, pad_id)
    assert isinstance(result, tuple) and len(result) == 2, 'pad_and_sort는 (batch, batch_lens)를 돌려줘야 합니다.'
    batch, batch_lens = result
    assert tuple(batch.shape) == (10, 20), f'강의 데이터의 batch 모양은 (10, 20)이어야 하는데 {tuple(batch.shape)}입니다.'
    assert tuple(batch_lens.shape) == (10,), 'batch_lens의 모양은 (10,)이어야 합니다.'
    assert batch_lens.tolist() == [20, 18, 18, 17, 15, 10, 8, 6, 6, 5], 'batch_lens가 길이의 내림차순이 아닙니다.'

