"""Read course code out of `solutions/`: whole definitions by name, and the lines students write.

`solutions/` is the single source of course code. Master notebooks embed definitions from it
(see sync.py) and the build proves that no line a student must write reaches the template.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import GraderError

_SINGLE_LINE = re.compile(r"^(?P<code>.*?)\s*# ?SOLUTION\s*$")
_ASSIGNED_VALUE = re.compile(r"^[^=]*?=\s*(?P<value>.+)$")


@dataclass(frozen=True)
class SourceKey:
    """A reference such as 'names_charlm.CustomRNN' or 'rnn_basics.scratch.RNN'."""

    module: tuple[str, ...]
    name: str

    @classmethod
    def parse(cls, text: str) -> SourceKey:
        parts = text.split(".")
        if len(parts) < 2 or not all(part.isidentifier() for part in parts):
            raise GraderError(
                f"sync key {text!r} must look like 'module.name' or 'package.module.name'"
            )
        return cls(tuple(parts[:-1]), parts[-1])

    def path(self, solutions_dir: Path) -> Path:
        return solutions_dir.joinpath(*self.module).with_suffix(".py")

    def __str__(self) -> str:
        return ".".join((*self.module, self.name))


def definition_source(solutions_dir: Path, key: SourceKey) -> str:
    """The exact lines that define `key.name` at the top level of its module, with decorators."""
    path = key.path(solutions_dir)
    if not path.is_file():
        raise GraderError(f"sync key {key}: no module {path.relative_to(solutions_dir.parent)}")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.parse(text, filename=str(path)).body:
        if key.name in _defined_names(node):
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            return "\n".join(lines[first - 1 : _end_with_trailing_comments(lines, node)])
    raise GraderError(f"sync key {key}: {path.name} defines no top-level {key.name!r}")


def _end_with_trailing_comments(lines: list[str], node: ast.stmt) -> int:
    """The last line of `node`, counting indented comments after its last statement.

    A body's closing `# END SOLUTION` comes after the final statement, so ast does not count it.
    """
    end = last = node.end_lineno or node.lineno
    for number in range(end, len(lines)):
        line = lines[number]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        if stripped and len(line) - len(line.lstrip()) > node.col_offset:
            last = number + 1
        elif stripped:
            break
    return last


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def solution_lines(code: str) -> list[str]:
    """The code a student must write, as stripped lines, from text using otter's markers.

    For a one-line `name = value  # SOLUTION` only `value` is secret: `name = ...` is shown.
    """
    secret: list[str] = []
    inside = False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.endswith("# END SOLUTION"):
            inside = False
        elif stripped.startswith("# BEGIN SOLUTION"):
            inside = True
        elif inside:
            secret.append(stripped)
        elif match := _SINGLE_LINE.match(stripped):
            assigned = _ASSIGNED_VALUE.match(match["code"])
            secret_code = assigned["value"] if assigned else match["code"]
            secret.append(secret_code.split("  #")[0].strip())
    return [
        line for line in secret if any(char.isalnum() for char in line) and not line.startswith("#")
    ]


def given_lines(code: str) -> set[str]:
    """Stripped lines outside any solution marker: code every student is allowed to see."""
    visible: set[str] = set()
    inside = False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.endswith("# END SOLUTION"):
            inside = False
        elif stripped.startswith("# BEGIN SOLUTION"):
            inside = True
        elif not inside and not _SINGLE_LINE.match(stripped):
            visible.add(stripped)
    return visible
