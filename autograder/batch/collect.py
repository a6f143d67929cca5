"""Batch intake: every submission in a notebook, a folder, an otter export zip or an LMS download.

Everything here comes from students or from an LMS and is trusted for nothing. Zips are checked
from their listing before a byte is extracted (entry count, declared sizes, compression ratio,
overlapping entries, paths, links), then extracted one entry at a time with a hard cap, never with
`extractall`, and only the files grading needs (notebooks, and zips to unwrap) leave the zip at
all: otter's pickled `.OTTER_LOG` is never extracted, let alone loaded. Notebooks are not parsed
here; `grade_notebook` reports what is wrong inside one.

Who submitted what, in this order:
- Gradescope export: `submission_metadata.yml` maps each `submission_<id>` folder (or file) to its
  submitters and time; a group submission counts for each submitter.
- Canvas: `<lastfirst>_[LATE_]<studentid>_<submissionid>_<original name>`, where the original name
  may end in `-1`, `-2` for a re-upload; other files of the same Canvas submission (a PDF) are
  attachments and are left alone.
- Anything else: a notebook alone in its own folder is named by the folder (`alice/hw.ipynb`);
  names sharing a tail across the batch are named by what precedes it (`alice_hw1.ipynb`,
  `bob_hw1.ipynb`); otherwise by the file's stem.

A zip in a folder, or given as the path, is a batch (an LMS download) when it holds the Gradescope
metadata, Canvas names or several notebooks, and one submission (an otter export) otherwise. Zips
inside a batch are always one submission each, unwrapped one level and no deeper.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import pairwise
from pathlib import Path, PurePosixPath

import yaml

from autograder.errors import GraderError

MiB = 2**20
GiB = 2**30
MAX_FILE_BYTES = 300 * MiB  # one notebook or zip entry; a 100 MB notebook of outputs still fits
MAX_TOTAL_BYTES = 4 * GiB  # everything one call declares in a zip, and everything it extracts
MAX_ENTRIES = 20_000  # a class of 300 with a dozen files each stays far below
MAX_RATIO = 500  # real notebooks deflate far less; a bomb of zeros reaches ~1000 per layer
RATIO_FLOOR = MiB  # small entries cannot hurt, whatever their ratio
MAX_ZIP_DEPTH = 2  # an LMS zip (1) of otter export zips (2)
MAX_METADATA_BYTES = 32 * MiB
CHUNK_BYTES = MiB

NOTEBOOK = ".ipynb"
ZIP = ".zip"
GRADESCOPE_METADATA = "submission_metadata.yml"
OTTER_MARKERS = {".OTTER_LOG", "__zip_filename__"}
EXPECTED = "expected a Jupyter notebook (.ipynb)"

_CANVAS = re.compile(
    r"^(?P<name>[^_]+)_(?:(?P<late>late)_)?(?P<student>\d+)_(?P<submission>\d+)_(?P<original>.+)$",
    re.IGNORECASE,
)
_RESUBMISSION = re.compile(r"-(\d+)$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Submission:
    """One student's submission as found in the batch, usable or not, counted or superseded."""

    student: str
    source: str
    path: Path | None
    submitted_at: datetime | None
    late: bool = False
    error: str | None = None
    superseded: bool = False


def collect(path: Path, workdir: Path) -> list[Submission]:
    """Every submission under `path`, extracted safely into `workdir`, newest per student counted.

    Bad files become submissions with `path=None` and a specific `error`, so that one broken
    upload never stops the batch. Extraction paths under `workdir` are the same on every call,
    which lets a resumed run find the notebooks it graded before.
    """
    if not path.exists():
        raise GraderError(f"{path}: no such file or folder; check the path to the submissions")
    path = path.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    collector = _Collector(workdir.resolve())
    if path.is_dir():
        collector.batch(_folder(path, workdir.resolve()))
    else:
        item = _disk_item(path, (path.name,), follow=True)
        collector.batch(_Container(label="", sep="", items=[item], depth=0))
    return _supersede(collector.found)


