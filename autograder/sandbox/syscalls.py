"""The container tier's system-call filter: what student code may not ask the kernel for.

Where namespaces are refused (Docker's defaults, Gradescope, a Kubernetes pod), the child cannot
hide the network or the grader's files behind a new root. It then relies on three things: an
unprivileged uid (file modes shut it out), no_new_privs, and this seccomp filter, built with
libseccomp through pyseccomp. The filter refuses, with EPERM:

- every socket that is not AF_UNIX (no network, no raw packets, no netlink);
- reading or writing another process's memory (ptrace, process_vm_readv/writev);
- namespaces, mounts and the new mount API, so student code cannot build its own root;
- kernel facilities that have been container escapes (bpf, perf_event_open, keyring calls,
  io_uring, userfaultfd, module loading).

clone3 answers ENOSYS so that the C library falls back to clone, whose namespace flags are then
checked one by one (a BPF filter cannot read clone3's flags, which live in memory).
Docker's own profile already refuses several of these; ours is stacked on top and holds where
Docker's is absent (a privileged container, a bare VM).
"""

from __future__ import annotations

import errno
import socket

# Imported (and libseccomp loaded) while the child is still root: after the uid drop the
# binding's files may not be readable any more.
try:
    import pyseccomp as seccomp
except (ImportError, OSError) as _error:  # the binding loads libseccomp.so.2 on import
    seccomp = None
    _MISSING = f"libseccomp is not available ({_error})"

#: Namespace flags of clone(2): any of them set means a new namespace, which is refused.
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)

REFUSED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "sethostname",
    "setdomainname",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "open_by_handle_at",
    "name_to_handle_at",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
)


class FilterUnavailableError(RuntimeError):
    """libseccomp (or its Python binding) is missing: the container tier cannot be used."""


def install() -> list[str]:
    """Load the filter into this process (inherited by every child); return calls unknown here.

    Requires no_new_privs (or CAP_SYS_ADMIN). A call this kernel or libseccomp does not know
    cannot be made either, so leaving it out of the filter is safe; it is returned for the log.
    """
    if seccomp is None:
        raise FilterUnavailableError(_MISSING)
    refuse = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    unknown = []
    for call in REFUSED:
        try:
            rules.add_rule(refuse, call)
        except (ValueError, RuntimeError, OSError):
            unknown.append(call)
    rules.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    try:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    except (ValueError, RuntimeError, OSError):
        unknown.append("clone3")
    rules.load()
    return unknown
