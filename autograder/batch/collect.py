"""Batch intake: every submission in a notebook, a folder, an otter export zip or an LMS download.

Everything here comes from students or from an LMS and is trusted for nothing: a file's listing
is judged before anything is read (`autograder.batch.files`), zips are vetted and extracted under
caps (`autograder.batch.zips`), and who submitted what is read from the LMS's naming
(`autograder.batch.lms`). This module groups the files into submissions, one per student and
upload, and counts the newest of each student. Notebooks are not parsed here; `grade_notebook`
reports what is wrong inside one.

The size and count limits are those of one `collect()` call. Zips inside a batch are always one
submission each, unwrapped one level and no deeper.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from autograder.batch.files import (
    NOTEBOOK,
    ZIP,
    Container,
    GiB,
    Item,
    MiB,
    Stamp,
    UnusableError,
    disk_item,
    folder,
    too_big_notebook,
)
from autograder.batch.lms import (
    CANVAS,
    GRADESCOPE_METADATA,
    gradescope_metadata,
    is_batch,
    plain_names,
    resubmission_number,
    unit_key,
)
from autograder.batch.zips import ZipReader
from autograder.errors import GraderError
from autograder.i18n import Text, t

MAX_FILE_BYTES = 300 * MiB  # one notebook or zip entry; a 100 MB notebook of outputs still fits
MAX_TOTAL_BYTES = 4 * GiB  # everything one call declares in a zip, and everything it extracts
MAX_ENTRIES = 20_000  # a class of 300 with a dozen files each stays far below
MAX_ZIP_DEPTH = 2  # an LMS zip (1) of otter export zips (2)

_NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Submission:
    """One student's submission as found in the batch, usable or not, counted or superseded."""

    student: str
    source: str
    path: Path | None
    submitted_at: datetime | None
    late: bool = False
    #: why it cannot be graded, for the student (rendered in their language) and the TA
    error: Text | None = None
    superseded: bool = False
    #: who says when it came in (`Stamp.source`); None when nothing does
    time_source: str | None = None


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
        collector.batch(folder(path, workdir.resolve()))
    else:
        item = disk_item(path, (path.name,), follow=True)
        collector.batch(Container(label="", sep="", items=[item], depth=0))
    return _supersede(collector.found)


@dataclass(frozen=True)
class _Who:
    """The students a submission belongs to, and what the LMS said about it."""

    students: tuple[str, ...]
    late: bool = False
    time: Stamp | None = None


@dataclass(frozen=True)
class _Found:
    submission: Submission
    resubmission: int