class _UnusableError(Exception):
    """A file that cannot be used; the message is for the student and the TA."""


@dataclass(frozen=True)
class _Item:
    """One file of a batch, on disk or in a zip, known only from its listing."""

    parts: tuple[str, ...]
    name: str
    size: int
    time: datetime | None
    disk: Path | None = None
    info: zipfile.ZipInfo | None = None
    problem: str | None = None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.parts[-1]).suffix.lower()

    @property
    def hidden(self) -> bool:
        return any(_ignored(part) for part in self.parts)


@dataclass(frozen=True)
class _Container:
    """A folder or an opened zip: its files, and where its entries are extracted."""

    label: str
    sep: str
    items: list[_Item]
    depth: int
    zf: zipfile.ZipFile | None = None
    area: Path | None = None

    def source(self, item: _Item) -> str:
        return f"{self.label}{self.sep}{item.name}"


@dataclass(frozen=True)
class _Who:
    """The students a submission belongs to, and what the LMS said about it."""

    students: tuple[str, ...]
    late: bool = False
    time: datetime | None = None


@dataclass(frozen=True)
class _Found:
    submission: Submission
    resubmission: int


class _Collector:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.budget = MAX_TOTAL_BYTES
        self.found: list[_Found] = []

    def batch(self, c: _Container) -> None:
        """Group a batch's files into submissions (per LMS naming) and take each in turn."""
        metadata, gs_root = self._gradescope(c)
        units: dict[tuple, list[_Item]] = defaultdict(list)
        for item in c.items:
            if item.problem is None and (item.hidden or item.parts[-1] == GRADESCOPE_METADATA):
                continue
            units[_unit_key(item, metadata, gs_root)].append(item)
        plain = [item for key, items in units.items() if key[0] == "plain" for item in items]
        names = _plain_names(plain)
        visible = [item for item in c.items if not item.hidden]
        candidates = Counter(item.parts[:-1] for item in visible if item.suffix in (NOTEBOOK, ZIP))
        for key, items in units.items():
            if key[0] == "gs":
                meta = metadata[key[1]]
                who = _Who(meta.students or (key[1],), time=meta.time)
            elif key[0] == "canvas":
                who = _Who((key[2],), late=bool(_CANVAS.match(items[0].parts[-1])["late"]))
            else:
                who = _Who((names[items[0].parts],))
            if self._refused(c, items, who):
                continue
            if key[0] == "gs":
                self._one_of(c, items, who, f"{c.label}{c.sep}{'/'.join((*gs_root, key[1]))}")
            else:
                support = key[0] == "plain" and bool(key[1]) and candidates[key[1]] > 0
                self._files(c, items, who, support)

    def _refused(
        self,
        c: _Container,
        items: list[_Item],
        who: _Who,
        time: datetime | None = None,
        resubmission: int = 0,
    ) -> bool:
        """A submission with any unsafe or oversized file is refused as a whole."""
        bad = [item for item in items if item.problem]
        if not bad:
            return False
        message = str(bad[0].problem)
        if len(bad) > 1:
            message += f" (and {len(bad) - 1} more problem(s) in this submission)"
        self._add(who, c.source(bad[0]), None, time or bad[0].time, message, resubmission)
        return True

    def _files(self, c: _Container, items: list[_Item], who: _Who, support: bool) -> None:
        """Canvas or plain files: each notebook and zip counts; other files only as an error."""
        notebooks = [item for item in items if item.suffix == NOTEBOOK]
        zips = [item for item in items if item.suffix == ZIP]
        for item in notebooks:
            self._notebook(c, item, who, item.time, _resubmission(item))
        for item in zips:
            self._zip(c, item, who, item.time, _resubmission(item))
        if not notebooks and not zips and not support:
            self._add(who, c.source(items[0]), None, items[0].time, _not_notebook(items))

    def _one_of(
        self,
        c: _Container,
        items: list[_Item],
        who: _Who,
        source: str,
        time: datetime | None = None,
        resubmission: int = 0,
    ) -> None:
        """One submission's files (an otter zip, a Gradescope folder): exactly one notebook."""
        visible = [item for item in items if not item.hidden]
        notebooks = [item for item in visible if item.suffix == NOTEBOOK]
        zips = [item for item in visible if item.suffix == ZIP]
        if len(notebooks) == 1:
            self._notebook(c, notebooks[0], who, time or notebooks[0].time, resubmission)
        elif notebooks:
            listed = ", ".join(item.name for item in notebooks[:5])
            message = f"the submission holds {len(notebooks)} notebooks ({listed}); submit one"
            self._add(who, source, None, time, message, resubmission)
        elif len(zips) == 1:
            self._zip(c, zips[0], who, time or zips[0].time, resubmission)
        elif not visible:
            message = "the submission is empty (no files in the zip)"
            self._add(who, source, None, time, message, resubmission)
        else:
            self._add(who, source, None, time, _not_notebook(visible), resubmission)

    def _notebook(
        self, c: _Container, item: _Item, who: _Who, time: datetime | None, resubmission: int
    ) -> None:
        source = c.source(item)
        if item.size > MAX_FILE_BYTES:
            self._add(who, source, None, time, _too_big_notebook(item.size), resubmission)
            return
        try:
            path = self._materialize(c, item)
        except _UnusableError as refused:
            self._add(who, source, None, time, str(refused), resubmission)
            return
        self._add(who, source, path, time, None, resubmission)

    def _zip(
        self, c: _Container, item: _Item, who: _Who, time: datetime | None, resubmission: int
    ) -> None:
        """A zip is unwrapped: into a batch at the top level, into one submission below it."""
        source = c.source(item)
        level = c.depth + 1
        if level > MAX_ZIP_DEPTH:
            message = "a zip inside a zip inside a zip; only one level of nested zips is unpacked"
            self._add(who, source, None, time, message, resubmission)
            return
        try:
            inner = self._open_zip(self._materialize(c, item), source, self._area(c, item), level)
        except _UnusableError as refused:
            self._add(who, source, None, time, str(refused), resubmission)
            return
        assert inner.zf is not None
        with inner.zf:  # closed at once: a class of a thousand exports must not hold 1000 files
            if level == 1 and _is_batch(inner):
                self.batch(inner)
            elif not self._refused(inner, inner.items, who, time, resubmission):
                self._one_of(inner, inner.items, who, source, time, resubmission)

    def _add(
        self,
        who: _Who,
        source: str,
        path: Path | None,
        time: datetime | None,
        error: str | None,
        resubmission: int = 0,
    ) -> None:
        for student in who.students:
            submission = Submission(student, source, path, who.time or time, who.late, error)
            self.found.append(_Found(submission, resubmission))

    def _area(self, c: _Container, item: _Item) -> Path:
        """Where a zip's entries go: beside where the zip itself is, under a name ending in '!'."""
        base = c.area if c.area is not None else self.workdir.joinpath(*filter(None, [c.label]))
        return base.joinpath(*item.parts[:-1], item.parts[-1] + "!")

    def _open_zip(self, path: Path, label: str, area: Path, depth: int) -> _Container:
        """Open a zip and vet its whole listing before anything is extracted."""
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            message = f"not a zip file, or a corrupt or truncated one ({error})"
            raise _UnusableError(message) from None
        except (OSError, EOFError, ValueError) as error:
            raise _UnusableError(f"cannot read the zip ({error})") from None
        try:
            return _vet(zf, path, label, area, depth)
        except _UnusableError:
            zf.close()
            raise

    def _materialize(self, c: _Container, item: _Item) -> Path:
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
                    if written > item.size:  # vetted against MAX_FILE_BYTES in the listing
                        raise _UnusableError(
                            f"'{item.name}' expands beyond the size the zip declares for it "
                            "(a zip-bomb trick); not extracted"
                        )
                    if written > self.budget:
                        raise _UnusableError(
                            f"extracting '{item.name}' would pass the {_size(MAX_TOTAL_BYTES)} "
                            "limit for one batch; not extracted"
                        )
                    out.write(chunk)
        except _UnusableError:
            dest.unlink(missing_ok=True)
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            dest.unlink(missing_ok=True)
            raise _UnusableError(
                f"'{item.name}' cannot be extracted: the zip is corrupt or truncated ({error})"
            ) from None
        except OSError as error:
            with contextlib.suppress(OSError):
                dest.unlink(missing_ok=True)
            raise _UnusableError(f"'{item.name}' cannot be extracted ({error})") from None
        self.budget -= written
        return dest

    def _gradescope(self, c: _Container) -> tuple[dict[str, _Meta], tuple[str, ...]]:
        """Gradescope's export metadata, if the batch has it, and the folder it sits in."""
        found = [
            item
            for item in c.items
            if item.parts[-1] == GRADESCOPE_METADATA and item.problem is None
        ]
        if not found:
            return {}, ()
        item = min(found, key=lambda candidate: len(candidate.parts))
        try:
            data = yaml.load(self._read_small(c, item), Loader=_MetadataLoader)
        except (yaml.YAMLError, _UnusableError, OSError, ValueError):
            return {}, item.parts[:-1]
        return _parse_metadata(data), item.parts[:-1]

    def _read_small(self, c: _Container, item: _Item) -> bytes:
        if item.size > MAX_METADATA_BYTES:
            raise _UnusableError(f"{item.name} is {_size(item.size)}, too big for metadata")
        if item.disk is not None:
            return item.disk.read_bytes()
        assert c.zf is not None and item.info is not None
        try:
            with c.zf.open(item.info) as src:
                return src.read(MAX_METADATA_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise _UnusableError(str(error)) from None


@dataclass(frozen=True)
class _Meta:
    students: tuple[str, ...]
    time: datetime | None


class _MetadataLoader(yaml.SafeLoader):
    """Gradescope's YAML comes from Ruby: unknown tags (`!ruby/...`) are read as plain data."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_MetadataLoader.add_multi_constructor("!", _untagged)


def _parse_metadata(data: object) -> dict[str, _Meta]:
    """`submission_<id>` -> submitters and time; Ruby symbol keys (`:sid`) lose their colon."""
    if not isinstance(data, dict):
        return {}
    metadata = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue
        fields = {str(name).lstrip(":"): value for name, value in entry.items()}
        submitters = fields.get("submitters")
        students = tuple(
            student
            for submitter in (submitters if isinstance(submitters, list) else [])
            if isinstance(submitter, dict) and (student := _submitter_id(submitter))
        )
        metadata[str(key).lstrip(":")] = _Meta(students, _as_time(fields.get("created_at")))
    return metadata


def _submitter_id(submitter: dict) -> str:
    fields = {str(name).lstrip(":"): value for name, value in submitter.items()}
    for name in ("sid", "email", "name"):
        value = fields.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _as_time(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _folder(root: Path, workdir: Path) -> _Container:
    """A folder's files, recursively, without hidden ones, checkpoints or the work folder itself."""
    items: list[_Item] = []
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
                    _disk_item(full, parts, problem="a symbolic link to a folder; not followed")
                )
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if not _ignored(name):
                full = here / name
                items.append(_disk_item(full, full.relative_to(root).parts))
    return _Container(label=root.name or root.resolve().name, sep="/", items=items, depth=0)


