"""A container's view of the files, for tests of the container tier on a development machine.

tests/dockersim.py reproduces Docker's capabilities and seccomp profile but shares the host's
files. Two of those differ from a grading container in ways that matter here:

- the course checkout (with the references and the grader) is world-readable on the host, while
  in a container the grader exists only where the zip was unpacked;
- the interpreter lives under /root (mode 0700), while Gradescope's /usr/bin/python3 is
  readable by everyone.

`container_view(argv)` runs `argv` in a private mount namespace (this needs the host's root and
namespaces, which our development machines and CI have) where the checkout is an empty folder
except for its virtual environment, and /root is an empty traversable folder except for the
interpreter. Nothing changes outside that namespace.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
set -eu
stage=$(mktemp -d /tmp/rnn-grader-view-XXXXXX)
n=0
for keep in $KEEP; do  # set these paths aside before their parents are covered
    n=$((n + 1)); mkdir "$stage/$n"; mount --bind "$keep" "$stage/$n"
done
for hide in $HIDE; do
    mount -t tmpfs -o mode=0755,size=1m tmpfs "$hide"
done
n=0
for keep in $KEEP; do
    n=$((n + 1)); mkdir -p "$keep"; mount --move "$stage/$n" "$keep"; rmdir "$stage/$n"
done
rmdir "$stage"
exec "$@"
"""


def kept_paths() -> list[str]:
    """The interpreter and the virtual environment the tests run with."""
    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    return sorted(paths)


def hidden_paths() -> list[str]:
    """The checkout and /root: what a container would not have (or not show to others)."""
    return sorted({str(REPO_ROOT), os.path.realpath(os.path.expanduser("~root"))})


def container_view(argv: list[str]) -> list[str]:
    """`argv`, to be run where the checkout and /root hold only the interpreter and its venv."""
    keep = " ".join(shlex.quote(path) for path in kept_paths())
    hide = " ".join(shlex.quote(path) for path in hidden_paths())
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "env",
        f"KEEP={keep}",
        f"HIDE={hide}",
        "sh",
        "-c",
        SCRIPT,
        "container-view",
        *argv,
    ]
