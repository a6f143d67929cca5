from otter.test_files import test_case

OK_FORMAT = False

name = "random_training_set"
points = 2

@test_case(points=None, hidden=False)
def test_random_training_set_shift(random_training_set):
    import torch
    text = 'abcdefghijklmnopqrstuvwxyz' * 4
    result = random_training_set(text, chunk_len=10, generator=torch.Generator().manual_seed(0))
    assert isinstance(result, tuple) and len(result) == 2, 'random_training_set은 (input, target) 두 텐서를 돌려줘야 합니다.'
    inp, target = result
    assert inp.dtype == torch.long and target.dtype == torch.long, 'input과 target은 char_tensor로 만든 long 텐서여야 합니다.'
    assert tuple(inp.shape) == (10,) and tuple(target.shape) == (10,), 'chunk_len이 10이면 input과 target의 길이는 모두 10이어야 합니다.'
    assert torch.equal(inp[1:], target[:-1]), 'target은 input을 한 글자 뒤로 민 것이어야 합니다.'
    step = target - inp
    assert ((step == 1) | (step == -25)).all(), '조각이 글에서 연속된 구간이 아닙니다. 한 시작 위치에서 chunk_len + 1글자를 잘라 내세요.'

@test_case(points=None, hidden=False)
def test_random_training_set_whole_text(random_training_set):
    import string
    text = 'To be, or not to be'
    result = random_training_set(text, chunk_len=len(text) - 1)
    assert isinstance(result, tuple) and len(result) == 2, 'random_training_set은 (input, target) 두 텐서를 돌려줘야 합니다.'
    inp, target = result

    def decode(ids):
        return ''.join((string.printable[i] for i in ids.tolist()))
    assert decode(inp) == text[:-1] and decode(target) == text[1:], '글이 chunk_len + 1글자뿐이면 조각은 글 전체여야 합니다. 시작 위치를 뽑는 범위를 확인하세요.'

@test_case(points=None, hidden=False)
def test_random_training_set_generator(random_training_set):
    import torch

    def first_ids(seed):
        generator = torch.Generator().manual_seed(seed)
        ids = []
        for _ in range(30):
            result = random_training_set('abcdefghij', chunk_len=7, generator=generator)
            assert isinstance(result, tuple) and len(result) == 2, 'random_training_set은 (input, target) 두 텐서를 돌려줘야 합니다.'
            ids.append(int(result[0][0]))
        return ids
    draws = first_ids(0)
    assert set(draws) == {10, 11, 12}, '길이 10인 글에서 chunk_len 7이면 시작 위치 0, 1, 2가 모두 뽑혀야 합니다. 범위의 양 끝을 확인하세요.'
    assert draws == first_ids(0), '같은 시드의 generator로는 같은 조각이 나와야 합니다. torch.randint에 generator를 넘기세요.'

