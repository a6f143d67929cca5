"""What the terminal shows: tables that fit 80 columns, one line per exercise, and a Ctrl-C
that says what it left and how to resume."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from autograder.batch.exports import Row
from autograder.batch.runner import DB_NAME
from autograder.batch.store import StoredSubmission
from autograder.config import Course
from autograder.demo import write_class
from autograder.engine.report import cut, print_gradebook, print_result
from autograder.engine.result import ExerciseResult, SubmissionResult

ASSIGNMENT = "rnn_basics"  # the assignment with the most exercises: the widest class table
LONG_ERROR = (
    "/srv/course/run/submissions/knuth_1090.ipynb: not valid JSON: Expecting ',' delimiter: "
    "line 1 column 9 (char 8)\n"
    "  while reading cell 12 of a notebook that was edited outside Jupyter " * 3
)


def _exercises(course: Course, points: float) -> list[ExerciseResult]:
    spec = course.config.assignment(ASSIGNMENT)
    return [
        ExerciseResult(
            id=exercise,
            title=exercise,
            points=points,
            max_points=entry.points,
            status="partial",
            message="RuntimeError: shapes do not match\n" + "Traceback line\n" * 40,
        )
        for exercise, entry in spec.exercises.items()
    ]


def _row(course: Course, student: str, status: str, message: str = "") -> Row:
    submission = StoredSubmission(
        source=f"{student}.ipynb",
        student=student,
        path=None,
        submitted_at=None,
        late=False,
        superseded=False,
        intake_error=None,
        status=status,
        message=message,
    )
    graded = {} if status == "error" else {e.id: e for e in _exercises(course, 2 / 7 * 10)}
    return Row(submission, graded, None)


def _gradebook(course: Course, width: int) -> tuple[list[str], list[Row]]:
    rows = [
        _row(course, "1001", "graded"),
        _row(course, "a_student_with_a_rather_long_name_2002", "incomplete"),
        _row(course, "1090", "error", LONG_ERROR),
        _row(course, "1091", "grader_error", "the grader's worker died (exit code -9)"),
    ]
    console = Console(width=width, record=True, force_terminal=False)
    print_gradebook(rows, course, ASSIGNMENT, console, lang="en")
    return console.export_text().splitlines(), rows


@pytest.mark.parametrize("width", [80, 120])
def test_the_class_table_fits_and_keeps_total_and_status(course: Course, width: int) -> None:
    lines, rows = _gradebook(course, width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    spec = course.config.assignment(ASSIGNMENT)
    for row in rows:
        total = f"{row.total:.2f}".rstrip("0").rstrip(".") + f"/{spec.max_points:g}"
        assert any(total in line and row.submission.status in line for line in lines), row
    assert "31.43/" in lines[3] and "31.428" not in "\n".join(lines)  # two decimals at most
    key = " ".join(lines[lines.index(next(x for x in lines if x.startswith("key:"))) :])
    for number, exercise in enumerate(spec.exercises, 1):
        assert f"E{number}={exercise}" in key
    error_lines = [line for line in lines if line.startswith("1090: error: ")]
    assert len(error_lines) == 1 and "not valid JSON" in error_lines[0]
    assert "knuth_1090.ipynb" in error_lines[0] and "/srv" not in error_lines[0]  # the file only
    assert error_lines[0].endswith("…")
    assert any(line.startswith("1091: grader_error: the grader's worker died") for line in lines)


def _result(course: Course) -> SubmissionResult:
    exercises = _exercises(course, 2 / 7)
    return SubmissionResult(
        assignment=ASSIGNMENT,
        submission="1001.ipynb",
        sha256="0" * 64,
        status="graded",
        points=sum(e.points for e in exercises),
        max_points=sum(e.max_points for e in exercises),
        exercises=list(reversed(exercises)),  # not in the notebook's order
        seed=0,
        torch_version="2",
        device="cpu",
        confined=True,
        seconds=1.0,
    )


def test_one_notebook_shows_one_line_per_exercise_in_notebook_order(course: Course) -> None:
    order = list(course.config.assignment(ASSIGNMENT).exercises)
    console = Console(width=80, record=True)
    print_result(
        _result(course), console, course.config.assignment(ASSIGNMENT).exercises, lang="en"
    )
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    shown = [line.split()[0] for line in lines if line.split() and line.split()[0] in order]
    assert shown == order
    assert "Traceback" not in "\n".join(lines)
    assert len(lines) < len(order) + 12
    assert any("0.29/2" in line and "RuntimeError" in line for line in lines)


def test_verbose_shows_the_whole_message(course: Course) -> None:
    console = Console(width=80, record=True)
    print_result(_result(course), console, verbose=True, lang="en")
    assert console.export_text().count("Traceback line") == 40 * len(_result(course).exercises)


def test_cut_keeps_one_line_within_the_width() -> None:
    assert cut("a\n  b", 10) == "a b"
    assert cut("x" * 20, 10) == "x" * 9 + "…"
    assert cell_len(cut("은닉 상태를 다음 스텝으로 이어서 전달하세요", 20)) <= 20  # 2 cells each


def _finished(database: Path) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT COUNT(*) FROM submissions WHERE finished_at IS NOT NULL "
            "AND intake_error IS NULL"
        ).fetchone()[0]


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc), for the no-worker-left check."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.mark.slow
def test_ctrl_c_says_what_finished_and_exits_130(course: Course, tmp_path: Path) -> None:
    folder = write_class(course, tmp_path / "class")[0].parent
    run = tmp_path / "run"
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--assignment"]
    command += ["names_charlm", "--out", str(run), "--workers", "2", "--no-training"]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        if (run / DB_NAME).exists() and _finished(run / DB_NAME) >= 1:
            break
    assert process.poll() is None, "the batch ended before it could be interrupted"
    workers = _descendants(process.pid)
    assert workers
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    stdout, _ = process.communicate(timeout=60)
    said = " ".join(stdout.decode().split())
    assert process.returncode == 130, said
    assert "interrupted: " in said and "submissions finished in this run" in said
    assert "Run the same command again to resume" in said
    time.sleep(1)
    left = {pid: _state(pid) for pid in workers}
    assert {pid: state for pid, state in left.items() if state} == {}, "processes left"


def _state(pid: int) -> str:
    """A process's state and command line; "" when it is gone (a zombie has ended too)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
    return "" if state == "Z" else f"{state} {command[:200]}"