def _disk_item(
    path: Path, parts: tuple[str, ...], *, follow: bool = False, problem: str | None = None
) -> _Item:
    try:
        status = path.stat() if follow else path.lstat()
    except OSError as error:
        return _Item(parts, "/".join(parts), 0, None, problem=f"cannot read ({error.strerror})")
    if problem is None and stat.S_ISLNK(status.st_mode):
        problem = "a symbolic link; links are not followed"
    elif problem is None and not stat.S_ISREG(status.st_mode):
        problem = "not a regular file"
    time = datetime.fromtimestamp(status.st_mtime, timezone.utc)
    return _Item(parts, "/".join(parts), status.st_size, time, disk=path, problem=problem)


def _ignored(name: str) -> bool:
    """Hidden files (`.OTTER_LOG`, `.ipynb_checkpoints`, `.DS_Store`) and macOS zip debris."""
    return name.startswith(".") or name == "__MACOSX"


def _vet(zf: zipfile.ZipFile, path: Path, label: str, area: Path, depth: int) -> _Container:
    """Judge the whole listing: limits, overlaps, and each entry's path, kind and size."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _UnusableError(
            f"the zip holds {len(infos)} entries, over the limit of {MAX_ENTRIES}; "
            "nothing was extracted"
        )
    declared = sum(info.file_size for info in infos)
    if declared > MAX_TOTAL_BYTES:
        raise _UnusableError(
            f"the zip would expand to {_size(declared)}, over the {_size(MAX_TOTAL_BYTES)} "
            "limit (a zip bomb?); nothing was extracted"
        )
    if _overlapping(infos, path.stat().st_size):
        raise _UnusableError(
            "the zip's entries overlap one another, a zip-bomb construction; nothing was extracted"
        )
    items: list[_Item] = []
    seen: set[tuple[str, ...]] = set()
    for info in infos:
        name = _entry_name(info)
        parts, problem = _entry_parts(name)
        if problem is None and (info.is_dir() or not parts):
            continue
        problem = problem or _entry_problem(info, name)
        if problem is None and parts in seen:
            problem = f"the zip holds '{name}' twice"
        seen.add(parts)
        time = _zip_time(info)
        items.append(_Item(parts or (name,), name, info.file_size, time, None, info, problem))
    try:
        if area.exists():
            shutil.rmtree(area)
    except OSError as error:
        message = f"cannot clear the work folder {area} ({error.strerror})"
        raise _UnusableError(message) from None
    return _Container(label, ":", items, depth, zf, area)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; UTF-8 names stored without the UTF-8 flag are decoded as UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except UnicodeError:
        return info.filename


def _entry_parts(name: str) -> tuple[tuple[str, ...], str | None]:
    """The entry's path inside the zip, and why it would land outside the work folder, if so."""
    normal = name.replace("\\", "/")
    parts = tuple(part for part in normal.split("/") if part not in ("", ".", ".."))
    if normal.startswith("/") or _DRIVE.match(normal):
        return parts, (
            f"the zip entry '{name}' has an absolute path; nothing is extracted outside "
            "the work folder"
        )
    if ".." in normal.split("/"):
        return parts, (
            f"the zip entry '{name}' climbs out of the zip ('../'); nothing is extracted "
            "outside the work folder"
        )
    return parts, None


