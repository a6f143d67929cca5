"""The data step: the ASCII names file, the checks, and the CLI around them."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from autograder import datasets
from autograder.cli import app
from autograder.errors import GraderError


@pytest.mark.parametrize(
    ("raw", "course"),
    [
        ("Bélanger", "Belanger"),
        ("Émile", "Emile"),
        ("Gwang ", "Gwang "),
        ("Groß", "Gro_"),
        ("Au\xa0Yong", "Au_Yong"),
        ("Maxa-B", "Maxa_B"),
        ("O'Neal", "O'Neal"),
        ("Jevolojnov,", "Jevolojnov,"),
        ("김각", "__"),  # NFD splits a Hangul syllable into three jamo: still one '_' each
        ("Jose\u0301", "Jose"),  # an accent already decomposed is dropped too
    ],
)
def test_ascii_name_examples(raw: str, course: str) -> None:
    assert datasets.ascii_name(raw) == course


@given(st.text(max_size=30))
def test_ascii_name_stays_in_vocabulary(name: str) -> None:
    converted = datasets.ascii_name(name)
    assert set(converted) <= datasets.NAMES_VOCAB
    assert len(converted) <= len(name)  # one character at most for each, marks dropped


def test_prepared_directory_passes_its_check(course_data_dir: Path) -> None:
    assert datasets.check(course_data_dir) == []


def test_prepared_names_keep_rows_languages_and_order(
    course_data_dir: Path, raw_data_dir: Path
) -> None:
    def rows(path: Path) -> list[list[str]]:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    raw, prepared = rows(raw_data_dir / "names.csv"), rows(course_data_dir / "names.csv")
    assert len(prepared) == len(raw) == 20_075
    assert [row[1] for row in prepared] == [row[1] for row in raw]
    assert all(set(row[0]) <= datasets.NAMES_VOCAB for row in prepared[1:])
    assert ["Belanger", "French"] in prepared
    (course_data_dir / "names.csv").read_bytes().decode("ascii")


def test_check_names_each_problem(course_data_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(course_data_dir, broken)
    (broken / "anna.txt").unlink()
    with (broken / "tiny_shakespeare.txt").open("r+b") as handle:
        handle.truncate(1000)
    with (broken / "wikitext-2" / "valid.txt").open("r+b") as handle:
        handle.write(b"X")
    found = datasets.check(broken)
    assert found == [
        "tiny_shakespeare.txt: 1,000 bytes, expected 1,115,394 (truncated or a different file?)",
        "anna.txt: missing (expected 2,025,486 bytes)",
        found[2],
    ]
    assert found[2].startswith("wikitext-2/valid.txt: sha256") and "contents differ" in found[2]


def test_prepare_refuses_corrupt_raw_data(raw_data_dir: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(raw_data_dir, raw)
    (raw / "names.csv").chmod(0o644)
    (raw / "names.csv").write_text("name,language\nA,B\n", encoding="utf-8")
    with pytest.raises(GraderError, match="names.csv: 18 bytes"):
        datasets.prepare(raw, tmp_path / "course")
    assert not (tmp_path / "course" / "names.csv").exists()


def test_names_csv_with_wrong_header_is_refused() -> None:
    with pytest.raises(GraderError, match="header 'name,language'"):
        datasets.ascii_names_csv("surname,lang\nA,B\n")
    with pytest.raises(GraderError, match="line 3: expected 2 columns"):
        datasets.ascii_names_csv("name,language\nA,B\nC\n")


def test_cli_prepare_and_check(raw_data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "data"
    prepared = runner.invoke(
        app, ["data", "prepare", "--from", str(raw_data_dir), "--to", str(target)]
    )
    assert prepared.exit_code == 0, prepared.output
    assert runner.invoke(app, ["data", "check", str(target)]).exit_code == 0
    (target / "names.csv").unlink()
    failed = runner.invoke(app, ["data", "check", str(target)])
    assert failed.exit_code == 2
    assert "names.csv: missing" in failed.output
