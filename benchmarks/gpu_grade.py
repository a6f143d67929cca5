"""Grade every assignment's solved notebook through its Gradescope zip, on a GPU, in both tiers.

    python -m benchmarks.gpu_grade [--device cuda] [--tiers namespaces container] [--json FILE]

For each assignment and tier it unpacks the zip as Gradescope does (grader.yaml's `device` set
as asked), runs the zip's own run_autograder and prints the score, the seconds, and each training
run's device, steps and seconds from the summary. The namespaces tier runs on the host as it is;
the container tier runs inside tests/dockersim.py's simulation of Docker's default container,
seeing a container's files, where namespaces are refused. Needs root and the course data
($RNN_GRADER_DATA, packed into the zips at build time or read from there).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from autograder.config import Course
from tests import dockersim, submissions
from tests import gradescope_layout as layout
from tests.uids import UID_BASE

ASSIGNMENTS = ("names_charlm", "anna_lstm", "word_lm", "rnn_basics")
RUN_LINE = re.compile(
    r"^\s+(?P<id>\w+): .*; (?P<steps>\d+) steps in (?P<seconds>[\d.]+) s on (?P<device>.+?), "
    r"stopped: (?P<stopped>\w+)"
)


def grade(course: Course, assignment: str, tier: str, device: str, folder: Path) -> dict:
    notebook = submissions.reference(course, assignment)
    settings = {"device": device, "sandbox": {"confinement": tier, "uid_base": UID_BASE + 32}}
    root = layout.unpack(course, assignment, folder / f"{assignment}-{tier}", notebook, **settings)

    def wrap(argv: list[str]) -> list[str]:
        return dockersim.docker_default(argv, container_files=True) if tier == "container" else argv

    started = time.monotonic()
    done = layout.run_autograder(root, wrap)
    seconds = time.monotonic() - started
    found = layout.results(root) if (root / "results" / "results.json").exists() else {}
    extra = found.get("extra_data", {})
    runs = [
        match.groupdict()
        for line in found.get("output", "").splitlines()
        if (match := RUN_LINE.match(line))
    ]
    return {
        "assignment": assignment,
        "tier": tier,
        "confinement": extra.get("confinement"),
        "score": found.get("score"),
        "max": course.config.assignment(assignment).max_points,
        "exit": done.returncode,
        "seconds": round(seconds, 1),
        "runs": runs,
        "problem": extra.get("grader_problem", "")
        or (done.stderr[-1500:] if done.returncode else ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--tiers", nargs="+", default=["namespaces", "container"])
    parser.add_argument("--assignments", nargs="+", default=list(ASSIGNMENTS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    course = Course(Path(__file__).resolve().parents[1] / "grader.yaml")
    folder = Path(tempfile.mkdtemp(prefix="rnn-grader-gpu-"))
    rows = []
    for tier in args.tiers:
        for assignment in args.assignments:
            row = grade(course, assignment, tier, args.device, folder)
            rows.append(row)
            runs = "; ".join(
                f"{r['id']} {r['steps']} steps {r['seconds']} s on {r['device']} ({r['stopped']})"
                for r in row["runs"]
            )
            print(
                f"{tier:10} {assignment:13} {row['score']}/{row['max']} exit {row['exit']} "
                f"{row['seconds']:6.1f} s  [{row['confinement']}]  {runs}",
                flush=True,
            )
            if row["problem"]:
                print(f"    problem: {row['problem'][-600:]}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
