"""The `rnn-grader` command line: one entry point for instructors, TAs and CI.

Each module registers its commands on the one Typer app; importing this package registers them all.
"""

from autograder.cli import course, grading, policies, release, report, similarity
from autograder.cli.app import app

__all__ = ["app", "course", "grading", "policies", "release", "report", "similarity"]