@pytest.mark.slow
def test_only_needs_regrade_and_an_unchanged_regrade_says_so(
    course: Course, tmp_path: Path
) -> None:
    source = next(p for p in write_class(course, tmp_path / "all") if p.name.startswith("babbage"))
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / source.name).write_bytes(source.read_bytes())
    command = [sys.executable, "-m", "autograder.cli", "grade", str(folder), "--assignment"]
    command += ["names_charlm", "--out", str(tmp_path / "run"), "--no-training", "--workers", "1"]
    refused = subprocess.run([*command, "--only", "custom_rnn"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--only needs --regrade" in " ".join(refused.stderr.split())
    assert not (tmp_path / "run").exists()
    first = subprocess.run(command, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(
        [*command, "--regrade", "--only", "custom_rnn"], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert "no score changed" in again.stdout


@pytest.mark.slow
def test_a_real_notebook_fits_80_columns_and_verbose_says_more(
    course: Course, tmp_path: Path
) -> None:
    notebooks = write_class(course, tmp_path / "class")
    mistake = next(p for p in notebooks if p.name.startswith("hopper"))
    command = [sys.executable, "-m", "autograder.cli", "grade", str(mistake), "--no-training"]
    command += ["--assignment", "names_charlm"]
    environment = {**os.environ, "COLUMNS": "80"}
    short, verbose = (
        subprocess.run(command + extra, capture_output=True, text=True, env=environment)
        for extra in ([], ["--verbose"])
    )
    assert short.returncode == 0 and verbose.returncode == 0, short.stderr + verbose.stderr
    lines = short.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), short.stdout
    order = [e for e, entry in course.config.assignment("names_charlm").exercises.items()]
    unit = [
        e for e in order if course.config.assignment("names_charlm").exercises[e].training is None
    ]
    shown = [line.split()[0] for line in lines if line.split() and line.split()[0] in order]
    assert shown == unit, short.stdout
    assert len(verbose.stdout.splitlines()) > len(lines)
