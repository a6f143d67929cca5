"""Regenerate the master notebooks' course code from `solutions/` and their points from grader.yaml.

A code cell whose metadata holds `{"rnn_grader": {"sync": [keys...]}}` is owned by this module:
its source is the named definitions from solutions/, joined by two blank lines. Question blocks
take their points from grader.yaml. Outputs are stripped so that committed notebooks diff cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from autograder.authoring.sources import (
    QUESTION_MARK,
    SourceKey,
    definition_source,
    is_question,
    question_config,
)
from autograder.config import Assignment, Course
from autograder.errors import GraderError

SYNC_METADATA = "rnn_grader"


@dataclass
class SyncReport:
    """What a sync changed (or would change, with check=True)."""

    notebook: Path
    changed_cells: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changed_cells)


def synced_source(cell: nbformat.NotebookNode, solutions_dir: Path) -> str | None:
    """The source a synced cell must have, or None for cells this module does not own."""
    keys = cell.get("metadata", {}).get(SYNC_METADATA, {}).get("sync")
    if keys is None:
        return None
    if cell.cell_type != "code" or not isinstance(keys, list) or not keys:
        raise GraderError(f"cell {cell.get('id')}: 'sync' needs a non-empty list on a code cell")
    return "\n\n\n".join(definition_source(solutions_dir, SourceKey.parse(key)) for key in keys)


def question_names(nb: nbformat.NotebookNode) -> list[str]:
    """The names of the otter question blocks, in notebook order."""
    return [question_config(cell)["name"] for cell in nb.cells if is_question(cell)]


def sync_notebook(course: Course, assignment: str, *, check: bool = False) -> SyncReport:
    """Bring one master notebook in line with solutions/ and grader.yaml; write unless `check`."""
    path = course.master_notebook(assignment)
    if not path.is_file():
        raise GraderError(f"{assignment}: master notebook {path} does not exist")
    nb = nbformat.read(path, as_version=4)
    spec = course.config.assignment(assignment)
    _require_questions_match(nb, spec, assignment)
    report = SyncReport(path)
    for index, cell in enumerate(nb.cells):
        wanted = _wanted_source(cell, course.solutions_dir, spec)
        if wanted is not None and wanted != cell.source:
            cell.source = wanted
            report.changed_cells.append(index)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            report.changed_cells.append(index)
    if report.changed and not check:
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return report


def require_in_sync(course: Course, assignments: list[str], *, update: bool) -> dict[str, int]:
    """The master notebooks that were out of date with solutions/ or grader.yaml (changed cells).

    A build from one would ship points or code that grader.yaml and the grader do not use, so
    without `update` this refuses; with it the notebooks are synced first, for the caller to say.
    """
    stale = {}
    for name in assignments:
        report = sync_notebook(course, name, check=not update)
        if report.changed:
            stale[name] = len(set(report.changed_cells))
    if stale and not update:
        listed = ", ".join(f"{name} ({cells} cell(s))" for name, cells in stale.items())
        raise GraderError(
            f"refusing to build: master notebooks out of date with solutions/ or grader.yaml: "
            f"{listed}. Run `rnn-grader sync` first, or `rnn-grader build --sync`"
        )
    return stale


def _wanted_source(
    cell: nbformat.NotebookNode, solutions_dir: Path, spec: Assignment
) -> str | None:
    if is_question(cell):
        config = question_config(cell)
        points = spec.exercises[config["name"]].points
        config["points"] = int(points) if points.is_integer() else points
        return QUESTION_MARK + "\n" + yaml.safe_dump(config, sort_keys=False).rstrip("\n")
    return synced_source(cell, solutions_dir)


def _require_questions_match(nb: nbformat.NotebookNode, spec: Assignment, assignment: str) -> None:
    names = question_names(nb)
    duplicated = sorted({name for name in names if names.count(name) > 1})
    missing = sorted(set(spec.exercises) - set(names))
    unknown = sorted(set(names) - set(spec.exercises))
    problems = []
    if duplicated:
        problems.append(f"questions defined twice: {', '.join(duplicated)}")
    if missing:
        problems.append(f"exercises in grader.yaml without a question: {', '.join(missing)}")
    if unknown:
        problems.append(f"questions not in grader.yaml: {', '.join(unknown)}")
    if problems:
        raise GraderError(f"{assignment}: " + "; ".join(problems))
