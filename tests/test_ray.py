"""`grade --executor ray`: a cluster of several Ray nodes on this machine grades a class exactly as
the local executor does, loses no row when a node dies mid-batch, and resumes after the driver is
killed."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from ray.cluster_utils import Cluster

from autograder.batch.ray_executor import _Dispatch
from autograder.batch.recording import Job, Task
from autograder.batch.runner import DB_NAME, run_batch
from autograder.config import Course
from autograder.demo import write_class
from autograder.sandbox.tiers import IsolationError, Protected
from tests.submissions import scratch_course

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


def test_a_submission_whose_worker_dies_twice_becomes_an_error_row_that_says_so(
    class_folder: Path, cluster: Cluster, tmp_path: Path
) -> None:
    """Its worker is killed while it grades the submission; Ray runs it again in a new worker,
    which is killed too: the row is the grader's error, with that reason."""
    one = tmp_path / "class"
    one.mkdir()
    notebook = next(class_folder.glob("lovelace_*"))
    shutil.copy(notebook, one / notebook.name)
    run = tmp_path / "run"
    process = subprocess.Popen(
        grade_command(one, run, *on_ray(cluster)), stdout=subprocess.DEVNULL, text=True
    )
    killed: set[int] = set()
    deadline = time.monotonic() + 300
    while len(killed) < 2 and process.poll() is None and time.monotonic() < deadline:
        for pid in _grading_workers() - killed:
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.2)
    assert len(killed) == 2, "the grading worker was not seen twice"
    assert process.wait(timeout=120) == 0
    with sqlite3.connect(run / DB_NAME) as db:
        status, message = db.execute("SELECT status, message FROM submissions").fetchone()
    assert status == "grader_error"
    assert "worker died 2 times while grading this submission" in message


def test_a_node_that_cannot_isolate_is_refused_by_name(
    class_folder: Path, cluster: Cluster, course: Course, tmp_path: Path
) -> None:
    """Each node proves its own tier; here the container tier's uid is taken (nobody's)."""
    edits = {"confinement: auto": "confinement: container", "uid_base: 61000": "uid_base: 65534"}
    scratch = scratch_course(course, tmp_path / "course", edits)
    with pytest.raises(IsolationError) as refused:
        run_batch(
            scratch,
            ASSIGNMENT,
            class_folder,
            tmp_path / "run",
            training=False,
            executor="ray",
            ray_address=cluster.address,
        )
    message = str(refused.value)
    assert "(Ray node " in message and "cannot grade, so grading stopped" in message
    assert "uid 65534 belongs to user nobody" in message
    with sqlite3.connect(tmp_path / "run" / DB_NAME) as db:
        statuses = {row[0] for row in db.execute("SELECT status FROM submissions")}
    assert statuses == {"pending"}, statuses


def test_training_on_a_gpu_cluster_asks_for_a_gpu_only_for_checks_with_a_cuda_budget(
    course: Course,
) -> None:
    """The unit checks and names_training (no cuda budget) ask for CPUs; once they are graded,
    charlm_training asks for a share of a GPU. Without GPUs, or without training, one piece."""
    task = Task("class/a.ipynb", "1001", "/class/a.ipynb", None, training=True)
    job = Job(course, ASSIGNMENT, [task], 2, Protected(()))

    def dispatch(resources: dict[str, float], job: Job = job) -> _Dispatch:
        cluster = SimpleNamespace(cluster_resources=lambda: resources, remote=lambda f: f)
        return _Dispatch(job, SimpleNamespace(tasks={task.source: task}), cluster)

    on_gpus = dispatch({"CPU": 4, "GPU": 1})
    first = on_gpus.waiting.popleft()
    assert not on_gpus.waiting
    exercises = list(course.config.assignment(ASSIGNMENT).exercises)
    assert not first.gpu and not first.last
    assert first.only == tuple(e for e in exercises if e != "charlm_training")
    graded = {"exercises": [], "result": _result_json(ASSIGNMENT)}
    on_gpus.ray = SimpleNamespace(get=lambda ref: json.dumps(graded))
    on_gpus.answer(first, "ref")
    (second,) = on_gpus.waiting
    assert second.gpu and second.last and second.only == ("charlm_training",)

    (only,) = dispatch({"CPU": 4}).waiting
    assert not only.gpu and only.last and only.only is None
    unit = Job(course, ASSIGNMENT, [replace(task, training=False)], 2, Protected(()))
    (only,) = dispatch({"CPU": 4, "GPU": 1}, unit).waiting
    assert not only.gpu and only.last and only.only is None


def _result_json(assignment: str) -> str:
    fields = {"assignment": assignment, "submission": "a.ipynb", "sha256": "", "seed": 0}
    fields |= {"status": "graded", "points": 0, "max_points": 0, "torch_version": "2"}
    fields |= {"device": "cpu", "confined": True, "seconds": 1.0}
    return json.dumps(fields)


def _grading_workers() -> set[int]:
    """Ray worker processes grading a submission now (Ray titles them by the task they run)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::grade_piece"):
            found.add(int(entry.name))
    return found


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
