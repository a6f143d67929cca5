"""Starting the child: a fresh interpreter or a fork of the pre-loaded zygote, with a clean
environment, and the confinement request that says what it may see (system trees and the
Python runtime, never the grader's code or the course checkout).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import site
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.config import Limits
from autograder.sandbox import deaths, tiers
from autograder.sandbox.exchange import Isolation

SYSTEM_TREES = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc")


@dataclass
class ChildProcess:
    """A running child: its pipes, and how to end it (a whole session: it called setsid)."""

    pid: int
    stdin: Any
    stdout: Any
    stderr: Any
    popen: subprocess.Popen | None = None
    #: the memory cgroup's OOM kills when it started: more at its death means a memory kill
    memory_kills: int = field(default_factory=deaths.memory_kills)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def exit_code(self, wait: float = 0.0) -> int | None:
        if self.popen is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.popen.wait(timeout=wait) if wait else self.popen.poll()
        return None


def fresh_child(answer_fd: int) -> ChildProcess:
    process = subprocess.Popen(
        [*python_running("autograder.sandbox.child"), str(answer_fd), str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(answer_fd,),
        start_new_session=True,
        env=child_environment(),
    )
    return ChildProcess(process.pid, process.stdin, process.stdout, process.stderr, process)


class Zygote:
    """One pre-loaded parent per worker (zygote.py): children start without importing torch."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [*python_running("autograder.sandbox.zygote"), str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=child_environment(),
        )
        theirs.close()
        self.channel = ours

    def spawn(self, answer_fd: int) -> ChildProcess:
        if self.process.poll() is not None:
            self.channel.close()
            self._start()
        request_r, request_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            socket.send_fds(self.channel, [b"x"], [request_r, out_w, err_w, answer_fd])
            reply = self.channel.recv(4, socket.MSG_WAITALL)
        finally:
            for fd in (request_r, out_w, err_w):
                os.close(fd)
        if len(reply) != 4:
            raise RuntimeError("the zygote did not start a child")
        (pid,) = struct.unpack(">i", reply)
        return ChildProcess(
            pid, os.fdopen(request_w, "wb"), os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb")
        )

    def peak_mb(self) -> float | None:
        """The zygote's own peak resident memory (its VmHWM), a measurement for benchmarks."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None

    def close(self) -> None:
        self.channel.close()
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def python_running(module: str) -> list[str]:
    """An isolated interpreter (-I: no environment, no user site) running `module` from the very
    copy of the grader this process runs, wherever that is (site-packages, an unpacked zip), with
    the grader's own import path, so that it loads the same libraries (a PYTHONPATH or a
    `pip --target` folder included) before it confines itself."""
    code_root = str(Path(__file__).resolve().parents[2])
    paths = list(dict.fromkeys([code_root, *(p for p in sys.path if os.path.isabs(p))]))
    start = (
        f"import sys; sys.path[:0] = {paths!r}; sys.argv[0] = {module!r}; "
        f"import runpy; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-I", "-c", start]


def child_environment() -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MALLOC_ARENA_MAX": "2",
        # The sandbox uid has no passwd entry; libraries that ask who the user is
        # (getpass.getuser, as torch does for its cache folders) read these instead.
        "USER": "student",
        "LOGNAME": "student",
        "RNN_GRADER_DATA": "/data-not-available-while-grading",
        "RNN_GRADER_QUICK": "1",
        # torch.cuda.is_available() in a cell then asks NVML, which leaves no CUDA state behind
        # to break the fork in which a training check initialises CUDA.
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
        # the GPUs this process was given (Ray gives each GPU task its share of a node's);
        # without it a child would see every GPU of the node
        **{name: os.environ[name] for name in ("CUDA_VISIBLE_DEVICES",) if name in os.environ},
    }


def confinement_request(
    new_root: str, limits: Limits, isolation: Isolation, gpu: bool
) -> dict[str, Any]:
    expose = exposed_trees(isolation.expose_extra)
    return {
        "new_root": new_root,
        "tier": isolation.tier,
        "expose": expose,
        "hide": grader_code_inside(expose),
        "uid": isolation.uid,
        "gid": isolation.uid,
        "cpu_seconds": limits.cpu_seconds * 4 + 60,
        "memory_mb": limits.memory_mb,
        "max_processes": limits.max_processes,
        "max_file_mb": max(1, limits.max_output_kb // 1024 * 16),
        "extra_devices": gpu_devices() if gpu else [],
        "gpu": gpu,
    }


def gpu_devices() -> list[str]:
    """The NVIDIA device nodes (nvidiactl, nvidia0, nvidia-uvm...), bound only for a GPU run."""
    return sorted(name for name in os.listdir("/dev") if name.startswith("nvidia"))


def exposed_trees(extra: tuple[str, ...]) -> list[str]:
    """The Python runtime and system libraries; nothing of the course checkout but its venv."""
    candidates = {
        *SYSTEM_TREES,
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *site.getsitepackages(),
        *extra,
    }
    real = sorted({os.path.realpath(path) for path in candidates if os.path.exists(path)})
    return [
        path for path in real if not any(_inside(path, other) for other in real if other != path)
    ]


def grader_code_inside(exposed: list[str]) -> list[str]:
    """Installed copies of the grader or the references that an exposed tree would reveal."""
    hidden = []
    for package in tiers.GRADER_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            real = os.path.realpath(location)
            if any(_inside(real, tree) for tree in exposed):
                hidden.append(real)
    return hidden


def _inside(path: str, tree: str) -> bool:
    return Path(path).is_relative_to(tree)
