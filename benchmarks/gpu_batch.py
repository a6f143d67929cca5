"""Throughput of a class with its training checks, training on the GPU against the CPU.

    python -m benchmarks.gpu_batch [--students 24] [--workers 8] [--devices cpu cuda]

The class is the demo's mix of names_charlm notebooks (reference, blank, known mistakes, a broken
file), repeated to the requested size, graded by `run_batch` with the training checks, once per
device class in grader.yaml's `device`. names_training has no cuda budget and trains on the CPU
either way; charlm_training moves to the GPU. Needs the course data ($RNN_GRADER_DATA).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console

from autograder.batch.runner import run_batch
from autograder.config import Course
from autograder.demo import DEMO_ASSIGNMENT
from benchmarks.batch import make_class

REPO = Path(__file__).resolve().parents[1]


def course_on(device: str, folder: Path) -> Course:
    """A scratch copy of the course whose training checks train on `device`."""
    for name in ("assignments", "solutions", "calibration", "student_template"):
        shutil.copytree(REPO / name, folder / name)
    config = yaml.safe_load((REPO / "grader.yaml").read_text(encoding="utf-8"))
    config["device"] = device
    (folder / "grader.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return Course(folder / "grader.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-gpu-batch-"))
    for number, device in enumerate(args.devices):
        course = course_on(device, folder / f"course-{number}-{device}")
        paths = make_class(course, folder / f"class-{number}-{device}", args.students)
        started = time.perf_counter()
        summary = run_batch(
            course,
            DEMO_ASSIGNMENT,
            paths[0].parent,
            folder / f"run-{number}-{device}",
            workers=args.workers,
            console=Console(stderr=True, quiet=True),
        )
        seconds = time.perf_counter() - started
        print(
            f"device={device} workers={args.workers}: {len(paths)} notebooks in {seconds:.1f} s, "
            f"{len(paths) / seconds:.2f} submissions/s (graded {summary.graded}, "
            f"errors {summary.errors})",
            flush=True,
        )


if __name__ == "__main__":
    main()
