"""Intake: which cells run, how IPython syntax is neutralised, and how bad files are reported."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder.engine.intake import clean_source, intake, read_notebook
from autograder.errors import GraderError


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_code_cells_in_order_heavy_and_markdown_left_out() -> None:
    heavy = nbformat.v4.new_code_cell("train()")
    heavy.metadata["tags"] = ["heavy"]
    nb = notebook(
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("a = 1"),
        heavy,
        nbformat.v4.new_raw_cell("# BEGIN QUESTION"),
        nbformat.v4.new_code_cell("b = a + 1"),
        nbformat.v4.new_code_cell("   "),
    )
    result = intake(nb)
    assert [(cell.index, cell.source) for cell in result.cells] == [(1, "a = 1"), (4, "b = a + 1")]
    assert result.skipped == {2: "tagged heavy (training or sampling)"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("%matplotlib inline\nx = 1", "pass\nx = 1"),
        ("!pip install torch\nx = 1", "pass\nx = 1"),
        ("files = !ls\nx = 1", "pass\nx = 1"),
        ("if True:\n    %time f()\n    y = 2", "if True:\n    pass\n    y = 2"),
        ("%%time\nx = 1\ny = 2", "pass\nx = 1\ny = 2"),
        ('grader.check("q1")', "pass"),
        ('import otter\ngrader = otter.Notebook("a.ipynb")', "pass\npass"),
        ("x = 3 % 2\ny = x != 1", "x = 3 % 2\ny = x != 1"),
    ],
)
def test_ipython_lines_become_pass_on_the_same_line(source: str, expected: str) -> None:
    assert clean_source(source) == expected


def test_bad_files_are_described(tmp_path: Path) -> None:
    cases = {
        "truncated.ipynb": (b'{"cells": [', "not valid notebook JSON"),
        "binary.ipynb": (bytes(range(256)), "not UTF-8"),
        "list.ipynb": (b"[1, 2]", "not a Jupyter notebook"),
        "old.ipynb": (json.dumps({"cells": [], "nbformat": 3}).encode(), "format 3 is too old"),
        "empty.ipynb": (json.dumps({"cells": [], "nbformat": 4}).encode(), "no code in it"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(GraderError, match=message):
            read_notebook(path)
    with pytest.raises(GraderError, match="cannot read"):
        read_notebook(tmp_path / "missing.ipynb")
