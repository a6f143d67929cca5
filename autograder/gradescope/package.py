"""Build the Gradescope autograder zip of one assignment, byte for byte the same on every build.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once to build its image and
`run_autograder` for every submission. The zip holds this project (so that setup.sh can install
it with pip, at the versions of autograder/gradescope/constraints.txt), grader.yaml, the
assignment's master notebook (the engine reads its configuration for the files shipped to
students), a file naming the assignment, and in data/ the prepared course files its training
checks read, with their checksums (the grader refuses a file that does not match). Hidden checks
and references travel inside autograder/ and solutions/: the sandbox never shows them to student
code, and the data is read by the grader only.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import datasets
from autograder.atomic import write_atomically
from autograder.authoring.build import shipped_files
from autograder.config import DATA_ENV, Course
from autograder.errors import GraderError
from autograder.exercises import training_specs
from autograder.gradescope.constraints import CONSTRAINTS_FILE, required_python
from autograder.training.data import files_read

ASSIGNMENT_FILE = "gradescope_assignment.txt"
ROOT_ENV = "RNN_GRADER_GRADESCOPE_ROOT"
TORCH_VERSION = "2.13.0"
#: pyproject.toml names README.md as the project's readme: pip cannot build it without.
PROJECT_FILES = ("pyproject.toml", "README.md", "grader.yaml")
PROJECT_TREES = ("autograder", "solutions", "calibration")
#: The earliest time a zip can hold: a fixed stamp, so that two builds give identical bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXECUTABLES = ("setup.sh", "run_autograder")
#: Where the course data travels in the zip (and so lies in /autograder/source).
DATA_FOLDER = "data"
SOURCE = "/autograder/source"


def setup_sh(python: tuple[int, int]) -> str:
    """setup.sh: the grader and every dependency at the pinned versions, on a Python they fit."""
    version = f"{python[0]}.{python[1]}"
    return f"""\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image: install the grader.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_BREAK_SYSTEM_PACKAGES=1
apt-get update
apt-get install -y --no-install-recommends python3 python3-pip
python3 -c 'import sys; sys.exit(sys.version_info < {python})' || {{
    echo "{CONSTRAINTS_FILE} pins packages for Python >= {version}: choose a base image" >&2
    echo "whose python3 is at least that (Ubuntu 24.04) in Gradescope's autograder settings" >&2
    exit 1
}}
# The CPU build of PyTorch first: an unpinned torch would pull the CUDA wheels. Its own
# dependencies come next, with everything else, at the versions the tests ran with.
python3 -m pip install --no-deps torch=={TORCH_VERSION} --index-url https://download.pytorch.org/whl/cpu
python3 -m pip install {SOURCE} -c {SOURCE}/{CONSTRAINTS_FILE}
"""


RUN_AUTOGRADER = f"""\
#!/usr/bin/env bash
# Gradescope runs this as root for every submission. The grader runs the student's code as an
# unprivileged user in a sandbox that cannot see /autograder, and writes
# /autograder/results/results.json after every exercise, so a time limit keeps what finished.
set -euo pipefail
root="${{{ROOT_ENV}:-/autograder}}"
# The course data travels in the zip; the grader checks it against data/SHA256SUMS before use.
export {DATA_ENV}="$root/source/{DATA_FOLDER}"
cd "$root"
exec python3 -m autograder.gradescope.run --root "$root"
"""


@dataclass(frozen=True)
class ZipData:
    """The course data an assignment's zip carries, and the training checks it cannot carry."""

    source: Path
    files: dict[str, Path]
    #: training check -> the data files it needs that `source` lacks: not graded on Gradescope
    missing: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class GradescopeZip:
    path: Path
    data: ZipData

    @property
    def megabytes(self) -> float:
        return self.path.stat().st_size / 1e6


def build_gradescope_zip(course: Course, assignment: str, dist_root: Path) -> Path:
    """Write `dist_root/<assignment>/gradescope.zip` and return its path."""
    return build_zip(course, assignment, dist_root).path


def build_zip(
    course: Course, assignment: str, dist_root: Path, signatures: dict[str, bytes] | None = None
) -> GradescopeZip:
    """Write `dist_root/<assignment>/gradescope.zip`; say which data it carries and lacks.

    `signatures`: the known mistakes' signatures as zip entries (`authoring/signatures.py`), so
    that Gradescope names a student's known mistake without grading the mistakes itself.
    """
    course.config.assignment(assignment)  # an unknown name fails here, listing the known ones
    master = course.master_notebook(assignment)
    if not master.is_file():
        raise GraderError(f"{assignment}: master notebook {master} does not exist")
    constraints = course.root / CONSTRAINTS_FILE
    if not constraints.is_file():
        raise GraderError(f"cannot build the Gradescope zip: {constraints} is missing")
    entries = {
        "setup.sh": setup_sh(required_python(constraints.read_text(encoding="utf-8"))).encode(),
        "run_autograder": RUN_AUTOGRADER.encode(),
        ASSIGNMENT_FILE: f"{assignment}\n".encode(),
        **(signatures or {}),
    }
    for path in _project_files(course, assignment, master):
        entries[path.relative_to(course.root).as_posix()] = path.read_bytes()
    data = zip_data(course, assignment)
    digests = {}
    for name, path in data.files.items():
        entries[f"{DATA_FOLDER}/{name}"] = content = path.read_bytes()
        digests[name] = _course_digest(name, path, content)
    if digests:
        entries[f"{DATA_FOLDER}/{datasets.SUMS_FILE}"] = datasets.sums_text(digests).encode()
    path = write_atomically(dist_root / assignment / "gradescope.zip", _zip_bytes(entries))
    return GradescopeZip(path, data)


def zip_data(course: Course, assignment: str) -> ZipData:
    """The files the assignment's training checks read, from the course's data directory.

    Which files a check reads is learnt from its recipe (`files_read`), never listed by hand. A
    check short of a file packs none of its own: it cannot run on Gradescope anyway.
    """
    source = course.config.resolved_data_dir()
    files: dict[str, Path] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for spec in training_specs(course).values():
        if spec.assignment != assignment:
            continue
        names = files_read(spec.prepared)
        absent = tuple(name for name in names if not (source / name).is_file())
        if absent:
            missing[spec.id] = absent
        else:
            files.update((name, source / name) for name in names)
    return ZipData(source, dict(sorted(files.items())), missing)


def _course_digest(name: str, path: Path, content: bytes) -> str:
    """The file's sha256; a course file must be the prepared one the thresholds were set on."""
    digest = hashlib.sha256(content).hexdigest()
    known = datasets.course_file(name)
    if known is not None and digest != known.sha256:
        raise GraderError(
            f"cannot build the Gradescope zip: {path} is not the course's {name} (sha256 "
            f"{digest[:12]}…, expected {known.sha256[:12]}…); prepare the data directory again "
            "with `rnn-grader data prepare`"
        )
    return digest


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
