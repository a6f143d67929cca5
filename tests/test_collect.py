"""Batch intake: who submitted what, newest counted, and every hostile or broken file refused."""

from __future__ import annotations

import os
import pickle
import random
import resource
import struct
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from autograder.batch import collect as collect_module
from autograder.batch.collect import Submission, collect
from autograder.errors import GraderError
from autograder.i18n import Text, render

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def write_zip(path: Path, entries: dict[str | zipfile.ZipInfo, bytes]) -> Path:
    """A zip whose entry names are stored exactly as given, hostile ones included."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def at(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, date_time=when)


def local(*when: int) -> datetime:
    return datetime(*when).astimezone()


def by_source(submissions: list[Submission]) -> dict[str, Submission]:
    return {submission.source.rsplit(":", 1)[-1]: submission for submission in submissions}


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() or path.is_symlink())


def english(error: Text | None) -> str | None:
    """Why a submission was refused, as the English reader reads it (None: it was not)."""
    return None if error is None else render(error, "en")


def only(submissions: list[Submission]) -> Submission:
    assert len(submissions) == 1, submissions
    return submissions[0]


# Plain files and folders


def test_single_notebook_is_named_by_its_stem_and_used_in_place(tmp_path: Path) -> None:
    notebook = tmp_path / "alice.ipynb"
    notebook.write_bytes(NOTEBOOK)
    os.utime(notebook, (1_700_000_000, 1_700_000_000))
    submission = only(collect(notebook, tmp_path / "work"))
    assert submission == Submission(
        student="alice",
        source="alice.ipynb",
        path=notebook,
        submitted_at=datetime.fromtimestamp(1_700_000_000, timezone.utc),
        time_source="file",  # a file's own time: the last resort, and said so
    )


def test_missing_path_is_the_tas_mistake(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="no such file or folder"):
        collect(tmp_path / "submisions", tmp_path / "work")


def test_folder_is_walked_recursively_without_hidden_files(tmp_path: Path) -> None:
    root = tmp_path / "hw1"
    (root / "dave" / ".ipynb_checkpoints").mkdir(parents=True)
    (root / "alice_hw1.ipynb").write_bytes(NOTEBOOK)
    (root / "bob_smith_hw1.ipynb").write_bytes(NOTEBOOK)
    (root / "carol.py").write_text("print('hi')\n")
    (root / "junk").write_bytes(bytes(range(256)))
    (root / "erin.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")  # grade_notebook's to judge
    (root / ".secret.ipynb").write_bytes(NOTEBOOK)
    (root / "dave" / "names_charlm.ipynb").write_bytes(NOTEBOOK)
    (root / "dave" / "helpers.py").write_text("x = 1\n")
    (root / "dave" / ".ipynb_checkpoints" / "names_charlm-checkpoint.ipynb").write_bytes(NOTEBOOK)
    found = {submission.source: submission for submission in collect(root, tmp_path / "work")}
    assert {source: (s.student, english(s.error)) for source, s in found.items()} == {
        "hw1/alice_hw1.ipynb": ("alice", None),
        "hw1/bob_smith_hw1.ipynb": ("bob_smith", None),
        "hw1/carol.py": ("carol", "expected a Jupyter notebook (.ipynb), got a .py file"),
        "hw1/junk": (
            "junk",
            "expected a Jupyter notebook (.ipynb), got a file without an extension",
        ),
        "hw1/erin.ipynb": ("erin", None),
        "hw1/dave/names_charlm.ipynb": ("dave", None),
    }
    assert found["hw1/dave/names_charlm.ipynb"].path == root / "dave" / "names_charlm.ipynb"
    assert found["hw1/carol.py"].path is None
    assert not any(submission.superseded for submission in found.values())


def test_per_student_folders_name_the_students(tmp_path: Path) -> None:
    for student, name in [("alice", "hw.ipynb"), ("bob", "hw.ipynb"), ("carol", "mine.ipynb")]:
        (tmp_path / "in" / student).mkdir(parents=True)
        (tmp_path / "in" / student / name).write_bytes(NOTEBOOK)
    students = sorted(s.student for s in collect(tmp_path / "in", tmp_path / "work"))
    assert students == ["alice", "bob", "carol"]


def test_symlinks_in_a_folder_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "secret").write_text("password")
    (tmp_path / "in" / "mallory.ipynb").symlink_to(tmp_path / "secret")
    submission = only(collect(tmp_path / "in", tmp_path / "work"))
    assert submission.path is None and "symbolic link" in str(submission.error)


def test_work_folder_inside_the_input_is_not_collected_again(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    write_zip(root / "alice.zip", {"hw.ipynb": NOTEBOOK})
    first = collect(root, root / "work")
    second = collect(root, root / "work")
    assert first == second
    assert only(second).path == (root / "work" / "in" / "alice.zip!" / "hw.ipynb").resolve()


def test_a_large_class_of_zips_fits_a_low_open_file_limit(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    for index in range(200):
        write_zip(tmp_path / "in" / f"student{index:03}.zip", {"hw.ipynb": NOTEBOOK})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 50, hard))
    try:
        found = collect(tmp_path / "in", tmp_path / "work")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(found) == 200 and all(s.error is None and s.path for s in found)


# Otter export zips


def test_otter_export_zip_yields_its_notebook_and_never_touches_the_log(tmp_path: Path) -> None:
    sentinel = tmp_path / "log-was-unpickled"

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.mkdir, (str(sentinel),))

    export = write_zip(
        tmp_path / "names_charlm_2025_03_01T12_00_00_000000.zip",
        {
            "names_charlm.ipynb": NOTEBOOK,
            "names_charlm.pdf": b"%PDF-1.4",
            ".OTTER_LOG": pickle.dumps(Payload()),
            "__zip_filename__": b"names_charlm_2025_03_01T12_00_00_000000.zip",
        },
    )
    work = tmp_path / "work"
    submission = only(collect(export, work))
    assert submission.error is None and not submission.superseded
    assert submission.student == "names_charlm_2025_03_01T12_00_00_000000"
    assert submission.source == "names_charlm_2025_03_01T12_00_00_000000.zip:names_charlm.ipynb"
    assert submission.path is not None and submission.path.read_bytes() == NOTEBOOK
    assert submission.path.is_relative_to(work.resolve())
    assert [path.name for path in files_under(work)] == ["names_charlm.ipynb"]
    assert not sentinel.exists()


def test_an_export_with_two_notebooks_or_none_is_an_error(tmp_path: Path) -> None:
    two = write_zip(tmp_path / "two.zip", {".OTTER_LOG": b"", "a.ipynb": NOTEBOOK, "b.ipynb": b""})
    none = write_zip(tmp_path / "none.zip", {"hw.py": b"x = 1", "hw.pdf": b"%PDF"})
    assert "holds 2 notebooks (a.ipynb, b.ipynb)" in str(only(collect(two, tmp_path / "w")).error)
    assert english(only(collect(none, tmp_path / "w")).error) == (
        "expected a Jupyter notebook (.ipynb), got hw.py, hw.pdf"
    )


# LMS downloads


def test_canvas_zip_ids_late_flag_and_newest_counted(tmp_path: Path) -> None:
    early, late = (2025, 3, 1, 9, 0, 0), (2025, 3, 2, 23, 30, 0)
    download = write_zip(
        tmp_path / "submissions.zip",
        {
            at("smithjohn_1234_9001_names_charlm.ipynb", early): NOTEBOOK,
            at("smithjohn_1234_9001_names_charlm.pdf", early): b"%PDF",  # an attachment
            at("smithjohn_LATE_1234_9002_names_charlm-1.ipynb", late): NOTEBOOK,
            at("doejane_77_9100_names_charlm-2.ipynb", late): NOTEBOOK,
            at("doejane_77_9101_names_charlm-10.ipynb", late): NOTEBOOK,
            at("roeralph_88_9200_names_charlm-3.ipynb", early): NOTEBOOK,
            at("roeralph_88_9201_names_charlm.ipynb", late): NOTEBOOK,
            at("poeedgar_99_9300_names_charlm.py", early): b"x = 1",
        },
    )
    found = by_source(collect(download, tmp_path / "work"))
    summary = {name: (s.student, s.late, s.superseded, s.submitted_at) for name, s in found.items()}
    assert summary == {
        "smithjohn_1234_9001_names_charlm.ipynb": ("1234", False, True, local(*early)),
        "smithjohn_LATE_1234_9002_names_charlm-1.ipynb": ("1234", True, False, local(*late)),
        "doejane_77_9100_names_charlm-2.ipynb": ("77", False, True, local(*late)),
        "doejane_77_9101_names_charlm-10.ipynb": ("77", False, False, local(*late)),
        "roeralph_88_9200_names_charlm-3.ipynb": ("88", False, True, local(*early)),
        "roeralph_88_9201_names_charlm.ipynb": ("88", False, False, local(*late)),
        "poeedgar_99_9300_names_charlm.py": ("99", False, False, local(*early)),
    }
    assert english(found["poeedgar_99_9300_names_charlm.py"].error) == (
        "expected a Jupyter notebook (.ipynb), got a .py file"
    )
    # the times are the download's own (its zip entries), not this machine's files
    assert {s.time_source for s in found.values()} == {"lms"}
    counted = found["smithjohn_LATE_1234_9002_names_charlm-1.ipynb"]
    assert counted.source == "submissions.zip:smithjohn_LATE_1234_9002_names_charlm-1.ipynb"
    assert counted.path is not None and counted.path.read_bytes() == NOTEBOOK
    assert not any(path.suffix == ".pdf" for path in files_under(tmp_path / "work"))


def test_canvas_zip_of_otter_exports_is_unwrapped_one_level(tmp_path: Path) -> None:
    export = write_zip(
        tmp_path / "export.zip", {"names_charlm.ipynb": NOTEBOOK, ".OTTER_LOG": b"\x80\x04"}
    )
    wrapped = write_zip(tmp_path / "wrapped.zip", {"export.zip": export.read_bytes()})
    download = write_zip(
        tmp_path / "class.zip",
        {
            at("smithjohn_1234_9001_names_charlm_2025_03_01.zip", (2025, 3, 1, 9, 0, 0)): (
                export.read_bytes()
            ),
            "doejane_77_9100_names_charlm.zip": wrapped.read_bytes(),
        },
    )
    found = {s.student: s for s in collect(download, tmp_path / "work")}
    john = found["1234"]
    assert john.error is None and john.submitted_at == local(2025, 3, 1, 9, 0, 0)
    assert (
        john.source
        == "class.zip:smithjohn_1234_9001_names_charlm_2025_03_01.zip:names_charlm.ipynb"
    )
    assert john.path is not None and john.path.read_bytes() == NOTEBOOK
    assert found["77"].path is None
    assert "zip inside a zip inside a zip" in str(found["77"].error)


GRADESCOPE_METADATA = """\
submission_101:
  :submitters:
  - :name: Alice Kim
    :sid: '2021001'
    :email: alice@example.edu
  :created_at: 2025-03-01 10:00:00.000000000 -08:00
  :score: 0.0
  :results: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
    score: 0.0
