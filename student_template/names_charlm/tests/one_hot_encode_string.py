from otter.test_files import test_case

OK_FORMAT = False

name = "one_hot_encode_string"
points = 2

@test_case(points=None, hidden=False)
def test_one_hot_shape_and_dtype(one_hot_encode_string, torch):
    encoded = one_hot_encode_string('Ahn')
    assert isinstance(encoded, torch.Tensor), 'one_hot_encode_string은 torch 텐서를 반환해야 합니다. return 문을 확인하세요.'
    assert tuple(encoded.shape) == (3, 58), f"'Ahn'의 결과 모양은 (3, 58)이어야 하는데 {tuple(encoded.shape)}입니다. 행은 글자 수, 열은 VOCAB 크기입니다."
    assert encoded.dtype == torch.float32, f'결과는 float 텐서여야 하는데 dtype이 {encoded.dtype}입니다. torch.zeros의 기본 dtype을 쓰세요.'

@test_case(points=None, hidden=False)
def test_one_hot_positions(one_hot_encode_string, torch):
    single = one_hot_encode_string('a')
    assert isinstance(single, torch.Tensor), 'one_hot_encode_string은 torch 텐서를 반환해야 합니다.'
    assert tuple(single.shape) == (1, 58) and single[0, 0] == 1 and (single.sum() == 1), "'a'는 인덱스 0에만 1이 있는 행 하나가 되어야 합니다."
    encoded = one_hot_encode_string('Ahn')
    assert encoded.sum(dim=1).tolist() == [1.0, 1.0, 1.0], '각 행에는 1이 정확히 하나만 있어야 합니다.'
    assert encoded.argmax(dim=1).tolist() == [26, 7, 13], "'Ahn'의 1은 인덱스 26, 7, 13에 있어야 합니다. 글자의 인덱스는 CHAR_TO_INDEX로 찾으세요."

