"""A memory cgroup of a given size, as Docker's `--memory` (and Gradescope's 768 MB) makes one.

`memory_cgroup(mb)` creates a child of this process's memory cgroup (v1 or v2), yields it, and
removes it afterwards; `in_cgroup(group, argv)` runs a command inside it, and `peak_mb` reads
the most memory it held at once (page cache included, as the kernel charges it).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MemoryGroup:
    path: Path
    version: int

    def in_cgroup(self, argv: list[str]) -> list[str]:
        """`argv`, moved into this cgroup before it starts."""
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "in-cgroup", *argv]

    def peak_mb(self) -> float:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return int((self.path / name).read_text()) / 2**20

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in (self.path / name).read_text().splitlines():
            key, value = line.split()
            if key == "oom_kill":
                return int(value)
        return 0


def _own_groups() -> dict[str, str]:
    groups = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        groups[controllers] = path
    return groups


def available() -> str | None:
    """Why no memory cgroup can be made here, or None when one can."""
    try:
        _parent()
    except OSError as error:
        return f"no writable memory cgroup ({error})"
    return None


def _parent() -> tuple[Path, int]:
    groups = _own_groups()
    if "memory" in groups:
        parent = Path("/sys/fs/cgroup/memory") / groups["memory"].lstrip("/")
        version = 1
    else:
        parent = Path("/sys/fs/cgroup") / groups.get("", "/").lstrip("/")
        version = 2
    if not os.access(parent, os.W_OK) or not (parent / "cgroup.procs").exists():
        raise OSError(f"{parent} is not writable")
    return parent, version


@contextlib.contextmanager
def memory_cgroup(mb: int) -> Iterator[MemoryGroup]:
    parent, version = _parent()
    path = parent / f"rnn-grader-test-{os.getpid()}-{time.monotonic_ns()}"
    path.mkdir()
    try:
        limit = str(mb << 20)
        if version == 1:
            (path / "memory.limit_in_bytes").write_text(limit)
            with contextlib.suppress(OSError):  # no swap: as a container without swap
                (path / "memory.memsw.limit_in_bytes").write_text(limit)
        else:
            (path / "memory.max").write_text(limit)
            with contextlib.suppress(OSError):
                (path / "memory.swap.max").write_text("0")
        yield MemoryGroup(path, version)
    finally:
        for _ in range(50):  # the processes it held must be gone before it can be removed
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.1)
