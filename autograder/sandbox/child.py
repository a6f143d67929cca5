"""The sandboxed child: confine itself, run the student's cells, answer the grader's probes.

Started by launcher.py as `child ANSWER_FD GRADER_PID` with the request on stdin and
a pipe for answers on the file descriptor named in argv. It imports torch first (trusted code,
before any confinement, so that lazy imports do not need the grader's files), confines itself
(confine.py), executes the cells in order, each under a time limit, and then runs each
exercise's probes in a forked process of its own, so that a crash, `os._exit` or an endless loop
costs that exercise only. Every answer is a protocol message; the grader decides what it means.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import select
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from autograder.sandbox import confine, deaths, protocol, warm
from autograder.sandbox.alarm import Timeout, on_alarm
from autograder.sandbox.probes import ProbeRunner, Recorder, error_description

MAX_REQUEST = 512 << 20
#: a cell that ran past its time limit, in the words the grader translates (sandbox/deaths.py)
CELL_TIMEOUT = deaths.N_("the cell ran past its time limit")
# Bound before any student code runs, so that a notebook rebinding os._exit or os.fork does not
# change how this process ends or forks.
_exit, _fork, _kill, _waitpid = os._exit, os.fork, os.kill, os.waitpid


def main() -> None:
    """`child ANSWER_FD GRADER_PID`: the grader's pid, since the grader may itself be PID 1
    (a container's first process), so a parent of 1 does not mean that it died."""
    confine.die_with_parent()  # a grader killed with SIGKILL takes its children along
    if os.getppid() != int(sys.argv[2]):  # it died before we asked
        _exit(1)
    warm.load()
    serve(0, int(sys.argv[1]))


def serve(request_fd: int, answer_fd: int) -> None:
    """Read the request, confine, run, answer; never returns."""
    answers = os.fdopen(answer_fd, "wb", buffering=0)
    with os.fdopen(request_fd, "rb", closefd=False) as requests:
        message = protocol.read_message(requests, MAX_REQUEST)
    if message is None:
        raise SystemExit("no request on stdin")
    request, arrays = message
    replies = _keep_replies(request_fd)
    torch.set_num_threads(int(request.get("threads", 1)))
    confinement = request.get("confinement")
    if confinement:
        confine.enter(confine.Confinement.from_json(confinement))
    else:  # unconfined (engine tests only): still never write into the grader's folder
        os.chdir(tempfile.mkdtemp(prefix="rnn-grader-work-"))
    _write_support_files(request.get("files", {}))
    gpus = _hide_gpus()
    protocol.write_message(answers, {"event": "ready", "pid": os.getpid()})
    whole_uid = bool(confinement) and confinement.get("tier") == "container"
    namespace, history = run_cells(request, answers)
    _sweep(whole_uid)
    for exercise in request.get("exercises", []):
        protocol.write_message(answers, {"event": "exercise_start", "id": exercise["id"]})
        began = time.monotonic()
        shown = gpus if exercise.get("gpu") else ""
        live = (answers, replies) if exercise.get("live") else None
        header, result_arrays = run_exercise(exercise, namespace, history, arrays, shown, live)
        header["seconds"] = round(time.monotonic() - began, 4)  # fork to answer
        _sweep(whole_uid)
        protocol.write_message(answers, header, result_arrays)
    protocol.write_message(answers, {"event": "done", "peak_kb": _peak_kb()})
    answers.close()
    _exit(0)


def _peak_kb() -> int:
    """This process's peak resident memory (KB): the grader reports it as a measurement only."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _keep_replies(request_fd: int) -> int:
    """Keep the grader's side channel (its stop-or-continue replies); stdin becomes /dev/null.

    The request pipe stays open after the request so that the grader can answer streamed
    training checkpoints; a notebook's `input()` must still see an empty stdin, not that pipe.
    """
    replies = os.dup(request_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    if request_fd not in (0, null):
        os.close(request_fd)
    os.close(null)
    return replies


def _hide_gpus() -> str | None:
    """Hide the GPUs from the cells and unit probes; return what CUDA_VISIBLE_DEVICES was.

    CUDA initialised in this process would not work in the forks that run each exercise, so a
    notebook's top-level `.to("cuda")` must find no GPU here. Only a training fork that the
    grader sent to the GPU sees it again (`_show_gpus`), before its first CUDA call.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    return visible


def _show_gpus(visible: str | None) -> None:
    if visible is None:
        os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = visible


def _write_support_files(files: dict[str, str]) -> None:
    """Files the notebook imports (the course's helpers.py), written beside it and importable."""
    for name, text in files.items():
        if os.path.basename(name) != name or not name.endswith(".py"):
            continue
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
    sys.path.insert(0, os.getcwd())


def run_cells(request: dict[str, Any], answers: Any) -> tuple[dict[str, Any], dict[str, list]]:
    """Execute the cells in order in one namespace; a failing cell costs only what it defines."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    namespace.update(request.get("context", {}))
    history: dict[str, list[Any]] = {}
    skip = set(request.get("skip_cells", []))
    main_pid = os.getpid()
    signal.signal(signal.SIGALRM, on_alarm)
    for cell in request.get("cells", []):
        index = cell["index"]
        if index in skip:
            continue
        protocol.write_message(answers, {"event": "cell_start", "index": index})
        began = time.monotonic()
        before = {name: id(value) for name, value in namespace.items()}
        error = None
        signal.alarm(int(request.get("cell_seconds", 30)))
        try:
            code = compile(cell["source"], f"<cell {index}>", "exec")
            exec(code, namespace)
        except Timeout:
            error = {"type": "Timeout", "message": CELL_TIMEOUT, "frames": []}
        except SyntaxError as syntax:
            error = {
                "type": "SyntaxError",
                "message": syntax.msg,
                "frames": [{"cell": f"<cell {index}>", "line": syntax.lineno, "code": syntax.text}],
            }
        except BaseException as caught:  # noqa: BLE001 - SystemExit and friends are student errors
            error = error_description(caught)
        finally:
            signal.alarm(0)
        if os.getpid() != main_pid:  # a process the cell forked, back in our loop: not ours
            _exit(0)
        defined = [name for name, value in namespace.items() if before.get(name) != id(value)]
        for name in defined:
            history.setdefault(name, []).append(namespace[name])
        sys.stdout.flush()
        seconds = round(time.monotonic() - began, 4)
        protocol.write_message(
            answers,
            {
                "event": "cell_end",
                "index": index,
                "error": error,
                "defined": defined[:200],
                "seconds": seconds,
            },
        )
    return namespace, history


def run_exercise(
    exercise: dict[str, Any],
    namespace: dict[str, Any],
    history: dict[str, list],
    arrays: dict[str, Any],
    gpus: str | None = "",
    live: tuple[Any, int] | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run one exercise's probes in a forked child, with its own time and CPU limits.

    `gpus` is the CUDA_VISIBLE_DEVICES the fork gets: "" (none) unless it trains on the GPU.
    `live` (the answer stream and the replies descriptor) lets a training probe stream its
    checkpoints to the grader and stop when the grader has decided.
    """
    read_end, write_end = os.pipe()
    pid = _fork()
    if pid == 0:
        try:
            os.close(read_end)
            _show_gpus(gpus)
            reporter = _live_reporter(exercise["id"], *live) if live else None
            _probe_child(exercise, namespace, history, arrays, write_end, reporter)
        finally:  # whatever happened, this fork must never return into the parent's loop
            _exit(70)
    os.close(write_end)
    limit = float(exercise.get("wall_seconds", 60))
    data, status = _collect(read_end, pid, limit, int(exercise.get("max_bytes", 64 << 20)))
    base = {"event": "exercise_result", "id": exercise["id"]}
    if status == "timeout":
        return {
            **base,
            "fatal": {"type": "Timeout", "message": f"no answer within {limit:g} s"},
        }, {}
    if not data:
        return {**base, "fatal": {"type": "ProcessDied", "message": status}}, {}
    try:
        parsed = protocol.read_message(io.BytesIO(data), len(data))
    except protocol.ProtocolError as error:
        return {**base, "fatal": {"type": "ProtocolError", "message": str(error)}}, {}
    header, result_arrays = parsed if parsed else ({}, {})
    return {**header, **base}, result_arrays


def _probe_child(
    exercise: dict[str, Any],
    namespace: dict[str, Any],
    history: dict[str, list],
    arrays: dict[str, Any],
    write_end: int,
    live: Callable[[dict[str, Any], dict[str, np.ndarray]], bool] | None = None,
) -> None:
    used = int(time.process_time()) + 1
    cpu = used + int(exercise.get("cpu_seconds", 60))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(exercise.get("wall_seconds", 60)))
    probe_pid = os.getpid()
    loaded = set(sys.modules)
    runner = ProbeRunner(namespace, history, arrays, live)
    results, all_arrays = [], {}
    for number, probe in enumerate(exercise.get("probes", [])):
        recorder = Recorder(f"p{number}")
        try:
            results.append({"ok": True, **runner.run(probe, recorder)})
        except Timeout:
            results.append({"ok": False, "error": {"type": "Timeout", "message": "time limit"}})
            break
        except BaseException as caught:  # noqa: BLE001 - every student failure is data
            results.append({"ok": False, "error": error_description(caught)})
        all_arrays.update(recorder.arrays)
    signal.alarm(0)
    if os.getpid() != probe_pid:  # forked by the student's code and returned here
        _exit(0)
    imported = sorted(set(sys.modules) - loaded)
    payload = protocol.encode(
        {"probes": results, "imported": imported, "peak_kb": _peak_kb()}, all_arrays
    )
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(payload)
    _exit(0)


