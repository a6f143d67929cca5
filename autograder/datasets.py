"""The course data directory: turn the raw files into it, and verify it before anything trains.

The course reads every file from one directory (mounted at /datasets/NLP in the course). Only
`names.csv` differs from its raw source: the course file is ASCII over the 58-symbol vocabulary.
"""

from __future__ import annotations

import csv
import hashlib
import io
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.errors import GraderError

#: The names vocabulary of the course: letters, five punctuation marks and the unknown mark "_".
NAMES_VOCAB = frozenset(string.ascii_letters + " .,;'" + "_")
UNKNOWN_CHAR = "_"


@dataclass(frozen=True)
class DataFile:
    """One expected file: where it lives relative to the data directory, its size and digest."""

    path: str
    size: int
    sha256: str


#: The raw files in ../shared/datasets (see its README), byte for byte.
RAW_FILES = (
    DataFile(
        "names.csv", 320_268, "dc99ff23703cd0ce58e316e2e115003042b0dfa75938eaf5d0599319570f7caa"
    ),
    DataFile(
        "tiny_shakespeare.txt",
        1_115_394,
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
    DataFile(
        "anna.txt", 2_025_486, "568bb39fc78aca98e9db91c4329dcd1aa5ec4c3df3aca2064ce5d6f023ae16c9"
    ),
    DataFile(
        "wikitext-2/train.txt",
        10_797_148,
        "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f",
    ),
    DataFile(
        "wikitext-2/valid.txt",
        1_121_681,
        "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
    ),
    DataFile(
        "wikitext-2/test.txt",
        1_256_449,
        "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0",
    ),
)

#: The prepared course directory: the raw files, except the ASCII names.csv that `prepare` writes.
COURSE_FILES = (
    DataFile(
        "names.csv", 320_104, "13334694920fa6222934fa6b80c7bae710c15f96ceade5e74de12d91aedb1e86"
    ),
    *RAW_FILES[1:],
)


def ascii_name(name: str) -> str:
    """The course's ASCII form of a surname: accents dropped, anything else unknown becomes '_'.

    NFD splits 'é' into 'e' plus a combining mark, which is dropped; a character with no ASCII
    base (a non-breaking space, a digit, a Hangul syllable, which NFD splits into three jamo)
    becomes one '_', so a name never grows longer than it was.
    """
    return "".join(_ascii_char(char) for char in name)


def _ascii_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    if not base:  # a combining mark on its own: dropped, as after NFD
        return ""
    return base if all(c in NAMES_VOCAB for c in base) else UNKNOWN_CHAR


def ascii_names_csv(raw_csv: str) -> str:
    """Rewrite the raw `name,language` CSV with every name in its ASCII form, rows in order."""
    reader = csv.reader(io.StringIO(raw_csv, newline=""))
    header = next(reader, None)
    if header != ["name", "language"]:
        raise GraderError(f"names.csv: expected the header 'name,language', found {header!r}")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for line_number, row in enumerate(reader, start=2):
        if len(row) != 2:
            raise GraderError(f"names.csv line {line_number}: expected 2 columns, found {len(row)}")
        writer.writerow([ascii_name(row[0]), row[1]])
    return out.getvalue()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: The checksum file beside data that travels (the Gradescope zip's data/), in `sha256sum` format.
SUMS_FILE = "SHA256SUMS"


def course_file(name: str) -> DataFile | None:
    """The prepared course file `name` (a path relative to the data directory), if it is one."""
    return next((item for item in COURSE_FILES if item.path == name), None)


def sums_text(digests: dict[str, str]) -> str:
    """`sha256sum` lines, sorted by name: `cd data && sha256sum -c SHA256SUMS` checks them."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def read_sums(path: Path) -> dict[str, str]:
    """The digests a checksum file lists, by name; a malformed line is a GraderError."""
    digests: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise GraderError(f"{path} line {number}: expected '<sha256>  <file name>'")
        digests[name] = digest
    return digests


def problems(directory: Path, expected: tuple[DataFile, ...]) -> list[str]:
    """Every way `directory` differs from `expected`, one sentence each; empty when it matches."""
    if not directory.is_dir():
        return [f"{directory} is not a directory"]
    found: list[str] = []
    for item in expected:
        path = directory / item.path
        if not path.is_file():
            found.append(f"{item.path}: missing (expected {item.size:,} bytes)")
        elif (size := path.stat().st_size) != item.size:
            found.append(
                f"{item.path}: {size:,} bytes, expected {item.size:,} "
                "(truncated or a different file?)"
            )
        elif (digest := sha256_of(path)) != item.sha256:
            found.append(
                f"{item.path}: sha256 {digest[:12]}…, expected {item.sha256[:12]}… "
                "(contents differ)"
            )
    return found


def prepare(raw_dir: Path, course_dir: Path) -> list[Path]:
    """Build the course data directory from the raw files; returns the files written.

    The raw files are verified first so that a corrupt download is reported, not propagated.
    Each file is written to a temporary name and renamed, so an interrupted run leaves no
    half-written file behind.
    """
    raw_problems = problems(raw_dir, RAW_FILES)
    if raw_problems:
        raise GraderError(
            f"the raw data in {raw_dir} is not what the course expects:\n  "
            + "\n  ".join(raw_problems)
        )
    written = []
    for item in RAW_FILES:
        target = course_dir / item.path
        if item.path == "names.csv":
            text = (raw_dir / item.path).read_text(encoding="utf-8")
            write_atomically(target, ascii_names_csv(text).encode("ascii"))
        else:
            write_atomically(target, (raw_dir / item.path).read_bytes())
        written.append(target)
    return written


def check(course_dir: Path) -> list[str]:
    """Problems with a prepared course data directory (empty when it is ready to use)."""
    return problems(course_dir, COURSE_FILES)
