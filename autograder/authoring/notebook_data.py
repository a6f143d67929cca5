"""What a notebook computes from the course data, built in the grader for its public tests.

The sandboxed child has no data directory, so the cells that load the course data fail there.
A public test that takes such a value (anna_lstm's `encoded`, word_lm's `corpus`) gets it from
here instead: the course's own given code (solutions/) run on the files the notebook reads.
Only these values reach the child, never a path; they are built once per grading process.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeAlias

import numpy as np
import torch

from solutions import anna_lstm, word_lm

#: an array (numpy stays numpy, a tensor stays a tensor) or an object's attributes
Given: TypeAlias = "np.ndarray | torch.Tensor | dict[str, Given]"


def notebook_data(data_dir: Path, assignment: str, names: set[str]) -> dict[str, Given]:
    """The values of `names` that the assignment's notebook reads from the course data.

    A name whose file is missing here is left out: its test then gets None, as it would in a
    notebook without the data.
    """
    found: dict[str, Given] = {}
    for name in sorted(names & set(_BUILDERS.get(assignment, {}))):
        try:
            found[name] = _BUILDERS[assignment][name](data_dir)
        except OSError:
            continue
    return found


def _anna_encoded(data_dir: Path) -> np.ndarray:
    return _encoded(_stamp(data_dir / "anna.txt"))


def _wikitext_corpus(data_dir: Path) -> dict[str, Given]:
    folder = data_dir / "wikitext-2"
    return _corpus(tuple(_stamp(folder / f"{split}.txt") for split in ("train", "valid", "test")))


def _stamp(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path), status.st_size, status.st_mtime_ns


@lru_cache(maxsize=1)
def _encoded(stamp: tuple[str, int, int]) -> np.ndarray:
    """`encoded` as the notebook's cells compute it (its ids depend on the string hash seed,
    so no test compares them with fixed numbers)."""
    text = anna_lstm.load_text(stamp[0])
    _, _, char2int = anna_lstm.build_char_maps(text)
    return anna_lstm.encode_text(text, char2int)


@lru_cache(maxsize=1)
def _corpus(stamps: tuple[tuple[str, int, int], ...]) -> dict[str, Given]:
    """`corpus`: its train, valid and test id tensors (the dictionary stays here)."""
    corpus = word_lm.Corpus(Path(stamps[0][0]).parent)
    return {"train": corpus.train, "valid": corpus.valid, "test": corpus.test}


_BUILDERS: dict[str, dict[str, Callable[[Path], Given]]] = {
    "anna_lstm": {"encoded": _anna_encoded},
    "word_lm": {"corpus": _wikitext_corpus},
}
