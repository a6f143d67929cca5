"""The container tier: where namespaces are refused (Docker's defaults, Gradescope, Kubernetes).

The fast tests check the pieces on this machine: the seccomp filter, the preflight's refusals,
the sweep of a uid's processes and files, the host-limit check. The slow ones grade through the
Gradescope zip inside a simulation of Docker's default container (tests/dockersim_exec.py) that
sees only a container's files (tests/container_files.py): solved and blank notebooks of every
assignment, the attack suite, a 768 MB memory cgroup, and an unprivileged user, who must be
refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from autograder.config import Course
from autograder.sandbox import tiers
from tests import dockersim, submissions
from tests import gradescope_layout as layout
from tests.gradescope_layout import results
from tests.memory_cgroup import available as cgroup_problem
from tests.memory_cgroup import memory_cgroup
from tests.test_attacks import CHEATS, DISRUPTIONS, MARKER, attacked
from tests.uids import UID_BASE

TESTS = Path(__file__).resolve().parent
ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]
LIMITS = '{"cpu_seconds": 60, "wall_seconds": 120, "memory_mb": 4096, "max_processes": 64, "max_output_kb": 256}'  # noqa: E501

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the container tier needs root")


def in_docker_defaults(argv: list[str], uid: int | None = None) -> list[str]:
    return dockersim.docker_default(argv, uid=uid, container_files=True)


# --- pieces, on this machine ---------------------------------------------------------------------

FILTER_PROBE = textwrap.dedent(
    """
    import ctypes, errno, json, os, socket
    from autograder.sandbox import syscalls
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(38, 1, 0, 0, 0) == 0  # no_new_privs, as the child sets it
    syscalls.install()
    def refused(call):
        try:
            call()
        except OSError as error:
            return errno.errorcode[error.errno]
        return "allowed"
    def raw(result):
        if result != 0:
            raise OSError(ctypes.get_errno(), "")
    def forks():
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    print(json.dumps({
        "inet": refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()),
        "inet6": refused(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()),
        "netlink": refused(lambda: socket.socket(16, socket.SOCK_RAW).close()),
        "unix": refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
        "unshare": refused(lambda: raw(libc.unshare(0x40000000))),
        "ptrace": refused(lambda: raw(libc.ptrace(16, os.getppid(), 0, 0))),
        "clone_newpid": refused(lambda: raw(min(0, libc.syscall(56, 0x20000000 | 17, 0, 0, 0)))),
        "clone3": refused(lambda: raw(libc.syscall(435, 0, 0))),
        "fork": refused(forks),
    }))
    """
)


def test_the_filter_refuses_the_network_ptrace_and_namespaces(repo_root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FILTER_PROBE], capture_output=True, text=True, cwd=repo_root
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found == {
        "inet": "EPERM",
        "inet6": "EPERM",
        "netlink": "EPERM",
        "unix": "allowed",
        "unshare": "EPERM",
        "ptrace": "EPERM",
        "clone_newpid": "EPERM",
        "clone3": "ENOSYS",
        "fork": "allowed",
    }


@needs_root
def test_the_preflight_names_a_grader_file_the_sandbox_could_read(repo_root: Path) -> None:
    # A checkout is world-readable here, as on most machines: the container tier must refuse.
    protected = tiers.Protected((str(repo_root / "solutions"),))
    problem = tiers.prove("container", protected, UID_BASE, LIMITS)
    assert problem is not None
    assert f"the sandbox uid can read {repo_root / 'solutions'}" in problem


@needs_root
def test_the_preflight_holds_when_the_grader_is_out_of_reach(tmp_path: Path) -> None:
    shut = tmp_path / "shut"
    shut.mkdir(mode=0o700)
    (shut / "grader.yaml").write_text("secret: 1\n")
    protected = tiers.Protected((str(shut),), (str(shut), str(tmp_path)))
    os.chmod(tmp_path, 0o755)  # its parent is root's own: shut's mode is what keeps it out
    assert tiers.prove("container", protected, UID_BASE + 1, LIMITS) is None


@needs_root
def test_the_preflight_refuses_a_uid_that_belongs_to_someone() -> None:
    problem = tiers.prove("container", tiers.Protected(()), 0, LIMITS)
    assert problem == "uid 0 belongs to user root; set sandbox.uid_base to a free range"


@needs_root
def test_reap_kills_every_process_of_the_uid_and_removes_its_scratch_files() -> None:
    uid = UID_BASE + 7
    sleeper = subprocess.Popen(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--",
            "sh",
            "-c",
            f"touch /tmp/rnn-grader-reap-{uid}; setsid sleep 300 & sleep 300",
        ],
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/rnn-grader-reap-{uid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tiers._processes_of(uid)
    tiers.reap(uid)
    sleeper.wait(timeout=10)
    assert tiers._processes_of(uid) == []
    assert not Path(f"/tmp/rnn-grader-reap-{uid}").exists()


def test_a_host_address_space_limit_without_room_is_refused_by_name(repo_root: Path) -> None:
    code = "from autograder.sandbox import tiers; tiers.check_host_limits()"
    done = subprocess.run(
        ["sh", "-c", f'ulimit -v 786432 && exec "{sys.executable}" -c "{code}"'],
        capture_output=True,
        text=True,
        cwd=repo_root,
    )
    assert done.returncode != 0
    assert "the host's hard limit on address space (ulimit -v) is 768 MB" in done.stderr


# --- through the Gradescope zip, in the simulated container ------------------------------------


def unpack(course: Course, assignment: str, folder: Path, notebook: nbformat.NotebookNode) -> Path:
    return layout.unpack(course, assignment, folder, notebook, sandbox={"uid_base": UID_BASE + 16})


def run_autograder(root: Path, wrap=None) -> subprocess.CompletedProcess:
    return layout.run_autograder(root, wrap or in_docker_defaults)


@pytest.fixture(scope="module")
def course_with_data(repo_root: Path, course_data_dir: Path):
    """The course, with the data its zips carry at build time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNN_GRADER_DATA", str(course_data_dir))
        yield Course(repo_root / "grader.yaml")


