"""Build what students receive: otter assign on each master notebook, deterministic and checked.

For every assignment the build stages the master notebook with the files it ships (such as
`helpers.py` from solutions/), runs `otter assign`, normalises the notebooks (stable cell ids, no
outputs), refuses to publish a template that contains a line of a reference solution, and copies
the student folder to `student_template/<assignment>/`.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from autograder.authoring.sources import given_lines, public_tests, solution_lines
from autograder.config import Course
from autograder.errors import GraderError

CONFIG_MARK = "# ASSIGNMENT CONFIG"


@dataclass(frozen=True)
class BuiltAssignment:
    name: str
    dist_dir: Path
    template_dir: Path


def build(course: Course, assignment: str, dist_root: Path) -> BuiltAssignment:
    """Build one assignment into `dist_root/<assignment>` and refresh its student template."""
    master = course.master_notebook(assignment)
    if not master.is_file():
        raise GraderError(f"{assignment}: master notebook {master} does not exist")
    nb = nbformat.read(master, as_version=4)
    shipped = shipped_files(course, assignment, nb)
    out = dist_root / assignment
    with tempfile.TemporaryDirectory(prefix=f"rnn-grader-{assignment}-") as stage_name:
        stage = Path(stage_name)
        shutil.copyfile(master, stage / master.name)
        for name, source in shipped.items():
            shutil.copyfile(source, stage / name)
        _run_otter_assign(stage / master.name, stage / "out")
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(stage / "out", out)
    for notebook in sorted(out.rglob("*.ipynb")):
        _normalise(notebook, assignment)
    _refuse_leaks(nb, shipped, out / "student", assignment)
    require_same_public_tests(nb, out / "student" / "tests", assignment)
    template = course.template_dir / assignment
    if template.exists():
        shutil.rmtree(template)
    shutil.copytree(out / "student", template)
    return BuiltAssignment(assignment, out, template)


def shipped_files(course: Course, assignment: str, nb: nbformat.NotebookNode) -> dict[str, Path]:
    """Files the assignment config lists, found beside the master notebook or in solutions/."""
    config = _assignment_config(nb, assignment)
    shipped: dict[str, Path] = {}
    for name in config.get("files", []):
        candidates = (course.master_notebook(assignment).parent / name, course.solutions_dir / name)
        found = next((path for path in candidates if path.is_file()), None)
        if found is None:
            raise GraderError(
                f"{assignment}: listed file {name!r} is neither beside the notebook nor in "
                "solutions/"
            )
        shipped[name] = found
    return shipped


def _assignment_config(nb: nbformat.NotebookNode, assignment: str) -> dict:
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith(CONFIG_MARK):
            config = yaml.safe_load(cell.source.lstrip()[len(CONFIG_MARK) :]) or {}
            if config.get("name") != assignment:
                raise GraderError(
                    f"{assignment}: the ASSIGNMENT CONFIG cell must say 'name: {assignment}'"
                )
            return config
    raise GraderError(f"{assignment}: the master notebook has no '{CONFIG_MARK}' raw cell")


def _run_otter_assign(master: Path, result: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "otter",
        "assign",
        "--no-pdfs",
        "--no-run-tests",
        str(master),
        str(result),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=master.parent)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
        raise GraderError(f"otter assign failed on {master.name}:\n{tail}")


def _normalise(path: Path, assignment: str) -> None:
    """Stable cell ids and no outputs, so that building twice gives identical bytes."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{assignment}/{path.name}/{index}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)


def _refuse_leaks(
    master: nbformat.NotebookNode, shipped: dict[str, Path], student: Path, assignment: str
) -> None:
    """Fail the build when a line only a solution holds appears anywhere in the student folder."""
    leaked = template_leaks(master, shipped.values(), student)
    if leaked:
        listing = "\n  ".join(leaked[:10])
        raise GraderError(
            f"{assignment}: the student template contains solution lines:\n  {listing}"
        )


def require_same_public_tests(nb: nbformat.NotebookNode, tests: Path, assignment: str) -> None:
    """Fail the build unless otter's public test files hold exactly the tests the grader reads
    from the master notebook (`public_tests`), so that `grader.check` and the grader's public
    checks run the same functions."""
    ours = {
        question: [(test.name, test.source) for test in found]
        for question, found in public_tests(nb).items()
    }
    shipped = {path.stem: _otter_public_tests(path) for path in sorted(tests.glob("*.py"))}
    shipped = {question: found for question, found in shipped.items() if found}
    if ours != shipped:
        differing = sorted(q for q in {*ours, *shipped} if ours.get(q) != shipped.get(q))
        raise GraderError(
            f"{assignment}: otter's public tests differ from the grader's: {', '.join(differing)}"
        )


def _otter_public_tests(path: Path) -> list[tuple[str, str]]:
    """(name, source without the decorator) of each public `@test_case` in an otter test file."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
            continue
        decorator = node.decorator_list[0]
        if not isinstance(decorator, ast.Call):
            continue
        hidden = next((k.value for k in decorator.keywords if k.arg == "hidden"), None)
        if isinstance(hidden, ast.Constant) and hidden.value:
            continue
        node.decorator_list = []
        found.append((node.name, ast.unparse(node)))
    return found


def template_leaks(
    master: nbformat.NotebookNode, shipped: Iterable[Path], student: Path
) -> list[str]:
    """Solution lines of the master notebook that appear in the student folder, sorted."""
    code = "\n".join(cell.source for cell in master.cells if cell.cell_type == "code")
    public = given_lines(code)
    for path in shipped:
        public |= given_lines(path.read_text(encoding="utf-8"))
    secret = set(solution_lines(code)) - public
    visible = _student_lines(student)
    return sorted(line for line in secret if line in visible or _inside_any(line, visible))


def _inside_any(line: str, visible: set[str]) -> bool:
    """Long solution lines also count as leaked when they appear inside a longer line."""
    return len(line) >= 20 and any(line in text for text in visible)


def _student_lines(student: Path) -> set[str]:
    lines: set[str] = set()
    for path in student.rglob("*"):
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                lines.update(line.strip() for line in cell.source.splitlines())
        elif path.is_file():
            lines.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return lines
