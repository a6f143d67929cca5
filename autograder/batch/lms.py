"""LMS naming: who submitted which file of a batch, read from how the LMS named and listed it.

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
metadata, Canvas names or several notebooks, and one submission (an otter export) otherwise.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath

import yaml

from autograder.batch.files import (
    NOTEBOOK,
    ZIP,
    Container,
    Item,
    MiB,
    UnusableError,
    format_size,
)
from autograder.i18n import t

MAX_METADATA_BYTES = 32 * MiB

GRADESCOPE_METADATA = "submission_metadata.yml"
OTTER_MARKERS = {".OTTER_LOG", "__zip_filename__"}

CANVAS = re.compile(
    r"^(?P<name>[^_]+)_(?:(?P<late>late)_)?(?P<student>\d+)_(?P<submission>\d+)_(?P<original>.+)$",
    re.IGNORECASE,
)
_RESUBMISSION = re.compile(r"-(\d+)$")


@dataclass(frozen=True)
class GradescopeEntry:
    """One `submission_<id>` of Gradescope's metadata: its submitters and when it came in."""

    students: tuple[str, ...]
    time: datetime | None


def gradescope_metadata(c: Container) -> tuple[dict[str, GradescopeEntry], tuple[str, ...]]:
    """Gradescope's export metadata, if the batch has it, and the folder it sits in."""
    found = [
        item for item in c.items if item.parts[-1] == GRADESCOPE_METADATA and item.problem is None
    ]
    if not found:
        return {}, ()
    item = min(found, key=lambda candidate: len(candidate.parts))
    try:
        data = yaml.load(_read_metadata(c, item), Loader=_MetadataLoader)
    except (yaml.YAMLError, UnusableError, OSError, ValueError):
        return {}, item.parts[:-1]
    return _parse_metadata(data), item.parts[:-1]


def _read_metadata(c: Container, item: Item) -> bytes:
    if item.size > MAX_METADATA_BYTES:
        raise UnusableError(
            t("{name} is {size}, too big for metadata", name=item.name, size=format_size(item.size))
        )
    if item.disk is not None:
        return item.disk.read_bytes()
    assert c.zf is not None and item.info is not None
    try:
        with c.zf.open(item.info) as src:
            return src.read(MAX_METADATA_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        raise UnusableError(
            t("cannot read {name} ({reason})", name=item.name, reason=str(error))
        ) from None


class _MetadataLoader(yaml.SafeLoader):
    """Gradescope's YAML comes from Ruby: unknown tags (`!ruby/...`) are read as plain data."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_MetadataLoader.add_multi_constructor("!", _untagged)


def _parse_metadata(data: object) -> dict[str, GradescopeEntry]:
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
        metadata[str(key).lstrip(":")] = GradescopeEntry(
            students, _as_time(fields.get("created_at"))
        )
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


def is_batch(c: Container) -> bool:
    """An LMS download rather than one student's export zip."""
    names = {item.parts[-1] for item in c.items}
    if names & OTTER_MARKERS:
        return False
    if GRADESCOPE_METADATA in names or any(CANVAS.match(name) for name in names):
        return True
    visible = [item for item in c.items if not item.hidden]
    return sum(item.suffix in (NOTEBOOK, ZIP) for item in visible) > 1


def unit_key(item: Item, metadata: dict[str, GradescopeEntry], gs_root: tuple[str, ...]) -> tuple:
    """Which submission a file belongs to: Gradescope's, Canvas's, or a plain file's own."""
    parts = item.parts
    depth = len(gs_root)
    if metadata and parts[:depth] == gs_root and len(parts) > depth:
        first = parts[depth]
        if len(parts) > depth + 1 and first in metadata:
            return ("gs", first)
        if len(parts) == depth + 1 and _stem(first) in metadata:
            return ("gs", _stem(first))
    match = CANVAS.match(parts[-1])
    if match:
        return ("canvas", parts[:-1], match["student"], match["submission"])
    return ("plain", parts[:-1], _stem(parts[-1]))


def plain_names(items: list[Item]) -> dict[tuple[str, ...], str]:
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


def resubmission_number(item: Item) -> int:
    """Canvas appends `-1`, `-2` to the original name of a re-uploaded file."""
    match = CANVAS.match(item.parts[-1])
    if not match:
        return 0
    number = _RESUBMISSION.search(_stem(match["original"]))
    return int(number[1]) if number else 0