submission_102:
  :submitters:
  - :name: Bob Lee
    :sid: '2021002'
  - :name: Carol Park
    :email: carol@example.edu
  :created_at: 2025-03-01 11:00:00.000000000 Z
submission_103:
  :submitters:
  - :name: Alice Kim
    :sid: '2021001'
  :created_at: 2025-03-02 09:00:00.000000000 -08:00
submission_104:
  :submitters:
  - :sid: 2021004
  :created_at: 2025-03-01 12:00:00.000000000 Z
"""


def test_gradescope_export_reads_students_and_times_from_metadata(tmp_path: Path) -> None:
    export = write_zip(tmp_path / "otter.zip", {"hw.ipynb": NOTEBOOK, ".OTTER_LOG": b""})
    root = "assignment_5551_export/"
    download = write_zip(
        tmp_path / "gradescope.zip",
        {
            root + "submission_metadata.yml": GRADESCOPE_METADATA.encode(),
            root + "submission_101/names_charlm.ipynb": NOTEBOOK,
            root + "submission_101/names_charlm.pdf": b"%PDF",
            root + "submission_102/names_charlm.ipynb": NOTEBOOK,
            root + "submission_103/submission.zip": export.read_bytes(),
            root + "submission_104/answers.py": b"x = 1",
        },
    )
    pacific, utc = timezone(timedelta(hours=-8)), timezone.utc
    found = collect(download, tmp_path / "work")
    summary = sorted(
        (s.student, s.source.removeprefix(f"gradescope.zip:{root}"), s.superseded, s.submitted_at)
        for s in found
        if s.error is None
    )
    first, resubmitted = (
        "submission_101/names_charlm.ipynb",
        "submission_103/submission.zip:hw.ipynb",
    )
    group = "submission_102/names_charlm.ipynb"
    assert summary == [
        ("2021001", first, True, datetime(2025, 3, 1, 10, tzinfo=pacific)),
        ("2021001", resubmitted, False, datetime(2025, 3, 2, 9, tzinfo=pacific)),
        ("2021002", group, False, datetime(2025, 3, 1, 11, tzinfo=utc)),
        ("carol@example.edu", group, False, datetime(2025, 3, 1, 11, tzinfo=utc)),
    ]
    assert [(s.student, english(s.error)) for s in found if s.error is not None] == [
        ("2021004", "expected a Jupyter notebook (.ipynb), got a .py file")
    ]
    assert {s.time_source for s in found if s.submitted_at} == {"gradescope"}
    assert not any(path.suffix == ".pdf" for path in files_under(tmp_path / "work"))


def test_gradescope_folder_without_metadata_is_named_by_folder(tmp_path: Path) -> None:
    (tmp_path / "in" / "submission_7").mkdir(parents=True)
    (tmp_path / "in" / "submission_7" / "hw.ipynb").write_bytes(NOTEBOOK)
    assert only(collect(tmp_path / "in", tmp_path / "work")).student == "submission_7"


# Hostile and broken input: one error each, nothing written outside the work folder


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("../evil.ipynb", "climbs out of the zip"),
        ("hw/../../evil.ipynb", "climbs out of the zip"),
        ("..\\..\\evil.ipynb", "climbs out of the zip"),
        ("/tmp/evil.ipynb", "absolute path"),
        ("C:/Users/evil.ipynb", "absolute path"),
    ],
)
def test_paths_leaving_the_zip_are_refused(tmp_path: Path, entry: str, expected: str) -> None:
    bad = write_zip(tmp_path / "bad.zip", {entry: NOTEBOOK})
    submission = only(collect(bad, tmp_path / "sandbox" / "work"))
    assert submission.path is None and expected in str(submission.error)
    assert submission.student == "bad"
    assert files_under(tmp_path / "sandbox") == []
    assert not (tmp_path / "evil.ipynb").exists()


def test_a_bad_entry_in_a_class_download_spoils_only_its_own_submission(tmp_path: Path) -> None:
    download = write_zip(
        tmp_path / "class.zip",
        {
            "smithjohn_1234_9001_hw.ipynb": NOTEBOOK,
            "../doejane_77_9100_hw.ipynb": NOTEBOOK,
        },
    )
    found = {s.student: s for s in collect(download, tmp_path / "work")}
    assert found["1234"].error is None and found["1234"].path is not None
    assert found["77"].path is None and "climbs out of the zip" in str(found["77"].error)
    assert files_under(tmp_path / "work") == [found["1234"].path]


def test_symlink_entries_are_neither_created_nor_followed(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("hw.ipynb")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    bad = write_zip(tmp_path / "link.zip", {link: b"/etc/passwd"})
    submission = only(collect(bad, tmp_path / "work"))
    assert submission.path is None and "symbolic link" in str(submission.error)
    assert files_under(tmp_path / "work") == []


def test_zip_bomb_is_refused_from_its_listing(tmp_path: Path) -> None:
    bomb = write_zip(tmp_path / "bomb.zip", {"hw.ipynb": bytes(50 * 2**20)})
    assert bomb.stat().st_size < 2**20
    submission = only(collect(bomb, tmp_path / "work"))
    assert submission.path is None and "zip bomb" in str(submission.error)
    assert files_under(tmp_path / "work") == []


def test_entry_count_total_and_per_file_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect_module, "MAX_ENTRIES", 10)
    many = write_zip(tmp_path / "many.zip", {f"{i}.ipynb": NOTEBOOK for i in range(11)})
    assert "11 entries, over the limit of 10" in str(only(collect(many, tmp_path / "w")).error)

    monkeypatch.setattr(collect_module, "MAX_TOTAL_BYTES", 10_000)
    large = write_zip(tmp_path / "large.zip", {"hw.ipynb": os.urandom(20_000)})
    assert "over the 10000 bytes limit" in str(only(collect(large, tmp_path / "w")).error)

    monkeypatch.setattr(collect_module, "MAX_TOTAL_BYTES", 2**30)
    monkeypatch.setattr(collect_module, "MAX_FILE_BYTES", 10_000)
    submission = only(collect(large, tmp_path / "w"))
    assert str(submission.error).startswith("the notebook is 20000 bytes, over the 10000 bytes")
    assert files_under(tmp_path / "w") == []


def test_extraction_stops_at_the_total_budget_of_one_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect_module, "MAX_TOTAL_BYTES", 10_000)
    (tmp_path / "in").mkdir()
    for student in ("alice", "bob"):  # each zip alone is under the limit, both are not
        write_zip(tmp_path / "in" / f"{student}.zip", {"hw.ipynb": os.urandom(6_000)})
    found = {s.student: s for s in collect(tmp_path / "in", tmp_path / "work")}
    assert found["alice"].error is None and found["alice"].path is not None
    assert "would pass the 10000 bytes limit for one batch" in str(found["bob"].error)
    assert files_under(tmp_path / "work") == [found["alice"].path]


def test_sizes_that_lie_in_the_zip_headers_are_caught_while_streaming(tmp_path: Path) -> None:
    liar = tmp_path / "liar.zip"
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("hw.ipynb", os.urandom(2 * 2**20))
    data = bytearray(liar.read_bytes())
    struct.pack_into("<I", data, 22, 1000)  # local header: uncompressed size
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, 1000)  # central directory
    liar.write_bytes(bytes(data))
    submission = only(collect(liar, tmp_path / "work"))
    assert submission.path is None and "corrupt" in str(submission.error)
    assert files_under(tmp_path / "work") == []


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    overlap = write_zip(tmp_path / "overlap.zip", {"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK})
    data = bytearray(overlap.read_bytes())
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    struct.pack_into("<I", data, second + 42, 0)  # b's header offset: a's local header
    overlap.write_bytes(bytes(data))
    assert "overlap" in str(only(collect(overlap, tmp_path / "work")).error)


def test_corrupt_truncated_junk_and_empty_zips(tmp_path: Path) -> None:
    good = write_zip(tmp_path / "good.zip", {"hw.ipynb": NOTEBOOK * 100})
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "truncated.zip").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "in" / "junk.zip").write_bytes(os.urandom(4096))
    corrupt = bytearray(good.read_bytes())
    corrupt[40:60] = bytes(20)  # inside the deflated data of hw.ipynb
    (tmp_path / "in" / "corrupt.zip").write_bytes(bytes(corrupt))
    write_zip(tmp_path / "in" / "empty.zip", {})
    write_zip(tmp_path / "in" / "folders.zip", {"hw/": b""})
    found = {s.student: english(s.error) for s in collect(tmp_path / "in", tmp_path / "work")}
    assert found.keys() == {"truncated", "junk", "corrupt", "empty", "folders"}
    assert "corrupt or truncated" in str(found["truncated"])
    assert "corrupt or truncated" in str(found["junk"])
    assert "corrupt" in str(found["corrupt"])
    assert found["empty"] == found["folders"] == "the submission is empty (no files in the zip)"
    assert files_under(tmp_path / "work") == []


def test_password_protected_entry(tmp_path: Path) -> None:
    bad = write_zip(tmp_path / "locked.zip", {"hw.ipynb": NOTEBOOK})
    data = bytearray(bad.read_bytes())
    for offset in (6, data.find(b"PK\x01\x02") + 8):  # local and central flag bits
        data[offset] |= 0x1  # zipfile clears the encryption flag when it writes
    bad.write_bytes(bytes(data))
    assert "password-protected" in str(only(collect(bad, tmp_path / "work")).error)


def test_notebook_size_limit(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with open(tmp_path / "in" / "huge.ipynb", "wb") as huge:
        huge.truncate(301 * 2**20)  # sparse: nothing is written
    with open(tmp_path / "in" / "big.ipynb", "wb") as big:
        big.truncate(100 * 2**20)
    found = {s.student: s for s in collect(tmp_path / "in", tmp_path / "work")}
    assert found["huge"].path is None
    assert str(found["huge"].error).startswith("the notebook is 301 MB, over the 300 MB limit")
    assert found["big"].error is None and found["big"].path == tmp_path / "in" / "big.ipynb"


def test_a_100_mb_notebook_of_outputs_in_a_zip_is_extracted_whole(tmp_path: Path) -> None:
    rng = random.Random(0)
    lines = "".join(f'"epoch {i} loss {rng.random():.6f}\\n",\n' for i in range(40_000))
    block = lines.encode()
    outputs = block * (100 * 2**20 // len(block) + 1)
    notebook = b'{"cells": [{"outputs": [{"text": [' + outputs + b'""]}]}], "nbformat": 4}'
    export = tmp_path / "big.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("hw.ipynb", notebook)
    submission = only(collect(export, tmp_path / "work"))
    assert submission.error is None and submission.path is not None
    assert submission.path.stat().st_size == len(notebook) > 100 * 2**20