def _entry_problem(info: zipfile.ZipInfo, name: str) -> str | None:
    """Why one entry must not be extracted, judged from the listing alone."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return f"the zip entry '{name}' is a symbolic link; links are never extracted or followed"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"the zip entry '{name}' is not a regular file"
    if info.flag_bits & 0x1:
        return f"'{name}' is password-protected; submit it without a password"
    if info.compress_type not in _READABLE:
        return (
            f"'{name}' uses a compression method this grader cannot read "
            f"(method {info.compress_type}); zip it again with standard settings"
        )
    if info.file_size > MAX_FILE_BYTES:
        if PurePosixPath(name).suffix.lower() == NOTEBOOK:
            return _too_big_notebook(info.file_size)
        return (
            f"'{name}' would expand to {_size(info.file_size)}, over the "
            f"{_size(MAX_FILE_BYTES)} limit for one file; not extracted"
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        return (
            f"'{name}' would expand {ratio}-fold ({_size(info.compress_size)} to "
            f"{_size(info.file_size)}), the mark of a zip bomb; not extracted"
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


def _is_batch(c: _Container) -> bool:
    """An LMS download rather than one student's export zip."""
    names = {item.parts[-1] for item in c.items}
    if names & OTTER_MARKERS:
        return False
    if GRADESCOPE_METADATA in names or any(_CANVAS.match(name) for name in names):
        return True
    visible = [item for item in c.items if not item.hidden]
    return sum(item.suffix in (NOTEBOOK, ZIP) for item in visible) > 1


