"""A pre-loaded parent for sandboxed children: pay the torch import once per worker, not per child.

Started by launcher.Zygote as `python -I -m autograder.sandbox.zygote FD`. It imports torch, the
child's modules (never the grader's) and every module an exercise would import (warm.py), then
waits on a Unix socket. Each request carries four file
descriptors (request, stdout, stderr, answers); the zygote forks, and the fork becomes a child
exactly as if it had been started fresh: new session, those descriptors as its own, then
child.serve, which confines it before any student code runs. The zygote replies with the pid.
"""

from __future__ import annotations

import array
import ctypes
import os
import signal
import socket
import struct
import sys

from autograder.sandbox import child, warm

PR_SET_PDEATHSIG = 1


def main() -> None:
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    warm.load()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked children are reaped by the kernel
    channel = socket.socket(fileno=int(sys.argv[1]))
    while True:
        fds = _receive(channel)
        if fds is None:
            return
        pid = os.fork()
        if pid == 0:
            channel.close()
            _become_child(fds)
        for fd in fds:
            os.close(fd)
        channel.sendall(struct.pack(">i", pid))


def _receive(channel: socket.socket) -> list[int] | None:
    fds = array.array("i")
    message, ancillary, _, _ = channel.recvmsg(1, socket.CMSG_LEN(4 * fds.itemsize))
    if not message:
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    return list(fds)


def _become_child(fds: list[int]) -> None:
    request, stdout, stderr, answers = fds
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (stdout, stderr):
        os.close(fd)
    try:
        child.serve(request, answers)
    finally:
        os._exit(1)


if __name__ == "__main__":
    main()
