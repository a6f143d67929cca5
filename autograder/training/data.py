"""The course data, encoded for the training recipes: small integer arrays and held-out splits.

The child has no data directory, so the grader reads the files, encodes them and sends what a
recipe needs as arrays (subsets, to keep the request small). For every held-out set the
targets (a name's language, the character or word after each position) are kept here: they
never go to the child. Everything is deterministic: the same data directory always gives the
same arrays, so a calibration and a grading run see the same held-out set.
"""

from __future__ import annotations

import string
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from autograder import datasets
from autograder.errors import GraderError

NAMES_VOCAB = string.ascii_letters + " .,;'" + "_"
#: The course's split of the names (85/15, seed 2025), reproduced here.
NAMES_SPLIT_SEED = 2025
#: rnn_basics' from-scratch characters: '0' starts a sentence and '1' ends it.
SCRATCH_CHARS = "abcdefghijklmnopqrstuvwxyz ?!.,:;01"
SCRATCH_SENTENCE = "hello pytorch. how long can a rnn cell remember?"
UNKNOWN_WORD = "<unk>"
END_OF_LINE = "<eos>"


@dataclass(frozen=True)
class Prepared:
    """What one training check sends (`arrays`) and what it keeps (`expected`)."""

    arrays: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    info: dict[str, object] = field(default_factory=dict)


class DataMissingError(GraderError):
    """The data directory lacks a file a training check needs, or holds one its checksum refuses.

    Either way the grader, not the student, is at fault: the check is not graded, and the message
    (paths and settings included) is for the staff. `missing` names every file that is unusable.
    """

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


def require_files(data_dir: Path, *names: str) -> list[Path]:
    """The paths of `names` in `data_dir`, every one checked before any is read.

    A recipe requires all its files in one call, so that `files_read` learns them all. Where
    the directory holds a checksum file (the Gradescope zip's data/), each file must match it.
    """
    data_dir = Path(data_dir)
    paths = [data_dir / name for name in names]
    missing = tuple(name for name, path in zip(names, paths, strict=True) if not path.is_file())
    if missing:
        raise DataMissingError(
            f"the grader cannot run this training check: the course data "
            f"{'files' if len(missing) > 1 else 'file'} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} not in {data_dir} (set RNN_GRADER_DATA or "
            "data_dir in grader.yaml; see `rnn-grader data prepare`; on Gradescope, run "
            "`rnn-grader build` where that data is, so that the zip carries it)",
            missing,
        )
    sums = data_dir / datasets.SUMS_FILE
    if sums.is_file():
        _verify(sums, names, paths)
    return paths


def _verify(sums: Path, names: tuple[str, ...], paths: list[Path]) -> None:
    """Files that travelled must arrive intact: a damaged one must not grade anyone."""
    try:
        listed = datasets.read_sums(sums)
    except GraderError as error:
        raise DataMissingError(
            f"the grader cannot run this training check: {error}", names
        ) from None
    wrong = tuple(
        name
        for name, path in zip(names, paths, strict=True)
        if listed.get(name) != _digest(_stamp(path))
    )
    if wrong:
        raise DataMissingError(
            f"the grader cannot run this training check: the course data file(s) "
            f"{', '.join(wrong)} in {sums.parent} do not match their checksums in {sums} "
            "(damaged, replaced or not listed); build the zip again",
            wrong,
        )


@lru_cache(maxsize=16)
def _digest(stamp: tuple[str, int, int]) -> str:
    return datasets.sha256_of(Path(stamp[0]))


def files_read(prepare: Callable[[Path], object]) -> tuple[str, ...]:
    """The data files `prepare` reads: run on an empty directory, it fails naming all of them."""
    with tempfile.TemporaryDirectory(prefix="rnn-grader-no-data-") as empty:
        try:
            prepare(Path(empty))
        except DataMissingError as error:
            return error.missing
    return ()


