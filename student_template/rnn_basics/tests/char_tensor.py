from otter.test_files import test_case

OK_FORMAT = False

name = "char_tensor"
points = 1

@test_case(points=None, hidden=False)
def test_char_tensor(char_tensor):
    import torch
    out = char_tensor('a0A \n')
    assert isinstance(out, torch.Tensor), 'char_tensor는 torch 텐서를 돌려줘야 합니다.'
    assert out.dtype == torch.long, f'글자 번호 텐서의 dtype은 torch.long이어야 하는데 {out.dtype}입니다.'
    assert tuple(out.shape) == (5,), '결과의 길이는 문자열의 길이와 같아야 합니다.'
    assert out.tolist() == [10, 0, 36, 94, 96], '글자 번호가 틀렸습니다. all_characters(string.printable) 안에서의 위치를 쓰세요.'

