"""The package's shape: one module per exercise, short modules, imports that flow one way.

Read statically (the source's import statements, including those inside functions), so that a
lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import Course

PACKAGE = Path(__file__).resolve().parents[1] / "autograder"
MAX_LINES = 400
#: the layers the exercise definitions sit on; they are handed exercises, never import them
BELOW_EXERCISES = ("autograder.engine", "autograder.training", "autograder.sandbox")
ABOVE = ("autograder.exercises", "autograder.grading", "autograder.batch", "autograder.gradescope")
#: what runs inside the sandboxed child: it may import only itself (and the standard library,
#: numpy and torch), never the grader's side
CHILD_SIDE = {
    "autograder.sandbox",
    *(
        f"autograder.sandbox.{name}"
        for name in (
            "alarm",
            "breach",
            "child",
            "confine",
            "deaths",
            "probes",
            "protocol",
            "stand_ins",
            "syscalls",
            "warm",
            "zygote",
        )
    ),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The autograder modules `name` imports, directly."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}"
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(target for target in targets if target in known)
    return found


def _closure(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        for parent in _parents(module):
            if parent in graph and parent not in seen:
                todo.append(parent)
        if module in seen:
            continue
        seen.add(module)
        todo.extend(graph.get(module, ()))
    return seen - {start}


def _parents(module: str) -> list[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {name: _imports(name, path, known) for name, path in sources.items()}


def test_no_module_is_long() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("layer", BELOW_EXERCISES)
def test_lower_layers_never_import_the_exercises(layer: str, graph: dict[str, set[str]]) -> None:
    offenders = {}
    for module in graph:
        if module == layer or module.startswith(layer + "."):
            reached = {m for m in _closure(module, graph) if m.startswith(ABOVE)}
            if reached:
                offenders[module] = sorted(reached)
    assert not offenders, f"{layer} reaches up into {offenders}"


def test_child_side_imports_nothing_of_the_grader(graph: dict[str, set[str]]) -> None:
    recipes = {m for m in graph if m.startswith("autograder.sandbox.recipes")}
    child_side = CHILD_SIDE | recipes
    offenders = {
        module: sorted(_closure(module, graph) - child_side - {"autograder"})
        for module in child_side
    }
    assert not {m: o for m, o in offenders.items() if o}, offenders


def test_every_exercise_resolves_to_exactly_one_module(course: Course) -> None:
    for assignment, spec in course.config.assignments.items():
        package = importlib.import_module(f"autograder.exercises.{assignment}")
        defining: dict[str, list[str]] = {}
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            exercise = getattr(module, "EXERCISE", None)
            if exercise is not None:
                assert exercise in package.EXERCISES, f"{module.__name__} is not assembled"
                defining.setdefault(exercise.id, []).append(info.name)
        assert {e: m for e, m in defining.items() if m != [e]} == {}, assignment
        assert sorted(defining) == sorted(spec.exercises), assignment
        assert [e.id for e in package.EXERCISES] == list(spec.exercises), assignment


def test_the_batch_driver_never_imports_torch() -> None:
    """The driver only dispatches: torch is imported by the workers and their zygotes (about a
    second and a half each), so a driver that imported it would delay every batch's start."""
    code = (
        "import sys, autograder.cli, autograder.batch.runner, autograder.batch.exports; "
        "print('torch' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
