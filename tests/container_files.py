"""A container's view of the files, for tests of the container tier on a development machine.

tests/dockersim.py reproduces Docker's capabilities and seccomp profile but shares the host's
files, which differ from a grading container's in ways that matter here:

- course checkouts (with the references and the grader) are world-readable on the host, CI's
  clone and the developer's alike, while in a container the grader exists only where the zip
  was unpacked;
- the interpreter lives under /root (mode 0700), while Gradescope's /usr/bin/python3 is
  readable by everyone.

`container_view(argv)` runs `argv` chrooted into a root built like a container image: the
system trees, /dev, /sys, /tmp (where tests unpack the zip, in folders only root may enter), the
interpreter and its virtual environment, and this tests folder; nothing else of /root, /work or
any checkout. As in Docker, `argv` is process 1 of its own PID namespace with its own /proc.
It needs the host's root and namespaces, which our development machines and CI have; nothing
changes outside the private namespaces it makes.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/sys")
SHARED = ("/tmp", "/var/tmp")
#: Where the view is built, inside the private mount namespace only.
VIEW_ROOT = "/mnt"

SCRIPT = r"""
set -eu
mount -t tmpfs -o mode=0755 tmpfs "$VIEW"
for path in $PATHS; do
    [ -e "$path" ] || continue
    if [ -d "$path" ]; then mkdir -p "$VIEW$path"
    else mkdir -p "$VIEW$(dirname "$path")"; : > "$VIEW$path"; fi
    mount --rbind "$path" "$VIEW$path"
done
mkdir "$VIEW/proc" && mount -t proc proc "$VIEW/proc"
cd "$VIEW"
exec chroot "$VIEW" "$@"
"""


def visible_paths() -> list[str]:
    """What the view holds: system trees, scratch folders, the interpreter, its venv, tests/."""
    interpreter = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    return [*SYSTEM, *SHARED, *sorted(interpreter), str(TESTS)]


def container_view(argv: list[str]) -> list[str]:
    """`argv`, to be run as the host's root inside the view (paths in it are the host's)."""
    paths = " ".join(shlex.quote(path) for path in visible_paths())
    return [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--propagation",
        "private",
        "env",
        f"VIEW={VIEW_ROOT}",
        f"PATHS={paths}",
        "sh",
        "-c",
        SCRIPT,
        "container-view",
        *argv,
    ]
