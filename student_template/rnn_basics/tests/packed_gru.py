from otter.test_files import test_case

OK_FORMAT = False

name = "packed_gru"
points = 3

@test_case(points=None, hidden=False)
def test_packed_gru_shapes(packed_gru_forward):
    import torch
    from torch import nn
    torch.manual_seed(0)
    gru = nn.GRU(8, 16, num_layers=2, bidirectional=True, dropout=0.1).eval()
    result = packed_gru_forward(gru, torch.randn(4, 5, 8), torch.tensor([5, 3, 3, 1]))
    assert isinstance(result, tuple) and len(result) == 3, 'packed_gru_forward는 (outputs, outputs_lens, h_n)을 돌려줘야 합니다.'
    outputs, outputs_lens, h_n = result
    assert tuple(outputs.shape) == (5, 4, 32), f'outputs의 모양은 (L, B, 2 * hidden_size) = (5, 4, 32)여야 하는데 {tuple(outputs.shape)}입니다.'
    assert outputs_lens.tolist() == [5, 3, 3, 1], 'outputs_lens는 pad_packed_sequence가 돌려준 각 문장의 길이여야 합니다.'
    assert tuple(h_n.shape) == (4, 4, 16), f'h_n의 모양은 (num_layers * num_dirs, B, hidden_size) = (4, 4, 16)이어야 하는데 {tuple(h_n.shape)}입니다.'

@test_case(points=None, hidden=False)
def test_packed_gru_skips_padding(packed_gru_forward):
    import torch
    from torch import nn
    torch.manual_seed(0)
    gru = nn.GRU(8, 16, num_layers=2, bidirectional=True, dropout=0.1).eval()
    lengths = [5, 3, 3, 1]
    result = packed_gru_forward(gru, torch.randn(4, 5, 8), torch.tensor(lengths))
    assert isinstance(result, tuple) and len(result) == 3, 'packed_gru_forward는 (outputs, outputs_lens, h_n)을 돌려줘야 합니다.'
    outputs, _, h_n = result
    layered = h_n.view(2, 2, 4, 16)
    for b, length in enumerate(lengths):
        assert not outputs[length:, b].any(), '패딩 위치의 출력은 0이어야 합니다. pack_padded_sequence로 배치를 묶었는지 확인하세요.'
        assert torch.allclose(layered[-1, 0, b], outputs[length - 1, b, :16]), '정방향 마지막 상태가 문장의 마지막 실제 토큰에서 끝나지 않았습니다. 패딩까지 읽은 것 같습니다.'
        assert torch.allclose(layered[-1, 1, b], outputs[0, b, 16:]), '역방향 마지막 상태는 첫 토큰 위치의 역방향 출력과 같아야 합니다.'

