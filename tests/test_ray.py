"""`grade --executor ray`: a cluster of several Ray nodes on this machine grades a class exactly as
the local executor does, loses no row when a node dies mid-batch, and resumes after the driver is
killed."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ray.cluster_utils import Cluster

from autograder.batch.runner import DB_NAME
from autograder.config import Course
from autograder.demo import write_class

pytestmark = pytest.mark.slow
ASSIGNMENT = "names_charlm"
#: the reference, the blank template, four notebooks with known mistakes, a truncated file
STUDENTS = ("lovelace", "babbage", "hopper", "turing", "noether", "curie", "knuth")


@pytest.fixture(scope="module")
def class_folder(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Path:
    written = write_class(course, tmp_path_factory.mktemp("written"))
    folder = tmp_path_factory.mktemp("class")
    for path in written:
        if path.name.split("_")[0] in STUDENTS:
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A head that grades nothing and two worker nodes of one CPU each (this machine has two)."""
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    cluster.shutdown()


def grade_command(class_folder: Path, run: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder.cli",
        "grade",
        str(class_folder),
        "--assignment",
        ASSIGNMENT,
        "--out",
        str(run),
        "--no-training",  # unit checks only, whether or not this machine has the course data
        *extra,
    ]


def on_ray(cluster: Cluster) -> tuple[str, ...]:
    return ("--executor", "ray", "--ray-address", cluster.address)


def gradebook(run: Path) -> list[dict[str, str]]:
    with (run / "gradebook.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def local_run(class_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("local")
    done = subprocess.run(
        grade_command(class_folder, run, "--workers", "2"), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return run


def test_ray_grades_the_class_exactly_as_the_local_executor(
    class_folder: Path, cluster: Cluster, local_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    done = subprocess.run(
        grade_command(class_folder, run, *on_ray(cluster)), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rows = gradebook(run)
    assert rows == gradebook(local_run)
    assert len(rows) == len(STUDENTS) and {r["confinement"] for r in rows} >= {"namespaces"}
    _each_once(run / DB_NAME)


def test_a_node_removed_mid_batch_still_yields_every_row_once(
    class_folder: Path, cluster: Cluster, local_run: Path, tmp_path: Path
) -> None:
    """A third node joins; each node has one CPU, so with three grading at once every node holds
    a submission, and the one removed loses its own: Ray runs it again on another node."""
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    run = tmp_path / "run"
    process = subprocess.Popen(
        grade_command(class_folder, run, *on_ray(cluster)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    total = len(STUDENTS)
    _wait_until_finished(run / DB_NAME, 1, process)
    assert len(_finished(run / DB_NAME)) <= total - 3, "too few left to be sure the node held one"
    cluster.remove_node(doomed)
    _, stderr = process.communicate(timeout=400)
    assert process.returncode == 0, stderr
    assert len(_finished(run / DB_NAME)) == total
    _each_once(run / DB_NAME)
    assert gradebook(run) == gradebook(local_run)


def test_a_killed_driver_resumes_without_regrading_or_duplicates(
    class_folder: Path, cluster: Cluster, local_run: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    process = subprocess.Popen(
        grade_command(class_folder, run, *on_ray(cluster)),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_until_finished(run / DB_NAME, 2, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = _finished(run / DB_NAME)
    total = len(STUDENTS)
    assert 2 <= len(before) < total

    resumed = subprocess.run(
        grade_command(class_folder, run, *on_ray(cluster)), capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    after = _finished(run / DB_NAME)
    assert len(after) == total
    for source, moment in before.items():
        assert after[source] == moment, f"{source} was graded again"
    _each_once(run / DB_NAME)
    assert gradebook(run) == gradebook(local_run)


def _wait_until_finished(database: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists() and len(_finished(database)) >= count:
            return
        time.sleep(0.3)
    pytest.fail(f"the batch ended (or stalled) before {count} submission(s) finished")


def _finished(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT source, finished_at FROM submissions WHERE finished_at IS NOT NULL "
            "AND intake_error IS NULL"
        ).fetchall()
    return dict(rows)


def _each_once(database: Path) -> None:
    """Every submission graded (none lost to the grader's errors), and no score recorded twice
    (a score recorded again with other points would be logged in `changes`)."""
    with sqlite3.connect(database) as db:
        statuses = dict(db.execute("SELECT source, status FROM submissions").fetchall())
        changes = db.execute("SELECT * FROM changes").fetchall()
    assert "grader_error" not in statuses.values() and "pending" not in statuses.values()
    assert changes == []
