"""Safe zip reading: every zip comes from a student or an LMS and is trusted for nothing.

A zip is checked from its listing before a byte is extracted (entry count, declared sizes,
compression ratio, overlapping entries, paths, links), then extracted one entry at a time with a
hard cap, never with `extractall`. Only the files grading needs (notebooks, and zips to unwrap)
leave the zip at all, and only when the collector asks for them: otter's pickled `.OTTER_LOG` is
never extracted, let alone loaded.

The limits on size and count belong to one `collect()` call and are handed in by it; what marks a
zip bomb (the compression ratio) and how extraction streams are fixed here.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from datetime import datetime
from itertools import pairwise
from pathlib import Path, PurePosixPath

from autograder.batch.files import (
    NOTEBOOK,
    Container,
    Item,
    MiB,
    UnusableError,
    format_size,
    too_big_notebook,
)
from autograder.i18n import Text, t

MAX_RATIO = 500  # real notebooks deflate far less; a bomb of zeros reaches ~1000 per layer
RATIO_FLOOR = MiB  # small entries cannot hurt, whatever their ratio
CHUNK_BYTES = MiB

_DRIVE = re.compile(r"^[A-Za-z]:")
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class ZipReader:
    """Opens and extracts the zips of one `collect()` call, within its limits and its budget."""

    def __init__(self, *, file_bytes: int, total_bytes: int, max_entries: int) -> None:
        self.file_bytes = file_bytes
        self.total_bytes = total_bytes
        self.max_entries = max_entries
        self.budget = total_bytes

    def open_zip(self, path: Path, label: str, area: Path, depth: int) -> Container:
        """Open a zip and vet its whole listing before anything is extracted."""
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            message = t(
                "not a zip file, or a corrupt or truncated one ({reason})", reason=str(error)
            )
            raise UnusableError(message) from None
        except (OSError, EOFError, ValueError) as error:
            raise UnusableError(t("cannot read the zip ({reason})", reason=str(error))) from None
        try:
            return self._vet(zf, path, label, area, depth)
        except UnusableError:
            zf.close()
            raise

    def extract(self, c: Container, item: Item) -> Path:
        """The file on disk: a folder's own file, or a zip entry streamed out under a hard cap."""
        if item.disk is not None:
            return item.disk
        assert c.zf is not None and c.area is not None and item.info is not None
        dest = c.area.joinpath(*item.parts)
        written = 0
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            with os.fdopen(os.open(dest, flags, 0o600), "wb") as out, c.zf.open(item.info) as src:
                while chunk := src.read(CHUNK_BYTES):
                    written += len(chunk)
                    if written > item.size:  # vetted against the file limit in the listing
                        raise UnusableError(
                            t(
                                "'{name}' expands beyond the size the zip declares for it "
                                "(a zip-bomb trick); not extracted",
                                name=item.name,
                            )
                        )
                    if written > self.budget:
                        raise UnusableError(
                            t(
                                "extracting '{name}' would pass the {limit} limit for one "
                                "batch; not extracted",
                                name=item.name,
                                limit=format_size(self.total_bytes),
                            )
                        )
                    out.write(chunk)
        except UnusableError:
            dest.unlink(missing_ok=True)
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            dest.unlink(missing_ok=True)
            raise UnusableError(
                t(
                    "'{name}' cannot be extracted: the zip is corrupt or truncated ({reason})",
                    name=item.name,
                    reason=str(error),
                )
            ) from None
        except OSError as error:
            with contextlib.suppress(OSError):
                dest.unlink(missing_ok=True)
            raise UnusableError(
                t("'{name}' cannot be extracted ({reason})", name=item.name, reason=str(error))
            ) from None
        self.budget -= written
        return dest

    def _vet(
        self, zf: zipfile.ZipFile, path: Path, label: str, area: Path, depth: int
    ) -> Container:
        """Judge the whole listing: limits, overlaps, and each entry's path, kind and size."""
        infos = zf.infolist()
        if len(infos) > self.max_entries:
            raise UnusableError(
                t(
                    "the zip holds {n} entries, over the limit of {limit}; nothing was extracted",
                    n=len(infos),
                    limit=self.max_entries,
                )
            )
        declared = sum(info.file_size for info in infos)
        if declared > self.total_bytes:
            raise UnusableError(
                t(
                    "the zip would expand to {size}, over the {limit} limit (a zip bomb?); "
                    "nothing was extracted",
                    size=format_size(declared),
                    limit=format_size(self.total_bytes),
                )
            )
        if _overlapping(infos, path.stat().st_size):
            raise UnusableError(
                t(
                    "the zip's entries overlap one another, a zip-bomb construction; "
                    "nothing was extracted"
                )
            )
        items: list[Item] = []
        seen: set[tuple[str, ...]] = set()
        for info in infos:
            name = _entry_name(info)
            parts, problem = _entry_parts(name)
            if problem is None and (info.is_dir() or not parts):
                continue
            problem = problem or _entry_problem(info, name, self.file_bytes)
            if problem is None and parts in seen:
                problem = t("the zip holds '{name}' twice", name=name)
            seen.add(parts)
            time = _zip_time(info)
            items.append(Item(parts or (name,), name, info.file_size, time, None, info, problem))
        try:
            if area.exists():
                shutil.rmtree(area)
        except OSError as error:
            message = t(
                "cannot clear the work folder {folder} ({reason})",
                folder=str(area),
                reason=str(error.strerror),
            )
            raise UnusableError(message) from None
        return Container(label, ":", items, depth, zf, area)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; UTF-8 names stored without the UTF-8 flag are decoded as UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _entry_parts(name: str) -> tuple[tuple[str, ...], Text | None]:
    """The entry's path inside the zip, and why it would land outside the work folder, if so."""
    normal = name.replace("\\", "/")
    parts = tuple(part for part in normal.split("/") if part not in ("", ".", ".."))
    if normal.startswith("/") or _DRIVE.match(normal):
        return parts, t(
            "the zip entry '{name}' has an absolute path; nothing is extracted outside the "
            "work folder",
            name=name,
        )
    if ".." in normal.split("/"):
        return parts, t(
            "the zip entry '{name}' climbs out of the zip ('../'); nothing is extracted outside "
            "the work folder",
            name=name,
        )
    return parts, None


