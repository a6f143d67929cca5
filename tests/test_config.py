"""grader.yaml: the course's own file is valid, and mistakes are reported precisely."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from autograder.config import Course, load_config
from autograder.errors import GraderError


def write_config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "grader.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def minimal() -> dict:
    return {
        "course": "c",
        "data_dir": "/data",
        "assignments": {"a1": {"title": "t", "exercises": {"ex_one": {"points": 2}}}},
    }


def test_course_config_lists_every_assignment_of_the_course(course: Course) -> None:
    assert set(course.config.assignments) == {"names_charlm", "anna_lstm", "word_lm", "rnn_basics"}
    names = course.config.assignment("names_charlm")
    unit = [e for e in names.exercises.values() if e.training is None]
    assert sum(e.points for e in unit) == pytest.approx(14)
    assert names.max_points == pytest.approx(sum(e.points for e in names.exercises.values()))


def test_minimal_config_gets_defaults(tmp_path: Path, minimal: dict) -> None:
    config = load_config(write_config(tmp_path, minimal))
    assert config.device == "auto"
    assert config.limits.wall_seconds == 120


def test_misspelled_key_is_named_with_its_location(tmp_path: Path, minimal: dict) -> None:
    minimal["assignments"]["a1"]["exercises"]["ex_one"] = {"pionts": 3}
    with pytest.raises(GraderError) as caught:
        load_config(write_config(tmp_path, minimal))
    message = str(caught.value)
    assert "assignments.a1.exercises.ex_one.pionts: unknown key" in message
    assert "assignments.a1.exercises.ex_one.points: required key is missing" in message


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda c: c["assignments"]["a1"]["exercises"]["ex_one"].update(points=-1), "points"),
        (lambda c: c.update(device="tpu"), "device"),
        (lambda c: c.update(limits={"wall_seconds": 0}), "limits.wall_seconds"),
        (lambda c: c["assignments"]["a1"].update(exercises={}), "assignments.a1.exercises"),
        (lambda c: c["assignments"]["a1"]["exercises"].update({"bad id": {"points": 1}}), "a1"),
    ],
)
def test_wrong_values_are_rejected(tmp_path: Path, minimal: dict, change, where: str) -> None:
    change(minimal)
    with pytest.raises(GraderError, match=where):
        load_config(write_config(tmp_path, minimal))


def test_invalid_yaml_and_wrong_shape_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "grader.yaml"
    path.write_text("course: [unclosed", encoding="utf-8")
    with pytest.raises(GraderError, match="not valid YAML"):
        load_config(path)
    path.write_text("- a list", encoding="utf-8")
    with pytest.raises(GraderError, match="must be a mapping"):
        load_config(path)
    with pytest.raises(GraderError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_unknown_assignment_lists_known_ones(course: Course) -> None:
    with pytest.raises(GraderError, match="anna_lstm, names_charlm, rnn_basics, word_lm"):
        course.config.assignment("names")


def test_environment_overrides_data_dir(
    tmp_path: Path, minimal: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, minimal))
    monkeypatch.delenv("RNN_GRADER_DATA", raising=False)
    assert config.resolved_data_dir() == Path("/data")
    monkeypatch.setenv("RNN_GRADER_DATA", str(tmp_path))
    assert config.resolved_data_dir() == tmp_path


def test_discover_walks_up_from_a_subfolder(
    repo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RNN_GRADER_CONFIG", raising=False)
    monkeypatch.chdir(repo_root / "autograder")
    assert Course.discover().root == repo_root


def test_a_title_is_one_string_or_one_per_language(tmp_path: Path, minimal: dict) -> None:
    """A plain title reads the same in every language; a title per language gives each reader
    theirs, and must name every language the grader speaks (`--lang` can pick any)."""
    plain = load_config(write_config(tmp_path, minimal)).assignment("a1")
    assert plain.title_in("ko") == plain.title_in("en") == "t"
    minimal["assignments"]["a1"]["title"] = {"ko": "순환 신경망", "en": "Recurrent networks"}
    both = load_config(write_config(tmp_path, minimal)).assignment("a1")
    assert (both.title_in("ko"), both.title_in("en")) == ("순환 신경망", "Recurrent networks")
    for wrong in ({"ko": "순환 신경망"}, {"ko": "가", "en": "a", "fr": "b"}, {}):
        minimal["assignments"]["a1"]["title"] = wrong
        with pytest.raises(GraderError, match=r"assignments\.a1\.title: .*exactly ko, en"):
            load_config(write_config(tmp_path, minimal))


def test_the_courses_titles_are_korean_for_students_and_english_for_canvas(course: Course) -> None:
    for name, assignment in course.config.assignments.items():
        korean, english = assignment.title_in("ko"), assignment.title_in("en")
        assert re.search(r"[\uac00-\ud7a3]", korean), name
        assert english.isascii() and english != korean, name
