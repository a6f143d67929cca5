from otter.test_files import test_case

OK_FORMAT = False

name = "get_batches"
points = 3

@test_case(points=None, hidden=False)
def test_get_batches_count_and_shapes(get_batches, np):
    batches = get_batches(np.arange(26), 2, 4)
    assert batches is not None and hasattr(batches, '__next__'), 'get_batches가 제너레이터가 아닙니다. 함수 안에서 yield로 (x, y)를 하나씩 내보내야 합니다.'
    batches = list(batches)
    assert len(batches) == 3, f'길이 26인 배열을 batch_size=2, seq_length=4로 자르면 온전한 미니배치가 3개여야 하는데 {len(batches)}개가 나왔습니다. n_batches를 계산해 남는 글자를 버렸는지 확인하세요.'
    for x, y in batches:
        assert np.shape(x) == (2, 4) and np.shape(y) == (2, 4), f'x와 y는 (batch_size, seq_length) = (2, 4) 모양이어야 하는데 {np.shape(x)}, {np.shape(y)}입니다.'

@test_case(points=None, hidden=False)
def test_get_batches_targets(get_batches, np):
    batches = get_batches(np.arange(26), 2, 4)
    assert batches is not None, 'get_batches가 None을 돌려줍니다. yield로 (x, y)를 내보내세요.'
    batches = [(np.asarray(x).tolist(), np.asarray(y).tolist()) for x, y in batches]
    assert len(batches) == 3, '미니배치 개수가 틀립니다. 먼저 위의 개수/모양 테스트를 통과하세요.'
    (x0, y0), (x1, y1), (x2, y2) = batches
    assert x0 == [[0, 1, 2, 3], [12, 13, 14, 15]], f'첫 x가 {x0}입니다. 쓸 글자들을 (batch_size, -1) 모양으로 바꿔 각 행이 텍스트의 연속된 구간이 되게 한 뒤, 앞에서부터 seq_length열씩 잘라야 합니다.'
    assert x2 == [[8, 9, 10, 11], [20, 21, 22, 23]], f'마지막 x가 {x2}입니다. 창을 seq_length열씩 옮기세요.'
    assert y0 == [[1, 2, 3, 4], [13, 14, 15, 16]], f'첫 y가 {y0}입니다. y는 x를 왼쪽으로 한 칸 민 것이고, 마지막 열은 창 바로 뒤의 글자입니다.'
    assert y2 == [[9, 10, 11, 0], [21, 22, 23, 12]], f'마지막 y가 {y2}입니다. 마지막 창 뒤에는 글자가 없으므로 y의 마지막 열을 배열의 0번째 열로 채워야 합니다.'

@test_case(points=None, hidden=False)
def test_get_batches_on_anna(get_batches, encoded, np):
    batches = get_batches(encoded, 8, 50)
    assert batches is not None, 'get_batches가 None을 돌려줍니다. yield로 (x, y)를 내보내세요.'
    x, y = next(batches)
    assert np.shape(x) == (8, 50) and np.shape(y) == (8, 50), f'get_batches(encoded, 8, 50)의 첫 x, y 모양이 {np.shape(x)}, {np.shape(y)}입니다. 둘 다 (8, 50)이어야 합니다.'
    assert np.array_equal(x[0], encoded[:50]), '첫 x의 0행은 텍스트의 처음 50글자여야 합니다.'
    assert np.array_equal(y[:, :-1], x[:, 1:]), '실제 텍스트에서도 y는 x를 한 칸 민 것이어야 합니다.'

