"""The preflight's attempts, made inside the confined child as the sandbox uid.

The grader (tiers.py) names what must stay out of reach; this module tries each thing and
reports what worked. It knows nothing of the grader: paths, a port and a pid come in the probe.
"""

from __future__ import annotations

import contextlib
import encodings.idna  # noqa: F401 - connecting by host name loads it, out of the uid's reach
import os
import socket
from typing import Any

#: Sockets that reach a network or the kernel's network configuration: (family, type), each
#: of a type an unprivileged process may open, so that only the seccomp filter can refuse it.
FAMILIES = {
    "AF_INET": (socket.AF_INET, socket.SOCK_STREAM),
    "AF_INET6": (socket.AF_INET6, socket.SOCK_STREAM),
    "AF_NETLINK": (getattr(socket, "AF_NETLINK", 16), socket.SOCK_RAW),
}


def attempt(probe: dict[str, Any]) -> dict[str, Any]:
    """Try to read, write, connect and signal as asked; return every attempt that succeeded."""
    files = probe.get("files", [])
    return {
        "readable": [path for path in files if _readable(path)]
        + [path for path in probe.get("folders", []) if _lists_any(path, _with_parents(files))],
        "writable": [path for path in probe.get("writable", []) if _writable(path)],
        "connected": _connects(int(probe.get("port", 0))),
        "sockets": [name for name, kind in FAMILIES.items() if _opens(*kind)],
        "signalled": _signals(int(probe.get("grader_pid", 0))),
        "uid": os.getuid(),
    }


def _readable(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def _with_parents(files: list[str]) -> set[str]:
    known = set(files)
    for path in files:
        while (parent := os.path.dirname(path)) != path:
            known.add(parent)
            path = parent
    return known


def _lists_any(folder: str, protected: set[str]) -> bool:
    """The folder can be listed and shows a protected name (a bare mount point does not count)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(os.path.join(folder, name) in protected for name in names)


def _writable(folder: str) -> bool:
    target = os.path.join(folder, f".rnn-grader-preflight-{os.getpid()}")
    try:
        with open(target, "x"):
            pass
    except OSError:
        return False
    with contextlib.suppress(OSError):
        os.unlink(target)
    return True


def _connects(port: int) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _opens(family: int, kind: int) -> bool:
    try:
        socket.socket(family, kind).close()
    except OSError:
        return False
    return True


def _signals(pid: int) -> bool:
    if pid <= 1:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
