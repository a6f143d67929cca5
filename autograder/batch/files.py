"""A batch's files as listed, before a byte of them is read: on disk in a folder, or in a zip.

Intake decides everything it can from a listing alone (names, sizes, times, kinds), so that a
hostile or broken file is refused before anything is opened or extracted. An `Item` is one such
listed file, with the `problem` that makes it unusable, if any; a `Container` is the folder or the
opened zip that lists it. A folder is walked without hidden files, checkpoints or the work folder
itself, and no link is followed.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograder.i18n import Text, t

MiB = 2**20
GiB = 2**30

NOTEBOOK = ".ipynb"
ZIP = ".zip"


class UnusableError(Exception):
    """A file that cannot be used; the message is for the student and the TA, kept as a template
    (`message`) to be read in their language, and English in `str()` for the logs."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Stamp:
    """When a submission came in, and who says so: "gradescope" (its export's metadata), "lms"
    (the download's zip entry), "file" (a file's modification time: a last resort)."""

    time: datetime
    source: str


@dataclass(frozen=True)
class Item:
    """One file of a batch, on disk or in a zip, known only from its listing."""

    parts: tuple[str, ...]
    name: str
    size: int
    time: datetime | None
    disk: Path | None = None
    info: zipfile.ZipInfo | None = None
    problem: Text | None = None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.parts[-1]).suffix.lower()

    @property
    def stamp(self) -> Stamp | None:
        if self.time is None:
            return None
        return Stamp(self.time, "file" if self.disk is not None else "lms")

    @property
    def hidden(self) -> bool:
        return any(_ignored(part) for part in self.parts)


@dataclass(frozen=True)
class Container:
    """A folder or an opened zip: its files, and where its entries are extracted."""

    label: str
    sep: str
    items: list[Item]
    depth: int
    zf: zipfile.ZipFile | None = None
    area: Path | None = None

    def source(self, item: Item) -> str:
        return f"{self.label}{self.sep}{item.name}"


def folder(root: Path, workdir: Path) -> Container:
    """A folder's files, recursively, without hidden ones, checkpoints or the work folder itself."""
    items: list[Item] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        kept = []
        for name in sorted(dirs):
            full = here / name
            if _ignored(name) or full.resolve() == workdir:
                continue
            if full.is_symlink():
                parts = full.relative_to(root).parts
                items.append(
                    disk_item(full, parts, problem=t("a symbolic link to a folder; not followed"))
                )
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if not _ignored(name):
                full = here / name
                items.append(disk_item(full, full.relative_to(root).parts))
    return Container(label=root.name or root.resolve().name, sep="/", items=items, depth=0)


def disk_item(
    path: Path, parts: tuple[str, ...], *, follow: bool = False, problem: Text | None = None
) -> Item:
    try:
        status = path.stat() if follow else path.lstat()
    except OSError as error:
        return Item(
            parts,
            "/".join(parts),
            0,
            None,
            problem=t("cannot read ({reason})", reason=str(error.strerror)),
        )
    if problem is None and stat.S_ISLNK(status.st_mode):
        problem = t("a symbolic link; links are not followed")
    elif problem is None and not stat.S_ISREG(status.st_mode):
        problem = t("not a regular file")
    time = datetime.fromtimestamp(status.st_mtime, timezone.utc)
    return Item(parts, "/".join(parts), status.st_size, time, disk=path, problem=problem)


def _ignored(name: str) -> bool:
    """Hidden files (`.OTTER_LOG`, `.ipynb_checkpoints`, `.DS_Store`) and macOS zip debris."""
    return name.startswith(".") or name == "__MACOSX"


def too_big_notebook(size: int, limit: int) -> Text:
    return t(
        "the notebook is {size}, over the {limit} limit; clear its outputs (Kernel > Restart "
        "Kernel and Clear All Outputs), save and submit it again",
        size=format_size(size),
        limit=format_size(limit),
    )


def format_size(count: int) -> Text:
    if count >= GiB:
        return t("{size:.1f} GB", size=count / GiB)
    if count >= MiB:
        return t("{size:.0f} MB", size=count / MiB)
    return t("{count} bytes", count=count)
