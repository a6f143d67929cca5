"""Why a sandboxed process died, in words a student or a TA can act on.

Used on both sides of the boundary (the child names its exercise forks' deaths, the launcher
the child's), so it imports nothing of the grader. A SIGKILL is a memory kill when the memory
cgroup's OOM counter rose meanwhile: the kernel's OOM killer leaves no other trace.
"""

from __future__ import annotations

import contextlib
import signal

#: What each signal means for a process under the sandbox's limits.
MEANINGS = {
    signal.SIGXCPU: "killed: CPU time limit",
    signal.SIGXFSZ: "killed: file size limit",
    signal.SIGSEGV: "crashed (segmentation fault)",
    signal.SIGBUS: "crashed (bus error)",
    signal.SIGABRT: "aborted",
    signal.SIGFPE: "crashed (arithmetic error)",
}
MEMORY_KILL = "killed: memory limit (the machine ran out of memory for it)"


def memory_kills() -> int:
    """How many processes the OOM killer has ended in this process's memory cgroup so far."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/cgroup") as handle:
            path = handle.read().strip().splitlines()[-1].split(":", 2)[2]
        for events in (f"/sys/fs/cgroup{path}/memory.events", "/sys/fs/cgroup/memory.events"):
            with contextlib.suppress(OSError), open(events) as handle:
                for line in handle:
                    name, value = line.split()
                    if name == "oom_kill":
                        return int(value)
    return 0


def describe(code: int, kills_before: int | None = None) -> str:
    """An exit code (negative: a signal) as a reason; SIGKILL after an OOM kill is memory."""
    if code >= 0:
        return f"ended unexpectedly (exit status {code})"
    number = -code
    if number == signal.SIGKILL:
        if kills_before is not None and memory_kills() > kills_before:
            return MEMORY_KILL
        return "killed (SIGKILL)"
    with contextlib.suppress(ValueError):
        name = signal.Signals(number)
        return MEANINGS.get(name, f"killed ({name.name})")
    return f"killed (signal {number})"
