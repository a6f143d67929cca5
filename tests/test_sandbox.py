"""The trust boundary: the protocol refuses anything but numbers, the child sees no grader code."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.config import Limits
from autograder.sandbox import launcher, protocol
from autograder.sandbox.exchange import Cell, ChildOutcome, ExerciseRequest
from autograder.sandbox.launcher import run_submission


def test_protocol_round_trip_keeps_shapes_and_dtypes() -> None:
    arrays = {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "s": np.array(2.5), "b": np.ones(0)}
    header, back = protocol.read_message(io.BytesIO(protocol.encode({"x": 1}, arrays)), 1 << 20)
    assert header == {"x": 1}
    for key, value in arrays.items():
        assert back[key].dtype == value.dtype and back[key].shape == value.shape
        np.testing.assert_array_equal(back[key], value)


def test_protocol_refuses_objects_and_pickles() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_arrays(buffer.getvalue())
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_arrays(pickle.dumps({"x": 1}))


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00\x00\x00\x00\x00\x00\x05abc", b"\x00" * 7, b"\x00\x00\x00\x00\x00\x00\x00\x02[]"],
)
def test_protocol_rejects_truncated_or_malformed_frames(data: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.read_message(io.BytesIO(data + b"\x00" * 8), 1 << 20)


def test_protocol_enforces_the_size_limit() -> None:
    message = protocol.encode({"x": "y" * 1000})
    with pytest.raises(protocol.ProtocolError, match="limit"):
        protocol.read_message(io.BytesIO(message), 100)


def probe_value(name: str) -> ExerciseRequest:
    return ExerciseRequest(name, [{"kind": "value", "target": {"name": name}}])


@pytest.mark.slow
def test_child_holds_no_grader_code_and_sees_no_course_files(repo_root: Path) -> None:
    cells = [
        Cell(
            0,
            "import sys, os\n"
            "loaded = sorted(m for m in sys.modules if m.startswith(('solutions', "
            "'autograder.engine', 'autograder.exercises', 'autograder.config')))\n"
            f"course = sorted(os.listdir({str(repo_root)!r})) if os.path.isdir({str(repo_root)!r}) "
            "else []\n"
            "uid = os.getuid()\n",
        ),
    ]
    outcome = run_submission(
        cells, [probe_value("loaded"), probe_value("course"), probe_value("uid")], Limits()
    )
    loaded = outcome.answers["loaded"].probes[0]["result"]
    assert loaded == {"type": "list", "items": [], "length": 0}
    course = [item["value"] for item in outcome.answers["course"].probes[0]["result"]["items"]]
    assert set(course) <= {".venv"}, f"the child sees the checkout: {course}"
    assert outcome.answers["uid"].probes[0]["result"]["value"] != 0


@pytest.mark.slow
def test_a_crashing_cell_is_skipped_and_the_rest_still_runs() -> None:
    cells = [Cell(0, "a = 1"), Cell(1, "import os\nos._exit(9)"), Cell(2, "b = a + 1")]
    outcome = run_submission(cells, [probe_value("b")], Limits())
    assert outcome.answers["b"].probes[0]["result"] == {"type": "int", "value": 2}
    assert outcome.cells[1].error["type"] == "ProcessDied"
    assert outcome.launches == 2


@pytest.mark.slow
def test_a_cell_reading_stdin_sees_an_empty_stream_not_the_graders_channel() -> None:
    cells = [Cell(0, "try:\n    text = input()\nexcept EOFError:\n    text = 'eof'\n")]
    outcome = run_submission(cells, [probe_value("text")], Limits(), cell_seconds=10)
    assert outcome.answers["text"].probes[0]["result"]["value"] == "eof"
    assert outcome.cells[0].error is None


class _Replies:
    """Stands in for the child's stdin: collects the grader's replies."""

    def __init__(self) -> None:
        self.stdin = io.BytesIO()


def _checkpoint(exercise: str, step: int) -> tuple[dict, dict[str, np.ndarray]]:
    key = f"p0/checkpoint{step}"
    header = {"event": "checkpoint", "id": exercise, "step": step, "outputs": {"array": key}}
    return header, {key: np.full(3, float(step))}


def _follow(items: list, on_checkpoint) -> tuple[object, ChildOutcome, _Replies]:
    events: queue.Queue = queue.Queue()
    for header, arrays in [
        ({"event": "ready"}, {}),
        ({"event": "exercise_start", "id": "t"}, {}),
        *items,
    ]:
        events.put((header, protocol.encode_arrays(arrays)))  # as the reader thread queues it
    outcome = ChildOutcome(on_checkpoint=on_checkpoint)
    replies = _Replies()
    stopped = launcher._follow(events, replies, 5, Limits(), outcome, {"t": 5}, time.monotonic())
    return stopped, outcome, replies


def test_streamed_checkpoints_get_a_reply_and_join_the_final_answer() -> None:
    seen = []

    def decide(exercise: str, header: dict, arrays: dict) -> bool:
        seen.append((exercise, header["step"], sorted(arrays)))
        return header["step"] == 20

    final = ({"event": "exercise_result", "id": "t", "probes": [{"ok": True}]}, {})
    items = [_checkpoint("t", 10), _checkpoint("t", 20), final, ({"event": "done"}, {})]
    stopped, outcome, replies = _follow(items, decide)
    assert stopped is None
    assert seen == [("t", 10, ["p0/checkpoint10"]), ("t", 20, ["p0/checkpoint20"])]
    stream = io.BytesIO(replies.stdin.getvalue())
    answers = [protocol.read_message(stream, 4096)[0] for _ in range(2)]
    assert answers == [{"stop": False}, {"stop": True}]
    assert sorted(outcome.answers["t"].arrays) == ["p0/checkpoint10", "p0/checkpoint20"]


def test_a_flood_of_checkpoints_fails_that_exercise_only() -> None:
    items = [_checkpoint("t", step) for step in range(launcher.MAX_CHECKPOINTS + 1)]
    stopped, outcome, _ = _follow(items, lambda *args: False)
    assert stopped[:2] == ("exercise", "t")
    assert stopped[2]["type"] == "ProtocolError"
    assert "more checkpoints" in stopped[2]["message"]


def test_a_checkpoint_outside_its_exercise_is_ignored() -> None:
    calls = []
    header, arrays = _checkpoint("other", 1)
    items = [(header, arrays), ({"event": "done"}, {})]
    stopped, outcome, replies = _follow(items, lambda *args: calls.append(args) or True)
    assert stopped is None and not calls and replies.stdin.getvalue() == b""


def test_oversized_checkpoints_fail_that_exercise_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher, "MAX_STREAMED_BYTES", 40)
    stopped, _, _ = _follow([_checkpoint("t", 1), _checkpoint("t", 2)], lambda *args: False)
    assert stopped[:2] == ("exercise", "t") and "exceed" in stopped[2]["message"]


@pytest.mark.slow
def test_a_gpu_run_hides_the_gpu_from_cells_and_still_bounds_memory() -> None:
    """A run with an exercise sent to cuda: RLIMIT_DATA instead of RLIMIT_AS, GPU for it only."""
    cells = [
        Cell(
            0,
            "import os\n"
            "in_cells = os.environ.get('CUDA_VISIBLE_DEVICES')\n"
            "def visible():\n"
            "    return str(os.environ.get('CUDA_VISIBLE_DEVICES'))\n"
            "try:\n"
            "    blob = bytearray(6 * 1024**3)\n"
            "    memory = 'allocated'\n"
            "except MemoryError:\n"
            "    memory = 'refused'\n",
        )
    ]
    call = {"kind": "call", "target": {"name": "visible"}}
    on_gpu = ExerciseRequest("on_gpu", [{**call, "device": "cuda"}])
    on_cpu = ExerciseRequest("on_cpu", [call])
    assert on_gpu.needs_gpu and not on_cpu.needs_gpu
    requests = [probe_value("in_cells"), probe_value("memory"), on_gpu, on_cpu]
    outcome = run_submission(cells, requests, Limits(memory_mb=2048))
    result = {key: answer.probes[0]["result"] for key, answer in outcome.answers.items()}
    assert result["in_cells"]["value"] == ""
    assert result["memory"]["value"] == "refused"
    assert result["on_cpu"]["value"] == ""
    assert result["on_gpu"]["value"] == "None"  # the launcher's value: unset, every GPU


def _descendants(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            with contextlib.suppress(FileNotFoundError):
                children = (task / "children").read_text().split()
                found_here = [int(child) for child in children if int(child) not in found]
                found.update(found_here)
                frontier.extend(found_here)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.slow
def test_no_sandbox_outlives_a_grader_killed_with_sigkill() -> None:
    grader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from autograder.config import Limits\n"
            "from autograder.sandbox.exchange import Cell\n"
            "from autograder.sandbox.launcher import run_submission\n"
            "run_submission([Cell(0, 'import time\\ntime.sleep(120)')], [], Limits(),"
            " cell_seconds=150)\n",
        ]
    )
    try:
        deadline = time.monotonic() + 60
        while len(sandbox := _descendants(grader.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # the child, and the confined process inside it
        assert len(sandbox) >= 2, "the sandbox did not start"
        os.kill(grader.pid, signal.SIGKILL)
        grader.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, sandbox)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in sandbox if _alive(pid)]
    finally:
        grader.kill()
        for pid in _descendants(grader.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_child_sees_only_the_gpus_its_grader_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.sandbox.spawn import child_environment

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert "CUDA_VISIBLE_DEVICES" not in child_environment()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")  # as Ray sets it for a task with one GPU
    assert child_environment()["CUDA_VISIBLE_DEVICES"] == "1"


def test_the_grader_cache_is_its_owners_and_student_code_must_not_read_it(
    repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The known mistakes' signatures are derived from the references: the cache folder is made
    owner-only, and every tier's preflight proves student code cannot read it."""
    from autograder.cache import private_cache
    from autograder.sandbox.tiers import grader_paths

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = private_cache()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert str(folder.resolve()) in grader_paths(repo_root, None).read