def _unit_key(item: _Item, metadata: dict[str, _Meta], gs_root: tuple[str, ...]) -> tuple:
    """Which submission a file belongs to: Gradescope's, Canvas's, or a plain file's own."""
    parts = item.parts
    depth = len(gs_root)
    if metadata and parts[:depth] == gs_root and len(parts) > depth:
        first = parts[depth]
        if len(parts) > depth + 1 and first in metadata:
            return ("gs", first)
        if len(parts) == depth + 1 and _stem(first) in metadata:
            return ("gs", _stem(first))
    match = _CANVAS.match(parts[-1])
    if match:
        return ("canvas", parts[:-1], match["student"], match["submission"])
    return ("plain", parts[:-1], _stem(parts[-1]))


def _plain_names(items: list[_Item]) -> dict[tuple[str, ...], str]:
    """Student names for files without LMS naming (see the module docstring for the rules)."""
    candidates = Counter(item.parts[:-1] for item in items if item.suffix in (NOTEBOOK, ZIP))
    folders_of_stem: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for item in items:
        folders_of_stem[_stem(item.parts[-1])].add(item.parts[:-1])
    prefixes_of_tail: dict[str, set[str]] = defaultdict(set)
    for stem in folders_of_stem:
        for cut in _cuts(stem):
            prefixes_of_tail[stem[cut:]].add(stem[:cut])
    names = {}
    for item in items:
        folder, stem = item.parts[:-1], _stem(item.parts[-1])
        if folder and (candidates[folder] <= 1 or len(folders_of_stem[stem]) > 1):
            names[item.parts] = folder[-1]
            continue
        shared = [cut for cut in _cuts(stem) if len(prefixes_of_tail[stem[cut:]]) > 1]
        names[item.parts] = stem[: shared[0]] if shared else stem
    return names


