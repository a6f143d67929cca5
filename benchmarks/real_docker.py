"""Grade through the Gradescope zip in a real Docker container with Docker's default security.

    .venv/bin/python -m benchmarks.real_docker [-a names_charlm ...] [--no-data] [--cpus 0.5]

Gradescope runs `run_autograder` as root in a default Docker container (no CAP_SYS_ADMIN, the
default seccomp profile, 768 MB memory). tests/dockersim.py simulates that; this runs the real
thing, on a machine where root may create namespaces (ours and CI's), with no network:

1. containerd and dockerd from Debian's docker.io (`apt-get install -y --no-install-recommends
   docker.io containerd runc`), private to a state folder (--state, kept between runs: it caches
   the images) and stopped by PID at the end;
2. an image imported from this machine's own userland, this interpreter and its virtual
   environment (cached under a tag named after the installed packages), then, per zip, what
   Gradescope's setup.sh does: `pip install /autograder/source` (cached under the zip's hash);
3. for each assignment, the solved master notebook and the blank template in /autograder
   (source/ from the zip, submission/, results/), run as
   `docker run --network none --memory 768m -v DIR:/autograder IMAGE run_autograder`,
   with the prepared course data mounted read-only where grader.yaml's data_dir points.

It prints, per notebook, the score, run_autograder's exit status, the seconds the container
took and its peak memory (the memory cgroup's high-water mark, page cache included).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import datasets
from autograder.config import Course
from autograder.gradescope.package import build_gradescope_zip
from tests import submissions

REPO_ROOT = Path(__file__).resolve().parents[1]
STATE = Path("/var/tmp/rnn-grader-real-docker")
RAW_DATA = REPO_ROOT.parent / "shared" / "datasets"
#: What the image leaves out of this machine's /usr: large and unused by grading.
EXCLUDED = (
    "usr/lib/google-cloud-sdk",
    "usr/lib/jvm",
    "usr/lib/llvm-*",
    "usr/local/cuda*",
    "usr/share/doc",
    "usr/share/man",
)
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Run:
    """One notebook graded in one container."""

    assignment: str
    notebook: str
    score: float | None
    max_points: float
    exit_code: int
    seconds: float
    peak_mib: float | None
    oom_killed: bool
    output: str


class Docker:
    """A containerd and dockerd of our own under `state`, and a client pointed at them."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.socket = state / "docker.sock"
        self.processes: list[subprocess.Popen] = []

    def __call__(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], env=self.env(), text=True, **kwargs)

    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def output(self, *args: str) -> str:
        return self(*args, check=True, capture_output=True).stdout.strip()

    @contextlib.contextmanager
    def running(self) -> Iterator[Docker]:
        """Start both daemons, yield once the client answers, stop them by PID."""
        for tool in ("containerd", "dockerd", "runc", "docker"):
            if shutil.which(tool) is None:
                sys.exit(
                    f"{tool} not found: apt-get install -y --no-install-recommends "
                    "docker.io containerd runc"
                )
        self.state.mkdir(parents=True, exist_ok=True)
        containerd_socket = self.state / "containerd.sock"
        config = self.state / "containerd.toml"
        config.write_text(
            "version = 2\n"
            f'root = "{self.state}/containerd-root"\n'
            f'state = "{self.state}/containerd-state"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            f'[grpc]\n  address = "{containerd_socket}"\n'
        )
        log = (self.state / "daemons.log").open("a")
        try:
            self._start(["containerd", "--config", str(config)], log)
            self._start(
                [
                    "dockerd",
                    "--data-root", f"{self.state}/data",
                    "--exec-root", f"{self.state}/exec",
                    "--pidfile", f"{self.state}/dockerd.pid",
                    "-H", f"unix://{self.socket}",
                    "--containerd", str(containerd_socket),
                    "--storage-driver", "overlay2",
                    "--iptables=false", "--ip6tables=false", "--ip-forward=false",
                    "--ip-masq=false", "--bridge=none",
                    "--exec-opt", "native.cgroupdriver=cgroupfs",
                ],
                log,
            )  # fmt: skip
            self._wait_for_daemon()
            yield self
        finally:
            for process in reversed(self.processes):
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()

    def _start(self, argv: list[str], log) -> None:
        self.processes.append(subprocess.Popen(argv, stdout=log, stderr=log))

    def _wait_for_daemon(self) -> None:
        deadline = time.monotonic() + 60
        while self("version", capture_output=True).returncode != 0:
            if any(process.poll() is not None for process in self.processes):
                sys.exit(f"a daemon exited at start; see {self.state / 'daemons.log'}")
            if time.monotonic() > deadline:
                sys.exit(f"dockerd did not answer within 60 s; see {self.state / 'daemons.log'}")
            time.sleep(0.5)

    def has_image(self, tag: str) -> bool:
        return self("image", "inspect", tag, capture_output=True).returncode == 0