@needs_root
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_zip_grades_in_docker_defaults(
    course_with_data: Course, assignment: str, tmp_path: Path
) -> None:
    course = course_with_data
    solved = unpack(
        course, assignment, tmp_path / "solved", submissions.reference(course, assignment)
    )
    blank = unpack(course, assignment, tmp_path / "blank", submissions.blank(course, assignment))
    trains = any(e.training for e in course.config.assignment(assignment).exercises.values())
    for root, expected in ((solved, "max"), (blank, 0.0)):
        # The data comes from the zip: no other copy is visible in the container's files.
        assert (root / "source" / "data" / "SHA256SUMS").exists() or assignment == "rnn_basics"
        done = run_autograder(
            root, lambda argv: in_docker_defaults(["env", "-u", "RNN_GRADER_DATA", *argv])
        )
        if trains and expected == "max":
            assert (
                "not_graded" not in results(root)["extra_data"]
                or not results(root)["extra_data"]["not_graded"]
            )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        found = results(root)
        max_points = course.config.assignment(assignment).max_points
        assert found["score"] == (max_points if expected == "max" else 0.0), done.stdout[-3000:]
        assert found["extra_data"]["confinement"] == "container"
        assert not tiers._processes_of(UID_BASE + 16)


@needs_root
@pytest.mark.slow
def test_the_attacks_are_contained_in_the_container_tier(course: Course, tmp_path: Path) -> None:
    """tests/test_attacks.py's notebooks, graded in the simulated container in one process."""
    assignment = "names_charlm"
    root = unpack(course, assignment, tmp_path / "class", submissions.blank(course, assignment))
    folder = tmp_path / "class" / "notebooks"
    folder.mkdir()
    blank, reference = (
        submissions.blank(course, assignment),
        submissions.reference(course, assignment),
    )
    notebooks = {"blank": blank, "reference": reference}
    notebooks |= {f"cheat_{name}": attacked(blank, code) for name, code in CHEATS.items()}
    notebooks |= {
        f"disrupt_{name}": attacked(reference, code) for name, (code, _) in DISRUPTIONS.items()
    }
    paths = [str(submissions.write(nb, folder, name)) for name, nb in notebooks.items()]
    MARKER.unlink(missing_ok=True)
    environment = [
        f"PYTHONPATH={root / 'source'}",
        f"PATH={Path(sys.executable).parent}:/usr/bin:/bin",
    ]
    done = subprocess.run(
        in_docker_defaults(
            [
                "env",
                *environment,
                sys.executable,
                str(TESTS / "grade_many.py"),
                str(root / "source" / "grader.yaml"),
                assignment,
                *paths,
            ]
        ),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    assert {s["confinement"] for s in scores.values()} == {"container"}
    assert scores["blank"]["points"] == 0.0
    full = scores["reference"]["points"]
    assert full == course.config.assignment(assignment).max_points - 8  # the training checks
    for name in CHEATS:
        assert scores[f"cheat_{name}"]["points"] == 0.0, name
    for name in DISRUPTIONS:
        assert scores[f"disrupt_{name}"]["points"] == full, (name, scores[f"disrupt_{name}"])
        assert scores[f"disrupt_{name}"]["seconds"] < 3 * course.config.limits.wall_seconds
    assert not MARKER.exists()
    assert not tiers._processes_of(UID_BASE + 16)
    assert not any(entry.stat().st_uid == UID_BASE + 16 for entry in os.scandir("/tmp"))


@needs_root
@pytest.mark.slow
def test_no_isolation_means_no_score_and_a_message_for_the_instructor(course: Course) -> None:
    """An unprivileged user in a default container: neither tier holds, so nothing is graded."""
    user = UID_BASE + 40
    folder = Path(tempfile.mkdtemp(prefix="rnn-grader-user-"))
    try:
        root = unpack(
            course, "rnn_basics", folder / "as-user", submissions.reference(course, "rnn_basics")
        )
        for path in (folder, *folder.rglob("*")):
            os.chown(path, user, user, follow_symlinks=False)
        done = run_autograder(root, wrap=lambda argv: in_docker_defaults(argv, uid=user))
        assert done.returncode != 0
        assert "student code cannot be isolated on this machine" in done.stderr
        assert "container: the grader does not run as root" in done.stderr
        found = results(root)
        assert found["extra_data"]["status"] == "grader_error"
        assert found["tests"] == [] and found["score"] == 0.0
        assert (
            "여러분의 과제에 문제가 있는 것이 아니며" in found["output"]
        )  # the course speaks Korean
        assert "uid" not in found["output"] and "/" not in found["output"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@needs_root
@pytest.mark.slow
@pytest.mark.skipif(cgroup_problem() is not None, reason=str(cgroup_problem()))
def test_gradescope_memory_768_mb_full_marks_and_a_memory_kill_named(
    course_with_data: Course, tmp_path: Path
) -> None:
    """Gradescope's default memory cgroup: the solved notebook fits; a 2 GB cell is the
    student's own memory kill, named as one, and costs nothing else."""
    course = course_with_data
    solved = submissions.reference(course, "names_charlm")
    hungry = attacked(solved, "blob = b'x' * (2 * 1024**3)\n")
    for name, notebook in (("solved", solved), ("hungry", hungry)):
        root = unpack(course, "names_charlm", tmp_path / name, notebook)
        with memory_cgroup(768) as group:
            done = run_autograder(
                root, wrap=lambda argv, g=group: g.in_cgroup(in_docker_defaults(argv))
            )
            peak = group.peak_mb()
            kills = group.oom_kills()
        print(f"{name}: peak {peak:.0f} MB of 768, OOM kills {kills}")
        assert done.returncode == 0, done.stderr[-3000:]
        found = results(root)
        assert found["score"] == course.config.assignment("names_charlm").max_points
        if name == "hungry":
            assert kills >= 1
            # in the course's language (Korean), the cell named by its first line
            assert (
                "`blob = b'x' * (2 * 1024**3)`(으)로 시작하는 셀: ProcessDied: 코드를 실행하던 "
                "프로세스가 강제 종료되었습니다: 메모리 제한" in found["output"]
            )
        else:
            assert kills == 0 and peak < 768
