"""Intake: turn a submitted notebook into the ordered list of code cells the child will run.

Only code cells are kept, in notebook order. Cells tagged `heavy` (training, sampling, GPU) are
skipped, otter's own cells are dropped, and IPython syntax (`%magic`, `!shell`, `x = !cmd`) is
replaced by `pass` on the same line, so that line numbers in feedback match the notebook.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.errors import GraderError
from autograder.i18n import N_, t
from autograder.sandbox.exchange import Cell

HEAVY_TAG = "heavy"
_IPYTHON_LINE = re.compile(r"^(?P<indent>\s*)(?:[%!]|\w[\w\s,]*=\s*[%!])")
_OTTER_LINE = re.compile(r"^\s*(?:grader\.check(?:_all)?\(|grader\s*=\s*otter\.|import otter\b)")


@dataclass(frozen=True)
class Intake:
    """The runnable cells of a submission, and what was left out and why."""

    cells: list[Cell]
    skipped: dict[int, str]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Load a notebook, with a message that says exactly what is wrong with a bad file (a
    template, read by the student in their language; `str()` of the error is English)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = str(error.strerror)
        raise GraderError(
            t("{file}: cannot read the file ({reason})", file=str(path), reason=reason)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GraderError(
            t(
                "{file}: not UTF-8 text (byte {byte}); is it a notebook?",
                file=str(path),
                byte=error.start,
            )
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise GraderError(
            t(
                "{file}: not valid notebook JSON (line {line}, column {column}: {reason}); the "
                "file may be truncated or not a notebook",
                file=str(path),
                line=error.lineno,
                column=error.colno,
                reason=error.msg,
            )
        ) from None
    if not isinstance(data, dict) or "cells" not in data:
        raise GraderError(
            t("{file}: JSON without a 'cells' list is not a Jupyter notebook", file=str(path))
        )
    if data.get("nbformat", 0) < 4:
        raise GraderError(
            t(
                "{file}: notebook format {version} is too old; open and save it in a current "
                "Jupyter to convert it to format 4",
                file=str(path),
                version=str(data.get("nbformat")),
            )
        )
    if not any(
        cell.get("cell_type") == "code" and "".join(cell.get("source", "")).strip()
        for cell in data["cells"]
        if isinstance(cell, dict)
    ):
        raise GraderError(
            t(
                "{file}: the notebook has no code in it; was the right file submitted?",
                file=str(path),
            )
        )
    return nbformat.from_dict(data)


def intake(nb: nbformat.NotebookNode) -> Intake:
    cells: list[Cell] = []
    skipped: dict[int, str] = {}
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if HEAVY_TAG in cell.get("metadata", {}).get("tags", []):
            skipped[index] = N_("tagged heavy (training or sampling)")
            continue
        cleaned = clean_source(source)
        if cleaned.strip():
            cells.append(Cell(index, cleaned))
    return Intake(cells, skipped)


def clean_source(source: str) -> str:
    """Replace IPython-only lines and otter calls by `pass`, keeping every line in place."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = "pass"
    cleaned = []
    for line in lines:
        match = _IPYTHON_LINE.match(line)
        if match or _OTTER_LINE.match(line):
            indent = match["indent"] if match else line[: len(line) - len(line.lstrip())]
            cleaned.append(f"{indent}pass")
        else:
            cleaned.append(line)
    return "\n".join(cleaned)
