"""Enter a simulation of Docker's default container, then exec a command there.

    python tests/dockersim_exec.py [--uid UID] -- COMMAND...

Run as the host's root. It loads a seccomp filter with the rules of Docker's default profile
that concern a process without CAP_SYS_ADMIN, then execs `setpriv`, which cuts the capability
bounding set to Docker's defaults (and, with --uid, drops to that uid and gid) before it execs
COMMAND. The filter is loaded first because loading one without no_new_privs needs
CAP_SYS_ADMIN, which the bounding set then removes; Docker does not set no_new_privs either.
tests/dockersim.py builds these command lines; this file stays free of test imports so that
starting it costs little.
"""

from __future__ import annotations

import argparse
import errno
import os

#: Docker's default capabilities (moby's oci/caps/defaults.go), in setpriv's spelling.
CAPABILITIES = (
    "chown",
    "dac_override",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "net_bind_service",
    "net_raw",
    "sys_chroot",
    "mknod",
    "audit_write",
    "setfcap",
)

#: Calls Docker's default profile refuses (EPERM) to a process without CAP_SYS_ADMIN.
REFUSED = (
    "unshare",
    "mount",
    "umount2",
    "pivot_root",
    "setns",
    "sethostname",
    "setdomainname",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
)

#: clone(2) flags that create a namespace; the profile allows clone only without any of them.
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)

SETPRIV = "/usr/bin/setpriv"


def load_filter() -> None:
    """Docker's refusals, for this process and everything it execs; no_new_privs stays off."""
    # Imported here so that tests/dockersim.py can read this module where libseccomp is
    # missing and skip with a message instead of failing to import.
    import pyseccomp as seccomp

    refuse = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.CTL_NNP, 0)
    if seccomp.system_arch() == seccomp.Arch.X86_64:  # Docker's amd64 profile covers these too
        rules.add_arch(seccomp.Arch.X86)
        rules.add_arch(seccomp.Arch.X32)
    for call in REFUSED:
        rules.add_rule(refuse, call)
    # Docker allows clone when (flags & namespace flags) == 0; one masked rule per flag
    # refuses exactly the complement.
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 keeps its flags in memory, out of a filter's reach: ENOSYS sends glibc to clone.
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.load()


def setpriv_argv(command: list[str], uid: int | None) -> list[str]:
    """setpriv with Docker's bounding set and no inheritable capabilities, as root or `uid`."""
    bounding = ",".join(["-all", *(f"+{cap}" for cap in CAPABILITIES)])
    user = [] if uid is None else ["--reuid", str(uid), "--regid", str(uid), "--clear-groups"]
    return [SETPRIV, "--bounding-set", bounding, "--inh-caps=-all", *user, "--", *command]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uid", type=int, help="run COMMAND as this uid (and gid), like --user")
    parser.add_argument("command", nargs="+", help="what to run inside")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: the simulation loads its filter with CAP_SYS_ADMIN")
    load_filter()
    argv = setpriv_argv(args.command, args.uid)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