def _stamp(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_size, stat.st_mtime_ns


# --- names -------------------------------------------------------------------------------------


def names(data_dir: Path) -> Prepared:
    """Train and held-out names as padded ids + lengths; held-out languages stay with the grader."""
    (path,) = require_files(data_dir, "names.csv")
    return _names(_stamp(path))


@lru_cache(maxsize=4)
def _names(stamp: tuple[str, int, int]) -> Prepared:
    import torch
    from torch.utils.data import random_split

    frame = pd.read_csv(stamp[0], keep_default_na=False)
    classes = sorted(frame["language"].unique().tolist())
    index = {char: i for i, char in enumerate(NAMES_VOCAB)}
    unknown = index["_"]
    encoded = [[index.get(char, unknown) for char in name] for name in frame["name"]]
    lengths = np.array([len(ids) for ids in encoded], dtype=np.int64)
    if lengths.min() < 1:
        raise GraderError("names.csv holds an empty name; prepare the data again")
    padded = np.zeros((len(encoded), int(lengths.max())), dtype=np.uint8)
    for row, ids in enumerate(encoded):
        padded[row, : len(ids)] = ids
    labels = np.array([classes.index(lang) for lang in frame["language"]], dtype=np.uint8)
    generator = torch.Generator().manual_seed(NAMES_SPLIT_SEED)
    train, held = random_split(range(len(frame)), [0.85, 0.15], generator=generator)
    train_rows, held_rows = np.array(train.indices), np.array(held.indices)
    return Prepared(
        arrays={
            "train_ids": padded[train_rows],
            "train_lengths": lengths[train_rows].astype(np.uint8),
            "train_labels": labels[train_rows],
            "heldout_ids": padded[held_rows],
            "heldout_lengths": lengths[held_rows].astype(np.uint8),
        },
        expected={"labels": labels[held_rows].astype(np.int64)},
        info={"classes": classes, "train": len(train_rows), "heldout": len(held_rows)},
    )


# --- character streams: Tiny Shakespeare, Anna Karenina ------------------------------------------


def characters(data_dir: Path, file: str, train_chars: int, windows: int, window: int) -> Prepared:
    """A character text as ids over its sorted vocabulary.

    The first 90% is training text (its first `train_chars` characters are sent); `windows`
    held-out windows of `window` characters are spread evenly over the last 10%. Each window's
    targets, the characters that follow each position, stay here.
    """
    (path,) = require_files(data_dir, file)
    return _characters(_stamp(path), train_chars, windows, window)


@lru_cache(maxsize=8)
def _characters(
    stamp: tuple[str, int, int], train_chars: int, windows: int, window: int
) -> Prepared:
    with open(stamp[0], encoding="utf-8") as handle:  # text mode, as the course reads it
        text = handle.read()
    vocab = sorted(set(text))
    lookup = {char: i for i, char in enumerate(vocab)}
    ids = np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))
    cut = int(len(ids) * 0.9)
    train = ids[: min(train_chars, cut)]
    starts = np.linspace(cut, len(ids) - window - 2, windows).astype(np.int64)
    inputs = np.stack([ids[s : s + window] for s in starts])
    targets = np.stack([ids[s + 1 : s + window + 1] for s in starts])
    dtype = np.uint8 if len(vocab) <= 256 else np.int16
    return Prepared(
        arrays={"train_ids": train.astype(dtype), "heldout_ids": inputs.astype(dtype)},
        expected={"targets": targets},
        info={"vocab": vocab, "train": len(train), "heldout": inputs.size},
    )


# --- WikiText-2 with a small vocabulary ---------------------------------------------------


def words(
    data_dir: Path, vocab_size: int, train_tokens: int, windows: int, window: int
) -> Prepared:
    """WikiText-2 tokenised as the course does (`split()` + <eos>), on its top words.

    The `vocab_size - 1` most frequent training words keep an id; every other word becomes
    <unk>, which keeps the decoder small enough to train in seconds. The first `train_tokens`
    of train.txt are sent; held-out windows are spread evenly over valid.txt.
    """
    train_path, valid_path = require_files(data_dir, "wikitext-2/train.txt", "wikitext-2/valid.txt")
    return _words(_stamp(train_path), _stamp(valid_path), vocab_size, train_tokens, windows, window)


@lru_cache(maxsize=4)
def _words(
    train_stamp: tuple[str, int, int],
    valid_stamp: tuple[str, int, int],
    vocab_size: int,
    train_tokens: int,
    windows: int,
    window: int,
) -> Prepared:
    train_words = _tokens(train_stamp[0])
    valid_words = _tokens(valid_stamp[0])
    counts = Counter(train_words)
    counts.pop(UNKNOWN_WORD, None)
    kept = [UNKNOWN_WORD] + [word for word, _ in counts.most_common(vocab_size - 1)]
    lookup = {word: i for i, word in enumerate(kept)}
    train = np.array([lookup.get(w, 0) for w in train_words[:train_tokens]], dtype=np.int64)
    valid = np.array([lookup.get(w, 0) for w in valid_words], dtype=np.int64)
    starts = np.linspace(0, len(valid) - window - 2, windows).astype(np.int64)
    inputs = np.stack([valid[s : s + window] for s in starts])
    targets = np.stack([valid[s + 1 : s + window + 1] for s in starts])
    return Prepared(
        arrays={"train_ids": train.astype(np.int16), "heldout_ids": inputs.astype(np.int16)},
        expected={"targets": targets},
        info={
            "vocab": len(kept),
            "train": len(train),
            "heldout": inputs.size,
            "unknown_share": float(np.mean(valid == 0)),
        },
    )


def _tokens(path: str) -> list[str]:
    tokens: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            tokens.extend(line.split() + [END_OF_LINE])
    return tokens


# --- rnn_basics: the sentence to memorise -------------------------------------------------


def sentence() -> Prepared:
    """The course's sentence as one-hot rows with start and end rows (no data file needed)."""
    indices = [len(SCRATCH_CHARS) - 2]
    indices += [SCRATCH_CHARS.index(c) for c in SCRATCH_SENTENCE]
    indices += [len(SCRATCH_CHARS) - 1]
    rows = np.eye(len(SCRATCH_CHARS), dtype=np.float32)[indices]
    return Prepared(
        arrays={"rows": rows},
        expected={"targets": rows[1:], "target_ids": np.array(indices[1:], dtype=np.int64)},
        info={"steps": len(indices) - 1},
    )
