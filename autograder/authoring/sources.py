"""Read course code out of `solutions/`: whole definitions by name, and the lines students write.

`solutions/` is the single source of course code. Master notebooks embed definitions from it
(see sync.py) and the build proves that no line a student must write reaches the template.
The master notebooks are in turn the single source of the public tests (`public_tests`): otter
writes them into the student's test files, and the grader runs them as its public checks.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from autograder.errors import GraderError

QUESTION_MARK = "# BEGIN QUESTION"
#: otter's markers of a test cell's own configuration (otter/assign/tests_manager.py)
_BEGIN_TEST_CONFIG = re.compile(r'(?:.\s*=\s*)?""?"?\s*#\s*BEGIN\s*TEST\s*CONFIG', re.IGNORECASE)
_END_TEST_CONFIG = re.compile(r'""?"?\s*#\s*END\s*TEST\s*CONFIG', re.IGNORECASE)

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


# --- the notebook's public tests --------------------------------------------------------------


@dataclass(frozen=True)
class NotebookTest:
    """One public test function of a question, as otter writes it into the student's test file.

    `source` is the function definition alone (otter drops the call that follows it); otter
    calls it with each parameter taken by name from the notebook's globals (`env`: all of them).
    """

    question: str
    name: str
    source: str
    params: tuple[str, ...]


def is_question(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "raw" and cell.source.lstrip().startswith(QUESTION_MARK)


def question_config(cell: nbformat.NotebookNode) -> dict:
    body = cell.source.lstrip()[len(QUESTION_MARK) :]
    config = yaml.safe_load(body) or {}
    if not isinstance(config, dict) or "name" not in config:
        raise GraderError(f"question cell {cell.get('id')} has no 'name:' line")
    return config


def public_tests(nb: nbformat.NotebookNode) -> dict[str, list[NotebookTest]]:
    """The public tests of each question of a master notebook, in notebook order.

    Read the way `otter assign` reads them, so that the grader runs exactly what
    `grader.check` runs (the build compares the two); hidden test cells are left out.
    """
    tests: dict[str, list[NotebookTest]] = {}
    question, inside = None, False
    for cell in nb.cells:
        marker = cell.source.strip().upper() if cell.cell_type == "raw" else ""
        if is_question(cell):
            question = str(question_config(cell)["name"])
        elif marker.startswith("# END QUESTION"):
            question = None
        elif marker.startswith(("# BEGIN TESTS", "# END TESTS")):
            inside = marker.startswith("# BEGIN TESTS")
        elif inside and question and cell.cell_type == "code" and cell.source.strip():
            test = _read_test(question, cell.source)
            if test is not None:
                tests.setdefault(question, []).append(test)
    return tests


def _read_test(question: str, text: str) -> NotebookTest | None:
    """One test cell: None for a hidden one, else its function (otter's exception format)."""
    lines = text.splitlines()
    hidden = lines[0].lstrip().startswith("#") and bool(
        re.search(r"\bhidden\b", lines[0], flags=re.IGNORECASE)
    )
    start = 1 if hidden else 0
    if _BEGIN_TEST_CONFIG.match(lines[0]):
        end = next((i for i, line in enumerate(lines) if _END_TEST_CONFIG.match(line)), 0)
        config = yaml.safe_load("\n".join(lines[1:end])) or {}
        hidden, start = bool(config.get("hidden", hidden)), end + 1
    if hidden:
        return None
    body = ast.parse("\n".join(lines[start:])).body
    if not body or len(body) > 2 or not isinstance(body[0], ast.FunctionDef):
        raise GraderError(f"{question}: a test cell must hold one function definition and its call")
    function = body[0]
    arguments = function.args
    params = tuple(a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs))
    return NotebookTest(question, function.name, ast.unparse(function), params)
