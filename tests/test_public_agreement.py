"""The grader's public checks say what the notebook's `grader.check` says: test by test, the same
verdicts and the same failure messages.

For the reference, the blank template and every known mistake of each assignment, otter's
`grader.check` runs in a real kernel on the course data, and the grader grades the same notebook
through the sandbox with only its public checks (the hidden checks have their own tests).

To stay within a few minutes, one kernel (one torch thread) runs all of an assignment's
notebooks, its namespace cleared before each; the cells tagged heavy (training, sampling) are
left out, as no public test takes what they make (asserted); and a cell that only reads the
course data (it uses nothing a question's code made, and nothing else binds its names) runs in
the first notebook only, its names kept for the others.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import queue
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import jupyter_client
import nbformat
import pytest

from autograder.authoring.build import require_same_public_tests
from autograder.authoring.sources import public_tests
from autograder.config import Course
from autograder.engine.exercise import Exercise, Plan
from autograder.engine.grade import grade_submission
from autograder.engine.intake import HEAVY_TAG
from autograder.errors import GraderError
from autograder.exercises import exercises_for
from autograder.i18n import render
from autograder.sandbox.spawn import Zygote
from tests import submissions

ASSIGNMENTS = ["names_charlm", "anna_lstm", "word_lm", "rnn_basics"]
VERDICT = "@@verdict@@"
CHECK_CALL = re.compile(r"""^\s*grader\.check\(\s*["'](\w+)["']\s*\)\s*$""")


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote() as started:
        yield started


class Kernel:
    """One python3 kernel that runs notebooks cell by cell and reports `grader.check` verdicts."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = jupyter_client.KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        #: source of each course-data cell already run -> the names it bound, kept from then on
        self.kept: dict[str, set[str]] = {}

    def run(self, code: str) -> str:
        """Execute `code`; its printed output (errors are the cell's own business, as in a
        notebook run with allow_errors)."""
        printed: list[str] = []

        def keep(message: dict) -> None:
            if message["header"]["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        try:
            self.client.execute_interactive(code, timeout=600, output_hook=keep)
        except queue.Empty:  # pragma: no cover - a hung cell
            pytest.fail(f"the kernel did not finish:\n{code[:300]}")
        return "".join(printed)

    def verdicts(
        self, nb: nbformat.NotebookNode, folder: Path, data_cells: dict[str, set[str]]
    ) -> dict[str, list[list]]:
        """Run the notebook from a clean namespace (but the data cells' names); each question's
        [test name, passed, message] as `grader.check` reported them at its check cell."""
        keep = sorted({name for names in self.kept.values() for name in names})
        self.run(
            f"_ip = get_ipython()\nfor _n in [n for n in list(_ip.user_ns) if n not in {keep!r}"
            " and n not in _ip.user_ns_hidden and not n.startswith('_')]:\n"
            f"    del _ip.user_ns[_n]\nimport os\nos.chdir({str(folder)!r})"
        )
        self.run('import otter\ngrader = otter.Notebook(tests_dir="tests")')
        found = {}
        for question, source in _steps(nb):
            if question is None and source not in self.kept:
                self.run(source)
                if source in data_cells:
                    self.kept[source] = data_cells[source]
            if question is None:
                continue
            shown = self.run(
                f"_r = grader.check({question!r})\n"
                f"print({VERDICT!r} + __import__('json').dumps("
                "[[c.test_case.body.test_func.__name__, c.passed, c.message]"
                " for c in _r.test_case_results]))"
            )
            found[question] = json.loads(shown.split(VERDICT, 1)[1].splitlines()[0])
        return found

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _steps(nb: nbformat.NotebookNode) -> Iterator[tuple[str | None, str]]:
    """The notebook as a student runs it: (None, code) per cell and (question, "") per check.

    A master notebook's test cells are its checks (at the first one); a student notebook's
    `grader.check` cells are. Otter's set-up cell is replaced, heavy cells are skipped.
    """
    question, inside, checked = None, False, set()
    for cell in nb.cells:
        source = cell.source.strip()
        if cell.cell_type == "raw":
            if source.startswith("# BEGIN QUESTION"):
                question = re.search(r"name:\s*(\w+)", source)[1]
            inside = source.startswith("# BEGIN TESTS") or (inside and "# END TESTS" not in source)
            continue
        if cell.cell_type != "code" or HEAVY_TAG in cell.metadata.get("tags", []):
            continue
        call = CHECK_CALL.match(source)
        if inside or call:
            asked = call[1] if call else question
            if asked not in checked:
                checked.add(asked)
                yield asked, ""
        elif "otter.Notebook(" not in source:
            yield None, cell.source


def _same_failure(grader: str, otter: str) -> bool:
    """otter's message ends with the error, `Type: message`; the grader's is the assertion's
    message itself, or says which error the code or the test raised."""
    error = re.search(r"^(\w+): (.*)", otter.split(" in test ", 1)[-1], re.MULTILINE | re.DOTALL)
    assert error, otter
    if error[1] == "AssertionError":
        return grader.strip("'") == error[2].strip()
    return f"raised {error[1]}" in grader


def _data_cells(master: nbformat.NotebookNode) -> dict[str, set[str]]:
    """Cells outside the questions that read the course data and nothing a question's code
    made (directly or through another cell), whose names no other cell binds: source -> names."""
    tainted, found, cells = set(), {}, []
    question = False
    for cell in master.cells:
        source = cell.source.strip()
        if cell.cell_type == "raw" and source.startswith(("# BEGIN QUESTION", "# END QUESTION")):
            question = source.startswith("# BEGIN QUESTION")
        elif cell.cell_type == "code":
            tree = ast.parse(cell.source)
            bound, loaded = _bound(tree), _loaded(tree)
            cells.append((cell.source, bound))
            if question or loaded & tainted:
                tainted |= bound
            elif "DATA_DIR" in loaded - bound:
                found[cell.source] = bound
    bindings = Counter(name for _, bound in cells for name in bound)
    return {
        source: bound
        for source, bound in found.items()
        if not bound & tainted and all(bindings[name] == 1 for name in bound)
    }


def _bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def _loaded(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _public_only(exercise: Exercise) -> Exercise:
    """The exercise without its hidden probes, its hidden checks doing nothing (their names
    stay for grader.yaml's weights): the grader adds the public ones."""
    idle = tuple(dataclasses.replace(check, run=lambda _: None) for check in exercise.checks)
    return dataclasses.replace(exercise, plan=lambda *_: Plan(), checks=idle)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_checks_agree_with_grader_check(
    course: Course,
    assignment: str,
    tmp_path: Path,
    course_data_dir: Path,
    zygote: Zygote,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = course.config.assignment(assignment)
    unit = [e for e, config in spec.exercises.items() if config.training is None]
    exercises = exercises_for(assignment, unit)
    master = submissions.reference(course, assignment)
    tests = public_tests(master)
    assert sorted(tests) == sorted(unit), "every unit exercise has public tests"
    _require_no_test_reads_a_heavy_cell(master, tests)

    rounds = {"reference": master, "blank": submissions.blank(course, assignment)}
    for number, round_ in enumerate(submissions.mistake_rounds(exercises)):
        rounds[f"round{number}"] = submissions.with_mistakes(course, assignment, round_)
    data_cells = _data_cells(master)
    folder = tmp_path / "notebook"
    shutil.copytree(course.template_dir / assignment, folder)
    env = {
        "RNN_GRADER_DATA": str(course_data_dir),
        "RNN_GRADER_QUICK": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
    }
    monkeypatch.setenv("RNN_GRADER_DATA", str(course_data_dir))  # the grader's side too
    kernel = Kernel({**os.environ, **env})
    disagreements, failures_seen = [], 0
    try:
        for name, nb in rounds.items():
            expected = kernel.verdicts(nb, folder, data_cells)
            assert sorted(expected) == sorted(unit), f"{name}: grader.check ran {sorted(expected)}"
            path = submissions.write(nb, tmp_path, name)
            result = grade_submission(
                course, assignment, path, [_public_only(e) for e in exercises], zygote=zygote
            )
            for exercise in result.exercises:
                public = [c for c in exercise.checks if not c.hidden]
                assert all(c.weight == 0 for c in public), "a public check earns points"
                graded = [[c.name, c.passed] for c in public]
                otter = expected[exercise.id]
                failures_seen += sum(not c.passed for c in public)
                if graded != [[test, passed] for test, passed, _ in otter]:
                    disagreements.append(
                        f"{name}/{exercise.id}: grader.check {otter}, grader {graded}"
                    )
                    continue
                disagreements += [
                    f"{name}/{exercise.id}/{c.name}: grader.check {said!r}, grader {message!r}"
                    for c, (_, _, said) in zip(public, otter, strict=True)
                    if not c.passed and not _same_failure(message := render(c.message, "en"), said)
                ]
    finally:
        kernel.close()
    assert not disagreements, "\n".join(disagreements)
    assert failures_seen > 0, "no public test failed anywhere: the comparison proved nothing"


def _require_no_test_reads_a_heavy_cell(nb: nbformat.NotebookNode, tests: dict) -> None:
    params = {param for found in tests.values() for test in found for param in test.params}
    for cell in nb.cells:
        if cell.cell_type == "code" and HEAVY_TAG in cell.metadata.get("tags", []):
            bound = set(re.findall(r"^(\w+)\s*=", cell.source, flags=re.MULTILINE))
            assert not bound & params, f"a public test takes {bound & params} from a heavy cell"


def test_build_refuses_otter_tests_other_than_the_graders(course: Course, tmp_path: Path) -> None:
    """The grader runs the master notebook's tests; a student folder whose otter test files say
    something else (a changed assert, a test more or less) does not ship."""
    master = submissions.reference(course, "names_charlm")
    shipped = course.template_dir / "names_charlm" / "tests"
    require_same_public_tests(master, shipped, "names_charlm")
    changed = tmp_path / "tests"
    shutil.copytree(shipped, changed)
    test_file = changed / "names_dataset.py"
    text = test_file.read_text(encoding="utf-8")
    test_file.write_text(text.replace("(5, 58)", "(5, 57)", 1), encoding="utf-8")
    with pytest.raises(GraderError, match="names_dataset"):
        require_same_public_tests(master, changed, "names_charlm")
    test_file.write_text(text, encoding="utf-8")
    (changed / "char_rnn.py").unlink()
    with pytest.raises(GraderError, match="char_rnn"):
        require_same_public_tests(master, changed, "names_charlm")
