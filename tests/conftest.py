"""Shared fixtures: the course data (read from ../shared/datasets) and the course checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder import datasets
from autograder.config import Course
from tests.browser import chromium, page  # noqa: F401 - fixtures of the browser tests

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(REPO_ROOT / "grader.yaml")


@pytest.fixture(scope="session")
def raw_data_dir() -> Path:
    """The raw data sets; CI and developers have them in ../shared/datasets beside the checkout."""
    path = Path(os.environ.get("RNN_GRADER_RAW_DATA", REPO_ROOT.parent / "shared" / "datasets"))
    if not path.is_dir():
        pytest.fail(
            f"raw data not found at {path}; set RNN_GRADER_RAW_DATA to the folder that holds "
            "names.csv, tiny_shakespeare.txt, anna.txt and wikitext-2/"
        )
    return path


@pytest.fixture(scope="session")
def course_data_dir(raw_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course data directory prepared from the raw data, once per test session."""
    target = tmp_path_factory.mktemp("course-data")
    datasets.prepare(raw_data_dir, target)
    return target
