"""The grader's side of the boundary: start the child, feed it, read its answers under limits.

The child's answers are untrusted data. This module checks only their framing and size; the
engine checks their meaning. When the child dies or stalls, the launcher works out what it was
doing from the last event: a cell is then skipped and the child started again, an exercise is
recorded as failed and the remaining exercises are run in a fresh child. So one hostile cell or
exercise never costs the rest of the submission.
"""

from __future__ import annotations

import contextlib
import os
import queue
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.config import Limits
from autograder.sandbox import deaths, protocol, tiers
from autograder.sandbox.exchange import (
    Cell,
    CellReport,
    CheckpointHandler,
    ChildOutcome,
    ExerciseAnswer,
    ExerciseRequest,
    Isolation,
    SandboxError,
)
from autograder.sandbox.spawn import ChildProcess, Zygote, confinement_request, fresh_child

MAX_RELAUNCHES = 6
MARGIN_SECONDS = 5.0
#: More streamed checkpoints (or bytes of their outputs) than this for one exercise is a child
#: misbehaving: the grader keeps them in memory until the exercise's answer.
MAX_CHECKPOINTS = 64
MAX_STREAMED_BYTES = 1 << 30


def run_submission(
    cells: list[Cell],
    exercises: list[ExerciseRequest],
    limits: Limits,
    isolation: Isolation = Isolation(),
    cell_seconds: int = 30,
    files: dict[str, str] | None = None,
    on_answer: Callable[[str, ExerciseAnswer], None] | None = None,
    zygote: Zygote | None = None,
    on_checkpoint: CheckpointHandler | None = None,
) -> ChildOutcome:
    """Run the cells once and answer every exercise, relaunching around crashes and stalls.

    With `on_checkpoint`, training probes stream each checkpoint as it is reached and stop
    when the handler returns True (the verdict is known); without it they train their budget.
    """
    outcome = ChildOutcome(
        confined=isolation.confine, on_answer=on_answer, on_checkpoint=on_checkpoint
    )
    skip: set[int] = set()
    pending = list(exercises)
    while outcome.launches <= MAX_RELAUNCHES:
        outcome.launches += 1
        stopped_at = _launch_once(
            cells, pending, limits, isolation, cell_seconds, skip, outcome, files or {}, zygote
        )
        if stopped_at is None:
            return outcome
        kind, where, reason = stopped_at
        if kind == "start":
            short = _start_failure(reason, outcome.stderr) + _host_limits_note(limits)
            raise SandboxError(short, outcome.stderr[-4000:])
        if kind == "cell":
            skip.add(where)
            outcome.cells[where] = CellReport(where, reason)
        elif kind == "exercise":
            outcome.settle(where, ExerciseAnswer(fatal=reason))
        else:
            break
        pending = [exercise for exercise in pending if exercise.id not in outcome.answers]
        if not pending:
            return outcome
    for exercise in pending:
        if exercise.id not in outcome.answers:
            reason = {"type": "Crashed", "message": "the notebook could not be run"}
            outcome.settle(exercise.id, ExerciseAnswer(fatal=reason))
    return outcome


