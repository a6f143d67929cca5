from otter.test_files import test_case

OK_FORMAT = False

name = "embed_batch"
points = 1

@test_case(points=None, hidden=False)
def test_embed_batch_lookup(embed_batch):
    import torch
    from torch import nn
    batch = torch.tensor([[3, 1, 0], [2, 0, 0]])
    result = embed_batch(batch, 5, 4)
    assert isinstance(result, tuple) and len(result) == 2, 'embed_batch는 (embedding, batch_emb)를 돌려줘야 합니다.'
    embedding, batch_emb = result
    assert isinstance(embedding, nn.Embedding), '첫 번째 반환값은 nn.Embedding이어야 합니다.'
    assert (embedding.num_embeddings, embedding.embedding_dim) == (5, 4), '임베딩 표의 크기는 (vocab_size, embedding_size)여야 합니다.'
    assert tuple(batch_emb.shape) == (2, 3, 4), f'batch_emb의 모양은 (B, L, embedding_size) = (2, 3, 4)여야 하는데 {tuple(batch_emb.shape)}입니다.'
    assert torch.equal(batch_emb[0, 0], embedding.weight[3]) and torch.equal(batch_emb[1, 1], embedding.weight[0]), 'batch_emb는 batch의 각 id를 돌려준 embedding 표에서 찾은 벡터여야 합니다.'

@test_case(points=None, hidden=False)
def test_embed_batch_default_size(embed_batch):
    import torch
    result = embed_batch(torch.zeros(10, 20, dtype=torch.long), 100)
    assert isinstance(result, tuple) and len(result) == 2, 'embed_batch는 (embedding, batch_emb)를 돌려줘야 합니다.'
    assert tuple(result[1].shape) == (10, 20, 256), 'embedding_size를 주지 않으면 256차원을 써야 합니다.'