def host_image(docker: Docker) -> str:
    """This machine's userland with this interpreter and venv, tagged by the venv's packages."""
    venv, interpreter = Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()
    site_packages = next(venv.glob("lib/python*/site-packages"))
    installed = sorted(path.name for path in site_packages.glob("*.dist-info"))
    digest = hashlib.sha256(f"{venv}\n{interpreter}\n{installed}".encode()).hexdigest()[:12]
    tag = f"rnn-grader-host:{digest}"
    if docker.has_image(tag):
        return tag
    print(f"importing {tag} from this machine's files (about a minute)...", flush=True)
    # The interpreter's own site-packages are not the venv's; /root itself is not archived, so
    # the image's /root is traversable and the interpreter readable to the sandbox uid, like
    # Gradescope's /usr/bin/python3.
    excluded = [*EXCLUDED, f"{interpreter.relative_to('/')}/lib/python*/site-packages/*"]
    tar = subprocess.Popen(
        [
            "tar", "-C", "/", "-c",
            *(f"--exclude={pattern}" for pattern in excluded),
            "bin", "sbin", "lib", "lib64", "usr", "etc",
            str(interpreter.relative_to("/")), str(venv.relative_to("/")),
            "--no-recursion", "tmp", "var", "var/tmp",
        ],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    path = f"ENV PATH={venv}/bin:{DOCKER_PATH}"
    docker("import", "--change", path, "-", tag, stdin=tar.stdout, check=True, capture_output=True)
    if tar.wait() != 0:
        sys.exit("tar could not archive this machine's files")
    return tag


def grader_image(docker: Docker, base: str, zip_path: Path, scratch: Path) -> str:
    """`base` plus the zip's grader installed by pip, as Gradescope's setup.sh does."""
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()[:12]
    tag = f"rnn-grader-zip:{base.split(':')[1]}-{digest}"
    if docker.has_image(tag):
        return tag
    source = scratch / f"setup-{digest}"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(source)
    name = f"rnn-grader-setup-{digest}"
    docker("rm", "-f", name, capture_output=True)
    # No network here: the dependencies are the venv's already, setuptools builds the wheel.
    install = ["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
               "--no-build-isolation", "/autograder/source"]  # fmt: skip
    mount = f"{source}:/autograder/source"
    done = docker(
        "run", "--name", name, "--network", "none", "-v", mount, base, *install, capture_output=True
    )
    if done.returncode != 0:
        sys.exit(f"pip install of the zip failed:\n{done.stdout}{done.stderr}")
    docker("commit", name, tag, check=True, capture_output=True)
    docker("rm", name, check=True, capture_output=True)
    return tag


def lay_out(folder: Path, zip_path: Path, assignment: str, notebook: nbformat.NotebookNode) -> Path:
    """/autograder as Gradescope has it: source/ (the zip), submission/, results/."""
    root = folder / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes the zip holds
            os.chmod(root / "source" / info.filename, info.external_attr >> 16 & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    submissions.write(notebook, root / "submission", assignment)
    return root


def peak_file(pid: int, container: str) -> Path | None:
    """The file holding the high-water mark of the container's memory cgroup (v1 or v2).

    Looked up once, while `pid` runs: an exited process reads as the root cgroup.
    """
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if container not in path:
            continue
        if "memory" in controllers.split(","):
            return Path(f"/sys/fs/cgroup/memory{path}/memory.max_usage_in_bytes")
        if controllers == "":
            return Path(f"/sys/fs/cgroup{path}/memory.peak")
    return None


def grade(docker: Docker, image: str, root: Path, extra: list[str]) -> dict:
    """run_autograder in a default container: exit status, seconds, peak memory, output."""
    started = time.monotonic()
    run = ["run", "-d", "--network", "none", "--memory", "768m", "-v", f"{root}:/autograder"]
    container = docker.output(*run, *extra, image, "/autograder/source/run_autograder")
    peak = None
    try:
        pid = int(docker.output("inspect", "-f", "{{.State.Pid}}", container))
        peak_path = peak_file(pid, container)
        waiter = subprocess.Popen(
            ["docker", "wait", container], env=docker.env(), stdout=subprocess.PIPE, text=True
        )
        while waiter.poll() is None:  # the cgroup goes with the container: read it meanwhile
            if peak_path is not None:
                with contextlib.suppress(OSError, ValueError):  # removed as the container ends
                    peak = max(peak or 0, int(peak_path.read_text()))
            time.sleep(0.2)
        seconds = time.monotonic() - started
        exit_code = int(waiter.stdout.read().strip())
        oom = docker.output("inspect", "-f", "{{.State.OOMKilled}}", container) == "true"
        logs = docker("logs", container, capture_output=True)
    finally:
        docker("rm", "-f", container, capture_output=True)
    return {
        "exit_code": exit_code,
        "seconds": seconds,
        "peak": peak,
        "oom": oom,
        "output": logs.stdout + logs.stderr,
    }


def prepared_data(state: Path) -> Path:
    """The course data prepared from ../shared/datasets, once per state folder.

    Root's only (mode 0700), as the grader's preflight requires of every file it protects.
    """
    target = state / "course-data"
    if not (target / ".prepared").exists():
        print(f"preparing the course data in {target}...", flush=True)
        target.mkdir(parents=True, exist_ok=True)
        datasets.prepare(RAW_DATA, target)
        (target / ".prepared").touch()
    target.chmod(0o700)
    return target


def report(
    course: Course, assignment: str, kind: str, root: Path, found: dict, verbose: bool
) -> Run:
    """Print one line for the run (and its output when asked); return its figures."""
    results = root / "results" / "results.json"
    score = json.loads(results.read_text())["score"] if results.exists() else None
    run = Run(
        assignment=assignment,
        notebook=kind,
        score=score,
        max_points=course.config.assignment(assignment).max_points,
        exit_code=found["exit_code"],
        seconds=round(found["seconds"], 1),
        peak_mib=round(found["peak"] / 2**20) if found["peak"] else None,
        oom_killed=found["oom"],
        output=found["output"][-4000:],
    )
    peak = f"{run.peak_mib} MiB" if run.peak_mib is not None else "unknown"
    print(
        f"{assignment:14} {kind:6} score {run.score}/{run.max_points:g}  exit {run.exit_code}  "
        f"{run.seconds:6.1f} s  peak {peak}{'  OOM-killed' if run.oom_killed else ''}",
        flush=True,
    )
    if verbose:
        print(found["output"])
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-a", "--assignment", action="append", help="default: every one")
    parser.add_argument("--state", type=Path, default=STATE, help="daemons' folder and caches")
    parser.add_argument("--no-data", action="store_true", help="grade without the course data")
    parser.add_argument("--cpus", help="docker run --cpus (Gradescope's default is 0.5)")
    parser.add_argument(
        "--init",
        action="store_true",
        help="docker run --init: the grader is not PID 1 (as under Gradescope's harness)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--verbose", action="store_true", help="print run_autograder's output")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: it starts its own Docker daemon")
    course = Course(REPO_ROOT / "grader.yaml")
    assignments = args.assignment or list(course.config.assignments)
    extra = (["--cpus", args.cpus] if args.cpus else []) + (["--init"] if args.init else [])
    if not args.no_data:  # read-only where grader.yaml's data_dir points
        extra += ["-v", f"{prepared_data(args.state)}:{course.config.data_dir}:ro"]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="real-docker-", dir=args.state.parent) as scratch:
        folder = Path(scratch)
        with Docker(args.state).running() as docker:
            base = host_image(docker)
            for assignment in assignments:
                zip_path = build_gradescope_zip(course, assignment, folder / "dist")
                image = grader_image(docker, base, zip_path, folder)
                notebooks = {
                    "solved": submissions.reference(course, assignment),
                    "blank": submissions.blank(course, assignment),
                }
                for kind, notebook in notebooks.items():
                    root = lay_out(folder / f"{assignment}-{kind}", zip_path, assignment, notebook)
                    found = grade(docker, image, root, extra)
                    runs.append(report(course, assignment, kind, root, found, args.verbose))
    if args.json:
        args.json.write_text(json.dumps([run.__dict__ for run in runs], indent=2))


if __name__ == "__main__":
    main()
