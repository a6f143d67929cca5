"""Adversarial notebooks: each attack must be contained.

Contained means: the score equals the honest equivalent's (the blank template's for attacks that
try to raise a score, the reference's for attacks that try to break grading), grading finishes
within its limits, and nothing outside the sandbox changed.
"""

from __future__ import annotations

import base64
import pickle
import time
from pathlib import Path

import nbformat
import pytest

from autograder.config import Course
from autograder.grading import grade_notebook
from tests import submissions

pytestmark = pytest.mark.slow
ASSIGNMENT = "names_charlm"
MARKER = Path("/tmp/rnn-grader-attack-marker")

# Attacks that try to raise the score of an empty submission.
CHEATS = {
    "read_solutions": """
import glob, os
found = glob.glob('/**/solutions/names_charlm.py', recursive=True)
found += glob.glob('/work/**/names_charlm.py', recursive=True)
for path in found:
    exec(open(path).read().replace('from solutions.helpers', 'from helpers'))
""",
    "import_solutions": "from solutions.names_charlm import *\n",
    "import_grader": (
        "import autograder.exercises.names_charlm as hidden\nprint(hidden.EXERCISES)\n"
    ),
    "patch_comparisons": """
import torch, numpy
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
""",
    "fake_result_text": """
print('{"points": 14.0, "status": "passed"}')
print('one_hot_encode_string 2.0 2.0 passed all checks passed')
""",
    "write_results_file": """
for path in ['/autograder/results/results.json', '/tmp/results.json', 'results.json']:
    try:
        open(path, 'w').write('{"score": 100}')
    except OSError:
        pass
""",
    "write_outside": f"""
for path in ['{MARKER}', '/work/main/HACKED', '/root/HACKED']:
    try:
        open(path, 'w').write('x')
    except OSError:
        pass
""",
    "socket_to_grader": """
import socket
for port in (22, 80, 8888):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).sendall(b'x')
        open('connected', 'w').write('yes')
    except OSError:
        pass
""",
}

# Attacks that try to break grading of a correct submission; True where the attack cell itself
# must end in an error (the others are simply powerless inside the sandbox, e.g. a signal to a
# parent that the child's PID namespace does not contain).
DISRUPTIONS = {
    "sys_exit": ("import sys\nsys.exit(0)\n", True),
    "os_exit": ("import os\nos._exit(0)\n", True),
    "kill_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", False),
    "kill_group": ("import os, signal\nos.killpg(0, signal.SIGKILL)\n", False),
    "kill_everything": ("import os, signal\nos.kill(-1, signal.SIGKILL)\n", True),
    "infinite_loop": ("while True:\n    pass\n", True),
    "sleep_forever": ("import time\ntime.sleep(10**9)\n", True),
    "allocate_50_gb": ("blob = bytearray(50 * 1024**3)\n", True),
    "fork_bomb": ("import os\nwhile True:\n    os.fork()\n", True),
}


def attacked(nb: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    attacked_nb = nbformat.from_dict(nb)
    attacked_nb.cells.insert(1, nbformat.v4.new_code_cell(code))
    return attacked_nb


@pytest.fixture(scope="module")
def baseline(course: Course, tmp_path_factory: pytest.TempPathFactory) -> dict[str, float]:
    folder = tmp_path_factory.mktemp("baseline")
    return {
        kind: grade_notebook(
            course,
            ASSIGNMENT,
            submissions.write(build(course, ASSIGNMENT), folder, kind),
            training=False,
        ).points
        for kind, build in (("blank", submissions.blank), ("reference", submissions.reference))
    }


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheat_gains_nothing(course: Course, baseline, name: str, tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    nb = attacked(submissions.blank(course, ASSIGNMENT), CHEATS[name])
    result = grade_notebook(
        course, ASSIGNMENT, submissions.write(nb, tmp_path, name), training=False
    )
    assert result.points == baseline["blank"] == 0.0
    assert not MARKER.exists()
    assert not Path("/work/main/HACKED").exists() and not Path("/root/HACKED").exists()
    assert not (tmp_path / "results.json").exists()


@pytest.mark.parametrize("name", sorted(DISRUPTIONS))
def test_disruption_costs_nothing_else(course: Course, baseline, name: str, tmp_path: Path) -> None:
    code, cell_fails = DISRUPTIONS[name]
    nb = attacked(submissions.reference(course, ASSIGNMENT), code)
    started = time.monotonic()
    result = grade_notebook(
        course, ASSIGNMENT, submissions.write(nb, tmp_path, name), training=False
    )
    elapsed = time.monotonic() - started
    assert result.points == baseline["reference"] == result.max_points
    limit = course.config.limits.wall_seconds
    assert elapsed < 3 * limit, f"grading took {elapsed:.0f} s"
    assert any(problem.cell == 1 for problem in result.cell_problems) == cell_fails


class _Boom:
    def __reduce__(self):
        return (open, (str(MARKER), "w"))


def test_pickle_payloads_are_never_loaded(course: Course, tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    payload = base64.b64encode(pickle.dumps(_Boom())).decode()
    nb = submissions.blank(course, ASSIGNMENT)
    nb.metadata["otter"] = {"assignment_name": ASSIGNMENT, "log": payload}
    path = submissions.write(nb, tmp_path, "pickled")
    (tmp_path / ".OTTER_LOG").write_bytes(pickle.dumps(_Boom()))
    result = grade_notebook(course, ASSIGNMENT, path, training=False)
    assert result.points == 0.0
    assert not MARKER.exists()
