"""Lock the child in before student code runs: no network, no grader files, unprivileged, limited.

Runs inside the child, as its first act after importing torch, in one of two tiers (the grader's
preflight, tiers.py, picks and proves one):

- **namespaces**: the child unshares mount, network, PID, IPC and UTS namespaces (adding a user
  namespace when it is not root), becomes PID 1 of the new PID namespace (so that killing it
  kills every process student code started), builds a new root that holds only the allowlisted
  read-only trees (the Python runtime and system libraries), a private working directory and
  /tmp, and pivots into it. The course checkout, the grader, the references, other submissions
  and the data are simply not there.
- **container**: where namespaces are refused (Docker's default seccomp profile, Gradescope, a
  Kubernetes pod) but the grader is root. The child drops to its slot's uid in a working
  directory the grader made for it; file modes shut that uid out of the grader's files, and a
  seccomp filter (syscalls.py) refuses the network, ptrace and namespaces. The grader kills every
  process of that uid after each run (tiers.py).

Both end with resource limits (never above the limits already in force), no_new_privs and an
unprivileged uid (or, in a user namespace, no capabilities).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import resource
import signal
from dataclasses import dataclass, field

from autograder.sandbox import syscalls

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1,
    2,
    4,
    32,
    4096,
    16384,
    1 << 18,
)
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine(), 155)
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine(), 126)
DEVICES = ("null", "zero", "full", "random", "urandom")
WORKDIR = "/sandbox-work"

_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(RuntimeError):
    """The sandbox could not be set up; the grader reports it and grades nothing."""


@dataclass(frozen=True)
class Confinement:
    """What the child may see and use. Built by the grader, applied by the child."""

    new_root: str
    expose: tuple[str, ...]
    hide: tuple[str, ...] = ()
    uid: int = 61000
    gid: int = 61000
    cpu_seconds: int = 600
    memory_mb: int = 4096
    max_processes: int = 64
    max_file_mb: int = 64
    scratch_mb: int = 256
    extra_devices: tuple[str, ...] = field(default_factory=tuple)
    #: Training on the GPU: CUDA reserves far more address space than any sane RLIMIT_AS, so
    #: memory is then bounded by RLIMIT_DATA (private writable memory) instead.
    gpu: bool = False
    #: "namespaces" or "container" (see the module's docstring)
    tier: str = "namespaces"

    @classmethod
    def from_json(cls, data: dict) -> Confinement:
        data = dict(data)
        for key in ("expose", "hide", "extra_devices"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)


def enter(spec: Confinement) -> None:
    """Confine the calling process in the spec's tier; returns in the confined process."""
    if spec.tier == "container":
        _enter_container(spec)
    else:
        _enter_namespaces(spec)


def _enter_namespaces(spec: Confinement) -> None:
    """Returns as PID 1 of a new PID namespace, in a new root."""
    as_root = os.geteuid() == 0
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_libc.unshare(flags | (0 if as_root else CLONE_NEWUSER)), "unshare namespaces")
    if not as_root:
        _map_ids(outer_uid, outer_gid)
    _become_pid_one()
    _build_root(spec, as_root)
    _limit(spec)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs")
    if as_root:
        os.setgroups([])
        os.setresgid(spec.gid, spec.gid, spec.gid)
        os.setresuid(spec.uid, spec.uid, spec.uid)
        die_with_parent()  # a change of credentials clears the parent-death signal
    else:
        _drop_capabilities()
    os.chdir(WORKDIR)
    os.environ.update(HOME=WORKDIR, TMPDIR="/tmp", PWD=WORKDIR)


