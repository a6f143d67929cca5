"""Which confinement tier grades here, proven before any student code runs, and its housekeeping.

`choose` runs once per grading process. For each candidate tier (grader.yaml's
`sandbox.confinement`; `auto` tries namespaces, then the container tier) a confined child, as the
sandbox uid, tries what student code must never do: read the grader's files (its source, the
references, the calibrations, grader.yaml, the course data), write where results live, reach a
TCP listener of the grader, open network sockets and signal the grader. The first tier where all
of that fails is used; a tier where any of it succeeds is refused, naming the file or the call.
Where no tier holds, grading stops with one message that says what to change.

The container tier shares the host's process space and files, so after every child the grader
kills every process of the slot's uid and removes what that uid left in the world-writable
folders (`reap`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import pwd
import resource
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.cache import grader_cache
from autograder.errors import GraderError
from autograder.sandbox.exchange import ExerciseRequest, Isolation, SandboxError

if TYPE_CHECKING:
    from autograder.config import Course
    from autograder.sandbox.spawn import Zygote

TIERS = ("namespaces", "container")
#: Folders anyone may write to: the container tier's uid may leave files there.
SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")
#: At most this many files of each protected tree are tried (their folders are all tried).
FILES_PER_TREE = 400
#: The least address space (ulimit -v) grading works in. Importing torch maps 640 MB; every
#: assignment's reference got full marks at 1280 MB and failed at 768 MB (docs/sandbox.md).
MIN_ADDRESS_SPACE_MB = 1536
GRADER_PACKAGES = ("autograder", "solutions")


class IsolationError(GraderError):
    """No confinement tier holds on this machine: nothing may be graded."""


@dataclass(frozen=True)
class Protected:
    """What student code must not read (files and folders) or write (folders)."""

    read: tuple[str, ...]
    write: tuple[str, ...] = ()

    def plus(self, read: tuple[str, ...] = (), write: tuple[str, ...] = ()) -> Protected:
        return Protected(tuple(sorted({*self.read, *read})), tuple(sorted({*self.write, *write})))


def grader_paths(course_root: Path, data_dir: Path | None) -> Protected:
    """The course checkout (grader.yaml, references, calibrations), the grader's code, the data,
    and the grader's cache."""
    read = {str(course_root.resolve())}
    for package in GRADER_PACKAGES:
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            read.add(os.path.realpath(location))
    if data_dir is not None and os.path.lexists(data_dir):
        read.add(os.path.realpath(data_dir))
    if grader_cache().exists():  # the known mistakes' signatures, derived from the references
        read.add(os.path.realpath(grader_cache()))
    return Protected(tuple(sorted(read)), (str(course_root.resolve()),))


def check_host_limits() -> None:
    """Refuse a host whose hard limits leave grading no room, naming the limit and the fix."""
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY and hard < MIN_ADDRESS_SPACE_MB << 20:
        raise IsolationError(
            f"the host's hard limit on address space (ulimit -v) is {hard >> 20} MB; grading "
            f"needs at least {MIN_ADDRESS_SPACE_MB} MB (PyTorch alone maps about 640 MB), so "
            "nothing was graded. Raise or remove that limit where the grader is started "
            "(a memory cgroup such as Docker's --memory is the way to bound memory)."
        )


def choose(
    wanted: str,
    protected: Protected,
    uid_base: int,
    limits_json: str,
    zygote: Zygote | None = None,
) -> str:
    """The tier to grade with: `wanted` proven, or under `auto` the first candidate that holds.

    With a `zygote` the proof runs in one of its children, the very path the graded children
    take, and costs a fork instead of a fresh interpreter importing torch.
    """
    check_host_limits()
    if wanted == "none":
        return "none"
    return _choose(wanted, protected, uid_base, limits_json, zygote)


@functools.cache
def _choose(
    wanted: str, protected: Protected, uid_base: int, limits_json: str, zygote: Zygote | None
) -> str:
    candidates = TIERS if wanted == "auto" else (wanted,)
    refused = []
    for tier in candidates:
        problem = prove(tier, protected, uid_base, limits_json, zygote)
        if problem is None:
            return tier
        refused.append(f"- {tier}: {problem}")
    raise IsolationError(
        "student code cannot be isolated on this machine, so nothing was graded:\n"
        + "\n".join(refused)
        + "\nFix: run the grader as root (the container tier needs it; inside Docker or "
        "Gradescope it is root already), or allow namespaces (unprivileged user namespaces, or "
        "--cap-add SYS_ADMIN with a seccomp profile that permits unshare), and keep the grader's "
        "files unreadable to other users (chmod -R go-rwx on the folders named above). On a "
        "machine of your own, `sandbox: {confinement: none}` in grader.yaml grades without "
        "isolation; every result then says so."
    )


