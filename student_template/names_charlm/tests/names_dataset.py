from otter.test_files import test_case

OK_FORMAT = False

name = "names_dataset"
points = 2

@test_case(points=None, hidden=False)
def test_names_dataset_item(NamesDataset, one_hot_encode_string, torch):
    import pathlib
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        csv_path = pathlib.Path(folder) / 'mini_names.csv'
        csv_path.write_text('name,language\nKim,Korean\nAbe,Japanese\nRossi,Italian\n')
        item = NamesDataset(csv_path)[2]
    assert isinstance(item, tuple) and len(item) == 2, '__getitem__은 (이름 텐서, 레이블) 두 값을 튜플로 반환해야 합니다.'
    name_tensor, label = item
    assert isinstance(name_tensor, torch.Tensor) and tuple(name_tensor.shape) == (5, 58), "'Rossi'의 이름 텐서 모양은 (5, 58)이어야 합니다. one_hot_encode_string을 사용했는지 확인하세요."
    assert torch.equal(name_tensor, one_hot_encode_string('Rossi')), '이름 텐서가 idx번째 행의 name을 인코딩한 것과 다릅니다. 올바른 행을 읽었는지 확인하세요.'
    assert isinstance(label, torch.Tensor) and label.dtype == torch.long and (label.dim() == 0), '레이블은 dtype이 torch.long인 스칼라(0차원) 텐서여야 합니다.'

@test_case(points=None, hidden=False)
def test_names_dataset_labels_follow_class_names(NamesDataset, DataLoader, torch):
    import pathlib
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        csv_path = pathlib.Path(folder) / 'mini_names.csv'
        csv_path.write_text('name,language\nKim,Korean\nAbe,Japanese\nRossi,Italian\nLee,Korean\n')
        dataset = NamesDataset(csv_path)
    items = [dataset[i] for i in range(len(dataset))]
    assert all((isinstance(item, tuple) and len(item) == 2 for item in items)), '__getitem__은 (이름 텐서, 레이블) 튜플을 반환해야 합니다.'
    labels = [int(label) for _, label in items]
    assert labels == [2, 1, 0, 2], f"레이블은 정렬된 class_names(['Italian', 'Japanese', 'Korean'])에서의 위치여야 하는데 {labels}입니다."
    batch = next(iter(DataLoader(dataset, batch_size=1)))
    assert tuple(batch[0].shape) == (1, 3, 58) and tuple(batch[1].shape) == (1,), '배치 크기 1인 DataLoader는 (1, 이름 길이, 58)과 (1,) 모양을 주어야 합니다.'