def _launch_once(
    cells: list[Cell],
    exercises: list[ExerciseRequest],
    limits: Limits,
    isolation: Isolation,
    cell_seconds: int,
    skip: set[int],
    outcome: ChildOutcome,
    files: dict[str, str],
    zygote: Zygote | None,
) -> tuple[str, Any, dict[str, Any]] | None:
    """One child's life. None when it finished; else (phase, cell index or exercise id, reason)."""
    container = isolation.confine and isolation.tier == "container"
    if container:
        new_root = tiers.container_root(isolation.uid, isolation.uid)
    else:
        new_root = tempfile.mkdtemp(prefix="rnn-grader-root-")
    read_end, write_end = os.pipe()
    arrays: dict[str, np.ndarray] = {}
    for exercise in exercises:
        arrays.update({f"{exercise.id}/{key}": value for key, value in exercise.arrays.items()})
    request = {
        "cells": [{"index": cell.index, "source": cell.source} for cell in cells],
        "skip_cells": sorted(skip),
        "files": files,
        "cell_seconds": cell_seconds,
        "exercises": [
            {
                "id": exercise.id,
                "probes": [_prefix_arrays(probe, exercise.id) for probe in exercise.probes],
                "wall_seconds": exercise.wall_seconds or limits.wall_seconds,
                "cpu_seconds": exercise.cpu_seconds or limits.cpu_seconds,
                "gpu": exercise.needs_gpu,
                "live": exercise.trains and outcome.on_checkpoint is not None,
            }
            for exercise in exercises
        ],
        "confinement": (
            confinement_request(
                new_root, limits, isolation, gpu=any(e.needs_gpu for e in exercises)
            )
            if isolation.confine
            else None
        ),
    }
    launched = time.monotonic()
    process = zygote.spawn(write_end) if zygote else fresh_child(write_end)
    os.close(write_end)
    events: queue.Queue = queue.Queue()
    max_bytes = limits.max_output_kb * 1024
    readers = [
        threading.Thread(target=_read_events, args=(read_end, events), daemon=True),
        threading.Thread(target=_drain, args=(process.stdout, max_bytes, outcome, "stdout")),
        threading.Thread(target=_drain, args=(process.stderr, max_bytes, outcome, "stderr")),
    ]
    for reader in readers:
        reader.start()
    with contextlib.suppress(BrokenPipeError):
        # stdin stays open: the grader's replies to streamed checkpoints go the same way
        protocol.write_message(process.stdin, request, arrays)
    try:
        walls = {e.id: e.wall_seconds or limits.wall_seconds for e in exercises}
        return _follow(events, process, cell_seconds, limits, outcome, walls, launched)
    finally:
        process.kill()
        with contextlib.suppress(BrokenPipeError, OSError):
            process.stdin.close()
        for reader in readers:
            reader.join(timeout=5)
        if container:
            tiers.reap(isolation.uid)
        shutil.rmtree(new_root, ignore_errors=True)


def _follow(
    events: queue.Queue,
    process: ChildProcess,
    cell_seconds: int,
    limits: Limits,
    outcome: ChildOutcome,
    walls: dict[str, int],
    launched: float,
) -> tuple[str, Any, dict[str, Any]] | None:
    """Follow one child's events until it is done or stops; time each phase on the way."""
    phase: tuple[str, Any] = ("start", None)
    startup = 60.0
    deadline = time.monotonic() + startup
    while True:
        try:
            item = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return (*phase, {"type": "Timeout", "message": _timeout_text(phase, cell_seconds)})
        if isinstance(item, tuple):  # decoded here, in the grader's thread (see read_frame)
            try:
                item = (item[0], protocol.decode_arrays(item[1]))
            except (protocol.ProtocolError, MemoryError) as error:
                item = error
        if isinstance(item, MemoryError):  # the grader's own memory, not the child's doing
            raise SandboxError(f"the grader ran out of memory reading an answer ({item})")
        if isinstance(item, Exception) or item is None:
            if item is None:
                process.exit_code(wait=10)
            reason = {"type": "ProcessDied", "message": _death_text(process, item)}
            if phase[0] == "start":
                return ("start", None, reason)
            return (*phase, reason)
        header, arrays = item
        event = header.get("event")
        now = time.monotonic()
        if event == "ready":  # this loop waits idle for it: the read time is its arrival
            outcome.start_seconds += now - launched
            phase, deadline = ("ready", None), now + startup
        elif event == "cell_start":
            phase = ("cell", header.get("index"))
            deadline = now + cell_seconds + MARGIN_SECONDS
        elif event == "cell_end" and phase == ("cell", header.get("index")):
            outcome.cell_seconds += _reported_seconds(header)
            index = header["index"]
            outcome.cells[index] = CellReport(index, header.get("error"), header.get("defined", []))
            phase, deadline = ("between", None), time.monotonic() + startup
        elif event == "exercise_start":
            phase = ("exercise", header.get("id"))
            wall = walls.get(header.get("id"), limits.wall_seconds)
            deadline = now + wall + 2 * MARGIN_SECONDS
        elif event == "checkpoint" and phase == ("exercise", header.get("id")):
            problem = _answer_checkpoint(process, outcome, header, arrays)
            if problem:
                return (*phase, {"type": "ProtocolError", "message": problem})
        elif event == "exercise_result" and phase == ("exercise", header.get("id")):
            outcome.exercise_seconds[header["id"]] = _reported_seconds(header)
            outcome.note_peak("exercise", header.get("peak_kb"))
            outcome.settle(
                header["id"],
                ExerciseAnswer(
                    probes=list(header.get("probes", [])),
                    arrays=arrays,
                    fatal=header.get("fatal"),
                    imported=[str(name) for name in header.get("imported", [])][:1000],
                ),
            )
            phase, deadline = ("between", None), time.monotonic() + startup
        elif event == "done":
            outcome.note_peak("child", header.get("peak_kb"))
            return None