def _enter_container(spec: Confinement) -> None:
    """Drop to the slot's uid with no_new_privs and the seccomp filter, in the grader-made dirs.

    `new_root` is then a root-owned folder holding `work` and `tmp`, both owned by the uid
    (mode 0700): the only places it may write besides the world-writable system ones, which
    the grader sweeps afterwards.
    """
    if os.geteuid() != 0:
        raise ConfinementError("the container tier needs the grader to run as root")
    workdir, tmpdir = spec.new_root + "/work", spec.new_root + "/tmp"
    _limit(spec)
    os.setgroups([])
    os.setresgid(spec.gid, spec.gid, spec.gid)
    os.setresuid(spec.uid, spec.uid, spec.uid)
    die_with_parent()  # a change of credentials clears the parent-death signal
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs")
    try:
        syscalls.install()
    except (syscalls.FilterUnavailableError, OSError, RuntimeError, ValueError) as error:
        raise ConfinementError(f"the seccomp filter could not be loaded: {error}") from None
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=tmpdir, PWD=workdir)
    os.environ.pop("CUDA_CACHE_PATH", None)


def _become_pid_one() -> None:
    """Fork into the new PID namespace; the outer process only relays the inner one's fate."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):  # die of the same signal, so that the grader can name it
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
            os.kill(os.getpid(), os.WTERMSIG(status))
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    die_with_parent()


def die_with_parent() -> None:
    """Be killed with the process that started this one, so no sandbox outlives its grader."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _build_root(spec: Confinement, as_root: bool) -> None:
    new_root = spec.new_root
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID, "mode=0755,size=16m")
    # Scratch space first: an exposed tree may live below /tmp and is then bound inside it.
    for scratch, mode in ((WORKDIR, "0700"), ("/tmp", "1777"), ("/dev/shm", "1777")):
        os.makedirs(new_root + scratch, exist_ok=True)
        owner = f",uid={spec.uid},gid={spec.gid}" if as_root and scratch == WORKDIR else ""
        options = f"mode={mode},size={spec.scratch_mb}m{owner}"
        _mount("tmpfs", new_root + scratch, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path in sorted(set(spec.expose)):
        if os.path.exists(path):
            _bind(path, new_root + path, read_only=True)
    for path in spec.hide:
        if os.path.isdir(new_root + path):
            _mount("tmpfs", new_root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
    os.makedirs(new_root + "/dev", exist_ok=True)
    for device in (*DEVICES, *spec.extra_devices):
        if os.path.exists("/dev/" + device):
            _bind("/dev/" + device, new_root + "/dev/" + device, read_only=False)
    os.makedirs(new_root + "/proc", exist_ok=True)
    _mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV, None)
    os.makedirs(new_root + "/.old", exist_ok=True)
    _check(
        _libc.syscall(SYS_PIVOT_ROOT, new_root.encode(), (new_root + "/.old").encode()),
        "pivot_root",
    )
    os.chdir("/")
    _check(_libc.umount2(b"/.old", MNT_DETACH), "detach the old root")
    os.rmdir("/.old")
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID, None)
    with contextlib.suppress(OSError):
        _libc.sethostname(b"sandbox", 7)


def _bind(source: str, target: str, *, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a"):
            pass
    _mount(source, target, None, MS_BIND | MS_REC, None)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (MS_RDONLY if read_only else 0)
    _mount(None, target, None, flags, None)


def _limit(spec: Confinement) -> None:
    """Each limit is the configured one, or the host's hard limit where that is lower."""
    mb = 1 << 20
    memory = resource.RLIMIT_DATA if spec.gpu else resource.RLIMIT_AS
    for limit, value in (
        (memory, spec.memory_mb * mb),
        (resource.RLIMIT_CPU, spec.cpu_seconds),
        (resource.RLIMIT_NPROC, spec.max_processes),
        (resource.RLIMIT_FSIZE, spec.max_file_mb * mb),
        (resource.RLIMIT_NOFILE, 256),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (fitted(limit, value),) * 2)


def fitted(limit: int, value: int) -> int:
    """`value`, or the hard limit already in force where that is lower (raising it would fail)."""
    hard = resource.getrlimit(limit)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def _map_ids(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"0 {gid} 1")


def _drop_capabilities() -> None:
    """In a user namespace we are 'root' inside it: drop every capability for good."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]

    header = Header(0x20080522, 0)
    empty = (Data * 2)()
    _check(
        _libc.syscall(SYS_CAPSET, ctypes.byref(header), ctypes.byref(empty)), "drop capabilities"
    )


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None):
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    result = _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data))
    _check(result, f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ConfinementError(f"{what} failed: {os.strerror(errno)}")
