"""Build the Gradescope autograder zip of one assignment, byte for byte the same on every build.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once to build its image and
`run_autograder` for every submission. The zip holds this project (so that setup.sh can install
it with pip), grader.yaml, the assignment's master notebook (the engine reads its configuration
for the files shipped to students) and a file naming the assignment. Hidden checks and
references travel inside autograder/ and solutions/: the sandbox never shows them to student code.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import nbformat

from autograder.atomic import write_atomically
from autograder.authoring.build import shipped_files
from autograder.config import Course
from autograder.errors import GraderError

ASSIGNMENT_FILE = "gradescope_assignment.txt"
ROOT_ENV = "RNN_GRADER_GRADESCOPE_ROOT"
TORCH_VERSION = "2.13.0"
#: pyproject.toml names README.md as the project's readme: pip cannot build it without.
PROJECT_FILES = ("pyproject.toml", "README.md", "grader.yaml")
PROJECT_TREES = ("autograder", "solutions", "calibration")
#: The earliest time a zip can hold: a fixed stamp, so that two builds give identical bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXECUTABLES = ("setup.sh", "run_autograder")

SETUP_SH = f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image: install the grader.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_BREAK_SYSTEM_PACKAGES=1
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip
# The CPU build of PyTorch first: an unpinned torch would pull the CUDA wheels.
python3 -m pip install torch=={TORCH_VERSION} --index-url https://download.pytorch.org/whl/cpu
python3 -m pip install /autograder/source
"""

RUN_AUTOGRADER = f"""\
#!/usr/bin/env bash
# Gradescope runs this as root for every submission. The grader runs the student's code as an
# unprivileged user in a sandbox that cannot see /autograder, and writes
# /autograder/results/results.json after every exercise, so a time limit keeps what finished.
set -euo pipefail
root="${{{ROOT_ENV}:-/autograder}}"
cd "$root"
exec python3 -m autograder.gradescope.run --root "$root"
"""


def build_gradescope_zip(course: Course, assignment: str, dist_root: Path) -> Path:
    """Write `dist_root/<assignment>/gradescope.zip` and return its path."""
    course.config.assignment(assignment)  # an unknown name fails here, listing the known ones
    master = course.master_notebook(assignment)
    if not master.is_file():
        raise GraderError(f"{assignment}: master notebook {master} does not exist")
    entries = {
        "setup.sh": SETUP_SH.encode(),
        "run_autograder": RUN_AUTOGRADER.encode(),
        ASSIGNMENT_FILE: f"{assignment}\n".encode(),
    }
    for path in _project_files(course, assignment, master):
        entries[path.relative_to(course.root).as_posix()] = path.read_bytes()
    return write_atomically(dist_root / assignment / "gradescope.zip", _zip_bytes(entries))


def _project_files(course: Course, assignment: str, master: Path) -> list[Path]:
    """The files of the checkout the grader needs, without caches or hidden files."""
    files = [master]
    for name in PROJECT_FILES:
        path = course.root / name
        if not path.is_file():
            raise GraderError(f"cannot build the Gradescope zip: {path} is missing")
        files.append(path)
    for tree in PROJECT_TREES:
        for path in (course.root / tree).rglob("*"):
            parts = path.relative_to(course.root).parts
            if path.is_file() and not any(_ignored(part) for part in parts):
                files.append(path)
    # Files shipped beside the notebook (not in solutions/) are support files the engine sends.
    shipped = shipped_files(course, assignment, nbformat.read(master, as_version=4))
    files.extend(shipped.values())
    return sorted(set(files))


def _ignored(part: str) -> bool:
    return part.startswith(".") or part == "__pycache__" or part.endswith((".pyc", ".egg-info"))


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    """Sorted entries, fixed stamps and modes: the same project gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the modes below mean what they say
            mode = 0o755 if name in EXECUTABLES else 0o644
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return buffer.getvalue()
