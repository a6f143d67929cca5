"""Execute notebooks the way a student or CI would: a real kernel, in a folder of their own."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.config import Course


def stage_master(course: Course, assignment: str, folder: Path) -> Path:
    """Copy a master notebook and the files it imports (helpers.py) into `folder`."""
    master = course.master_notebook(assignment)
    shutil.copyfile(master, folder / master.name)
    helpers = course.solutions_dir / "helpers.py"
    if "helpers.py" in master.read_text(encoding="utf-8"):
        shutil.copyfile(helpers, folder / "helpers.py")
    return folder / master.name


def execute(
    path: Path, env: dict[str, str], *, allow_errors: bool, timeout: int = 600
) -> nbformat.NotebookNode:
    """Run every code cell of `path` in its folder with `env` added to the environment."""
    nb = nbformat.read(path, as_version=4)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=timeout,
            allow_errors=allow_errors,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def text_of(cell: nbformat.NotebookNode) -> str:
    """Everything a cell showed: streams, results and error messages, as plain text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in {"execute_result", "display_data"}:
            parts.append(output.get("data", {}).get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "\n".join(parts)
