from otter.test_files import test_case

OK_FORMAT = False

name = "shakespeare_dataset"
points = 2

@test_case(points=None, hidden=False)
def test_target_shape_and_dtype(ShakespeareDataset, torch):
    dataset = ShakespeareDataset(torch.arange(12), 5)
    X, y = dataset[0]
    assert tuple(X.shape) == (5, 65), '입력 X의 모양이 바뀌었습니다. 주어진 X 코드는 그대로 두세요.'
    assert isinstance(y, torch.Tensor), 'y는 torch 텐서여야 합니다. data에서 잘라 오세요.'
    assert tuple(y.shape) == (5,), f'y의 모양은 (seq_length,) = (5,)여야 하는데 {tuple(y.shape)}입니다. y는 원-핫이 아니라 id입니다.'
    assert y.dtype == torch.long, f'y는 torch.long id여야 하는데 {y.dtype}입니다.'

@test_case(points=None, hidden=False)
def test_target_is_the_next_character(ShakespeareDataset, torch):
    data = torch.tensor([7, 3, 9, 1, 4, 4, 0, 2, 8, 5])
    dataset = ShakespeareDataset(data, 4)
    for idx in (0, 3, len(dataset) - 1):
        X, y = dataset[idx]
        assert isinstance(y, torch.Tensor), 'y는 torch 텐서여야 합니다.'
        assert y.tolist() != X.argmax(dim=1).tolist(), f"idx={idx}: y가 입력 X와 같은 글자입니다. 타깃은 각 위치의 '다음' 글자여야 합니다."
        assert y.tolist() == data[idx + 1:idx + 5].tolist(), f'idx={idx}: y가 입력 창을 한 글자 뒤로 민 창과 다릅니다. 시작과 끝 위치를 확인하세요.'

