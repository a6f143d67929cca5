"""Throughput of a whole class: rnn-grader's batch against otter-grader on the same notebooks.

    python -m benchmarks.batch [--students 24] [--workers 1 2]

The class is the demo's mix (reference, blank, known mistakes, a truncated file), repeated to
the requested size. Two comparisons, each side given the same work:

Our side is timed as a TA meets it: `rnn-grader grade CLASS --out RUN --workers N` in a
process of its own, from its start to its exit (imports, intake, workers, exports included).

- **unit checks.** rnn-grader grades the unit exercises only (`--no-training`: it runs every
  cell but those tagged `heavy`, then each exercise's probes and hidden checks). otter grades a
  copy of each notebook without its `heavy` cells (`otter.api.grade_submission`: it executes the
  notebook in a kernel, then runs its public tests).
- **training included.** rnn-grader grades every exercise, its training checks trained by the
  grader's loop to a decision. otter executes the whole notebook in the course's QUICK mode
  (its training cells run on the small budget) and runs its tests.

Both sides run one torch thread per process (OMP/MKL threads 1; rnn-grader's children are
started that way), so that two workers do not fight over the cores and the ratio measures the
graders, not oversubscription. otter's two workers are a process pool of two. After each
rnn-grader run the benchmark prints where its seconds went (`autograder.engine.timings`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from rich.console import Console

from autograder.batch.runner import DB_NAME
from autograder.batch.store import Store
from autograder.demo import DEMO_ASSIGNMENT, write_class
from autograder.engine.intake import HEAVY_TAG
from autograder.engine.timings import class_split, print_split
from autograder.grading import grade_notebook
from autograder.sandbox.spawn import Zygote
from benchmarks.otter_baseline import copy_course, course_data, otter_autograder_zip

ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
RNN_GRADER = [sys.executable, "-m", "autograder.cli"]


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


def without_heavy_cells(paths: list[Path], folder: Path) -> list[Path]:
    """Copies of the notebooks without their `heavy` cells (a file that does not parse is kept
    as it is: otter meets it as it would)."""
    folder.mkdir()
    copies = []
    for path in paths:
        copy = folder / path.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - the truncated notebook of the class
            shutil.copyfile(path, copy)
        else:
            nb.cells = [
                c for c in nb.cells if HEAVY_TAG not in c.get("metadata", {}).get("tags", [])
            ]
            nbformat.write(nb, copy)
        copies.append(copy)
    return copies


def _otter_one(args: tuple[str, str]) -> bool:
    """Grade one notebook with otter; False when otter raises (it does on a truncated file)."""
    import otter.api
    import torch

    torch.set_num_threads(1)
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


def time_ours(course, folder: Path, run: Path, workers: int, training: bool) -> float:
    """Seconds for the class, as a TA meets them: `rnn-grader grade CLASS --out RUN` in a
    process of its own (its start and imports included); prints where they went."""
    command = [
        *RNN_GRADER,
        "grade",
        str(folder),
        "--assignment",
        DEMO_ASSIGNMENT,
        "--out",
        str(run),
        "--workers",
        str(workers),
        "--config",
        str(course.config_path),
        "--training" if training else "--no-training",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    store = Store(run / DB_NAME)
    try:
        graded = {s.source: store.submission_result(s.source) for s in store.submissions()}
        crashed = [s.message for s in store.submissions() if graded[s.source] is None]
    finally:
        store.close()
    results = [r for r in graded.values() if r is not None]
    failed = crashed + [r.grader_problem for r in results if r.status == "grader_error"]
    if failed:  # a ratio over grader failures would measure nothing
        raise SystemExit(f"rnn-grader could not grade {len(failed)} submissions: {failed[0]}")
    kind = "training included" if training else "unit checks"
    split = class_split(results)
    print_split(split, Console(width=110), f"rnn-grader, {kind}, {workers} worker(s)")
    print(
        f"batch wall time {seconds:.1f} s, of which outside any submission (the command's "
        f"start, intake, worker and zygote start, proving the tier, exports) about "
        f"{seconds - split.total / workers:.1f} s"
    )
    return seconds


def zygote_peak(course, notebook: Path) -> float | None:
    """The peak memory of a worker's zygote after it has served one solved notebook."""
    with Zygote() as zygote:
        grade_notebook(course, DEMO_ASSIGNMENT, notebook, zygote=zygote, training=False)
        return zygote.peak_mb()


def compare(label: str, count: int, ours: float, theirs: float, crashed: int) -> None:
    rate_ours, rate_theirs = count / ours, count / theirs
    print(
        f"{label}: rnn-grader {rate_ours:.2f} submissions/s ({ours:.1f} s), otter "
        f"{rate_theirs:.2f} submissions/s ({theirs:.1f} s, raised on {crashed}), "
        f"ratio {rate_ours / rate_theirs:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    course = copy_course(folder / "course")
    zip_path = otter_autograder_zip(course, DEMO_ASSIGNMENT, folder)  # also builds the template
    paths = make_class(course, folder, args.students)
    unit_paths = without_heavy_cells(paths, folder / "class-unit")
    os.environ.update(RNN_GRADER_DATA=str(course_data()), RNN_GRADER_QUICK="1", **ONE_THREAD)
    print(f"{len(paths)} notebooks of {DEMO_ASSIGNMENT}")
    print(f"peak memory of a zygote: {zygote_peak(course, paths[0]):.0f} MB")
    for workers in args.workers:
        ours = time_ours(course, paths[0].parent, folder / f"unit-{workers}", workers, False)
        theirs, crashed = time_otter(unit_paths, zip_path, workers)
        compare(f"workers={workers}, unit checks", len(paths), ours, theirs, crashed)
        ours = time_ours(course, paths[0].parent, folder / f"full-{workers}", workers, True)
        theirs, crashed = time_otter(paths, zip_path, workers)
        compare(f"workers={workers}, training included", len(paths), ours, theirs, crashed)


if __name__ == "__main__":
    main()
