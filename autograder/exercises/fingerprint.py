"""What an exercise's score depends on besides the submission: a fingerprint of its definition.

A stored score is only as good as the checks that gave it. The fingerprint covers the exercise's
module, every module of the exercise packages and of `solutions/` it imports (its companion
modules, shared helpers and reference answers, followed through their own imports), its entry in
grader.yaml except its points (limits, budgets, thresholds: a points change is rescaled at export
instead of regraded), and for a training check the calibration file of the device class it
trained on. The batch regrades a result whose fingerprint differs from the current one.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import autograder
from autograder.config import Course
from autograder.training import calibration

#: where the grader's packages (autograder/, solutions/) are imported from
SOURCE_ROOT = Path(autograder.__file__).resolve().parent.parent
#: the packages whose modules define checks and reference answers
FOLLOWED = ("autograder.exercises.", "solutions")
#: the device classes with calibration files (a training record's device is the child's word)
DEVICE_CLASSES = ("cpu", "cuda")


def definition_fingerprint(
    course: Course, assignment: str, exercise_id: str, device: str | None = None
) -> str:
    """The fingerprint of `exercise_id` as it grades now; `device`: where a training check ran."""
    digest = hashlib.sha256()
    for name, path in sorted(_sources(f"autograder.exercises.{assignment}.{exercise_id}").items()):
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes())
    entry = course.config.assignment(assignment).exercises[exercise_id]
    settings = json.dumps(entry.model_dump(mode="json", exclude={"points"}), sort_keys=True)
    digest.update(f"\0config\0{settings}".encode())
    if entry.training is not None and device in DEVICE_CLASSES:
        found = course.root / calibration.relative_path(device, exercise_id)
        digest.update(f"\0calibration {device}\0".encode())
        digest.update(found.read_bytes() if found.is_file() else b"missing")
    return digest.hexdigest()[:16]


class Definitions:
    """The current fingerprints of one assignment's exercises, computed once per (id, device)."""

    def __init__(self, course: Course, assignment: str) -> None:
        self.course = course
        self.assignment = assignment
        self._known: dict[tuple[str, str | None], str] = {}

    def of(self, exercise_id: str, device: str | None = None) -> str:
        key = (exercise_id, device if device in DEVICE_CLASSES else None)
        if key not in self._known:
            self._known[key] = definition_fingerprint(self.course, self.assignment, *key)
        return self._known[key]


def _sources(module: str) -> dict[str, Path]:
    """`module` and the followed modules it imports, directly or through each other."""
    found: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = _path_of(name)
        if name in found or path is None:
            continue
        found[name] = path
        todo.extend(_imported(name, path))
    return found


def _path_of(module: str) -> Path | None:
    base = SOURCE_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(name: str, path: Path) -> list[str]:
    """The followed modules `name` names in its import statements (a module or its members)."""
    targets: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            targets += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return [t for t in targets if t.startswith(FOLLOWED)]
