"""/autograder in miniature: a Gradescope zip unpacked and run as Gradescope runs it.

Shared by the container-tier tests and the GPU benchmark (benchmarks/gpu_grade.py). The folder
is made so that only root may enter it, as the grader's files are in a real container, and the
grader.yaml inside can be edited (this run's uids, a device) before the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import yaml

from autograder.config import Course
from autograder.gradescope.package import ROOT_ENV, build_gradescope_zip


def unpack(
    course: Course,
    assignment: str,
    folder: Path,
    notebook: nbformat.NotebookNode,
    **settings: Any,
) -> Path:
    """Lay out FOLDER/autograder (source/, submission/, results/); `settings` go to grader.yaml
    (for example `sandbox={"uid_base": 200000}` or `device="cuda"`)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    root = folder / "autograder"
    zip_path = build_gradescope_zip(course, assignment, folder / "dist")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    config_path = root / "source" / "grader.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for key, value in settings.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    nbformat.write(notebook, root / "submission" / f"{assignment}.ipynb")
    return root


def run_autograder(
    root: Path, wrap: Callable[[list[str]], list[str]] = list, timeout: int = 600
) -> subprocess.CompletedProcess:
    """Run the zip's own run_autograder, as `wrap` says (a simulated container, a cgroup)."""
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        ROOT_ENV: str(root),
        # Gradescope installs the zip with pip; here the unpacked copy is the grader.
        "PYTHONPATH": os.pathsep.join(
            [str(root / "source"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    command = ["env", *(f"{k}={v}" for k, v in environment.items())]
    command += ["bash", str(root / "source" / "run_autograder")]
    return subprocess.run(wrap(command), capture_output=True, text=True, timeout=timeout)


def results(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
