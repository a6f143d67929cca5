"""Seconds to grade one names_charlm submission: our engine against `otter run`.

    python -m benchmarks.grade_one [--runs 3]

Our engine runs only the definitions (training cells are tagged and skipped) in the sandbox;
`otter run` executes the whole notebook, here in the course's QUICK mode (small training budget).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.grading import grade_notebook
from benchmarks.otter_baseline import copy_course, course_data, otter_autograder_zip

ASSIGNMENT = "names_charlm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-one-"))
    course = copy_course(folder)
    submission = course.master_notebook(ASSIGNMENT)
    zip_path = otter_autograder_zip(course, ASSIGNMENT, folder)
    env = {**os.environ, "RNN_GRADER_DATA": str(course_data()), "RNN_GRADER_QUICK": "1"}

    ours, theirs = [], []
    for run in range(args.runs):
        started = time.perf_counter()
        result = grade_notebook(course, ASSIGNMENT, submission)
        ours.append(time.perf_counter() - started)
        out = folder / f"otter-out-{run}"
        out.mkdir()
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "otter",
                "run",
                "-a",
                str(zip_path),
                "-o",
                str(out),
                str(submission),
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        theirs.append(time.perf_counter() - started)
        print(
            f"run {run + 1}: rnn-grader {ours[-1]:.2f} s ({result.points:g}/{result.max_points:g}"
            f" points), otter run {theirs[-1]:.2f} s"
        )
    mine, other = statistics.median(ours), statistics.median(theirs)
    print(
        f"median: rnn-grader {mine:.2f} s, otter run {other:.2f} s, "
        f"otter/rnn-grader = {other / mine:.2f}x"
    )


if __name__ == "__main__":
    main()
