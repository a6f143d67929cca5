"""Throughput of a whole class: rnn-grader's batch against a loop of otter.api.grade_submission.

    python -m benchmarks.batch [--students 40] [--workers 1 2]

The class is the demo's mix (reference, blank, known mistakes, a broken file), repeated to the
requested size. rnn-grader grades unit checks only (training cells are skipped by design); otter
executes each whole notebook in the course's QUICK mode, with a process pool for 2 workers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rich.console import Console

from autograder.batch.runner import run_batch
from autograder.demo import DEMO_ASSIGNMENT, write_class
from benchmarks.otter_baseline import copy_course, course_data, otter_autograder_zip


def make_class(course, folder: Path, students: int) -> list[Path]:
    """`students` notebooks: the demo class, copied under new student ids until large enough."""
    template = write_class(course, folder / "template")
    notebooks = [path for path in template if path.suffix == ".ipynb"]
    target = folder / "class"
    target.mkdir()
    made = []
    for number in range(students):
        source = notebooks[number % len(notebooks)]
        name = source.name.split("_", 1)[0]
        path = target / f"{name}{number}_{2000 + number}_{6000 + number}_{DEMO_ASSIGNMENT}.ipynb"
        shutil.copyfile(source, path)
        made.append(path)
    return made


def _otter_one(args: tuple[str, str]) -> bool:
    """Grade one notebook with otter; False when otter raises (it does on a truncated file)."""
    import otter.api

    submission, zip_path = args
    try:
        otter.api.grade_submission(submission, zip_path, quiet=True)
    except Exception:  # noqa: BLE001 - a crash is otter's outcome for this notebook
        return False
    return True


def time_otter(paths: list[Path], zip_path: Path, workers: int) -> tuple[float, int]:
    """Seconds for the class, and how many notebooks otter failed on."""
    started = time.perf_counter()
    jobs = [(str(path), str(zip_path)) for path in paths]
    if workers == 1:
        outcomes = [_otter_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            outcomes = list(pool.map(_otter_one, jobs))
    return time.perf_counter() - started, outcomes.count(False)


def time_ours(course, folder: Path, run: Path, workers: int) -> float:
    started = time.perf_counter()
    run_batch(
        course,
        DEMO_ASSIGNMENT,
        folder,
        run,
        workers=workers,
        training=False,
        console=Console(stderr=True, quiet=True),
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    course = copy_course(folder / "course")
    zip_path = otter_autograder_zip(course, DEMO_ASSIGNMENT, folder)  # also builds the template
    paths = make_class(course, folder, args.students)
    os.environ.update(RNN_GRADER_DATA=str(course_data()), RNN_GRADER_QUICK="1")
    print(f"{len(paths)} notebooks of {DEMO_ASSIGNMENT}")
    for workers in args.workers:
        ours = time_ours(course, paths[0].parent, folder / f"run-{workers}", workers)
        theirs, crashed = time_otter(paths, zip_path, workers)
        rate_ours, rate_theirs = len(paths) / ours, len(paths) / theirs
        print(
            f"workers={workers}: rnn-grader {rate_ours:.2f} submissions/s ({ours:.1f} s), "
            f"otter {rate_theirs:.2f} submissions/s ({theirs:.1f} s, raised on {crashed}), "
            f"ratio {rate_ours / rate_theirs:.1f}x"
        )


if __name__ == "__main__":
    main()
