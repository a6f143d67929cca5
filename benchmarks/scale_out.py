"""Submissions per second for one class: the local executor, Ray on one node, Ray on two nodes.

    python -m benchmarks.scale_out [--students 12] [--cpus-per-node 1] [--training]

The class is the demo's mix (benchmarks.batch.make_class). Each Ray node is a node of a
`ray.cluster_utils.Cluster` on this machine with `--cpus-per-node` CPUs (the head grades
nothing), so one node grades as many submissions at once as the local executor's workers, and two
nodes twice as many. Each setup grades the class into a fresh run folder; the time is the
batch's own (`BatchSummary.seconds`: from the first task to the last result, worker start,
zygotes and each node's confinement preflight included; the cluster's start is not). Ratios are
against the local executor. Unit checks only unless `--training`.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from autograder.batch.runner import run_batch
from autograder.config import Course
from autograder.demo import DEMO_ASSIGNMENT
from benchmarks.batch import make_class


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--cpus-per-node", type=int, default=1)
    parser.add_argument("--training", action="store_true", help="grade the training checks too")
    args = parser.parse_args()
    from ray.cluster_utils import Cluster

    course = Course.discover()
    with tempfile.TemporaryDirectory(prefix="scale-out-") as scratch:
        folder = Path(scratch)
        make_class(course, folder, args.students)
        classroom = folder / "class"

        def grade(name: str, **how) -> float:
            summary = run_batch(
                course,
                DEMO_ASSIGNMENT,
                classroom,
                folder / name,
                training=args.training,
                console=Console(file=io.StringIO()),
                **how,
            )
            assert summary.graded + summary.errors == args.students, summary
            return summary.seconds

        def on_cluster(nodes: int) -> Callable[[], float]:
            def run() -> float:
                cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
                try:
                    for _ in range(nodes):
                        cluster.add_node(num_cpus=args.cpus_per_node)
                    cluster.wait_for_nodes()
                    return grade(f"ray{nodes}", executor="ray", ray_address=cluster.address)
                finally:
                    cluster.shutdown()

            return run

        setups: dict[str, Callable[[], float]] = {
            f"local executor ({args.cpus_per_node} workers)": lambda: grade(
                "local", workers=args.cpus_per_node
            ),
            "Ray, one node": on_cluster(1),
            "Ray, two nodes": on_cluster(2),
        }
        print(
            f"{args.students} submissions of {DEMO_ASSIGNMENT}, "
            f"{'training included' if args.training else 'unit checks only'}, "
            f"{args.cpus_per_node} CPU(s) per node, on {os.cpu_count()} cores"
        )
        print(f"{'setup':<34}{'seconds':>9}{'subs/s':>9}{'ratio':>8}")
        base = None
        for name, run in setups.items():
            seconds = run()
            rate = args.students / seconds
            base = base or rate
            print(f"{name:<34}{seconds:>9.1f}{rate:>9.3f}{rate / base:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
