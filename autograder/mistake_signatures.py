"""Where the known mistakes' signatures are kept, and which of them hold for a grading.

A signature (engine/mistaken.py) is computed by grading the reference notebook with each known
mistake applied (`autograder/authoring/signatures.py`: minutes per assignment), so it is kept:
in the Gradescope zip (`mistake-signatures/` beside grader.yaml, written by `rnn-grader build`),
else in the user's cache (`$XDG_CACHE_HOME/rnn-grader/mistake-signatures`). A signature holds
for the key it was made for: the exercise's definition fingerprint, the plan seed, torch's
version and the master notebook's code cells (what the mistakes are applied to). Routes only
read them here; nothing is computed while a student's notebook is graded.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import nbformat
import torch

from autograder.cache import grader_cache
from autograder.config import Course
from autograder.engine.mistaken import (
    ExerciseSignature,
    MistakeNamer,
    load_signature,
    signature_key,
)
from autograder.exercises.fingerprint import definition_fingerprint

#: the folder beside grader.yaml that the Gradescope zip carries the signatures in
SHIPPED_FOLDER = "mistake-signatures"


def cache_root() -> Path:
    return grader_cache() / SHIPPED_FOLDER


def signature_roots(course: Course) -> list[Path]:
    """Where signatures are looked for, in order: the shipped folder, then the cache."""
    return [course.root / SHIPPED_FOLDER, cache_root()]


def current_key(course: Course, assignment: str, exercise_id: str, seed: int) -> str:
    """The key a signature of `exercise_id` must have to hold now."""
    notebook = course.master_notebook(assignment)
    return _key(
        str(course.config_path),
        assignment,
        exercise_id,
        seed,
        _stamp(course.config_path),
        _stamp(notebook),
    )


def current_signatures(
    course: Course, assignment: str, exercise_ids: list[str], seed: int
) -> dict[str, ExerciseSignature]:
    """The signatures that hold now for those of `exercise_ids` that have one."""
    roots = signature_roots(course)
    found = {}
    for exercise_id in exercise_ids:
        key = current_key(course, assignment, exercise_id, seed)
        signature = load_signature(roots, assignment, exercise_id, key)
        if signature is not None:
            found[exercise_id] = signature
    return found


def mistake_namer(
    course: Course, assignment: str, exercise_ids: list[str], seed: int
) -> MistakeNamer | None:
    """The engine's hook that names known mistakes, where any signature holds. Naming is extra:
    a checkout it cannot read (no master notebook) names nothing, and grading says what is
    wrong with the checkout itself."""
    try:
        signatures = current_signatures(course, assignment, exercise_ids, seed)
    except OSError:
        return None
    return MistakeNamer(signatures) if signatures else None


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=256)
def _key(config_path: str, assignment: str, exercise_id: str, seed: int, *stamps: int) -> str:
    """`signature_key`, once per process for files unchanged (`stamps`: their mtimes)."""
    course = Course(Path(config_path))
    fingerprint = definition_fingerprint(course, assignment, exercise_id)
    notebook = nbformat.read(course.master_notebook(assignment), as_version=4)
    code = "\0".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    digest = hashlib.sha256(code.encode()).hexdigest()
    return signature_key(fingerprint, seed, torch.__version__, digest)