def _answer_checkpoint(
    process: ChildProcess,
    outcome: ChildOutcome,
    header: dict[str, Any],
    arrays: dict[str, np.ndarray],
) -> str | None:
    """Keep a streamed checkpoint's arrays, ask the handler, reply stop or continue."""
    exercise_id = header["id"]
    kept = outcome.streamed.setdefault(exercise_id, {})
    seen = outcome.checkpoints_seen.get(exercise_id, 0)
    if seen >= MAX_CHECKPOINTS or outcome.on_checkpoint is None:
        return "the training run sent more checkpoints than it was asked for"
    size = sum(array.nbytes for array in (*kept.values(), *arrays.values()))
    if size > MAX_STREAMED_BYTES:
        return f"the training run's checkpoints exceed {MAX_STREAMED_BYTES >> 20} MB"
    outcome.checkpoints_seen[exercise_id] = seen + 1
    kept.update(arrays)
    stop = bool(outcome.on_checkpoint(exercise_id, header, arrays))
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        protocol.write_message(process.stdin, {"stop": stop})
    return None


def _start_failure(reason: dict[str, Any], stderr: str) -> str:
    """The child's own last words (a ConfinementError, say), else what the launcher saw."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    return last or str(reason.get("message", "the child ended before it was ready"))


def _host_limits_note(limits: Limits) -> str:
    """Name the host's hard limits that are below grader.yaml's: the likely cause of a failure."""
    mb = 1 << 20
    lowered = []
    for name, limit, wanted in (
        ("address space (ulimit -v)", resource.RLIMIT_AS, limits.memory_mb * mb),
        ("processes (ulimit -u)", resource.RLIMIT_NPROC, limits.max_processes),
    ):
        hard = resource.getrlimit(limit)[1]
        if hard != resource.RLIM_INFINITY and hard < wanted:
            shown = f"{hard // mb} MB" if limit == resource.RLIMIT_AS else str(hard)
            lowered.append(f"the host's hard limit on {name} is {shown}")
    if not lowered:
        return ""
    return f" ({'; '.join(lowered)}, below grader.yaml's limits: raise it or lower those)"


def _timeout_text(phase: tuple[str, Any], cell_seconds: int) -> str:
    if phase[0] == "cell":
        return f"the cell did not finish within {cell_seconds} s"
    if phase[0] == "exercise":
        return "your code did not finish within the time limit"
    return "the notebook stopped responding"


def _death_text(process: ChildProcess, item: Any) -> str:
    if isinstance(item, protocol.ProtocolError):
        return f"the notebook's process sent malformed data ({item})"
    code = process.exit_code()
    if code is None:  # a zygote's child: the kernel reaped it, but an OOM kill still shows
        if deaths.memory_kills() > process.memory_kills:
            return deaths.DIED + deaths.MEMORY_KILL
        return "the process running your code ended unexpectedly"
    return deaths.DIED + deaths.describe(code, process.memory_kills)


def _reported_seconds(header: dict[str, Any]) -> float:
    """A phase's duration as the child measured it (this loop may read its events late, while
    it scores the last answer). A measurement only: anything but a sane number counts as 0."""
    value = header.get("seconds")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e6:
        return float(value)
    return 0.0


def _read_events(fd: int, events: queue.Queue) -> None:
    with os.fdopen(fd, "rb") as stream:
        try:
            while (message := protocol.read_frame(stream, 256 << 20)) is not None:
                events.put(message)
            events.put(None)
        except (protocol.ProtocolError, MemoryError) as error:
            events.put(error)


def _drain(stream: Any, max_bytes: int, outcome: ChildOutcome, name: str) -> None:
    kept = bytearray()
    while chunk := stream.read(65536):
        if len(kept) < max_bytes:
            kept.extend(chunk[: max_bytes - len(kept)])
    text = kept.decode("utf-8", errors="replace")
    setattr(outcome, name, getattr(outcome, name) + text)


def _prefix_arrays(value: Any, prefix: str) -> Any:
    """Point every array reference of a probe at its exercise's namespace of keys."""
    if isinstance(value, dict):
        renamed = {key: _prefix_arrays(item, prefix) for key, item in value.items()}
        for key in ("array", "cotangent", "state"):
            if isinstance(value.get(key), str):
                renamed[key] = f"{prefix}/{value[key]}"
        return renamed
    if isinstance(value, list):
        return [_prefix_arrays(item, prefix) for item in value]
    return value
