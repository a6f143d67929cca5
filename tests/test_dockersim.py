"""The Docker simulation answers every call the sandbox depends on as a default container does.

What a default `docker run` answers (measured in a real container, see
../shared/notes/where-graders-run.md): namespaces, mounts and keyrings refused with EPERM,
clone3 with ENOSYS, while fork, threads, setuid, no_new_privs and a process's own seccomp
filter work; root keeps Docker's 14 capabilities and a `--user` process none. A probe program
asks each of these inside the simulation once; each test checks one answer.
"""

from __future__ import annotations

import json
import sys

import pytest

from tests import dockersim
from tests.conftest import REPO_ROOT
from tests.uids import UID_BASE

pytestmark = dockersim.needs_dockersim()

#: CapEff of root in a default container: chown, dac_override, fowner, fsetid, kill, setgid,
#: setuid, setpcap, net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap.
DOCKER_CAPS = 0xA80425FB
CAP_SYS_ADMIN = 21
#: Not used by anything else in this run (tests/uids.py); sandbox slots start at UID_BASE.
PROBE_UID = UID_BASE + 63

PROBE = r"""
import ctypes, errno, json, os, sys, threading
import pyseccomp

UID = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
NAMESPACES = {"NEWNS": 0x20000, "NEWCGROUP": 0x2000000, "NEWUTS": 0x4000000,
              "NEWIPC": 0x8000000, "NEWUSER": 0x10000000, "NEWPID": 0x20000000,
              "NEWNET": 0x40000000}
SIGCHLD = 17


def arg(value):
    return ctypes.c_long(value) if isinstance(value, int) else value


def call(name, *args):
    # In a child of its own, so that a call that wrongly succeeds changes nothing else here.
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
    pid = os.fork()
    if pid == 0:
        ctypes.set_errno(0)
        rc = libc.syscall(ctypes.c_long(number), *map(arg, args))
        os._exit(ctypes.get_errno() if rc == -1 else 0)  # a clone's child leaves at once too
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return errno.errorcode[code] if code else "ok"


def in_child(check):
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(0 if check() else 1)
        except BaseException:
            os._exit(2)
    return "exit %d" % os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def status(field):
    with open("/proc/self/status") as lines:
        return next(line.split(":")[1].strip() for line in lines if line.startswith(field + ":"))


def drop():
    os.setgroups([])
    os.setresgid(UID, UID, UID)
    os.setresuid(UID, UID, UID)
    return os.getresuid() == (UID, UID, UID) and int(status("CapEff"), 16) == 0


def no_new_privs():
    return libc.prctl(38, 1, 0, 0, 0) == 0 and status("NoNewPrivs") == "1"


def stacked_filter():
    # The sandbox's own order: drop the uid, set no_new_privs, load a filter of its own.
    if not (drop() and no_new_privs()):
        return False
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    rules.add_rule(pyseccomp.ERRNO(errno.EXDEV), "getcwd")
    rules.load()
    try:
        os.getcwd()
    except OSError as error:
        return error.errno == errno.EXDEV and status("Seccomp_filters") == "2"
    return False


def thread():
    seen = []
    worker = threading.Thread(target=seen.append, args=(1,))
    worker.start()
    worker.join()
    return seen == [1]


results = {field: status(field) for field in
           ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp")}
results["uid"] = os.getuid()
if UID == os.getuid():  # the --user variant: only what an unprivileged process could try
    results["setresuid 0"] = call("setresuid", 0, 0, 0)
    import torch
    results["torch"] = torch.__version__
    results["checkout"] = sorted(os.listdir(sys.argv[2])) if os.path.isdir(sys.argv[2]) else []
    print(json.dumps(results))
    sys.exit()
results["unshare NEWNS"] = call("unshare", NAMESPACES["NEWNS"])
results["unshare NEWUSER"] = call("unshare", NAMESPACES["NEWUSER"])
results["mount"] = call("mount", b"none", b"/nonexistent-dockersim", b"tmpfs", 0, None)
results["umount2"] = call("umount2", b"/nonexistent-dockersim", 0)
results["pivot_root"] = call("pivot_root", b"/nonexistent-a", b"/nonexistent-b")
results["fsopen"] = call("fsopen", b"tmpfs", 0)
results["open_tree"] = call("open_tree", -100, b"/nonexistent-dockersim", 0)
namespace_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
results["setns"] = call("setns", namespace_fd, 0)
for name, flag in NAMESPACES.items():
    results["clone " + name] = call("clone", flag | SIGCHLD, 0, 0, 0, 0)
results["clone3"] = call("clone3", None, 0)
results["clone"] = call("clone", SIGCHLD, 0, 0, 0, 0)
results["keyctl"] = call("keyctl", 0, -3, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
results["bpf"] = call("bpf", 0, None, 0)
results["perf_event_open"] = call("perf_event_open", None, 0, -1, -1, 0)
results["fork"] = in_child(lambda: True)
results["thread"] = in_child(thread)
results["setresuid"] = in_child(drop)
results["no_new_privs"] = in_child(no_new_privs)
results["stacked filter"] = in_child(stacked_filter)
print(json.dumps(results))
"""


