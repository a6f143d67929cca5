"""Why a sandboxed process died, in words a student or a TA can act on.

Used on both sides of the boundary (the child names its exercise forks' deaths, the launcher
the child's), so it imports nothing of the grader. A SIGKILL is a memory kill when the memory
cgroup's OOM counter rose meanwhile: the kernel's OOM killer leaves no other trace.
"""

from __future__ import annotations

import contextlib
import signal


def N_(message: str) -> str:  # noqa: N802 - autograder.i18n's marker, without importing the grader
    """Mark a phrase for the catalogs; the grader translates it where it explains the death."""
    return message


#: What each signal means for a process under the sandbox's limits.
MEANINGS = {
    signal.SIGXCPU: N_("was killed: CPU time limit"),
    signal.SIGXFSZ: N_("was killed: file size limit"),
    signal.SIGSEGV: N_("crashed (segmentation fault)"),
    signal.SIGBUS: N_("crashed (bus error)"),
    signal.SIGABRT: N_("was aborted"),
    signal.SIGFPE: N_("crashed (arithmetic error)"),
}
MEMORY_KILL = N_("was killed: memory limit (the machine ran out of memory for it)")
#: how the child and the launcher say a death: "the process running your code " + a phrase above
DIED = "the process running your code "


def memory_kills() -> int:
    """How many processes the OOM killer has ended in this process's memory cgroup so far.

    cgroup v2 counts them in memory.events, v1 in memory.oom_control; both lines read
    "oom_kill N". Inside a container the cgroup is usually the root of what it sees.
    """
    for path in _counter_files():
        with contextlib.suppress(OSError, ValueError), open(path) as handle:
            for line in handle:
                name, value = line.split()
                if name == "oom_kill":
                    return int(value)
    return 0


def _counter_files() -> list[str]:
    groups = {}
    with contextlib.suppress(OSError), open("/proc/self/cgroup") as handle:
        for line in handle:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            groups[controllers] = path
    files = []
    if "memory" in groups:  # v1
        files += [f"/sys/fs/cgroup/memory{groups['memory']}/memory.oom_control"]
        files += ["/sys/fs/cgroup/memory/memory.oom_control"]
    if "" in groups:  # v2
        files += [f"/sys/fs/cgroup{groups['']}/memory.events", "/sys/fs/cgroup/memory.events"]
    return files


def describe(code: int, kills_before: int | None = None) -> str:
    """An exit code (negative: a signal) as a reason; SIGKILL after an OOM kill is memory."""
    if code >= 0:
        return f"ended unexpectedly (exit status {code})"
    number = -code
    if number == signal.SIGKILL:
        if kills_before is not None and memory_kills() > kills_before:
            return MEMORY_KILL
        return N_("was killed (SIGKILL)")
    with contextlib.suppress(ValueError):
        name = signal.Signals(number)
        return MEANINGS.get(name, f"was killed ({name.name})")
    return f"was killed (signal {number})"