def _cuts(stem: str) -> list[int]:
    return [index for index, char in enumerate(stem) if char == "_" and 0 < index < len(stem) - 1]


def _stem(name: str) -> str:
    return PurePosixPath(name).stem


def _resubmission(item: _Item) -> int:
    """Canvas appends `-1`, `-2` to the original name of a re-uploaded file."""
    match = _CANVAS.match(item.parts[-1])
    if not match:
        return 0
    number = _RESUBMISSION.search(_stem(match["original"]))
    return int(number[1]) if number else 0


def _not_notebook(items: list[_Item]) -> str:
    if len(items) == 1:
        suffix = items[0].suffix
        return f"{EXPECTED}, got {f'a {suffix} file' if suffix else 'a file without an extension'}"
    listed = ", ".join(item.parts[-1] for item in items[:5])
    return f"{EXPECTED}, got {listed}{', ...' if len(items) > 5 else ''}"


def _too_big_notebook(size: int) -> str:
    return (
        f"the notebook is {_size(size)}, over the {_size(MAX_FILE_BYTES)} limit; clear its "
        "outputs (Kernel > Restart Kernel and Clear All Outputs), save and submit it again"
    )


def _size(count: int) -> str:
    if count >= GiB:
        return f"{count / GiB:.1f} GB"
    if count >= MiB:
        return f"{count / MiB:.0f} MB"
    return f"{count} bytes"


def _supersede(found: list[_Found]) -> list[Submission]:
    """The newest submission of each student counts (time, then re-upload number)."""

    def rank(entry: _Found) -> tuple:
        submission = entry.submission
        return (submission.submitted_at or _NEVER, entry.resubmission, submission.source)

    newest: dict[str, int] = {}
    for index, entry in enumerate(found):
        student = entry.submission.student
        if student not in newest or rank(entry) > rank(found[newest[student]]):
            newest[student] = index
    result = [
        replace(entry.submission, superseded=newest[entry.submission.student] != index)
        for index, entry in enumerate(found)
    ]
    return sorted(result, key=lambda submission: (submission.source, submission.student))
