"""Grade notebooks in one process and print their scores as JSON: for runs inside a simulation.

    python grade_many.py CONFIG ASSIGNMENT NOTEBOOK...

The container-tier tests run this inside a simulated container, where the test process itself
cannot go; it uses only the grader's public API, as any route does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autograder.config import Course
from autograder.grading import grade_notebook
from autograder.sandbox.spawn import Zygote


def main(config: str, assignment: str, notebooks: list[str]) -> None:
    course = Course(Path(config))
    scores = {}
    with Zygote() as zygote:
        for notebook in notebooks:
            result = grade_notebook(
                course, assignment, Path(notebook), training=False, zygote=zygote
            )
            scores[Path(notebook).stem] = {
                "points": result.points,
                "status": result.status,
                "confinement": result.confinement,
                "grader_problem": result.grader_problem,
                "seconds": result.seconds,
            }
    print(json.dumps(scores))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