def _probe(uid: int | None) -> dict:
    result = dockersim.run_in_container(
        [sys.executable, "-c", PROBE, str(PROBE_UID if uid is None else uid), str(REPO_ROOT)],
        uid=uid,
        container_files=uid is not None,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def as_root() -> dict:
    """What root sees in the simulation (docker run IMAGE)."""
    return _probe(None)


@pytest.fixture(scope="module")
def as_user() -> dict:
    """What an unprivileged uid sees (docker run --user), with a container's view of the files."""
    if not dockersim.available(container_files=True):
        pytest.skip(dockersim.unavailable_reason(container_files=True))
    return _probe(PROBE_UID)


REFUSED = [
    "unshare NEWNS",
    "unshare NEWUSER",
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "open_tree",
    "setns",
    *(
        f"clone {flag}"
        for flag in ("NEWNS", "NEWCGROUP", "NEWUTS", "NEWIPC", "NEWUSER", "NEWPID", "NEWNET")
    ),
    "keyctl",
    "bpf",
    "perf_event_open",
]


@pytest.mark.parametrize("call", REFUSED)
def test_namespaces_mounts_and_kernel_facilities_are_refused_with_eperm(
    as_root: dict, call: str
) -> None:
    assert as_root[call] == "EPERM"


def test_clone3_answers_enosys_so_the_c_library_falls_back(as_root: dict) -> None:
    assert as_root["clone3"] == "ENOSYS"
    assert as_root["thread"] == "exit 0"  # glibc's pthread_create then uses clone


@pytest.mark.parametrize("call", ["fork", "setresuid", "no_new_privs", "stacked filter"])
def test_what_the_sandbox_does_to_confine_itself_works(as_root: dict, call: str) -> None:
    assert as_root[call] == "exit 0"


def test_clone_without_namespace_flags_works(as_root: dict) -> None:
    assert as_root["clone"] == "ok"


def test_root_has_dockers_capabilities_and_no_sys_admin(as_root: dict) -> None:
    assert as_root["uid"] == 0
    for field in ("CapEff", "CapPrm", "CapBnd"):
        assert int(as_root[field], 16) == DOCKER_CAPS, field
    assert not DOCKER_CAPS & 1 << CAP_SYS_ADMIN
    assert int(as_root["CapInh"], 16) == int(as_root["CapAmb"], 16) == 0


def test_a_seccomp_filter_is_loaded_without_no_new_privs(as_root: dict) -> None:
    assert (as_root["Seccomp"], as_root["NoNewPrivs"]) == ("2", "0")


def test_an_unprivileged_uid_has_no_capabilities(as_user: dict) -> None:
    assert as_user["uid"] == PROBE_UID
    for field in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert int(as_user[field], 16) == 0, field
    assert int(as_user["CapBnd"], 16) == DOCKER_CAPS
    assert as_user["setresuid 0"] == "EPERM"


def test_an_unprivileged_uid_runs_this_interpreter_but_sees_no_checkout(as_user: dict) -> None:
    """With container_files the interpreter under /root is readable; the grader's files are not."""
    import torch

    assert as_user["torch"] == torch.__version__
    assert as_user["checkout"], "the checkout's virtual environment should be visible"
    assert not {"grader.yaml", "autograder", "solutions"} & set(as_user["checkout"])