def _live_reporter(
    exercise_id: str, answers: Any, replies_fd: int
) -> Callable[[dict[str, Any], dict[str, np.ndarray]], bool]:
    """Send one training checkpoint to the grader and wait for its reply: True means stop."""
    replies = os.fdopen(replies_fd, "rb", closefd=False)

    def report(point: dict[str, Any], point_arrays: dict[str, np.ndarray]) -> bool:
        header = {**point, "event": "checkpoint", "id": exercise_id}
        # No alarm may cut a message in half: the grader would lose the whole stream.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            protocol.write_message(answers, header, point_arrays)
            reply = protocol.read_message(replies, 1 << 12)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return bool(reply and reply[0].get("stop") is True)

    return report


def _sweep(whole_uid: bool) -> None:
    """Kill every process the notebook left running (fork bombs and daemons included).

    As PID 1 of the sandbox's PID namespace, kill(-1) reaches exactly that namespace; in the
    container tier (`whole_uid`) this process runs as the slot's own uid, and kill(-1) reaches
    every other process of that uid. Unconfined, kill(-1) would reach the whole machine.
    """
    if os.getpid() == 1 or whole_uid:
        with contextlib.suppress(ProcessLookupError):
            _kill(-1, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # and reap whatever has ended (ours included)
        while _waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _collect(fd: int, pid: int, limit: float, max_bytes: int) -> tuple[bytes, str]:
    """Read the probe child's answer until EOF, killing it at the deadline."""
    kills_before = deaths.memory_kills()
    deadline = time.monotonic() + limit + 3  # time to send what a timed-out run reached
    chunks, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill(pid, signal.SIGKILL)
            _waitpid(pid, 0)
            os.close(fd)
            return b"", "timeout"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            _kill(pid, signal.SIGKILL)
            _waitpid(pid, 0)
            os.close(fd)
            return b"", f"the answer exceeded {max_bytes} bytes"
        chunks.append(chunk)
    os.close(fd)
    data = b"".join(chunks)
    if data:  # its exit status says nothing more: it is reaped later, while the next one runs
        with contextlib.suppress(ChildProcessError):
            _waitpid(pid, os.WNOHANG)
        return data, "ok"
    _, status = _waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        return b"", deaths.DIED + deaths.describe(code, kills_before)
    return data, "ok"


if __name__ == "__main__":
    main()
