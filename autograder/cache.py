"""Where the grader keeps what it computed for itself (the known mistakes' signatures).

The user's cache folder ($XDG_CACHE_HOME or ~/.cache), under rnn-grader/. What is there is
derived from the references, so it is made readable by its owner only, and the confinement
preflight counts it among the paths student code must not read (sandbox/tiers.py).
"""

from __future__ import annotations

import os
from pathlib import Path


def grader_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rnn-grader"


def private_cache() -> Path:
    """The cache folder, created (or narrowed) to its owner alone before anything is written."""
    folder = grader_cache()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder
