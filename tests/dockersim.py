"""Run a command in a simulation of Docker's default container, where graders really run.

Docker (and so Gradescope) gives root a cut-down capability set and a seccomp profile that
refuses namespaces and mounts; the sandbox's namespace tier cannot start there. To test what
does, on a development machine or in CI (both root, with namespaces):

    argv = dockersim.docker_default([sys.executable, "-c", code])            # as root
    argv = dockersim.docker_default(cmd, uid=uid)                             # like --user
    result = dockersim.run_in_container(cmd, container_files=True, capture_output=True)

`docker_default` prefixes a command line with tests/dockersim_exec.py (Docker's seccomp rules,
then setpriv with Docker's capabilities). The simulation shares the host's process space,
network and files: use uids from tests/uids.py, which no other test run uses.

On our machines the interpreter lives under /root (mode 0700), which an unprivileged uid cannot
read, while Gradescope's /usr/bin/python3 is readable by everyone. `container_files=True` runs
the command in tests/container_files.py's view of a container's files (a private mount
namespace): the system, this interpreter and its virtual environment are there and readable,
the grader's checkout is not. The sandbox uid can then start and import this very interpreter,
torch included, as on Gradescope. It costs milliseconds; a second interpreter the uid can read
(Debian's python3 with torch and the course's packages) would cost 50 s and 1.6 GB per run.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.container_files import container_view
from tests.dockersim_exec import SETPRIV

EXEC = Path(__file__).with_name("dockersim_exec.py")


@functools.cache
def unavailable_reason(container_files: bool = False) -> str | None:
    """Why the simulation cannot run here (for a skip message), or None when it can."""
    if os.geteuid() != 0:
        return "the Docker simulation needs root (it loads a filter with CAP_SYS_ADMIN)"
    if not os.access(SETPRIV, os.X_OK):
        return f"the Docker simulation needs {SETPRIV} (util-linux)"
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp.so.2)
    except (ImportError, OSError, RuntimeError) as error:
        return f"the Docker simulation needs pyseccomp and libseccomp: {error}"
    if container_files and not _can_unshare_mounts():
        return "a container's view of the files needs mount namespaces (unshare --mount)"
    return None


def _can_unshare_mounts() -> bool:
    unshare = shutil.which("unshare")
    probe = [unshare, "--mount", "true"]
    return unshare is not None and subprocess.run(probe, capture_output=True).returncode == 0


def available(container_files: bool = False) -> bool:
    """True where `docker_default` (with `container_files`) can run."""
    return unavailable_reason(container_files) is None


def needs_dockersim(container_files: bool = False) -> pytest.MarkDecorator:
    """A skip marker naming what is missing: `@dockersim.needs_dockersim()`."""
    reason = unavailable_reason(container_files)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def docker_default(
    argv: list[str], *, uid: int | None = None, container_files: bool = False
) -> list[str]:
    """`argv` as run by `docker run` with default security (as root, or `--user uid:uid`).

    With `container_files`, the files are seen as in a container too: the interpreter and its
    virtual environment, not the checkout (see the module docstring).
    """
    # The exec program's text rather than its path: the checkout is hidden in a container view.
    user = [] if uid is None else ["--uid", str(uid)]
    # -I ignores PYTHONPATH: hand over this interpreter's own import path (pyseccomp's folder).
    paths = [path for path in sys.path if os.path.isabs(path)]
    program = (
        f"import sys; sys.path[:0] = {paths!r}; "
        f"exec(compile({EXEC.read_text()!r}, 'dockersim_exec.py', 'exec'))"
    )
    inside = [sys.executable, "-I", "-c", program, *user, "--", *argv]
    return container_view(inside) if container_files else inside


def run_in_container(
    argv: list[str],
    *,
    uid: int | None = None,
    container_files: bool = False,
    **kwargs,
) -> subprocess.CompletedProcess:
    """subprocess.run of `docker_default(argv, ...)`; `kwargs` go to subprocess.run.

    The working directory defaults to /, a container's default.
    """
    kwargs.setdefault("cwd", "/")
    return subprocess.run(docker_default(argv, uid=uid, container_files=container_files), **kwargs)