def prove(
    tier: str,
    protected: Protected,
    uid_base: int,
    limits_json: str,
    zygote: Zygote | None = None,
) -> str | None:
    """Why `tier` does not hold here (the first breach found), or None when it does."""
    from autograder.config import Limits
    from autograder.sandbox.launcher import run_submission  # it imports this module

    if tier == "container":
        if os.geteuid() != 0:
            return "the grader does not run as root, so it cannot drop student code to another uid"
        if owner := uid_in_use(uid_base):
            return f"uid {uid_base} belongs to {owner}; set sandbox.uid_base to a free range"
    with _listener() as port:
        probe = {
            "kind": "confinement_check",
            "files": _files_of(protected.read),
            "folders": [path for path in protected.read if os.path.isdir(path)],
            "writable": list(protected.write),
            "port": port,
            "grader_pid": os.getpid(),
        }
        isolation = Isolation(tier=tier, uid_base=uid_base, slot=0)
        try:
            outcome = run_submission(
                [],
                [ExerciseRequest("preflight", [probe])],
                Limits.model_validate_json(limits_json),
                isolation,
                zygote=zygote,
            )
        except SandboxError as error:
            return error.short
    answer = outcome.answers.get("preflight")
    result = answer.probes[0] if answer and answer.probes else {}
    if answer is None or answer.fatal or not result.get("ok"):
        error = (answer.fatal if answer else None) or result.get("error") or {}
        return f"the preflight did not finish ({error.get('type')}: {error.get('message')})"
    return _breach(tier, result)


def _breach(tier: str, found: dict) -> str | None:
    if found.get("readable"):
        readable = found["readable"]
        more = f" (and {len(readable) - 1} more)" if len(readable) > 1 else ""
        return f"the sandbox uid can read {readable[0]}{more}"
    if found.get("writable"):
        return f"the sandbox uid can write into {found['writable'][0]}"
    if found.get("connected"):
        return "the sandbox reached a TCP listener of the grader on 127.0.0.1"
    if tier == "container" and found.get("sockets"):
        return f"the sandbox could open {', '.join(found['sockets'])} sockets"
    if found.get("signalled"):
        return "the sandbox could signal the grader's process"
    return None


def _files_of(trees: tuple[str, ...]) -> list[str]:
    """Files of each protected tree (bounded), read here as root, tried there as the uid."""
    files: list[str] = []
    for tree in trees:
        if os.path.isfile(tree):
            files.append(tree)
            continue
        found = 0
        for folder, dirs, names in os.walk(tree):
            dirs[:] = [d for d in dirs if d not in {".git", "__pycache__", ".venv"}]
            for name in names[: FILES_PER_TREE - found]:
                files.append(os.path.join(folder, name))
            found = min(FILES_PER_TREE, found + len(names))
            if found >= FILES_PER_TREE:
                break  # enough of this tree: walking the rest would only cost time
    return files


@contextlib.contextmanager
def _listener():
    """A TCP port on loopback that no sandbox may reach."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def container_root(uid: int, gid: int) -> str:
    """The container tier's folder: root-owned, holding `work` and `tmp` that only `uid` may use."""
    root = tempfile.mkdtemp(prefix="rnn-grader-sandbox-")
    os.chmod(root, 0o711)
    for name in ("work", "tmp"):
        path = os.path.join(root, name)
        os.mkdir(path, 0o700)
        os.chown(path, uid, gid)
    return root


def reap(uid: int) -> None:
    """Kill every process of `uid` and remove what it left in the shared scratch folders."""
    for _ in range(20):  # a fork bomb (bounded by RLIMIT_NPROC) may refill between rounds
        pids = _processes_of(uid)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for folder in SHARED_SCRATCH:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)


def _processes_of(uid: int) -> list[int]:
    """Live processes with `uid` among their real, effective or saved uids.

    Read from /proc/PID/status, not the folder's owner: a process that made itself
    non-dumpable shows a root-owned folder.
    """
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields: dict[str, str] = {}
        with contextlib.suppress(OSError), open(f"/proc/{entry}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if str(uid) in fields.get("Uid", "").split()[:3]:
            pids.append(int(entry))
    return pids


def uid_in_use(uid: int) -> str | None:
    """A name or process that already owns `uid`: the container tier would kill or expose it."""
    with contextlib.suppress(KeyError):
        return f"user {pwd.getpwuid(uid).pw_name}"
    if _processes_of(uid):
        return "a running process"
    return None


def with_tier(isolation: Isolation, tier: str) -> Isolation:
    """The same isolation, confined in `tier` ("none": not confined)."""
    return replace(isolation, tier=tier, confine=tier != "none")


def isolation_for(
    course: Course,
    slot: int = 0,
    extra: Protected | None = None,
    zygote: Zygote | None = None,
) -> Isolation:
    """The proven isolation for grading `course` in worker `slot` (IsolationError if none)."""
    sandbox = course.config.sandbox
    protected = grader_paths(course.root, course.config.resolved_data_dir())
    if extra is not None:
        protected = protected.plus(extra.read, extra.write)
    limits = course.config.limits.model_dump_json()
    tier = choose(sandbox.confinement, protected, sandbox.uid_base, limits, zygote)
    return with_tier(Isolation(slot=slot, uid_base=sandbox.uid_base), tier)