class _Collector:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.reader = ZipReader(
            file_bytes=MAX_FILE_BYTES, total_bytes=MAX_TOTAL_BYTES, max_entries=MAX_ENTRIES
        )
        self.found: list[_Found] = []

    def batch(self, c: Container) -> None:
        """Group a batch's files into submissions (per LMS naming) and take each in turn."""
        metadata, gs_root = gradescope_metadata(c)
        units: dict[tuple, list[Item]] = defaultdict(list)
        for item in c.items:
            if item.problem is None and (item.hidden or item.parts[-1] == GRADESCOPE_METADATA):
                continue
            units[unit_key(item, metadata, gs_root)].append(item)
        plain = [item for key, items in units.items() if key[0] == "plain" for item in items]
        names = plain_names(plain)
        visible = [item for item in c.items if not item.hidden]
        candidates = Counter(item.parts[:-1] for item in visible if item.suffix in (NOTEBOOK, ZIP))
        for key, items in units.items():
            if key[0] == "gs":
                meta = metadata[key[1]]
                stamp = Stamp(meta.time, "gradescope") if meta.time else None
                who = _Who(meta.students or (key[1],), time=stamp)
            elif key[0] == "canvas":
                who = _Who((key[2],), late=bool(CANVAS.match(items[0].parts[-1])["late"]))
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
        c: Container,
        items: list[Item],
        who: _Who,
        time: Stamp | None = None,
        resubmission: int = 0,
    ) -> bool:
        """A submission with any unsafe or oversized file is refused as a whole."""
        bad = [item for item in items if item.problem]
        if not bad:
            return False
        message = bad[0].problem
        assert message is not None
        if len(bad) > 1:
            message = t(
                "{problem} (and {n} more problem(s) in this submission)",
                problem=message,
                n=len(bad) - 1,
            )
        self._add(who, c.source(bad[0]), None, time or bad[0].stamp, message, resubmission)
        return True

    def _files(self, c: Container, items: list[Item], who: _Who, support: bool) -> None:
        """Canvas or plain files: each notebook and zip counts; other files only as an error."""
        notebooks = [item for item in items if item.suffix == NOTEBOOK]
        zips = [item for item in items if item.suffix == ZIP]
        for item in notebooks:
            self._notebook(c, item, who, item.stamp, resubmission_number(item))
        for item in zips:
            self._zip(c, item, who, item.stamp, resubmission_number(item))
        if not notebooks and not zips and not support:
            self._add(who, c.source(items[0]), None, items[0].stamp, _not_notebook(items))

    def _one_of(
        self,
        c: Container,
        items: list[Item],
        who: _Who,
        source: str,
        time: Stamp | None = None,
        resubmission: int = 0,
    ) -> None:
        """One submission's files (an otter zip, a Gradescope folder): exactly one notebook."""
        visible = [item for item in items if not item.hidden]
        notebooks = [item for item in visible if item.suffix == NOTEBOOK]
        zips = [item for item in visible if item.suffix == ZIP]
        if len(notebooks) == 1:
            self._notebook(c, notebooks[0], who, time or notebooks[0].stamp, resubmission)
        elif notebooks:
            message = t(
                "the submission holds {n} notebooks ({names}); submit one",
                n=len(notebooks),
                names=", ".join(item.name for item in notebooks[:5]),
            )
            self._add(who, source, None, time, message, resubmission)
        elif len(zips) == 1:
            self._zip(c, zips[0], who, time or zips[0].stamp, resubmission)
        elif not visible:
            message = t("the submission is empty (no files in the zip)")
            self._add(who, source, None, time, message, resubmission)
        else:
            self._add(who, source, None, time, _not_notebook(visible), resubmission)

    def _notebook(
        self, c: Container, item: Item, who: _Who, time: Stamp | None, resubmission: int
    ) -> None:
        source = c.source(item)
        if item.size > MAX_FILE_BYTES:
            message = too_big_notebook(item.size, MAX_FILE_BYTES)
            self._add(who, source, None, time, message, resubmission)
            return
        try:
            path = self.reader.extract(c, item)
        except UnusableError as refused:
            self._add(who, source, None, time, refused.message, resubmission)
            return
        self._add(who, source, path, time, None, resubmission)

    def _zip(
        self, c: Container, item: Item, who: _Who, time: Stamp | None, resubmission: int
    ) -> None:
        """A zip is unwrapped: into a batch at the top level, into one submission below it."""
        source = c.source(item)
        level = c.depth + 1
        if level > MAX_ZIP_DEPTH:
            message = t(
                "a zip inside a zip inside a zip; only one level of nested zips is unpacked"
            )
            self._add(who, source, None, time, message, resubmission)
            return
        try:
            inner = self.reader.open_zip(
                self.reader.extract(c, item), source, self._area(c, item), level
            )
        except UnusableError as refused:
            self._add(who, source, None, time, refused.message, resubmission)
            return
        assert inner.zf is not None
        with inner.zf:  # closed at once: a class of a thousand exports must not hold 1000 files
            if level == 1 and is_batch(inner):
                self.batch(inner)
            elif not self._refused(inner, inner.items, who, time, resubmission):
                self._one_of(inner, inner.items, who, source, time, resubmission)

    def _add(
        self,
        who: _Who,
        source: str,
        path: Path | None,
        time: Stamp | None,
        error: Text | None,
        resubmission: int = 0,
    ) -> None:
        stamp = who.time or time
        for student in who.students:
            submission = Submission(
                student,
                source,
                path,
                stamp.time if stamp else None,
                who.late,
                error,
                time_source=stamp.source if stamp else None,
            )
            self.found.append(_Found(submission, resubmission))

    def _area(self, c: Container, item: Item) -> Path:
        """Where a zip's entries go: beside where the zip itself is, under a name ending in '!'."""
        base = c.area if c.area is not None else self.workdir.joinpath(*filter(None, [c.label]))
        return base.joinpath(*item.parts[:-1], item.parts[-1] + "!")


def _not_notebook(items: list[Item]) -> Text:
    if len(items) == 1:
        suffix = items[0].suffix
        if suffix:
            return t("expected a Jupyter notebook (.ipynb), got a {suffix} file", suffix=suffix)
        return t("expected a Jupyter notebook (.ipynb), got a file without an extension")
    listed = ", ".join(item.parts[-1] for item in items[:5])
    return t(
        "expected a Jupyter notebook (.ipynb), got {files}",
        files=listed + (", ..." if len(items) > 5 else ""),
    )


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
