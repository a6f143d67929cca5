from otter.test_files import test_case

OK_FORMAT = False

name = "string_to_onehot"
points = 2

@test_case(points=None, hidden=False)
def test_string_to_onehot_shape(string_to_onehot):
    import numpy as np
    out = string_to_onehot('hi')
    assert isinstance(out, np.ndarray), 'string_to_onehot는 numpy 배열(np.ndarray)을 돌려줘야 합니다. return 문을 확인하세요.'
    assert out.shape == (4, 35), f"입력 'hi'의 결과 모양은 (4, 35)여야 하는데 {out.shape}입니다. 시작 행과 끝 행을 붙였는지 확인하세요."
    assert np.issubdtype(out.dtype, np.integer), f'원-핫 배열은 정수형(int)이어야 하는데 dtype이 {out.dtype}입니다.'

@test_case(points=None, hidden=False)
def test_string_to_onehot_rows(string_to_onehot):
    import numpy as np
    out = string_to_onehot('hi!')
    assert isinstance(out, np.ndarray) and out.shape == (5, 35), "입력 'hi!'의 결과는 (5, 35) 모양의 numpy 배열이어야 합니다."
    assert (out.sum(axis=1) == 1).all(), '모든 행에는 1이 정확히 하나씩만 있어야 합니다.'
    assert out[0].argmax() == 33, "첫 행은 시작 토큰 '0'(인덱스 -2)을 나타내야 합니다."
    assert out[-1].argmax() == 34, "마지막 행은 끝 토큰 '1'(인덱스 -1)을 나타내야 합니다."
    assert out[1:-1].argmax(axis=1).tolist() == [7, 8, 28], '가운데 행들은 문자열의 문자마다 char_list 안의 위치에 1이 있어야 합니다.'

