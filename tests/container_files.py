"""A container's view of the files, for tests of the container tier on a development machine.

tests/dockersim.py reproduces Docker's capabilities and seccomp profile but shares the host's
files, which differ from a grading container's in ways that matter here:

- course checkouts (with the references and the grader) are world-readable on the host, CI's
  clone and the developer's alike, while in a container the grader exists only where the zip
  was unpacked;
- the interpreter lives under /root (mode 0700), while Gradescope's /usr/bin/python3 is
  readable by everyone.

`container_view(argv)` runs `argv` chrooted into a root built like a container image: the
system trees, /dev, /sys, an empty /tmp and /var/tmp of its own, the interpreter and its
virtual environment, this tests folder, and the folders in /tmp that the command names (where a
test unpacked the zip, in folders only root may enter); nothing else of /root, /work, /tmp or
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
SCRATCH = ("/tmp", "/var/tmp")
#: Where the view is built, inside the private mount namespace only.
VIEW_ROOT = "/mnt"

SCRIPT = r"""
set -eu
mount -t tmpfs -o mode=0755 tmpfs "$VIEW"
bind() {
    [ -e "$1" ] || return 0
    if [ -d "$1" ]; then mkdir -p "$VIEW$1"
    else mkdir -p "$VIEW$(dirname "$1")"; : > "$VIEW$1"; fi
    mount --rbind "$1" "$VIEW$1"
}
for path in $PATHS; do bind "$path"; done
for scratch in $SCRATCH; do  # the container's own, empty scratch folders
    mkdir -p "$VIEW$scratch" && mount -t tmpfs -o mode=1777 tmpfs "$VIEW$scratch"
done
for path in $KEEP; do bind "$path"; done
mkdir "$VIEW/proc" && mount -t proc proc "$VIEW/proc"
cd "$VIEW"
exec chroot "$VIEW" "$@"
"""


def kept_paths(argv: list[str]) -> list[str]:
    """The interpreter, its virtual environment, tests/, and the scratch folders the command
    names (in its arguments, PYTHONPATH or RNN_GRADER_DATA): a test's own folder in /tmp, say.
    Nothing else of the host's /tmp is shown: other checkouts may lie there."""
    interpreter = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    named = [*argv, *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    named.append(os.environ.get("RNN_GRADER_DATA", ""))
    shared = set()
    for text in named:
        parts = Path(text).parts if text.startswith("/") else ()
        if len(parts) > 2 and f"/{parts[1]}" in SCRATCH and Path(text).exists():
            folder = Path(*parts[:3])
            if not TESTS.parent.is_relative_to(folder):  # never a folder holding the checkout
                shared.add(str(folder))
    return [*sorted(interpreter), str(TESTS), *sorted(shared)]


def container_view(argv: list[str]) -> list[str]:
    """`argv`, to be run as the host's root inside the view (paths in it are the host's)."""
    paths = " ".join(shlex.quote(path) for path in SYSTEM)
    keep = " ".join(shlex.quote(path) for path in kept_paths(argv))
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
        f"KEEP={keep}",
        f"SCRATCH={' '.join(SCRATCH)}",
        "sh",
        "-c",
        SCRIPT,
        "container-view",
        *argv,
    ]
