"""What the benchmarks compare against: otter-grader's own route for the same notebooks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import datasets
from autograder.authoring import build as build_step
from autograder.config import Course

REPO = Path(__file__).resolve().parents[1]


def course_data(raw: Path | None = None) -> Path:
    """A prepared course data directory in a temporary folder (otter runs the whole notebook)."""
    raw = raw or Path(os.environ.get("RNN_GRADER_RAW_DATA", REPO.parent / "shared" / "datasets"))
    target = Path(tempfile.mkdtemp(prefix="bench-data-"))
    datasets.prepare(raw, target)
    return target


def otter_autograder_zip(course: Course, assignment: str, folder: Path) -> Path:
    """otter's autograder zip for the assignment, generated from a fresh otter assign."""
    built = build_step.build(course, assignment, folder / "dist")
    autograder = built.dist_dir / "autograder"
    zip_path = folder / f"{assignment}-otter-autograder.zip"
    extra = [p.name for p in autograder.iterdir() if p.suffix == ".py"]
    subprocess.run(
        [sys.executable, "-m", "otter", "generate", "-t", "tests", "-o", str(zip_path), *extra],
        cwd=autograder,
        check=True,
        capture_output=True,
    )
    return zip_path


def copy_course(folder: Path) -> Course:
    """A scratch copy of the course, so that building for a benchmark never touches the repo."""
    for name in ("assignments", "solutions", "calibration"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copyfile(REPO / "grader.yaml", folder / "grader.yaml")
    return Course(folder / "grader.yaml")