def _entry_problem(info: zipfile.ZipInfo, name: str, file_bytes: int) -> Text | None:
    """Why one entry must not be extracted, judged from the listing alone."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return t(
            "the zip entry '{name}' is a symbolic link; links are never extracted or followed",
            name=name,
        )
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return t("the zip entry '{name}' is not a regular file", name=name)
    if info.flag_bits & 0x1:
        return t("'{name}' is password-protected; submit it without a password", name=name)
    if info.compress_type not in _READABLE:
        return t(
            "'{name}' uses a compression method this grader cannot read (method {method}); zip "
            "it again with standard settings",
            name=name,
            method=info.compress_type,
        )
    if info.file_size > file_bytes:
        if PurePosixPath(name).suffix.lower() == NOTEBOOK:
            return too_big_notebook(info.file_size, file_bytes)
        return t(
            "'{name}' would expand to {size}, over the {limit} limit for one file; not extracted",
            name=name,
            size=format_size(info.file_size),
            limit=format_size(file_bytes),
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        return t(
            "'{name}' would expand {ratio}-fold ({packed} to {size}), the mark of a zip bomb; "
            "not extracted",
            name=name,
            ratio=ratio,
            packed=format_size(info.compress_size),
            size=format_size(info.file_size),
        )
    return None


def _overlapping(infos: list[zipfile.ZipInfo], archive_size: int) -> bool:
    """Entries sharing compressed bytes are how a small zip declares enormous contents."""
    spans = sorted((info.header_offset, info.compress_size) for info in infos)
    for (start, size), (following, _) in pairwise(spans):
        if start + 30 + size > following:  # 30: the fixed part of a local file header
            return True
    return sum(size for _, size in spans) > archive_size


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    """Zip times are local wall-clock times without a zone."""
    try:
        return datetime(*info.date_time).astimezone()
    except (ValueError, OverflowError):
        return None
